//! Resource amounts as the scheduler counts them: CPU in milli-cores, everything else in units,
//! and what a pod requests (upstream's `resourcehelper.PodRequests`).

use std::collections::BTreeMap;

use crate::controllers::cached::{Container, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;

use crate::api::quantity::Quantity;

pub const CPU: &str = "cpu";
pub const MEMORY: &str = "memory";
pub const EPHEMERAL_STORAGE: &str = "ephemeral-storage";
pub const PODS: &str = "pods";

/// CPU assumed for a container that requests none, when scoring (upstream's
/// `DefaultMilliCPURequest`).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// Memory assumed for a container that requests none, when scoring (200 MiB).
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// An amount of every resource (upstream's `framework.Resource`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    /// Only meaningful for allocatable: how many pods the node accepts.
    pub allowed_pods: i64,
    /// Extended resources, hugepages, …: name → units.
    pub scalar: BTreeMap<String, i64>,
}

fn units(name: &str, q: &ApiQuantity) -> i64 {
    let Ok(q) = Quantity::parse(&q.0) else {
        return 0;
    };
    if name == CPU {
        q.milli_value()
    } else {
        q.value()
    }
}

impl Resources {
    /// From a resource list (`requests`, `allocatable`, `overhead`).
    pub fn from_list(list: Option<&BTreeMap<String, ApiQuantity>>) -> Resources {
        let mut r = Resources::default();
        for (name, q) in list.into_iter().flatten() {
            r.set(name, units(name, q));
        }
        r
    }

    pub fn get(&self, name: &str) -> i64 {
        match name {
            CPU => self.milli_cpu,
            MEMORY => self.memory,
            EPHEMERAL_STORAGE => self.ephemeral_storage,
            PODS => self.allowed_pods,
            other => self.scalar.get(other).copied().unwrap_or(0),
        }
    }

    pub fn set(&mut self, name: &str, value: i64) {
        match name {
            CPU => self.milli_cpu = value,
            MEMORY => self.memory = value,
            EPHEMERAL_STORAGE => self.ephemeral_storage = value,
            PODS => self.allowed_pods = value,
            other => {
                self.scalar.insert(other.to_owned(), value);
            }
        }
    }

    pub fn add(&mut self, other: &Resources) {
        self.milli_cpu += other.milli_cpu;
        self.memory += other.memory;
        self.ephemeral_storage += other.ephemeral_storage;
        self.allowed_pods += other.allowed_pods;
        for (name, v) in &other.scalar {
            *self.scalar.entry(name.clone()).or_default() += v;
        }
    }

    pub fn sub(&mut self, other: &Resources) {
        self.milli_cpu -= other.milli_cpu;
        self.memory -= other.memory;
        self.ephemeral_storage -= other.ephemeral_storage;
        self.allowed_pods -= other.allowed_pods;
        for (name, v) in &other.scalar {
            let e = self.scalar.entry(name.clone()).or_default();
            *e -= v;
            if *e == 0 {
                self.scalar.remove(name);
            }
        }
    }

    /// Each resource becomes the larger of the two.
    pub fn max_with(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        self.allowed_pods = self.allowed_pods.max(other.allowed_pods);
        for (name, v) in &other.scalar {
            let e = self.scalar.entry(name.clone()).or_default();
            *e = (*e).max(*v);
        }
    }

    pub fn is_zero(&self) -> bool {
        self.milli_cpu == 0
            && self.memory == 0
            && self.ephemeral_storage == 0
            && self.scalar.values().all(|v| *v == 0)
    }
}

/// What a pod asks of a node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodRequests {
    /// The effective requests: containers summed, the largest init container step, overhead.
    pub requests: Resources,
    /// CPU with a default for containers that request none (for scoring).
    pub non_zero_cpu: i64,
    /// Memory with a default for containers that request none (for scoring).
    pub non_zero_memory: i64,
}

fn container_requests(c: &Container, non_missing: bool) -> Resources {
    let list = c.resources.as_ref().and_then(|r| r.requests.as_ref());
    let mut r = Resources::from_list(list);
    if non_missing {
        let has = |n: &str| list.is_some_and(|l| l.contains_key(n));
        if !has(CPU) {
            r.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
        }
        if !has(MEMORY) {
            r.memory = DEFAULT_MEMORY_REQUEST;
        }
    }
    r
}

/// Upstream's `PodRequests`: containers add up; sidecars (restartable init containers) add to
/// the sum and to every later init container; the pod needs the larger of the sum and the
/// largest init step; overhead comes on top.
fn requests_of(pod: &Pod, non_missing: bool) -> Resources {
    let Some(spec) = pod.spec.as_ref() else {
        return Resources::default();
    };
    let mut reqs = Resources::default();
    for c in &spec.containers {
        reqs.add(&container_requests(c, non_missing));
    }
    let mut sidecars = Resources::default();
    let mut init_max = Resources::default();
    for c in spec.init_containers.iter().flatten() {
        let r = container_requests(c, non_missing);
        let step = if c.restart_policy.as_deref() == Some("Always") {
            reqs.add(&r);
            sidecars.add(&r);
            sidecars.clone()
        } else {
            let mut step = r;
            step.add(&sidecars);
            step
        };
        init_max.max_with(&step);
    }
    reqs.max_with(&init_max);
    if let Some(overhead) = spec.overhead.as_ref() {
        reqs.add(&Resources::from_list(Some(overhead)));
    }
    reqs
}

pub fn pod_requests(pod: &Pod) -> PodRequests {
    let requests = requests_of(pod, false);
    let non_zero = requests_of(pod, true);
    PodRequests {
        requests,
        non_zero_cpu: non_zero.milli_cpu,
        non_zero_memory: non_zero.memory,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(spec: serde_json::Value) -> Pod {
        serde_json::from_value(json!({"metadata": {"name": "p"}, "spec": spec})).unwrap()
    }

    #[test]
    fn pod_requests_table() {
        let cases: Vec<(&str, serde_json::Value, (i64, i64), (i64, i64))> = vec![
            (
                "no requests: zero, scoring defaults",
                json!({"containers": [{"name": "a"}]}),
                (0, 0),
                (100, 200 * 1024 * 1024),
            ),
            (
                "containers add up",
                json!({"containers": [
                    {"name": "a", "resources": {"requests": {"cpu": "100m", "memory": "1Gi"}}},
                    {"name": "b", "resources": {"requests": {"cpu": "1", "memory": "512Mi"}}}]}),
                (1100, 1536 * 1024 * 1024),
                (1100, 1536 * 1024 * 1024),
            ),
            (
                "largest init container wins",
                json!({"containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}}}],
                       "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "2", "memory": "0"}}}]}),
                (2000, 0),
                (2000, 200 * 1024 * 1024),
            ),
            (
                "sidecars add to the sum and to later init containers",
                json!({"containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}}}],
                       "initContainers": [
                           {"name": "s", "restartPolicy": "Always", "resources": {"requests": {"cpu": "500m"}}},
                           {"name": "i", "resources": {"requests": {"cpu": "1200m"}}}]}),
                (1700, 0),
                (1700, 400 * 1024 * 1024),
            ),
            (
                "overhead on top",
                json!({"containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}}}],
                       "overhead": {"cpu": "250m", "memory": "100Mi"}}),
                (1250, 100 * 1024 * 1024),
                (1250, 300 * 1024 * 1024),
            ),
        ];
        for (name, spec, (cpu, mem), (nz_cpu, nz_mem)) in cases {
            let r = pod_requests(&pod(spec));
            assert_eq!(
                (r.requests.milli_cpu, r.requests.memory),
                (cpu, mem),
                "{name}"
            );
            assert_eq!(
                (r.non_zero_cpu, r.non_zero_memory),
                (nz_cpu, nz_mem),
                "{name}"
            );
        }
    }

    #[test]
    fn extended_resources_and_storage() {
        let p = pod(
            json!({"containers": [{"name": "a", "resources": {"requests": {
            "example.com/gpu": "2", "ephemeral-storage": "1Gi", "hugepages-2Mi": "4Mi"}}}]}),
        );
        let r = pod_requests(&p).requests;
        assert_eq!(r.get("example.com/gpu"), 2);
        assert_eq!(r.ephemeral_storage, 1024 * 1024 * 1024);
        assert_eq!(r.get("hugepages-2Mi"), 4 * 1024 * 1024);
    }
}

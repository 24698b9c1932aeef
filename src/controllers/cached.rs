//! The Pod as the shared informer caches it: only the fields the scheduler and the controllers
//! read.
//!
//! A k8s-openapi `Pod` costs ~6.7 KiB per object even with no optional field set: its structs
//! hold every optional field inline (`Pod` is ~2.2 KiB and each `Container` ~2.1 KiB before any
//! string), so 10,000 cached Pods were ~65 MiB, the largest share of the server's memory. This
//! type deserializes from the same JSON (unknown fields are ignored) and keeps the k8s-openapi
//! names and field types, so code that reads a cached Pod reads it as it would the full one.
//!
//! Writes never start from a cached Pod: `Api<k8s_openapi::api::core::v1::Pod>` takes the full type, so the compiler stops a
//! controller from sending back an object that lost fields. Controllers write with patches, or
//! with objects they build themselves.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{
    Affinity, ContainerPort, ContainerState, PodIP, PodSchedulingGate, ResourceRequirements,
    Toleration, TopologySpreadConstraint,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use serde::{Deserialize, Serialize};

/// A cached Pod (`v1/Pod`, read-only subset).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pod {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<PodSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PodStatus>,
}

impl k8s_openapi::Resource for Pod {
    const API_VERSION: &'static str = "v1";
    const GROUP: &'static str = "";
    const KIND: &'static str = "Pod";
    const VERSION: &'static str = "v1";
    const URL_PATH_SEGMENT: &'static str = "pods";
    type Scope = k8s_openapi::NamespaceResourceScope;
}

impl k8s_openapi::ListableResource for Pod {
    const LIST_KIND: &'static str = "PodList";
}

impl k8s_openapi::Metadata for Pod {
    type Ty = ObjectMeta;

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

/// `PodSpec`, the fields scheduling and the controllers use.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Box<Affinity>>,
    #[serde(default)]
    pub containers: Vec<Container>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_network: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_containers: Option<Vec<Container>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overhead: Option<BTreeMap<String, Quantity>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preemption_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduling_gates: Option<Vec<PodSchedulingGate>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdomain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Vec<Toleration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology_spread_constraints: Option<Vec<TopologySpreadConstraint>>,
}

/// `Container`: identity, ports (named target ports, host ports) and resources.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<ContainerPort>>,
    /// Shared between the containers that ask the same (a Deployment's pods all do): each
    /// distinct value is kept once.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "interned::serialize",
        deserialize_with = "interned::deserialize"
    )]
    pub resources: Option<Arc<ResourceRequirements>>,
    /// `Always` on an init container makes it a sidecar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
}

/// `PodStatus`, all but the rarely used lists.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<PodCondition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_statuses: Option<Vec<ContainerStatus>>,
    #[serde(default, rename = "hostIP", skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_container_statuses: Option<Vec<ContainerStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(default, rename = "podIP", skip_serializing_if = "Option::is_none")]
    pub pod_ip: Option<String>,
    #[serde(default, rename = "podIPs", skip_serializing_if = "Option::is_none")]
    pub pod_ips: Option<Vec<PodIP>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `PodCondition` without the probe time and observed generation.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodCondition {
    #[serde(default, rename = "type")]
    pub type_: String,
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `ContainerStatus`: state, readiness and restarts.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub ready: bool,
    #[serde(default)]
    pub restart_count: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ContainerState>,
}

/// Interning of containers' resource requirements: 10,000 pods of one Deployment hold one
/// copy (a map of quantities costs over half a KiB per container otherwise).
mod interned {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, Weak};

    use k8s_openapi::api::core::v1::ResourceRequirements;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    struct Table {
        values: HashMap<String, Weak<ResourceRequirements>>,
        /// Size after the last sweep of dead entries; the next sweep is at twice that.
        swept: usize,
    }

    static TABLE: Mutex<Option<Table>> = Mutex::new(None);

    pub fn intern(value: ResourceRequirements) -> Arc<ResourceRequirements> {
        let key = serde_json::to_string(&value).expect("resource requirements serialize");
        let mut guard = TABLE.lock().expect("intern table poisoned");
        let table = guard.get_or_insert_with(|| Table {
            values: HashMap::new(),
            swept: 64,
        });
        if let Some(shared) = table.values.get(&key).and_then(Weak::upgrade) {
            return shared;
        }
        if table.values.len() >= table.swept * 2 {
            table.values.retain(|_, w| w.strong_count() > 0);
            table.swept = table.values.len().max(64);
        }
        let shared = Arc::new(value);
        table.values.insert(key, Arc::downgrade(&shared));
        shared
    }

    pub fn serialize<S: Serializer>(
        value: &Option<Arc<ResourceRequirements>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        value.as_deref().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Arc<ResourceRequirements>>, D::Error> {
        Ok(Option::<ResourceRequirements>::deserialize(d)?.map(intern))
    }
}

impl From<k8s_openapi::api::core::v1::Pod> for Pod {
    /// Converts through JSON: used by tests and where a full Pod is at hand.
    fn from(pod: k8s_openapi::api::core::v1::Pod) -> Self {
        serde_json::to_value(pod)
            .and_then(serde_json::from_value)
            .expect("a Pod's JSON always decodes into the cached Pod")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn much_smaller_than_the_full_pod() {
        let full = std::mem::size_of::<k8s_openapi::api::core::v1::Pod>()
            + std::mem::size_of::<k8s_openapi::api::core::v1::Container>();
        let cached = std::mem::size_of::<Pod>() + std::mem::size_of::<Container>();
        assert!(cached * 3 < full, "cached {cached} bytes vs full {full}");
    }

    #[test]
    fn equal_resources_are_shared() {
        let pod = |cpu: &str| -> Pod {
            serde_json::from_value(serde_json::json!({
                "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}]}
            }))
            .unwrap()
        };
        let res = |p: &Pod| {
            p.spec.as_ref().unwrap().containers[0]
                .resources
                .clone()
                .unwrap()
        };
        let (a, b, c) = (pod("10m"), pod("10m"), pod("20m"));
        assert!(Arc::ptr_eq(&res(&a), &res(&b)));
        assert!(!Arc::ptr_eq(&res(&a), &res(&c)));
        assert_eq!(
            serde_json::to_value(&a).unwrap()["spec"]["containers"][0]["resources"]["requests"]["cpu"],
            "10m"
        );
    }

    #[test]
    fn reads_a_full_pod_and_ignores_what_it_does_not_keep() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web-0", "namespace": "default", "labels": {"app": "web"}},
            "spec": {
                "nodeName": "n1",
                "containers": [{
                    "name": "c",
                    "image": "busybox",
                    "ports": [{"name": "http", "containerPort": 80}],
                    "resources": {"requests": {"cpu": "100m"}},
                    "livenessProbe": {"exec": {"command": ["true"]}},
                    "securityContext": {"privileged": true}
                }],
                "volumes": [{"name": "v", "emptyDir": {}}],
                "affinity": {"nodeAffinity": {}}
            },
            "status": {
                "phase": "Running",
                "podIP": "10.42.0.5",
                "podIPs": [{"ip": "10.42.0.5"}],
                "hostIP": "192.168.1.2",
                "hostIPs": [{"ip": "192.168.1.2"}],
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [{
                    "name": "c", "ready": true, "restartCount": 2, "image": "busybox",
                    "imageID": "x", "state": {"running": {}}
                }]
            }
        }))
        .unwrap();
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(spec.node_name.as_deref(), Some("n1"));
        assert!(spec.affinity.is_some());
        let c = &spec.containers[0];
        assert_eq!(c.ports.as_ref().unwrap()[0].container_port, 80);
        assert!(c.resources.as_ref().unwrap().requests.is_some());
        let status = pod.status.as_ref().unwrap();
        assert_eq!(status.phase.as_deref(), Some("Running"));
        assert_eq!(status.pod_ip.as_deref(), Some("10.42.0.5"));
        assert_eq!(status.pod_ips.as_ref().unwrap()[0].ip, "10.42.0.5");
        assert_eq!(status.host_ip.as_deref(), Some("192.168.1.2"));
        assert_eq!(
            status.container_statuses.as_ref().unwrap()[0].restart_count,
            2
        );
    }

    /// Every kept field has the JSON name the full Pod uses: set them all, go through the full
    /// Pod and back, and nothing is lost.
    #[test]
    fn every_field_round_trips_through_the_full_pod() {
        let some = |s: &str| Some(s.to_string());
        let time = Some(Time("2026-01-01T00:00:00Z".parse().unwrap()));
        let container = Container {
            name: "c".into(),
            image: some("busybox"),
            ports: Some(vec![ContainerPort {
                container_port: 80,
                name: some("http"),
                ..Default::default()
            }]),
            resources: Some(Arc::new(ResourceRequirements {
                requests: Some([("cpu".to_string(), Quantity("1".into()))].into()),
                ..Default::default()
            })),
            restart_policy: some("Always"),
        };
        let status = ContainerStatus {
            name: "c".into(),
            ready: true,
            restart_count: 3,
            state: Some(ContainerState::default()),
        };
        let pod = Pod {
            metadata: ObjectMeta {
                name: some("p"),
                ..Default::default()
            },
            spec: Some(PodSpec {
                active_deadline_seconds: Some(5),
                affinity: Some(Box::default()),
                containers: vec![container.clone()],
                host_network: Some(true),
                hostname: some("h"),
                init_containers: Some(vec![container]),
                node_name: some("n"),
                node_selector: Some([("a".to_string(), "b".to_string())].into()),
                overhead: Some([("cpu".to_string(), Quantity("1".into()))].into()),
                preemption_policy: some("Never"),
                priority: Some(7),
                priority_class_name: some("high"),
                resources: Some(ResourceRequirements::default()),
                restart_policy: some("Never"),
                scheduler_name: some("s"),
                scheduling_gates: Some(vec![PodSchedulingGate { name: "g".into() }]),
                subdomain: some("sub"),
                termination_grace_period_seconds: Some(30),
                tolerations: Some(vec![Toleration::default()]),
                topology_spread_constraints: Some(vec![TopologySpreadConstraint::default()]),
            }),
            status: Some(PodStatus {
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: "True".into(),
                    last_transition_time: time.clone(),
                    reason: some("r"),
                    message: some("m"),
                }]),
                container_statuses: Some(vec![status.clone()]),
                host_ip: some("192.168.1.2"),
                init_container_statuses: Some(vec![status]),
                phase: some("Running"),
                pod_ip: some("10.42.0.5"),
                pod_ips: Some(vec![PodIP {
                    ip: "10.42.0.5".into(),
                }]),
                reason: some("r"),
            }),
        };
        let full: k8s_openapi::api::core::v1::Pod =
            serde_json::from_value(serde_json::to_value(&pod).unwrap()).unwrap();
        assert_eq!(Pod::from(full), pod);
    }
}

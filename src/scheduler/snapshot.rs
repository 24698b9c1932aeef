//! The scheduler's view of the cluster: every node with the pods bound (or assumed) to it and
//! their aggregate requests, kept up to date incrementally from the informers' changes.
//!
//! Pods the scheduler has decided on but whose binding the watch has not confirmed yet are
//! "assumed": they count on their node like bound pods, so consecutive decisions do not
//! overcommit it. A failed binding forgets the assumption.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::controllers::cached::Pod;
use k8s_openapi::api::core::v1::{Node, Taint};

use super::resources::{PodRequests, Resources, pod_requests};

pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// `namespace/name`.
pub type PodKey = String;

pub fn pod_key(pod: &Pod) -> PodKey {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default()
    )
}

/// A host port in use: protocol, host IP (`0.0.0.0` when unset) and port.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostPort {
    pub protocol: String,
    pub ip: String,
    pub port: i32,
}

/// The host ports a pod's containers ask for (upstream's `getContainerPorts`).
pub fn host_ports(pod: &Pod) -> Vec<HostPort> {
    let Some(spec) = pod.spec.as_ref() else {
        return Vec::new();
    };
    let sidecars = spec
        .init_containers
        .iter()
        .flatten()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"));
    spec.containers
        .iter()
        .chain(sidecars)
        .flat_map(|c| c.ports.iter().flatten())
        .filter(|p| p.host_port.unwrap_or(0) > 0)
        .map(|p| HostPort {
            protocol: p.protocol.clone().unwrap_or_else(|| "TCP".to_owned()),
            ip: p
                .host_ip
                .clone()
                .filter(|ip| !ip.is_empty())
                .unwrap_or_else(|| "0.0.0.0".to_owned()),
            port: p.host_port.unwrap_or(0),
        })
        .collect()
}

/// A pod as counted on its node.
#[derive(Clone, Debug)]
pub struct PodInfo {
    pub pod: Arc<Pod>,
    pub requests: PodRequests,
    pub ports: Vec<HostPort>,
    /// Whether it has required anti-affinity terms (other pods must keep away from it).
    pub required_anti_affinity: bool,
    /// Whether it has any pod affinity or anti-affinity term (for scoring).
    pub any_affinity: bool,
}

impl PodInfo {
    pub fn new(pod: Arc<Pod>) -> PodInfo {
        let affinity = pod.spec.as_ref().and_then(|s| s.affinity.as_ref());
        let required_anti_affinity = affinity
            .and_then(|a| a.pod_anti_affinity.as_ref())
            .and_then(|a| {
                a.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .is_some_and(|t| !t.is_empty());
        let any_affinity = affinity.is_some_and(|a| {
            a.pod_affinity.as_ref().is_some_and(|p| {
                p.required_during_scheduling_ignored_during_execution
                    .as_ref()
                    .is_some_and(|t| !t.is_empty())
                    || p.preferred_during_scheduling_ignored_during_execution
                        .as_ref()
                        .is_some_and(|t| !t.is_empty())
            }) || a.pod_anti_affinity.as_ref().is_some_and(|p| {
                p.required_during_scheduling_ignored_during_execution
                    .as_ref()
                    .is_some_and(|t| !t.is_empty())
                    || p.preferred_during_scheduling_ignored_during_execution
                        .as_ref()
                        .is_some_and(|t| !t.is_empty())
            })
        });
        PodInfo {
            requests: pod_requests(&pod),
            ports: host_ports(&pod),
            required_anti_affinity,
            any_affinity,
            pod,
        }
    }

    pub fn namespace(&self) -> &str {
        self.pod.metadata.namespace.as_deref().unwrap_or_default()
    }

    pub fn labels(&self) -> &BTreeMap<String, String> {
        static EMPTY: BTreeMap<String, String> = BTreeMap::new();
        self.pod.metadata.labels.as_ref().unwrap_or(&EMPTY)
    }
}

/// One node and what is placed on it (upstream's `framework.NodeInfo`).
#[derive(Clone, Debug, Default)]
pub struct NodeInfo {
    pub name: String,
    /// `None` while pods refer to a node the informer has not shown (yet, or any more).
    pub node: Option<Arc<Node>>,
    pub labels: BTreeMap<String, String>,
    /// The node's taints, plus the not-ready / unreachable taint upstream's node lifecycle
    /// controller would add when the node is not Ready.
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub allocatable: Resources,
    /// Sum of the requests of the pods on the node.
    pub requested: Resources,
    /// Sum of the scoring requests (with defaults for containers that request nothing).
    pub non_zero_cpu: i64,
    pub non_zero_memory: i64,
    pub pods: HashMap<PodKey, PodInfo>,
    /// Host ports in use, with how many pods use each.
    pub used_ports: HashMap<HostPort, u32>,
    /// How many pods on the node have affinity terms / required anti-affinity terms.
    pub pods_with_affinity: usize,
    pub pods_with_required_anti_affinity: usize,
}

/// The taints a node effectively has for scheduling.
pub fn effective_taints(node: &Node) -> Vec<Taint> {
    let mut taints = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default();
    let ready = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .map(|c| c.status.as_str());
    let has = |key: &str, taints: &[Taint]| {
        taints
            .iter()
            .any(|t| t.key == key && (t.effect == "NoSchedule" || t.effect == "NoExecute"))
    };
    if ready != Some("True") && !has(TAINT_NOT_READY, &taints) && !has(TAINT_UNREACHABLE, &taints) {
        let key = if ready == Some("False") {
            TAINT_NOT_READY
        } else {
            TAINT_UNREACHABLE
        };
        taints.push(Taint {
            key: key.to_owned(),
            effect: "NoSchedule".to_owned(),
            ..Default::default()
        });
    }
    taints
}

impl NodeInfo {
    fn new(name: &str) -> NodeInfo {
        NodeInfo {
            name: name.to_owned(),
            ..Default::default()
        }
    }

    pub fn set_node(&mut self, node: Arc<Node>) {
        self.labels = node.metadata.labels.clone().unwrap_or_default();
        self.taints = effective_taints(&node);
        self.unschedulable = node
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false);
        self.allocatable =
            Resources::from_list(node.status.as_ref().and_then(|s| s.allocatable.as_ref()));
        self.node = Some(node);
    }

    pub fn add_pod(&mut self, key: PodKey, info: PodInfo) {
        self.remove_pod(&key);
        self.requested.add(&info.requests.requests);
        self.non_zero_cpu += info.requests.non_zero_cpu;
        self.non_zero_memory += info.requests.non_zero_memory;
        for p in &info.ports {
            *self.used_ports.entry(p.clone()).or_default() += 1;
        }
        self.pods_with_affinity += usize::from(info.any_affinity);
        self.pods_with_required_anti_affinity += usize::from(info.required_anti_affinity);
        self.pods.insert(key, info);
    }

    pub fn remove_pod(&mut self, key: &str) -> Option<PodInfo> {
        let info = self.pods.remove(key)?;
        self.requested.sub(&info.requests.requests);
        self.non_zero_cpu -= info.requests.non_zero_cpu;
        self.non_zero_memory -= info.requests.non_zero_memory;
        for p in &info.ports {
            if let Some(n) = self.used_ports.get_mut(p) {
                *n -= 1;
                if *n == 0 {
                    self.used_ports.remove(p);
                }
            }
        }
        self.pods_with_affinity -= usize::from(info.any_affinity);
        self.pods_with_required_anti_affinity -= usize::from(info.required_anti_affinity);
        Some(info)
    }

    /// Whether a host port conflicts with one in use (upstream's `HostPortInfo.CheckConflict`):
    /// same protocol and port, and the same IP or either side on `0.0.0.0`.
    pub fn port_conflicts(&self, want: &HostPort) -> bool {
        self.used_ports.keys().any(|used| {
            used.port == want.port
                && used.protocol == want.protocol
                && (used.ip == want.ip || used.ip == "0.0.0.0" || want.ip == "0.0.0.0")
        })
    }
}

/// Where a pod is counted.
#[derive(Clone, Debug)]
struct PodPlace {
    node: String,
    assumed: bool,
}

/// Every node and the pods placed on them.
#[derive(Default)]
pub struct Cache {
    nodes: HashMap<String, NodeInfo>,
    /// Names of the nodes the informer shows, in a stable order (for round-robin evaluation).
    order: Arc<Vec<String>>,
    order_dirty: bool,
    pods: HashMap<PodKey, PodPlace>,
}

/// Whether a pod still occupies its node: bound and not finished.
pub fn occupies_node(pod: &Pod) -> bool {
    let bound = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty());
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    bound && !matches!(phase, Some("Succeeded") | Some("Failed"))
}

impl Cache {
    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.nodes.get(name).filter(|n| n.node.is_some())
    }

    /// The names of the nodes that exist, in a stable order.
    pub fn node_names(&mut self) -> Arc<Vec<String>> {
        if self.order_dirty {
            let mut order: Vec<String> = self
                .nodes
                .values()
                .filter(|n| n.node.is_some())
                .map(|n| n.name.clone())
                .collect();
            order.sort();
            self.order = Arc::new(order);
            self.order_dirty = false;
        }
        self.order.clone()
    }

    pub fn nodes(&self) -> impl Iterator<Item = &NodeInfo> {
        self.nodes.values().filter(|n| n.node.is_some())
    }

    pub fn node_count(&self) -> usize {
        self.nodes.values().filter(|n| n.node.is_some()).count()
    }

    /// A node from the informer. Returns whether it changed in a way that may let pods fit
    /// that did not (new node, labels, taints, readiness, allocatable, unschedulable).
    pub fn apply_node(&mut self, node: Arc<Node>) -> bool {
        let name = node.metadata.name.clone().unwrap_or_default();
        let info = self
            .nodes
            .entry(name.clone())
            .or_insert_with(|| NodeInfo::new(&name));
        let before = info.node.as_ref().map(|_| {
            (
                info.labels.clone(),
                info.taints.clone(),
                info.allocatable.clone(),
                info.unschedulable,
            )
        });
        info.set_node(node);
        match before {
            None => {
                self.order_dirty = true;
                true
            }
            Some(before) => {
                before
                    != (
                        info.labels.clone(),
                        info.taints.clone(),
                        info.allocatable.clone(),
                        info.unschedulable,
                    )
            }
        }
    }

    pub fn delete_node(&mut self, name: &str) {
        if let Some(info) = self.nodes.get_mut(name) {
            info.node = None;
            self.order_dirty = true;
            if info.pods.is_empty() {
                self.nodes.remove(name);
            }
        }
    }

    /// Whether the pod is assumed (decided on, binding not yet confirmed by the watch).
    pub fn is_assumed(&self, key: &str) -> bool {
        self.pods.get(key).is_some_and(|p| p.assumed)
    }

    /// Whether the pod is counted on some node (bound or assumed).
    pub fn contains_pod(&self, key: &str) -> bool {
        self.pods.contains_key(key)
    }

    /// Counts a pod on `node` before its binding is confirmed.
    pub fn assume(&mut self, pod: Arc<Pod>, node: &str) {
        let key = pod_key(&pod);
        self.remove_pod(&key);
        let mut pod = Pod::clone(&pod);
        pod.spec.get_or_insert_with(Default::default).node_name = Some(node.to_owned());
        self.insert(key, Arc::new(pod), node, true);
    }

    /// Forgets an assumption (the binding failed); a confirmed pod stays.
    pub fn forget(&mut self, key: &str) {
        if self.is_assumed(key) {
            self.remove_pod(key);
        }
    }

    /// A pod from the informer: counted where it is bound, or not at all. Returns whether the
    /// pod stopped occupying a node (so waiting pods may now fit).
    pub fn apply_pod(&mut self, pod: Arc<Pod>) -> bool {
        let key = pod_key(&pod);
        if occupies_node(&pod) {
            let node = pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .unwrap_or_default();
            let moved = self.pods.get(&key).is_some_and(|p| p.node != node);
            self.insert(key, pod, &node, false);
            moved
        } else if self.pods.get(&key).is_some_and(|p| !p.assumed) {
            // Finished (or, oddly, unbound): frees its node.
            self.remove_pod(&key);
            true
        } else {
            false
        }
    }

    /// A deleted pod. Returns whether it occupied a node.
    pub fn delete_pod(&mut self, pod: &Pod) -> bool {
        self.remove_pod(&pod_key(pod))
    }

    fn insert(&mut self, key: PodKey, pod: Arc<Pod>, node: &str, assumed: bool) {
        if let Some(place) = self.pods.get(&key)
            && place.node != node
        {
            self.remove_pod(&key);
        }
        let info = self
            .nodes
            .entry(node.to_owned())
            .or_insert_with(|| NodeInfo::new(node));
        info.add_pod(key.clone(), PodInfo::new(pod));
        self.pods.insert(
            key,
            PodPlace {
                node: node.to_owned(),
                assumed,
            },
        );
    }

    fn remove_pod(&mut self, key: &str) -> bool {
        let Some(place) = self.pods.remove(key) else {
            return false;
        };
        if let Some(info) = self.nodes.get_mut(&place.node) {
            info.remove_pod(key);
            if info.node.is_none() && info.pods.is_empty() {
                self.nodes.remove(&place.node);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(name: &str, ready: &str) -> Arc<Node> {
        Arc::new(
            serde_json::from_value(json!({
                "metadata": {"name": name},
                "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
                           "conditions": [{"type": "Ready", "status": ready}]}
            }))
            .unwrap(),
        )
    }

    fn pod(name: &str, node: Option<&str>, cpu: &str, phase: &str) -> Arc<Pod> {
        Arc::new(
            serde_json::from_value(json!({
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"nodeName": node, "containers": [{"name": "c",
                    "resources": {"requests": {"cpu": cpu}},
                    "ports": [{"containerPort": 80, "hostPort": 8080}]}]},
                "status": {"phase": phase}
            }))
            .unwrap(),
        )
    }

    #[test]
    fn aggregates_follow_pods() {
        let mut c = Cache::default();
        c.apply_node(node("n1", "True"));
        c.apply_pod(pod("a", Some("n1"), "500m", "Running"));
        c.apply_pod(pod("b", Some("n1"), "250m", "Pending"));
        let n = c.node("n1").unwrap();
        assert_eq!(n.requested.milli_cpu, 750);
        assert_eq!(n.pods.len(), 2);
        assert_eq!(n.used_ports.len(), 1);
        // A finished pod frees its node.
        assert!(c.apply_pod(pod("a", Some("n1"), "500m", "Succeeded")));
        assert_eq!(c.node("n1").unwrap().requested.milli_cpu, 250);
        // Updating a pod does not count it twice.
        c.apply_pod(pod("b", Some("n1"), "250m", "Running"));
        assert_eq!(c.node("n1").unwrap().requested.milli_cpu, 250);
        assert!(c.delete_pod(&pod("b", Some("n1"), "250m", "Running")));
        let n = c.node("n1").unwrap();
        assert_eq!(
            (n.requested.milli_cpu, n.pods.len(), n.used_ports.len()),
            (0, 0, 0)
        );
    }

    #[test]
    fn assumed_pods_count_until_forgotten_or_confirmed() {
        let mut c = Cache::default();
        c.apply_node(node("n1", "True"));
        let p = pod("a", None, "1", "Pending");
        c.assume(p.clone(), "n1");
        assert!(c.is_assumed("default/a"));
        assert_eq!(c.node("n1").unwrap().requested.milli_cpu, 1000);
        // An update of the still-unbound pod does not drop the assumption.
        assert!(!c.apply_pod(p.clone()));
        assert_eq!(c.node("n1").unwrap().requested.milli_cpu, 1000);
        c.forget("default/a");
        assert_eq!(c.node("n1").unwrap().requested.milli_cpu, 0);
        // Confirmed by the watch: no longer assumed, counted once.
        c.assume(p, "n1");
        c.apply_pod(pod("a", Some("n1"), "1", "Pending"));
        assert!(!c.is_assumed("default/a"));
        c.forget("default/a");
        assert_eq!(c.node("n1").unwrap().requested.milli_cpu, 1000);
    }

    #[test]
    fn not_ready_nodes_get_taints() {
        let cases = [
            ("True", None),
            ("False", Some(TAINT_NOT_READY)),
            ("Unknown", Some(TAINT_UNREACHABLE)),
        ];
        for (ready, taint) in cases {
            let t = effective_taints(&node("n", ready));
            assert_eq!(t.first().map(|t| t.key.as_str()), taint, "{ready}");
        }
        let no_conditions: Node =
            serde_json::from_value(json!({"metadata": {"name": "n"}})).unwrap();
        assert_eq!(effective_taints(&no_conditions)[0].key, TAINT_UNREACHABLE);
    }

    #[test]
    fn pods_on_unknown_nodes_are_kept_until_the_node_appears() {
        let mut c = Cache::default();
        c.apply_pod(pod("a", Some("n1"), "1", "Running"));
        assert!(c.node("n1").is_none());
        assert!(c.node_names().is_empty());
        c.apply_node(node("n1", "True"));
        assert_eq!(c.node("n1").unwrap().requested.milli_cpu, 1000);
        assert_eq!(*c.node_names(), ["n1".to_owned()]);
    }
}

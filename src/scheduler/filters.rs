//! Filters: whether a pod may run on a node, with upstream's plugin semantics and reasons.
//!
//! [`PodContext`] holds what upstream's PreFilter computes once per scheduling cycle (requests,
//! ports, inter-pod affinity counts by topology domain, spread counts); [`run_filters`] then
//! checks one node in upstream's plugin order and stops at the first failure.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::controllers::cached::Pod;
use k8s_openapi::api::core::v1::{NodeSelectorTerm, PodAffinityTerm, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::resources::{CPU, EPHEMERAL_STORAGE, MEMORY, PodRequests, pod_requests};
use super::selectors::{label_selector_matches, terms_match, tolerated};
use super::snapshot::{Cache, HostPort, NodeInfo, TAINT_UNSCHEDULABLE, host_ports};

pub const REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";
pub const REASON_NODE_NAME: &str = "node(s) didn't match the requested node name";
pub const REASON_NODE_AFFINITY: &str = "node(s) didn't match Pod's node affinity/selector";
pub const REASON_NODE_PORTS: &str = "node(s) didn't have free ports for the requested pod ports";
pub const REASON_TOO_MANY_PODS: &str = "Too many pods";
pub const REASON_POD_AFFINITY: &str = "node(s) didn't match pod affinity rules";
pub const REASON_POD_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
pub const REASON_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
pub const REASON_SPREAD: &str = "node(s) didn't match pod topology spread constraints";
pub const REASON_SPREAD_MISSING_LABEL: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

/// Upstream's status codes for a failed filter: whether evicting pods could help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Unschedulable,
    UnschedulableAndUnresolvable,
}

/// Why a node does not fit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub code: Code,
    pub reasons: Vec<String>,
}

impl Failure {
    fn new(code: Code, reason: impl Into<String>) -> Failure {
        Failure {
            code,
            reasons: vec![reason.into()],
        }
    }
}

pub type FilterResult = Result<(), Failure>;

/// Namespace labels, for affinity terms' `namespaceSelector`.
pub type NamespaceLabels<'a> = &'a dyn Fn(&str) -> Option<BTreeMap<String, String>>;

/// A pod affinity term with its namespaces resolved (upstream's `framework.AffinityTerm`).
#[derive(Clone, Debug)]
pub struct AffinityTerm {
    pub namespaces: HashSet<String>,
    pub namespace_selector: Option<LabelSelector>,
    pub selector: Option<LabelSelector>,
    pub topology_key: String,
    pub weight: i32,
}

impl AffinityTerm {
    /// `term` as written in a pod of namespace `ns`: no namespaces and no namespace selector
    /// means the pod's own namespace.
    pub fn new(term: &PodAffinityTerm, ns: &str, weight: i32) -> AffinityTerm {
        let mut namespaces: HashSet<String> = term.namespaces.iter().flatten().cloned().collect();
        if namespaces.is_empty() && term.namespace_selector.is_none() {
            namespaces.insert(ns.to_owned());
        }
        AffinityTerm {
            namespaces,
            namespace_selector: term.namespace_selector.clone(),
            selector: term.label_selector.clone(),
            topology_key: term.topology_key.clone(),
            weight,
        }
    }

    /// Whether a pod (namespace, labels) matches the term.
    pub fn matches(
        &self,
        ns: &str,
        labels: &BTreeMap<String, String>,
        ns_labels: NamespaceLabels,
    ) -> bool {
        let ns_ok = self.namespaces.contains(ns)
            || self.namespace_selector.as_ref().is_some_and(|sel| {
                label_selector_matches(Some(sel), &ns_labels(ns).unwrap_or_default())
            });
        ns_ok && label_selector_matches(self.selector.as_ref(), labels)
    }
}

/// The pod affinity terms of a pod: required affinity, required anti-affinity, preferred
/// affinity, preferred anti-affinity.
#[derive(Clone, Debug, Default)]
pub struct PodAffinityTerms {
    pub required_affinity: Vec<AffinityTerm>,
    pub required_anti_affinity: Vec<AffinityTerm>,
    pub preferred_affinity: Vec<AffinityTerm>,
    pub preferred_anti_affinity: Vec<AffinityTerm>,
}

impl PodAffinityTerms {
    pub fn of(pod: &Pod) -> PodAffinityTerms {
        let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
        let Some(a) = pod.spec.as_ref().and_then(|s| s.affinity.as_ref()) else {
            return PodAffinityTerms::default();
        };
        let required = |terms: Option<&Vec<PodAffinityTerm>>| -> Vec<AffinityTerm> {
            terms
                .into_iter()
                .flatten()
                .map(|t| AffinityTerm::new(t, ns, 1))
                .collect()
        };
        let preferred =
            |terms: Option<&Vec<k8s_openapi::api::core::v1::WeightedPodAffinityTerm>>| {
                terms
                    .into_iter()
                    .flatten()
                    .map(|t| AffinityTerm::new(&t.pod_affinity_term, ns, t.weight))
                    .collect::<Vec<_>>()
            };
        let aff = a.pod_affinity.as_ref();
        let anti = a.pod_anti_affinity.as_ref();
        PodAffinityTerms {
            required_affinity: required(aff.and_then(|p| {
                p.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })),
            required_anti_affinity: required(anti.and_then(|p| {
                p.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })),
            preferred_affinity: preferred(aff.and_then(|p| {
                p.preferred_during_scheduling_ignored_during_execution
                    .as_ref()
            })),
            preferred_anti_affinity: preferred(anti.and_then(|p| {
                p.preferred_during_scheduling_ignored_during_execution
                    .as_ref()
            })),
        }
    }
}

/// `(topologyKey, value)` → count.
pub type TopologyCounts = HashMap<(String, String), i64>;

fn count_in_domain(
    counts: &mut TopologyCounts,
    labels: &BTreeMap<String, String>,
    key: &str,
    by: i64,
) {
    if let Some(v) = labels.get(key) {
        *counts.entry((key.to_owned(), v.clone())).or_default() += by;
    }
}

/// Upstream's InterPodAffinity PreFilter state.
#[derive(Clone, Debug, Default)]
pub struct InterPodState {
    pub terms: PodAffinityTerms,
    /// Domains where an existing pod's required anti-affinity term matches the incoming pod.
    pub existing_anti_affinity: TopologyCounts,
    /// Domains with pods matching all of the incoming pod's required affinity terms.
    pub affinity: TopologyCounts,
    /// Domains with pods matching one of the incoming pod's required anti-affinity terms.
    pub anti_affinity: TopologyCounts,
    /// Whether the incoming pod matches all its own required affinity terms.
    pub self_affinity: bool,
}

impl InterPodState {
    fn compute(
        pod: &Pod,
        terms: PodAffinityTerms,
        cache: &Cache,
        ns_labels: NamespaceLabels,
    ) -> InterPodState {
        let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
        let empty = BTreeMap::new();
        let labels = pod.metadata.labels.as_ref().unwrap_or(&empty);
        let mut s = InterPodState {
            self_affinity: !terms.required_affinity.is_empty()
                && terms
                    .required_affinity
                    .iter()
                    .all(|t| t.matches(ns, labels, ns_labels)),
            terms,
            ..Default::default()
        };
        for node in cache.nodes() {
            if node.pods_with_required_anti_affinity > 0 {
                for p in node.pods.values().filter(|p| p.required_anti_affinity) {
                    for t in PodAffinityTerms::of(&p.pod).required_anti_affinity {
                        if t.matches(ns, labels, ns_labels) {
                            count_in_domain(
                                &mut s.existing_anti_affinity,
                                &node.labels,
                                &t.topology_key,
                                1,
                            );
                        }
                    }
                }
            }
            if s.terms.required_affinity.is_empty() && s.terms.required_anti_affinity.is_empty() {
                continue;
            }
            for p in node.pods.values() {
                let (pns, plabels) = (p.namespace(), p.labels());
                if !s.terms.required_affinity.is_empty()
                    && s.terms
                        .required_affinity
                        .iter()
                        .all(|t| t.matches(pns, plabels, ns_labels))
                {
                    for t in &s.terms.required_affinity {
                        count_in_domain(&mut s.affinity, &node.labels, &t.topology_key, 1);
                    }
                }
                for t in &s.terms.required_anti_affinity {
                    if t.matches(pns, plabels, ns_labels) {
                        count_in_domain(&mut s.anti_affinity, &node.labels, &t.topology_key, 1);
                    }
                }
            }
        }
        s
    }

    fn filter(&self, node: &NodeInfo) -> FilterResult {
        // Required affinity: every topology key present, and matching pods in each domain (or,
        // for the first of a group of pods with affinity to each other, none anywhere).
        let mut pods_exist = true;
        for t in &self.terms.required_affinity {
            let Some(v) = node.labels.get(&t.topology_key) else {
                return Err(Failure::new(
                    Code::UnschedulableAndUnresolvable,
                    REASON_POD_AFFINITY,
                ));
            };
            if self
                .affinity
                .get(&(t.topology_key.clone(), v.clone()))
                .copied()
                .unwrap_or(0)
                <= 0
            {
                pods_exist = false;
            }
        }
        if !pods_exist && !(self.affinity.is_empty() && self.self_affinity) {
            return Err(Failure::new(
                Code::UnschedulableAndUnresolvable,
                REASON_POD_AFFINITY,
            ));
        }
        for t in &self.terms.required_anti_affinity {
            if let Some(v) = node.labels.get(&t.topology_key)
                && self
                    .anti_affinity
                    .get(&(t.topology_key.clone(), v.clone()))
                    .copied()
                    .unwrap_or(0)
                    > 0
            {
                return Err(Failure::new(Code::Unschedulable, REASON_POD_ANTI_AFFINITY));
            }
        }
        if !self.existing_anti_affinity.is_empty() {
            for (k, v) in &node.labels {
                if self
                    .existing_anti_affinity
                    .get(&(k.clone(), v.clone()))
                    .copied()
                    .unwrap_or(0)
                    > 0
                {
                    return Err(Failure::new(
                        Code::Unschedulable,
                        REASON_EXISTING_ANTI_AFFINITY,
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A topology spread constraint, with its selector completed by `matchLabelKeys`.
#[derive(Clone, Debug)]
pub struct SpreadConstraint {
    pub max_skew: i64,
    pub topology_key: String,
    pub selector: Option<LabelSelector>,
    pub min_domains: i64,
    pub honor_node_affinity: bool,
    pub honor_node_taints: bool,
}

/// The constraints of a pod with the given `whenUnsatisfiable`.
pub fn spread_constraints(pod: &Pod, when: &str) -> Vec<SpreadConstraint> {
    let empty = BTreeMap::new();
    let labels = pod.metadata.labels.as_ref().unwrap_or(&empty);
    pod.spec
        .as_ref()
        .and_then(|s| s.topology_spread_constraints.as_ref())
        .into_iter()
        .flatten()
        .filter(|c| c.when_unsatisfiable == when)
        .map(|c| {
            let mut selector = c.label_selector.clone();
            if let Some(sel) = selector.as_mut() {
                for key in c.match_label_keys.iter().flatten() {
                    if let Some(v) = labels.get(key) {
                        sel.match_expressions.get_or_insert_with(Vec::new).push(
                            LabelSelectorRequirement {
                                key: key.clone(),
                                operator: "In".to_owned(),
                                values: Some(vec![v.clone()]),
                            },
                        );
                    }
                }
            }
            SpreadConstraint {
                max_skew: i64::from(c.max_skew),
                topology_key: c.topology_key.clone(),
                selector,
                min_domains: i64::from(c.min_domains.unwrap_or(1)),
                honor_node_affinity: c.node_affinity_policy.as_deref() != Some("Ignore"),
                honor_node_taints: c.node_taints_policy.as_deref() == Some("Honor"),
            }
        })
        .collect()
}

/// Pods on a node in `ns` matching `selector`, not being deleted.
pub fn count_matching(node: &NodeInfo, selector: Option<&LabelSelector>, ns: &str) -> i64 {
    node.pods
        .values()
        .filter(|p| {
            p.pod.metadata.deletion_timestamp.is_none()
                && p.namespace() == ns
                && label_selector_matches(selector, p.labels())
        })
        .count() as i64
}

/// Upstream's PodTopologySpread PreFilter state (DoNotSchedule constraints).
#[derive(Clone, Debug, Default)]
pub struct SpreadState {
    pub constraints: Vec<SpreadConstraint>,
    /// Per constraint: domain value → matching pods.
    pub counts: Vec<HashMap<String, i64>>,
}

impl SpreadState {
    fn compute(ctx: &PodContext, constraints: Vec<SpreadConstraint>, cache: &Cache) -> SpreadState {
        let mut counts = vec![HashMap::new(); constraints.len()];
        for node in cache.nodes() {
            if !constraints
                .iter()
                .all(|c| node.labels.contains_key(&c.topology_key))
            {
                continue;
            }
            for (i, c) in constraints.iter().enumerate() {
                if !ctx.node_included(c, node) {
                    continue;
                }
                let v = node.labels[&c.topology_key].clone();
                *counts[i].entry(v).or_default() +=
                    count_matching(node, c.selector.as_ref(), &ctx.namespace);
            }
        }
        SpreadState {
            constraints,
            counts,
        }
    }

    fn filter(&self, ctx: &PodContext, node: &NodeInfo) -> FilterResult {
        for (i, c) in self.constraints.iter().enumerate() {
            let Some(v) = node.labels.get(&c.topology_key) else {
                return Err(Failure::new(
                    Code::UnschedulableAndUnresolvable,
                    REASON_SPREAD_MISSING_LABEL,
                ));
            };
            let self_match = i64::from(label_selector_matches(c.selector.as_ref(), &ctx.labels));
            let domains = &self.counts[i];
            let mut min = domains
                .values()
                .copied()
                .min()
                .unwrap_or(i64::from(i32::MAX));
            if (domains.len() as i64) < c.min_domains {
                min = 0;
            }
            let here = domains.get(v).copied().unwrap_or(0);
            if here + self_match - min > c.max_skew {
                return Err(Failure::new(Code::Unschedulable, REASON_SPREAD));
            }
        }
        Ok(())
    }
}

/// What the filters and scores need to know about the pod being scheduled, computed once per
/// scheduling cycle.
pub struct PodContext {
    pub pod: std::sync::Arc<Pod>,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub requests: PodRequests,
    pub ports: Vec<HostPort>,
    pub tolerations: Vec<Toleration>,
    pub node_name: Option<String>,
    pub node_selector: BTreeMap<String, String>,
    pub required_node_terms: Option<Vec<NodeSelectorTerm>>,
    pub inter_pod: InterPodState,
    pub spread: SpreadState,
}

impl PodContext {
    pub fn new(pod: std::sync::Arc<Pod>, cache: &Cache, ns_labels: NamespaceLabels) -> PodContext {
        let spec = pod.spec.clone().unwrap_or_default();
        let mut ctx = PodContext {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            labels: pod.metadata.labels.clone().unwrap_or_default(),
            requests: pod_requests(&pod),
            ports: host_ports(&pod),
            tolerations: spec.tolerations.unwrap_or_default(),
            node_name: spec.node_name.filter(|n| !n.is_empty()),
            node_selector: spec.node_selector.unwrap_or_default(),
            required_node_terms: spec
                .affinity
                .and_then(|a| a.node_affinity)
                .and_then(|a| a.required_during_scheduling_ignored_during_execution)
                .map(|s| s.node_selector_terms),
            inter_pod: InterPodState::default(),
            spread: SpreadState::default(),
            pod,
        };
        ctx.inter_pod =
            InterPodState::compute(&ctx.pod, PodAffinityTerms::of(&ctx.pod), cache, ns_labels);
        let constraints = spread_constraints(&ctx.pod, "DoNotSchedule");
        if !constraints.is_empty() {
            ctx.spread = SpreadState::compute(&ctx, constraints, cache);
        }
        ctx
    }

    /// nodeSelector and required node affinity (upstream's `RequiredNodeAffinity.Match`).
    pub fn node_affinity_matches(&self, node: &NodeInfo) -> bool {
        self.node_selector
            .iter()
            .all(|(k, v)| node.labels.get(k) == Some(v))
            && self
                .required_node_terms
                .as_ref()
                .is_none_or(|terms| terms_match(terms, &node.labels, &node.name))
    }

    /// Whether a node counts for a spread constraint (nodeAffinityPolicy, nodeTaintsPolicy).
    pub fn node_included(&self, c: &SpreadConstraint, node: &NodeInfo) -> bool {
        (!c.honor_node_affinity || self.node_affinity_matches(node))
            && (!c.honor_node_taints || untolerated_taint(&self.tolerations, node).is_none())
    }
}

/// NodeUnschedulable.
pub fn node_unschedulable(ctx: &PodContext, node: &NodeInfo) -> FilterResult {
    if !node.unschedulable {
        return Ok(());
    }
    let taint = k8s_openapi::api::core::v1::Taint {
        key: TAINT_UNSCHEDULABLE.to_owned(),
        effect: "NoSchedule".to_owned(),
        ..Default::default()
    };
    if tolerated(&ctx.tolerations, &taint) {
        Ok(())
    } else {
        Err(Failure::new(
            Code::UnschedulableAndUnresolvable,
            REASON_UNSCHEDULABLE,
        ))
    }
}

/// NodeName.
pub fn node_name(ctx: &PodContext, node: &NodeInfo) -> FilterResult {
    match &ctx.node_name {
        Some(name) if *name != node.name => Err(Failure::new(
            Code::UnschedulableAndUnresolvable,
            REASON_NODE_NAME,
        )),
        _ => Ok(()),
    }
}

fn untolerated_taint<'a>(
    tolerations: &[Toleration],
    node: &'a NodeInfo,
) -> Option<&'a k8s_openapi::api::core::v1::Taint> {
    node.taints
        .iter()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .find(|t| !tolerated(tolerations, t))
}

/// TaintToleration: NoSchedule and NoExecute taints must be tolerated.
pub fn taint_toleration(ctx: &PodContext, node: &NodeInfo) -> FilterResult {
    match untolerated_taint(&ctx.tolerations, node) {
        None => Ok(()),
        Some(t) => Err(Failure::new(
            Code::UnschedulableAndUnresolvable,
            format!(
                "node(s) had untolerated taint {{{}: {}}}",
                t.key,
                t.value.as_deref().unwrap_or_default()
            ),
        )),
    }
}

/// NodeAffinity: nodeSelector and required node affinity.
pub fn node_affinity(ctx: &PodContext, node: &NodeInfo) -> FilterResult {
    if ctx.node_affinity_matches(node) {
        Ok(())
    } else {
        Err(Failure::new(
            Code::UnschedulableAndUnresolvable,
            REASON_NODE_AFFINITY,
        ))
    }
}

/// NodePorts.
pub fn node_ports(ctx: &PodContext, node: &NodeInfo) -> FilterResult {
    if ctx.ports.iter().any(|p| node.port_conflicts(p)) {
        Err(Failure::new(Code::Unschedulable, REASON_NODE_PORTS))
    } else {
        Ok(())
    }
}

/// NodeResourcesFit: every requested resource within allocatable minus what is requested
/// already, and room for one more pod. Reports every resource that is short.
pub fn node_resources_fit(ctx: &PodContext, node: &NodeInfo) -> FilterResult {
    let mut reasons = Vec::new();
    if node.pods.len() as i64 + 1 > node.allocatable.allowed_pods {
        reasons.push(REASON_TOO_MANY_PODS.to_owned());
    }
    let want = &ctx.requests.requests;
    if !want.is_zero() {
        for (name, w) in [
            (CPU, want.milli_cpu),
            (MEMORY, want.memory),
            (EPHEMERAL_STORAGE, want.ephemeral_storage),
        ] {
            if w > 0 && w > node.allocatable.get(name) - node.requested.get(name) {
                reasons.push(format!("Insufficient {name}"));
            }
        }
        for (name, &w) in &want.scalar {
            if w > 0 && w > node.allocatable.get(name) - node.requested.get(name) {
                reasons.push(format!("Insufficient {name}"));
            }
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(Failure {
            code: Code::Unschedulable,
            reasons,
        })
    }
}

/// PodTopologySpread (DoNotSchedule constraints).
pub fn pod_topology_spread(ctx: &PodContext, node: &NodeInfo) -> FilterResult {
    if ctx.spread.constraints.is_empty() {
        return Ok(());
    }
    ctx.spread.filter(ctx, node)
}

/// InterPodAffinity.
pub fn inter_pod_affinity(ctx: &PodContext, node: &NodeInfo) -> FilterResult {
    ctx.inter_pod.filter(node)
}

/// Every filter, in upstream's default plugin order, stopping at the first failure.
pub fn run_filters(ctx: &PodContext, node: &NodeInfo) -> FilterResult {
    node_unschedulable(ctx, node)?;
    node_name(ctx, node)?;
    taint_toleration(ctx, node)?;
    node_affinity(ctx, node)?;
    node_ports(ctx, node)?;
    node_resources_fit(ctx, node)?;
    pod_topology_spread(ctx, node)?;
    inter_pod_affinity(ctx, node)
}

/// Pods placed on nodes for tests: `(node labels, pods)`.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use serde_json::{Value, json};
    use std::sync::Arc;

    pub fn node(
        name: &str,
        labels: Value,
        alloc: Value,
        spec: Value,
    ) -> Arc<k8s_openapi::api::core::v1::Node> {
        Arc::new(
            serde_json::from_value(json!({
                "metadata": {"name": name, "labels": labels},
                "spec": spec,
                "status": {"allocatable": alloc, "conditions": [{"type": "Ready", "status": "True"}]}
            }))
            .unwrap(),
        )
    }

    pub fn pod(name: &str, labels: Value, spec: Value) -> Arc<Pod> {
        let mut spec = spec;
        if spec.get("containers").is_none() {
            spec["containers"] = json!([{"name": "c"}]);
        }
        Arc::new(
            serde_json::from_value(json!({
                "metadata": {"name": name, "namespace": "default", "labels": labels},
                "spec": spec
            }))
            .unwrap(),
        )
    }

    pub fn no_ns(_: &str) -> Option<BTreeMap<String, String>> {
        None
    }

    pub fn info<'a>(cache: &'a Cache, name: &str) -> &'a NodeInfo {
        cache.node(name).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use serde_json::{Value, json};

    fn std_alloc() -> Value {
        json!({"cpu": "2", "memory": "4Gi", "pods": "110", "ephemeral-storage": "10Gi"})
    }

    /// One node, some pods on it, one incoming pod: the filter's verdict.
    fn check(
        filter: fn(&PodContext, &NodeInfo) -> FilterResult,
        node_labels: Value,
        node_alloc: Value,
        node_spec: Value,
        existing: &[Value],
        incoming: Value,
    ) -> FilterResult {
        let mut cache = Cache::default();
        cache.apply_node(node("n1", node_labels, node_alloc, node_spec));
        for (i, spec) in existing.iter().enumerate() {
            let mut spec = spec.clone();
            let labels = spec.get("labels").cloned().unwrap_or(json!({}));
            if let Some(o) = spec.as_object_mut() {
                o.remove("labels");
            }
            spec["nodeName"] = json!("n1");
            cache.apply_pod(pod(&format!("e{i}"), labels, spec));
        }
        let labels = incoming.get("labels").cloned().unwrap_or(json!({}));
        let mut incoming = incoming;
        if let Some(o) = incoming.as_object_mut() {
            o.remove("labels");
        }
        let ctx = PodContext::new(pod("incoming", labels, incoming), &cache, &no_ns);
        filter(&ctx, info(&cache, "n1"))
    }

    fn fail(code: Code, reasons: &[&str]) -> FilterResult {
        Err(Failure {
            code,
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
        })
    }

    fn cpu(c: &str) -> Value {
        json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": c}}}]})
    }

    #[test]
    fn node_resources_fit_table() {
        use Code::Unschedulable as U;
        let cases: Vec<(&str, Value, Vec<Value>, Value, FilterResult)> = vec![
            ("fits", std_alloc(), vec![cpu("1")], cpu("1"), Ok(())),
            (
                "cpu short",
                std_alloc(),
                vec![cpu("1500m")],
                cpu("1"),
                fail(U, &["Insufficient cpu"]),
            ),
            (
                "no requests always fit",
                std_alloc(),
                vec![cpu("2")],
                json!({}),
                Ok(()),
            ),
            (
                "memory and cpu short: both reported",
                std_alloc(),
                vec![],
                json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": "3", "memory": "5Gi"}}}]}),
                fail(U, &["Insufficient cpu", "Insufficient memory"]),
            ),
            (
                "ephemeral storage",
                std_alloc(),
                vec![],
                json!({"containers": [{"name": "c", "resources": {"requests": {"ephemeral-storage": "11Gi"}}}]}),
                fail(U, &["Insufficient ephemeral-storage"]),
            ),
            (
                "too many pods",
                json!({"cpu": "2", "memory": "4Gi", "pods": "1"}),
                vec![json!({})],
                json!({}),
                fail(U, &["Too many pods"]),
            ),
            (
                "extended resource missing on node",
                std_alloc(),
                vec![],
                json!({"containers": [{"name": "c", "resources": {"requests": {"example.com/gpu": "1"}}}]}),
                fail(U, &["Insufficient example.com/gpu"]),
            ),
            (
                "extended resource available",
                json!({"cpu": "2", "pods": "10", "example.com/gpu": "2"}),
                vec![
                    json!({"containers": [{"name": "c", "resources": {"requests": {"example.com/gpu": "1"}}}]}),
                ],
                json!({"containers": [{"name": "c", "resources": {"requests": {"example.com/gpu": "1"}}}]}),
                Ok(()),
            ),
            (
                "init container max counts",
                std_alloc(),
                vec![cpu("1")],
                json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": "100m"}}}],
                       "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "1500m"}}}]}),
                fail(U, &["Insufficient cpu"]),
            ),
            (
                "overhead counts",
                std_alloc(),
                vec![cpu("1")],
                json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}],
                       "overhead": {"cpu": "100m"}}),
                fail(U, &["Insufficient cpu"]),
            ),
        ];
        for (name, alloc, existing, incoming, want) in cases {
            assert_eq!(
                check(
                    node_resources_fit,
                    json!({}),
                    alloc,
                    json!({}),
                    &existing,
                    incoming
                ),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn node_name_table() {
        let r = check(
            node_name,
            json!({}),
            std_alloc(),
            json!({}),
            &[],
            json!({"nodeName": "n2"}),
        );
        assert_eq!(
            r,
            fail(Code::UnschedulableAndUnresolvable, &[REASON_NODE_NAME])
        );
        let r = check(
            node_name,
            json!({}),
            std_alloc(),
            json!({}),
            &[],
            json!({"nodeName": "n1"}),
        );
        assert_eq!(r, Ok(()));
        assert_eq!(
            check(node_name, json!({}), std_alloc(), json!({}), &[], json!({})),
            Ok(())
        );
    }

    #[test]
    fn node_unschedulable_table() {
        let spec = json!({"unschedulable": true});
        let cases = vec![
            (json!({}), json!({}), Ok(())),
            (
                spec.clone(),
                json!({}),
                fail(Code::UnschedulableAndUnresolvable, &[REASON_UNSCHEDULABLE]),
            ),
            (
                spec.clone(),
                json!({"tolerations": [{"key": TAINT_UNSCHEDULABLE, "operator": "Exists", "effect": "NoSchedule"}]}),
                Ok(()),
            ),
            (
                spec,
                json!({"tolerations": [{"operator": "Exists"}]}),
                Ok(()),
            ),
        ];
        for (node_spec, incoming, want) in cases {
            let got = check(
                node_unschedulable,
                json!({}),
                std_alloc(),
                node_spec.clone(),
                &[],
                incoming.clone(),
            );
            assert_eq!(got, want, "{node_spec} {incoming}");
        }
    }

    #[test]
    fn taint_toleration_table() {
        use Code::UnschedulableAndUnresolvable as X;
        let taints = |t: Value| json!({"taints": t});
        let cases = vec![
            (
                taints(json!([{"key": "a", "value": "b", "effect": "NoSchedule"}])),
                json!({}),
                fail(X, &["node(s) had untolerated taint {a: b}"]),
            ),
            (
                taints(
                    json!([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]),
                ),
                json!({}),
                fail(
                    X,
                    &["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"],
                ),
            ),
            (
                taints(json!([{"key": "a", "effect": "NoExecute"}])),
                json!({}),
                fail(X, &["node(s) had untolerated taint {a: }"]),
            ),
            (
                taints(json!([{"key": "a", "effect": "PreferNoSchedule"}])),
                json!({}),
                Ok(()),
            ),
            (
                taints(json!([{"key": "a", "value": "b", "effect": "NoSchedule"}])),
                json!({"tolerations": [{"key": "a", "value": "b"}]}),
                Ok(()),
            ),
            (
                taints(
                    json!([{"key": "a", "value": "b", "effect": "NoSchedule"}, {"key": "c", "effect": "NoExecute"}]),
                ),
                json!({"tolerations": [{"key": "a", "operator": "Exists"}]}),
                fail(X, &["node(s) had untolerated taint {c: }"]),
            ),
        ];
        for (spec, incoming, want) in cases {
            let got = check(
                taint_toleration,
                json!({}),
                std_alloc(),
                spec.clone(),
                &[],
                incoming.clone(),
            );
            assert_eq!(got, want, "{spec} {incoming}");
        }
    }

    #[test]
    fn not_ready_nodes_fail_unless_tolerated() {
        let mut cache = Cache::default();
        let n: k8s_openapi::api::core::v1::Node = serde_json::from_value(json!({
            "metadata": {"name": "n1"},
            "status": {"allocatable": std_alloc(), "conditions": [{"type": "Ready", "status": "False"}]}
        }))
        .unwrap();
        cache.apply_node(std::sync::Arc::new(n));
        let ctx = PodContext::new(pod("p", json!({}), json!({})), &cache, &no_ns);
        assert_eq!(
            run_filters(&ctx, info(&cache, "n1")),
            fail(
                Code::UnschedulableAndUnresolvable,
                &["node(s) had untolerated taint {node.kubernetes.io/not-ready: }"]
            )
        );
        let tolerant = pod(
            "p",
            json!({}),
            json!({"tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists"}]}),
        );
        let ctx = PodContext::new(tolerant, &cache, &no_ns);
        assert_eq!(run_filters(&ctx, info(&cache, "n1")), Ok(()));
    }

    #[test]
    fn node_affinity_table() {
        let labels = json!({"zone": "a", "disk": "ssd"});
        let req = |terms: Value| json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}});
        let bad = fail(Code::UnschedulableAndUnresolvable, &[REASON_NODE_AFFINITY]);
        let cases = vec![
            (json!({}), Ok(())),
            (json!({"nodeSelector": {"zone": "a"}}), Ok(())),
            (json!({"nodeSelector": {"zone": "b"}}), bad.clone()),
            (json!({"nodeSelector": {"gpu": "yes"}}), bad.clone()),
            (
                req(
                    json!([{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]),
                ),
                Ok(()),
            ),
            (
                req(
                    json!([{"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}]),
                ),
                bad.clone(),
            ),
            (
                req(json!([
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]},
                    {"matchExpressions": [{"key": "disk", "operator": "Exists"}]}])),
                Ok(()),
            ),
            (
                req(
                    json!([{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]),
                ),
                Ok(()),
            ),
            (
                req(
                    json!([{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}]),
                ),
                bad.clone(),
            ),
            (req(json!([])), bad.clone()),
            // nodeSelector AND affinity.
            (
                {
                    let mut p = req(
                        json!([{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]),
                    );
                    p["nodeSelector"] = json!({"disk": "hdd"});
                    p
                },
                bad,
            ),
        ];
        for (incoming, want) in cases {
            let got = check(
                node_affinity,
                labels.clone(),
                std_alloc(),
                json!({}),
                &[],
                incoming.clone(),
            );
            assert_eq!(got, want, "{incoming}");
        }
    }

    #[test]
    fn node_ports_table() {
        let ports = |p: Value| json!({"containers": [{"name": "c", "ports": p}]});
        let bad = fail(Code::Unschedulable, &[REASON_NODE_PORTS]);
        let cases = vec![
            (
                vec![ports(json!([{"containerPort": 80, "hostPort": 80}]))],
                ports(json!([{"containerPort": 80, "hostPort": 81}])),
                Ok(()),
            ),
            (
                vec![ports(json!([{"containerPort": 80, "hostPort": 80}]))],
                ports(json!([{"containerPort": 80, "hostPort": 80}])),
                bad.clone(),
            ),
            (
                vec![ports(json!([{"containerPort": 80, "hostPort": 80}]))],
                ports(json!([{"containerPort": 80, "hostPort": 80, "protocol": "UDP"}])),
                Ok(()),
            ),
            (
                vec![ports(
                    json!([{"containerPort": 80, "hostPort": 80, "hostIP": "10.0.0.1"}]),
                )],
                ports(json!([{"containerPort": 80, "hostPort": 80, "hostIP": "10.0.0.2"}])),
                Ok(()),
            ),
            (
                vec![ports(
                    json!([{"containerPort": 80, "hostPort": 80, "hostIP": "10.0.0.1"}]),
                )],
                ports(json!([{"containerPort": 80, "hostPort": 80}])),
                bad,
            ),
            (
                vec![ports(json!([{"containerPort": 80}]))],
                ports(json!([{"containerPort": 80}])),
                Ok(()),
            ),
        ];
        for (existing, incoming, want) in cases {
            let got = check(
                node_ports,
                json!({}),
                std_alloc(),
                json!({}),
                &existing,
                incoming.clone(),
            );
            assert_eq!(got, want, "{incoming}");
        }
    }

    fn with_labels(labels: Value, mut spec: Value) -> Value {
        spec["labels"] = labels;
        spec
    }

    #[test]
    fn inter_pod_affinity_table() {
        let aff = |kind: &str, sel: Value, key: &str| {
            json!({"affinity": {kind: {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": sel}, "topologyKey": key}]}}})
        };
        let node_labels = json!({"kubernetes.io/hostname": "n1", "zone": "a"});
        use Code::{Unschedulable as U, UnschedulableAndUnresolvable as X};
        let cases: Vec<(&str, Vec<Value>, Value, FilterResult)> = vec![
            (
                "affinity satisfied",
                vec![with_labels(json!({"app": "db"}), json!({}))],
                aff("podAffinity", json!({"app": "db"}), "zone"),
                Ok(()),
            ),
            (
                "affinity: no matching pod here (but elsewhere would be needed)",
                vec![with_labels(json!({"app": "web"}), json!({}))],
                aff("podAffinity", json!({"app": "db"}), "zone"),
                fail(X, &[REASON_POD_AFFINITY]),
            ),
            (
                "affinity: first pod of a self-affine group",
                vec![],
                with_labels(
                    json!({"app": "db"}),
                    aff("podAffinity", json!({"app": "db"}), "zone"),
                ),
                Ok(()),
            ),
            (
                "affinity: node lacks the topology key",
                vec![with_labels(json!({"app": "db"}), json!({}))],
                aff("podAffinity", json!({"app": "db"}), "rack"),
                fail(X, &[REASON_POD_AFFINITY]),
            ),
            (
                "anti-affinity violated",
                vec![with_labels(json!({"app": "db"}), json!({}))],
                aff(
                    "podAntiAffinity",
                    json!({"app": "db"}),
                    "kubernetes.io/hostname",
                ),
                fail(U, &[REASON_POD_ANTI_AFFINITY]),
            ),
            (
                "anti-affinity: other namespace does not count",
                vec![],
                aff(
                    "podAntiAffinity",
                    json!({"app": "db"}),
                    "kubernetes.io/hostname",
                ),
                Ok(()),
            ),
            (
                "existing pod's anti-affinity repels the incoming pod",
                vec![with_labels(
                    json!({"app": "x"}),
                    aff("podAntiAffinity", json!({"app": "web"}), "zone"),
                )],
                with_labels(json!({"app": "web"}), json!({})),
                fail(U, &[REASON_EXISTING_ANTI_AFFINITY]),
            ),
            (
                "existing pod's anti-affinity does not match",
                vec![with_labels(
                    json!({"app": "x"}),
                    aff("podAntiAffinity", json!({"app": "web"}), "zone"),
                )],
                with_labels(json!({"app": "api"}), json!({})),
                Ok(()),
            ),
        ];
        for (name, existing, incoming, want) in cases {
            let got = check(
                inter_pod_affinity,
                node_labels.clone(),
                std_alloc(),
                json!({}),
                &existing,
                incoming,
            );
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn inter_pod_affinity_across_nodes_and_namespaces() {
        let mut cache = Cache::default();
        cache.apply_node(node("n1", json!({"zone": "a"}), std_alloc(), json!({})));
        cache.apply_node(node("n2", json!({"zone": "a"}), std_alloc(), json!({})));
        cache.apply_node(node("n3", json!({"zone": "b"}), std_alloc(), json!({})));
        // A db pod on n2 (zone a), and one in namespace "other" on n3.
        cache.apply_pod(pod("db", json!({"app": "db"}), json!({"nodeName": "n2"})));
        let other: Pod = serde_json::from_value(json!({
            "metadata": {"name": "db2", "namespace": "other", "labels": {"app": "db"}},
            "spec": {"nodeName": "n3", "containers": [{"name": "c"}]}}))
        .unwrap();
        cache.apply_pod(std::sync::Arc::new(other));
        let incoming = pod(
            "web",
            json!({}),
            json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "zone"}]}}}),
        );
        let ctx = PodContext::new(incoming, &cache, &no_ns);
        assert_eq!(
            inter_pod_affinity(&ctx, info(&cache, "n1")),
            Ok(()),
            "same zone as db"
        );
        assert!(
            inter_pod_affinity(&ctx, info(&cache, "n3")).is_err(),
            "db in zone b is in another namespace"
        );
        // With a namespace selector matching "other", zone b qualifies too.
        let incoming = pod(
            "web",
            json!({}),
            json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "zone",
             "namespaceSelector": {"matchLabels": {"team": "x"}}}]}}}),
        );
        let ns_labels = |ns: &str| {
            (ns == "other").then(|| BTreeMap::from([("team".to_owned(), "x".to_owned())]))
        };
        let ctx = PodContext::new(incoming, &cache, &ns_labels);
        assert_eq!(inter_pod_affinity(&ctx, info(&cache, "n3")), Ok(()));
        assert!(
            inter_pod_affinity(&ctx, info(&cache, "n1")).is_err(),
            "namespaceSelector alone excludes the pod's own namespace"
        );
    }

    fn no_gpu() -> Value {
        json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}]}]}}})
    }

    #[test]
    fn pod_topology_spread_table() {
        let mut cache = Cache::default();
        cache.apply_node(node("a1", json!({"zone": "a"}), std_alloc(), json!({})));
        cache.apply_node(node("a2", json!({"zone": "a"}), std_alloc(), json!({})));
        cache.apply_node(node("b1", json!({"zone": "b"}), std_alloc(), json!({})));
        cache.apply_node(node(
            "c1",
            json!({"zone": "c", "gpu": "yes"}),
            std_alloc(),
            json!({}),
        ));
        cache.apply_node(node("x1", json!({}), std_alloc(), json!({})));
        for (i, n) in ["a1", "a2", "b1"].iter().enumerate() {
            cache.apply_pod(pod(
                &format!("w{i}"),
                json!({"app": "web"}),
                json!({"nodeName": n}),
            ));
        }
        let spread = |extra: Value| {
            let mut c = json!({"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                               "labelSelector": {"matchLabels": {"app": "web"}}});
            for (k, v) in extra.as_object().unwrap() {
                c[k] = v.clone();
            }
            json!({"topologySpreadConstraints": [c]})
        };
        use Code::{Unschedulable as U, UnschedulableAndUnresolvable as X};
        // zone a: 2, b: 1, c: 0.
        let cases: Vec<(&str, Value, Value, &str, FilterResult)> = vec![
            (
                "emptiest zone",
                json!({"app": "web"}),
                spread(json!({})),
                "c1",
                Ok(()),
            ),
            (
                "skew 3 > 1",
                json!({"app": "web"}),
                spread(json!({})),
                "a1",
                fail(U, &[REASON_SPREAD]),
            ),
            (
                "skew 2 > 1",
                json!({"app": "web"}),
                spread(json!({})),
                "b1",
                fail(U, &[REASON_SPREAD]),
            ),
            (
                "maxSkew 2",
                json!({"app": "web"}),
                spread(json!({"maxSkew": 2})),
                "b1",
                Ok(()),
            ),
            (
                "missing label",
                json!({"app": "web"}),
                spread(json!({})),
                "x1",
                fail(X, &[REASON_SPREAD_MISSING_LABEL]),
            ),
            (
                "pod not matching itself",
                json!({"app": "other"}),
                spread(json!({"maxSkew": 2})),
                "a1",
                Ok(()),
            ),
            // Honouring node affinity leaves zone c out: the minimum becomes 1.
            (
                "nodeAffinityPolicy Honor excludes domains",
                json!({"app": "web"}),
                {
                    let mut s = spread(json!({}));
                    s["affinity"] = no_gpu();
                    s
                },
                "b1",
                Ok(()),
            ),
            (
                "nodeAffinityPolicy Ignore keeps them",
                json!({"app": "web"}),
                {
                    let mut s = spread(json!({"nodeAffinityPolicy": "Ignore"}));
                    s["affinity"] = no_gpu();
                    s
                },
                "b1",
                fail(U, &[REASON_SPREAD]),
            ),
            (
                "minDomains above the domain count makes the minimum 0",
                json!({"app": "web"}),
                {
                    let mut s = spread(json!({"minDomains": 5, "maxSkew": 2}));
                    s["affinity"] = no_gpu();
                    s
                },
                "a1",
                fail(U, &[REASON_SPREAD]),
            ),
            (
                "ScheduleAnyway does not filter",
                json!({"app": "web"}),
                spread(json!({"whenUnsatisfiable": "ScheduleAnyway"})),
                "a1",
                Ok(()),
            ),
        ];
        for (name, labels, spec, target, want) in cases {
            let ctx = PodContext::new(pod("p", labels, spec), &cache, &no_ns);
            assert_eq!(
                pod_topology_spread(&ctx, info(&cache, target)),
                want,
                "{name}"
            );
        }
    }
}

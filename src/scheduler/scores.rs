//! Scores: how much a feasible node suits a pod, with upstream's default plugins, weights and
//! normalisation; the best node wins, ties broken at random.

use std::collections::HashMap;

use super::filters::{
    NamespaceLabels, PodAffinityTerms, PodContext, count_matching, spread_constraints,
};
use super::selectors::{term_matches, tolerated};
use super::snapshot::{Cache, NodeInfo};

pub const MAX_NODE_SCORE: i64 = 100;
const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// InterPodAffinity's `hardPodAffinityWeight` default.
const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

/// Default plugin weights (upstream's `getDefaultPlugins`).
const WEIGHT_TAINT_TOLERATION: i64 = 3;
const WEIGHT_NODE_AFFINITY: i64 = 2;
const WEIGHT_RESOURCES_FIT: i64 = 1;
const WEIGHT_BALANCED_ALLOCATION: i64 = 1;
const WEIGHT_POD_TOPOLOGY_SPREAD: i64 = 2;
const WEIGHT_INTER_POD_AFFINITY: i64 = 2;

/// NodeResourcesFit with the LeastAllocated strategy (cpu and memory, weight 1 each), using
/// requests with defaults for containers that request nothing.
pub fn least_allocated(ctx: &PodContext, node: &NodeInfo) -> i64 {
    let pairs = [
        (
            node.allocatable.milli_cpu,
            node.non_zero_cpu + ctx.requests.non_zero_cpu,
        ),
        (
            node.allocatable.memory,
            node.non_zero_memory + ctx.requests.non_zero_memory,
        ),
    ];
    let (mut score, mut weights) = (0, 0);
    for (alloc, req) in pairs {
        if alloc == 0 {
            continue;
        }
        score += if req > alloc {
            0
        } else {
            (alloc - req) * MAX_NODE_SCORE / alloc
        };
        weights += 1;
    }
    if weights == 0 { 0 } else { score / weights }
}

/// NodeResourcesBalancedAllocation: 100 × (1 − the spread of the cpu and memory fractions),
/// on actual requests; best-effort pods are not scored.
pub fn balanced_allocation(ctx: &PodContext, node: &NodeInfo) -> i64 {
    let want = &ctx.requests.requests;
    if want.milli_cpu == 0 && want.memory == 0 {
        return 0;
    }
    let pairs = [
        (
            node.allocatable.milli_cpu,
            node.requested.milli_cpu + want.milli_cpu,
        ),
        (node.allocatable.memory, node.requested.memory + want.memory),
    ];
    let fractions: Vec<f64> = pairs
        .iter()
        .filter(|(alloc, _)| *alloc != 0)
        .map(|&(alloc, req)| (req as f64 / alloc as f64).min(1.0))
        .collect();
    let std = if fractions.len() == 2 {
        ((fractions[0] - fractions[1]) / 2.0).abs()
    } else {
        0.0
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

/// NodeAffinity: the summed weights of the matching preferred terms (before normalisation).
pub fn node_affinity_raw(ctx: &PodContext, node: &NodeInfo) -> i64 {
    let Some(prefs) = ctx
        .pod
        .spec
        .as_ref()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_ref()
        })
    else {
        return 0;
    };
    prefs
        .iter()
        .filter(|p| p.weight != 0 && term_matches(&p.preference, &node.labels, &node.name))
        .map(|p| i64::from(p.weight))
        .sum()
}

/// TaintToleration: how many PreferNoSchedule taints are not tolerated (before normalisation).
pub fn taint_toleration_raw(ctx: &PodContext, node: &NodeInfo) -> i64 {
    let tolerations: Vec<_> = ctx
        .tolerations
        .iter()
        .filter(|t| {
            t.effect
                .as_deref()
                .is_none_or(|e| e.is_empty() || e == "PreferNoSchedule")
        })
        .cloned()
        .collect();
    node.taints
        .iter()
        .filter(|t| t.effect == "PreferNoSchedule" && !tolerated(&tolerations, t))
        .count() as i64
}

/// Upstream's `DefaultNormalizeScore`: scale to 0..=100 by the maximum, optionally reversed.
pub fn default_normalize(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = MAX_NODE_SCORE);
        }
        return;
    }
    for s in scores {
        *s = MAX_NODE_SCORE * *s / max;
        if reverse {
            *s = MAX_NODE_SCORE - *s;
        }
    }
}

/// InterPodAffinity scores: preferred (anti-)affinity of the incoming pod towards existing pods,
/// and existing pods' required and preferred terms towards it; min-max normalised.
pub fn inter_pod_affinity(
    ctx: &PodContext,
    cache: &Cache,
    nodes: &[&NodeInfo],
    ns_labels: NamespaceLabels,
) -> Vec<i64> {
    let terms = &ctx.inter_pod.terms;
    let has_constraints =
        !terms.preferred_affinity.is_empty() || !terms.preferred_anti_affinity.is_empty();
    let mut scores = vec![0; nodes.len()];
    if !has_constraints && cache.nodes().all(|n| n.pods_with_affinity == 0) {
        return scores;
    }
    let mut topology: HashMap<(&str, &str), i64> = HashMap::new();
    fn bump<'a>(
        topology: &mut HashMap<(&'a str, &'a str), i64>,
        labels: &'a std::collections::BTreeMap<String, String>,
        key: &str,
        by: i64,
    ) {
        if let Some((k, v)) = labels.get_key_value(key) {
            *topology.entry((k.as_str(), v.as_str())).or_default() += by;
        }
    }
    for node in cache.nodes() {
        if node.labels.is_empty() || (!has_constraints && node.pods_with_affinity == 0) {
            continue;
        }
        for p in node.pods.values() {
            if has_constraints {
                let (ns, labels) = (p.namespace(), p.labels());
                for t in &terms.preferred_affinity {
                    if t.matches(ns, labels, ns_labels) {
                        bump(
                            &mut topology,
                            &node.labels,
                            &t.topology_key,
                            i64::from(t.weight),
                        );
                    }
                }
                for t in &terms.preferred_anti_affinity {
                    if t.matches(ns, labels, ns_labels) {
                        bump(
                            &mut topology,
                            &node.labels,
                            &t.topology_key,
                            -i64::from(t.weight),
                        );
                    }
                }
            }
            if p.any_affinity {
                let theirs = PodAffinityTerms::of(&p.pod);
                for t in &theirs.required_affinity {
                    if t.matches(&ctx.namespace, &ctx.labels, ns_labels) {
                        bump(
                            &mut topology,
                            &node.labels,
                            &t.topology_key,
                            HARD_POD_AFFINITY_WEIGHT,
                        );
                    }
                }
                for t in &theirs.preferred_affinity {
                    if t.matches(&ctx.namespace, &ctx.labels, ns_labels) {
                        bump(
                            &mut topology,
                            &node.labels,
                            &t.topology_key,
                            i64::from(t.weight),
                        );
                    }
                }
                for t in &theirs.preferred_anti_affinity {
                    if t.matches(&ctx.namespace, &ctx.labels, ns_labels) {
                        bump(
                            &mut topology,
                            &node.labels,
                            &t.topology_key,
                            -i64::from(t.weight),
                        );
                    }
                }
            }
        }
    }
    if topology.is_empty() {
        return scores;
    }
    for (i, node) in nodes.iter().enumerate() {
        scores[i] = topology
            .iter()
            .filter(|((k, v), _)| node.labels.get(*k).is_some_and(|x| x == v))
            .map(|(_, s)| *s)
            .sum();
    }
    let min = scores.iter().copied().min().unwrap_or(0);
    let max = scores.iter().copied().max().unwrap_or(0);
    for s in &mut scores {
        *s = if max > min {
            (MAX_NODE_SCORE as f64 * ((*s - min) as f64 / (max - min) as f64)) as i64
        } else {
            0
        };
    }
    scores
}

/// PodTopologySpread scores (ScheduleAnyway constraints): fewer matching pods in the node's
/// domains is better; nodes lacking a topology key score 0.
pub fn pod_topology_spread(ctx: &PodContext, cache: &Cache, nodes: &[&NodeInfo]) -> Vec<i64> {
    let constraints = spread_constraints(&ctx.pod, "ScheduleAnyway");
    let mut scores = vec![0; nodes.len()];
    if constraints.is_empty() {
        return scores;
    }
    let has_all = |n: &NodeInfo| {
        constraints
            .iter()
            .all(|c| n.labels.contains_key(&c.topology_key))
    };
    let ignored: Vec<bool> = nodes.iter().map(|n| !has_all(n)).collect();
    let considered = ignored.iter().filter(|i| !**i).count();
    // Domains of the feasible nodes, then the matching pods in them across all nodes.
    let mut counts: Vec<HashMap<&str, i64>> = vec![HashMap::new(); constraints.len()];
    let mut weights = vec![0.0; constraints.len()];
    for (i, c) in constraints.iter().enumerate() {
        if c.topology_key == LABEL_HOSTNAME {
            weights[i] = ((considered + 2) as f64).ln();
            continue;
        }
        for (n, node) in nodes.iter().enumerate() {
            if !ignored[n] {
                counts[i]
                    .entry(node.labels[&c.topology_key].as_str())
                    .or_insert(0);
            }
        }
        weights[i] = ((counts[i].len() + 2) as f64).ln();
    }
    for node in cache.nodes() {
        if !has_all(node) {
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            if c.topology_key == LABEL_HOSTNAME || !ctx.node_included(c, node) {
                continue;
            }
            if let Some(count) = counts[i].get_mut(node.labels[&c.topology_key].as_str()) {
                *count += count_matching(node, c.selector.as_ref(), &ctx.namespace);
            }
        }
    }
    let (mut min, mut max) = (i64::MAX, 0);
    for (n, node) in nodes.iter().enumerate() {
        if ignored[n] {
            continue;
        }
        let mut score = 0.0;
        for (i, c) in constraints.iter().enumerate() {
            let count = if c.topology_key == LABEL_HOSTNAME {
                count_matching(node, c.selector.as_ref(), &ctx.namespace)
            } else {
                counts[i]
                    .get(node.labels[&c.topology_key].as_str())
                    .copied()
                    .unwrap_or(0)
            };
            score += count as f64 * weights[i] + (c.max_skew - 1) as f64;
        }
        scores[n] = score.round() as i64;
        min = min.min(scores[n]);
        max = max.max(scores[n]);
    }
    for (n, s) in scores.iter_mut().enumerate() {
        *s = if ignored[n] {
            0
        } else if max == 0 {
            MAX_NODE_SCORE
        } else {
            MAX_NODE_SCORE * (max + min - *s) / max
        };
    }
    scores
}

/// The weighted total score of every feasible node.
pub fn score_nodes(
    ctx: &PodContext,
    cache: &Cache,
    nodes: &[&NodeInfo],
    ns_labels: NamespaceLabels,
) -> Vec<i64> {
    let mut affinity: Vec<i64> = nodes.iter().map(|n| node_affinity_raw(ctx, n)).collect();
    default_normalize(&mut affinity, false);
    let mut taints: Vec<i64> = nodes.iter().map(|n| taint_toleration_raw(ctx, n)).collect();
    default_normalize(&mut taints, true);
    let inter_pod = inter_pod_affinity(ctx, cache, nodes, ns_labels);
    let spread = pod_topology_spread(ctx, cache, nodes);
    nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            least_allocated(ctx, n) * WEIGHT_RESOURCES_FIT
                + balanced_allocation(ctx, n) * WEIGHT_BALANCED_ALLOCATION
                + affinity[i] * WEIGHT_NODE_AFFINITY
                + taints[i] * WEIGHT_TAINT_TOLERATION
                + inter_pod[i] * WEIGHT_INTER_POD_AFFINITY
                + spread[i] * WEIGHT_POD_TOPOLOGY_SPREAD
        })
        .collect()
}

/// The index of a highest score, uniformly at random among ties (upstream's `selectHost`
/// reservoir sampling).
pub fn select_host(scores: &[i64], mut rand_below: impl FnMut(usize) -> usize) -> Option<usize> {
    let mut best: Option<(usize, i64)> = None;
    let mut ties = 0;
    for (i, &s) in scores.iter().enumerate() {
        match best {
            Some((_, b)) if s < b => {}
            Some((_, b)) if s == b => {
                ties += 1;
                if rand_below(ties) == 0 {
                    best = Some((i, s));
                }
            }
            _ => {
                best = Some((i, s));
                ties = 1;
            }
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::super::filters::fixtures::*;
    use super::*;
    use serde_json::{Value, json};

    fn cache_with(nodes: &[(&str, Value, Value, Value)], pods: &[(&str, Value, Value)]) -> Cache {
        let mut c = Cache::default();
        for (name, labels, alloc, spec) in nodes {
            c.apply_node(node(name, labels.clone(), alloc.clone(), spec.clone()));
        }
        for (name, labels, spec) in pods {
            c.apply_pod(pod(name, labels.clone(), spec.clone()));
        }
        c
    }

    fn alloc(cpu: &str, mem: &str) -> Value {
        json!({"cpu": cpu, "memory": mem, "pods": "110"})
    }

    fn req(cpu: &str, mem: &str) -> Value {
        json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu, "memory": mem}}}]})
    }

    fn on(node: &str, mut spec: Value) -> Value {
        spec["nodeName"] = json!(node);
        spec
    }

    #[test]
    fn least_allocated_and_balanced_table() {
        // (node allocatable, existing requests, incoming requests) → (least, balanced)
        let cases: Vec<(Value, Option<Value>, Value, i64, i64)> = vec![
            // Upstream's example: 4000m/10000 and (3000+0)/… — here simple halves.
            (alloc("4", "8Gi"), None, req("2", "4Gi"), 50, 100),
            (
                alloc("4", "8Gi"),
                Some(req("1", "1Gi")),
                req("1", "1Gi"),
                (50 + 75) / 2,
                87,
            ),
            (alloc("4", "8Gi"), None, req("8", "1Gi"), (0 + 87) / 2, 56),
            // Best-effort pod: scoring defaults (100m, 200Mi) for LeastAllocated, Balanced skips.
            (alloc("1", "1000Mi"), None, json!({}), (90 + 80) / 2, 0),
        ];
        for (a, existing, incoming, least, balanced) in cases {
            let pods: Vec<(&str, Value, Value)> = existing
                .iter()
                .map(|e| ("e", json!({}), on("n1", e.clone())))
                .collect();
            let c = cache_with(&[("n1", json!({}), a.clone(), json!({}))], &pods);
            let ctx = PodContext::new(pod("p", json!({}), incoming.clone()), &c, &no_ns);
            let n = info(&c, "n1");
            assert_eq!(least_allocated(&ctx, n), least, "least {a} {incoming}");
            assert_eq!(
                balanced_allocation(&ctx, n),
                balanced,
                "balanced {a} {incoming}"
            );
        }
    }

    #[test]
    fn normalisation() {
        let mut s = vec![0, 5, 10];
        default_normalize(&mut s, false);
        assert_eq!(s, [0, 50, 100]);
        let mut s = vec![0, 1, 2];
        default_normalize(&mut s, true);
        assert_eq!(s, [100, 50, 0]);
        let mut s = vec![0, 0];
        default_normalize(&mut s, true);
        assert_eq!(s, [100, 100]);
        let mut s = vec![0, 0];
        default_normalize(&mut s, false);
        assert_eq!(s, [0, 0]);
    }

    #[test]
    fn node_affinity_and_taint_scores() {
        let c = cache_with(
            &[
                (
                    "a",
                    json!({"zone": "a", "ssd": "yes"}),
                    alloc("4", "8Gi"),
                    json!({}),
                ),
                (
                    "b",
                    json!({"zone": "b"}),
                    alloc("4", "8Gi"),
                    json!({"taints": [{"key": "k", "effect": "PreferNoSchedule"}]}),
                ),
                (
                    "c",
                    json!({"zone": "c"}),
                    alloc("4", "8Gi"),
                    json!({"taints": [
                    {"key": "k", "effect": "PreferNoSchedule"}, {"key": "j", "effect": "PreferNoSchedule"}]}),
                ),
            ],
            &[],
        );
        let p = pod(
            "p",
            json!({}),
            json!({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 10, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}},
            {"weight": 30, "preference": {"matchExpressions": [{"key": "ssd", "operator": "Exists"}]}}]}},
            "tolerations": [{"key": "j", "operator": "Exists", "effect": "NoSchedule"}]}),
        );
        let ctx = PodContext::new(p, &c, &no_ns);
        let nodes = [info(&c, "a"), info(&c, "b"), info(&c, "c")];
        let mut aff: Vec<i64> = nodes.iter().map(|n| node_affinity_raw(&ctx, n)).collect();
        assert_eq!(aff, [40, 10, 0]);
        default_normalize(&mut aff, false);
        assert_eq!(aff, [100, 25, 0]);
        // The NoSchedule toleration does not cover PreferNoSchedule taints.
        let mut t: Vec<i64> = nodes
            .iter()
            .map(|n| taint_toleration_raw(&ctx, n))
            .collect();
        assert_eq!(t, [0, 1, 2]);
        default_normalize(&mut t, true);
        assert_eq!(t, [100, 50, 0]);
        let totals = score_nodes(&ctx, &c, &nodes, &no_ns);
        assert!(totals[0] > totals[1] && totals[1] > totals[2], "{totals:?}");
    }

    #[test]
    fn inter_pod_affinity_scores() {
        let nodes = [
            ("a", json!({"zone": "a"}), alloc("4", "8Gi"), json!({})),
            ("b", json!({"zone": "b"}), alloc("4", "8Gi"), json!({})),
            ("c", json!({"zone": "c"}), alloc("4", "8Gi"), json!({})),
        ];
        let pods = [
            ("db", json!({"app": "db"}), on("a", json!({}))),
            ("cache", json!({"app": "cache"}), on("b", json!({}))),
        ];
        let c = cache_with(&nodes, &pods);
        let p = pod(
            "p",
            json!({}),
            json!({"affinity": {
            "podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 50, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "zone"}}]},
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 50, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "zone"}}]}}}),
        );
        let ctx = PodContext::new(p, &c, &no_ns);
        let ns = [info(&c, "a"), info(&c, "b"), info(&c, "c")];
        // raw: a 50, b -50, c 0 → min-max.
        assert_eq!(inter_pod_affinity(&ctx, &c, &ns, &no_ns), [100, 0, 50]);

        // Existing pods' terms attract / repel the incoming pod.
        let pods = [
            (
                "x",
                json!({}),
                on(
                    "a",
                    json!({"affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 10, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "zone"}}]}}}),
                ),
            ),
            (
                "y",
                json!({}),
                on(
                    "b",
                    json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "zone"}]}}}),
                ),
            ),
        ];
        let c = cache_with(&nodes, &pods);
        let ctx = PodContext::new(pod("w", json!({"app": "web"}), json!({})), &c, &no_ns);
        let ns = [info(&c, "a"), info(&c, "b"), info(&c, "c")];
        // raw: a -10, b +1 (hard weight), c 0.
        assert_eq!(inter_pod_affinity(&ctx, &c, &ns, &no_ns), [0, 100, 90]);
        let ctx = PodContext::new(pod("w", json!({"app": "api"}), json!({})), &c, &no_ns);
        assert_eq!(inter_pod_affinity(&ctx, &c, &ns, &no_ns), [0, 0, 0]);
    }

    #[test]
    fn pod_topology_spread_scores() {
        let nodes = [
            (
                "a1",
                json!({"zone": "a", "kubernetes.io/hostname": "a1"}),
                alloc("4", "8Gi"),
                json!({}),
            ),
            (
                "a2",
                json!({"zone": "a", "kubernetes.io/hostname": "a2"}),
                alloc("4", "8Gi"),
                json!({}),
            ),
            (
                "b1",
                json!({"zone": "b", "kubernetes.io/hostname": "b1"}),
                alloc("4", "8Gi"),
                json!({}),
            ),
            ("x", json!({}), alloc("4", "8Gi"), json!({})),
        ];
        let pods = [
            ("w1", json!({"app": "web"}), on("a1", json!({}))),
            ("w2", json!({"app": "web"}), on("a1", json!({}))),
            ("w3", json!({"app": "web"}), on("b1", json!({}))),
        ];
        let c = cache_with(&nodes, &pods);
        let spread = |key: &str| {
            json!({"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchLabels": {"app": "web"}}}]})
        };
        let ns = [
            info(&c, "a1"),
            info(&c, "a2"),
            info(&c, "b1"),
            info(&c, "x"),
        ];
        // Zones: a has 2, b has 1; weight ln(2+2). Raw a = round(2·1.386) = 3, b = round(1.386) = 1.
        // Normalised: 100·(3+1−s)/3 → a: 33, b: 100; x lacks the key: 0.
        let ctx = PodContext::new(pod("p", json!({"app": "web"}), spread("zone")), &c, &no_ns);
        assert_eq!(pod_topology_spread(&ctx, &c, &ns), [33, 33, 100, 0]);
        // Hostname: a1 2, a2 0, b1 1; weight ln(3+2)=1.609 → raw 3, 0, 2 → 100·(3+0−s)/3.
        let ctx = PodContext::new(
            pod("p", json!({"app": "web"}), spread("kubernetes.io/hostname")),
            &c,
            &no_ns,
        );
        assert_eq!(pod_topology_spread(&ctx, &c, &ns), [0, 100, 33, 0]);
        // No constraints: nothing.
        let ctx = PodContext::new(pod("p", json!({}), json!({})), &c, &no_ns);
        assert_eq!(pod_topology_spread(&ctx, &c, &ns), [0, 0, 0, 0]);
    }

    #[test]
    fn select_host_breaks_ties_at_random() {
        assert_eq!(select_host(&[], |_| 0), None);
        assert_eq!(select_host(&[1, 5, 3], |_| 0), Some(1));
        let mut seen = std::collections::HashSet::new();
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..200 {
            seen.insert(select_host(&[5, 1, 5, 5], |n| rng.usize(..n)).unwrap());
        }
        assert_eq!(seen, [0, 2, 3].into_iter().collect());
    }
}

//! The DaemonSet controller (upstream `pkg/controller/daemon`): one pod per eligible node,
//! placed by the default scheduler through a required node affinity on `metadata.name`, with
//! RollingUpdate (maxUnavailable / maxSurge) or OnDelete updates and a ControllerRevision
//! history.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use crate::controllers::cached::Pod;
use futures::StreamExt;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodSpec,
    Taint, Toleration,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::EventType;

use crate::controllers::events::Recorder;
use kube::runtime::reflector::{ObjectRef, Store};
use serde_json::json;

use super::Context;
use super::history::{self, REVISION_HASH_LABEL};
use super::podutil::{self, record};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot create pod for node {node}")]
    CreatePod {
        node: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot delete pod {name}")]
    DeletePod {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot update status")]
    Status(#[source] kube::Error),
    #[error(transparent)]
    History(#[from] history::Error),
}

struct Ctx {
    ctx: Context,
    pods: Store<Pod>,
    nodes: Store<Node>,
    revisions: Store<ControllerRevision>,
    sets: Store<DaemonSet>,
    recorder: Recorder,
}

pub async fn run(ctx: Context) {
    let sets = ctx.informers.get::<DaemonSet>();
    let pods = ctx.informers.get::<Pod>();
    let nodes = ctx.informers.get::<Node>();
    let revisions = ctx.informers.get::<ControllerRevision>();
    let ready = ctx.informers.wait_synced();
    let shutdown = ctx.shutdown.clone();
    let trigger = shutdown.clone();
    let state = Arc::new(Ctx {
        recorder: ctx.recorder("daemonset-controller"),
        pods: pods.store(),
        nodes: nodes.store(),
        revisions: revisions.store(),
        sets: sets.store(),
        ctx,
    });
    // Any node change may change where every DaemonSet should run.
    let all_sets = sets.store();
    let run = Controller::for_stream(sets.trigger_stream(), sets.store())
        .owns_stream(pods.trigger_stream())
        .owns_stream(revisions.trigger_stream())
        .watches_stream(nodes.trigger_stream(), move |_node: Node| {
            all_sets
                .state()
                .into_iter()
                .map(|s| ObjectRef::from_obj(s.as_ref()))
                .collect::<Vec<_>>()
        })
        .graceful_shutdown_on(async move { trigger.cancelled().await })
        .run(reconcile, error_policy, state)
        .for_each(|_| async {});
    super::until_shutdown(run, ready, shutdown).await;
}

fn error_policy(set: Arc<DaemonSet>, err: &Error, _: Arc<Ctx>) -> Action {
    tracing::warn!(daemonset = %set.name_any(), error = %err, "daemonset sync failed; retrying");
    Action::requeue(Duration::from_secs(2))
}

/// Upstream's `AddOrUpdateDaemonPodTolerations`.
pub fn add_daemon_tolerations(spec: &mut PodSpec) {
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    let mut add = |key: &str, effect: &str| {
        if tolerations.iter().any(|t| {
            t.key.as_deref() == Some(key)
                && t.effect.as_deref() == Some(effect)
                && t.operator.as_deref() == Some("Exists")
        }) {
            return;
        }
        tolerations.push(Toleration {
            key: Some(key.into()),
            operator: Some("Exists".into()),
            effect: Some(effect.into()),
            ..Default::default()
        });
    };
    add("node.kubernetes.io/not-ready", "NoExecute");
    add("node.kubernetes.io/unreachable", "NoExecute");
    add("node.kubernetes.io/disk-pressure", "NoSchedule");
    add("node.kubernetes.io/memory-pressure", "NoSchedule");
    add("node.kubernetes.io/pid-pressure", "NoSchedule");
    add("node.kubernetes.io/unschedulable", "NoSchedule");
    if spec.host_network == Some(true) {
        add("node.kubernetes.io/network-unavailable", "NoSchedule");
    }
}

/// Upstream's `ReplaceDaemonSetPodNodeNameNodeAffinity`: the pod may only land on `node`.
pub fn pin_to_node(spec: &mut PodSpec, node: &str) {
    let field = NodeSelectorRequirement {
        key: "metadata.name".into(),
        operator: "In".into(),
        values: Some(vec![node.into()]),
    };
    let affinity = spec.affinity.get_or_insert_with(Affinity::default);
    let node_affinity = affinity
        .node_affinity
        .get_or_insert_with(NodeAffinity::default);
    let required = node_affinity
        .required_during_scheduling_ignored_during_execution
        .get_or_insert_with(NodeSelector::default);
    if required.node_selector_terms.is_empty() {
        required
            .node_selector_terms
            .push(NodeSelectorTerm::default());
    }
    for term in &mut required.node_selector_terms {
        term.match_fields = Some(vec![field.clone()]);
    }
}

fn requirement_matches(req: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = req.values.clone().unwrap_or_default();
    match req.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(v), Some(bound)) = (
                value.and_then(|v| v.parse::<i64>().ok()),
                values.first().and_then(|b| b.parse::<i64>().ok()),
            ) else {
                return false;
            };
            if req.operator == "Gt" {
                v > bound
            } else {
                v < bound
            }
        }
        _ => false,
    }
}

fn term_matches(term: &NodeSelectorTerm, node: &Node) -> bool {
    let labels = node.labels();
    let exprs = term.match_expressions.iter().flatten();
    let fields = term.match_fields.iter().flatten();
    if term.match_expressions.as_ref().is_none_or(Vec::is_empty)
        && term.match_fields.as_ref().is_none_or(Vec::is_empty)
    {
        return false;
    }
    exprs
        .clone()
        .all(|r| requirement_matches(r, labels.get(&r.key).map(String::as_str)))
        && fields.clone().all(|r| {
            r.key == "metadata.name" && requirement_matches(r, node.metadata.name.as_deref())
        })
}

fn tolerates(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| {
        let effect_ok = t
            .effect
            .as_deref()
            .is_none_or(|e| e.is_empty() || e == taint.effect);
        let key_ok = t.key.as_deref().is_none_or(|k| k.is_empty())
            && t.operator.as_deref() == Some("Exists")
            || t.key.as_deref() == Some(taint.key.as_str());
        let value_ok = match t.operator.as_deref() {
            Some("Exists") => true,
            _ => t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        };
        effect_ok && key_ok && value_ok
    })
}

/// Upstream's `NodeShouldRunDaemonPod` (predicates): node selector, required node affinity,
/// and NoSchedule/NoExecute taints against the pod's tolerations (daemon ones included).
pub fn should_run(spec: &PodSpec, node: &Node) -> bool {
    let labels = node.labels();
    for (k, v) in spec.node_selector.iter().flatten() {
        if labels.get(k) != Some(v) {
            return false;
        }
    }
    if let Some(required) = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        && !required
            .node_selector_terms
            .iter()
            .any(|t| term_matches(t, node))
    {
        return false;
    }
    let tolerations = spec.tolerations.clone().unwrap_or_default();
    node.spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .into_iter()
        .flatten()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .all(|t| tolerates(&tolerations, t))
}

/// The node a daemon pod is for: where it is bound, else its `metadata.name` affinity.
fn node_of(pod: &Pod) -> Option<String> {
    if let Some(n) = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .filter(|n| !n.is_empty())
    {
        return Some(n);
    }
    pod.spec
        .as_ref()?
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms
        .iter()
        .flat_map(|t| t.match_fields.iter().flatten())
        .find(|f| f.key == "metadata.name" && f.operator == "In")
        .and_then(|f| f.values.as_ref()?.first().cloned())
}

/// Resolves an int-or-percent against `total` (percentages round up for surge, down for
/// unavailability, as upstream's `GetScaledValueFromIntOrPercent` callers do).
pub fn scaled(value: Option<&IntOrString>, total: i32, round_up: bool, default: i32) -> i32 {
    match value {
        None => default,
        Some(IntOrString::Int(i)) => *i,
        Some(IntOrString::String(s)) => {
            let pct: f64 = s.trim_end_matches('%').parse().unwrap_or(0.0);
            let v = pct * f64::from(total) / 100.0;
            (if round_up { v.ceil() } else { v.floor() }) as i32
        }
    }
}

async fn reconcile(set: Arc<DaemonSet>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let name = set.name_any();
    let ns = set.namespace().unwrap_or_default();
    let span = tracing::info_span!("reconciling daemonset", "object.ref" = %format!("{ns}/{name}"));
    let _enter = span.enter();
    if set.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    // The trigger may be stale; act on the cached version.
    let set = ctx
        .sets
        .get(&ObjectRef::from_obj(set.as_ref()))
        .unwrap_or(set);
    let uid = set.uid().unwrap_or_default();
    let spec = set.spec.clone().unwrap_or_default();
    let status = set.status.clone().unwrap_or_default();
    let client = &ctx.ctx.client;
    let pods_api: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), &ns);

    let revisions = history::owned(&ctx.revisions, &ns, &uid);
    let template = serde_json::to_value(&spec.template).expect("templates serialise");
    let (update_rev, collision_count) = history::ensure(
        client,
        set.as_ref(),
        &revisions,
        history::template_patch(&template),
        spec.selector.match_labels.clone().unwrap_or_default(),
        status.collision_count.unwrap_or(0),
    )
    .await?;
    let hash = update_rev
        .labels()
        .get(REVISION_HASH_LABEL)
        .cloned()
        .unwrap_or_else(|| {
            update_rev
                .name_any()
                .trim_start_matches(&format!("{name}-"))
                .to_string()
        });

    let mut daemon_spec = spec.template.spec.clone().unwrap_or_default();
    add_daemon_tolerations(&mut daemon_spec);
    let nodes: Vec<Arc<Node>> = ctx.nodes.state();
    let node_names: HashSet<String> = nodes.iter().map(|n| n.name_any()).collect();
    let mut by_node: BTreeMap<String, Vec<Pod>> = BTreeMap::new();
    let mut orphans = Vec::new();
    for pod in podutil::owned_pods(&ctx.pods, &ns, &uid) {
        match node_of(&pod) {
            Some(n) if node_names.contains(&n) => by_node.entry(n).or_default().push(pod),
            _ => orphans.push(pod),
        }
    }

    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let now = jiff::Timestamp::now();
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    let on_delete = strategy.type_.as_deref() == Some("OnDelete");
    let is_updated = |p: &Pod| p.labels().get(REVISION_HASH_LABEL) == Some(&hash);

    let mut create_on: Vec<String> = Vec::new();
    let mut delete: Vec<Pod> = Vec::new();
    let mut eligible: Vec<String> = Vec::new();
    for node in &nodes {
        let node_name = node.name_any();
        let run_here = should_run(&daemon_spec, node);
        let pods: Vec<Pod> = by_node.get(&node_name).cloned().unwrap_or_default();
        let live: Vec<&Pod> = pods
            .iter()
            .filter(|p| !podutil::is_terminating(p))
            .collect();
        if run_here {
            eligible.push(node_name.clone());
            let failed: Vec<&&Pod> = live
                .iter()
                .filter(|p| podutil::phase(p) == "Failed")
                .collect();
            for p in &failed {
                delete.push((**p).clone());
            }
            let healthy: Vec<&&Pod> = live
                .iter()
                .filter(|p| podutil::phase(p) != "Failed")
                .collect();
            if healthy.is_empty() {
                // As upstream: a replacement is created in the same pass that deletes failed pods.
                create_on.push(node_name.clone());
            } else if healthy.len() > 1
                && (on_delete
                    || !healthy.iter().any(|p| is_updated(p))
                    || healthy.iter().filter(|p| is_updated(p)).count() > 1)
            {
                // Duplicates: keep the oldest (updated ones first during a surge).
                let mut sorted: Vec<&&Pod> = healthy.clone();
                sorted.sort_by_key(|p| {
                    (
                        !is_updated(p),
                        p.metadata.creation_timestamp.as_ref().map(|t| t.0),
                    )
                });
                for p in sorted.into_iter().skip(1) {
                    delete.push((**p).clone());
                }
            }
        } else {
            for p in live {
                delete.push(p.clone());
            }
        }
    }
    for p in orphans.iter().filter(|p| !podutil::is_terminating(p)) {
        delete.push(p.clone());
    }

    // Rolling update.
    if !on_delete {
        let ru = strategy.rolling_update.clone().unwrap_or_default();
        let desired = i32::try_from(eligible.len()).unwrap_or(0);
        let max_surge = scaled(ru.max_surge.as_ref(), desired, true, 0);
        let mut max_unavailable = scaled(ru.max_unavailable.as_ref(), desired, false, 1);
        if max_surge == 0 && max_unavailable == 0 {
            max_unavailable = 1;
        }
        let mut unavailable = 0;
        let mut old_available: Vec<Pod> = Vec::new();
        let mut old_unavailable: Vec<Pod> = Vec::new();
        let mut surge_nodes: Vec<(String, Option<Pod>, Option<Pod>)> = Vec::new();
        for node in &eligible {
            let live: Vec<Pod> = by_node
                .get(node)
                .into_iter()
                .flatten()
                .filter(|p| !podutil::is_terminating(p) && podutil::phase(p) != "Failed")
                .cloned()
                .collect();
            let new = live.iter().find(|p| is_updated(p)).cloned();
            let old = live.iter().find(|p| !is_updated(p)).cloned();
            let new_ok = new
                .as_ref()
                .is_some_and(|p| podutil::is_available(p, min_ready, now));
            let old_ok = old
                .as_ref()
                .is_some_and(|p| podutil::is_available(p, min_ready, now));
            if !(new_ok || old_ok) {
                unavailable += 1;
            }
            match (&old, &new) {
                (Some(o), None) if old_ok => old_available.push(o.clone()),
                (Some(o), None) => old_unavailable.push(o.clone()),
                (Some(_), Some(_)) => surge_nodes.push((node.clone(), old.clone(), new.clone())),
                _ => {}
            }
        }
        if max_surge == 0 {
            // Old unavailable pods go at once; available ones within the budget.
            delete.extend(old_unavailable);
            let budget = usize::try_from((max_unavailable - unavailable).max(0)).unwrap_or(0);
            delete.extend(old_available.into_iter().take(budget));
        } else {
            // Surge: a new pod beside each old one (within maxSurge); the old one goes once the
            // new one is available.
            let mut surging = i32::try_from(surge_nodes.len()).unwrap_or(0);
            for (_, old, new) in &surge_nodes {
                if new
                    .as_ref()
                    .is_some_and(|p| podutil::is_available(p, min_ready, now))
                    && let Some(o) = old
                {
                    delete.push(o.clone());
                }
            }
            for o in old_unavailable.iter().chain(old_available.iter()) {
                if surging >= max_surge {
                    break;
                }
                if let Some(n) = node_of(o) {
                    create_on.push(n);
                    surging += 1;
                }
            }
        }
    }

    let mut created = Vec::new();
    let mut deleted = Vec::new();
    let mut seen_deletes = HashSet::new();
    for pod in delete {
        let pod_name = pod.name_any();
        if !seen_deletes.insert(pod_name.clone()) {
            continue;
        }
        match pods_api.delete(&pod_name, &DeleteParams::default()).await {
            Ok(_) => {
                record(
                    &ctx.recorder,
                    set.as_ref(),
                    EventType::Normal,
                    "SuccessfulDelete",
                    format!("Deleted pod: {pod_name}"),
                )
                .await;
                deleted.push(pod_name);
            }
            Err(e) if podutil::is_not_found(&e) => {}
            Err(source) => {
                return Err(Error::DeletePod {
                    name: pod_name,
                    source,
                });
            }
        }
    }
    for node in create_on {
        let mut pod =
            podutil::pod_from_template(&spec.template, podutil::controller_ref(set.as_ref()));
        pod.metadata.generate_name = Some(format!("{name}-"));
        pod.metadata.namespace = Some(ns.clone());
        pod.metadata
            .labels
            .get_or_insert_with(Default::default)
            .insert(REVISION_HASH_LABEL.into(), hash.clone());
        let mut pod_spec = daemon_spec.clone();
        pin_to_node(&mut pod_spec, &node);
        pod.spec = Some(pod_spec);
        match pods_api.create(&PostParams::default(), &pod).await {
            Ok(p) => {
                record(
                    &ctx.recorder,
                    set.as_ref(),
                    EventType::Normal,
                    "SuccessfulCreate",
                    format!("Created pod: {}", p.name_any()),
                )
                .await;
                created.push(p.name_any());
            }
            Err(source) => {
                record(
                    &ctx.recorder,
                    set.as_ref(),
                    EventType::Warning,
                    "FailedCreate",
                    format!("Error creating: {source}"),
                )
                .await;
                return Err(Error::CreatePod { node, source });
            }
        }
    }
    podutil::await_cache(&ctx.pods, &ns, &created, &deleted).await;

    // Status.
    let mut by_node: BTreeMap<String, Vec<Pod>> = BTreeMap::new();
    for pod in podutil::owned_pods(&ctx.pods, &ns, &uid) {
        if podutil::is_terminating(&pod) {
            continue;
        }
        if let Some(n) = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .filter(|n| !n.is_empty())
        {
            by_node.entry(n).or_default().push(pod);
        }
    }
    let eligible_set: HashSet<&String> = eligible.iter().collect();
    let (mut current, mut misscheduled, mut ready, mut available, mut updated) = (0, 0, 0, 0, 0);
    for (node, pods) in &by_node {
        if !eligible_set.contains(node) {
            misscheduled += 1;
            continue;
        }
        current += 1;
        let newest = pods
            .iter()
            .max_by_key(|p| {
                (
                    is_updated(p),
                    p.metadata.creation_timestamp.as_ref().map(|t| t.0),
                )
            })
            .expect("a node entry has pods");
        if podutil::is_ready(newest) {
            ready += 1;
            if podutil::is_available(newest, min_ready, now) {
                available += 1;
            }
        }
        if is_updated(newest) {
            updated += 1;
        }
    }
    let desired = i32::try_from(eligible.len()).unwrap_or(0);
    let new_status = json!({
        "desiredNumberScheduled": desired,
        "currentNumberScheduled": current,
        "numberMisscheduled": misscheduled,
        "numberReady": ready,
        "numberAvailable": available,
        "numberUnavailable": desired - available,
        "updatedNumberScheduled": updated,
        "observedGeneration": set.metadata.generation,
        "collisionCount": collision_count,
    });
    let old = serde_json::to_value(&status).expect("status serialises");
    let changed = new_status
        .as_object()
        .expect("an object")
        .iter()
        .any(|(k, v)| {
            let o = old.get(k).cloned().unwrap_or(json!(0));
            &o != v && !(v == &json!(0) && o.is_null())
        });
    if changed {
        let api: Api<DaemonSet> = Api::namespaced(client.clone(), &ns);
        match api
            .patch_status(
                &name,
                &PatchParams::default(),
                &Patch::Merge(&json!({"status": new_status})),
            )
            .await
        {
            Ok(_) => {}
            Err(e) if podutil::is_not_found(&e) => return Ok(Action::await_change()),
            Err(e) => return Err(Error::Status(e)),
        }
    }

    let mut live: HashSet<String> = by_node
        .values()
        .flatten()
        .filter_map(|p| {
            p.labels()
                .get(REVISION_HASH_LABEL)
                .map(|h| format!("{name}-{h}"))
        })
        .collect();
    live.insert(update_rev.name_any());
    let revisions = history::owned(&ctx.revisions, &ns, &uid);
    history::truncate(
        client,
        &ns,
        &revisions,
        &live,
        spec.revision_history_limit.unwrap_or(10),
    )
    .await?;

    if available < ready || (min_ready > 0 && available < desired) {
        return Ok(Action::requeue(Duration::from_secs(
            u64::try_from(min_ready.max(1)).unwrap_or(1),
        )));
    }
    Ok(Action::await_change())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, labels: &[(&str, &str)], taints: &[(&str, &str)]) -> Node {
        let mut n = Node::default();
        n.metadata.name = Some(name.into());
        n.metadata.labels = Some(
            labels
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        );
        n.spec = Some(k8s_openapi::api::core::v1::NodeSpec {
            taints: Some(
                taints
                    .iter()
                    .map(|(k, e)| Taint {
                        key: (*k).into(),
                        effect: (*e).into(),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        });
        n
    }

    #[test]
    fn eligibility() {
        let mut spec = PodSpec::default();
        add_daemon_tolerations(&mut spec);
        assert!(should_run(&spec, &node("a", &[], &[])));
        assert!(should_run(
            &spec,
            &node("a", &[], &[("node.kubernetes.io/not-ready", "NoExecute")])
        ));
        assert!(should_run(
            &spec,
            &node(
                "a",
                &[],
                &[("node.kubernetes.io/unschedulable", "NoSchedule")]
            )
        ));
        assert!(!should_run(
            &spec,
            &node(
                "a",
                &[],
                &[("node-role.kubernetes.io/control-plane", "NoSchedule")]
            )
        ));
        assert!(should_run(
            &spec,
            &node("a", &[], &[("x", "PreferNoSchedule")])
        ));
        assert!(!should_run(
            &spec,
            &node(
                "a",
                &[],
                &[("node.kubernetes.io/network-unavailable", "NoSchedule")]
            )
        ));
        spec.host_network = Some(true);
        add_daemon_tolerations(&mut spec);
        assert!(should_run(
            &spec,
            &node(
                "a",
                &[],
                &[("node.kubernetes.io/network-unavailable", "NoSchedule")]
            )
        ));
        spec.node_selector = Some([("disk".to_string(), "ssd".to_string())].into());
        assert!(!should_run(&spec, &node("a", &[], &[])));
        assert!(should_run(&spec, &node("a", &[("disk", "ssd")], &[])));
    }

    #[test]
    fn pinning_uses_match_fields() {
        let mut spec = PodSpec::default();
        pin_to_node(&mut spec, "n1");
        let pod = Pod::from(k8s_openapi::api::core::v1::Pod {
            spec: Some(spec.clone()),
            ..Default::default()
        });
        assert_eq!(node_of(&pod).as_deref(), Some("n1"));
        assert!(should_run(&spec, &node("n1", &[], &[])));
        assert!(!should_run(&spec, &node("n2", &[], &[])));
        pin_to_node(&mut spec, "n2");
        let terms = &spec
            .affinity
            .unwrap()
            .node_affinity
            .unwrap()
            .required_during_scheduling_ignored_during_execution
            .unwrap()
            .node_selector_terms;
        assert_eq!(terms.len(), 1);
        assert_eq!(
            terms[0].match_fields.as_ref().unwrap()[0]
                .values
                .as_ref()
                .unwrap(),
            &vec!["n2".to_string()]
        );
    }

    #[test]
    fn int_or_percent() {
        assert_eq!(scaled(None, 10, false, 1), 1);
        assert_eq!(scaled(Some(&IntOrString::Int(3)), 10, false, 1), 3);
        assert_eq!(
            scaled(Some(&IntOrString::String("25%".into())), 10, false, 1),
            2
        );
        assert_eq!(
            scaled(Some(&IntOrString::String("25%".into())), 10, true, 1),
            3
        );
    }
}

//! The node lifecycle controller (upstream's NodeLifecycleController) and taint-based eviction
//! (upstream's TaintEvictionController).
//!
//! Health: a node is heard from when its Lease in `kube-node-lease` is renewed or its Ready
//! heartbeat changes. One not heard from for `node_monitor_grace_period` gets its conditions set
//! to `Unknown` (`NodeStatusUnknown`, "Kubelet stopped posting node status.") and its pods marked
//! not ready. Taints follow the conditions: `node.kubernetes.io/unreachable` (Ready Unknown) and
//! `node.kubernetes.io/not-ready` (Ready False) as NoSchedule and NoExecute, pressure conditions
//! and `spec.unschedulable` as NoSchedule; they are removed when the condition clears.
//!
//! As upstream, when every node of a zone is not ready (full disruption: more likely the
//! control plane lost them than all nodes died) no NoExecute taint is added there, and those
//! present are removed. Deliberately absent: upstream's eviction rate limits per zone.
//!
//! Eviction: a pod on a node with a NoExecute taint it does not tolerate is deleted at once; one
//! that tolerates every such taint with some `tolerationSeconds` is deleted that long after the
//! controller first saw the taints (the smallest value wins), unless they go away first.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use crate::controllers::cached::Pod;
use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Taint, Toleration};
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::events::{Event, EventType};

use crate::controllers::events::Recorder;
use kube::{Resource, ResourceExt};
use serde_json::json;
use tokio::time::Instant;
use tracing::Instrument;

use super::Context;

pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
const TAINT_MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";
const TAINT_DISK_PRESSURE: &str = "node.kubernetes.io/disk-pressure";
const TAINT_PID_PRESSURE: &str = "node.kubernetes.io/pid-pressure";
const TAINT_NETWORK_UNAVAILABLE: &str = "node.kubernetes.io/network-unavailable";

/// Taint keys this controller owns.
const MANAGED_TAINTS: &[&str] = &[
    TAINT_UNREACHABLE,
    TAINT_NOT_READY,
    TAINT_UNSCHEDULABLE,
    TAINT_MEMORY_PRESSURE,
    TAINT_DISK_PRESSURE,
    TAINT_PID_PRESSURE,
    TAINT_NETWORK_UNAVAILABLE,
];

const LEASE_NAMESPACE: &str = "kube-node-lease";
/// Upstream's `--node-monitor-period`.
const NODE_MONITOR_PERIOD: Duration = Duration::from_secs(5);
const CONDITIONS: &[&str] = &["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot update node {node}")]
    Node {
        node: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot update pod {pod}")]
    Pod {
        pod: String,
        #[source]
        source: kube::Error,
    },
}

/// Starts both halves; they stop with `ctx.shutdown`.
pub async fn run(ctx: Context) {
    let monitor = tokio::spawn(
        monitor_health(ctx.clone()).instrument(tracing::info_span!("node-lifecycle-controller")),
    );
    let evictor = tokio::spawn(
        evict_pods(ctx.clone()).instrument(tracing::info_span!("taint-eviction-controller")),
    );
    let _ = monitor.await;
    let _ = evictor.await;
}

/// What the controller last observed of a node, and when it last heard from it.
struct Health {
    heartbeat: Option<Timestamp>,
    lease_renew: Option<Timestamp>,
    probe: Instant,
}

fn ready_status(node: &Node) -> Option<&str> {
    condition(node, "Ready").map(|c| c.status.as_str())
}

fn condition<'a>(
    node: &'a Node,
    type_: &str,
) -> Option<&'a k8s_openapi::api::core::v1::NodeCondition> {
    node.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
}

async fn monitor_health(ctx: Context) {
    let nodes = ctx.informers.get::<Node>();
    let leases = ctx.informers.get::<Lease>();
    let pods = ctx.informers.get::<Pod>();
    let recorder = ctx.recorder("node-controller");
    let api: Api<Node> = Api::all(ctx.client.clone());
    let grace = ctx.config.node_monitor_grace_period;
    let period = NODE_MONITOR_PERIOD
        .min(grace / 4)
        .max(Duration::from_millis(200));
    tokio::select! {
        _ = ctx.shutdown.cancelled() => return,
        _ = ctx.informers.wait_synced() => {}
    }
    let mut health: HashMap<String, Health> = HashMap::new();
    let mut registered: std::collections::HashSet<String> = Default::default();
    let mut node_changes = std::pin::pin!(nodes.changes());
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ctx.shutdown.cancelled() => return,
            _ = tick.tick() => {}
            // A node changed (a kubelet posted status, someone cordoned it): react promptly.
            Some(_) = node_changes.next() => {
                // Coalesce bursts.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let now = Instant::now();
        let all = nodes.store().state();
        let names: std::collections::HashSet<&str> = all
            .iter()
            .filter_map(|n| n.metadata.name.as_deref())
            .collect();
        health.retain(|name, _| names.contains(name.as_str()));
        let mut observed: Vec<(Arc<Node>, Option<String>)> = Vec::with_capacity(all.len());
        for node in &all {
            let name = node.name_any();
            if registered.insert(name.clone()) {
                publish(
                    &recorder,
                    node.as_ref(),
                    EventType::Normal,
                    "RegisteredNode",
                    format!("Node {name} event: Registered Node {name} in Controller"),
                )
                .await;
            }
            let heartbeat = condition(node, "Ready")
                .and_then(|c| c.last_heartbeat_time.as_ref())
                .map(|t| t.0);
            let lease_renew = leases
                .get(Some(LEASE_NAMESPACE), &name)
                .and_then(|l| l.spec.as_ref()?.renew_time.as_ref().map(|t| t.0));
            let h = health.entry(name.clone()).or_insert(Health {
                heartbeat,
                lease_renew,
                probe: now,
            });
            if h.heartbeat != heartbeat || h.lease_renew != lease_renew {
                h.heartbeat = heartbeat;
                h.lease_renew = lease_renew;
                h.probe = now;
            }
            let stale = now.duration_since(h.probe) > grace;
            let mut ready = ready_status(node).map(str::to_owned);
            if stale && ready.as_deref() != Some("Unknown") {
                match mark_unknown(&api, node).await {
                    Ok(()) => {
                        tracing::info!(node = %name, "node stopped posting status; marked Unknown");
                        if ready.as_deref() == Some("True") {
                            publish(
                                &recorder,
                                node.as_ref(),
                                EventType::Normal,
                                "NodeNotReady",
                                format!("Node {name} status is now: NodeNotReady"),
                            )
                            .await;
                        }
                        ready = Some("Unknown".into());
                    }
                    Err(err) => tracing::warn!(error = %err, "cannot mark node unknown"),
                }
            }
            observed.push((node.clone(), ready));
        }

        let zones: Vec<String> = observed.iter().map(|(node, _)| zone_of(node)).collect();
        let disrupted = fully_disrupted_zones(&observed, &zones);
        // Pods by node, built only when some node is not ready (one pass over the pods).
        let mut pods_by_node: Option<HashMap<String, Vec<Arc<Pod>>>> = None;
        for ((node, ready), zone) in observed.iter().zip(&zones) {
            let no_execute = !disrupted.contains(zone);
            if let Err(err) = reconcile_taints(&api, node, ready.as_deref(), no_execute).await {
                tracing::warn!(error = %err, "cannot update node taints");
            }
            if ready.as_deref() != Some("True") && ready.is_some() {
                let index = pods_by_node.get_or_insert_with(|| pods_on_nodes(&pods));
                if let Some(on_node) = index.get(node.name_any().as_str()) {
                    mark_pods_not_ready(&ctx, on_node, &recorder).await;
                }
            }
        }
    }
}

fn zone_of(node: &Node) -> String {
    let labels = node.labels();
    let get = |k: &str| labels.get(k).cloned().unwrap_or_default();
    format!(
        "{}:\x00:{}",
        get("topology.kubernetes.io/region"),
        get("topology.kubernetes.io/zone")
    )
}

/// Zones where no node is ready (upstream's `FullDisruption` state).
fn fully_disrupted_zones<'a>(
    observed: &[(Arc<Node>, Option<String>)],
    zone_of_node: &'a [String],
) -> std::collections::HashSet<&'a String> {
    let mut zones: HashMap<&String, (usize, usize)> = HashMap::new();
    for ((_, ready), zone) in observed.iter().zip(zone_of_node) {
        let z = zones.entry(zone).or_default();
        z.0 += 1;
        if ready.as_deref() != Some("True") {
            z.1 += 1;
        }
    }
    zones
        .into_iter()
        .filter(|(_, (all, not_ready))| *all > 0 && all == not_ready)
        .map(|(z, _)| z)
        .collect()
}

/// Sets the kubelet's conditions to Unknown, keeping their heartbeat times.
async fn mark_unknown(api: &Api<Node>, node: &Node) -> Result<(), Error> {
    let now = now_str();
    let conditions: Vec<serde_json::Value> = CONDITIONS
        .iter()
        .map(|t| match condition(node, t) {
            Some(c) => json!({
                "type": t,
                "status": "Unknown",
                "reason": "NodeStatusUnknown",
                "message": "Kubelet stopped posting node status.",
                "lastHeartbeatTime": c.last_heartbeat_time,
                "lastTransitionTime": now,
            }),
            None => json!({
                "type": t,
                "status": "Unknown",
                "reason": "NodeStatusNeverUpdated",
                "message": "Kubelet never posted node status.",
                "lastHeartbeatTime": node.metadata.creation_timestamp,
                "lastTransitionTime": now,
            }),
        })
        .collect();
    let patch = json!({"status": {"conditions": conditions}});
    api.patch_status(
        &node.name_any(),
        &PatchParams::default(),
        &Patch::Strategic(&patch),
    )
    .await
    .map(|_| ())
    .map_err(|source| Error::Node {
        node: node.name_any(),
        source,
    })
}

/// The taints this controller wants on a node, by (key, effect).
fn wanted_taints(
    node: &Node,
    ready: Option<&str>,
    no_execute: bool,
) -> Vec<(&'static str, &'static str)> {
    let mut want = Vec::new();
    match ready {
        Some("False") => {
            want.push((TAINT_NOT_READY, "NoSchedule"));
            if no_execute {
                want.push((TAINT_NOT_READY, "NoExecute"));
            }
        }
        Some("Unknown") => {
            want.push((TAINT_UNREACHABLE, "NoSchedule"));
            if no_execute {
                want.push((TAINT_UNREACHABLE, "NoExecute"));
            }
        }
        _ => {}
    }
    let is_true = |t: &str| condition(node, t).is_some_and(|c| c.status == "True");
    for (cond, key) in [
        ("MemoryPressure", TAINT_MEMORY_PRESSURE),
        ("DiskPressure", TAINT_DISK_PRESSURE),
        ("PIDPressure", TAINT_PID_PRESSURE),
        ("NetworkUnavailable", TAINT_NETWORK_UNAVAILABLE),
    ] {
        if is_true(cond) {
            want.push((key, "NoSchedule"));
        }
    }
    if node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
        want.push((TAINT_UNSCHEDULABLE, "NoSchedule"));
    }
    want
}

async fn reconcile_taints(
    api: &Api<Node>,
    node: &Node,
    ready: Option<&str>,
    no_execute: bool,
) -> Result<(), Error> {
    let current: Vec<Taint> = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default();
    let want = wanted_taints(node, ready, no_execute);
    let managed = |t: &Taint| MANAGED_TAINTS.contains(&t.key.as_str());
    let mut next: Vec<Taint> = current
        .iter()
        .filter(|t| !managed(t) || want.contains(&(t.key.as_str(), t.effect.as_str())))
        .cloned()
        .collect();
    let now = k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(Timestamp::now());
    for (key, effect) in &want {
        if !next.iter().any(|t| t.key == *key && t.effect == *effect) {
            next.push(Taint {
                key: key.to_string(),
                effect: effect.to_string(),
                value: None,
                time_added: Some(now.clone()),
            });
        }
    }
    if next == current {
        return Ok(());
    }
    tracing::info!(
        node = %node.name_any(),
        taints = ?next.iter().map(|t| format!("{}:{}", t.key, t.effect)).collect::<Vec<_>>(),
        "updating node taints"
    );
    // The resourceVersion guards against overwriting taints someone else just changed.
    let patch = json!({
        "metadata": {"resourceVersion": node.resource_version()},
        "spec": {"taints": next},
    });
    api.patch(
        &node.name_any(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
    .map(|_| ())
    .map_err(|source| Error::Node {
        node: node.name_any(),
        source,
    })
}

fn pods_on_nodes(pods: &super::informers::Informer<Pod>) -> HashMap<String, Vec<Arc<Pod>>> {
    let mut index: HashMap<String, Vec<Arc<Pod>>> = HashMap::new();
    for pod in pods.store().state() {
        if let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) {
            index.entry(node).or_default().push(pod);
        }
    }
    index
}

/// Upstream's `MarkPodsNotReady`: pods on a node that stopped reporting are not ready.
async fn mark_pods_not_ready(ctx: &Context, pods: &[Arc<Pod>], recorder: &Recorder) {
    let now = now_str();
    for pod in pods {
        let ready_true = pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        if !ready_true {
            continue;
        }
        let api: Api<k8s_openapi::api::core::v1::Pod> =
            Api::namespaced(ctx.client.clone(), &pod.namespace().unwrap_or_default());
        let patch = json!({"status": {"conditions": [
            {"type": "Ready", "status": "False", "lastTransitionTime": now},
        ]}});
        match api
            .patch_status(
                &pod.name_any(),
                &PatchParams::default(),
                &Patch::Strategic(&patch),
            )
            .await
        {
            Ok(_) => {
                publish(
                    recorder,
                    pod.as_ref(),
                    EventType::Warning,
                    "NodeNotReady",
                    "Node is not ready".into(),
                )
                .await
            }
            Err(err) => {
                tracing::debug!(pod = %pod.name_any(), error = %err, "cannot mark pod not ready")
            }
        }
    }
}

async fn publish<K: Resource<DynamicType = ()>>(
    recorder: &Recorder,
    obj: &K,
    type_: EventType,
    reason: &str,
    note: String,
) {
    let event = Event {
        type_,
        reason: reason.into(),
        note: Some(note),
        action: reason.into(),
        secondary: None,
    };
    if let Err(err) = recorder.publish(&event, &obj.object_ref(&())).await {
        tracing::debug!(error = %err, "cannot record event");
    }
}

/// Whether `toleration` tolerates `taint` (upstream's `ToleratesTaint`).
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    if let Some(effect) = toleration.effect.as_deref().filter(|e| !e.is_empty())
        && effect != taint.effect
    {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or_default();
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match toleration.operator.as_deref().unwrap_or("Equal") {
        "Exists" => true,
        "Equal" | "" => {
            !key.is_empty()
                && toleration.value.as_deref().unwrap_or_default()
                    == taint.value.as_deref().unwrap_or_default()
        }
        _ => false,
    }
}

/// How long a pod may stay on a node with these NoExecute taints: `None` when it does not
/// tolerate them all (evict now), `Some(None)` when forever, `Some(Some(d))` for `d`.
pub fn toleration_time(tolerations: &[Toleration], taints: &[&Taint]) -> Option<Option<Duration>> {
    let mut min: Option<Duration> = None;
    for taint in taints {
        let matching: Vec<&Toleration> =
            tolerations.iter().filter(|t| tolerates(t, taint)).collect();
        if matching.is_empty() {
            return None;
        }
        for t in matching {
            if let Some(secs) = t.toleration_seconds {
                let d = Duration::from_secs(secs.max(0) as u64);
                min = Some(min.map_or(d, |m| m.min(d)));
            }
        }
    }
    Some(min)
}

async fn evict_pods(ctx: Context) {
    let nodes = ctx.informers.get::<Node>();
    let pods = ctx.informers.get::<Pod>();
    let recorder = ctx.recorder("taint-eviction-controller");
    tokio::select! {
        _ = ctx.shutdown.cancelled() => return,
        _ = ctx.informers.wait_synced() => {}
    }
    // When each pod's eviction was first scheduled, by uid.
    let mut scheduled: HashMap<String, (Instant, String)> = HashMap::new();
    let mut node_changes = std::pin::pin!(nodes.changes());
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ctx.shutdown.cancelled() => return,
            _ = tick.tick() => {}
            Some(_) = node_changes.next() => {}
        }
        let tainted: BTreeMap<String, Vec<Taint>> = nodes
            .store()
            .state()
            .iter()
            .filter_map(|n| {
                let taints: Vec<Taint> = n
                    .spec
                    .as_ref()?
                    .taints
                    .iter()
                    .flatten()
                    .filter(|t| t.effect == "NoExecute")
                    .cloned()
                    .collect();
                (!taints.is_empty()).then(|| (n.name_any(), taints))
            })
            .collect();
        let now = Instant::now();
        let mut still: std::collections::HashSet<String> = Default::default();
        if !tainted.is_empty() {
            for pod in pods.store().state() {
                let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else {
                    continue;
                };
                let Some(taints) = tainted.get(node) else {
                    continue;
                };
                if pod.metadata.deletion_timestamp.is_some() {
                    continue;
                }
                let uid = pod.uid().unwrap_or_default();
                let tolerations = pod
                    .spec
                    .as_ref()
                    .and_then(|s| s.tolerations.clone())
                    .unwrap_or_default();
                let refs: Vec<&Taint> = taints.iter().collect();
                let deadline = match toleration_time(&tolerations, &refs) {
                    None => Some(now),
                    Some(None) => None,
                    Some(Some(d)) => {
                        let first = scheduled
                            .entry(uid.clone())
                            .or_insert_with(|| (now, pod_key(&pod)))
                            .0;
                        Some(first + d)
                    }
                };
                let Some(deadline) = deadline else { continue };
                still.insert(uid.clone());
                if deadline > now {
                    continue;
                }
                publish(
                    &recorder,
                    pod.as_ref(),
                    EventType::Normal,
                    "TaintManagerEviction",
                    format!("Marking for deletion Pod {}", pod_key(&pod)),
                )
                .await;
                if let Err(err) = evict(&ctx, &pod).await {
                    tracing::warn!(error = %err, "taint-based eviction failed");
                    continue;
                }
                scheduled.remove(&uid);
            }
        }
        // Evictions whose taints went away are cancelled.
        let cancelled: Vec<String> = scheduled
            .keys()
            .filter(|uid| !still.contains(*uid))
            .cloned()
            .collect();
        for uid in cancelled {
            if let Some((_, key)) = scheduled.remove(&uid)
                && let Some((ns, name)) = key.split_once('/')
                && let Some(pod) = pods.get(Some(ns), name)
                && pod.uid().as_deref() == Some(uid.as_str())
            {
                publish(
                    &recorder,
                    pod.as_ref(),
                    EventType::Normal,
                    "TaintManagerEviction",
                    format!("Cancelling deletion of Pod {key}"),
                )
                .await;
            }
        }
    }
}

/// The current time as a `metav1.Time` string.
fn now_str() -> String {
    jiff::fmt::strtime::format("%Y-%m-%dT%H:%M:%SZ", Timestamp::now()).expect("timestamps format")
}

fn pod_key(pod: &Pod) -> String {
    format!("{}/{}", pod.namespace().unwrap_or_default(), pod.name_any())
}

/// Marks the pod as disrupted (condition `DisruptionTarget`) and deletes it.
async fn evict(ctx: &Context, pod: &Pod) -> Result<(), Error> {
    let api: Api<k8s_openapi::api::core::v1::Pod> =
        Api::namespaced(ctx.client.clone(), &pod.namespace().unwrap_or_default());
    let name = pod.name_any();
    let err = |source| Error::Pod {
        pod: pod_key(pod),
        source,
    };
    let patch = json!({"status": {"conditions": [{
        "type": "DisruptionTarget",
        "status": "True",
        "reason": "DeletionByTaintManager",
        "message": "Taint manager: deleting due to NoExecute taint",
        "lastTransitionTime": now_str(),
    }]}});
    match api
        .patch_status(&name, &PatchParams::default(), &Patch::Strategic(&patch))
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => return Ok(()),
        Err(e) => return Err(err(e)),
    }
    let params = DeleteParams {
        preconditions: Some(kube::api::Preconditions {
            uid: pod.uid(),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    match api.delete(&name, &params).await {
        Ok(_) => {
            tracing::info!(pod = %pod_key(pod), "evicted pod from a NoExecute-tainted node");
            Ok(())
        }
        Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Ok(()),
        Err(e) => Err(err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(key: &str, value: Option<&str>, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: value.map(Into::into),
            effect: effect.into(),
            time_added: None,
        }
    }

    fn tol(key: &str, op: &str, value: &str, effect: &str, secs: Option<i64>) -> Toleration {
        Toleration {
            key: (!key.is_empty()).then(|| key.into()),
            operator: Some(op.into()),
            value: (!value.is_empty()).then(|| value.into()),
            effect: (!effect.is_empty()).then(|| effect.into()),
            toleration_seconds: secs,
        }
    }

    #[test]
    fn toleration_matching() {
        let unreachable = taint(TAINT_UNREACHABLE, None, "NoExecute");
        let gpu = taint("gpu", Some("yes"), "NoExecute");
        let cases = [
            (
                tol(TAINT_UNREACHABLE, "Exists", "", "NoExecute", None),
                &unreachable,
                true,
            ),
            (
                tol(TAINT_UNREACHABLE, "Exists", "", "NoSchedule", None),
                &unreachable,
                false,
            ),
            (tol("", "Exists", "", "", None), &gpu, true),
            (tol("gpu", "Equal", "yes", "", None), &gpu, true),
            (tol("gpu", "Equal", "no", "", None), &gpu, false),
            (tol("other", "Exists", "", "", None), &gpu, false),
        ];
        for (t, taint, want) in cases {
            assert_eq!(tolerates(&t, taint), want, "{t:?} vs {taint:?}");
        }
    }

    #[test]
    fn eviction_times() {
        let unreachable = taint(TAINT_UNREACHABLE, None, "NoExecute");
        let gpu = taint("gpu", Some("yes"), "NoExecute");
        let defaults = [
            tol(TAINT_NOT_READY, "Exists", "", "NoExecute", Some(300)),
            tol(TAINT_UNREACHABLE, "Exists", "", "NoExecute", Some(300)),
        ];
        assert_eq!(
            toleration_time(&defaults, &[&unreachable]),
            Some(Some(Duration::from_secs(300)))
        );
        assert_eq!(toleration_time(&defaults, &[&unreachable, &gpu]), None);
        let mut short = defaults.to_vec();
        short.push(tol(TAINT_UNREACHABLE, "Exists", "", "NoExecute", Some(2)));
        assert_eq!(
            toleration_time(&short, &[&unreachable]),
            Some(Some(Duration::from_secs(2)))
        );
        let forever = [tol("", "Exists", "", "", None)];
        assert_eq!(toleration_time(&forever, &[&unreachable, &gpu]), Some(None));
    }
}

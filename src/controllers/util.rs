//! Helpers shared by the workload controllers, after upstream's `pkg/controller/controller_utils.go`
//! and `pkg/api/v1/pod`: pod readiness and availability, the order in which surplus pods are
//! deleted, controller references, label selectors, and adopting/releasing dependents.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::controllers::cached::Pod;
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector as K8sLabelSelector, ObjectMeta, OwnerReference,
};
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Map, Value, json};

use crate::api::selector::LabelSelector;

/// Upstream's `controller.kubernetes.io/pod-deletion-cost` annotation.
pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

/// A pod that counts towards its owner: not finished and not being deleted.
pub fn is_pod_active(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    phase != Some("Succeeded")
        && phase != Some("Failed")
        && pod.metadata.deletion_timestamp.is_none()
}

/// The pod's `Ready` condition, if it has one.
fn ready_condition(pod: &Pod) -> Option<&crate::controllers::cached::PodCondition> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
}

pub fn is_pod_ready(pod: &Pod) -> bool {
    ready_condition(pod).is_some_and(|c| c.status == "True")
}

/// When a ready pod became ready.
pub fn pod_ready_time(pod: &Pod) -> Option<Timestamp> {
    ready_condition(pod)
        .filter(|c| c.status == "True")
        .and_then(|c| c.last_transition_time.as_ref())
        .map(|t| t.0)
}

/// Ready for at least `min_ready_seconds` (upstream's `IsPodAvailable`).
pub fn is_pod_available(pod: &Pod, min_ready_seconds: i32, now: Timestamp) -> bool {
    if !is_pod_ready(pod) {
        return false;
    }
    if min_ready_seconds <= 0 {
        return true;
    }
    match pod_ready_time(pod) {
        Some(t) => t + jiff::SignedDuration::from_secs(i64::from(min_ready_seconds)) < now,
        None => false,
    }
}

/// The owner reference with `controller: true`, if any.
pub fn controller_of(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references
        .as_ref()?
        .iter()
        .find(|r| r.controller == Some(true))
}

/// A controller reference to `owner` as upstream's `NewControllerRef` makes it.
pub fn controller_ref(api_version: &str, kind: &str, name: &str, uid: &str) -> OwnerReference {
    OwnerReference {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        name: name.to_string(),
        uid: uid.to_string(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// Converts a `metav1.LabelSelector`; an invalid one selects nothing.
pub fn selector(sel: Option<&K8sLabelSelector>) -> LabelSelector {
    match sel {
        None => LabelSelector::nothing(),
        Some(sel) => {
            let value = serde_json::to_value(sel).expect("a LabelSelector serialises");
            LabelSelector::from_object(&value).unwrap_or_else(|_| LabelSelector::nothing())
        }
    }
}

pub fn labels_map(labels: Option<&BTreeMap<String, String>>) -> Map<String, Value> {
    labels
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

pub fn selector_matches(sel: &LabelSelector, labels: Option<&BTreeMap<String, String>>) -> bool {
    sel.matches(Some(&labels_map(labels)))
}

/// The highest restart count among a pod's containers.
fn max_restarts(pod: &Pod) -> i32 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
        .map(|c| c.restart_count)
        .max()
        .unwrap_or(0)
}

fn deletion_cost(pod: &Pod) -> i32 {
    pod.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(POD_DELETION_COST))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn phase_ordinal(pod: &Pod) -> u8 {
    match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
        Some("Pending") => 0,
        Some("Unknown") => 1,
        Some("Running") => 2,
        _ => 3,
    }
}

/// `t1` is after `t2`, a missing time counting as earliest-to-delete (upstream's `afterOrZero`).
fn after_or_zero(t1: Option<Timestamp>, t2: Option<Timestamp>) -> bool {
    match (t1, t2) {
        (None, _) | (_, None) => t1.is_none(),
        (Some(a), Some(b)) => a > b,
    }
}

/// Compares ages on a log2 scale so pods of similar age are considered equal
/// (upstream's `LogarithmicScaleDown`, on by default).
fn log_rank_diff(t1: Timestamp, t2: Timestamp, now: Timestamp) -> i64 {
    let rank = |t: Timestamp| {
        let d = now.duration_since(t).as_nanos();
        if d <= 0 { -1 } else { (d as f64).log2() as i64 }
    };
    rank(t1) - rank(t2)
}

/// Upstream's `ActivePodsWithRanks.Less`: whether pod `a` (with `rank_a` related pods on its node)
/// should be deleted before pod `b`.
pub fn delete_first(a: &Pod, rank_a: usize, b: &Pod, rank_b: usize, now: Timestamp) -> bool {
    let node = |p: &Pod| {
        p.spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default()
    };
    let (na, nb) = (node(a), node(b));
    // 1. Unassigned < assigned.
    if na != nb && (na.is_empty() || nb.is_empty()) {
        return na.is_empty();
    }
    // 2. Pending < unknown < running.
    if phase_ordinal(a) != phase_ordinal(b) {
        return phase_ordinal(a) < phase_ordinal(b);
    }
    // 3. Not ready < ready.
    if is_pod_ready(a) != is_pod_ready(b) {
        return !is_pod_ready(a);
    }
    // 4. Lower deletion cost first.
    if deletion_cost(a) != deletion_cost(b) {
        return deletion_cost(a) < deletion_cost(b);
    }
    // 5. Doubled up (more related pods on the node) first.
    if rank_a != rank_b {
        return rank_a > rank_b;
    }
    let uid = |p: &Pod| p.metadata.uid.clone().unwrap_or_default();
    // 6. Ready for less time first.
    if is_pod_ready(a) && is_pod_ready(b) {
        let (ta, tb) = (pod_ready_time(a), pod_ready_time(b));
        if ta != tb {
            return match (ta, tb) {
                (Some(x), Some(y)) => match log_rank_diff(x, y, now) {
                    0 => uid(a) < uid(b),
                    d => d < 0,
                },
                _ => after_or_zero(ta, tb),
            };
        }
    }
    // 7. More restarts first.
    if max_restarts(a) != max_restarts(b) {
        return max_restarts(a) > max_restarts(b);
    }
    // 8. Newer first.
    let created = |p: &Pod| p.metadata.creation_timestamp.as_ref().map(|t| t.0);
    let (ca, cb) = (created(a), created(b));
    if ca != cb {
        return match (ca, cb) {
            (Some(x), Some(y)) => match log_rank_diff(x, y, now) {
                0 => uid(a) < uid(b),
                d => d < 0,
            },
            _ => after_or_zero(ca, cb),
        };
    }
    false
}

/// Sorts `(pod, rank)` pairs so the pods to delete first come first.
pub fn sort_for_deletion(pods: &mut [(Pod, usize)], now: Timestamp) {
    pods.sort_by(|(a, ra), (b, rb)| {
        if delete_first(a, *ra, b, *rb, now) {
            Ordering::Less
        } else if delete_first(b, *rb, a, *ra, now) {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    });
}

/// Adds `owner` as the controller of a dependent (upstream's `AdoptPod`/`AdoptReplicaSet`),
/// guarded by the dependent's resourceVersion so a concurrent change makes it retry.
pub async fn adopt<K>(
    api: &Api<K>,
    meta: &ObjectMeta,
    owner: OwnerReference,
) -> Result<(), kube::Error>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut refs = meta.owner_references.clone().unwrap_or_default();
    refs.retain(|r| r.uid != owner.uid);
    refs.push(owner);
    let patch = json!({"metadata": {
        "ownerReferences": refs,
        "resourceVersion": meta.resource_version,
        "uid": meta.uid,
    }});
    api.patch(
        meta.name.as_deref().unwrap_or_default(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
    .map(|_| ())
}

/// Removes `owner_uid` from a dependent's owners (upstream's `ReleasePod`); a dependent that is
/// already gone is fine.
pub async fn release<K>(api: &Api<K>, meta: &ObjectMeta, owner_uid: &str) -> Result<(), kube::Error>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let refs: Vec<_> = meta
        .owner_references
        .iter()
        .flatten()
        .filter(|r| r.uid != owner_uid)
        .cloned()
        .collect();
    let patch = json!({"metadata": {
        "ownerReferences": if refs.is_empty() { Value::Null } else { json!(refs) },
        "resourceVersion": meta.resource_version,
        "uid": meta.uid,
    }});
    match api
        .patch(
            meta.name.as_deref().unwrap_or_default(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 422 => Ok(()),
        Err(e) => Err(e),
    }
}

/// The message of an API error as upstream prints `err.Error()`.
pub fn error_message(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(e) => e.message.clone(),
        other => other.to_string(),
    }
}

/// Creates `count` objects in batches of 1, 2, 4, … stopping at the first batch with a failure
/// (upstream's `slowStartBatch`), so a systematic failure (quota, admission) costs one request
/// rather than `count`. Returns the number of successes and the first error.
pub async fn slow_start_batch<F, Fut, E>(count: usize, initial: usize, f: F) -> (usize, Option<E>)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
{
    let mut remaining = count;
    let mut successes = 0;
    let mut batch = remaining.min(initial.max(1));
    while batch > 0 {
        let results = futures::future::join_all((0..batch).map(|_| f())).await;
        let mut first_err = None;
        for r in results {
            match r {
                Ok(()) => successes += 1,
                Err(e) => {
                    if first_err.is_none() {
                        first_err = Some(e);
                    }
                }
            }
        }
        if first_err.is_some() {
            return (successes, first_err);
        }
        remaining -= batch;
        batch = remaining.min(2 * batch);
    }
    (successes, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::cached::{PodCondition, PodSpec, PodStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn pod(name: &str, node: &str, phase: &str, ready_since: Option<i64>, created: i64) -> Pod {
        let base: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let at = |s: i64| Time(base + jiff::SignedDuration::from_secs(s));
        Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                uid: Some(name.into()),
                creation_timestamp: Some(at(created)),
                ..Default::default()
            },
            spec: Some(PodSpec {
                node_name: (!node.is_empty()).then(|| node.to_string()),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some(phase.into()),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: if ready_since.is_some() {
                        "True"
                    } else {
                        "False"
                    }
                    .into(),
                    last_transition_time: ready_since.map(at),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn deletion_order_follows_upstream_ranking() {
        let now: Timestamp = "2026-01-01T10:00:00Z".parse().unwrap();
        let mut pods = vec![
            (pod("running-ready-old", "n1", "Running", Some(10), 0), 1),
            (
                pod("running-ready-new", "n1", "Running", Some(30000), 29000),
                1,
            ),
            (pod("running-notready", "n1", "Running", None, 0), 1),
            (pod("pending", "n1", "Pending", None, 0), 1),
            (pod("unassigned", "", "Pending", None, 0), 0),
            (pod("doubled-up", "n2", "Running", Some(10), 0), 3),
        ];
        sort_for_deletion(&mut pods, now);
        let order: Vec<_> = pods
            .iter()
            .map(|(p, _)| p.metadata.name.clone().unwrap())
            .collect();
        assert_eq!(
            order,
            [
                "unassigned",
                "pending",
                "running-notready",
                "doubled-up",
                "running-ready-new",
                "running-ready-old"
            ]
        );
    }

    #[test]
    fn availability_honours_min_ready_seconds() {
        let p = pod("p", "n1", "Running", Some(0), 0);
        let base: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let later = |s| base + jiff::SignedDuration::from_secs(s);
        assert!(is_pod_available(&p, 0, later(0)));
        assert!(!is_pod_available(&p, 10, later(5)));
        assert!(is_pod_available(&p, 10, later(11)));
        assert!(!is_pod_available(
            &pod("q", "n1", "Running", None, 0),
            0,
            later(11)
        ));
    }

    #[tokio::test]
    async fn slow_start_stops_at_first_failing_batch() {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let calls = AtomicUsize::new(0);
        let (ok, err) = slow_start_batch(10, 1, || async {
            let n = calls.fetch_add(1, SeqCst);
            if n >= 4 { Err("quota") } else { Ok(()) }
        })
        .await;
        // Batches 1, 2, 4: the third batch has one success and three failures.
        assert_eq!(calls.load(SeqCst), 7);
        assert_eq!(ok, 4);
        assert_eq!(err, Some("quota"));
        let (ok, err) = slow_start_batch(5, 1, || async { Ok::<(), ()>(()) }).await;
        assert_eq!((ok, err), (5, None));
    }
}

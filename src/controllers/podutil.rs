//! What the workload controllers (StatefulSet, DaemonSet, Job) share about the pods they own:
//! readiness, ownership, creation from a template, and waiting for the shared cache to catch up
//! with their own writes (upstream's "expectations").

use std::collections::BTreeMap;
use std::time::Duration;

use crate::controllers::cached::Pod;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, OwnerReference};
use kube::Resource;
use kube::ResourceExt;
use kube::runtime::events::{Event, EventType};

use crate::controllers::events::Recorder;
use kube::runtime::reflector::Store;

/// The controller ownerReference upstream puts on what a workload creates.
pub fn controller_ref<K: Resource<DynamicType = ()>>(owner: &K) -> OwnerReference {
    OwnerReference {
        api_version: K::api_version(&()).to_string(),
        kind: K::kind(&()).to_string(),
        name: owner.meta().name.clone().unwrap_or_default(),
        uid: owner.meta().uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// Whether `obj` is controlled by the object with `uid`.
pub fn is_controlled_by(meta: &kube::api::ObjectMeta, uid: &str) -> bool {
    meta.owner_references
        .iter()
        .flatten()
        .any(|r| r.controller == Some(true) && r.uid == uid)
}

/// The pods in `namespace` controlled by the owner with `uid`, from the cache.
pub fn owned_pods(pods: &Store<Pod>, namespace: &str, uid: &str) -> Vec<Pod> {
    pods.state()
        .into_iter()
        .filter(|p| {
            p.namespace().as_deref() == Some(namespace) && is_controlled_by(&p.metadata, uid)
        })
        .map(|p| Pod::clone(&p))
        .collect()
}

pub fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

pub fn is_terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

/// `podutil.IsPodReady`: the `Ready` condition is `True`.
pub fn is_ready(pod: &Pod) -> bool {
    super::util::is_pod_ready(pod)
}

/// When the pod became Ready, if it is.
pub fn ready_since(pod: &Pod) -> Option<jiff::Timestamp> {
    let cond = pod
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")?;
    if cond.status != "True" {
        return None;
    }
    Some(
        cond.last_transition_time
            .as_ref()
            .map(|t| t.0)
            .unwrap_or_else(|| {
                pod.metadata
                    .creation_timestamp
                    .as_ref()
                    .map(|t| t.0)
                    .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            }),
    )
}

/// `podutil.IsPodAvailable`: Ready for at least `min_ready_seconds`.
pub fn is_available(pod: &Pod, min_ready_seconds: i32, now: jiff::Timestamp) -> bool {
    match ready_since(pod) {
        None => false,
        Some(_) if min_ready_seconds <= 0 => true,
        Some(since) => since + jiff::SignedDuration::from_secs(min_ready_seconds.into()) <= now,
    }
}

/// Whether `labels` match a label selector (matchLabels and matchExpressions).
pub fn selector_matches(
    selector: Option<&LabelSelector>,
    labels: &BTreeMap<String, String>,
) -> bool {
    let Some(sel) = selector else { return false };
    for (k, v) in sel.match_labels.iter().flatten() {
        if labels.get(k) != Some(v) {
            return false;
        }
    }
    for e in sel.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default();
        let present = labels.get(&e.key);
        let ok = match e.operator.as_str() {
            "In" => present.is_some_and(|v| values.contains(v)),
            "NotIn" => present.is_none_or(|v| !values.contains(v)),
            "Exists" => present.is_some(),
            "DoesNotExist" => present.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Upstream's `GetPodFromTemplate`: labels, annotations, finalizers and spec of the template,
/// controlled by `owner`.
pub fn pod_from_template(
    template: &PodTemplateSpec,
    owner: OwnerReference,
) -> k8s_openapi::api::core::v1::Pod {
    let tmeta = template.metadata.clone().unwrap_or_default();
    let mut pod = k8s_openapi::api::core::v1::Pod {
        spec: template.spec.clone(),
        ..Default::default()
    };
    pod.metadata.labels = tmeta.labels;
    pod.metadata.annotations = tmeta.annotations;
    pod.metadata.finalizers = tmeta.finalizers;
    pod.metadata.owner_references = Some(vec![owner]);
    pod
}

/// Waits (bounded) until the shared cache reflects this controller's own writes: objects it
/// created are present, objects it deleted are gone or terminating. This stands in for
/// upstream's expectations, so a reconcile never acts twice on a stale cache.
pub async fn await_cache<K>(
    store: &Store<K>,
    namespace: &str,
    created: &[String],
    deleted: &[String],
) where
    K: Resource<DynamicType = ()> + Clone + 'static,
{
    use kube::runtime::reflector::ObjectRef;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let seen_all = created
            .iter()
            .all(|n| store.get(&ObjectRef::new(n).within(namespace)).is_some())
            && deleted.iter().all(|n| {
                store
                    .get(&ObjectRef::new(n).within(namespace))
                    .is_none_or(|o| o.meta().deletion_timestamp.is_some())
            });
        if seen_all || tokio::time::Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits (bounded) until the cache holds each `(name, resourceVersion)` written by this
/// controller, or something newer, or nothing (deleted).
pub async fn await_versions<K>(store: &Store<K>, namespace: &str, written: &[(String, String)])
where
    K: Resource<DynamicType = ()> + Clone + 'static,
{
    use kube::runtime::reflector::ObjectRef;
    let newer = |cached: &str, want: &str| match (cached.parse::<u64>(), want.parse::<u64>()) {
        (Ok(c), Ok(w)) => c >= w,
        _ => cached == want,
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let seen_all = written.iter().all(|(n, rv)| {
            store
                .get(&ObjectRef::new(n).within(namespace))
                .is_none_or(|o| newer(o.meta().resource_version.as_deref().unwrap_or(""), rv))
        });
        if seen_all || tokio::time::Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether a status field value is empty as Go's `omitempty` sees it (absent, null, zero, "",
/// [] or {}).
pub fn is_empty_value(v: Option<&serde_json::Value>) -> bool {
    use serde_json::Value;
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.values().all(|v| is_empty_value(Some(v))),
        Some(Value::Bool(b)) => !b,
    }
}

/// Whether two status field values differ, treating all empty forms alike.
pub fn differs(old: Option<&serde_json::Value>, new: Option<&serde_json::Value>) -> bool {
    if is_empty_value(old) && is_empty_value(new) {
        return false;
    }
    old != new
}

/// Publishes an Event about `obj`; failures are logged, never fatal (as upstream's recorder).
pub async fn record<K: Resource<DynamicType = ()>>(
    recorder: &Recorder,
    obj: &K,
    type_: EventType,
    reason: &str,
    note: String,
) {
    let reference = obj.object_ref(&());
    let ev = Event {
        type_,
        reason: reason.to_string(),
        note: Some(note),
        action: reason.to_string(),
        secondary: None,
    };
    if let Err(err) = recorder.publish(&ev, &reference).await {
        tracing::debug!(error = %err, reason, "cannot record event");
    }
}

/// Whether a kube error is the API's `404 Not Found`.
pub fn is_not_found(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(e) if e.code == 404)
}

/// Whether a kube error is the API's `409 AlreadyExists`/`Conflict`.
pub fn is_conflict(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(e) if e.code == 409)
}

/// 32-bit FNV-1a, the hash upstream uses for revision and template hashes.
pub fn fnv32a(data: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in data {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// `rand.SafeEncodeString`: the decimal hash mapped onto letters and digits that cannot spell
/// words.
pub fn safe_encode(s: &str) -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    s.bytes()
        .map(|b| ALPHANUMS[usize::from(b) % ALPHANUMS.len()] as char)
        .collect()
}

/// A random 5-character suffix as the API server's `generateName` makes.
pub fn random_suffix() -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|_| ALPHANUMS[fastrand::usize(..ALPHANUMS.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_and_encoding() {
        assert_eq!(fnv32a(b""), 0x811c_9dc5);
        assert_eq!(fnv32a(b"a"), 0xe40c_292c);
        assert_eq!(safe_encode("01"), "45");
    }
}

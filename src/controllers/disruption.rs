//! The disruption controller (upstream's DisruptionController): keeps each PodDisruptionBudget's
//! status — expected and healthy pods, how many disruptions are allowed, the evictions the API
//! server granted but that did not happen yet (`disruptedPods`) — from the pods its selector
//! matches. The `pods/eviction` subresource reads that status to allow or refuse evictions.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use crate::controllers::cached::Pod;
use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{Api, PostParams};
use kube::runtime::events::{Event, EventType};
use kube::{Client, Resource, ResourceExt};
use serde_json::Value;
use tracing::Instrument;

use super::Context;
use crate::api::selector::LabelSelector;

/// How long an eviction the API server granted keeps its pod out of the healthy count
/// (upstream's `DeletionTimeout`).
pub const DELETION_TIMEOUT: Duration = Duration::from_secs(120);

pub async fn run(ctx: Context) {
    async move {
        let pdbs = ctx.informers.get::<PodDisruptionBudget>();
        let pods = ctx.informers.get::<Pod>();
        let recorder = ctx.recorder("controllermanager");
        tokio::select! {
            _ = ctx.shutdown.cancelled() => return,
            _ = ctx.informers.wait_synced() => {}
        }
        let mut changes = futures::stream::select(
            pdbs.changes().map(|_| ()).boxed(),
            pods.changes().map(|_| ()).boxed(),
        );
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut announced_no_pods: HashSet<String> = HashSet::new();
        loop {
            tokio::select! {
                _ = ctx.shutdown.cancelled() => return,
                _ = tick.tick() => {}
                Some(()) = changes.next() => {
                    // Coalesce a burst of changes into one pass.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    while futures::FutureExt::now_or_never(changes.next()).flatten().is_some() {}
                }
            }
            let budgets = pdbs.store().state();
            if budgets.is_empty() {
                // Nothing to compute; indexing every pod for nothing cost CPU on every change.
                continue;
            }
            let all_pods = pods.store().state();
            let mut by_ns: HashMap<String, Vec<&Pod>> = HashMap::new();
            for p in &all_pods {
                by_ns
                    .entry(p.namespace().unwrap_or_default())
                    .or_default()
                    .push(p.as_ref());
            }
            for pdb in budgets {
                let ns = pdb.namespace().unwrap_or_default();
                let matching =
                    matching_pods(&pdb, by_ns.get(&ns).map(Vec::as_slice).unwrap_or(&[]));
                let key = format!("{ns}/{}", pdb.name_any());
                if matching.is_empty() {
                    if announced_no_pods.insert(key.clone()) {
                        let _ = recorder
                            .publish(
                                &Event {
                                    type_: EventType::Normal,
                                    reason: "NoPods".into(),
                                    note: Some("No matching pods found".into()),
                                    action: "NoPods".into(),
                                    secondary: None,
                                },
                                &pdb.object_ref(&()),
                            )
                            .await;
                    }
                } else {
                    announced_no_pods.remove(&key);
                }
                let status = match expected_and_desired(&ctx.client, &pdb, &matching).await {
                    Ok((expected, desired)) => {
                        compute_status(&pdb, &matching, expected, desired, Timestamp::now())
                    }
                    Err(message) => fail_safe(&pdb, &message),
                };
                if pdb.status.as_ref() != Some(&status) {
                    let mut updated = (*pdb).clone();
                    updated.status = Some(status);
                    let api: Api<PodDisruptionBudget> = Api::namespaced(ctx.client.clone(), &ns);
                    if let Err(err) = api
                        .replace_status(&pdb.name_any(), &PostParams::default(), &updated)
                        .await
                    {
                        tracing::debug!(pdb = %key, error = %err, "cannot update pdb status");
                    }
                }
            }
        }
    }
    .instrument(tracing::info_span!("disruption-controller"))
    .await
}

fn labels_json(pod: &Pod) -> serde_json::Map<String, Value> {
    pod.labels()
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

/// Pods the budget's selector matches (policy/v1: a missing selector matches none, an empty one
/// all pods of the namespace).
fn matching_pods<'a>(pdb: &PodDisruptionBudget, pods: &[&'a Pod]) -> Vec<&'a Pod> {
    let Some(selector) = pdb.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
        return Vec::new();
    };
    let value = serde_json::to_value(selector).expect("selectors serialize");
    let Ok(selector) = LabelSelector::from_object(&value) else {
        return Vec::new();
    };
    pods.iter()
        .filter(|p| selector.matches(Some(&labels_json(p))))
        .copied()
        .collect()
}

pub fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// `GetScaledValueFromIntOrPercent` rounding up.
fn scaled(v: &IntOrString, total: i32) -> Result<i32, String> {
    match v {
        IntOrString::Int(i) => Ok(*i),
        IntOrString::String(s) => {
            let pct: i64 = s
                .strip_suffix('%')
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| format!("invalid value for IntOrString: invalid value {s:?}"))?;
            Ok(((pct * total as i64 + 99) / 100) as i32)
        }
    }
}

/// `(expectedCount, desiredHealthy)` as upstream's `getExpectedPodCount`.
async fn expected_and_desired(
    client: &Client,
    pdb: &PodDisruptionBudget,
    pods: &[&Pod],
) -> Result<(i32, i32), String> {
    let spec = pdb.spec.clone().unwrap_or_default();
    if let Some(max_unavailable) = &spec.max_unavailable {
        let expected = expected_scale(client, pods).await?;
        let max = scaled(max_unavailable, expected)?;
        return Ok((expected, (expected - max).max(0)));
    }
    match &spec.min_available {
        Some(IntOrString::Int(min)) => Ok((pods.len() as i32, *min)),
        Some(pct @ IntOrString::String(_)) => {
            let expected = expected_scale(client, pods).await?;
            Ok((expected, scaled(pct, expected)?))
        }
        None => Ok((pods.len() as i32, 0)),
    }
}

/// The sum of the replicas of the pods' controllers (each counted once).
async fn expected_scale(client: &Client, pods: &[&Pod]) -> Result<i32, String> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut total = 0;
    for pod in pods {
        let Some(owner) = pod
            .owner_references()
            .iter()
            .find(|o| o.controller == Some(true))
        else {
            return Err(format!(
                "found no controller ref for pod {:?}",
                pod.name_any()
            ));
        };
        let ns = pod.namespace().unwrap_or_default();
        let (key, replicas) = controller_scale(client, &ns, &owner.kind, &owner.name, &owner.uid)
            .await?
            .ok_or_else(|| format!("found no controllers for pod {:?}", pod.name_any()))?;
        if seen.insert(key) {
            total += replicas;
        }
    }
    Ok(total)
}

/// `(controller uid, replicas)` of a pod's controller: a Deployment (through its ReplicaSet), a
/// ReplicaSet, a ReplicationController or a StatefulSet.
async fn controller_scale(
    client: &Client,
    ns: &str,
    kind: &str,
    name: &str,
    uid: &str,
) -> Result<Option<(String, i32)>, String> {
    use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
    use k8s_openapi::api::core::v1::ReplicationController;
    let err = |e: kube::Error| e.to_string();
    match kind {
        "ReplicaSet" => {
            let Some(rs) = Api::<ReplicaSet>::namespaced(client.clone(), ns)
                .get_opt(name)
                .await
                .map_err(err)?
                .filter(|rs| rs.uid().as_deref() == Some(uid))
            else {
                return Ok(None);
            };
            if let Some(d) = rs
                .owner_references()
                .iter()
                .find(|o| o.controller == Some(true) && o.kind == "Deployment")
                && let Some(dep) = Api::<Deployment>::namespaced(client.clone(), ns)
                    .get_opt(&d.name)
                    .await
                    .map_err(err)?
                    .filter(|dep| dep.uid().as_deref() == Some(d.uid.as_str()))
            {
                let replicas = dep.spec.and_then(|s| s.replicas).unwrap_or(1);
                return Ok(Some((d.uid.clone(), replicas)));
            }
            Ok(Some((
                uid.to_string(),
                rs.spec.and_then(|s| s.replicas).unwrap_or(1),
            )))
        }
        "StatefulSet" => Ok(Api::<StatefulSet>::namespaced(client.clone(), ns)
            .get_opt(name)
            .await
            .map_err(err)?
            .filter(|s| s.uid().as_deref() == Some(uid))
            .map(|s| {
                (
                    uid.to_string(),
                    s.spec.and_then(|s| s.replicas).unwrap_or(1),
                )
            })),
        "ReplicationController" => Ok(Api::<ReplicationController>::namespaced(client.clone(), ns)
            .get_opt(name)
            .await
            .map_err(err)?
            .filter(|s| s.uid().as_deref() == Some(uid))
            .map(|s| {
                (
                    uid.to_string(),
                    s.spec.and_then(|s| s.replicas).unwrap_or(1),
                )
            })),
        _ => Ok(None),
    }
}

fn condition(
    pdb: &PodDisruptionBudget,
    status: &str,
    reason: &str,
    message: &str,
    now: Timestamp,
) -> Vec<Condition> {
    let previous = pdb
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "DisruptionAllowed"));
    let transition = match previous {
        Some(p) if p.status == status => p.last_transition_time.clone(),
        _ => Time(Timestamp::from_second(now.as_second()).expect("a valid time")),
    };
    vec![Condition {
        type_: "DisruptionAllowed".into(),
        status: status.into(),
        reason: reason.into(),
        message: message.into(),
        last_transition_time: transition,
        observed_generation: pdb.metadata.generation,
    }]
}

fn compute_status(
    pdb: &PodDisruptionBudget,
    pods: &[&Pod],
    expected: i32,
    desired: i32,
    now: Timestamp,
) -> PodDisruptionBudgetStatus {
    let old = pdb.status.clone().unwrap_or_default();
    let old_disrupted = old.disrupted_pods.clone().unwrap_or_default();
    let mut disrupted: BTreeMap<String, Time> = BTreeMap::new();
    let mut healthy = 0;
    for pod in pods {
        if pod.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let name = pod.name_any();
        if let Some(at) = old_disrupted.get(&name) {
            let expires =
                at.0.checked_add(jiff::SignedDuration::try_from(DELETION_TIMEOUT).expect("small"))
                    .unwrap_or(at.0);
            if expires > now {
                disrupted.insert(name, at.clone());
                continue;
            }
            tracing::warn!(pod = %name, "pod was expected to be deleted but it was not");
        }
        if pod_ready(pod) {
            healthy += 1;
        }
    }
    let allowed = (healthy - desired).max(0);
    let (status, reason) = if allowed > 0 {
        ("True", "SufficientPods")
    } else {
        ("False", "InsufficientPods")
    };
    PodDisruptionBudgetStatus {
        current_healthy: healthy,
        desired_healthy: desired,
        expected_pods: expected,
        disruptions_allowed: allowed,
        disrupted_pods: (!disrupted.is_empty()).then_some(disrupted),
        observed_generation: pdb.metadata.generation,
        conditions: Some(condition(pdb, status, reason, "", now)),
    }
}

/// Upstream's `failSafe`: no disruptions while the budget cannot be computed.
fn fail_safe(pdb: &PodDisruptionBudget, message: &str) -> PodDisruptionBudgetStatus {
    let old = pdb.status.clone().unwrap_or_default();
    PodDisruptionBudgetStatus {
        disruptions_allowed: 0,
        observed_generation: pdb.metadata.generation,
        conditions: Some(condition(
            pdb,
            "False",
            "SyncFailed",
            message,
            Timestamp::now(),
        )),
        ..old
    }
}

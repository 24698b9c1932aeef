//! The StatefulSet controller (upstream `pkg/controller/statefulset`): pods with stable names
//! `<set>-<ordinal>`, their PersistentVolumeClaims from `volumeClaimTemplates`, ordered or
//! parallel pod management, RollingUpdate (with `partition`) and OnDelete updates, and a
//! ControllerRevision history.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use crate::controllers::cached::Pod;
use futures::StreamExt;
use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet};
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Volume,
};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::EventType;

use crate::controllers::events::Recorder;
use kube::runtime::reflector::Store;
use serde_json::json;

use super::Context;
use super::history::{self, REVISION_HASH_LABEL};
use super::podutil::{self, record};

const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot create pod {name}")]
    CreatePod {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot delete pod {name}")]
    DeletePod {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot create or update claim {name}")]
    Claim {
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
    claims: Store<PersistentVolumeClaim>,
    revisions: Store<ControllerRevision>,
    recorder: Recorder,
}

pub async fn run(ctx: Context) {
    let sets = ctx.informers.get::<StatefulSet>();
    let pods = ctx.informers.get::<Pod>();
    let claims = ctx.informers.get::<PersistentVolumeClaim>();
    let revisions = ctx.informers.get::<ControllerRevision>();
    let ready = ctx.informers.wait_synced();
    let shutdown = ctx.shutdown.clone();
    let trigger = shutdown.clone();
    let state = Arc::new(Ctx {
        recorder: ctx.recorder("statefulset-controller"),
        pods: pods.store(),
        claims: claims.store(),
        revisions: revisions.store(),
        ctx,
    });
    let run = Controller::for_stream(sets.trigger_stream(), sets.store())
        .owns_stream(pods.trigger_stream())
        .owns_stream(revisions.trigger_stream())
        .graceful_shutdown_on(async move { trigger.cancelled().await })
        .run(reconcile, error_policy, state)
        .for_each(|_| async {});
    super::until_shutdown(run, ready, shutdown).await;
}

fn error_policy(set: Arc<StatefulSet>, err: &Error, _: Arc<Ctx>) -> Action {
    tracing::warn!(statefulset = %set.name_any(), error = %err, "statefulset sync failed; retrying");
    Action::requeue(Duration::from_secs(2))
}

/// The ordinal of a pod named `<set>-<ordinal>`.
pub fn ordinal_of(set_name: &str, pod_name: &str) -> Option<i32> {
    let rest = pod_name.strip_prefix(set_name)?.strip_prefix('-')?;
    if rest.is_empty()
        || !rest.bytes().all(|b| b.is_ascii_digit())
        || (rest.len() > 1 && rest.starts_with('0'))
    {
        return None;
    }
    rest.parse().ok()
}

/// Upstream's `isRunningAndReady`.
fn running_and_ready(pod: &Pod) -> bool {
    podutil::phase(pod) == "Running" && podutil::is_ready(pod)
}

fn is_terminal(pod: &Pod) -> bool {
    matches!(podutil::phase(pod), "Succeeded" | "Failed")
}

fn revision_of(pod: &Pod) -> Option<&str> {
    pod.labels().get(REVISION_HASH_LABEL).map(String::as_str)
}

fn claim_name(template: &str, set: &str, ordinal: i32) -> String {
    format!("{template}-{set}-{ordinal}")
}

/// Which ordinals a set of `replicas` pods starting at `start` keeps, and which pods it
/// condemns (outside the range), highest ordinal first.
pub fn split_ordinals(start: i32, replicas: i32, ordinals: &[i32]) -> (Vec<i32>, Vec<i32>) {
    let mut condemned: Vec<i32> = ordinals
        .iter()
        .copied()
        .filter(|o| *o < start || *o >= start + replicas)
        .collect();
    condemned.sort_unstable_by(|a, b| b.cmp(a));
    ((start..start + replicas).collect(), condemned)
}

async fn reconcile(set: Arc<StatefulSet>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let name = set.name_any();
    let ns = set.namespace().unwrap_or_default();
    let span =
        tracing::info_span!("reconciling statefulset", "object.ref" = %format!("{ns}/{name}"));
    let _enter = span.enter();
    if set.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let uid = set.uid().unwrap_or_default();
    let spec = set.spec.clone().unwrap_or_default();
    let status = set.status.clone().unwrap_or_default();
    let client = &ctx.ctx.client;

    // History.
    let revisions = history::owned(&ctx.revisions, &ns, &uid);
    let template = serde_json::to_value(&spec.template).expect("templates serialise");
    let selector_labels = spec.selector.match_labels.clone().unwrap_or_default();
    let (update_rev, collision_count) = history::ensure(
        client,
        set.as_ref(),
        &revisions,
        history::template_patch(&template),
        selector_labels,
        status.collision_count.unwrap_or(0),
    )
    .await?;
    let update_revision = update_rev.name_any();
    let current_revision = status
        .current_revision
        .clone()
        .filter(|r| revisions.iter().any(|rev| rev.name_any() == *r))
        .unwrap_or_else(|| update_revision.clone());
    let current_template = revisions
        .iter()
        .find(|r| r.name_any() == current_revision)
        .and_then(|r| r.data.as_ref())
        .and_then(|d| serde_json::from_value(d.0["spec"]["template"].clone()).ok())
        .map(|mut t: serde_json::Value| {
            if let Some(o) = t.as_object_mut() {
                o.remove("$patch");
            }
            t
        })
        .unwrap_or_else(|| template.clone());

    let replicas = spec.replicas.unwrap_or(1);
    let start = spec.ordinals.as_ref().and_then(|o| o.start).unwrap_or(0);
    let ordered = spec.pod_management_policy.as_deref() != Some("Parallel");
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    let on_delete = strategy.type_.as_deref() == Some("OnDelete");
    let partition = strategy
        .rolling_update
        .as_ref()
        .and_then(|r| r.partition)
        .unwrap_or(0);
    let min_ready = spec.min_ready_seconds.unwrap_or(0);

    let mut by_ordinal: BTreeMap<i32, Pod> = BTreeMap::new();
    for pod in podutil::owned_pods(&ctx.pods, &ns, &uid) {
        if let Some(o) = ordinal_of(&name, &pod.name_any()) {
            by_ordinal.insert(o, pod);
        }
    }
    let ordinals: Vec<i32> = by_ordinal.keys().copied().collect();
    let (wanted, condemned) = split_ordinals(start, replicas, &ordinals);

    let mut created = Vec::new();
    let mut deleted = Vec::new();
    let pods_api: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), &ns);

    // Create and repair the wanted pods, in order.
    let mut blocked = false;
    for &ordinal in &wanted {
        let pod_name = format!("{name}-{ordinal}");
        match by_ordinal.get(&ordinal) {
            Some(pod) if is_terminal(pod) && !podutil::is_terminating(pod) => {
                // A failed (or succeeded) pod is deleted and recreated with the same identity.
                delete_pod(&ctx, &set, &pods_api, &pod_name).await?;
                deleted.push(pod_name);
                if ordered {
                    blocked = true;
                    break;
                }
            }
            Some(pod) => {
                if ordered && (!running_and_ready(pod) || podutil::is_terminating(pod)) {
                    blocked = true;
                    break;
                }
            }
            None => {
                let use_current = current_revision != update_revision
                    && (on_delete || ordinal < start + partition);
                let (rev, tmpl) = if use_current {
                    (&current_revision, &current_template)
                } else {
                    (&update_revision, &template)
                };
                create_pod(&ctx, &set, &pods_api, ordinal, rev, tmpl).await?;
                created.push(pod_name);
                if ordered {
                    blocked = true;
                    break;
                }
            }
        }
    }

    // Scale down: highest ordinal first; ordered management deletes one at a time, only once
    // every remaining pod is healthy.
    if !blocked {
        for &ordinal in &condemned {
            let pod = &by_ordinal[&ordinal];
            let pod_name = pod.name_any();
            if podutil::is_terminating(pod) {
                if ordered {
                    blocked = true;
                    break;
                }
                continue;
            }
            if ordered
                && by_ordinal.values().any(|p| {
                    !running_and_ready(p)
                        && !podutil::is_terminating(p)
                        && !is_terminal(p)
                        && ordinal_of(&name, &p.name_any()).is_some_and(|o| o < ordinal)
                })
            {
                blocked = true;
                break;
            }
            retain_claims_on_scale_down(&ctx, &set, pod, ordinal).await?;
            delete_pod(&ctx, &set, &pods_api, &pod_name).await?;
            deleted.push(pod_name);
            if ordered {
                blocked = true;
                break;
            }
        }
    }

    // Rolling update: highest ordinal first down to the partition, one pod at a time.
    if !blocked && !on_delete && condemned.is_empty() {
        let all_healthy = wanted.iter().all(|o| {
            by_ordinal
                .get(o)
                .is_some_and(|p| running_and_ready(p) && !podutil::is_terminating(p))
        });
        if all_healthy {
            for &ordinal in wanted.iter().rev() {
                if ordinal < start + partition {
                    break;
                }
                let pod = &by_ordinal[&ordinal];
                if revision_of(pod) != Some(update_revision.as_str()) {
                    let pod_name = pod.name_any();
                    delete_pod(&ctx, &set, &pods_api, &pod_name).await?;
                    deleted.push(pod_name);
                    break;
                }
            }
        }
    }

    podutil::await_cache(&ctx.pods, &ns, &created, &deleted).await;

    // Status from the cache as it is now.
    let pods: Vec<Pod> = podutil::owned_pods(&ctx.pods, &ns, &uid)
        .into_iter()
        .filter(|p| ordinal_of(&name, &p.name_any()).is_some())
        .collect();
    let now = jiff::Timestamp::now();
    let mut s = json!({
        "observedGeneration": set.metadata.generation,
        "replicas": 0, "readyReplicas": 0, "currentReplicas": 0, "updatedReplicas": 0,
        "availableReplicas": 0,
        "currentRevision": current_revision, "updateRevision": update_revision,
        "collisionCount": collision_count,
    });
    let (mut total, mut ready, mut available, mut current, mut updated) = (0, 0, 0, 0, 0);
    for pod in &pods {
        total += 1;
        if running_and_ready(pod) && !podutil::is_terminating(pod) {
            ready += 1;
            if podutil::is_available(pod, min_ready, now) {
                available += 1;
            }
        }
        if !podutil::is_terminating(pod) {
            if revision_of(pod) == Some(current_revision.as_str()) {
                current += 1;
            }
            if revision_of(pod) == Some(update_revision.as_str()) {
                updated += 1;
            }
        }
    }
    let mut current_rev_out = current_revision.clone();
    // `completeRollingUpdate`: once every replica is updated and ready, the update is current.
    if !on_delete && updated == replicas && ready == replicas && total == replicas {
        current_rev_out = update_revision.clone();
        current = updated;
    }
    s["replicas"] = json!(total);
    s["readyReplicas"] = json!(ready);
    s["availableReplicas"] = json!(available);
    s["currentReplicas"] = json!(current);
    s["updatedReplicas"] = json!(updated);
    s["currentRevision"] = json!(current_rev_out);
    let old = serde_json::to_value(&status).expect("status serialises");
    let changed = [
        "observedGeneration",
        "replicas",
        "readyReplicas",
        "availableReplicas",
        "currentReplicas",
        "updatedReplicas",
        "currentRevision",
        "updateRevision",
        "collisionCount",
    ]
    .iter()
    .any(|k| old.get(*k).unwrap_or(&json!(0)) != s.get(*k).unwrap_or(&json!(0)));
    if changed {
        let sets: Api<StatefulSet> = Api::namespaced(client.clone(), &ns);
        match sets
            .patch_status(
                &name,
                &PatchParams::default(),
                &Patch::Merge(&json!({"status": s})),
            )
            .await
        {
            Ok(_) => {}
            Err(e) if podutil::is_not_found(&e) => return Ok(Action::await_change()),
            Err(e) => return Err(Error::Status(e)),
        }
    }

    // History: keep the revisions live pods use, and `revisionHistoryLimit` others.
    let mut live: HashSet<String> = pods
        .iter()
        .filter_map(|p| revision_of(p).map(|r| format!("{name}-{r}")))
        .collect();
    live.insert(current_rev_out);
    live.insert(update_revision);
    let revisions = history::owned(&ctx.revisions, &ns, &uid);
    history::truncate(
        client,
        &ns,
        &revisions,
        &live,
        spec.revision_history_limit.unwrap_or(10),
    )
    .await?;

    // Availability after minReadySeconds needs a later look.
    if min_ready > 0 && available < ready {
        return Ok(Action::requeue(Duration::from_secs(
            u64::try_from(min_ready).unwrap_or(1),
        )));
    }
    Ok(Action::await_change())
}

async fn create_pod(
    ctx: &Ctx,
    set: &StatefulSet,
    api: &Api<k8s_openapi::api::core::v1::Pod>,
    ordinal: i32,
    revision: &str,
    template: &serde_json::Value,
) -> Result<(), Error> {
    let set_name = set.name_any();
    let ns = set.namespace().unwrap_or_default();
    let spec = set.spec.clone().unwrap_or_default();
    let pod_name = format!("{set_name}-{ordinal}");
    let template =
        serde_json::from_value(template.clone()).unwrap_or_else(|_| spec.template.clone());
    let mut pod = podutil::pod_from_template(&template, podutil::controller_ref(set));
    pod.metadata.name = Some(pod_name.clone());
    pod.metadata.namespace = Some(ns.clone());
    let labels = pod.metadata.labels.get_or_insert_with(Default::default);
    labels.insert(POD_NAME_LABEL.into(), pod_name.clone());
    labels.insert(POD_INDEX_LABEL.into(), ordinal.to_string());
    // Upstream labels StatefulSet pods with the whole revision name (`web-6c5c4c8d7b`), unlike
    // DaemonSet pods, which carry the hash alone.
    labels.insert(REVISION_HASH_LABEL.into(), revision.to_string());
    let pod_spec = pod.spec.get_or_insert_with(Default::default);
    pod_spec.hostname = Some(pod_name.clone());
    if !spec.service_name.clone().unwrap_or_default().is_empty() {
        pod_spec.subdomain = spec.service_name.clone();
    }

    // Claims first, then the pod that mounts them.
    let claims_api: Api<PersistentVolumeClaim> = Api::namespaced(ctx.ctx.client.clone(), &ns);
    let when_deleted = spec
        .persistent_volume_claim_retention_policy
        .as_ref()
        .and_then(|p| p.when_deleted.clone())
        .unwrap_or_else(|| "Retain".into());
    for tmpl in spec.volume_claim_templates.iter().flatten() {
        let tmpl_name = tmpl.metadata.name.clone().unwrap_or_default();
        let claim = claim_name(&tmpl_name, &set_name, ordinal);
        let volumes = pod_spec.volumes.get_or_insert_with(Vec::new);
        volumes.retain(|v| v.name != tmpl_name);
        volumes.push(Volume {
            name: tmpl_name.clone(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.clone(),
                read_only: None,
            }),
            ..Volume::default()
        });
        let key = kube::runtime::reflector::ObjectRef::new(&claim).within(&ns);
        if ctx.claims.get(&key).is_some() {
            continue;
        }
        let mut pvc = PersistentVolumeClaim {
            metadata: kube::api::ObjectMeta {
                name: Some(claim.clone()),
                namespace: Some(ns.clone()),
                labels: tmpl.metadata.labels.clone(),
                annotations: tmpl.metadata.annotations.clone(),
                ..Default::default()
            },
            spec: tmpl.spec.clone(),
            status: None,
        };
        let claim_labels = pvc.metadata.labels.get_or_insert_with(Default::default);
        for (k, v) in spec.selector.match_labels.iter().flatten() {
            claim_labels.insert(k.clone(), v.clone());
        }
        if when_deleted == "Delete" {
            let mut owner = podutil::controller_ref(set);
            owner.controller = None;
            owner.block_owner_deletion = Some(true);
            pvc.metadata.owner_references = Some(vec![owner]);
        }
        match claims_api.create(&PostParams::default(), &pvc).await {
            Ok(_) => {
                record(
                    &ctx.recorder,
                    set,
                    EventType::Normal,
                    "SuccessfulCreate",
                    format!(
                        "create Claim {claim} Pod {pod_name} in StatefulSet {set_name} success"
                    ),
                )
                .await;
            }
            Err(e) if podutil::is_conflict(&e) => {}
            Err(source) => {
                record(
                    &ctx.recorder,
                    set,
                    EventType::Warning,
                    "FailedCreate",
                    format!("create Claim {claim} for Pod {pod_name} in StatefulSet {set_name} failed error: {source}"),
                )
                .await;
                return Err(Error::Claim {
                    name: claim,
                    source,
                });
            }
        }
    }

    match api.create(&PostParams::default(), &pod).await {
        Ok(_) => {
            record(
                &ctx.recorder,
                set,
                EventType::Normal,
                "SuccessfulCreate",
                format!("create Pod {pod_name} in StatefulSet {set_name} successful"),
            )
            .await;
            Ok(())
        }
        Err(e) if podutil::is_conflict(&e) => Ok(()),
        Err(source) => {
            record(
                &ctx.recorder,
                set,
                EventType::Warning,
                "FailedCreate",
                format!("create Pod {pod_name} in StatefulSet {set_name} failed error: {source}"),
            )
            .await;
            Err(Error::CreatePod {
                name: pod_name,
                source,
            })
        }
    }
}

async fn delete_pod(
    ctx: &Ctx,
    set: &StatefulSet,
    api: &Api<k8s_openapi::api::core::v1::Pod>,
    pod_name: &str,
) -> Result<(), Error> {
    match api.delete(pod_name, &DeleteParams::default()).await {
        Ok(_) => {
            record(
                &ctx.recorder,
                set,
                EventType::Normal,
                "SuccessfulDelete",
                format!(
                    "delete Pod {pod_name} in StatefulSet {} successful",
                    set.name_any()
                ),
            )
            .await;
            Ok(())
        }
        Err(e) if podutil::is_not_found(&e) => Ok(()),
        Err(source) => Err(Error::DeletePod {
            name: pod_name.to_string(),
            source,
        }),
    }
}

/// `whenScaled: Delete`: a condemned pod's claims become owned by the pod, so the garbage
/// collector removes them with it.
async fn retain_claims_on_scale_down(
    ctx: &Ctx,
    set: &StatefulSet,
    pod: &Pod,
    ordinal: i32,
) -> Result<(), Error> {
    let spec = set.spec.clone().unwrap_or_default();
    let when_scaled = spec
        .persistent_volume_claim_retention_policy
        .as_ref()
        .and_then(|p| p.when_scaled.clone())
        .unwrap_or_else(|| "Retain".into());
    if when_scaled != "Delete" {
        return Ok(());
    }
    let ns = set.namespace().unwrap_or_default();
    let api: Api<PersistentVolumeClaim> = Api::namespaced(ctx.ctx.client.clone(), &ns);
    let pod_ref = json!({
        "apiVersion": "v1", "kind": "Pod", "name": pod.name_any(), "uid": pod.uid(),
    });
    for tmpl in spec.volume_claim_templates.iter().flatten() {
        let claim = claim_name(
            tmpl.metadata.name.as_deref().unwrap_or_default(),
            &set.name_any(),
            ordinal,
        );
        let key = kube::runtime::reflector::ObjectRef::new(&claim).within(&ns);
        let Some(existing) = ctx.claims.get(&key) else {
            continue;
        };
        let mut refs: Vec<serde_json::Value> = existing
            .metadata
            .owner_references
            .iter()
            .flatten()
            .map(|r| serde_json::to_value(r).expect("owner references serialise"))
            .collect();
        if refs.iter().any(|r| r["uid"] == pod_ref["uid"]) {
            continue;
        }
        refs.push(pod_ref.clone());
        let patch = json!({"metadata": {"ownerReferences": refs, "resourceVersion": existing.resource_version()}});
        match api
            .patch(&claim, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => {}
            Err(e) if podutil::is_not_found(&e) => {}
            Err(source) => {
                return Err(Error::Claim {
                    name: claim,
                    source,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals() {
        assert_eq!(ordinal_of("web", "web-0"), Some(0));
        assert_eq!(ordinal_of("web", "web-12"), Some(12));
        assert_eq!(ordinal_of("web", "web-01"), None);
        assert_eq!(ordinal_of("web", "web-x"), None);
        assert_eq!(ordinal_of("web", "webs-1"), None);
        assert_eq!(ordinal_of("web", "web-"), None);
        assert_eq!(ordinal_of("web-1", "web-1-2"), Some(2));
    }

    #[test]
    fn condemned_highest_first() {
        let (wanted, condemned) = split_ordinals(0, 2, &[0, 1, 2, 3, 5]);
        assert_eq!(wanted, vec![0, 1]);
        assert_eq!(condemned, vec![5, 3, 2]);
        let (wanted, condemned) = split_ordinals(3, 2, &[0, 3]);
        assert_eq!(wanted, vec![3, 4]);
        assert_eq!(condemned, vec![0]);
    }

    #[test]
    fn claim_names() {
        assert_eq!(claim_name("www", "web", 2), "www-web-2");
    }
}

//! The Deployment controller (upstream's `pkg/controller/deployment`): owns one ReplicaSet per
//! pod template, named `<deployment>-<pod-template-hash>`, and moves replicas from the old ones
//! to the new one (RollingUpdate within maxSurge/maxUnavailable, or Recreate), keeping revision
//! annotations for `kubectl rollout history/undo`, pausing, proportional scaling, old-revision
//! cleanup, and the Available/Progressing conditions `kubectl rollout status` reads.

pub mod util;

use std::sync::Arc;
use std::time::Duration;

use crate::controllers::cached::Pod;
use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType};

use crate::controllers::events::Recorder;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Client, Resource, ResourceExt};
use serde_json::json;

use super::informers::{Change, Informer};
use super::util as cutil;
use util::*;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot update replica set {name}")]
    UpdateReplicaSet {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot create replica set {name}")]
    CreateReplicaSet {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("hash collision for replica set {name}; collision count is now {count}")]
    Collision { name: String, count: i32 },
    #[error("cannot delete replica set {name}")]
    DeleteReplicaSet {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot adopt or release replica set {name}")]
    Claim {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot update deployment {name}")]
    Update {
        name: String,
        #[source]
        source: kube::Error,
    },
}

struct Ctx {
    client: Client,
    replicasets: Informer<ReplicaSet>,
    pods: Informer<Pod>,
    recorder: Recorder,
}

/// Runs the Deployment controller until shutdown.
pub async fn run(ctx: super::Context) {
    let deployments = ctx.informers.get::<Deployment>();
    let replicasets = ctx.informers.get::<ReplicaSet>();
    let pods = ctx.informers.get::<Pod>();
    let store = deployments.store();
    let for_rs = deployments.store();
    let for_pods = (deployments.store(), replicasets.store());
    // Pods matter only to Recreate, which waits until the old ones are gone.
    let pod_exits = pods.changes().filter_map(|change| {
        futures::future::ready(match change {
            Change::Deleted(p) => Some(Ok(Pod::clone(&p))),
            Change::Applied(p) if !cutil::is_pod_active(&p) => Some(Ok(Pod::clone(&p))),
            Change::Applied(_) => None,
        })
    });
    let state = Arc::new(Ctx {
        client: ctx.client.clone(),
        replicasets: replicasets.clone(),
        pods,
        recorder: ctx.recorder("deployment-controller"),
    });
    let trigger = ctx.shutdown.clone();
    let controller = Controller::for_stream(deployments.trigger_stream(), store.clone())
        .watches_stream(replicasets.trigger_stream(), move |rs: ReplicaSet| {
            deployments_of_rs(&rs, &for_rs)
        })
        .watches_stream(pod_exits, move |pod: Pod| {
            let ns = pod.metadata.namespace.clone().unwrap_or_default();
            cutil::controller_of(&pod.metadata)
                .filter(|r| r.kind == "ReplicaSet")
                .and_then(|r| for_pods.1.get(&ObjectRef::new(&r.name).within(&ns)))
                .map(|rs| deployments_of_rs(&rs, &for_pods.0))
                .unwrap_or_default()
        })
        .graceful_shutdown_on(async move { trigger.cancelled().await })
        .run(reconcile, error_policy, state)
        .for_each(|_| async {});
    super::until_shutdown(
        controller,
        ctx.informers.wait_synced(),
        ctx.shutdown.clone(),
    )
    .await;
}

/// The Deployment controlling a ReplicaSet, or for an orphan those whose selector matches it.
fn deployments_of_rs(
    rs: &ReplicaSet,
    deployments: &Store<Deployment>,
) -> Vec<ObjectRef<Deployment>> {
    let ns = rs.metadata.namespace.clone().unwrap_or_default();
    if let Some(r) = cutil::controller_of(&rs.metadata) {
        if r.kind == "Deployment" {
            return vec![ObjectRef::new(&r.name).within(&ns)];
        }
        return Vec::new();
    }
    deployments
        .state()
        .iter()
        .filter(|d| d.metadata.namespace.as_deref() == Some(ns.as_str()))
        .filter(|d| {
            let sel = cutil::selector(d.spec.as_ref().map(|s| &s.selector));
            !sel.is_everything() && cutil::selector_matches(&sel, rs.metadata.labels.as_ref())
        })
        .map(|d| ObjectRef::from_obj(d.as_ref()))
        .collect()
}

fn error_policy(d: Arc<Deployment>, err: &Error, _: Arc<Ctx>) -> Action {
    tracing::warn!(deployment = %d.name_any(), error = %err, "deployment sync failed; retrying");
    Action::requeue(Duration::from_secs(1))
}

async fn reconcile(d: Arc<Deployment>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let span = tracing::info_span!(
        "reconciling deployment",
        "object.ref" = %format!("{}/{}", d.namespace().unwrap_or_default(), d.name_any())
    );
    let _enter = span.enter();
    let mut sync = Sync {
        ctx: &ctx,
        d: d.as_ref().clone(),
        rss: Vec::new(),
    };
    sync.run().await
}

/// One sync of one Deployment: the Deployment and its ReplicaSets, updated as we write them.
struct Sync<'a> {
    ctx: &'a Ctx,
    d: Deployment,
    rss: Vec<ReplicaSet>,
}

impl Sync<'_> {
    fn ns(&self) -> String {
        self.d.namespace().unwrap_or_default()
    }

    fn name(&self) -> String {
        self.d.name_any()
    }

    fn rs_api(&self) -> Api<ReplicaSet> {
        Api::namespaced(self.ctx.client.clone(), &self.ns())
    }

    fn d_api(&self) -> Api<Deployment> {
        Api::namespaced(self.ctx.client.clone(), &self.ns())
    }

    fn paused(&self) -> bool {
        self.d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false)
    }

    /// Upstream's `syncDeployment`.
    async fn run(&mut self) -> Result<Action, Error> {
        let selector = self
            .d
            .spec
            .as_ref()
            .map(|s| s.selector.clone())
            .unwrap_or_default();
        let empty = selector.match_labels.as_ref().is_none_or(|m| m.is_empty())
            && selector
                .match_expressions
                .as_ref()
                .is_none_or(|m| m.is_empty());
        if empty {
            self.event(
                EventType::Warning,
                "SelectorNone",
                "This deployment is selecting all pods. A non-empty selector is required.".into(),
            )
            .await;
            let status = self.d.status.clone().unwrap_or_default();
            if status.observed_generation < self.d.metadata.generation {
                let mut status = status;
                status.observed_generation = self.d.metadata.generation;
                self.write_status(status).await?;
            }
            return Ok(Action::await_change());
        }
        self.rss = self.claim_replica_sets().await?;
        if self.d.metadata.deletion_timestamp.is_some() {
            let new_rs = self.new_and_sync_revision(false).await?;
            let status =
                calculate_status(&self.d, &self.all_refs(), new_rs.as_ref(), Timestamp::now());
            self.write_status(status).await?;
            return Ok(Action::await_change());
        }
        self.check_paused_conditions().await?;
        if self.paused() || self.is_scaling_event() {
            return self.sync_scale().await;
        }
        if is_rolling(&self.d) {
            self.rollout_rolling().await
        } else {
            self.rollout_recreate().await
        }
    }

    fn all_refs(&self) -> Vec<&ReplicaSet> {
        self.rss.iter().collect()
    }

    fn split(&self) -> (Option<ReplicaSet>, Vec<ReplicaSet>) {
        split_new_old(&self.d, &self.rss)
    }

    async fn event(&self, type_: EventType, reason: &str, note: String) {
        let event = Event {
            type_,
            reason: reason.into(),
            note: Some(note),
            action: reason.into(),
            secondary: None,
        };
        let reference = self.d.object_ref(&());
        if let Err(e) = self.ctx.recorder.publish(&event, &reference).await {
            tracing::debug!(error = %e, "cannot record event");
        }
    }

    /// Adopts matching orphan ReplicaSets and releases owned ones that no longer match
    /// (upstream's `ReplicaSetControllerRefManager.ClaimReplicaSets`).
    async fn claim_replica_sets(&self) -> Result<Vec<ReplicaSet>, Error> {
        let ns = self.ns();
        let uid = self.d.metadata.uid.clone().unwrap_or_default();
        let selector = cutil::selector(self.d.spec.as_ref().map(|s| &s.selector));
        let api = self.rs_api();
        let mut claimed = Vec::new();
        let mut can_adopt = None;
        for rs in self.ctx.replicasets.store().state() {
            if rs.metadata.namespace.as_deref() != Some(ns.as_str()) {
                continue;
            }
            let matches = cutil::selector_matches(&selector, rs.metadata.labels.as_ref());
            match cutil::controller_of(&rs.metadata) {
                Some(r) if r.uid == uid => {
                    if matches {
                        claimed.push(ReplicaSet::clone(&rs));
                    } else if self.d.metadata.deletion_timestamp.is_none() {
                        cutil::release(&api, &rs.metadata, &uid)
                            .await
                            .map_err(|source| Error::Claim {
                                name: rs.name_any(),
                                source,
                            })?;
                    }
                }
                Some(_) => {}
                None => {
                    if !matches
                        || self.d.metadata.deletion_timestamp.is_some()
                        || rs.metadata.deletion_timestamp.is_some()
                    {
                        continue;
                    }
                    if can_adopt.is_none() {
                        let fresh = self.d_api().get_opt(&self.name()).await.map_err(|source| {
                            Error::Update {
                                name: self.name(),
                                source,
                            }
                        })?;
                        can_adopt = Some(fresh.is_some_and(|f| {
                            f.metadata.uid == self.d.metadata.uid
                                && f.metadata.deletion_timestamp.is_none()
                        }));
                    }
                    if can_adopt != Some(true) {
                        continue;
                    }
                    let owner = cutil::controller_ref("apps/v1", "Deployment", &self.name(), &uid);
                    match cutil::adopt(&api, &rs.metadata, owner).await {
                        Ok(()) => claimed.push(ReplicaSet::clone(&rs)),
                        Err(kube::Error::Api(e)) if e.code == 404 => {}
                        Err(source) => {
                            return Err(Error::Claim {
                                name: rs.name_any(),
                                source,
                            });
                        }
                    }
                }
            }
        }
        Ok(claimed)
    }

    /// Writes the status if it differs from the one we have.
    async fn write_status(
        &mut self,
        status: k8s_openapi::api::apps::v1::DeploymentStatus,
    ) -> Result<(), Error> {
        if self.d.status.as_ref() == Some(&status) {
            return Ok(());
        }
        let mut body = serde_json::to_value(&status).expect("status serialises");
        for field in ["conditions", "collisionCount"] {
            if body.get(field).is_none() {
                body[field] = serde_json::Value::Null;
            }
        }
        match self
            .d_api()
            .patch_status(
                &self.name(),
                &PatchParams::default(),
                &Patch::Merge(json!({"status": body})),
            )
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(source) => {
                return Err(Error::Update {
                    name: self.name(),
                    source,
                });
            }
        }
        self.d.status = Some(status);
        Ok(())
    }

    /// Upstream's `SetDeploymentRevision`; the annotation is written on the Deployment itself
    /// (our status subresource does not take metadata changes).
    async fn set_deployment_revision(&mut self, revision: &str) -> Result<(), Error> {
        let current = self
            .d
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(REVISION))
            .map(String::as_str);
        if current == Some(revision) {
            return Ok(());
        }
        let patch = json!({"metadata": {"annotations": {REVISION: revision}}});
        self.d_api()
            .patch(&self.name(), &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|source| Error::Update {
                name: self.name(),
                source,
            })?;
        self.d
            .metadata
            .annotations
            .get_or_insert_default()
            .insert(REVISION.into(), revision.into());
        Ok(())
    }

    fn replace_rs(&mut self, rs: ReplicaSet) {
        match self
            .rss
            .iter_mut()
            .find(|r| r.metadata.uid == rs.metadata.uid)
        {
            Some(slot) => *slot = rs,
            None => self.rss.push(rs),
        }
    }

    async fn update_rs(&mut self, rs: &ReplicaSet) -> Result<ReplicaSet, Error> {
        let updated = self
            .rs_api()
            .replace(&rs.name_any(), &PostParams::default(), rs)
            .await
            .map_err(|source| Error::UpdateReplicaSet {
                name: rs.name_any(),
                source,
            })?;
        self.replace_rs(updated.clone());
        Ok(updated)
    }

    /// Upstream's `getNewReplicaSet` (inside `getAllReplicaSetsAndSyncRevision`): finds the
    /// ReplicaSet of the current template, bringing its revision up to date, or creates it.
    async fn new_and_sync_revision(&mut self, create: bool) -> Result<Option<ReplicaSet>, Error> {
        let (existing, old) = self.split();
        let new_revision = max_revision(&old) + 1;
        let now = Timestamp::now();
        if let Some(existing) = existing {
            let mut copy = existing.clone();
            let changed = set_new_rs_annotations(&self.d, &mut copy, new_revision, true);
            let min_ready = self.d.spec.as_ref().and_then(|s| s.min_ready_seconds);
            let spec = copy.spec.get_or_insert_default();
            let min_ready_changed = spec.min_ready_seconds.unwrap_or(0) != min_ready.unwrap_or(0);
            if changed || min_ready_changed {
                spec.min_ready_seconds = min_ready;
                copy = self.update_rs(&copy).await?;
            }
            let revision = copy
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(REVISION))
                .cloned()
                .unwrap_or_default();
            self.set_deployment_revision(&revision).await?;
            let mut status = self.d.status.clone().unwrap_or_default();
            if condition(&status, PROGRESSING).is_none() {
                set_condition(
                    &mut status,
                    new_condition(
                        PROGRESSING,
                        "True",
                        FOUND_NEW_RS,
                        format!("Found new replica set \"{}\"", copy.name_any()),
                        now,
                    ),
                );
                self.write_status(status).await?;
            }
            return Ok(Some(copy));
        }
        if !create {
            return Ok(None);
        }
        let spec = self.d.spec.clone().unwrap_or_default();
        let collision_count = self.d.status.as_ref().and_then(|s| s.collision_count);
        let mut template = spec.template.clone();
        let hash = compute_hash(&template, collision_count);
        template
            .metadata
            .get_or_insert_default()
            .labels
            .get_or_insert_default()
            .insert(POD_TEMPLATE_HASH.into(), hash.clone());
        let mut selector = spec.selector.clone();
        selector
            .match_labels
            .get_or_insert_default()
            .insert(POD_TEMPLATE_HASH.into(), hash.clone());
        let rs_name = format!("{}-{}", self.name(), hash);
        let mut new_rs = ReplicaSet {
            metadata: ObjectMeta {
                name: Some(rs_name.clone()),
                namespace: Some(self.ns()),
                labels: template.metadata.as_ref().and_then(|m| m.labels.clone()),
                owner_references: Some(vec![cutil::controller_ref(
                    "apps/v1",
                    "Deployment",
                    &self.name(),
                    self.d.metadata.uid.as_deref().unwrap_or_default(),
                )]),
                ..Default::default()
            },
            spec: Some(ReplicaSetSpec {
                replicas: Some(0),
                min_ready_seconds: spec.min_ready_seconds,
                selector,
                template: Some(template),
            }),
            status: None,
        };
        let all: Vec<&ReplicaSet> = old.iter().chain(std::iter::once(&new_rs)).collect();
        let new_replicas = new_rs_new_replicas(&self.d, &all, &new_rs);
        new_rs.spec.as_mut().expect("set above").replicas = Some(new_replicas);
        set_new_rs_annotations(&self.d, &mut new_rs, new_revision, false);

        let mut already_exists = false;
        let created = match self.rs_api().create(&PostParams::default(), &new_rs).await {
            Ok(rs) => rs,
            Err(kube::Error::Api(e)) if e.code == 409 => {
                already_exists = true;
                let existing = self.rs_api().get(&rs_name).await.map_err(|source| {
                    Error::CreateReplicaSet {
                        name: rs_name.clone(),
                        source,
                    }
                })?;
                let ours = cutil::controller_of(&existing.metadata)
                    .is_some_and(|r| Some(&r.uid) == self.d.metadata.uid.as_ref());
                let same = existing
                    .spec
                    .as_ref()
                    .and_then(|s| s.template.as_ref())
                    .is_some_and(|t| equal_ignore_hash(t, &spec.template));
                if !(ours && same) {
                    // A different object holds our name: bump the collision count so the next
                    // hash (and name) differs.
                    let mut status = self.d.status.clone().unwrap_or_default();
                    let count = status.collision_count.unwrap_or(0) + 1;
                    status.collision_count = Some(count);
                    self.write_status(status).await?;
                    return Err(Error::Collision {
                        name: rs_name,
                        count,
                    });
                }
                existing
            }
            Err(source) => {
                let mut status = self.d.status.clone().unwrap_or_default();
                set_condition(
                    &mut status,
                    new_condition(
                        PROGRESSING,
                        "False",
                        FAILED_RS_CREATE,
                        format!(
                            "Failed to create new replica set \"{rs_name}\": {}",
                            cutil::error_message(&source)
                        ),
                        now,
                    ),
                );
                self.write_status(status).await?;
                return Err(Error::CreateReplicaSet {
                    name: rs_name,
                    source,
                });
            }
        };
        if !already_exists && new_replicas > 0 {
            self.event(
                EventType::Normal,
                "ScalingReplicaSet",
                format!("Scaled up replica set {rs_name} from 0 to {new_replicas}"),
            )
            .await;
        }
        self.replace_rs(created.clone());
        self.set_deployment_revision(&new_revision.to_string())
            .await?;
        if !already_exists {
            let mut status = self.d.status.clone().unwrap_or_default();
            set_condition(
                &mut status,
                new_condition(
                    PROGRESSING,
                    "True",
                    NEW_RS_CREATED,
                    format!("Created new replica set \"{rs_name}\""),
                    now,
                ),
            );
            self.write_status(status).await?;
        }
        Ok(Some(created))
    }

    /// Upstream's `scaleReplicaSet`: sets the size and the replicas annotations; returns the
    /// ReplicaSet as written.
    async fn scale_rs(
        &mut self,
        rs: &ReplicaSet,
        size: i32,
        op: &str,
    ) -> Result<ReplicaSet, Error> {
        let old = rs_replicas(rs);
        let mut copy = rs.clone();
        let annotations_changed = set_replicas_annotations(
            &mut copy,
            replicas(&self.d),
            replicas(&self.d) + max_surge(&self.d),
        );
        if old == size && !annotations_changed {
            return Ok(copy);
        }
        copy.spec.get_or_insert_default().replicas = Some(size);
        let written = self.update_rs(&copy).await?;
        if old != size {
            self.event(
                EventType::Normal,
                "ScalingReplicaSet",
                format!(
                    "Scaled {op} replica set {} from {old} to {size}",
                    rs.name_any()
                ),
            )
            .await;
        }
        Ok(written)
    }

    /// Upstream's `scaleReplicaSetAndRecordEvent`: returns whether the size changed.
    async fn scale_to(&mut self, rs: &ReplicaSet, size: i32) -> Result<bool, Error> {
        let old = rs_replicas(rs);
        if old == size {
            return Ok(false);
        }
        let op = if old < size { "up" } else { "down" };
        self.scale_rs(rs, size, op).await?;
        Ok(true)
    }

    fn is_scaling_event(&self) -> bool {
        self.rss
            .iter()
            .filter(|rs| rs_replicas(rs) > 0)
            .filter_map(|rs| {
                rs.metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(DESIRED_REPLICAS))
                    .and_then(|v| v.parse::<i32>().ok())
            })
            .any(|desired| desired != replicas(&self.d))
    }

    /// Upstream's `sync`: scaling (also while paused) and cleanup, then status.
    async fn sync_scale(&mut self) -> Result<Action, Error> {
        let new_rs = self.new_and_sync_revision(false).await?;
        self.scale(new_rs.as_ref()).await?;
        if self.paused() {
            let (_, old) = self.split();
            self.cleanup(&old).await?;
        }
        let (new_rs, _) = self.split();
        let status = calculate_status(&self.d, &self.all_refs(), new_rs.as_ref(), Timestamp::now());
        self.write_status(status).await?;
        Ok(Action::await_change())
    }

    /// Upstream's `scale`.
    async fn scale(&mut self, new_rs: Option<&ReplicaSet>) -> Result<(), Error> {
        let (_, old) = self.split();
        let want = replicas(&self.d);
        let mut active: Vec<ReplicaSet> = new_rs
            .into_iter()
            .cloned()
            .chain(old.iter().cloned())
            .filter(|r| rs_replicas(r) > 0)
            .collect();
        let target = match active.len() {
            0 => new_rs.cloned().or_else(|| old.last().cloned()),
            1 => Some(active[0].clone()),
            _ => None,
        };
        if let Some(rs) = target {
            if rs_replicas(&rs) != want {
                self.scale_to(&rs, want).await?;
            }
            return Ok(());
        }
        if is_saturated(&self.d, new_rs) {
            for rs in old.iter().filter(|r| rs_replicas(r) > 0) {
                self.scale_to(rs, 0).await?;
            }
            return Ok(());
        }
        if is_rolling(&self.d) {
            let sizes = proportional_sizes(&self.d, &active);
            let total: i32 = active.iter().map(rs_replicas).sum();
            let allowed = if want > 0 {
                want + max_surge(&self.d)
            } else {
                want
            };
            let op = if allowed > total { "up" } else { "down" };
            for rs in active.drain(..) {
                let size = sizes
                    .get(&rs.name_any())
                    .copied()
                    .unwrap_or(rs_replicas(&rs));
                self.scale_rs(&rs, size, op).await?;
            }
        }
        Ok(())
    }

    /// Upstream's `cleanupDeployment`: deletes the oldest unused ReplicaSets beyond
    /// `revisionHistoryLimit`.
    async fn cleanup(&mut self, old: &[ReplicaSet]) -> Result<(), Error> {
        let Some(limit) = self
            .d
            .spec
            .as_ref()
            .and_then(|s| s.revision_history_limit)
            .filter(|l| *l != i32::MAX)
        else {
            return Ok(());
        };
        let mut cleanable: Vec<&ReplicaSet> = old
            .iter()
            .filter(|r| r.metadata.deletion_timestamp.is_none())
            .collect();
        let diff = cleanable.len() as i64 - i64::from(limit);
        if diff <= 0 {
            return Ok(());
        }
        cleanable.sort_by(|a, b| {
            let t = |r: &ReplicaSet| r.metadata.creation_timestamp.as_ref().map(|t| t.0);
            revision(a).cmp(&revision(b)).then_with(|| t(a).cmp(&t(b)))
        });
        for rs in cleanable.into_iter().take(diff as usize) {
            let observed = rs.status.as_ref().and_then(|s| s.observed_generation);
            if rs_status_replicas(rs) != 0
                || rs_replicas(rs) != 0
                || rs.metadata.generation > observed
            {
                continue;
            }
            tracing::debug!(replicaset = %rs.name_any(), "deleting old replica set");
            match self
                .rs_api()
                .delete(&rs.name_any(), &DeleteParams::default())
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                Err(source) => {
                    return Err(Error::DeleteReplicaSet {
                        name: rs.name_any(),
                        source,
                    });
                }
            }
        }
        Ok(())
    }

    /// Upstream's `checkPausedConditions`.
    async fn check_paused_conditions(&mut self) -> Result<(), Error> {
        if progress_deadline(&self.d).is_none() {
            return Ok(());
        }
        let mut status = self.d.status.clone().unwrap_or_default();
        let reason = condition(&status, PROGRESSING).and_then(|c| c.reason.clone());
        if reason.as_deref() == Some(TIMED_OUT) {
            return Ok(());
        }
        let paused_cond = reason.as_deref() == Some(PAUSED);
        let now = Timestamp::now();
        if self.paused() && !paused_cond {
            set_condition(
                &mut status,
                new_condition(
                    PROGRESSING,
                    "Unknown",
                    PAUSED,
                    "Deployment is paused".into(),
                    now,
                ),
            );
        } else if !self.paused() && paused_cond {
            set_condition(
                &mut status,
                new_condition(
                    PROGRESSING,
                    "Unknown",
                    RESUMED,
                    "Deployment is resumed".into(),
                    now,
                ),
            );
        } else {
            return Ok(());
        }
        self.write_status(status).await
    }

    /// Upstream's `syncRolloutStatus`: status, conditions, and when to check the deadline.
    async fn sync_rollout_status(&mut self) -> Result<Action, Error> {
        let (new_rs, _) = self.split();
        let now = Timestamp::now();
        let mut status = rollout_status(&self.d, &self.all_refs(), new_rs.as_ref(), now);
        match self.replica_failure(new_rs.as_ref()) {
            Some(cond) => set_condition(&mut status, cond),
            None => remove_condition(&mut status, REPLICA_FAILURE),
        }
        let after = requeue_after(&self.d, &status, now);
        self.write_status(status).await?;
        Ok(match after {
            Some(after) => Action::requeue(after),
            None => Action::await_change(),
        })
    }

    /// The first `ReplicaFailure` of the new, then the old ReplicaSets, as a Deployment condition.
    fn replica_failure(&self, new_rs: Option<&ReplicaSet>) -> Option<DeploymentCondition> {
        new_rs
            .into_iter()
            .chain(self.rss.iter())
            .flat_map(|rs| {
                rs.status
                    .as_ref()
                    .and_then(|s| s.conditions.clone())
                    .unwrap_or_default()
            })
            .find(|c| c.type_ == REPLICA_FAILURE)
            .map(|c| DeploymentCondition {
                type_: c.type_,
                status: c.status,
                reason: c.reason,
                message: c.message,
                last_update_time: c.last_transition_time.clone(),
                last_transition_time: c.last_transition_time,
            })
    }

    /// Upstream's `rolloutRolling`.
    async fn rollout_rolling(&mut self) -> Result<Action, Error> {
        let Some(new_rs) = self.new_and_sync_revision(true).await? else {
            return self.sync_rollout_status().await;
        };
        let was_complete = deployment_complete(&self.d, &self.d.status.clone().unwrap_or_default());
        // Scale the new ReplicaSet up (or down to the desired size).
        let want = replicas(&self.d);
        let size = rs_replicas(&new_rs);
        let target = if size > want {
            Some(want)
        } else if size < want {
            let (_, old) = self.split();
            let all: Vec<&ReplicaSet> = old.iter().chain(std::iter::once(&new_rs)).collect();
            Some(new_rs_new_replicas(&self.d, &all, &new_rs))
        } else {
            None
        };
        if let Some(target) = target
            && self.scale_to(&new_rs, target).await?
        {
            return self.sync_rollout_status().await;
        }
        if self.reconcile_old().await? {
            return self.sync_rollout_status().await;
        }
        if was_complete {
            let (_, old) = self.split();
            self.cleanup(&old).await?;
        }
        self.sync_rollout_status().await
    }

    /// Upstream's `reconcileOldReplicaSets`: returns whether anything was scaled down.
    async fn reconcile_old(&mut self) -> Result<bool, Error> {
        let (new_rs, old) = self.split();
        let active_old: Vec<ReplicaSet> = old.into_iter().filter(|r| rs_replicas(r) > 0).collect();
        if active_old.is_empty() {
            return Ok(false);
        }
        let max_down = max_scaled_down(&self.d, &self.all_refs(), new_rs.as_ref());
        if max_down <= 0 {
            return Ok(false);
        }
        let mut scaled = false;
        for (name, size) in cleanup_unhealthy(&active_old, max_down) {
            if let Some(rs) = self.rss.iter().find(|r| r.name_any() == name).cloned() {
                scaled |= self.scale_to(&rs, size).await?;
            }
        }
        let (_, old) = self.split();
        let active_old: Vec<ReplicaSet> = old.into_iter().filter(|r| rs_replicas(r) > 0).collect();
        let plan = scale_down_old_for_rolling(&self.d, &self.all_refs(), &active_old);
        for (name, size) in plan {
            if let Some(rs) = self.rss.iter().find(|r| r.name_any() == name).cloned() {
                scaled |= self.scale_to(&rs, size).await?;
            }
        }
        Ok(scaled)
    }

    /// Upstream's `rolloutRecreate`: old pods all gone before the new ReplicaSet scales up.
    async fn rollout_recreate(&mut self) -> Result<Action, Error> {
        let new_rs = self.new_and_sync_revision(false).await?;
        let was_complete = deployment_complete(&self.d, &self.d.status.clone().unwrap_or_default());
        let (_, old) = self.split();
        let mut scaled_down = false;
        for rs in old.iter().filter(|r| rs_replicas(r) > 0) {
            scaled_down |= self.scale_to(rs, 0).await?;
        }
        if scaled_down || self.old_pods_running(new_rs.as_ref(), &old) {
            return self.sync_rollout_status().await;
        }
        let new_rs = match new_rs {
            Some(rs) => Some(rs),
            None => self.new_and_sync_revision(true).await?,
        };
        if let Some(rs) = new_rs {
            self.scale_to(&rs, replicas(&self.d)).await?;
        }
        if was_complete {
            let (_, old) = self.split();
            self.cleanup(&old).await?;
        }
        self.sync_rollout_status().await
    }

    /// Upstream's `oldPodsRunning`.
    fn old_pods_running(&self, new_rs: Option<&ReplicaSet>, old: &[ReplicaSet]) -> bool {
        if old.iter().map(rs_status_replicas).sum::<i32>() > 0 {
            return true;
        }
        let old_uids: Vec<&str> = old
            .iter()
            .filter(|r| r.metadata.uid != new_rs.and_then(|n| n.metadata.uid.clone()))
            .filter_map(|r| r.metadata.uid.as_deref())
            .collect();
        let ns = self.ns();
        self.ctx.pods.store().state().iter().any(|p| {
            p.metadata.namespace.as_deref() == Some(ns.as_str())
                && cutil::controller_of(&p.metadata)
                    .is_some_and(|r| old_uids.contains(&r.uid.as_str()))
                && !matches!(
                    p.status.as_ref().and_then(|s| s.phase.as_deref()),
                    Some("Failed") | Some("Succeeded")
                )
        })
    }
}

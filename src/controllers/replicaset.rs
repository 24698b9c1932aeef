//! The ReplicaSet controller (and the ReplicationController controller, which upstream runs as
//! the same code on core/v1 objects): keeps `spec.replicas` active pods matching the selector,
//! adopting orphans and releasing pods that stopped matching, and reports their readiness.
//!
//! As upstream's `pkg/controller/replicaset`: creations go in slow-start batches, surplus pods
//! are deleted in upstream's ranking order, and "expectations" remember creations/deletions the
//! cache has not shown yet so a reconcile never acts twice on the same shortage.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::controllers::cached::Pod;
use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{
    ReplicaSet, ReplicaSetCondition, ReplicaSetSpec, ReplicaSetStatus,
};
use k8s_openapi::api::core::v1::{
    PodTemplateSpec, ReplicationController, ReplicationControllerCondition,
    ReplicationControllerStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector as K8sLabelSelector, ObjectMeta, Time,
};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType};

use crate::controllers::events::Recorder;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Client, Resource, ResourceExt};
use serde_json::json;

use super::informers::{Change, Informer};
use super::util;

/// At most this many pods are created or deleted by one sync (upstream's `BurstReplicas`).
const BURST_REPLICAS: usize = 500;
/// Upstream's `SlowStartInitialBatchSize`.
const SLOW_START_INITIAL_BATCH: usize = 1;
/// Expectations older than this are ignored (upstream's `ExpectationsTimeout`).
const EXPECTATIONS_TIMEOUT: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot create pod for {owner}: {message}")]
    CreatePod { owner: String, message: String },
    #[error("cannot delete pod {pod}")]
    DeletePod {
        pod: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot adopt or release pod {pod}")]
    Claim {
        pod: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot read {owner}")]
    Get {
        owner: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot update status of {owner}")]
    Status {
        owner: String,
        #[source]
        source: kube::Error,
    },
}

/// Which of the two kinds this controller instance drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    ReplicaSet,
    ReplicationController,
}

impl Flavor {
    fn kind(self) -> &'static str {
        match self {
            Flavor::ReplicaSet => "ReplicaSet",
            Flavor::ReplicationController => "ReplicationController",
        }
    }
    fn api_version(self) -> &'static str {
        match self {
            Flavor::ReplicaSet => "apps/v1",
            Flavor::ReplicationController => "v1",
        }
    }
    fn reporter(self) -> &'static str {
        match self {
            Flavor::ReplicaSet => "replicaset-controller",
            Flavor::ReplicationController => "replication-controller",
        }
    }
}

/// Pending creations (a count) and deletions (pod UIDs) per owner, as upstream's
/// `UIDTrackingControllerExpectations`.
#[derive(Default)]
pub struct Expectations {
    inner: Mutex<HashMap<String, Expected>>,
}

struct Expected {
    add: i64,
    del: HashSet<String>,
    since: Instant,
}

impl Expectations {
    /// Whether the cache has caught up with what the last sync of `key` did.
    pub fn satisfied(&self, key: &str) -> bool {
        let inner = self.inner.lock().expect("expectations lock");
        match inner.get(key) {
            None => true,
            Some(e) => (e.add <= 0 && e.del.is_empty()) || e.since.elapsed() > EXPECTATIONS_TIMEOUT,
        }
    }

    pub fn expect(&self, key: &str, add: usize, del: impl IntoIterator<Item = String>) {
        let mut inner = self.inner.lock().expect("expectations lock");
        inner.insert(
            key.to_string(),
            Expected {
                add: add as i64,
                del: del.into_iter().collect(),
                since: Instant::now(),
            },
        );
    }

    pub fn creation_observed(&self, key: &str) {
        if let Some(e) = self.inner.lock().expect("expectations lock").get_mut(key) {
            e.add -= 1;
        }
    }

    pub fn deletion_observed(&self, key: &str, uid: &str) {
        if let Some(e) = self.inner.lock().expect("expectations lock").get_mut(key) {
            e.del.remove(uid);
        }
    }

    pub fn forget(&self, key: &str) {
        self.inner.lock().expect("expectations lock").remove(key);
    }
}

struct Ctx {
    client: Client,
    flavor: Flavor,
    pods: Informer<Pod>,
    /// Every ReplicaSet: to find the pods of this one's siblings (same Deployment) when ranking.
    replicasets: Store<ReplicaSet>,
    expectations: Arc<Expectations>,
    recorder: Recorder,
}

fn key_of(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

/// Runs the ReplicaSet controller until shutdown.
pub async fn run(ctx: super::Context) {
    let owners = ctx.informers.get::<ReplicaSet>();
    let store = owners.store();
    let pods = ctx.informers.get::<Pod>();
    let (expectations, pod_triggers) = pod_triggers(&pods, Flavor::ReplicaSet);
    let selectors = owners.store();
    let state = Arc::new(Ctx {
        client: ctx.client.clone(),
        flavor: Flavor::ReplicaSet,
        pods: pods.clone(),
        replicasets: owners.store(),
        expectations,
        recorder: ctx.recorder(Flavor::ReplicaSet.reporter()),
    });
    let trigger = ctx.shutdown.clone();
    let controller = Controller::for_stream(owners.trigger_stream(), store.clone())
        .watches_stream(pod_triggers, move |pod: Pod| {
            owners_of_pod(&pod, "ReplicaSet", &selectors.state(), |rs: &ReplicaSet| {
                util::selector(rs.spec.as_ref().map(|s| &s.selector))
            })
        })
        .graceful_shutdown_on(async move { trigger.cancelled().await })
        .run(reconcile_rs, error_policy, state)
        .for_each(|_| async {});
    super::until_shutdown(
        controller,
        ctx.informers.wait_synced(),
        ctx.shutdown.clone(),
    )
    .await;
}

/// Runs the ReplicationController controller until shutdown.
pub async fn run_replication_controllers(ctx: super::Context) {
    let owners = ctx.informers.get::<ReplicationController>();
    let store = owners.store();
    let pods = ctx.informers.get::<Pod>();
    let (expectations, pod_triggers) = pod_triggers(&pods, Flavor::ReplicationController);
    let selectors = owners.store();
    let state = Arc::new(Ctx {
        client: ctx.client.clone(),
        flavor: Flavor::ReplicationController,
        pods: pods.clone(),
        replicasets: ctx.informers.get::<ReplicaSet>().store(),
        expectations,
        recorder: ctx.recorder(Flavor::ReplicationController.reporter()),
    });
    let trigger = ctx.shutdown.clone();
    let controller = Controller::for_stream(owners.trigger_stream(), store.clone())
        .watches_stream(pod_triggers, move |pod: Pod| {
            owners_of_pod(
                &pod,
                "ReplicationController",
                &selectors.state(),
                |rc: &ReplicationController| util::selector(Some(&rc_selector(rc))),
            )
        })
        .graceful_shutdown_on(async move { trigger.cancelled().await })
        .run(reconcile_rc, error_policy_rc, state)
        .for_each(|_| async {});
    super::until_shutdown(
        controller,
        ctx.informers.wait_synced(),
        ctx.shutdown.clone(),
    )
    .await;
}

/// The pod informer, the expectations, and the pod changes that trigger owners; observing
/// expectations here, before the trigger reaches the controller, means a reconcile never sees a
/// trigger whose creation it has not yet counted.
fn pod_triggers(
    pods: &Informer<Pod>,
    flavor: Flavor,
) -> (
    Arc<Expectations>,
    impl futures::Stream<Item = Result<Pod, kube::runtime::watcher::Error>> + Send + 'static,
) {
    let expectations = Arc::new(Expectations::default());
    let observed = expectations.clone();
    let mut known: HashSet<String> = HashSet::new();
    let stream = pods.changes().map(move |change| {
        let pod = change.object().clone();
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let owner = util::controller_of(&pod.metadata)
            .filter(|r| r.kind == flavor.kind())
            .map(|r| {
                key_of(
                    pod.metadata.namespace.as_deref().unwrap_or_default(),
                    &r.name,
                )
            });
        match &change {
            Change::Applied(_) => {
                let new = known.insert(uid.clone());
                if let Some(owner) = &owner {
                    if new {
                        observed.creation_observed(owner);
                    }
                    if pod.metadata.deletion_timestamp.is_some() {
                        observed.deletion_observed(owner, &uid);
                    }
                }
            }
            Change::Deleted(_) => {
                known.remove(&uid);
                if let Some(owner) = &owner {
                    observed.deletion_observed(owner, &uid);
                }
            }
        }
        Ok(Pod::clone(&pod))
    });
    (expectations, stream)
}

/// The owners to wake for a pod change: its controller, or for an orphan every owner in its
/// namespace whose selector matches (so it can be adopted).
fn owners_of_pod<K>(
    pod: &Pod,
    kind: &str,
    owners: &[Arc<K>],
    selector_of: impl Fn(&K) -> crate::api::selector::LabelSelector,
) -> Vec<ObjectRef<K>>
where
    K: Resource<DynamicType = ()>,
{
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    if let Some(r) = util::controller_of(&pod.metadata) {
        if r.kind == kind {
            return vec![ObjectRef::new(&r.name).within(&ns)];
        }
        return Vec::new();
    }
    if pod.metadata.deletion_timestamp.is_some() {
        return Vec::new();
    }
    owners
        .iter()
        .filter(|o| o.meta().namespace.as_deref() == Some(ns.as_str()))
        .filter(|o| util::selector_matches(&selector_of(o), pod.metadata.labels.as_ref()))
        .map(|o| ObjectRef::new(o.meta().name.as_deref().unwrap_or_default()).within(&ns))
        .collect()
}

fn rc_selector(rc: &ReplicationController) -> K8sLabelSelector {
    K8sLabelSelector {
        match_labels: rc.spec.as_ref().and_then(|s| s.selector.clone()),
        match_expressions: None,
    }
}

/// A ReplicationController as the equivalent ReplicaSet (upstream converts the same way).
fn rc_as_rs(rc: &ReplicationController) -> ReplicaSet {
    let spec = rc.spec.clone().unwrap_or_default();
    ReplicaSet {
        metadata: rc.metadata.clone(),
        spec: Some(ReplicaSetSpec {
            replicas: spec.replicas,
            min_ready_seconds: spec.min_ready_seconds,
            selector: rc_selector(rc),
            template: spec.template,
        }),
        status: rc.status.as_ref().map(|s| ReplicaSetStatus {
            replicas: s.replicas,
            fully_labeled_replicas: s.fully_labeled_replicas,
            ready_replicas: s.ready_replicas,
            available_replicas: s.available_replicas,
            observed_generation: s.observed_generation,
            terminating_replicas: None,
            conditions: s.conditions.as_ref().map(|cs| {
                cs.iter()
                    .map(|c| ReplicaSetCondition {
                        type_: c.type_.clone(),
                        status: c.status.clone(),
                        reason: c.reason.clone(),
                        message: c.message.clone(),
                        last_transition_time: c.last_transition_time.clone(),
                    })
                    .collect()
            }),
        }),
    }
}

fn rc_status(status: &ReplicaSetStatus) -> ReplicationControllerStatus {
    ReplicationControllerStatus {
        replicas: status.replicas,
        fully_labeled_replicas: status.fully_labeled_replicas,
        ready_replicas: status.ready_replicas,
        available_replicas: status.available_replicas,
        observed_generation: status.observed_generation,
        conditions: status.conditions.as_ref().map(|cs| {
            cs.iter()
                .map(|c| ReplicationControllerCondition {
                    type_: c.type_.clone(),
                    status: c.status.clone(),
                    reason: c.reason.clone(),
                    message: c.message.clone(),
                    last_transition_time: c.last_transition_time.clone(),
                })
                .collect()
        }),
    }
}

fn error_policy(rs: Arc<ReplicaSet>, err: &Error, _: Arc<Ctx>) -> Action {
    tracing::warn!(replicaset = %rs.name_any(), error = %err, "replicaset sync failed; retrying");
    Action::requeue(Duration::from_secs(1))
}

fn error_policy_rc(rc: Arc<ReplicationController>, err: &Error, _: Arc<Ctx>) -> Action {
    tracing::warn!(replicationcontroller = %rc.name_any(), error = %err, "replicationcontroller sync failed; retrying");
    Action::requeue(Duration::from_secs(1))
}

async fn reconcile_rs(rs: Arc<ReplicaSet>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let span = tracing::info_span!("reconciling replicaset", "object.ref" = %key_of(&rs.namespace().unwrap_or_default(), &rs.name_any()));
    let _enter = span.enter();
    sync(rs.as_ref().clone(), ctx.clone()).await
}

async fn reconcile_rc(rc: Arc<ReplicationController>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let span = tracing::info_span!("reconciling replicationcontroller", "object.ref" = %key_of(&rc.namespace().unwrap_or_default(), &rc.name_any()));
    let _enter = span.enter();
    sync(rc_as_rs(&rc), ctx.clone()).await
}

/// Upstream's `syncReplicaSet`.
async fn sync(rs: ReplicaSet, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let ns = rs.namespace().unwrap_or_default();
    let name = rs.name_any();
    let key = key_of(&ns, &name);
    let spec = rs.spec.clone().unwrap_or_default();
    let selector = util::selector(Some(&spec.selector));
    let needs_sync = ctx.expectations.satisfied(&key);

    let all_pods: Vec<Arc<Pod>> = ctx
        .pods
        .store()
        .state()
        .into_iter()
        .filter(|p| p.metadata.namespace.as_deref() == Some(ns.as_str()))
        .collect();
    let active: Vec<&Pod> = all_pods
        .iter()
        .map(|p| p.as_ref())
        .filter(|p| util::is_pod_active(p))
        .collect();
    let pods = claim_pods(&rs, &ctx, &selector, &active).await?;

    let mut manage_err = None;
    let mut diff = 0i64;
    if needs_sync && rs.metadata.deletion_timestamp.is_none() {
        diff = pods.len() as i64 - i64::from(spec.replicas.unwrap_or(1));
        if let Err(e) = manage_replicas(&rs, &ctx, &pods, &all_pods, diff).await {
            manage_err = Some(e);
        }
    }

    let now = Timestamp::now();
    let status = calculate_status(&rs, &pods, manage_err.as_ref(), diff, now);
    update_status(&rs, &ctx, status.clone()).await?;
    if let Some(e) = manage_err {
        return Err(e);
    }
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    if min_ready > 0
        && status.ready_replicas == Some(status.replicas)
        && status.available_replicas != Some(status.replicas)
    {
        return Ok(Action::requeue(Duration::from_secs(min_ready as u64)));
    }
    Ok(Action::await_change())
}

/// Adopts matching orphans and releases owned pods that no longer match (upstream's
/// `PodControllerRefManager.ClaimPods`); returns the pods this owner now controls.
async fn claim_pods<'a>(
    rs: &ReplicaSet,
    ctx: &Ctx,
    selector: &crate::api::selector::LabelSelector,
    pods: &[&'a Pod],
) -> Result<Vec<&'a Pod>, Error> {
    let ns = rs.namespace().unwrap_or_default();
    let uid = rs.metadata.uid.clone().unwrap_or_default();
    let api: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(ctx.client.clone(), &ns);
    let mut claimed = Vec::new();
    let mut can_adopt: Option<bool> = None;
    for &pod in pods {
        let matches = util::selector_matches(selector, pod.metadata.labels.as_ref());
        match util::controller_of(&pod.metadata) {
            Some(r) if r.uid == uid => {
                if matches {
                    claimed.push(pod);
                } else if rs.metadata.deletion_timestamp.is_none() {
                    util::release(&api, &pod.metadata, &uid)
                        .await
                        .map_err(|source| Error::Claim {
                            pod: pod.name_any(),
                            source,
                        })?;
                }
            }
            Some(_) => {}
            None => {
                if !matches
                    || rs.metadata.deletion_timestamp.is_some()
                    || pod.metadata.deletion_timestamp.is_some()
                {
                    continue;
                }
                // Adopt only if the owner still exists and is not being deleted (fresh read,
                // as upstream's `RecheckDeletionTimestamp`).
                if can_adopt.is_none() {
                    can_adopt = Some(owner_still_current(rs, ctx).await?);
                }
                if can_adopt != Some(true) {
                    continue;
                }
                let owner = util::controller_ref(
                    ctx.flavor.api_version(),
                    ctx.flavor.kind(),
                    &rs.name_any(),
                    &uid,
                );
                match util::adopt(&api, &pod.metadata, owner).await {
                    Ok(()) => claimed.push(pod),
                    Err(kube::Error::Api(e)) if e.code == 404 => {}
                    Err(source) => {
                        return Err(Error::Claim {
                            pod: pod.name_any(),
                            source,
                        });
                    }
                }
            }
        }
    }
    Ok(claimed)
}

async fn owner_still_current(rs: &ReplicaSet, ctx: &Ctx) -> Result<bool, Error> {
    let ns = rs.namespace().unwrap_or_default();
    let name = rs.name_any();
    let fresh = match ctx.flavor {
        Flavor::ReplicaSet => Api::<ReplicaSet>::namespaced(ctx.client.clone(), &ns)
            .get_opt(&name)
            .await
            .map(|o| o.map(|o| o.metadata)),
        Flavor::ReplicationController => {
            Api::<ReplicationController>::namespaced(ctx.client.clone(), &ns)
                .get_opt(&name)
                .await
                .map(|o| o.map(|o| o.metadata))
        }
    }
    .map_err(|source| Error::Get {
        owner: key_of(&ns, &name),
        source,
    })?;
    Ok(fresh.is_some_and(|m| m.uid == rs.metadata.uid && m.deletion_timestamp.is_none()))
}

fn owner_reference(rs: &ReplicaSet, flavor: Flavor) -> k8s_openapi::api::core::v1::ObjectReference {
    k8s_openapi::api::core::v1::ObjectReference {
        api_version: Some(flavor.api_version().into()),
        kind: Some(flavor.kind().into()),
        name: rs.metadata.name.clone(),
        namespace: rs.metadata.namespace.clone(),
        uid: rs.metadata.uid.clone(),
        resource_version: rs.metadata.resource_version.clone(),
        ..Default::default()
    }
}

async fn record(ctx: &Ctx, rs: &ReplicaSet, type_: EventType, reason: &str, note: String) {
    let event = Event {
        type_,
        reason: reason.into(),
        note: Some(note),
        action: reason.into(),
        secondary: None,
    };
    if let Err(e) = ctx
        .recorder
        .publish(&event, &owner_reference(rs, ctx.flavor))
        .await
    {
        tracing::debug!(error = %e, "cannot record event");
    }
}

/// The pod a template stamps out (upstream's `GetPodFromTemplate`).
pub fn pod_from_template(
    template: &PodTemplateSpec,
    owner_name: &str,
    namespace: &str,
    owner: k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference,
) -> k8s_openapi::api::core::v1::Pod {
    let meta = template.metadata.clone().unwrap_or_default();
    k8s_openapi::api::core::v1::Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{owner_name}-")),
            namespace: Some(namespace.to_string()),
            labels: meta.labels,
            annotations: meta.annotations,
            finalizers: meta.finalizers,
            owner_references: Some(vec![owner]),
            ..Default::default()
        },
        spec: template.spec.clone(),
        status: None,
    }
}

/// Upstream's `manageReplicas`: creates or deletes pods so `pods.len()` becomes `spec.replicas`.
async fn manage_replicas(
    rs: &ReplicaSet,
    ctx: &Ctx,
    pods: &[&Pod],
    all_pods: &[Arc<Pod>],
    diff: i64,
) -> Result<(), Error> {
    let ns = rs.namespace().unwrap_or_default();
    let name = rs.name_any();
    let key = key_of(&ns, &name);
    let api: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(ctx.client.clone(), &ns);
    if diff < 0 {
        let count = ((-diff) as usize).min(BURST_REPLICAS);
        ctx.expectations.expect(&key, count, []);
        let template = rs
            .spec
            .as_ref()
            .and_then(|s| s.template.clone())
            .unwrap_or_default();
        let owner = util::controller_ref(
            ctx.flavor.api_version(),
            ctx.flavor.kind(),
            &name,
            rs.metadata.uid.as_deref().unwrap_or_default(),
        );
        let pod = pod_from_template(&template, &name, &ns, owner);
        tracing::debug!(count, "too few replicas; creating");
        let (created, err) = util::slow_start_batch(count, SLOW_START_INITIAL_BATCH, || {
            let api = api.clone();
            let pod = pod.clone();
            async move {
                match api.create(&PostParams::default(), &pod).await {
                    Ok(p) => {
                        record(
                            ctx,
                            rs,
                            EventType::Normal,
                            "SuccessfulCreate",
                            format!("Created pod: {}", p.name_any()),
                        )
                        .await;
                        Ok(())
                    }
                    Err(e) => {
                        let message = util::error_message(&e);
                        // A namespace being deleted refuses new pods; that is not a failure.
                        if message.contains("because it is being terminated") {
                            return Ok(());
                        }
                        record(
                            ctx,
                            rs,
                            EventType::Warning,
                            "FailedCreate",
                            format!("Error creating: {message}"),
                        )
                        .await;
                        Err(message)
                    }
                }
            }
        })
        .await;
        for _ in created..count {
            ctx.expectations.creation_observed(&key);
        }
        if let Some(message) = err {
            return Err(Error::CreatePod {
                owner: key,
                message,
            });
        }
    } else if diff > 0 {
        let count = (diff as usize).min(BURST_REPLICAS);
        let related = related_pods(rs, ctx, all_pods);
        let doomed = pods_to_delete(pods, &related, count, Timestamp::now());
        ctx.expectations.expect(
            &key,
            0,
            doomed
                .iter()
                .map(|p| p.metadata.uid.clone().unwrap_or_default()),
        );
        tracing::debug!(count, "too many replicas; deleting");
        let results = futures::future::join_all(doomed.iter().map(|pod| {
            let api = api.clone();
            let key = &key;
            async move {
                let pod_name = pod.name_any();
                match api.delete(&pod_name, &DeleteParams::default()).await {
                    Ok(_) => {
                        record(
                            ctx,
                            rs,
                            EventType::Normal,
                            "SuccessfulDelete",
                            format!("Deleted pod: {pod_name}"),
                        )
                        .await;
                        Ok(())
                    }
                    Err(e) => {
                        ctx.expectations.deletion_observed(
                            key,
                            pod.metadata.uid.as_deref().unwrap_or_default(),
                        );
                        if matches!(&e, kube::Error::Api(a) if a.code == 404) {
                            return Ok(());
                        }
                        record(
                            ctx,
                            rs,
                            EventType::Warning,
                            "FailedDelete",
                            format!("Error deleting: {}", util::error_message(&e)),
                        )
                        .await;
                        Err(Error::DeletePod {
                            pod: pod_name,
                            source: e,
                        })
                    }
                }
            }
        }))
        .await;
        if let Some(err) = results.into_iter().find_map(Result::err) {
            return Err(err);
        }
    }
    Ok(())
}

/// Active pods of this owner and of its siblings (ReplicaSets with the same controller, e.g.
/// the other ReplicaSets of a Deployment): upstream's `getIndirectlyRelatedPods`.
fn related_pods(rs: &ReplicaSet, ctx: &Ctx, all_pods: &[Arc<Pod>]) -> Vec<Pod> {
    let mut owners: HashSet<String> = [rs.metadata.uid.clone().unwrap_or_default()].into();
    if ctx.flavor == Flavor::ReplicaSet
        && let Some(controller) = util::controller_of(&rs.metadata)
    {
        for sibling in ctx.replicasets.state() {
            if sibling.metadata.namespace == rs.metadata.namespace
                && util::controller_of(&sibling.metadata).is_some_and(|c| c.uid == controller.uid)
            {
                owners.insert(sibling.metadata.uid.clone().unwrap_or_default());
            }
        }
    }
    all_pods
        .iter()
        .filter(|p| util::is_pod_active(p))
        .filter(|p| util::controller_of(&p.metadata).is_some_and(|c| owners.contains(&c.uid)))
        .map(|p| Pod::clone(p))
        .collect()
}

/// Picks the `count` pods to delete (upstream's `getPodsToDelete`): ranked by how many related
/// pods share their node, then by upstream's active-pod ordering.
pub fn pods_to_delete(pods: &[&Pod], related: &[Pod], count: usize, now: Timestamp) -> Vec<Pod> {
    let mut ranked: Vec<(Pod, usize)> = pods.iter().map(|p| (Pod::clone(p), 0)).collect();
    if count < pods.len() {
        let mut on_node: HashMap<String, usize> = HashMap::new();
        for p in related {
            if let Some(node) = p.spec.as_ref().and_then(|s| s.node_name.clone()) {
                *on_node.entry(node).or_default() += 1;
            }
        }
        for (p, rank) in &mut ranked {
            let node = p
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .unwrap_or_default();
            *rank = on_node.get(&node).copied().unwrap_or(0);
        }
        util::sort_for_deletion(&mut ranked, now);
    }
    ranked.into_iter().take(count).map(|(p, _)| p).collect()
}

/// Upstream's `calculateStatus`.
fn calculate_status(
    rs: &ReplicaSet,
    pods: &[&Pod],
    manage_err: Option<&Error>,
    diff: i64,
    now: Timestamp,
) -> ReplicaSetStatus {
    let spec = rs.spec.clone().unwrap_or_default();
    let template_labels: BTreeMap<String, String> = spec
        .template
        .as_ref()
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let mut fully_labeled = 0;
    let mut ready = 0;
    let mut available = 0;
    for pod in pods {
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        if template_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
        {
            fully_labeled += 1;
        }
        if util::is_pod_ready(pod) {
            ready += 1;
            if util::is_pod_available(pod, min_ready, now) {
                available += 1;
            }
        }
    }
    let mut conditions = rs
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    let has_failure = conditions.iter().any(|c| c.type_ == "ReplicaFailure");
    match manage_err {
        Some(err) if !has_failure => {
            let reason = if diff < 0 {
                "FailedCreate"
            } else {
                "FailedDelete"
            };
            let message = match err {
                Error::CreatePod { message, .. } => message.clone(),
                other => other.to_string(),
            };
            conditions.push(ReplicaSetCondition {
                type_: "ReplicaFailure".into(),
                status: "True".into(),
                reason: Some(reason.into()),
                message: Some(message),
                last_transition_time: Some(Time(now)),
            });
        }
        None if has_failure => conditions.retain(|c| c.type_ != "ReplicaFailure"),
        _ => {}
    }
    ReplicaSetStatus {
        replicas: pods.len() as i32,
        fully_labeled_replicas: Some(fully_labeled),
        ready_replicas: Some(ready),
        available_replicas: Some(available),
        observed_generation: rs.status.as_ref().and_then(|s| s.observed_generation),
        terminating_replicas: None,
        conditions: (!conditions.is_empty()).then_some(conditions),
    }
}

/// Writes the status if it changed (upstream's `updateReplicaSetStatus`), always recording the
/// generation this sync saw.
async fn update_status(
    rs: &ReplicaSet,
    ctx: &Ctx,
    mut status: ReplicaSetStatus,
) -> Result<(), Error> {
    let generation = rs.metadata.generation;
    let current = rs.status.clone().unwrap_or_default();
    let unchanged = current.replicas == status.replicas
        && current.fully_labeled_replicas.unwrap_or(0)
            == status.fully_labeled_replicas.unwrap_or(0)
        && current.ready_replicas.unwrap_or(0) == status.ready_replicas.unwrap_or(0)
        && current.available_replicas.unwrap_or(0) == status.available_replicas.unwrap_or(0)
        && current.observed_generation == generation
        && current.conditions == status.conditions;
    if unchanged {
        return Ok(());
    }
    status.observed_generation = generation;
    let ns = rs.namespace().unwrap_or_default();
    let name = rs.name_any();
    let patch = |s: serde_json::Value| {
        let mut s = s;
        if s.get("conditions").is_none() {
            s["conditions"] = serde_json::Value::Null;
        }
        json!({ "status": s })
    };
    let result = match ctx.flavor {
        Flavor::ReplicaSet => {
            let body = patch(serde_json::to_value(&status).expect("status serialises"));
            Api::<ReplicaSet>::namespaced(ctx.client.clone(), &ns)
                .patch_status(&name, &PatchParams::default(), &Patch::Merge(&body))
                .await
                .map(|_| ())
        }
        Flavor::ReplicationController => {
            let body = patch(serde_json::to_value(rc_status(&status)).expect("status serialises"));
            Api::<ReplicationController>::namespaced(ctx.client.clone(), &ns)
                .patch_status(&name, &PatchParams::default(), &Patch::Merge(&body))
                .await
                .map(|_| ())
        }
    };
    match result {
        Ok(()) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => {
            ctx.expectations.forget(&key_of(&ns, &name));
            Ok(())
        }
        Err(source) => Err(Error::Status {
            owner: key_of(&ns, &name),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_wait_for_the_cache() {
        let e = Expectations::default();
        assert!(e.satisfied("ns/a"));
        e.expect("ns/a", 2, []);
        assert!(!e.satisfied("ns/a"));
        e.creation_observed("ns/a");
        assert!(!e.satisfied("ns/a"));
        e.creation_observed("ns/a");
        assert!(e.satisfied("ns/a"));
        e.expect("ns/a", 0, ["u1".to_string(), "u2".to_string()]);
        e.deletion_observed("ns/a", "u1");
        assert!(!e.satisfied("ns/a"));
        e.deletion_observed("ns/a", "u2");
        assert!(e.satisfied("ns/a"));
    }

    #[test]
    fn pods_from_templates_are_owned_and_generated() {
        let template: PodTemplateSpec = serde_json::from_value(json!({
            "metadata": {"labels": {"app": "web"}, "annotations": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}
        }))
        .unwrap();
        let owner = util::controller_ref("apps/v1", "ReplicaSet", "web-abc", "uid-1");
        let pod = pod_from_template(&template, "web-abc", "default", owner);
        let v = serde_json::to_value(&pod).unwrap();
        assert_eq!(v["metadata"]["generateName"], "web-abc-");
        assert_eq!(v["metadata"]["labels"]["app"], "web");
        assert_eq!(v["metadata"]["annotations"]["a"], "b");
        assert_eq!(v["metadata"]["ownerReferences"][0]["controller"], true);
        assert_eq!(
            v["metadata"]["ownerReferences"][0]["blockOwnerDeletion"],
            true
        );
        assert_eq!(v["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");
        assert_eq!(v["spec"]["containers"][0]["image"], "nginx");
    }

    #[test]
    fn replication_controllers_convert_to_replica_sets() {
        let rc: ReplicationController = serde_json::from_value(json!({
            "metadata": {"name": "rc", "namespace": "default"},
            "spec": {"replicas": 2, "selector": {"app": "x"},
                     "template": {"metadata": {"labels": {"app": "x"}}}},
            "status": {"replicas": 1, "conditions": [{"type": "ReplicaFailure", "status": "True"}]}
        }))
        .unwrap();
        let rs = rc_as_rs(&rc);
        let spec = rs.spec.as_ref().unwrap();
        assert_eq!(spec.replicas, Some(2));
        let sel = util::selector(Some(&spec.selector));
        let labels: BTreeMap<String, String> = [("app".to_string(), "x".to_string())].into();
        assert!(util::selector_matches(&sel, Some(&labels)));
        let back = rc_status(rs.status.as_ref().unwrap());
        assert_eq!(back.replicas, 1);
        assert_eq!(back.conditions.unwrap()[0].type_, "ReplicaFailure");
    }
}

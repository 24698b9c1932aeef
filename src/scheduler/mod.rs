//! The scheduler: binds pending pods to nodes, as upstream's kube-scheduler with its default
//! plugins does.
//!
//! One task owns all state: the [`snapshot::Cache`] of nodes and the pods placed on them
//! (updated incrementally from the shared Pod and Node informers), and the [`queue::Queue`] of
//! pods waiting to be scheduled. Each scheduling cycle pops one pod, runs the [`filters`] over
//! the nodes (round-robin, stopping once enough feasible nodes are found, as upstream's
//! `percentageOfNodesToScore`), ranks the feasible ones with the [`scores`], assumes the pod on
//! the winner and hands the binding to a separate task, so several bindings are in flight while
//! the next pods are scheduled. A failed binding forgets the assumption and backs the pod off.
//!
//! Invariants: the scheduler never writes a pod's spec other than through the binding
//! subresource; pods that are bound, terminating, finished or addressed to another scheduler are
//! never queued. Deliberately absent: volume binding, preemption, extenders, profiles.

pub mod bind;
pub mod filters;
pub mod queue;
pub mod resources;
pub mod scores;
pub mod selectors;
pub mod snapshot;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::controllers::cached::Pod;
use crate::controllers::events::Recorder;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Node};
use kube::Client;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::controllers::Context;
use crate::controllers::informers::{Change, Informer};
use filters::{Code, Failure, PodContext, run_filters};
use snapshot::{Cache, NodeInfo, PodKey, pod_key};

/// The scheduler's name: pods whose `spec.schedulerName` is this are ours.
pub const SCHEDULER_NAME: &str = "default-scheduler";

/// At most this many bindings in flight; scheduling pauses beyond it.
const MAX_BINDINGS_IN_FLIGHT: usize = 64;
/// How often backoff and long-unschedulable pods are checked (upstream: 1 s and 30 s).
const FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// Upstream's `ErrNoNodesAvailable`.
const NO_NODES_AVAILABLE: &str = "no nodes available to schedule pods";
const PREEMPTION_NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
const NO_PREEMPTION_VICTIMS: &str = "No preemption victims found for incoming pod";

/// Whether the pod waits for this scheduler: unbound, ours, not terminating, not finished.
pub fn is_pending_for_us(pod: &Pod) -> bool {
    let spec = pod.spec.as_ref();
    let unbound = spec
        .and_then(|s| s.node_name.as_deref())
        .is_none_or(str::is_empty);
    let ours = spec
        .and_then(|s| s.scheduler_name.as_deref())
        .is_none_or(|n| n.is_empty() || n == SCHEDULER_NAME);
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    unbound
        && ours
        && pod.metadata.deletion_timestamp.is_none()
        && !matches!(phase, Some("Succeeded") | Some("Failed"))
}

/// Upstream's `numFeasibleNodesToFind` with the adaptive `percentageOfNodesToScore`.
pub fn num_feasible_nodes_to_find(all: usize) -> usize {
    const MIN_FEASIBLE: usize = 100;
    if all < MIN_FEASIBLE {
        return all;
    }
    let percentage = (50usize.saturating_sub(all / 125)).max(5);
    (all * percentage / 100).max(MIN_FEASIBLE)
}

/// Upstream's `FitError.Error()`: `0/N nodes are available: <sorted histogram of reasons>.`
/// followed by the post-filter (preemption) message, each part ending with its own period.
pub fn fit_error_message<'a>(
    num_nodes: usize,
    failures: impl IntoIterator<Item = &'a Failure>,
    post_filter: Option<&str>,
) -> String {
    let mut msg = format!("0/{num_nodes} nodes are available:");
    let mut histogram: HashMap<&str, usize> = HashMap::new();
    for f in failures {
        for r in &f.reasons {
            *histogram.entry(r.as_str()).or_default() += 1;
        }
    }
    let mut reasons: Vec<String> = histogram.iter().map(|(r, n)| format!("{n} {r}")).collect();
    reasons.sort();
    if !reasons.is_empty() {
        msg.push_str(&format!(" {}.", reasons.join(", ")));
    }
    if let Some(post) = post_filter.filter(|p| !p.is_empty()) {
        msg.push_str(&format!(" {post}."));
    }
    msg
}

fn pod_priority(pod: &Pod) -> i32 {
    pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0)
}

/// The message default preemption gives when it finds no victims (preemption itself is not
/// implemented: when removing lower-priority pods would help, no message is added).
fn preemption_message(ctx: &PodContext, failures: &[(&NodeInfo, Failure)]) -> Option<String> {
    if ctx
        .pod
        .spec
        .as_ref()
        .and_then(|s| s.preemption_policy.as_deref())
        == Some("Never")
    {
        return Some("preemption: not eligible due to preemptionPolicy=Never.".to_owned());
    }
    let priority = pod_priority(&ctx.pod);
    let mut statuses = Vec::with_capacity(failures.len());
    for (node, failure) in failures {
        if failure.code == Code::UnschedulableAndUnresolvable {
            statuses.push(Failure {
                code: Code::UnschedulableAndUnresolvable,
                reasons: vec![PREEMPTION_NOT_HELPFUL.to_owned()],
            });
            continue;
        }
        let victims: Vec<PodKey> = node
            .pods
            .iter()
            .filter(|(_, p)| pod_priority(&p.pod) < priority)
            .map(|(k, _)| k.clone())
            .collect();
        if victims.is_empty() {
            statuses.push(Failure {
                code: Code::UnschedulableAndUnresolvable,
                reasons: vec![NO_PREEMPTION_VICTIMS.to_owned()],
            });
            continue;
        }
        let mut without = NodeInfo::clone(node);
        for v in &victims {
            without.remove_pod(v);
        }
        match run_filters(ctx, &without) {
            Err(f) => statuses.push(f),
            // Preempting would help here.
            Ok(()) => return None,
        }
    }
    Some(format!(
        "preemption: {}",
        fit_error_message(failures.len(), &statuses, None)
    ))
}

/// The outcome of one scheduling attempt.
enum Decision {
    Node(String),
    /// Nowhere to go: the condition message.
    Unschedulable(String),
}

struct BindOutcome {
    pod: Arc<Pod>,
    node: String,
    cycle: u64,
    result: Result<(), bind::BindError>,
}

struct Scheduler {
    client: Client,
    pods: Informer<Pod>,
    nodes: Informer<Node>,
    namespaces: Informer<Namespace>,
    informers: crate::controllers::informers::Informers,
    recorder: Recorder,
    cache: Cache,
    queue: queue::Queue,
    rng: fastrand::Rng,
    next_start: usize,
    binds: JoinSet<BindOutcome>,
    writes: JoinSet<()>,
}

/// Runs the scheduler until `ctx.shutdown` is cancelled.
pub async fn run(ctx: Context) {
    let scheduler = Scheduler {
        client: ctx.client.clone(),
        pods: ctx.informers.get::<Pod>(),
        nodes: ctx.informers.get::<Node>(),
        namespaces: ctx.informers.get::<Namespace>(),
        informers: ctx.informers.clone(),
        recorder: ctx.recorder(SCHEDULER_NAME),
        cache: Cache::default(),
        queue: queue::Queue::default(),
        rng: fastrand::Rng::new(),
        next_start: 0,
        binds: JoinSet::new(),
        writes: JoinSet::new(),
    };
    scheduler
        .run(ctx.shutdown.clone())
        .instrument(tracing::info_span!("scheduler"))
        .await
}

impl Scheduler {
    async fn run(mut self, shutdown: tokio_util::sync::CancellationToken) {
        let synced = self.informers.wait_synced();
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = synced => {}
        }
        let mut node_changes = std::pin::pin!(self.nodes.changes());
        let mut pod_changes = std::pin::pin!(self.pods.changes());
        let mut flush = tokio::time::interval(FLUSH_INTERVAL);
        flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tracing::info!("scheduler started");
        loop {
            let can_schedule = self.queue.has_active() && self.binds.len() < MAX_BINDINGS_IN_FLIGHT;
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                Some(change) = node_changes.next() => self.on_node(change),
                Some(change) = pod_changes.next() => self.on_pod(change),
                Some(done) = self.binds.join_next(), if !self.binds.is_empty() => {
                    if let Ok(outcome) = done {
                        self.on_bound(outcome);
                    }
                }
                Some(_) = self.writes.join_next(), if !self.writes.is_empty() => {}
                _ = flush.tick() => self.queue.flush(Instant::now()),
                _ = std::future::ready(()), if can_schedule => {
                    self.schedule_one();
                    // Let the other tasks (bindings, the API server) run between pods.
                    tokio::task::yield_now().await;
                }
            }
        }
        self.binds.abort_all();
        self.writes.abort_all();
        tracing::info!("scheduler stopped");
    }

    fn on_node(&mut self, change: Change<Node>) {
        match change {
            Change::Applied(node) => {
                if self.cache.apply_node(node) {
                    self.queue.move_all(Instant::now());
                }
            }
            Change::Deleted(node) => {
                self.cache
                    .delete_node(node.metadata.name.as_deref().unwrap_or_default());
            }
        }
    }

    fn on_pod(&mut self, change: Change<Pod>) {
        let now = Instant::now();
        match change {
            Change::Applied(pod) => {
                let key = pod_key(&pod);
                let was_counted = self.cache.contains_pod(&key);
                let freed = self.cache.apply_pod(pod.clone());
                if freed {
                    self.queue.move_all(now);
                } else if !was_counted && self.cache.contains_pod(&key) {
                    // A pod newly placed by someone else may satisfy pod affinity.
                    self.queue.move_all_waiting_for_pods(now);
                }
                if is_pending_for_us(&pod) {
                    if !self.cache.is_assumed(&key) {
                        self.queue.add_or_update(pod, now);
                    }
                } else if self.queue.contains(&key) && !self.cache.is_assumed(&key) {
                    self.queue.remove(&key);
                }
            }
            Change::Deleted(pod) => {
                let key = pod_key(&pod);
                if self.cache.delete_pod(&pod) {
                    self.queue.move_all(now);
                }
                self.queue.remove(&key);
            }
        }
    }

    fn on_bound(&mut self, outcome: BindOutcome) {
        let key = pod_key(&outcome.pod);
        match outcome.result {
            Ok(()) => {
                self.queue.remove(&key);
                let (ns, name) = (
                    outcome.pod.metadata.namespace.clone().unwrap_or_default(),
                    outcome.pod.metadata.name.clone().unwrap_or_default(),
                );
                let note = format!("Successfully assigned {ns}/{name} to {}", outcome.node);
                self.spawn_event(outcome.pod, false, "Scheduled", "Binding", note);
            }
            Err(err) => {
                tracing::info!(pod = %key, error = %err, "binding failed");
                self.cache.forget(&key);
                self.queue
                    .failed(&key, outcome.cycle, false, Instant::now());
                let detail = match &err {
                    bind::BindError::Bind { source, .. } => source.to_string(),
                    other => other.to_string(),
                };
                let message = format!("running Bind plugin \"DefaultBinder\": {detail}");
                let pod = outcome.pod.clone();
                self.spawn_condition(pod.clone(), "SchedulerError", message.clone());
                self.spawn_event(pod, true, "FailedScheduling", "Scheduling", message);
            }
        }
    }

    fn spawn_event(
        &mut self,
        pod: Arc<Pod>,
        warning: bool,
        reason: &'static str,
        action: &'static str,
        note: String,
    ) {
        let recorder = self.recorder.clone();
        self.writes.spawn(async move {
            if let Err(err) = bind::record(recorder, pod, warning, reason, action, note).await {
                tracing::debug!(error = %err, "recording an event failed");
            }
        });
    }

    fn spawn_condition(&mut self, pod: Arc<Pod>, reason: &'static str, message: String) {
        let client = self.client.clone();
        self.writes.spawn(async move {
            if let Err(err) = bind::set_unschedulable(client, pod, reason, &message).await {
                tracing::debug!(error = %err, "updating the pod condition failed");
            }
        });
    }

    /// One scheduling cycle.
    fn schedule_one(&mut self) {
        let Some(popped) = self.queue.pop() else {
            return;
        };
        let key = pod_key(&popped.pod);
        // The latest state of the pod: it may have been bound or deleted meanwhile.
        let latest = self.pods.get(
            popped.pod.metadata.namespace.as_deref(),
            popped.pod.metadata.name.as_deref().unwrap_or_default(),
        );
        let Some(pod) = latest.filter(|p| is_pending_for_us(p) && !self.cache.contains_pod(&key))
        else {
            self.queue.remove(&key);
            return;
        };
        let started = Instant::now();
        match self.decide(pod.clone()) {
            Decision::Node(node) => {
                tracing::debug!(pod = %key, %node, elapsed_us = started.elapsed().as_micros() as u64, "scheduled");
                self.cache.assume(pod.clone(), &node);
                let client = self.client.clone();
                let cycle = popped.cycle;
                self.binds.spawn(async move {
                    let result = bind::bind(client, &pod, &node).await;
                    BindOutcome {
                        pod,
                        node,
                        cycle,
                        result,
                    }
                });
            }
            Decision::Unschedulable(message) => {
                tracing::debug!(pod = %key, %message, "unschedulable");
                self.queue.failed(&key, popped.cycle, true, Instant::now());
                self.spawn_condition(pod.clone(), "Unschedulable", message.clone());
                self.spawn_event(pod, true, "FailedScheduling", "Scheduling", message);
            }
        }
    }

    /// Filters and scores the nodes for `pod`.
    fn decide(&mut self, pod: Arc<Pod>) -> Decision {
        let names = self.cache.node_names();
        let all = names.len();
        if all == 0 {
            return Decision::Unschedulable(NO_NODES_AVAILABLE.to_owned());
        }
        let namespaces = self.namespaces.clone();
        let ns_labels = move |ns: &str| -> Option<BTreeMap<String, String>> {
            namespaces
                .get(None, ns)
                .and_then(|n| n.metadata.labels.clone())
        };
        let ctx = PodContext::new(pod, &self.cache, &ns_labels);
        let wanted = num_feasible_nodes_to_find(all);
        let mut feasible: Vec<&NodeInfo> = Vec::new();
        let mut failures: Vec<(&NodeInfo, Failure)> = Vec::new();
        let mut processed = 0;
        for i in 0..all {
            let Some(node) = self.cache.node(&names[(self.next_start + i) % all]) else {
                continue;
            };
            processed += 1;
            match run_filters(&ctx, node) {
                Ok(()) => {
                    feasible.push(node);
                    if feasible.len() >= wanted {
                        break;
                    }
                }
                Err(f) => failures.push((node, f)),
            }
        }
        self.next_start = (self.next_start + processed) % all;
        match feasible.len() {
            0 => {
                let post = preemption_message(&ctx, &failures);
                Decision::Unschedulable(fit_error_message(
                    all,
                    failures.iter().map(|(_, f)| f),
                    post.as_deref(),
                ))
            }
            1 => Decision::Node(feasible[0].name.clone()),
            _ => {
                let scores = scores::score_nodes(&ctx, &self.cache, &feasible, &ns_labels);
                let rng = &mut self.rng;
                let best =
                    scores::select_host(&scores, |n| rng.usize(..n)).expect("feasible nodes");
                Decision::Node(feasible[best].name.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::filters::fixtures::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn feasible_nodes_to_find() {
        let cases = [
            (1, 1),
            (99, 99),
            (100, 100),
            (200, 100),
            (1000, 420),
            (5000, 500),
            (10000, 500),
        ];
        for (all, want) in cases {
            assert_eq!(num_feasible_nodes_to_find(all), want, "{all}");
        }
    }

    #[test]
    fn fit_error_messages() {
        let f = |code, r: &[&str]| Failure {
            code,
            reasons: r.iter().map(|s| s.to_string()).collect(),
        };
        use Code::{Unschedulable as U, UnschedulableAndUnresolvable as X};
        let taint = "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }";
        let failures = [f(U, &["Insufficient cpu"]), f(X, &[taint]), f(X, &[taint])];
        assert_eq!(
            fit_error_message(
                3,
                &failures,
                Some(
                    "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
                )
            ),
            "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.."
        );
        // Several reasons on one node each count; reasons sort as strings.
        let failures = [
            f(U, &["Insufficient cpu", "Insufficient memory"]),
            f(U, &["Insufficient memory"]),
            f(X, &["node(s) didn't match Pod's node affinity/selector"]),
        ];
        assert_eq!(
            fit_error_message(3, &failures, None),
            "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient memory."
        );
    }

    fn scheduler_cache() -> Cache {
        let mut c = Cache::default();
        let alloc = json!({"cpu": "2", "memory": "4Gi", "pods": "110"});
        c.apply_node(node("big", json!({}), alloc.clone(), json!({})));
        c.apply_node(node("cp", json!({}), alloc.clone(), json!({"taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]})));
        c.apply_node(node(
            "cordoned",
            json!({}),
            alloc,
            json!({"unschedulable": true}),
        ));
        c.apply_pod(pod("hog", json!({}), json!({"nodeName": "big", "containers": [{"name": "c", "resources": {"requests": {"cpu": "1500m"}}}]})));
        c
    }

    #[test]
    fn unschedulable_message_end_to_end() {
        let c = scheduler_cache();
        let incoming = pod(
            "p",
            json!({}),
            json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]}),
        );
        let ctx = PodContext::new(incoming, &c, &no_ns);
        let failures: Vec<(&NodeInfo, Failure)> = c
            .nodes()
            .map(|n| (n, run_filters(&ctx, n).unwrap_err()))
            .collect();
        let post = preemption_message(&ctx, &failures);
        assert_eq!(
            fit_error_message(3, failures.iter().map(|(_, f)| f), post.as_deref()),
            "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) were unschedulable. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.."
        );
        // A higher-priority pod could preempt the hog: no preemption message.
        let urgent = pod(
            "p",
            json!({}),
            json!({"priority": 1000, "containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]}),
        );
        let ctx = PodContext::new(urgent, &c, &no_ns);
        let failures: Vec<(&NodeInfo, Failure)> = c
            .nodes()
            .map(|n| (n, run_filters(&ctx, n).unwrap_err()))
            .collect();
        assert_eq!(preemption_message(&ctx, &failures), None);
        // preemptionPolicy Never.
        let never = pod(
            "p",
            json!({}),
            json!({"preemptionPolicy": "Never", "containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]}),
        );
        let ctx = PodContext::new(never, &c, &no_ns);
        let failures: Vec<(&NodeInfo, Failure)> = c
            .nodes()
            .map(|n| (n, run_filters(&ctx, n).unwrap_err()))
            .collect();
        assert_eq!(
            fit_error_message(
                3,
                failures.iter().map(|(_, f)| f),
                preemption_message(&ctx, &failures).as_deref()
            ),
            "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) were unschedulable. preemption: not eligible due to preemptionPolicy=Never.."
        );
    }

    #[test]
    fn pending_for_us() {
        let cases = [
            (json!({"spec": {"containers": []}}), true),
            (
                json!({"spec": {"schedulerName": "default-scheduler", "containers": []}}),
                true,
            ),
            (
                json!({"spec": {"schedulerName": "other", "containers": []}}),
                false,
            ),
            (json!({"spec": {"nodeName": "n", "containers": []}}), false),
            (
                json!({"metadata": {"deletionTimestamp": "2024-01-01T00:00:00Z"}, "spec": {"containers": []}}),
                false,
            ),
            (
                json!({"spec": {"containers": []}, "status": {"phase": "Failed"}}),
                false,
            ),
        ];
        for (p, want) in cases {
            let pod: Pod = serde_json::from_value(p.clone()).unwrap();
            assert_eq!(is_pending_for_us(&pod), want, "{p}");
        }
    }
}

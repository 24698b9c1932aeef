//! Simulated pods: one Pod watch for every simulated node; each pod bound to one of them gets a
//! small task that moves it through its life as the kubelet would report it (Pending → Running
//! and Ready; Succeeded/Failed for pods that terminate; restarts with back-off; finishing off
//! pods being deleted).
//!
//! The task is level-triggered: from the pod as last seen (the watch, or the answer to its own
//! status write) and the clock, [`plan`] computes the status the kubelet would post, the next
//! moment something happens, and whether to delete the pod.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, Pod, PodCondition,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::node::SimNode;
use super::program::Program;
use super::{now, time_str};

/// The kubelet's container restart back-off: none before the first restart, then 10 s doubling
/// to 5 min.
pub fn restart_backoff(restart_count: i32) -> Duration {
    if restart_count <= 0 {
        return Duration::ZERO;
    }
    let secs = 10u64.saturating_mul(1 << (restart_count - 1).min(10));
    Duration::from_secs(secs.min(300))
}

/// Exit code reported for containers killed because their pod is deleted (SIGKILL).
const KILLED_EXIT_CODE: i32 = 137;

pub(super) struct Shared {
    pub client: Client,
    pub nodes: Arc<HashMap<String, Arc<SimNode>>>,
    pub limit: Arc<Semaphore>,
    pub shutdown: CancellationToken,
}

/// Watches every pod bound to a node and drives those on simulated nodes until `shutdown`.
pub(super) async fn run(shared: Arc<Shared>) {
    let api: Api<Pod> = Api::all(shared.client.clone());
    let config = watcher::Config::default().fields("spec.nodeName!=");
    let mut events = std::pin::pin!(watcher(api, config).default_backoff());
    let mut tasks: HashMap<String, watch::Sender<Arc<Pod>>> = HashMap::new();
    let mut running = JoinSet::new();
    let mut relist: Vec<Pod> = Vec::new();
    loop {
        let event = tokio::select! {
            _ = shared.shutdown.cancelled() => break,
            e = events.next() => match e {
                Some(e) => e,
                None => break,
            },
        };
        while running.try_join_next().is_some() {}
        let event = match event {
            Ok(e) => e,
            Err(err) => {
                tracing::debug!(error = %err, "pod watch failed; retrying");
                continue;
            }
        };
        match event {
            watcher::Event::Init => relist.clear(),
            watcher::Event::InitApply(pod) => {
                if node_of(&shared, &pod).is_some() {
                    relist.push(pod);
                }
            }
            watcher::Event::InitDone => {
                let seen: std::collections::HashSet<String> =
                    relist.iter().filter_map(|p| p.uid()).collect();
                tasks.retain(|uid, _| seen.contains(uid));
                // Addresses already in use first, so new pods do not get them.
                for pod in &relist {
                    if let (Some(node), Some(uid), Some(ip)) = (
                        node_of(&shared, pod),
                        pod.uid(),
                        pod.status.as_ref().and_then(|s| s.pod_ip.as_deref()),
                    ) && !is_terminal(pod)
                    {
                        node.claim_pod_ip(&uid, ip);
                    }
                }
                for pod in relist.drain(..) {
                    dispatch(&shared, &mut tasks, &mut running, pod);
                }
            }
            watcher::Event::Apply(pod) => {
                if node_of(&shared, &pod).is_some() {
                    dispatch(&shared, &mut tasks, &mut running, pod);
                }
            }
            watcher::Event::Delete(pod) => {
                if let (Some(node), Some(uid)) = (node_of(&shared, &pod), pod.uid()) {
                    tasks.remove(&uid);
                    if let Some(ip) = pod.status.as_ref().and_then(|s| s.pod_ip.as_deref()) {
                        node.release_pod_ip(&uid, ip);
                    }
                }
            }
        }
    }
    drop(tasks);
    running.shutdown().await;
}

fn node_of(shared: &Shared, pod: &Pod) -> Option<Arc<SimNode>> {
    let name = pod.spec.as_ref()?.node_name.as_deref()?;
    shared.nodes.get(name).cloned()
}

fn dispatch(
    shared: &Arc<Shared>,
    tasks: &mut HashMap<String, watch::Sender<Arc<Pod>>>,
    running: &mut JoinSet<()>,
    pod: Pod,
) {
    let (Some(uid), Some(node)) = (pod.uid(), node_of(shared, &pod)) else {
        return;
    };
    let pod = Arc::new(pod);
    if let Some(tx) = tasks.get(&uid)
        && !tx.is_closed()
    {
        tx.send_replace(pod);
        return;
    }
    let (tx, rx) = watch::channel(pod.clone());
    tasks.insert(uid, tx);
    let span = tracing::debug_span!(
        "simulated pod",
        pod = %format!("{}/{}", pod.namespace().unwrap_or_default(), pod.name_any()),
        node = %node.name,
    );
    running.spawn(pod_task(rx, node, shared.clone()).instrument(span));
}

fn is_terminal(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

fn resource_version(pod: &Pod) -> u64 {
    pod.metadata
        .resource_version
        .as_deref()
        .and_then(|rv| rv.parse().ok())
        .unwrap_or(0)
}

/// Drives one pod until it is deleted (its sender is dropped) or the simulator stops.
async fn pod_task(mut rx: watch::Receiver<Arc<Pod>>, node: Arc<SimNode>, shared: Arc<Shared>) {
    let mut latest = rx.borrow_and_update().clone();
    let api: Api<Pod> = Api::namespaced(
        shared.client.clone(),
        &latest.namespace().unwrap_or_default(),
    );
    let name = latest.name_any();
    let uid = latest.uid().unwrap_or_default();
    let mut local = Local::default();
    let mut delete_sent = false;
    let mut failures = 0u32;
    let mut writes_in_a_row = 0u32;
    loop {
        let mut retry: Option<Duration> = None;
        let pod_ip = assign_ip(&latest, &node, &uid);
        let ctx = PlanCtx {
            host_ip: node.internal_ip.to_string(),
            pod_ip,
        };
        let step = plan(&latest, &ctx, &mut local, now());
        if let Some(patch) = &step.status {
            writes_in_a_row += 1;
            if writes_in_a_row > 5 {
                tracing::warn!("status does not settle; slowing down");
                retry = Some(Duration::from_secs(1));
            } else {
                let result = {
                    let _permit = shared.limit.acquire().await.expect("semaphore open");
                    api.patch_status(&name, &PatchParams::default(), &Patch::Strategic(patch))
                        .await
                };
                match result {
                    Ok(pod) => {
                        failures = 0;
                        latest = Arc::new(pod);
                        if !step.delete {
                            continue;
                        }
                    }
                    Err(kube::Error::Api(s)) if s.code == 404 => return,
                    Err(err) => {
                        tracing::debug!(error = %err, "cannot write pod status");
                        failures += 1;
                        retry = Some(super::backoff(failures));
                    }
                }
            }
        } else {
            writes_in_a_row = 0;
        }
        if step.delete && !delete_sent && retry.is_none() {
            let params = DeleteParams {
                grace_period_seconds: Some(0),
                preconditions: Some(Preconditions {
                    uid: Some(uid.clone()),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            let result = {
                let _permit = shared.limit.acquire().await.expect("semaphore open");
                api.delete(&name, &params).await
            };
            match result {
                Ok(_) => delete_sent = true,
                Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => return,
                Err(err) => {
                    tracing::debug!(error = %err, "cannot delete pod");
                    failures += 1;
                    retry = Some(super::backoff(failures));
                }
            }
        }
        if step.terminal
            && let Some(ip) = latest.status.as_ref().and_then(|s| s.pod_ip.as_deref())
        {
            node.release_pod_ip(&uid, ip);
        }
        let wake = match (step.wake, retry) {
            (Some(w), r) => {
                let until = w.duration_since(now());
                let until = Duration::try_from(until).unwrap_or(Duration::ZERO);
                Some(r.map_or(until, |r| r.min(until)))
            }
            (None, r) => r,
        };
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            changed = rx.changed() => {
                if changed.is_err() {
                    return;
                }
                let seen = rx.borrow_and_update().clone();
                if resource_version(&seen) >= resource_version(&latest) {
                    latest = seen;
                }
            }
            _ = sleep_opt(wake) => {}
        }
    }
}

async fn sleep_opt(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

fn assign_ip(pod: &Pod, node: &SimNode, uid: &str) -> Option<String> {
    let status = pod.status.as_ref();
    if let Some(ip) = status.and_then(|s| s.pod_ip.clone()) {
        return Some(ip);
    }
    if pod.metadata.deletion_timestamp.is_some() || is_terminal(pod) {
        return None;
    }
    if pod
        .spec
        .as_ref()
        .and_then(|s| s.host_network)
        .unwrap_or(false)
    {
        return Some(node.internal_ip.to_string());
    }
    let ip = node.allocate_pod_ip(uid);
    if ip.is_none() {
        tracing::warn!(node = %node.name, "no pod address left on the node");
    }
    ip.map(|ip| ip.to_string())
}

/// Precise start times of the containers this agent started (statuses only keep seconds).
#[derive(Default)]
pub(crate) struct Local {
    starts: HashMap<(String, i32), Timestamp>,
}

pub(crate) struct PlanCtx {
    pub host_ip: String,
    pub pod_ip: Option<String>,
}

/// What to do next for one pod.
#[derive(Debug, Default)]
pub(crate) struct Step {
    /// A strategic-merge patch of the status subresource.
    pub status: Option<Value>,
    /// Delete the pod (grace period 0, uid precondition).
    pub delete: bool,
    /// When to look again even if nothing changes.
    pub wake: Option<Timestamp>,
    /// The pod has finished: its address can be reused.
    pub terminal: bool,
}

fn secs(t: Timestamp) -> Time {
    Time(Timestamp::from_second(t.as_second()).expect("a valid timestamp"))
}

fn add(t: Timestamp, d: Duration) -> Timestamp {
    t.checked_add(SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX))
        .unwrap_or(Timestamp::MAX)
}

/// `nginx` → `docker.io/library/nginx:latest`, as the runtime reports image names.
pub fn normalize_image(image: &str) -> String {
    let (name, tag) = match image.rsplit_once('@') {
        Some(_) => (image.to_string(), String::new()),
        None => {
            let last = image.rsplit('/').next().unwrap_or(image);
            if last.contains(':') {
                (image.to_string(), String::new())
            } else {
                (image.to_string(), ":latest".to_string())
            }
        }
    };
    let first = name.split('/').next().unwrap_or("");
    let has_domain =
        name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let full = if has_domain {
        name
    } else if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    };
    format!("{full}{tag}")
}

fn hex_digest(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn image_id(image: &str) -> String {
    let normalized = normalize_image(image);
    let repo = match normalized.rsplit_once('@') {
        Some((repo, _)) => repo.to_string(),
        None => {
            let (head, last) = normalized.rsplit_once('/').unwrap_or(("", &normalized));
            let last = last.split(':').next().unwrap_or(last);
            format!("{head}/{last}")
        }
    };
    format!("{repo}@sha256:{}", hex_digest(&normalized))
}

fn container_id(uid: &str, name: &str, restart: i32) -> String {
    format!("sim://{}", hex_digest(&format!("{uid}/{name}/{restart}")))
}

fn base_status(pod: &Pod, c: &Container, restart_count: i32) -> ContainerStatus {
    ContainerStatus {
        name: c.name.clone(),
        image: normalize_image(c.image.as_deref().unwrap_or_default()),
        image_id: image_id(c.image.as_deref().unwrap_or_default()),
        container_id: Some(container_id(
            &pod.uid().unwrap_or_default(),
            &c.name,
            restart_count,
        )),
        restart_count,
        last_state: Some(ContainerState::default()),
        ..ContainerStatus::default()
    }
}

fn running(
    pod: &Pod,
    c: &Container,
    restart_count: i32,
    last: Option<ContainerState>,
    local: &mut Local,
    now: Timestamp,
) -> ContainerStatus {
    local.starts.insert((c.name.clone(), restart_count), now);
    ContainerStatus {
        ready: true,
        started: Some(true),
        state: Some(ContainerState {
            running: Some(ContainerStateRunning {
                started_at: Some(secs(now)),
            }),
            ..ContainerState::default()
        }),
        last_state: Some(last.unwrap_or_default()),
        ..base_status(pod, c, restart_count)
    }
}

fn terminated_state(t: ContainerStateTerminated) -> ContainerState {
    ContainerState {
        terminated: Some(t),
        ..ContainerState::default()
    }
}

/// The next status of one container of a pod that is not being deleted.
fn advance(
    pod: &Pod,
    c: &Container,
    old: Option<&ContainerStatus>,
    policy: &str,
    local: &mut Local,
    now: Timestamp,
) -> (ContainerStatus, Option<Timestamp>) {
    let program = Program::of(c, pod.metadata.annotations.as_ref());
    let restart_count = old.map_or(0, |o| o.restart_count);
    let state = old.and_then(|o| o.state.clone()).unwrap_or_default();
    let exited = if let Some(r) = &state.running {
        let old = old.expect("a running state comes from a status");
        let Some(run) = program.run.filter(|_| policy != "Always") else {
            return (old.clone(), None);
        };
        let started = local
            .starts
            .get(&(c.name.clone(), restart_count))
            .copied()
            .or_else(|| r.started_at.as_ref().map(|t| t.0))
            .unwrap_or(now);
        let end = add(started, run);
        if now < end {
            return (old.clone(), Some(end));
        }
        let code = program.exit_code;
        ContainerStateTerminated {
            exit_code: code,
            reason: Some(if code == 0 { "Completed" } else { "Error" }.to_string()),
            started_at: Some(secs(started)),
            finished_at: Some(secs(end)),
            container_id: old.container_id.clone(),
            ..ContainerStateTerminated::default()
        }
    } else if let Some(t) = &state.terminated {
        t.clone()
    } else if let (Some(w), Some(t)) = (
        &state.waiting,
        old.and_then(|o| o.last_state.as_ref())
            .and_then(|l| l.terminated.as_ref()),
    ) && w.reason.as_deref() == Some("CrashLoopBackOff")
    {
        t.clone()
    } else {
        return (running(pod, c, restart_count, None, local, now), None);
    };
    let last = terminated_state(exited.clone());
    if policy == "OnFailure" && exited.exit_code != 0 {
        let finished = exited.finished_at.as_ref().map_or(now, |t| t.0);
        let backoff = restart_backoff(restart_count);
        let restart_at = add(finished, backoff);
        if now >= restart_at {
            return (
                running(pod, c, restart_count + 1, Some(last), local, now),
                None,
            );
        }
        let message = format!(
            "back-off {} restarting failed container={} pod={}_{}({})",
            go_duration(backoff),
            c.name,
            pod.name_any(),
            pod.namespace().unwrap_or_default(),
            pod.uid().unwrap_or_default()
        );
        let waiting = ContainerStatus {
            state: Some(ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: Some("CrashLoopBackOff".into()),
                    message: Some(message),
                }),
                ..ContainerState::default()
            }),
            last_state: Some(last),
            started: Some(false),
            ..base_status(pod, c, restart_count)
        };
        return (waiting, Some(restart_at));
    }
    let done = ContainerStatus {
        state: Some(last),
        started: Some(false),
        ready: false,
        last_state: old
            .and_then(|o| o.last_state.clone())
            .unwrap_or_default()
            .into(),
        ..base_status(pod, c, restart_count)
    };
    (done, None)
}

/// `10s`, `1m20s`, `5m0s`: Go's `time.Duration` formatting for whole seconds.
fn go_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s}s")
    } else {
        format!("{}m{}s", s / 60, s % 60)
    }
}

fn init_statuses(
    pod: &Pod,
    old: Option<&Vec<ContainerStatus>>,
    terminal: bool,
    local: &mut Local,
    now: Timestamp,
) -> Option<Vec<ContainerStatus>> {
    let inits = pod.spec.as_ref()?.init_containers.as_ref()?;
    if inits.is_empty() {
        return None;
    }
    let old: HashMap<&str, &ContainerStatus> = old
        .into_iter()
        .flatten()
        .map(|s| (s.name.as_str(), s))
        .collect();
    let list = inits
        .iter()
        .map(|c| {
            let sidecar = c.restart_policy.as_deref() == Some("Always");
            match old.get(c.name.as_str()) {
                Some(s) if !(sidecar && terminal) => (*s).clone(),
                Some(s) => {
                    let started = s
                        .state
                        .as_ref()
                        .and_then(|st| st.running.as_ref())
                        .and_then(|r| r.started_at.clone());
                    ContainerStatus {
                        state: Some(terminated_state(ContainerStateTerminated {
                            exit_code: 0,
                            reason: Some("Completed".into()),
                            started_at: started,
                            finished_at: Some(secs(now)),
                            container_id: s.container_id.clone(),
                            ..Default::default()
                        })),
                        ready: false,
                        started: Some(false),
                        ..(*s).clone()
                    }
                }
                None if sidecar => running(pod, c, 0, None, local, now),
                None => ContainerStatus {
                    ready: true,
                    started: Some(false),
                    state: Some(terminated_state(ContainerStateTerminated {
                        exit_code: 0,
                        reason: Some("Completed".into()),
                        started_at: Some(secs(now)),
                        finished_at: Some(secs(now)),
                        container_id: Some(container_id(
                            &pod.uid().unwrap_or_default(),
                            &c.name,
                            0,
                        )),
                        ..Default::default()
                    })),
                    ..base_status(pod, c, 0)
                },
            }
        })
        .collect();
    Some(list)
}

/// Condition `(type, status, reason, message)` as the kubelet generates them.
type Cond = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<String>,
);

fn conditions(pod: &Pod, phase: &str, statuses: &[ContainerStatus]) -> Vec<Cond> {
    let has_inits = pod
        .spec
        .as_ref()
        .and_then(|s| s.init_containers.as_ref())
        .is_some_and(|i| !i.is_empty());
    let terminal = matches!(phase, "Succeeded" | "Failed");
    let (ready, reason, message) = match phase {
        "Succeeded" => ("False", Some("PodCompleted"), None),
        "Failed" => ("False", Some("PodFailed"), None),
        _ => {
            let unready: Vec<&str> = statuses
                .iter()
                .filter(|s| !s.ready)
                .map(|s| s.name.as_str())
                .collect();
            if unready.is_empty() {
                ("True", None, None)
            } else {
                (
                    "False",
                    Some("ContainersNotReady"),
                    Some(format!(
                        "containers with unready status: [{}]",
                        unready.join(" ")
                    )),
                )
            }
        }
    };
    vec![
        (
            "PodReadyToStartContainers",
            if terminal { "False" } else { "True" },
            None,
            None,
        ),
        (
            "Initialized",
            "True",
            (phase == "Succeeded" && has_inits).then_some("PodCompleted"),
            None,
        ),
        ("Ready", ready, reason, message.clone()),
        ("ContainersReady", ready, reason, message),
        ("PodScheduled", "True", None, None),
    ]
}

fn same_condition(old: &PodCondition, new: &Cond) -> bool {
    old.status == new.1 && old.reason.as_deref() == new.2 && old.message == new.3
}

/// Conditions as a strategic-merge list: merged by type, with explicit nulls so stale reasons
/// and messages go away. Transition times are kept for conditions that did not change.
fn condition_patch(old: &[PodCondition], new: &[Cond], now: Timestamp) -> (Value, bool) {
    let mut changed = false;
    let list = new
        .iter()
        .filter_map(|cond| {
            let previous = old.iter().find(|c| c.type_ == cond.0);
            // PodScheduled belongs to the scheduler; only add it when missing.
            if cond.0 == "PodScheduled" && previous.is_some() {
                return None;
            }
            let transition = match previous {
                Some(p) if same_condition(p, cond) => p.last_transition_time.clone(),
                _ => {
                    changed = true;
                    Some(secs(now))
                }
            };
            Some(json!({
                "type": cond.0,
                "status": cond.1,
                "reason": cond.2,
                "message": cond.3,
                "lastProbeTime": null,
                "lastTransitionTime": transition.map(|t| time_str(t.0)),
            }))
        })
        .collect();
    (Value::Array(list), changed)
}

fn phase_of(statuses: &[ContainerStatus]) -> &'static str {
    let terminated: Vec<&ContainerStateTerminated> = statuses
        .iter()
        .filter_map(|s| s.state.as_ref().and_then(|st| st.terminated.as_ref()))
        .collect();
    if statuses.is_empty() || terminated.len() < statuses.len() {
        return "Running";
    }
    // With OnFailure a failed container waits for its restart instead of staying terminated.
    if terminated.iter().all(|t| t.exit_code == 0) {
        "Succeeded"
    } else {
        "Failed"
    }
}

/// What the kubelet would do next for `pod` at `now`.
pub(crate) fn plan(pod: &Pod, ctx: &PlanCtx, local: &mut Local, now: Timestamp) -> Step {
    let Some(spec) = pod.spec.as_ref() else {
        return Step::default();
    };
    let status = pod.status.clone().unwrap_or_default();
    let old_phase = status.phase.as_deref().unwrap_or("Pending");
    let was_terminal = matches!(old_phase, "Succeeded" | "Failed");
    let started = status.start_time.is_some();
    let old_statuses = status.container_statuses.clone().unwrap_or_default();
    let policy = spec.restart_policy.as_deref().unwrap_or("Always");

    let deleting = pod.metadata.deletion_timestamp.is_some();
    if deleting && (!started || was_terminal) {
        return Step {
            delete: true,
            terminal: true,
            ..Step::default()
        };
    }
    if was_terminal {
        return Step {
            terminal: true,
            ..Step::default()
        };
    }

    let mut wake: Option<Timestamp> = None;
    let statuses: Vec<ContainerStatus> = if deleting {
        // Finished off: every container that still runs is killed.
        spec.containers
            .iter()
            .map(|c| {
                let old = old_statuses.iter().find(|s| s.name == c.name);
                let st = old.and_then(|o| o.state.clone()).unwrap_or_default();
                if st.terminated.is_some() {
                    return old.expect("terminated comes from a status").clone();
                }
                let started_at = st.running.as_ref().and_then(|r| r.started_at.clone());
                ContainerStatus {
                    state: Some(terminated_state(ContainerStateTerminated {
                        exit_code: KILLED_EXIT_CODE,
                        reason: Some("Error".into()),
                        started_at,
                        finished_at: Some(secs(now)),
                        container_id: old.and_then(|o| o.container_id.clone()),
                        ..Default::default()
                    })),
                    ready: false,
                    started: Some(false),
                    last_state: old
                        .and_then(|o| o.last_state.clone())
                        .unwrap_or_default()
                        .into(),
                    ..base_status(pod, c, old.map_or(0, |o| o.restart_count))
                }
            })
            .collect()
    } else {
        spec.containers
            .iter()
            .map(|c| {
                let old = old_statuses.iter().find(|s| s.name == c.name);
                let (s, w) = advance(pod, c, old, policy, local, now);
                if let Some(w) = w {
                    wake = Some(wake.map_or(w, |x| x.min(w)));
                }
                s
            })
            .collect()
    };
    let phase = phase_of(&statuses);
    let terminal = matches!(phase, "Succeeded" | "Failed");
    let inits = init_statuses(
        pod,
        status.init_container_statuses.as_ref(),
        terminal,
        local,
        now,
    );
    let (conds, conds_changed) = condition_patch(
        status.conditions.as_deref().unwrap_or_default(),
        &conditions(pod, phase, &statuses),
        now,
    );

    let pod_ip = status.pod_ip.clone().or_else(|| ctx.pod_ip.clone());
    let host_ip = status
        .host_ip
        .clone()
        .unwrap_or_else(|| ctx.host_ip.clone());
    let start_time = status.start_time.clone().unwrap_or_else(|| secs(now));
    let changed = conds_changed
        || old_phase != phase
        || old_statuses != statuses
        || status.init_container_statuses != inits
        || status.pod_ip != pod_ip
        || status.host_ip.as_deref() != Some(host_ip.as_str())
        || status.start_time.is_none();
    if pod_ip.is_none() && !deleting {
        // No address to give yet: try again shortly.
        return Step {
            wake: Some(add(now, Duration::from_secs(1))),
            ..Step::default()
        };
    }
    let patch = changed.then(|| {
        let mut s = json!({
            "phase": phase,
            "conditions": conds,
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "startTime": time_str(start_time.0),
            "containerStatuses": statuses,
        });
        if let Some(ip) = &pod_ip {
            s["podIP"] = json!(ip);
            s["podIPs"] = json!([{"ip": ip}]);
        }
        if let Some(inits) = &inits {
            s["initContainerStatuses"] = json!(inits);
        }
        json!({"status": s})
    });
    Step {
        status: patch,
        delete: deleting,
        wake: if terminal { None } else { wake },
        terminal,
    }
}

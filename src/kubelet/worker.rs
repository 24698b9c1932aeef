//! One pod's life on the node, level-triggered: from the pod as last seen and what its
//! containers did, the worker starts what should run (the sandbox, the pod's shim, init
//! containers one at a time, then the app containers), restarts containers per the restart
//! policy with CrashLoopBackOff, stops everything gracefully when the pod is deleted, and
//! writes the pod's status when it changed.
//!
//! Blocking work (unpacking layers, mounting, namespaces) runs on the blocking pool; the
//! containers themselves live in the pod's shim (`orch shim serve`), a process of its own.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    ConfigMap, Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, ObjectReference, Pod, PodCondition, Secret, Service,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, Preconditions};
use kube::runtime::events::{Event, EventType};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::Kubelet;
use super::env::{self, Sources};
use super::probe;
use super::spec::{Placement, container_spec, pod_hostname};
use super::status::{Backoff, pod_phase, terminated};
use crate::api::quantity::Quantity;
use crate::runtime::container::ExitInfo;
use crate::runtime::images::reference::Reference;
use crate::runtime::images::store::ImageRecord;
use crate::runtime::shim::client::Shim;
use crate::runtime::shim::proto::RunRequest;
use crate::runtime::{rootfs, sandbox};

/// A container's CRI log is rotated at this size, keeping this many files.
const LOG_MAX_SIZE: u64 = 10 << 20;
const LOG_MAX_FILES: usize = 5;
/// After SIGKILL, how long to wait for the runtime to report the end.
const KILL_WAIT: Duration = Duration::from_secs(10);
/// Retry delay after a failure to set the pod up (sandbox, shim).
const SETUP_RETRY: Duration = Duration::from_secs(5);

/// One run of a container.
#[derive(Debug)]
struct Instance {
    id: String,
    started_at: Timestamp,
    dir: PathBuf,
    ended: Option<ContainerStateTerminated>,
    /// Its runtime container and rootfs are gone (the log stays).
    removed: bool,
    /// The startup probe succeeded (or there is none).
    started: bool,
    /// The readiness probe's verdict (true without one).
    ready: bool,
    /// Stops this run's probes.
    probes: CancellationToken,
}

impl Instance {
    fn new(id: String, started_at: Timestamp, dir: PathBuf) -> Instance {
        Instance {
            id,
            started_at,
            dir,
            ended: None,
            removed: false,
            started: false,
            ready: false,
            probes: CancellationToken::new(),
        }
    }
}

/// What the worker knows of one container of the pod.
#[derive(Debug, Default)]
struct Ctr {
    restart_count: i32,
    current: Option<Instance>,
    /// The previous run's end (`lastState`).
    last: Option<ContainerStateTerminated>,
    /// Why it is not running: (reason, message).
    waiting: Option<(String, String)>,
    backoff: Backoff,
    /// Not to be (re)started before this (CrashLoopBackOff, ImagePullBackOff).
    not_before: Option<Instant>,
    image_backoff: Backoff,
    image_id: String,
}

impl Ctr {
    fn running(&self) -> bool {
        self.current.as_ref().is_some_and(|i| i.ended.is_none())
    }

    fn exit_code(&self) -> Option<i32> {
        self.current
            .as_ref()
            .and_then(|i| i.ended.as_ref())
            .map(|t| t.exit_code)
    }
}

/// The pod's containers as saved for the next kubelet: `<pod dir>/state.json`.
const STATE_FILE: &str = "state.json";

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Saved {
    containers: BTreeMap<String, SavedCtr>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SavedCtr {
    restart_count: i32,
    current: Option<SavedInstance>,
    last: Option<ContainerStateTerminated>,
    image_id: String,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SavedInstance {
    id: String,
    started_at: String,
    ended: Option<ContainerStateTerminated>,
}

fn now_time() -> Time {
    Time(Timestamp::from_second(Timestamp::now().as_second()).expect("a valid timestamp"))
}

fn random_id() -> String {
    (0..32)
        .map(|_| format!("{:02x}", fastrand::u8(..)))
        .collect()
}

fn restart_policy(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("Always")
}

/// Whether a container that ended with `code` runs again under the pod's restart policy.
fn restarts(policy: &str, code: i32) -> bool {
    match policy {
        "Always" => true,
        "OnFailure" => code != 0,
        _ => false,
    }
}

/// The kubelet's tasks' shared state plus this pod's own.
pub(super) struct Worker {
    k: Arc<Kubelet>,
    api: Api<Pod>,
    pod: Arc<Pod>,
    uid: String,
    key: String,
    dir: PathBuf,
    sandbox_dir: PathBuf,
    shim_dir: PathBuf,
    sandbox_ready: bool,
    shim: Option<Shim>,
    containers: BTreeMap<String, Ctr>,
    exits_tx: mpsc::UnboundedSender<(String, Option<ExitInfo>)>,
    exits_rx: mpsc::UnboundedReceiver<(String, Option<ExitInfo>)>,
    probe_tx: mpsc::UnboundedSender<probe::Report>,
    probe_rx: mpsc::UnboundedReceiver<probe::Report>,
    start_time: Time,
    conditions: HashMap<&'static str, (bool, Time)>,
    written: Option<Value>,
    /// Everything has run that will: no more starts.
    terminal: bool,
    /// The pod had finished before this worker began: nothing to run or report.
    passive: bool,
    /// Run counts came from saved state (a reboot): the pod's status is not consulted.
    resumed: bool,
    /// The state last saved for a later kubelet (serialized).
    saved: Option<Vec<u8>>,
    initialized: bool,
    /// Next time something is due (a back-off ending, a retry).
    wake: Option<Instant>,
}

/// Drives the pod until it is gone from the API (its sender dropped) or the kubelet stops.
pub(super) async fn run(
    k: Arc<Kubelet>,
    mut rx: watch::Receiver<Arc<Pod>>,
    shutdown: CancellationToken,
) {
    let pod = rx.borrow_and_update().clone();
    let uid = pod.uid().unwrap_or_default();
    let (exits_tx, exits_rx) = mpsc::unbounded_channel();
    let (probe_tx, probe_rx) = mpsc::unbounded_channel();
    let run_root = k.config.run_root.clone();
    let mut w = Worker {
        api: Api::namespaced(k.client.clone(), &pod.namespace().unwrap_or_default()),
        key: format!("{}/{}", pod.namespace().unwrap_or_default(), pod.name_any()),
        dir: k.config.pods_dir().join(&uid),
        sandbox_dir: crate::runtime::sandbox_dir(&run_root, &uid),
        shim_dir: crate::runtime::shims_dir(&run_root).join(&uid),
        k,
        pod,
        uid,
        sandbox_ready: false,
        shim: None,
        containers: BTreeMap::new(),
        exits_tx,
        exits_rx,
        probe_tx,
        probe_rx,
        start_time: now_time(),
        conditions: HashMap::new(),
        written: None,
        terminal: false,
        passive: false,
        resumed: false,
        saved: None,
        initialized: false,
        wake: None,
    };
    // What an earlier kubelet reported stays: the start time and the conditions' transitions.
    if let Some(status) = w.pod.status.clone() {
        if let Some(t) = status.start_time {
            w.start_time = t;
        }
        for c in status.conditions.into_iter().flatten() {
            let type_ = match c.type_.as_str() {
                "PodReadyToStartContainers" => "PodReadyToStartContainers",
                "Initialized" => "Initialized",
                "ContainersReady" => "ContainersReady",
                "Ready" => "Ready",
                _ => continue,
            };
            if let Some(t) = c.last_transition_time {
                w.conditions.insert(type_, (c.status == "True", t));
            }
        }
    }
    w.adopt_or_clear().await;
    w.resume_from_status();
    loop {
        if w.pod.metadata.deletion_timestamp.is_some() {
            w.finish(true).await;
            return;
        }
        w.sync().await;
        w.save().await;
        w.write_status().await;
        let sleep = w.wake.map(|t| t.saturating_duration_since(Instant::now()));
        tokio::select! {
            _ = shutdown.cancelled() => return,
            changed = rx.changed() => {
                if changed.is_err() {
                    // Gone from the API (force-deleted): stop what still runs.
                    w.finish(false).await;
                    return;
                }
                w.pod = rx.borrow_and_update().clone();
            }
            Some((id, exit)) = w.exits_rx.recv() => {
                w.on_exit(&id, exit).await;
                w.save().await;
            }
            Some(report) = w.probe_rx.recv() => w.on_probe(report).await,
            _ = sleep_opt(sleep) => { w.wake = None; }
        }
    }
}

async fn sleep_opt(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

impl Worker {
    fn spec(&self) -> k8s_openapi::api::core::v1::PodSpec {
        self.pod.spec.clone().unwrap_or_default()
    }

    fn wake_at(&mut self, at: Instant) {
        self.wake = Some(self.wake.map_or(at, |w| w.min(at)));
    }

    async fn event(&self, type_: EventType, reason: &str, note: String) {
        let reference = ObjectReference {
            api_version: Some("v1".into()),
            kind: Some("Pod".into()),
            namespace: self.pod.namespace(),
            name: Some(self.pod.name_any()),
            uid: self.pod.uid(),
            resource_version: self.pod.resource_version(),
            field_path: None,
        };
        let ev = Event {
            type_,
            reason: reason.into(),
            note: Some(note),
            action: reason.into(),
            secondary: None,
        };
        if let Err(error) = self.k.recorder.publish(&ev, &reference).await {
            tracing::debug!(error = %error, "cannot record event");
        }
    }

    /// A previous kubelet's shim for this pod still running: its containers are adopted as they
    /// are (running ones keep running, ones that ended meanwhile are reported ended), with the
    /// run counts the previous kubelet saved. Without a live shim (a reboot) or saved state,
    /// whatever is left is removed and the pod starts afresh.
    async fn adopt_or_clear(&mut self) {
        let old = Shim::at(&self.shim_dir);
        let listed = old.list().await;
        let saved = {
            let path = self.dir.join(STATE_FILE);
            tokio::task::spawn_blocking(move || std::fs::read(path))
                .await
                .expect("state read panicked")
                .ok()
                .and_then(|b| serde_json::from_slice::<Saved>(&b).ok())
        };
        match (listed, saved) {
            (Ok(listed), Some(saved)) if self.sandbox_dir.exists() => {
                self.adopt(old, listed, saved).await;
                return;
            }
            (Ok(_), _) => {
                tracing::info!(pod = %self.key, "stopping the containers of a previous run");
                let _ = old.shutdown().await;
            }
            (Err(_), Some(saved)) => {
                // The node restarted: the containers are gone; their runs still count.
                for (name, sc) in saved.containers {
                    let ctr = self.containers.entry(name).or_default();
                    ctr.restart_count = sc.restart_count + i32::from(sc.current.is_some());
                    ctr.last = sc.current.and_then(|i| i.ended).or(sc.last);
                    ctr.image_id = sc.image_id;
                }
                self.resumed = true;
            }
            (Err(_), None) => {}
        }
        self.remove_runtime_state().await;
    }

    async fn adopt(
        &mut self,
        shim: Shim,
        listed: Vec<crate::runtime::shim::proto::ContainerStatus>,
        saved: Saved,
    ) {
        tracing::info!(pod = %self.key, containers = listed.len(), "adopting the containers of a previous run");
        self.sandbox_ready = true;
        self.shim = Some(shim.clone());
        let mut known = std::collections::HashSet::new();
        let mut adopted_running = Vec::new();
        for (name, sc) in saved.containers {
            let name_of_ctr = name.clone();
            let ctr = self.containers.entry(name).or_default();
            ctr.restart_count = sc.restart_count;
            ctr.last = sc.last;
            ctr.image_id = sc.image_id;
            ctr.backoff.started(Instant::now());
            let Some(inst) = sc.current else { continue };
            known.insert(inst.id.clone());
            let in_shim = listed.iter().any(|c| c.id == inst.id);
            let ended = match (&inst.ended, in_shim) {
                (Some(t), _) => Some(t.clone()),
                (None, true) => None,
                // Neither ended nor in the shim: lost.
                (None, false) => Some(ContainerStateTerminated {
                    exit_code: 137,
                    reason: Some("Error".into()),
                    message: Some("the container was lost while the kubelet was down".into()),
                    container_id: Some(format!("orch://{}", inst.id)),
                    ..Default::default()
                }),
            };
            let waiting = ended.is_none();
            let mut adopted = Instance::new(
                inst.id.clone(),
                inst.started_at.parse().unwrap_or_else(|_| Timestamp::now()),
                self.dir.join("containers").join(&inst.id),
            );
            adopted.removed = ended.is_some() && !in_shim;
            adopted.ended = ended;
            ctr.current = Some(adopted);
            if waiting {
                // Running, or ended while nobody listened: the shim answers either way.
                let (tx, shim, id) = (self.exits_tx.clone(), shim.clone(), inst.id.clone());
                tokio::spawn(async move {
                    let exit = shim.wait(&id).await.ok();
                    let _ = tx.send((id, exit));
                });
                adopted_running.push(name_of_ctr.clone());
            }
        }
        // Probes start again; a running container passed its startup probe before.
        for name in adopted_running {
            self.start_probes(&name, false);
        }
        // Containers the saved state does not know (a start interrupted by the restart).
        for c in listed.iter().filter(|c| !known.contains(&c.id)) {
            let _ = shim.kill(&c.id, libc::SIGKILL).await;
            let _ = shim.wait(&c.id).await;
            let _ = shim.delete(&c.id).await;
            let _ = remove_dir(self.dir.join("containers").join(&c.id)).await;
        }
        self.saved = None;
    }

    /// Saves what a later kubelet needs to adopt this pod's containers, when it changed.
    async fn save(&mut self) {
        let saved = Saved {
            containers: self
                .containers
                .iter()
                .map(|(name, c)| {
                    let sc = SavedCtr {
                        restart_count: c.restart_count,
                        current: c.current.as_ref().map(|i| SavedInstance {
                            id: i.id.clone(),
                            started_at: i.started_at.to_string(),
                            ended: i.ended.clone(),
                        }),
                        last: c.last.clone(),
                        image_id: c.image_id.clone(),
                    };
                    (name.clone(), sc)
                })
                .collect(),
        };
        let bytes = serde_json::to_vec(&saved).expect("state serializes");
        if self.saved.as_ref() == Some(&bytes) {
            return;
        }
        let dir = self.dir.clone();
        let data = bytes.clone();
        let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            let tmp = dir.join(format!("{STATE_FILE}.tmp"));
            std::fs::write(&tmp, &data)?;
            std::fs::rename(&tmp, dir.join(STATE_FILE))
        })
        .await
        .expect("state write panicked");
        match written {
            Ok(()) => self.saved = Some(bytes),
            Err(error) => {
                tracing::warn!(pod = %self.key, error = %error, "cannot save the pod's state")
            }
        }
    }

    /// What the pod's status says of runs before this worker: a pod that already finished
    /// stays finished; containers that ran before count their runs.
    fn resume_from_status(&mut self) {
        let Some(status) = self.pod.status.clone() else {
            return;
        };
        if matches!(status.phase.as_deref(), Some("Succeeded" | "Failed")) {
            self.terminal = true;
            self.passive = true;
        }
        if self.resumed || self.shim.is_some() {
            // Adopted or restored from the saved state, which is more precise.
            return;
        }
        for s in status
            .init_container_statuses
            .iter()
            .flatten()
            .chain(status.container_statuses.iter().flatten())
        {
            if s.container_id.is_none() {
                continue;
            }
            let ended = s
                .state
                .as_ref()
                .and_then(|st| st.terminated.clone())
                .or_else(|| s.last_state.as_ref().and_then(|st| st.terminated.clone()));
            let ctr = self.containers.entry(s.name.clone()).or_default();
            ctr.restart_count = s.restart_count + 1;
            ctr.last = ended;
        }
    }

    /// Sandbox and shim; true when both are up.
    async fn ensure_pod_runtime(&mut self) -> bool {
        if !self.sandbox_ready {
            let dir = self.sandbox_dir.clone();
            let hostname = pod_hostname(&self.pod);
            let made = tokio::task::spawn_blocking(move || sandbox::create(&dir, &hostname))
                .await
                .expect("sandbox task panicked");
            match made {
                Ok(_) => self.sandbox_ready = true,
                Err(error) => {
                    tracing::warn!(pod = %self.key, error = %error, "cannot create the pod sandbox");
                    self.event(
                        EventType::Warning,
                        "FailedCreatePodSandBox",
                        format!("Failed to create pod sandbox: {error}"),
                    )
                    .await;
                    self.wake_at(Instant::now() + SETUP_RETRY);
                    return false;
                }
            }
        }
        if self.shim.is_none() {
            match Shim::spawn(&self.k.config.exe, &self.shim_dir).await {
                Ok(shim) => self.shim = Some(shim),
                Err(error) => {
                    tracing::warn!(pod = %self.key, error = %error, "cannot start the pod's shim");
                    self.event(
                        EventType::Warning,
                        "FailedCreatePodSandBox",
                        format!("Failed to start the pod's runtime: {error}"),
                    )
                    .await;
                    self.wake_at(Instant::now() + SETUP_RETRY);
                    return false;
                }
            }
        }
        true
    }

    /// Starts what should run now.
    async fn sync(&mut self) {
        if self.terminal {
            return;
        }
        let spec = self.spec();
        for c in spec
            .init_containers
            .iter()
            .flatten()
            .chain(&spec.containers)
        {
            self.containers.entry(c.name.clone()).or_default();
        }
        if !self.ensure_pod_runtime().await {
            return;
        }
        let policy = restart_policy(&self.pod).to_owned();
        // Init containers, one at a time, in order; sidecars start and stay.
        for c in spec.init_containers.iter().flatten() {
            let sidecar = c.restart_policy.as_deref() == Some("Always");
            let ctr = &self.containers[&c.name];
            if sidecar {
                if !ctr.running() {
                    self.maybe_start(c, true).await;
                }
                continue;
            }
            match ctr.exit_code() {
                Some(0) => continue,
                _ if ctr.running() => return,
                Some(_) if policy == "Never" => {
                    self.terminal = true;
                    return;
                }
                _ => {
                    self.maybe_start(c, true).await;
                    return;
                }
            }
        }
        self.initialized = true;
        let mut finished = true;
        for c in &spec.containers {
            let ctr = &self.containers[&c.name];
            if ctr.running() {
                finished = false;
                continue;
            }
            match ctr.exit_code() {
                Some(code) if !restarts(&policy, code) => {}
                _ => {
                    finished = false;
                    self.maybe_start(c, false).await;
                }
            }
        }
        if finished && !spec.containers.is_empty() {
            self.terminal = true;
            // Sidecars stop once the app containers are done.
            self.stop_all(0).await;
        }
    }

    /// Starts the container unless its back-off is still running.
    async fn maybe_start(&mut self, c: &Container, init: bool) {
        let ctr = self.containers.get_mut(&c.name).expect("tracked");
        if let Some(at) = ctr.not_before
            && at > Instant::now()
        {
            self.wake_at(at);
            return;
        }
        if let Err((reason, message)) = self.start(c, init).await {
            let ctr = self.containers.get_mut(&c.name).expect("tracked");
            ctr.waiting = Some((reason, message));
        }
    }

    /// The image of `c`, pulled as its policy says.
    async fn ensure_image(
        &mut self,
        c: &Container,
    ) -> Result<(Reference, ImageRecord), (String, String)> {
        let image = c.image.clone().unwrap_or_default();
        let reference: Reference = image.parse().map_err(|e| {
            (
                "InvalidImageName".to_owned(),
                format!("Failed to apply default image tag {image:?}: {e}"),
            )
        })?;
        let store = self.k.images.store().clone();
        let lookup = reference.clone();
        let present = tokio::task::spawn_blocking(move || store.get(&lookup))
            .await
            .expect("image lookup panicked")
            .ok()
            .flatten();
        let policy = c.image_pull_policy.as_deref().unwrap_or("IfNotPresent");
        match (policy, present) {
            ("Never", None) => Err((
                "ErrImageNeverPull".into(),
                format!("Container image {image:?} is not present with pull policy of Never"),
            )),
            ("Never" | "IfNotPresent", Some(record)) => {
                self.event(
                    EventType::Normal,
                    "Pulled",
                    format!("Container image {image:?} already present on machine"),
                )
                .await;
                Ok((reference, record))
            }
            _ => {
                let ctr = self.containers.get_mut(&c.name).expect("tracked");
                if let Some(at) = ctr.not_before
                    && at > Instant::now()
                {
                    return Err((
                        "ImagePullBackOff".into(),
                        format!("Back-off pulling image {image:?}"),
                    ));
                }
                self.event(
                    EventType::Normal,
                    "Pulling",
                    format!("Pulling image {image:?}"),
                )
                .await;
                let started = Instant::now();
                let creds = self.pull_credentials(&reference).await;
                match self
                    .k
                    .images
                    .pull(&reference, creds.as_ref(), Arc::new(|_| {}))
                    .await
                {
                    Ok(pulled) => {
                        let took = started.elapsed().as_secs_f64();
                        self.event(
                            EventType::Normal,
                            "Pulled",
                            format!(
                                "Successfully pulled image {image:?} in {took:.3}s. Image size: {} bytes.",
                                pulled.record.size
                            ),
                        )
                        .await;
                        Ok((reference, pulled.record))
                    }
                    Err(error) => {
                        let message = format!("Failed to pull image {image:?}: {error}");
                        self.event(EventType::Warning, "Failed", message.clone())
                            .await;
                        self.event(EventType::Warning, "Failed", "Error: ErrImagePull".into())
                            .await;
                        let ctr = self.containers.get_mut(&c.name).expect("tracked");
                        let delay = ctr.image_backoff.ended(Instant::now());
                        ctr.not_before = Some(Instant::now() + delay);
                        self.wake_at(Instant::now() + delay);
                        Err(("ErrImagePull".into(), message))
                    }
                }
            }
        }
    }

    /// Credentials from the pod's `imagePullSecrets` (`kubernetes.io/dockerconfigjson` or
    /// `.dockercfg`) for the image's registry.
    async fn pull_credentials(
        &self,
        reference: &Reference,
    ) -> Option<crate::runtime::images::registry::Credentials> {
        let secrets: Api<Secret> = Api::namespaced(
            self.k.client.clone(),
            &self.pod.namespace().unwrap_or_default(),
        );
        for name in self
            .spec()
            .image_pull_secrets
            .iter()
            .flatten()
            .map(|r| r.name.clone())
        {
            let Ok(Some(secret)) = secrets.get_opt(&name).await else {
                continue;
            };
            let data = secret.data.unwrap_or_default();
            let config: Value = match (data.get(".dockerconfigjson"), data.get(".dockercfg")) {
                (Some(b), _) => serde_json::from_slice(&b.0).unwrap_or_default(),
                (None, Some(b)) => {
                    json!({"auths": serde_json::from_slice::<Value>(&b.0).unwrap_or_default()})
                }
                _ => continue,
            };
            if let Some(auths) = config.get("auths").and_then(Value::as_object) {
                for (host, entry) in auths {
                    let host = host
                        .trim_start_matches("https://")
                        .trim_start_matches("http://")
                        .split('/')
                        .next()
                        .unwrap_or_default();
                    let matches = host == reference.registry
                        || (reference.registry == "docker.io"
                            && matches!(host, "index.docker.io" | "registry-1.docker.io"));
                    if matches && let Ok(creds) = serde_json::from_value(entry.clone()) {
                        return Some(creds);
                    }
                }
            }
        }
        None
    }

    /// The container's environment: envFrom, env (with ConfigMaps and Secrets read now), the
    /// Service variables.
    async fn environment(&self, c: &Container) -> Result<env::Environment, (String, String)> {
        let ns = self.pod.namespace().unwrap_or_default();
        let mut config_maps = HashMap::new();
        let mut secrets = HashMap::new();
        let cm_api: Api<ConfigMap> = Api::namespaced(self.k.client.clone(), &ns);
        let secret_api: Api<Secret> = Api::namespaced(self.k.client.clone(), &ns);
        let mut cm_names = Vec::new();
        let mut secret_names = Vec::new();
        for e in c.env_from.iter().flatten() {
            if let Some(r) = &e.config_map_ref {
                cm_names.push(r.name.clone());
            }
            if let Some(r) = &e.secret_ref {
                secret_names.push(r.name.clone());
            }
        }
        for e in c.env.iter().flatten() {
            if let Some(from) = &e.value_from {
                if let Some(r) = &from.config_map_key_ref {
                    cm_names.push(r.name.clone());
                }
                if let Some(r) = &from.secret_key_ref {
                    secret_names.push(r.name.clone());
                }
            }
        }
        let failed = |what: String, e: kube::Error| {
            (
                "CreateContainerConfigError".to_owned(),
                format!("cannot read {what}: {e}"),
            )
        };
        for name in cm_names {
            if config_maps.contains_key(&name) {
                continue;
            }
            let cm = cm_api
                .get_opt(&name)
                .await
                .map_err(|e| failed(format!("configmap {name:?}"), e))?;
            config_maps.insert(name, cm.map(|cm| cm.data.unwrap_or_default()));
        }
        for name in secret_names {
            if secrets.contains_key(&name) {
                continue;
            }
            let s = secret_api
                .get_opt(&name)
                .await
                .map_err(|e| failed(format!("secret {name:?}"), e))?;
            secrets.insert(
                name,
                s.map(|s| {
                    let mut data: BTreeMap<String, Vec<u8>> = s
                        .data
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k, v.0))
                        .collect();
                    for (k, v) in s.string_data.unwrap_or_default() {
                        data.insert(k, v.into_bytes());
                    }
                    data
                }),
            );
        }
        let mut service_vars = Vec::new();
        if self.spec().enable_service_links != Some(false) {
            let services: Api<Service> = Api::namespaced(self.k.client.clone(), &ns);
            let mut list = services
                .list(&ListParams::default())
                .await
                .map(|l| l.items)
                .unwrap_or_default();
            if ns != "default" {
                let defaults: Api<Service> = Api::namespaced(self.k.client.clone(), "default");
                if let Ok(Some(kubernetes)) = defaults.get_opt("kubernetes").await {
                    list.push(kubernetes);
                }
            }
            service_vars = env::service_env(&list);
        }
        let sources = Prefetched {
            config_maps,
            secrets,
        };
        let host_ips = vec![self.k.config.node_ip.to_string()];
        let pod_ips = self.pod_ips();
        let allocatable: BTreeMap<String, Quantity> = super::node::allocatable(
            &self.k.host,
            self.k.config.max_pods,
            &self.k.config.reserved,
        )
        .into_iter()
        .filter_map(|(k, v)| Some((k, Quantity::parse(&v).ok()?)))
        .collect();
        let runtime = env::Runtime {
            pod_ips: &pod_ips,
            host_ips: &host_ips,
            allocatable: &allocatable,
        };
        env::environment(&self.pod, c, &sources, &service_vars, &runtime)
            .map_err(|e| ("CreateContainerConfigError".to_owned(), e.to_string()))
    }

    fn host_network(&self) -> bool {
        self.spec().host_network == Some(true)
    }

    /// The pod's addresses: the node's for host-network pods; others get theirs from the pod
    /// network (not there yet).
    fn pod_ips(&self) -> Vec<String> {
        if self.host_network() {
            vec![self.k.config.node_ip.to_string()]
        } else {
            Vec::new()
        }
    }

    /// `/etc/hosts` and `/etc/hostname` for the pod's containers, written once.
    fn pod_files(&self) -> std::io::Result<Vec<crate::runtime::spec::Mount>> {
        use crate::runtime::spec::{Mount, MountSource};
        let etc = self.dir.join("etc");
        std::fs::create_dir_all(&etc)?;
        let hostname = pod_hostname(&self.pod);
        let mut mounts = Vec::new();
        if !self.host_network() {
            let mut hosts = String::from(
                "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n",
            );
            for ip in self.pod_ips() {
                hosts.push_str(&format!("{ip}\t{hostname}\n"));
            }
            std::fs::write(etc.join("hosts"), hosts)?;
            std::fs::write(etc.join("hostname"), format!("{hostname}\n"))?;
            for f in ["hosts", "hostname"] {
                mounts.push(Mount {
                    destination: format!("/etc/{f}"),
                    source: MountSource::Bind(etc.join(f)),
                    read_only: false,
                });
            }
        } else {
            mounts.push(Mount {
                destination: "/etc/hosts".into(),
                source: MountSource::Bind("/etc/hosts".into()),
                read_only: true,
            });
        }
        if Path::new("/etc/resolv.conf").exists() {
            let resolv = std::fs::read("/etc/resolv.conf")?;
            std::fs::write(etc.join("resolv.conf"), resolv)?;
            mounts.push(Mount {
                destination: "/etc/resolv.conf".into(),
                source: MountSource::Bind(etc.join("resolv.conf")),
                read_only: false,
            });
        }
        Ok(mounts)
    }

    /// Where the container's log goes: `<pod dir>/logs/<container>/<restart>.log`.
    pub fn log_path(pod_dir: &Path, container: &str, restart: i32) -> PathBuf {
        pod_dir
            .join("logs")
            .join(container)
            .join(format!("{restart}.log"))
    }

    /// One start of `c`: image, environment, rootfs, spec, then the shim runs it.
    async fn start(&mut self, c: &Container, init: bool) -> Result<(), (String, String)> {
        let _ = init;
        let (reference, record) = self.ensure_image(c).await?;
        {
            let ctr = self.containers.get_mut(&c.name).expect("tracked");
            ctr.image_backoff = Backoff::default();
            ctr.image_id = format!("{}@{}", reference.name(), record.manifest);
        }
        let environment = match self.environment(c).await {
            Ok(e) => e,
            Err((reason, message)) => {
                self.event(EventType::Warning, "Failed", format!("Error: {message}"))
                    .await;
                let ctr = self.containers.get_mut(&c.name).expect("tracked");
                ctr.not_before = Some(Instant::now() + SETUP_RETRY);
                self.wake_at(Instant::now() + SETUP_RETRY);
                return Err((reason, message));
            }
        };
        for w in &environment.warnings {
            self.event(EventType::Warning, w.reason, w.message.clone())
                .await;
        }
        let id = random_id();
        // Runs are numbered from 0; this one is the next after the current (ended) run.
        let run_index = {
            let ctr = &self.containers[&c.name];
            ctr.restart_count + i32::from(ctr.current.is_some())
        };
        let cdir = self.dir.join("containers").join(&id);
        let log = Self::log_path(&self.dir, &c.name, run_index);
        let cgroup_path = format!(
            "{}/pod{}/{id}",
            self.k.config.cgroup_parent.trim_end_matches('/'),
            self.uid
        );
        let host_network = self.host_network();
        let sb = sandbox::Sandbox::at(&self.sandbox_dir);
        let placement = Placement {
            env: environment.vars,
            mounts: Vec::new(),
            sandbox: crate::runtime::spec::Sandbox {
                netns: (!host_network).then(|| sb.net.clone()),
                ipcns: Some(sb.ipc.clone()),
                utsns: (!host_network).then(|| sb.uts.clone()),
                pidns: None,
                shm: None,
            },
            cgroup_path: cgroup_path.clone(),
            node_memory: self.k.host.memory as i64,
            pids_limit: None,
        };
        let container_spec = match container_spec(&self.pod, c, placement) {
            Ok(s) => s,
            Err(e) => {
                let message = e.to_string();
                self.event(EventType::Warning, "Failed", format!("Error: {message}"))
                    .await;
                return Err(("CreateContainerError".into(), message));
            }
        };
        let prepared = {
            let images = self.k.images.clone();
            let cdir = cdir.clone();
            let log = log.clone();
            let files = self.pod_files();
            tokio::task::spawn_blocking(move || -> Result<PathBuf, String> {
                let mut spec_in = container_spec;
                spec_in
                    .mounts
                    .extend(files.map_err(|e| format!("cannot write the pod's files: {e}"))?);
                let lowers = images
                    .layers()
                    .prepare(images.store(), &record, |_| {})
                    .map_err(|e| format!("cannot unpack the image: {e}"))?;
                let config = images
                    .store()
                    .config(&record)
                    .map_err(|e| format!("cannot read the image config: {e}"))?
                    .config
                    .unwrap_or_default();
                let root = rootfs::mount(&lowers, &cdir).map_err(|e| e.to_string())?;
                let spec = crate::runtime::spec::generate(&spec_in, &config, &root)
                    .map_err(|e| e.to_string())?;
                let bundle = cdir.join("bundle");
                std::fs::create_dir_all(&bundle)
                    .and_then(|_| {
                        std::fs::write(
                            bundle.join("config.json"),
                            serde_json::to_vec(&spec).expect("specs serialize"),
                        )
                    })
                    .map_err(|e| format!("cannot write the bundle: {e}"))?;
                if let Some(parent) = log.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| format!("cannot create the log directory: {e}"))?;
                }
                Ok(bundle)
            })
            .await
            .expect("container preparation panicked")
        };
        let bundle = match prepared {
            Ok(b) => b,
            Err(message) => {
                self.event(EventType::Warning, "Failed", format!("Error: {message}"))
                    .await;
                let _ = remove_dir(cdir).await;
                let ctr = self.containers.get_mut(&c.name).expect("tracked");
                ctr.not_before = Some(Instant::now() + SETUP_RETRY);
                self.wake_at(Instant::now() + SETUP_RETRY);
                return Err(("CreateContainerError".into(), message));
            }
        };
        self.event(
            EventType::Normal,
            "Created",
            format!("Created container: {}", c.name),
        )
        .await;
        let shim = self.shim.clone().expect("shim up");
        let request = RunRequest {
            id: id.clone(),
            bundle,
            log,
            log_max_size: LOG_MAX_SIZE,
            log_max_files: LOG_MAX_FILES,
            cgroup_path,
            stdin: c.stdin == Some(true),
            stdin_once: c.stdin_once == Some(true),
            tty: c.tty == Some(true),
        };
        if let Err(error) = shim.run(request).await {
            let message = error.to_string();
            let reason = error
                .kind()
                .map(|k| k.kubelet_reason())
                .unwrap_or("RunContainerError");
            self.event(EventType::Warning, "Failed", format!("Error: {message}"))
                .await;
            let _ = shim.delete(&id).await;
            let _ = remove_dir(cdir).await;
            // A failed start counts as a run that ended: back off before the next.
            let ctr = self.containers.get_mut(&c.name).expect("tracked");
            let delay = ctr.backoff.ended(Instant::now());
            ctr.not_before = Some(Instant::now() + delay);
            self.wake_at(Instant::now() + delay);
            return Err((reason.to_owned(), message));
        }
        self.event(
            EventType::Normal,
            "Started",
            format!("Started container {}", c.name),
        )
        .await;
        let ctr = self.containers.get_mut(&c.name).expect("tracked");
        if let Some(prev) = ctr.current.take() {
            ctr.last = prev.ended;
            ctr.restart_count += 1;
        }
        ctr.waiting = None;
        ctr.not_before = None;
        ctr.backoff.started(Instant::now());
        ctr.current = Some(Instance::new(id.clone(), Timestamp::now(), cdir));
        let tx = self.exits_tx.clone();
        {
            let id = id.clone();
            tokio::spawn(async move {
                let exit = shim.wait(&id).await.ok();
                let _ = tx.send((id, exit));
            });
        }
        self.start_probes(&c.name, true);
        Ok(())
    }

    /// Starts the probes of the container's current run: the startup probe first (the others
    /// wait for it), or liveness and readiness. `fresh`: a new run (not an adopted one, which
    /// passed its startup probe before).
    fn start_probes(&mut self, name: &str, fresh: bool) {
        let Some(c) = self.container_spec(name) else {
            return;
        };
        let host_network = self.host_network();
        let Some(shim) = self.shim.clone() else {
            return;
        };
        let sandbox = sandbox::Sandbox::at(&self.sandbox_dir);
        let reports = self.probe_tx.clone();
        let Some(inst) = self
            .containers
            .get_mut(name)
            .and_then(|c| c.current.as_mut())
        else {
            return;
        };
        let target = probe::Target {
            netns: (!host_network).then(|| sandbox.net.clone()),
            shim,
            id: inst.id.clone(),
        };
        let stop = inst.probes.clone();
        let spawn = |kind: probe::Kind, p: &k8s_openapi::api::core::v1::Probe| {
            tokio::spawn(probe::run(
                kind,
                p.clone(),
                c.clone(),
                target.clone(),
                reports.clone(),
                stop.clone(),
            ));
        };
        if fresh && let Some(p) = &c.startup_probe {
            spawn(probe::Kind::Startup, p);
            return;
        }
        inst.started = true;
        inst.ready = c.readiness_probe.is_none();
        if let Some(p) = &c.liveness_probe {
            spawn(probe::Kind::Liveness, p);
        }
        if let Some(p) = &c.readiness_probe {
            spawn(probe::Kind::Readiness, p);
        }
    }

    fn container_spec(&self, name: &str) -> Option<Container> {
        let spec = self.spec();
        spec.init_containers
            .into_iter()
            .flatten()
            .chain(spec.containers)
            .find(|c| c.name == name)
    }

    /// A probe's verdict: readiness marks the container, a failed startup or liveness probe
    /// kills it (the restart policy then applies).
    async fn on_probe(&mut self, report: probe::Report) {
        let current = self
            .containers
            .get(&report.container)
            .and_then(|c| c.current.as_ref())
            .is_some_and(|i| i.id == report.id && i.ended.is_none());
        if !current {
            return;
        }
        if !report.success {
            let note = format!("{} probe failed: {}", report.kind.name(), report.message);
            self.event(EventType::Warning, "Unhealthy", note).await;
        }
        let inst = self
            .containers
            .get_mut(&report.container)
            .and_then(|c| c.current.as_mut())
            .expect("checked above");
        match (report.kind, report.success) {
            (probe::Kind::Startup, true) => {
                self.start_probes(&report.container, false);
            }
            (probe::Kind::Readiness, ready) => inst.ready = ready,
            (probe::Kind::Startup | probe::Kind::Liveness, false) if report.changed => {
                inst.probes.cancel();
                let id = inst.id.clone();
                let what = report.kind.name().to_lowercase();
                self.event(
                    EventType::Normal,
                    "Killing",
                    format!(
                        "Container {} failed {what} probe, will be restarted",
                        report.container
                    ),
                )
                .await;
                let grace = self
                    .container_spec(&report.container)
                    .and_then(|c| {
                        let p = match report.kind {
                            probe::Kind::Startup => c.startup_probe,
                            _ => c.liveness_probe,
                        };
                        p.and_then(|p| p.termination_grace_period_seconds)
                    })
                    .or(self.spec().termination_grace_period_seconds)
                    .unwrap_or(30)
                    .max(0) as u64;
                if let Some(shim) = self.shim.clone() {
                    tokio::spawn(async move {
                        let _ = shim.kill(&id, libc::SIGTERM).await;
                        tokio::time::sleep(Duration::from_secs(grace)).await;
                        let _ = shim.kill(&id, libc::SIGKILL).await;
                    });
                }
            }
            _ => {}
        }
    }

    /// A container ended: record it, remove its runtime container, schedule the restart.
    async fn on_exit(&mut self, id: &str, exit: Option<ExitInfo>) {
        let policy = restart_policy(&self.pod).to_owned();
        let Some((name, ctr)) = self
            .containers
            .iter_mut()
            .find(|(_, c)| c.current.as_ref().is_some_and(|i| i.id == id))
        else {
            return;
        };
        let name = name.clone();
        let terminal = self.terminal;
        let inst = ctr.current.as_mut().expect("found by its instance");
        let container_id = format!("orch://{id}");
        let state = match &exit {
            Some(exit) => terminated(exit, &container_id),
            None => ContainerStateTerminated {
                exit_code: 137,
                reason: Some("Error".into()),
                message: Some("the container's runtime is gone".into()),
                container_id: Some(container_id),
                ..Default::default()
            },
        };
        let code = state.exit_code;
        inst.ended = Some(state);
        inst.probes.cancel();
        if restarts(&policy, code) && !terminal {
            let delay = ctr.backoff.ended(Instant::now());
            ctr.not_before = Some(Instant::now() + delay);
            ctr.waiting = Some((
                "CrashLoopBackOff".into(),
                format!(
                    "back-off {}s restarting failed container={name} pod={}_{}({})",
                    delay.as_secs(),
                    self.pod.name_any(),
                    self.pod.namespace().unwrap_or_default(),
                    self.uid
                ),
            ));
            let at = Instant::now() + delay;
            self.wake_at(at);
            let note = format!(
                "Back-off restarting failed container {name} in pod {}",
                self.pod.name_any()
            );
            self.event(EventType::Warning, "BackOff", note).await;
        }
        self.remove_instance(&name).await;
    }

    async fn remove_instance(&mut self, name: &str) {
        let Some(inst) = self
            .containers
            .get_mut(name)
            .and_then(|c| c.current.as_mut())
        else {
            return;
        };
        if inst.removed {
            return;
        }
        inst.removed = true;
        let id = inst.id.clone();
        let dir = inst.dir.clone();
        if let Some(shim) = &self.shim
            && let Err(error) = shim.delete(&id).await
        {
            tracing::debug!(pod = %self.key, error = %error, "cannot delete a container");
        }
        if let Err(error) = remove_dir(dir).await {
            tracing::warn!(pod = %self.key, error = %error, "cannot remove a container's rootfs");
        }
    }

    /// Stops every running container: SIGTERM, `grace` seconds, SIGKILL.
    async fn stop_all(&mut self, grace: i64) {
        let running: Vec<(String, String)> = self
            .containers
            .iter()
            .filter_map(|(n, c)| {
                let i = c.current.as_ref()?;
                i.ended.is_none().then(|| (n.clone(), i.id.clone()))
            })
            .collect();
        if running.is_empty() {
            return;
        }
        let Some(shim) = self.shim.clone() else {
            return;
        };
        for (name, id) in &running {
            self.event(
                EventType::Normal,
                "Killing",
                format!("Stopping container {name}"),
            )
            .await;
            let _ = shim.kill(id, libc::SIGTERM).await;
        }
        let deadline = Instant::now() + Duration::from_secs(grace.max(0) as u64);
        let mut killed = false;
        while self.containers.values().any(Ctr::running) {
            let until = if killed {
                deadline.max(Instant::now()) + KILL_WAIT
            } else {
                deadline
            };
            match tokio::time::timeout_at(until.into(), self.exits_rx.recv()).await {
                Ok(Some((id, exit))) => self.on_exit(&id, exit).await,
                Ok(None) => break,
                Err(_) if !killed => {
                    killed = true;
                    for (_, id) in &running {
                        let _ = shim.kill(id, libc::SIGKILL).await;
                    }
                }
                Err(_) => {
                    tracing::warn!(pod = %self.key, "containers did not end after SIGKILL");
                    break;
                }
            }
        }
    }

    /// The pod is being deleted (or is gone): stop its containers within its grace period,
    /// remove its runtime state, and let the API server remove the object.
    async fn finish(&mut self, in_api: bool) {
        let grace = self
            .pod
            .metadata
            .deletion_grace_period_seconds
            .or(self.spec().termination_grace_period_seconds)
            .unwrap_or(30);
        self.terminal = true;
        self.stop_all(grace).await;
        if in_api {
            self.write_status().await;
        }
        self.k
            .views
            .lock()
            .expect("views lock poisoned")
            .remove(&self.key);
        self.remove_runtime_state().await;
        let dir = self.dir.clone();
        if let Err(error) = remove_dir(dir).await {
            tracing::warn!(pod = %self.key, error = %error, "cannot remove the pod's directory");
        }
        if in_api {
            let params = DeleteParams {
                grace_period_seconds: Some(0),
                preconditions: Some(Preconditions {
                    uid: Some(self.uid.clone()),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            match self.api.delete(&self.pod.name_any(), &params).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {}
                Err(error) => {
                    tracing::warn!(pod = %self.key, error = %error, "cannot delete the pod")
                }
            }
        }
    }

    /// Shuts the shim down and removes the sandbox and every container rootfs.
    async fn remove_runtime_state(&mut self) {
        let names: Vec<String> = self.containers.keys().cloned().collect();
        for name in names {
            self.remove_instance(&name).await;
        }
        if let Some(shim) = self.shim.take() {
            let _ = shim.shutdown().await;
        }
        let (sandbox_dir, shim_dir) = (self.sandbox_dir.clone(), self.shim_dir.clone());
        let containers = self.dir.join("containers");
        let result = tokio::task::spawn_blocking(move || {
            super::pods::remove_runtime_dirs(&containers, &sandbox_dir, &shim_dir)
        })
        .await
        .expect("cleanup panicked");
        if let Err(error) = result {
            tracing::warn!(pod = %self.key, error = %error, "cannot remove the pod's runtime state");
        }
        self.sandbox_ready = false;
    }

    fn container_status(&self, c: &Container, init: bool) -> ContainerStatus {
        let ctr = self.containers.get(&c.name);
        let mut s = ContainerStatus {
            name: c.name.clone(),
            image: c.image.clone().unwrap_or_default(),
            image_id: ctr.map(|c| c.image_id.clone()).unwrap_or_default(),
            ..Default::default()
        };
        let Some(ctr) = ctr else {
            s.state = Some(waiting(
                if init {
                    "PodInitializing"
                } else {
                    "ContainerCreating"
                },
                None,
            ));
            return s;
        };
        s.restart_count = ctr.restart_count;
        s.last_state = ctr.last.clone().map(|t| ContainerState {
            terminated: Some(t),
            ..Default::default()
        });
        match &ctr.current {
            Some(inst) => {
                s.container_id = Some(format!("orch://{}", inst.id));
                match &inst.ended {
                    None => {
                        s.state = Some(ContainerState {
                            running: Some(ContainerStateRunning {
                                started_at: Some(Time(
                                    Timestamp::from_second(inst.started_at.as_second())
                                        .expect("a valid timestamp"),
                                )),
                            }),
                            ..Default::default()
                        });
                        s.started = Some(inst.started);
                        // A running init container is not ready; a sidecar is, as an app
                        // container, once started and passing its readiness probe.
                        s.ready = (!init || c.restart_policy.as_deref() == Some("Always"))
                            && inst.started
                            && inst.ready;
                    }
                    Some(t) => {
                        s.started = Some(false);
                        match &ctr.waiting {
                            // Waiting to run again: the run that ended is the last state.
                            Some((reason, message)) if !self.terminal => {
                                s.state = Some(waiting(reason, Some(message.clone())));
                                s.last_state = Some(ContainerState {
                                    terminated: Some(t.clone()),
                                    ..Default::default()
                                });
                            }
                            _ => {
                                s.state = Some(ContainerState {
                                    terminated: Some(t.clone()),
                                    ..Default::default()
                                });
                            }
                        }
                    }
                }
            }
            None => {
                let (reason, message) = ctr.waiting.clone().unwrap_or_else(|| {
                    let r = if !init && !self.initialized {
                        "PodInitializing"
                    } else {
                        "ContainerCreating"
                    };
                    (r.to_owned(), String::new())
                });
                s.state = Some(waiting(&reason, (!message.is_empty()).then_some(message)));
            }
        }
        s
    }

    fn condition(&mut self, type_: &'static str, status: bool) -> PodCondition {
        let entry = self
            .conditions
            .entry(type_)
            .or_insert_with(|| (status, now_time()));
        if entry.0 != status {
            *entry = (status, now_time());
        }
        PodCondition {
            type_: type_.into(),
            status: if status { "True" } else { "False" }.into(),
            last_transition_time: Some(entry.1.clone()),
            last_probe_time: None,
            observed_generation: None,
            reason: None,
            message: None,
        }
    }

    /// Tells the kubelet's endpoint where this pod's containers' logs are.
    fn publish_view(&self) {
        let view = super::PodView {
            uid: self.uid.clone(),
            containers: self
                .containers
                .iter()
                .map(|(name, c)| {
                    let v = super::ContainerView {
                        runs: c.restart_count - i32::from(c.current.is_none()),
                        running: c.running(),
                        waiting: c.waiting.as_ref().map(|(reason, _)| reason.clone()),
                    };
                    (name.clone(), v)
                })
                .collect(),
        };
        self.k
            .views
            .lock()
            .expect("views lock poisoned")
            .insert(self.key.clone(), view);
    }

    /// Writes the pod's status when it differs from what was last written.
    async fn write_status(&mut self) {
        self.publish_view();
        if self.passive {
            return;
        }
        let spec = self.spec();
        let init_statuses: Vec<ContainerStatus> = spec
            .init_containers
            .iter()
            .flatten()
            .map(|c| self.container_status(c, true))
            .collect();
        let statuses: Vec<ContainerStatus> = spec
            .containers
            .iter()
            .map(|c| self.container_status(c, false))
            .collect();
        let phase = pod_phase(
            &self.pod,
            &init_statuses,
            &statuses,
            self.terminal,
            self.initialized,
        );
        let containers_ready = !statuses.is_empty() && statuses.iter().all(|s| s.ready);
        let mut conditions = vec![
            self.condition("PodReadyToStartContainers", self.sandbox_ready),
            self.condition("Initialized", self.initialized),
            self.condition("ContainersReady", containers_ready),
            self.condition("Ready", containers_ready),
        ];
        for c in &mut conditions {
            if c.status == "False" {
                let not_ready: Vec<String> = match c.type_.as_str() {
                    "Initialized" => init_statuses
                        .iter()
                        .filter(|s| {
                            s.state
                                .as_ref()
                                .and_then(|st| st.terminated.as_ref())
                                .is_none_or(|t| t.exit_code != 0)
                        })
                        .map(|s| s.name.clone())
                        .collect(),
                    "ContainersReady" | "Ready" => statuses
                        .iter()
                        .filter(|s| !s.ready)
                        .map(|s| s.name.clone())
                        .collect(),
                    _ => Vec::new(),
                };
                if !not_ready.is_empty() {
                    let (reason, what) = match c.type_.as_str() {
                        "Initialized" => (
                            "ContainersNotInitialized",
                            "containers with incomplete status",
                        ),
                        "ContainersReady" => {
                            ("ContainersNotReady", "containers with unready status")
                        }
                        _ => ("ContainersNotReady", "containers with unready status"),
                    };
                    c.reason = Some(reason.into());
                    c.message = Some(format!("{what}: [{}]", not_ready.join(" ")));
                }
            }
            if matches!(phase, "Succeeded" | "Failed")
                && c.type_ != "Initialized"
                && c.type_ != "PodReadyToStartContainers"
            {
                c.reason = Some("PodCompleted".into());
                c.message = None;
            }
        }
        let node_ip = self.k.config.node_ip.to_string();
        let pod_ips = self.pod_ips();
        let mut status = json!({
            "phase": phase,
            "conditions": conditions,
            "hostIP": node_ip,
            "hostIPs": [{"ip": node_ip}],
            "startTime": self.start_time,
            "containerStatuses": statuses,
        });
        if !init_statuses.is_empty() {
            status["initContainerStatuses"] = json!(init_statuses);
        }
        if let Some(ip) = pod_ips.first() {
            status["podIP"] = json!(ip);
            status["podIPs"] = json!(
                pod_ips
                    .iter()
                    .map(|ip| json!({"ip": ip}))
                    .collect::<Vec<_>>()
            );
        }
        if self.written.as_ref() == Some(&status) {
            return;
        }
        let patch = json!({"status": status});
        match self
            .api
            .patch_status(
                &self.pod.name_any(),
                &PatchParams::default(),
                &Patch::Strategic(&patch),
            )
            .await
        {
            Ok(pod) => {
                self.written = Some(status);
                self.pod = Arc::new(pod);
            }
            Err(error) => {
                tracing::debug!(pod = %self.key, error = %error, "cannot write the pod status");
                self.wake_at(Instant::now() + Duration::from_secs(1));
            }
        }
    }
}

fn waiting(reason: &str, message: Option<String>) -> ContainerState {
    ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: Some(reason.to_owned()),
            message,
        }),
        ..Default::default()
    }
}

/// Unmounts the rootfs under `dir` if there is one, and removes `dir`.
async fn remove_dir(dir: PathBuf) -> Result<(), String> {
    tokio::task::spawn_blocking(move || rootfs::remove(&dir).map_err(|e| e.to_string()))
        .await
        .expect("removal panicked")
}

/// ConfigMaps and Secrets read before the environment is built.
struct Prefetched {
    config_maps: HashMap<String, Option<BTreeMap<String, String>>>,
    secrets: HashMap<String, Option<BTreeMap<String, Vec<u8>>>>,
}

impl Sources for Prefetched {
    fn config_map(&self, name: &str) -> Result<Option<BTreeMap<String, String>>, String> {
        Ok(self.config_maps.get(name).cloned().flatten())
    }

    fn secret(&self, name: &str) -> Result<Option<BTreeMap<String, Vec<u8>>>, String> {
        Ok(self.secrets.get(name).cloned().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_policies() {
        assert!(restarts("Always", 0));
        assert!(restarts("Always", 1));
        assert!(restarts("OnFailure", 2));
        assert!(!restarts("OnFailure", 0));
        assert!(!restarts("Never", 1));
    }
}

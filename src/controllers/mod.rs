//! Controllers: API clients (kube-rs) that drive the cluster towards what objects declare. They
//! run as tasks of `orch server`, talking to the API server in-process (same requests, same
//! authorization, no network), exactly as they would over HTTPS.

pub mod cached;
pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod discovery;
pub mod disruption;
pub mod endpoints;
pub mod endpointslice;
pub mod events;
pub mod gc;
pub mod history;
pub mod informers;
pub mod job;
pub mod namespace;
pub mod node_lifecycle;
pub mod podutil;
pub mod replicaset;
pub mod resourcequota;
pub mod rootca;
pub mod serviceaccount;
pub mod statefulset;
pub mod ttlafterfinished;
pub mod util;

use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use tokio_util::sync::CancellationToken;

use crate::apiserver::auth::{PeerIdentity, UserInfo};

/// A kube client whose requests go straight into the API server's router as `user`.
pub fn in_process_client(router: axum::Router, user: UserInfo) -> Client {
    let identity = PeerIdentity(user);
    let service = tower::ServiceBuilder::new()
        .map_request(move |mut req: http::Request<kube::client::Body>| {
            req.extensions_mut().insert(identity.clone());
            // Names the field manager of the controllers' writes, as upstream's do.
            if !req.headers().contains_key(http::header::USER_AGENT) {
                req.headers_mut().insert(
                    http::header::USER_AGENT,
                    http::HeaderValue::from_static(concat!(
                        "kube-controller-manager/",
                        env!("CARGO_PKG_VERSION")
                    )),
                );
            }
            req
        })
        .service(router);
    Client::new(service, "default")
}

/// The identity controllers act as.
pub fn controller_identity() -> UserInfo {
    UserInfo::new("system:kube-controller-manager", &["system:masters"])
}

/// Exponential backoff for reconcile errors: 800 ms doubling to 30 s (kube-rs' default).
pub fn error_backoff(attempt: u32) -> Duration {
    let ms = 800u64.saturating_mul(1u64 << attempt.min(6));
    Duration::from_millis(ms.min(30_000))
}

/// How long a stopping controller may take to finish the reconciles it has started.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Drives a kube-runtime controller (built with `graceful_shutdown_on(shutdown)`) until it stops.
///
/// The controller starts only once `ready` resolves (its informers synced, see
/// [`informers::Informers::wait_synced`]), so it never acts on a partial cache. kube-runtime's
/// graceful shutdown waits for queued reconciles, which never run before the first sync, so a
/// shutdown before then would wait forever: a controller that never started is dropped at once,
/// and one that did gets `SHUTDOWN_GRACE` to finish.
pub async fn until_shutdown<F, R>(run: F, ready: R, shutdown: CancellationToken)
where
    F: std::future::Future<Output = ()>,
    R: std::future::Future,
{
    let started = std::sync::atomic::AtomicBool::new(false);
    let run = async {
        ready.await;
        started.store(true, std::sync::atomic::Ordering::Relaxed);
        run.await
    };
    let mut run = std::pin::pin!(run);
    tokio::select! {
        _ = &mut run => return,
        _ = shutdown.cancelled() => {}
    }
    if !started.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    if tokio::time::timeout(SHUTDOWN_GRACE, run).await.is_err() {
        tracing::warn!("controller did not stop within {SHUTDOWN_GRACE:?}; abandoning it");
    }
}

/// Tunables of the controllers (upstream kube-controller-manager flags where one exists).
#[derive(Clone, Debug)]
pub struct ControllerConfig {
    /// How long a node may go without renewing its Lease before it is marked `Unknown`
    /// (`--node-monitor-grace-period`, 40 s upstream).
    pub node_monitor_grace_period: Duration,
    /// How many times faster than real time the CronJob controller's clock runs (1 = real
    /// time); a hidden debugging knob that lets tests see schedules fire quickly.
    pub cronjob_clock_speed: u32,
    /// The cluster CA (PEM) published in every namespace as ConfigMap `kube-root-ca.crt`
    /// (`--root-ca-file`); without one the root CA publisher does not run.
    pub root_ca_pem: Option<String>,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            node_monitor_grace_period: Duration::from_secs(40),
            cronjob_clock_speed: 1,
            root_ca_pem: None,
        }
    }
}

/// What every controller is given: its API client, the shared informers, discovery, tunables,
/// and the token that stops it.
#[derive(Clone)]
pub struct Context {
    pub client: Client,
    pub informers: informers::Informers,
    pub resources: Arc<discovery::Resources>,
    pub config: Arc<ControllerConfig>,
    pub shutdown: CancellationToken,
}

impl Context {
    pub fn new(client: Client, config: ControllerConfig, shutdown: CancellationToken) -> Self {
        Context {
            informers: informers::Informers::new(client.clone(), shutdown.clone()),
            resources: Arc::new(discovery::Resources::new(client.clone())),
            client,
            config: Arc::new(config),
            shutdown,
        }
    }

    /// An event recorder reporting as `controller` (e.g. `deployment-controller`), as upstream
    /// names its reporters; `kubectl describe` shows what it publishes.
    pub fn recorder(&self, controller: &str) -> events::Recorder {
        events::Recorder::new(self.client.clone(), controller)
    }
}

/// Starts every controller; they stop when `ctx.shutdown` is cancelled. Returns their tasks.
pub fn spawn_all(ctx: Context) -> Vec<(&'static str, tokio::task::JoinHandle<()>)> {
    let mut tasks = vec![
        ("namespace", tokio::spawn(namespace::run(ctx.clone()))),
        ("disruption", tokio::spawn(disruption::run(ctx.clone()))),
        (
            "node-lifecycle",
            tokio::spawn(node_lifecycle::run(ctx.clone())),
        ),
        (
            "resourcequota",
            tokio::spawn(resourcequota::run(ctx.clone())),
        ),
        (
            "garbage-collector",
            tokio::spawn(gc::run(
                ctx.client.clone(),
                ctx.resources.clone(),
                ctx.shutdown.clone(),
            )),
        ),
        ("statefulset", tokio::spawn(statefulset::run(ctx.clone()))),
        ("daemonset", tokio::spawn(daemonset::run(ctx.clone()))),
        ("job", tokio::spawn(job::run(ctx.clone()))),
        ("cronjob", tokio::spawn(cronjob::run(ctx.clone()))),
        (
            "ttl-after-finished",
            tokio::spawn(ttlafterfinished::run(ctx.clone())),
        ),
        ("deployment", tokio::spawn(deployment::run(ctx.clone()))),
        ("replicaset", tokio::spawn(replicaset::run(ctx.clone()))),
        (
            "replicationcontroller",
            tokio::spawn(replicaset::run_replication_controllers(ctx.clone())),
        ),
        ("endpoints", tokio::spawn(endpoints::run(ctx.clone()))),
        (
            "endpointslice",
            tokio::spawn(endpointslice::run(ctx.clone())),
        ),
        (
            "serviceaccount",
            tokio::spawn(serviceaccount::run(ctx.clone())),
        ),
    ];
    if let Some(ca) = ctx.config.root_ca_pem.clone() {
        tasks.push(("root-ca-publisher", tokio::spawn(rootca::run(ctx, ca))));
    }
    tasks
}

//! Controllers: API clients (kube-rs) that drive the cluster towards what objects declare. They
//! run as tasks of `orch server`, talking to the API server in-process (same requests, same
//! authorization, no network), exactly as they would over HTTPS.

pub mod discovery;
pub mod disruption;
pub mod gc;
pub mod informers;
pub mod namespace;
pub mod node_lifecycle;

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
/// kube-runtime only runs reconciles once its cache has synced, and its graceful shutdown waits
/// for the queued ones; a shutdown before the first sync would therefore wait forever. Here a
/// controller that never synced is dropped at once (it has started nothing), and one that did
/// gets `SHUTDOWN_GRACE` to finish.
pub async fn until_shutdown<K, F>(
    run: F,
    store: kube::runtime::reflector::Store<K>,
    shutdown: CancellationToken,
) where
    K: kube::runtime::reflector::Lookup + Clone + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone,
    F: std::future::Future<Output = ()>,
{
    use futures::FutureExt as _;
    let mut run = std::pin::pin!(run);
    tokio::select! {
        _ = &mut run => return,
        _ = shutdown.cancelled() => {}
    }
    if store.wait_until_ready().now_or_never().is_none() {
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
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            node_monitor_grace_period: Duration::from_secs(40),
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
    pub fn recorder(&self, controller: &str) -> kube::runtime::events::Recorder {
        kube::runtime::events::Recorder::new(
            self.client.clone(),
            kube::runtime::events::Reporter {
                controller: controller.to_string(),
                instance: None,
            },
        )
    }
}

/// Starts every controller; they stop when `ctx.shutdown` is cancelled. Returns their tasks.
pub fn spawn_all(ctx: Context) -> Vec<(&'static str, tokio::task::JoinHandle<()>)> {
    vec![
        (
            "namespace",
            tokio::spawn(namespace::run(
                ctx.client.clone(),
                ctx.resources.clone(),
                ctx.shutdown.clone(),
            )),
        ),
        ("disruption", tokio::spawn(disruption::run(ctx.clone()))),
        (
            "node-lifecycle",
            tokio::spawn(node_lifecycle::run(ctx.clone())),
        ),
        (
            "garbage-collector",
            tokio::spawn(gc::run(
                ctx.client.clone(),
                ctx.resources.clone(),
                ctx.shutdown.clone(),
            )),
        ),
    ]
}

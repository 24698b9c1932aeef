//! Controllers: API clients (kube-rs) that drive the cluster towards what objects declare. They
//! run as tasks of `orch server`, talking to the API server in-process (same requests, same
//! authorization, no network), exactly as they would over HTTPS.

pub mod discovery;
pub mod gc;
pub mod namespace;

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

/// Starts every controller; they stop when `shutdown` is cancelled. Returns their tasks.
pub fn spawn_all(client: Client, shutdown: CancellationToken) -> Vec<tokio::task::JoinHandle<()>> {
    let discovery = Arc::new(discovery::Resources::new(client.clone()));
    vec![
        tokio::spawn(namespace::run(
            client.clone(),
            discovery.clone(),
            shutdown.clone(),
        )),
        tokio::spawn(gc::run(client, discovery, shutdown)),
    ]
}

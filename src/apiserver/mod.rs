//! The Kubernetes API server: HTTPS on :6443, serving the registry's resources from the store.
//!
//! Request path: TLS (client certificate → [`auth::PeerIdentity`]) → [`request::parse`] →
//! authentication (certificate, bearer token, else anonymous) → authorization ([`auth::Authorizer`])
//! → a handler (discovery, OpenAPI, or [`objects`] for resources) → admission and validation inside
//! the write handlers → [`storage::Storage`].

mod admission;
pub mod alloc;
pub mod auth;
mod bootstrap;
mod crds;
pub mod discovery;
pub mod error;
mod handlers;
pub mod kubelet_proxy;
pub mod negotiate;
mod objects;
pub mod params;
pub mod request;
mod reviews;
pub mod storage;
pub mod strategy;
mod subresources;
mod table;
mod watch;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tracing::Instrument;

use crate::api::openapi::OpenApi;
use crate::api::registry::Registry;
use crate::store::Backend;
use alloc::{Allocators, Ipv4Cidr};
use auth::{
    AllowAuthenticated, Authorizer, PeerIdentity, StaticTokens, TokenAuthenticator, TokenChain,
};
use storage::Storage;

#[derive(Clone, Debug)]
pub struct ApiServerConfig {
    /// Where to listen (default 0.0.0.0:6443).
    pub bind: SocketAddr,
    /// The address clients should use (`/api`'s serverAddressByClientCIDRs), e.g. `10.0.0.1:6443`.
    pub advertise: String,
    pub service_cidr: Ipv4Cidr,
    pub node_port_range: (u16, u16),
    pub cluster_domain: String,
    /// Largest accepted request body.
    pub max_body: usize,
    /// How the API server reaches kubelets (`pods/log`, …); `None`: it cannot.
    pub kubelet_client: Option<Arc<rustls::ClientConfig>>,
}

impl Default for ApiServerConfig {
    fn default() -> Self {
        ApiServerConfig {
            bind: "0.0.0.0:6443".parse().expect("a valid socket address"),
            advertise: "127.0.0.1:6443".into(),
            service_cidr: Ipv4Cidr::parse("10.43.0.0/16").expect("a valid CIDR"),
            node_port_range: (30000, 32767),
            cluster_domain: "cluster.local".into(),
            max_body: 3 * 1024 * 1024,
            kubelet_client: None,
        }
    }
}

/// Everything handlers share.
pub struct State {
    pub config: ApiServerConfig,
    pub storage: Storage,
    registry: RwLock<Arc<Registry>>,
    pub tokens: Arc<StaticTokens>,
    pub authenticator: TokenChain,
    pub authorizer: Arc<dyn Authorizer>,
    pub allocators: Allocators,
    /// Cancelled at shutdown: ends long-running requests (watches) so the server can drain.
    pub shutdown: CancellationToken,
    openapi: RwLock<OpenApi>,
    /// Serialises rebuilds of the registry from CustomResourceDefinitions.
    crd_refresh: tokio::sync::Mutex<()>,
}

impl State {
    pub fn registry(&self) -> Arc<Registry> {
        self.registry
            .read()
            .expect("registry lock poisoned")
            .clone()
    }

    /// Replaces the served resources (custom resources changed) and the OpenAPI documents with them.
    pub fn set_registry(
        &self,
        registry: Registry,
        custom: &dyn Fn(&str, &str, &str) -> Option<serde_json::Value>,
    ) {
        let openapi = self.openapi().rebuild(&registry, custom);
        *self.registry.write().expect("registry lock poisoned") = Arc::new(registry);
        *self.openapi.write().expect("openapi lock poisoned") = openapi;
    }

    pub fn openapi(&self) -> OpenApi {
        self.openapi.read().expect("openapi lock poisoned").clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiServerError {
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot prepare the API server: {0}")]
    Bootstrap(String),
}

/// The TLS configuration in use; replaced when certificates are renewed.
pub type TlsHandle = Arc<RwLock<Arc<rustls::ServerConfig>>>;

pub struct ApiServer {
    state: Arc<State>,
    listener: TcpListener,
    tls: TlsHandle,
}

impl ApiServer {
    /// Binds the port, loads allocations and creates the default objects (namespaces, the
    /// `kubernetes` Service).
    pub async fn build(
        config: ApiServerConfig,
        backend: Arc<dyn Backend>,
        tls: Arc<rustls::ServerConfig>,
    ) -> Result<Self, ApiServerError> {
        let listener =
            TcpListener::bind(config.bind)
                .await
                .map_err(|source| ApiServerError::Bind {
                    addr: config.bind,
                    source,
                })?;
        let tokens = Arc::new(StaticTokens::default());
        let registry = Registry::built_in();
        let state = Arc::new(State {
            allocators: Allocators::new(config.service_cidr, config.node_port_range),
            storage: Storage::new(backend),
            openapi: RwLock::new(OpenApi::build(&registry, &|_, _, _| None)),
            registry: RwLock::new(Arc::new(registry)),
            authenticator: TokenChain(vec![tokens.clone() as Arc<dyn TokenAuthenticator>]),
            tokens,
            authorizer: Arc::new(AllowAuthenticated),
            shutdown: CancellationToken::new(),
            crd_refresh: tokio::sync::Mutex::new(()),
            config,
        });
        bootstrap::run(&state)
            .await
            .map_err(|e| ApiServerError::Bootstrap(e.to_string()))?;
        Ok(ApiServer {
            state,
            listener,
            tls: Arc::new(RwLock::new(tls)),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Swapping the configuration in the handle applies to new connections.
    pub fn tls_handle(&self) -> TlsHandle {
        self.tls.clone()
    }

    pub fn state(&self) -> Arc<State> {
        self.state.clone()
    }

    /// The router, usable in-process (controllers) with an identity set as a request extension.
    pub fn router(&self) -> Router {
        handlers::router(self.state.clone())
    }

    /// Serves until `shutdown` is cancelled, then stops accepting, ends watches and gives open
    /// requests a moment to finish.
    pub async fn run(self, shutdown: CancellationToken) {
        let router = self.router();
        let connections = tokio_util::task::TaskTracker::new();
        let span = tracing::info_span!("apiserver");
        tracing::info!(parent: &span, addr = %self.local_addr(), "serving the Kubernetes API");
        loop {
            let (tcp, peer) = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(err) => {
                        tracing::warn!(parent: &span, error = %err, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let acceptor = TlsAcceptor::from(self.tls.read().expect("tls lock poisoned").clone());
            let (router, stop) = (router.clone(), self.state.shutdown.clone());
            connections.spawn(
                async move {
                    let _ = tcp.set_nodelay(true);
                    let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(err)) => {
                            tracing::debug!(%peer, error = %err, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    };
                    let identity = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|certs| certs.first())
                        .and_then(|cert| crate::pki::identity_from_cert(cert.as_ref()).ok())
                        .map(|id| {
                            let groups: Vec<&str> = id.groups.iter().map(String::as_str).collect();
                            PeerIdentity(auth::UserInfo::new(&id.user, &groups))
                        });
                    let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
                        if let Some(id) = &identity {
                            req.extensions_mut().insert(id.clone());
                        }
                        router.clone().oneshot(req.map(axum::body::Body::new))
                    });
                    let builder = auto::Builder::new(TokioExecutor::new());
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        res = conn.as_mut() => {
                            if let Err(err) = res {
                                tracing::debug!(%peer, error = %err, "connection ended with an error");
                            }
                        }
                        _ = stop.cancelled() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
                        }
                    }
                }
                .instrument(span.clone()),
            );
        }
        self.state.shutdown.cancel();
        connections.close();
        if tokio::time::timeout(Duration::from_secs(10), connections.wait())
            .await
            .is_err()
        {
            tracing::warn!(parent: &span, "connections still open after 10s; closing them");
        }
        tracing::info!(parent: &span, "API server stopped");
    }
}

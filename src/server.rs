//! `orch server`: assembles the control plane — datastore, PKI, API server — and runs it until
//! shutdown, stopping components in order.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::apiserver::alloc::Ipv4Cidr;
use crate::apiserver::{ApiServer, ApiServerConfig, ApiServerError};
use crate::pki::{Pki, PkiError, PkiOptions};
use crate::store::sqlite::{self, SqliteBackend, SqliteConfig};
use crate::store::{Backend, Compactor, CompactorConfig};

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub compactor: CompactorConfig,
    pub bind_address: IpAddr,
    pub https_port: u16,
    /// The address other nodes and the `kubernetes` Service use to reach this server.
    pub advertise_address: Option<IpAddr>,
    pub tls_sans: Vec<String>,
    pub service_cidr: Ipv4Cidr,
    pub node_port_range: (u16, u16),
    pub cluster_domain: String,
    /// Where to write the admin kubeconfig, and its mode.
    pub write_kubeconfig: Option<PathBuf>,
    pub write_kubeconfig_mode: u32,
    pub token: Option<String>,
    pub controllers: crate::controllers::ControllerConfig,
    /// k3s's `--disable-scheduler` / `--disable-controller-manager`.
    pub disable_scheduler: bool,
    pub disable_controller_manager: bool,
    /// The local agent's kubelet (`None`: `--disable-agent`).
    pub agent: Option<crate::kubelet::KubeletConfig>,
}

impl ServerConfig {
    pub fn new(data_dir: PathBuf) -> Self {
        ServerConfig {
            data_dir,
            compactor: CompactorConfig::default(),
            bind_address: "0.0.0.0".parse().expect("a valid IP"),
            https_port: 6443,
            advertise_address: None,
            tls_sans: Vec::new(),
            service_cidr: Ipv4Cidr::parse("10.43.0.0/16").expect("a valid CIDR"),
            node_port_range: (30000, 32767),
            cluster_domain: "cluster.local".into(),
            write_kubeconfig: Some(PathBuf::from("/etc/orch/orch.yaml")),
            write_kubeconfig_mode: 0o600,
            token: None,
            controllers: Default::default(),
            disable_scheduler: false,
            disable_controller_manager: false,
            agent: None,
        }
    }

    /// `<data-dir>/server/db/state.db`, as k3s lays it out.
    pub fn datastore_path(&self) -> PathBuf {
        self.data_dir.join("server").join("db").join("state.db")
    }

    pub fn tls_dir(&self) -> PathBuf {
        self.data_dir.join("server").join("tls")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot open the datastore")]
    Datastore(#[from] sqlite::Error),
    #[error("cannot prepare certificates")]
    Pki(#[from] PkiError),
    #[error(transparent)]
    ApiServer(#[from] ApiServerError),
    #[error("start-up task failed")]
    Join(#[from] tokio::task::JoinError),
}

pub struct Server {
    config: ServerConfig,
    store: Arc<SqliteBackend>,
    pki: Arc<Pki>,
    apiserver: ApiServer,
    apiserver_tls: crate::apiserver::TlsHandle,
    started: Instant,
}

impl Server {
    pub async fn build(config: ServerConfig) -> Result<Self, ServerError> {
        let started = Instant::now();
        let store_config = SqliteConfig::new(config.datastore_path());
        let store = Arc::new(
            tokio::task::spawn_blocking(move || SqliteBackend::open(store_config)).await??,
        );

        let pki_options = Server::pki_options(&config);
        let tls_dir = config.tls_dir();
        let pki = Arc::new(
            tokio::task::spawn_blocking(move || Pki::load_or_create(&tls_dir, &pki_options))
                .await??,
        );
        let tls = pki.server_tls_config()?;

        let advertise_ip = config
            .advertise_address
            .unwrap_or_else(|| "127.0.0.1".parse().expect("a valid IP"));
        // The API server's identity towards kubelets (`pods/log`, exec, …).
        let kubelet_client = {
            let pki = pki.clone();
            tokio::task::spawn_blocking(move || -> Result<_, PkiError> {
                let (cert, key) = pki.issue_client_cert(
                    crate::pki::KUBELET_CLIENT_USER,
                    &["system:masters"],
                    std::time::Duration::from_secs(365 * 24 * 3600),
                )?;
                crate::apiserver::kubelet_proxy::client_config(pki.server_ca_pem(), &cert, &key)
            })
            .await??
        };
        let api_config = ApiServerConfig {
            kubelet_client: Some(kubelet_client),
            bind: SocketAddr::new(config.bind_address, config.https_port),
            advertise: SocketAddr::new(advertise_ip, config.https_port).to_string(),
            service_cidr: config.service_cidr,
            node_port_range: config.node_port_range,
            cluster_domain: config.cluster_domain.clone(),
            ..ApiServerConfig::default()
        };
        let apiserver =
            ApiServer::build(api_config, store.clone() as Arc<dyn Backend>, tls).await?;

        if let Some(path) = &config.write_kubeconfig {
            let url = format!("https://127.0.0.1:{}", apiserver.local_addr().port());
            crate::pki::write_admin_kubeconfig(path, &url, &pki, config.write_kubeconfig_mode)?;
            tracing::info!(path = %path.display(), "wrote the admin kubeconfig");
        }
        // The local agent's kubelet serves with a certificate from the cluster CA and accepts
        // the API server's client certificate.
        let mut config = config;
        if let Some(agent) = config.agent.as_mut() {
            let pki = pki.clone();
            let (ip, name) = (agent.node_ip.to_string(), agent.node_name.clone());
            agent.serving_tls = Some(
                tokio::task::spawn_blocking(move || -> Result<_, PkiError> {
                    let mut sans = vec![ip.as_str(), "127.0.0.1", "localhost"];
                    // Node names are DNS subdomains (the API validates them).
                    if name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                    {
                        sans.push(name.as_str());
                    }
                    let (cert, key) = pki.issue_serving_cert(&name, &sans)?;
                    crate::pki::kubelet_tls_config(&cert, &key, pki.client_ca_pem())
                })
                .await??,
            );
        }
        Ok(Server {
            config,
            store,
            pki,
            apiserver_tls: apiserver.tls_handle(),
            apiserver,
            started,
        })
    }

    fn pki_options(config: &ServerConfig) -> PkiOptions {
        PkiOptions {
            node_ips: config.advertise_address.into_iter().collect(),
            extra_sans: config.tls_sans.clone(),
            cluster_domain: config.cluster_domain.clone(),
            service_cidr: config.service_cidr.to_string(),
            token: config.token.clone(),
            ..PkiOptions::default()
        }
    }

    pub fn store(&self) -> Arc<SqliteBackend> {
        self.store.clone()
    }

    pub fn pki(&self) -> Arc<Pki> {
        self.pki.clone()
    }

    pub fn api_addr(&self) -> SocketAddr {
        self.apiserver.local_addr()
    }

    /// Runs until `shutdown` is cancelled, then stops every component in order.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), ServerError> {
        self.run_inner(shutdown)
            .instrument(tracing::info_span!("server"))
            .await
    }

    async fn run_inner(self, shutdown: CancellationToken) -> Result<(), ServerError> {
        let components = CancellationToken::new();
        let compactor = Compactor::new(self.store.clone(), self.config.compactor.clone());
        let compactor = tokio::spawn(compactor.run(components.clone()));
        let api_addr = self.apiserver.local_addr();
        let client = crate::controllers::in_process_client(
            self.apiserver.router(),
            crate::controllers::controller_identity(),
        );
        // The local agent's kubelet talks to the API server in-process, as its node.
        let kubelet_client = self.config.agent.clone().map(|config| {
            let identity = crate::apiserver::auth::UserInfo::new(
                &format!("system:node:{}", config.node_name),
                &["system:nodes"],
            );
            let client = crate::controllers::in_process_client(self.apiserver.router(), identity);
            (config, client)
        });
        let apiserver = tokio::spawn(self.apiserver.run(components.clone()));
        let controller_config = crate::controllers::ControllerConfig {
            root_ca_pem: Some(self.pki.server_ca_pem().to_owned()),
            ..self.config.controllers.clone()
        };
        let controller_context =
            crate::controllers::Context::new(client, controller_config, components.clone());
        let scheduler = (!self.config.disable_scheduler)
            .then(|| tokio::spawn(crate::scheduler::run(controller_context.clone())));
        let controllers = if self.config.disable_controller_manager {
            Vec::new()
        } else {
            crate::controllers::spawn_all(controller_context)
        };
        let kubelet = kubelet_client.map(|(config, client)| {
            let stop = components.clone();
            tokio::spawn(async move {
                if let Err(error) = crate::kubelet::run(config, client, stop).await {
                    let chain: Vec<String> =
                        std::iter::successors(Some(&error as &dyn std::error::Error), |e| {
                            e.source()
                        })
                        .map(ToString::to_string)
                        .collect();
                    tracing::error!(error = %chain.join(": "), "the local agent stopped");
                }
            })
        });
        let renewer = tokio::spawn(renew_certificates(
            self.config.clone(),
            self.apiserver_tls.clone(),
            components.clone(),
        ));

        let airgap = tokio::task::spawn_blocking({
            let data_dir = self.config.data_dir.clone();
            move || import_airgap_images(&data_dir)
        });

        tracing::info!(
            data_dir = %self.config.data_dir.display(),
            api = %api_addr,
            revision = self.store.current_revision(),
            elapsed_ms = self.started.elapsed().as_millis() as u64,
            "orch server ready"
        );
        shutdown.cancelled().await;

        components.cancel();
        if let Some(kubelet) = kubelet {
            let _ = kubelet.await;
            tracing::debug!("local agent stopped");
        }
        let _ = renewer.await;
        let _ = airgap.await;
        if let Some(scheduler) = scheduler {
            let _ = scheduler.await;
            tracing::debug!("scheduler stopped");
        }
        for (name, c) in controllers {
            let _ = c.await;
            tracing::debug!(controller = name, "controller stopped");
        }
        let _ = apiserver.await;
        let _ = compactor.await;
        tracing::debug!("compactor stopped");
        self.store.shutdown().await;
        tracing::info!("orch server stopped");
        Ok(())
    }
}

/// How often certificates are checked; `Pki::load_or_create` re-issues leaves that expire within
/// 90 days, so a server that runs for years never serves an expired certificate.
const RENEWAL_CHECK: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

async fn renew_certificates(
    config: ServerConfig,
    tls: crate::apiserver::TlsHandle,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(RENEWAL_CHECK) => {}
        }
        let options = Server::pki_options(&config);
        let dir = config.tls_dir();
        let renewed = tokio::task::spawn_blocking(move || {
            Pki::load_or_create(&dir, &options).and_then(|p| p.server_tls_config())
        })
        .await;
        match renewed {
            Ok(Ok(new)) => *tls.write().expect("tls lock poisoned") = new,
            Ok(Err(err)) => tracing::error!(error = %err, "certificate renewal check failed"),
            Err(err) => tracing::error!(error = %err, "certificate renewal task failed"),
        }
    }
}

/// Imports the image archives of `<data-dir>/agent/images/` (airgap installs), logging each.
fn import_airgap_images(data_dir: &std::path::Path) {
    use crate::runtime::images::{airgap, store::ImageStore};
    let dir = crate::runtime::images::airgap_dir(data_dir);
    if !dir.is_dir() {
        return;
    }
    let _span = tracing::info_span!("airgap", dir = %dir.display()).entered();
    let store = match ImageStore::open(crate::runtime::images::store_dir(data_dir)) {
        Ok(s) => s,
        Err(error) => {
            tracing::error!(error = %error, "cannot open the image store");
            return;
        }
    };
    for (path, outcome) in airgap::import_dir(&store, &dir) {
        match outcome {
            airgap::Outcome::Imported(names) => {
                let names: Vec<String> = names.iter().map(|n| n.familiar()).collect();
                tracing::info!(archive = %path.display(), images = ?names, "imported airgap images");
            }
            airgap::Outcome::Unchanged => {
                tracing::debug!(archive = %path.display(), "airgap archive already imported");
            }
            airgap::Outcome::Failed(error) => {
                tracing::error!(archive = %path.display(), error = %error, "cannot import an airgap archive");
            }
        }
    }
}

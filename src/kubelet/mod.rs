//! The node's kubelet: registers the Node and keeps its Lease, and turns the pods bound to it
//! into containers through the runtime (`crate::runtime`: one shim per pod, libcontainer, the
//! image store), reporting their truth in the pods' status.
//!
//! - [`registration`]: the Node object and its heartbeat.
//! - [`pods`]: one watch of the node's pods, one worker task per pod.
//! - [`worker`]: a pod's life: sandbox, shim, image pulls, init then app containers, restarts
//!   with back-off, graceful termination, status.
//! - [`env`], [`spec`], [`status`], [`node`]: the pure parts (environment, OCI spec inputs,
//!   phase and back-off, node capacity), unit-tested on their own.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Taint;
use kube::Client;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::runtime::images::registry::{Registries, RegistriesConfig};
use crate::runtime::images::service::Images;

pub mod env;
pub mod heartbeat;
pub mod logs;
pub mod node;
pub mod pods;
pub mod probe;
pub mod registration;
pub mod server;
pub mod spec;
pub mod status;
pub mod worker;

#[derive(Debug, thiserror::Error)]
pub enum KubeletError {
    #[error("cannot {what}")]
    Api {
        what: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot read the node's resources")]
    Host(#[source] std::io::Error),
    #[error("cannot open the image store {path}")]
    Images {
        path: PathBuf,
        #[source]
        source: crate::runtime::images::service::ImagesError,
    },
    #[error("cannot bind the kubelet's port")]
    Bind(#[source] std::io::Error),
    #[error("cannot read the registries configuration")]
    Registries(#[source] crate::runtime::images::registry::RegistryError),
}

/// Everything host-global the kubelet uses is here, so several can run side by side.
#[derive(Clone, Debug)]
pub struct KubeletConfig {
    pub node_name: String,
    pub node_ip: IpAddr,
    /// `--node-label`s, over the default labels.
    pub labels: BTreeMap<String, String>,
    /// `--node-taint`s, added at registration.
    pub taints: Vec<Taint>,
    /// A server's node carries the control-plane role label.
    pub control_plane: bool,
    pub max_pods: u32,
    pub reserved: node::Reserved,
    /// `<data-dir>`: images under `agent/image-store`, pods under `agent/pods/<uid>`.
    pub data_dir: PathBuf,
    /// Runtime state (`/run/orch`): shims and pod namespaces.
    pub run_root: PathBuf,
    /// The cgroup every pod's cgroup goes under (`/orch`).
    pub cgroup_parent: String,
    /// The registries configuration file (k3s's registries.yaml format).
    pub registries_config: PathBuf,
    /// The `orch` executable, run as each pod's shim.
    pub exe: PathBuf,
    /// The port of the kubelet's HTTPS endpoint (0: any free port, reported in the Node's
    /// `daemonEndpoints`).
    pub port: u16,
    /// The endpoint's TLS (`None`: not served; logs and streaming unavailable).
    pub serving_tls: Option<Arc<rustls::ServerConfig>>,
}

impl KubeletConfig {
    pub fn new(node_name: String, data_dir: PathBuf) -> KubeletConfig {
        KubeletConfig {
            node_name,
            node_ip: detect_node_ip(),
            labels: BTreeMap::new(),
            taints: Vec::new(),
            control_plane: false,
            max_pods: node::MAX_PODS,
            reserved: node::Reserved::default(),
            data_dir,
            run_root: PathBuf::from(crate::runtime::DEFAULT_RUN_ROOT),
            cgroup_parent: "/orch".into(),
            registries_config: PathBuf::from(crate::runtime::images::registry::DEFAULT_CONFIG_PATH),
            exe: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("orch")),
            port: 10250,
            serving_tls: None,
        }
    }

    pub fn pods_dir(&self) -> PathBuf {
        self.data_dir.join("agent").join("pods")
    }
}

/// The machine's hostname, lowercased, as the kubelet's default node name.
pub fn default_node_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: a valid buffer and its length.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let name = if rc == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        String::new()
    };
    let name = name.trim().to_lowercase();
    if name.is_empty() {
        "localhost".into()
    } else {
        name
    }
}

/// The address of the interface that holds the default route (no packet is sent), else
/// loopback.
pub fn detect_node_ip() -> IpAddr {
    std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| {
            s.connect("192.0.2.1:9")?;
            s.local_addr()
        })
        .map(|a| a.ip())
        .unwrap_or_else(|_| IpAddr::from([127, 0, 0, 1]))
}

/// What the kubelet's endpoint needs to know of a container (kept by the pod workers).
#[derive(Clone, Debug, Default)]
pub struct ContainerView {
    /// The index of the latest run (its log is `<runs>.log`); -1 before the first.
    pub runs: i32,
    pub running: bool,
    /// Why it is not running (`ContainerCreating`, `CrashLoopBackOff`, …).
    pub waiting: Option<String>,
}

/// A pod as the kubelet's endpoint sees it.
#[derive(Clone, Debug, Default)]
pub struct PodView {
    pub uid: String,
    pub containers: BTreeMap<String, ContainerView>,
}

/// Shared by the kubelet's tasks.
pub struct Kubelet {
    pub config: Arc<KubeletConfig>,
    pub client: Client,
    pub images: Arc<Images>,
    pub host: node::Host,
    pub recorder: crate::controllers::events::Recorder,
    /// The pods of this node by `namespace/name`, for the endpoint.
    pub views: std::sync::Mutex<std::collections::HashMap<String, PodView>>,
    /// The endpoint's port as bound.
    pub port: u16,
}

/// Registers the node and runs the kubelet until `shutdown`. Containers keep running after it
/// stops (their shims own them); a restarted kubelet finds them again.
pub async fn run(
    config: KubeletConfig,
    client: Client,
    shutdown: CancellationToken,
) -> Result<(), KubeletError> {
    let span = tracing::info_span!("kubelet", node = %config.node_name);
    async move {
        let config = Arc::new(config);
        let (host, images) = {
            let config = config.clone();
            tokio::task::spawn_blocking(move || -> Result<_, KubeletError> {
                std::fs::create_dir_all(config.pods_dir()).map_err(KubeletError::Host)?;
                let host = node::host(&config.data_dir).map_err(KubeletError::Host)?;
                let registries = RegistriesConfig::load(&config.registries_config)
                    .map_err(KubeletError::Registries)?;
                let dir = crate::runtime::images::store_dir(&config.data_dir);
                let images = Images::open(&dir, Registries::new(registries))
                    .map_err(|source| KubeletError::Images { path: dir, source })?;
                Ok((host, images))
            })
            .await
            .expect("kubelet start-up task panicked")?
        };
        let listener = match &config.serving_tls {
            Some(_) => Some(
                server::bind(config.port)
                    .await
                    .map_err(KubeletError::Bind)?,
            ),
            None => None,
        };
        let port = listener.as_ref().map_or(0, |(_, addr)| addr.port());
        let node_uid = registration::register(&client, &config, &host, port).await?;
        let kubelet = Arc::new(Kubelet {
            config: config.clone(),
            client: client.clone(),
            images: Arc::new(images),
            host: host.clone(),
            recorder: crate::controllers::events::Recorder::new(client.clone(), "kubelet"),
            views: Default::default(),
            port,
        });
        let endpoint = match (listener, &config.serving_tls) {
            (Some((listener, addr)), Some(tls)) => {
                tracing::info!(%addr, "kubelet endpoint serving");
                Some(tokio::spawn(server::serve(
                    kubelet.clone(),
                    listener,
                    tls.clone(),
                    shutdown.clone(),
                )))
            }
            _ => None,
        };
        let heartbeat = tokio::spawn(registration::keep_alive(
            client.clone(),
            config.clone(),
            host,
            node_uid,
            port,
            shutdown.clone(),
        ));
        pods::run(kubelet, shutdown.clone()).await;
        let _ = heartbeat.await;
        if let Some(endpoint) = endpoint {
            let _ = endpoint.await;
        }
        tracing::info!("kubelet stopped");
        Ok(())
    }
    .instrument(span)
    .await
}

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;

use crate::apiserver::alloc::Ipv4Cidr;
use crate::server::{Server, ServerConfig};

#[derive(clap::Args, Debug)]
pub struct ServerArgs {
    /// Directory for the datastore, certificates and node state
    #[arg(
        long,
        short = 'd',
        env = "ORCH_DATA_DIR",
        default_value = "/var/lib/orch"
    )]
    pub data_dir: PathBuf,
    /// Address the API server listens on
    #[arg(long, env = "ORCH_BIND_ADDRESS", default_value = "0.0.0.0")]
    pub bind_address: IpAddr,
    /// Port of the API server (HTTPS)
    #[arg(long, env = "ORCH_HTTPS_LISTEN_PORT", default_value_t = 6443)]
    pub https_listen_port: u16,
    /// Address advertised to other nodes and used by the `kubernetes` Service
    #[arg(long, env = "ORCH_ADVERTISE_ADDRESS")]
    pub advertise_address: Option<IpAddr>,
    /// Extra names or IPs for the serving certificate (repeatable)
    #[arg(long = "tls-san", env = "ORCH_TLS_SAN", value_delimiter = ',')]
    pub tls_san: Vec<String>,
    /// Where to write the admin kubeconfig ("" to skip)
    #[arg(
        long,
        short = 'o',
        env = "ORCH_KUBECONFIG_OUTPUT",
        default_value = "/etc/orch/orch.yaml"
    )]
    pub write_kubeconfig: PathBuf,
    /// File mode of the admin kubeconfig, in octal
    #[arg(long, env = "ORCH_KUBECONFIG_MODE", default_value = "0600")]
    pub write_kubeconfig_mode: String,
    /// Service IP range
    #[arg(long, env = "ORCH_SERVICE_CIDR", default_value = "10.43.0.0/16")]
    pub service_cidr: String,
    /// Port range of NodePort services
    #[arg(
        long,
        env = "ORCH_SERVICE_NODE_PORT_RANGE",
        default_value = "30000-32767"
    )]
    pub service_node_port_range: String,
    /// Cluster DNS domain
    #[arg(long, env = "ORCH_CLUSTER_DOMAIN", default_value = "cluster.local")]
    pub cluster_domain: String,
    /// How long a node may go without renewing its Lease before it is marked NotReady (e.g. 40s)
    #[arg(long, env = "ORCH_NODE_MONITOR_GRACE_PERIOD", default_value = "40s", value_parser = parse_duration)]
    pub node_monitor_grace_period: Duration,
    /// Shared secret agents join with (generated if not set)
    #[arg(long, short = 't', env = "ORCH_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Run the CronJob controller's clock this many times faster than real time (debugging
    /// and tests only)
    #[arg(long, hide = true, default_value_t = 1)]
    pub debug_cronjob_clock_speed: u32,
    /// Do not run the scheduler (pods stay Pending until something else binds them)
    #[arg(long, env = "ORCH_DISABLE_SCHEDULER")]
    pub disable_scheduler: bool,
    /// Do not run the controllers (objects are stored but nothing acts on them)
    #[arg(long, env = "ORCH_DISABLE_CONTROLLER_MANAGER")]
    pub disable_controller_manager: bool,
    /// Do not run the local agent (this machine runs no pods)
    #[arg(long, env = "ORCH_DISABLE_AGENT")]
    pub disable_agent: bool,
    #[command(flatten)]
    pub kubelet: KubeletArgs,
}

/// The node agent's settings, shared by `orch server` (its local agent) and `orch agent`.
#[derive(clap::Args, Debug)]
pub struct KubeletArgs {
    /// Name of this node (default: the hostname)
    #[arg(long, env = "ORCH_NODE_NAME")]
    pub node_name: Option<String>,
    /// IP address advertised for this node (default: the address of the default route)
    #[arg(long, env = "ORCH_NODE_IP")]
    pub node_ip: Option<IpAddr>,
    /// Label to add to this node at registration (repeatable)
    #[arg(long = "node-label", value_name = "KEY=VALUE")]
    pub node_labels: Vec<String>,
    /// Taint to add to this node at registration, KEY[=VALUE]:EFFECT (repeatable)
    #[arg(long = "node-taint", value_name = "KEY=VALUE:EFFECT")]
    pub node_taints: Vec<String>,
    /// Directory for runtime state: pod shims and namespaces
    #[arg(long, env = "ORCH_RUN_DIR", default_value = crate::runtime::DEFAULT_RUN_ROOT)]
    pub run_dir: PathBuf,
    /// Port of the kubelet's HTTPS endpoint (logs, exec, port-forward; 0 for any free port)
    #[arg(long, env = "ORCH_KUBELET_PORT", default_value_t = 10250)]
    pub kubelet_port: u16,
    /// Cgroup under which every pod's cgroup is made
    #[arg(long, env = "ORCH_CGROUP_PARENT", default_value = "/orch")]
    pub cgroup_parent: String,
    /// Registry mirrors, credentials and TLS settings (k3s's registries.yaml format)
    #[arg(
        long,
        env = "ORCH_REGISTRIES_CONFIG",
        default_value = crate::runtime::images::registry::DEFAULT_CONFIG_PATH
    )]
    pub registries_config: PathBuf,
}

impl KubeletArgs {
    pub fn config(
        self,
        data_dir: PathBuf,
        control_plane: bool,
    ) -> anyhow::Result<crate::kubelet::KubeletConfig> {
        let name = self
            .node_name
            .unwrap_or_else(crate::kubelet::default_node_name);
        let mut config = crate::kubelet::KubeletConfig::new(name, data_dir);
        if let Some(ip) = self.node_ip {
            config.node_ip = ip;
        }
        for label in &self.node_labels {
            let (k, v) = label
                .split_once('=')
                .with_context(|| format!("--node-label {label:?} is not KEY=VALUE"))?;
            config.labels.insert(k.to_owned(), v.to_owned());
        }
        for taint in &self.node_taints {
            config.taints.push(parse_taint(taint)?);
        }
        config.control_plane = control_plane;
        config.run_root = self.run_dir;
        config.port = self.kubelet_port;
        config.cgroup_parent = format!("/{}", self.cgroup_parent.trim_matches('/'));
        config.registries_config = self.registries_config;
        Ok(config)
    }
}

/// `key=value:Effect` or `key:Effect`, as the kubelet's `--register-with-taints`.
fn parse_taint(s: &str) -> anyhow::Result<k8s_openapi::api::core::v1::Taint> {
    let err = || {
        anyhow::anyhow!(
            "--node-taint {s:?} is not KEY[=VALUE]:EFFECT with EFFECT one of NoSchedule, PreferNoSchedule, NoExecute"
        )
    };
    let (kv, effect) = s.rsplit_once(':').ok_or_else(err)?;
    if !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
        return Err(err());
    }
    let (key, value) = match kv.split_once('=') {
        Some((k, v)) => (k, Some(v.to_owned())),
        None => (kv, None),
    };
    if key.is_empty() {
        return Err(err());
    }
    Ok(k8s_openapi::api::core::v1::Taint {
        key: key.to_owned(),
        value,
        effect: effect.to_owned(),
        time_added: None,
    })
}

impl ServerArgs {
    fn config(self) -> anyhow::Result<ServerConfig> {
        let mut config = ServerConfig::new(self.data_dir);
        config.bind_address = self.bind_address;
        config.https_port = self.https_listen_port;
        config.advertise_address = self.advertise_address;
        config.tls_sans = self.tls_san;
        config.service_cidr = Ipv4Cidr::parse(&self.service_cidr).with_context(|| {
            format!(
                "--service-cidr {:?} is not an IPv4 CIDR such as 10.43.0.0/16",
                self.service_cidr
            )
        })?;
        let (lo, hi) = self
            .service_node_port_range
            .split_once('-')
            .and_then(|(a, b)| Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?)))
            .filter(|(a, b)| a < b)
            .with_context(|| {
                format!(
                    "--service-node-port-range {:?} is not a range such as 30000-32767",
                    self.service_node_port_range
                )
            })?;
        config.node_port_range = (lo, hi);
        config.cluster_domain = self.cluster_domain;
        config.write_kubeconfig =
            (!self.write_kubeconfig.as_os_str().is_empty()).then_some(self.write_kubeconfig);
        config.write_kubeconfig_mode =
            u32::from_str_radix(self.write_kubeconfig_mode.trim_start_matches("0o"), 8)
                .with_context(|| {
                    format!(
                        "--write-kubeconfig-mode {:?} is not an octal mode such as 0600",
                        self.write_kubeconfig_mode
                    )
                })?;
        config.token = self.token;
        config.controllers.cronjob_clock_speed = self.debug_cronjob_clock_speed.max(1);
        config.disable_scheduler = self.disable_scheduler;
        config.disable_controller_manager = self.disable_controller_manager;
        if !self.disable_agent {
            let mut kubelet = self.kubelet;
            // The server's node is reached at the address it advertises, unless told otherwise.
            kubelet.node_ip = kubelet.node_ip.or(self.advertise_address);
            config.agent = Some(kubelet.config(config.data_dir.clone(), true)?);
        }
        config.controllers.node_monitor_grace_period = self.node_monitor_grace_period;
        Ok(config)
    }
}

/// A Go-style duration: `40s`, `500ms`, `1m30s`, `2h`.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let err = || format!("{s:?} is not a duration such as 40s, 500ms or 1m30s");
    let mut total = Duration::ZERO;
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(err());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .ok_or_else(err)?;
        let value: f64 = rest[..digits].parse().map_err(|_| err())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(err()),
        };
        rest = &rest[unit_len..];
        total += Duration::try_from_secs_f64(value * scale).map_err(|_| err())?;
    }
    Ok(total)
}

/// How long a graceful shutdown may take before orch exits anyway.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(30);

pub fn run(args: ServerArgs) -> anyhow::Result<()> {
    let config = args.config()?;
    super::runtime()?.block_on(async move {
        let shutdown = CancellationToken::new();
        // Installed before anything reports readiness, so an early SIGTERM is a clean stop.
        let int = signal(SignalKind::interrupt()).context("cannot install the SIGINT handler")?;
        let term = signal(SignalKind::terminate()).context("cannot install the SIGTERM handler")?;
        let signals = tokio::spawn(wait_for_signal(int, term, shutdown.clone()));
        let server = Server::build(config)
            .await
            .context("cannot start the server")?;
        let result = server.run(shutdown.clone()).await;
        signals.abort();
        result.context("server failed")
    })
}

/// Cancels `shutdown` at the first SIGINT or SIGTERM; a second one, or the deadline, exits at once.
async fn wait_for_signal(mut int: Signal, mut term: Signal, shutdown: CancellationToken) {
    tokio::select! {
        _ = int.recv() => tracing::info!("interrupted, shutting down"),
        _ = term.recv() => tracing::info!("terminated, shutting down"),
    }
    shutdown.cancel();
    tokio::select! {
        _ = int.recv() => tracing::warn!("second signal, exiting now"),
        _ = term.recv() => tracing::warn!("second signal, exiting now"),
        _ = tokio::time::sleep(SHUTDOWN_DEADLINE) => tracing::error!("shutdown took longer than {SHUTDOWN_DEADLINE:?}, exiting now"),
    }
    std::process::exit(1);
}

//! `orch agent --simulate N`: simulated nodes (see `crate::sim`).

use std::path::PathBuf;

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

use crate::sim::{SimConfig, parse_label, parse_taint};

#[derive(clap::Args, Debug)]
pub struct SimArgs {
    /// Simulate N nodes (like kwok) instead of running a real one; needs --kubeconfig
    #[arg(long, value_name = "N", requires = "kubeconfig")]
    pub simulate: Option<usize>,
    /// Kubeconfig of the cluster the simulated nodes join
    #[arg(long, env = "ORCH_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// Prefix of the simulated node names (<prefix>0 … <prefix>N-1)
    #[arg(long, default_value = "sim-")]
    pub node_name_prefix: String,
    /// Label to register the nodes with, key=value (repeatable)
    #[arg(long = "node-label", value_name = "KEY=VALUE")]
    pub node_labels: Vec<String>,
    /// Taint to register the nodes with, key=value:Effect (repeatable)
    #[arg(long = "node-taint", value_name = "KEY=VALUE:EFFECT")]
    pub node_taints: Vec<String>,
    /// CPU capacity of each simulated node
    #[arg(long, default_value = "8")]
    pub sim_cpu: String,
    /// Memory capacity of each simulated node
    #[arg(long, default_value = "32Gi")]
    pub sim_memory: String,
    /// Pod capacity of each simulated node
    #[arg(long, default_value_t = 110)]
    pub sim_pods: u32,
    /// Ephemeral storage capacity of each simulated node
    #[arg(long, default_value = "100Gi")]
    pub sim_ephemeral_storage: String,
    /// Drive the pods bound to the simulated nodes through their life (Running, Ready,
    /// completion); with false they stay Pending, as in upstream's scheduler_perf
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub sim_run_pods: bool,
}

impl SimArgs {
    fn config(&self) -> anyhow::Result<SimConfig> {
        let mut config = SimConfig {
            count: self.simulate.unwrap_or(0),
            prefix: self.node_name_prefix.clone(),
            cpu: self.sim_cpu.clone(),
            memory: self.sim_memory.clone(),
            pods: self.sim_pods,
            ephemeral_storage: self.sim_ephemeral_storage.clone(),
            run_pods: self.sim_run_pods,
            ..SimConfig::default()
        };
        for l in &self.node_labels {
            let (k, v) = parse_label(l)?;
            config.labels.insert(k, v);
        }
        for t in &self.node_taints {
            config.taints.push(parse_taint(t)?);
        }
        for (flag, q) in [
            ("--sim-cpu", &config.cpu),
            ("--sim-memory", &config.memory),
            ("--sim-ephemeral-storage", &config.ephemeral_storage),
        ] {
            crate::api::quantity::Quantity::parse(q)
                .map_err(|e| anyhow::anyhow!("invalid {flag} {q:?}: {e}"))?;
        }
        Ok(config)
    }
}

/// How long the simulated nodes may take to stop after a signal.
const STOP_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

pub fn run_simulated(args: SimArgs) -> anyhow::Result<()> {
    let config = args.config()?;
    let kubeconfig = args
        .kubeconfig
        .clone()
        .context("--simulate needs --kubeconfig")?;
    super::runtime()?.block_on(async move {
        let shutdown = CancellationToken::new();
        let mut int =
            signal(SignalKind::interrupt()).context("cannot install the SIGINT handler")?;
        let mut term =
            signal(SignalKind::terminate()).context("cannot install the SIGTERM handler")?;
        let client = crate::client::from_kubeconfig(&kubeconfig)?;
        let mut sim = tokio::spawn(crate::sim::run(client, config, shutdown.clone()));
        tokio::select! {
            _ = int.recv() => tracing::info!("interrupted, stopping the simulated nodes"),
            _ = term.recv() => tracing::info!("terminated, stopping the simulated nodes"),
            result = &mut sim => {
                return result.context("the simulator failed")?.context("the simulator failed");
            }
        }
        shutdown.cancel();
        match tokio::time::timeout(STOP_DEADLINE, sim).await {
            Ok(result) => result
                .context("the simulator failed")?
                .context("the simulator failed"),
            Err(_) => {
                tracing::warn!("the simulated nodes did not stop within {STOP_DEADLINE:?}");
                Ok(())
            }
        }
    })
}

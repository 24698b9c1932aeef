use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;

use crate::server::{Server, ServerConfig};

#[derive(clap::Args, Debug)]
pub struct ServerArgs {
    /// Directory for the datastore, certificates and node state
    #[arg(long, env = "ORCH_DATA_DIR", default_value = "/var/lib/orch")]
    pub data_dir: PathBuf,
}

/// How long a graceful shutdown may take before orch exits anyway.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(30);

pub fn run(args: ServerArgs) -> anyhow::Result<()> {
    let config = ServerConfig::new(args.data_dir);
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

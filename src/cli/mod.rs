//! The command line: `orch server`, `orch agent`, `orch version`.

mod agent;
mod images;
mod server;
mod shim;

use std::io::IsTerminal;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

#[derive(Parser, Debug)]
#[command(
    name = "orch",
    version = crate::version::ORCH,
    about = "A lightweight Kubernetes in one binary",
    long_about = "orch runs a Kubernetes cluster from a single binary.\n\n\
        Start a single-node cluster with `orch server`, then use kubectl with the admin kubeconfig \
        it writes. Join more machines with `orch agent --server https://SERVER:6443 --token TOKEN`.",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the control plane (datastore, API server, scheduler, controllers) and a local node
    Server(server::ServerArgs),
    /// Run a node that joins an existing server
    Agent(AgentArgs),
    /// Manage the images of this node: ls, pull, import, rm, prune
    Images(images::ImagesArgs),
    /// Print the orch version and the Kubernetes API version it serves
    Version,
    /// Run containers (internal: the agent starts it)
    #[command(hide = true)]
    Shim(shim::ShimArgs),
}

#[derive(clap::Args, Debug)]
pub struct AgentArgs {
    /// URL of the server to join, e.g. https://10.0.0.1:6443
    #[arg(long, env = "ORCH_URL", required_unless_present = "simulate")]
    pub server: Option<String>,
    /// Join token printed by the server (K10…::server:…)
    #[arg(
        long,
        env = "ORCH_TOKEN",
        hide_env_values = true,
        required_unless_present = "simulate"
    )]
    pub token: Option<String>,
    #[command(flatten)]
    pub sim: agent::SimArgs,
}

/// Logs go to stderr; `ORCH_LOG` (or `RUST_LOG`) selects levels, e.g. `ORCH_LOG=orch=debug`.
pub fn init_tracing() {
    let filter = std::env::var("ORCH_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|spec| EnvFilter::try_new(spec).ok())
        // libcgroups warns about every controller this kernel lacks, for every container.
        .unwrap_or_else(|| EnvFilter::new("info,libcgroups=error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Version => {
            println!("orch version v{}", crate::version::ORCH);
            println!("kubernetes api {}", crate::version::git_version());
            Ok(())
        }
        Command::Server(args) => server::run(args),
        Command::Images(args) => images::run(args),
        Command::Shim(args) => shim::run(args),
        Command::Agent(args) => {
            if args.sim.simulate.is_some() {
                return agent::run_simulated(args.sim);
            }
            let _ = (&args.server, &args.token);
            anyhow::bail!("the agent cannot join a server yet: node support is not built")
        }
    }
}

/// A multi-threaded runtime for the long-running commands.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("orch")
        .on_thread_park(collect_idle_memory)
        .build()
        .context("cannot start the async runtime")
}

/// When a worker thread goes idle (at most once a second), mimalloc returns the memory its
/// heap no longer uses: without it, pages freed after a burst (10,000 pods created) stay
/// resident, about as much again as the live heap. A no-op without mimalloc.
fn collect_idle_memory() {
    use std::cell::Cell;
    use std::time::{Duration, Instant};
    thread_local!(static LAST: Cell<Option<Instant>> = const { Cell::new(None) });
    let now = Instant::now();
    let due = LAST.with(|last| {
        let due = last
            .get()
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1));
        if due {
            last.set(Some(now));
        }
        due
    });
    if due {
        // SAFETY: collects this thread's own heap; safe to call at any time.
        unsafe { libmimalloc_sys::mi_collect(false) };
    }
}

//! `orch shim`: the hidden per-pod shim (see `runtime::shim`), started by the agent.

use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ShimArgs {
    #[command(subcommand)]
    pub command: ShimCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum ShimCommand {
    /// Serve a pod's containers from DIR (shim.sock); returns once listening, the shim
    /// itself runs on in the background
    Serve {
        #[arg(long)]
        dir: PathBuf,
    },
}

/// Runs without any async runtime or helper thread: the shim forks, and libcontainer must
/// clone from a single-threaded process.
pub fn run(args: ShimArgs) -> anyhow::Result<()> {
    // Rust ignores SIGPIPE at start; containers must not inherit that.
    // SAFETY: restoring a default disposition before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    match args.command {
        ShimCommand::Serve { dir } => {
            crate::runtime::shim::server::serve(&dir)?;
            Ok(())
        }
    }
}

//! `orch shim`: the hidden, single-threaded helper that runs containers with libcontainer (see
//! `runtime::container` for why it is a process of its own).

use std::path::PathBuf;

use crate::runtime::container;

#[derive(clap::Args, Debug)]
pub struct ShimArgs {
    #[command(subcommand)]
    pub command: ShimCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum ShimCommand {
    /// Run one container to completion and print how it ended (JSON)
    Run {
        #[arg(long)]
        id: String,
        /// OCI bundle directory (config.json with a mounted root)
        #[arg(long)]
        bundle: PathBuf,
        /// libcontainer's state directory
        #[arg(long)]
        state_root: PathBuf,
        /// CRI-format log file
        #[arg(long)]
        log: PathBuf,
        #[arg(long, default_value_t = 10 * 1024 * 1024)]
        log_max_size: u64,
        #[arg(long, default_value_t = 5)]
        log_max_files: usize,
        /// The container's cgroup path, as in config.json
        #[arg(long)]
        cgroup_path: String,
    },
}

/// Runs without any async runtime or helper thread: libcontainer must clone from a
/// single-threaded process.
pub fn run(args: ShimArgs) -> anyhow::Result<()> {
    // Rust ignores SIGPIPE at start; containers must not inherit that.
    // SAFETY: restoring a default disposition before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    match args.command {
        ShimCommand::Run {
            id,
            bundle,
            state_root,
            log,
            log_max_size,
            log_max_files,
            cgroup_path,
        } => {
            let exit = container::run(&container::Options {
                id,
                bundle,
                state_root,
                log,
                log_max_size,
                log_max_files,
                cgroup_path,
            })?;
            println!("{}", serde_json::to_string(&exit)?);
            Ok(())
        }
    }
}

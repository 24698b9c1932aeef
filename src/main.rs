use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's malloc: with glibc, allocation was a quarter of the control
/// plane's CPU time and its per-thread arenas added ~50 % to the server's RSS (BENCHMARKS.md).
/// The `system-allocator` feature keeps glibc's, for heap profilers that hook malloc.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = orch::cli::Cli::parse();
    orch::cli::init_tracing();
    match orch::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("orch: {err:#}");
            ExitCode::FAILURE
        }
    }
}

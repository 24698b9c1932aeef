use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's malloc: with glibc, allocation was a quarter of the control
/// plane's CPU time and its per-thread arenas added ~50 % to the server's RSS (BENCHMARKS.md).
/// The `system-allocator` feature keeps glibc's, for heap profilers that hook malloc.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc v3 options that keep a long-running server's RSS close to its live heap: free
/// memory goes back to the OS at once instead of after a second, no empty pages are kept per
/// size class, and pages abandoned by exited threads (the blocking pool's) are reclaimed when
/// an object in them is freed. Together ~35 MiB less RSS with 10,000 pods (BENCHMARKS.md).
#[cfg(not(feature = "system-allocator"))]
fn tune_allocator() {
    use libmimalloc_sys as mi;
    // The v3 option numbers (`mi_option_e` in mimalloc.h) that the bindings do not name.
    const PURGE_DELAY: mi::mi_option_t = 15;
    const PAGE_RECLAIM_ON_FREE: mi::mi_option_t = 35;
    const PAGE_FULL_RETAIN: mi::mi_option_t = 36;
    const _: () = assert!(
        mi::mi_option_use_numa_nodes == PURGE_DELAY + 1 && mi::_mi_option_last == 47,
        "mimalloc's option numbering changed: check tune_allocator"
    );
    // SAFETY: setting options is allowed at any time; these only steer purging and reuse.
    unsafe {
        mi::mi_option_set(PURGE_DELAY, 0);
        mi::mi_option_set(PAGE_FULL_RETAIN, 0);
        mi::mi_option_set(PAGE_RECLAIM_ON_FREE, 1);
    }
    // SQLite allocates with glibc's malloc, from the writer and every reader thread: one arena
    // per thread held ~18 MiB for ~8 MiB of page cache. Two arenas are plenty.
    // SAFETY: mallopt before any thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn main() -> ExitCode {
    #[cfg(not(feature = "system-allocator"))]
    tune_allocator();
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

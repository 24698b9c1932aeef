use std::process::ExitCode;

use clap::Parser;

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

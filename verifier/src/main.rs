//! `verifier`: reads traces from Jaeger and checks them against the trace
//! contract. Exit codes: 0 pass, 1 fail, 2 could not check.

use std::process::ExitCode;

use clap::Parser;
use verifier::cli::{Args, run};

fn main() -> ExitCode {
    let args = Args::parse();
    let default_level = if args.verbose { "info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return could_not_check(&format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => could_not_check(&e.to_string()),
    }
}

fn could_not_check(reason: &str) -> ExitCode {
    eprintln!("verifier: could not check: {reason}");
    ExitCode::from(2)
}

//! `loadgen`: parses the command line, sets up logging and signals, runs.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = match loadgen::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return loadgen::cli::usage_error(e),
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: cannot start the async runtime: {e}");
            return ExitCode::from(loadgen::cli::EXIT_USAGE);
        }
    };
    runtime.block_on(loadgen::cli::execute(cli, interrupted()))
}

/// Completes on the first Ctrl-C or SIGTERM (the run stops sending, waits for
/// the requests on the wire and still writes its report and manifest); a
/// second one exits at once.
async fn interrupted() {
    first_signal().await;
    eprintln!("loadgen: stopping: waiting for requests in flight (interrupt again to quit now)");
    tokio::spawn(async {
        first_signal().await;
        eprintln!("loadgen: interrupted twice, exiting without a report");
        std::process::exit(130);
    });
}

async fn first_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

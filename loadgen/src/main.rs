//! `loadgen`: parses the command line, sets up logging and signals, runs.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli: loadgen::cli::Cli = match cli_support::parse("loadgen") {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match cli_support::start("loadgen", None, "warn") {
        Ok(runtime) => runtime.block_on(loadgen::cli::execute(cli, interrupted())),
        Err(code) => code,
    }
}

/// Completes on the first Ctrl-C or SIGTERM (the run stops sending, waits for
/// the requests on the wire and still writes its report and manifest); a
/// second one exits at once.
async fn interrupted() {
    cli_support::shutdown_signal().await;
    eprintln!("loadgen: stopping: waiting for requests in flight (interrupt again to quit now)");
    tokio::spawn(async {
        cli_support::shutdown_signal().await;
        eprintln!("loadgen: interrupted twice, exiting without a report");
        std::process::exit(130);
    });
}

//! `loadgen`: parses the command line, sets up logging and signals, runs.

use std::process::ExitCode;

use cli_support::EXIT_USAGE;

fn main() -> ExitCode {
    let cli: loadgen::cli::Cli = match cli_support::parse("loadgen") {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    if let Err(e) = cli_support::init_logging(None, "warn") {
        eprintln!("loadgen: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    runtime.block_on(loadgen::cli::execute(cli, interrupted()))
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

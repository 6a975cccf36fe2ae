//! The `tracestore` binary: parses flags, sets up logging, runs the store
//! until Ctrl-C or SIGTERM, and maps failures to exit codes (2: bad flags,
//! 1: could not start).

use std::process::ExitCode;

use cli_support::EXIT_FAILED;
use tracestore::TraceStore;
use tracestore::cli::Args;

fn main() -> ExitCode {
    let args: Args = match cli_support::parse("tracestore") {
        Ok(args) => args,
        Err(code) => return code,
    };
    let runtime = match cli_support::start("tracestore", args.log_level.as_deref(), "info") {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    runtime.block_on(async {
        let store = match TraceStore::start(args.config()).await {
            Ok(store) => store,
            Err(e) => {
                eprintln!("tracestore: {}", cli_support::error_chain(&e));
                return ExitCode::from(EXIT_FAILED);
            }
        };
        cli_support::shutdown_signal().await;
        store.shutdown().await;
        ExitCode::SUCCESS
    })
}

//! The `tracestore` binary: parses flags, sets up logging, runs the store
//! until Ctrl-C or SIGTERM, and maps failures to exit codes (2: bad flags,
//! 1: could not start).

use std::process::ExitCode;

use cli_support::{EXIT_FAILED, EXIT_USAGE};
use tracestore::TraceStore;
use tracestore::cli::Args;

fn main() -> ExitCode {
    let args: Args = match cli_support::parse("tracestore") {
        Ok(args) => args,
        Err(code) => return code,
    };
    if let Err(e) = cli_support::init_logging(args.log_level.as_deref(), "info") {
        eprintln!("tracestore: --log-level: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tracestore: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    runtime.block_on(async {
        let store = match TraceStore::start(args.config()).await {
            Ok(store) => store,
            Err(e) => {
                eprintln!("tracestore: {e}");
                return ExitCode::from(EXIT_FAILED);
            }
        };
        cli_support::shutdown_signal().await;
        store.shutdown().await;
        ExitCode::SUCCESS
    })
}

//! `verifier`: reads traces from Jaeger and checks them against the trace
//! contract. Exit codes: 0 pass, 1 fail, 2 could not check.

use std::process::ExitCode;

use cli_support::{EXIT_FAILED, EXIT_USAGE};
use verifier::cli::{Args, run};

fn main() -> ExitCode {
    let args: Args = match cli_support::parse("verifier") {
        Ok(args) => args,
        Err(code) => return code,
    };
    let default_log = if args.verbose { "info" } else { "warn" };
    let runtime = match cli_support::start("verifier", None, default_log) {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(EXIT_FAILED),
        Err(e) => {
            eprintln!(
                "verifier: could not check: {}",
                cli_support::error_chain(&e)
            );
            ExitCode::from(EXIT_USAGE)
        }
    }
}

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
    let default_level = if args.verbose { "info" } else { "warn" };
    if let Err(e) = cli_support::init_logging(None, default_level) {
        return could_not_check(&e);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return could_not_check(&format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(EXIT_FAILED),
        Err(e) => could_not_check(&e.to_string()),
    }
}

fn could_not_check(reason: &str) -> ExitCode {
    eprintln!("verifier: could not check: {reason}");
    ExitCode::from(EXIT_USAGE)
}

//! `harness`: parses the command line, sets up logging and signals, runs.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli: harness::Cli = match cli_support::parse("harness") {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match cli_support::start("harness", None, "warn") {
        Ok(runtime) => runtime.block_on(harness::execute(cli, cli_support::shutdown_signal())),
        Err(code) => code,
    }
}

//! `harness`: parses the command line, sets up logging and signals, runs.

use std::process::ExitCode;

use cli_support::EXIT_USAGE;

fn main() -> ExitCode {
    let cli: harness::cli::Cli = match cli_support::parse("harness") {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    if let Err(e) = cli_support::init_logging(None, "warn") {
        eprintln!("harness: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("harness: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    runtime.block_on(harness::cli::execute(cli, cli_support::shutdown_signal()))
}

//! What every binary of the workspace (`loadgen`, `verifier`, `tracestore`,
//! `harness`, `order-api`, `payment-service`) does the same way:
//!
//! - [`parse`]: the command line, with a bad flag reported as one line
//!   `tool: message` on stderr and exit code 2 ([`EXIT_USAGE`]); negative
//!   numbers and durations reach their parser, so that `--rps -5` is refused
//!   as a value of `--rps` rather than as an unknown flag `-5`;
//! - [`parse_duration`], [`parse_size`], [`parse_http_url`]: the one parser
//!   of duration, byte size and URL flags;
//! - [`RunFiles`]: output paths checked before a run (writable, not another
//!   output, not an input);
//! - [`start`]: logging, then the runtime;
//! - [`init_logging`]: logs on stderr, `RUST_LOG` filters, colour only when
//!   stderr is a terminal;
//! - [`shutdown_signal`]: Ctrl-C, or SIGTERM where there is one;
//! - [`position`]: the line and column of a byte offset in an input file,
//!   for errors that name them;
//! - [`error_chain`]: an error and its causes on one line;
//! - the exit codes: 0 passed, 1 failed, 2 could not run as asked.

mod args;
mod chain;
mod logging;
mod paths;
mod position;
mod signal;
mod values;

use std::process::ExitCode;

pub use args::{DurationError, error_line, parse, parse_duration, try_parse_from};
pub use chain::error_chain;
pub use logging::{LogFilterError, init_logging, parse_log_filter};
pub use paths::{OutputPathError, RunFiles};
pub use position::{TextPosition, position};
pub use signal::shutdown_signal;
pub use values::{SizeError, UrlError, parse_http_url, parse_size};

/// What every binary does after parsing its flags: logging as
/// [`init_logging`] sets it up, then a multi-threaded Tokio runtime. A failure
/// is one line `tool: reason` on stderr and exit code 2.
pub fn start(
    tool: &str,
    log_directives: Option<&str>,
    default_log: &str,
) -> Result<tokio::runtime::Runtime, ExitCode> {
    let fail = |reason: String| {
        eprintln!("{tool}: {reason}");
        ExitCode::from(EXIT_USAGE)
    };
    init_logging(log_directives, default_log).map_err(|e| fail(error_chain(&e)))?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(format!("cannot start the async runtime: {e}")))
}

/// Everything asked was done and held.
pub const EXIT_OK: u8 = 0;
/// The run was done and something it checks failed.
pub const EXIT_FAILED: u8 = 1;
/// The run could not be done as asked: bad flags, unreadable input, a port
/// in use, an unusable backend.
pub const EXIT_USAGE: u8 = 2;

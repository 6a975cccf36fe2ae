//! What every binary of the workspace (`loadgen`, `verifier`, `tracestore`,
//! `harness`, `order-api`, `payment-service`) does the same way:
//!
//! - [`parse`]: the command line, with a bad flag reported as one line
//!   `tool: message` on stderr and exit code 2 ([`EXIT_USAGE`]); negative
//!   numbers and durations reach their parser, so that `--rps -5` is refused
//!   as a value of `--rps` rather than as an unknown flag `-5`;
//! - [`parse_duration`]: the one parser of duration flags (`30s`, `5m`);
//! - [`init_logging`]: logs on stderr, `RUST_LOG` filters, colour only when
//!   stderr is a terminal;
//! - [`shutdown_signal`]: Ctrl-C, or SIGTERM where there is one;
//! - the exit codes: 0 passed, 1 failed, 2 could not run as asked.

mod args;
mod logging;
mod signal;

pub use args::{command, error_line, parse, parse_duration, try_parse_from};
pub use logging::init_logging;
pub use signal::shutdown_signal;

/// Everything asked was done and held.
pub const EXIT_OK: u8 = 0;
/// The run was done and something it checks failed.
pub const EXIT_FAILED: u8 = 1;
/// The run could not be done as asked: bad flags, unreadable input, a port
/// in use, an unusable backend.
pub const EXIT_USAGE: u8 = 2;

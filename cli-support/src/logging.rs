//! The one logging set-up: events on stderr (stdout is for reports), filtered
//! by `RUST_LOG`, coloured only when stderr is a terminal, so that a log
//! file or a CI console gets no ANSI codes.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, filter::ParseError};

/// Installs the subscriber. The filter is `directives` when given (a flag
/// such as tracestore's `--log-level`), else `RUST_LOG`, else `default`
/// (`info` for the servers, `warn` for the tools that print a report).
/// Errors when `directives` is not a valid filter.
pub fn init_logging(directives: Option<&str>, default: &str) -> Result<(), LogFilterError> {
    let filter = match directives {
        Some(d) => EnvFilter::try_new(d).map_err(|source| LogFilterError::Invalid {
            directives: d.to_owned(),
            source,
        })?,
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default)),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    Ok(())
}

/// A clap value parser for a log-filter flag (tracestore's `--log-level`):
/// the text, when `tracing` can read it as a filter.
pub fn parse_log_filter(s: &str) -> Result<String, LogFilterError> {
    EnvFilter::try_new(s)
        .map(|_| s.to_owned())
        .map_err(LogFilterError::NotAFilter)
}

/// A log filter `tracing` cannot read; its parser's error is the source.
#[derive(Debug, thiserror::Error)]
pub enum LogFilterError {
    /// The directives given to [`init_logging`].
    #[error("invalid log filter {directives:?}")]
    Invalid {
        /// The directives as given.
        directives: String,
        /// Why `tracing` refused them.
        #[source]
        source: ParseError,
    },
    /// A log-filter flag's value ([`parse_log_filter`]).
    #[error("not a log level or filter")]
    NotAFilter(#[source] ParseError),
}

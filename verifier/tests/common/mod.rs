//! Shared test support: contract traces, their Jaeger JSON, a mock Jaeger.

#![allow(dead_code)]

pub(crate) mod mock;
pub(crate) mod scripted;
pub(crate) mod tls_proxy;
pub(crate) mod traces;

use std::time::Duration;

use verifier::{ApiChoice, RetryPolicy, TimeWindow, VerifyConfig};

/// The command-line twin of [`config`] for the binary: `--jaeger URL`,
/// settling for `settle` with a fast poll (50 ms) and quiet period
/// (100 ms), then `extra` (the window, retries, outputs, ...).
pub(crate) fn cli_args(url: &str, settle: &str, extra: &[&str]) -> Vec<String> {
    [
        "--jaeger",
        url,
        "--settle",
        settle,
        "--poll-interval",
        "50ms",
        "--quiet-period",
        "100ms",
    ]
    .iter()
    .chain(extra)
    .map(|s| s.to_string())
    .collect()
}

/// A config for tests: short settling and fast retries.
pub(crate) fn config(url: &str) -> VerifyConfig {
    let mut config = VerifyConfig::new(url);
    config.window = Some(TimeWindow::Since(Duration::from_secs(600)));
    config.settle = Duration::from_millis(600);
    config.poll_interval = Duration::from_millis(50);
    config.quiet_period = Duration::from_millis(200);
    config.retry = RetryPolicy {
        attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    };
    config.request_timeout = Duration::from_secs(5);
    config.api = ApiChoice::Auto;
    config
}

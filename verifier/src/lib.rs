//! Proves a system's distributed tracing right from what the trace backend
//! stored: reads traces back through Jaeger's HTTP query API (`/api/v3`, or v1)
//! and checks them against a declarative contract ([`spec::Spec`]; the default is
//! the order/payment contract of docs/CONTRACT.md), and against the loadgen's
//! manifest when given.
//!
//! ```no_run
//! # async fn example() -> Result<(), verifier::CheckError> {
//! let mut config = verifier::VerifyConfig::new("http://127.0.0.1:16686");
//! config.window = Some(verifier::TimeWindow::Since(std::time::Duration::from_secs(300)));
//! let verdict = verifier::verify(&config).await?;
//! print!("{}", verifier::render(&verdict, verifier::Format::Text, Default::default()));
//! std::process::exit(if verdict.passed() { 0 } else { 1 });
//! # }
//! ```
//!
//! Modules: [`jaeger`] (the HTTP client and both JSON formats), [`model`] (the
//! verifier's own trace model), [`spec`] (the contract format), [`cli`]; at
//! the root the per-trace checks ([`Checker`]), the loadgen's [`Manifest`],
//! the binomial test of the sampling ratio ([`SamplingTest`]), the
//! [`Verdict`] and its printers ([`render()`]: text, JSON, JUnit).

pub mod cli;
pub mod jaeger;
pub mod model;
pub mod spec;

mod check;
mod config;
mod critical_path;
mod error;
mod explain;
mod held;
mod manifest;
mod read;
mod render;
mod run;
mod sampling;
mod slowest;
mod thresholds;
mod verdict;

pub use check::{Checker, Finding, Rule, TraceContext, TraceOutcome};
pub use config::{ApiChoice, RetryPolicy, TimeWindow, VerifyConfig};
pub use critical_path::{PathAnalysis, Section};
pub use error::CheckError;
pub use manifest::{Manifest, ManifestEntry, ManifestError};
pub use render::{Format, TextOptions, explain::render as render_explain, render};
pub use run::verify;
pub use sampling::SamplingTest;
pub use thresholds::{Offender, ThresholdResult, Thresholds};
pub use verdict::{
    Dominant, FailedTrace, Failure, PathStep, Settle, SlowTrace, Summary, Verdict, Window,
    trace_detail,
};

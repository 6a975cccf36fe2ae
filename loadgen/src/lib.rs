//! Open-loop HTTP load for the order API with a scenario mix, a sampling
//! ratio, coordinated-omission corrected HDR latency and a trace manifest.
//!
//! The loadgen roots every trace: each request gets a trace id from a seeded
//! generator, the SDK's `TraceIdRatioBased` sampler decides the sampled flag
//! of its `traceparent`, `baggage` carries `loadgen.scenario`, and a CLIENT
//! span (service `loadgen`) is exported per sampled request.
//!
//! ```no_run
//! # async fn demo() -> Result<(), loadgen::LoadError> {
//! use loadgen::{LoadConfig, Target};
//! let mut config = LoadConfig::new(Target::parse("http://127.0.0.1:8000").unwrap(), 500.0);
//! config.requests = Some(1000);
//! let stop = async {
//!     let _ = tokio::signal::ctrl_c().await;
//! };
//! let report = loadgen::run(config, stop).await?;
//! println!("{report}");
//! # Ok(()) }
//! ```
//!
//! Modules: [`config`] (what to run), [`run()`] (running it), [`report`]
//! (figures, JSON, merge), [`manifest`] (the per-request lines), [`cli`]
//! (the command line the binary parses).

pub mod cli;
mod client;
mod client_span;
mod clock;
pub mod config;
mod error;
pub mod exemplars;
pub mod manifest;
mod pacer;
mod plan;
mod progress;
pub mod propagator;
pub mod report;
mod run;
pub mod scenario;
pub mod stages;
mod stats;
mod worker;

pub use config::{LoadConfig, RootSpans, SamplerChoice, Shard, Target};
pub use error::{LoadError, MergeError};
pub use manifest::{ManifestRecord, Outcome, read_manifest};
pub use plan::{PlannedRequest, ShardPlan, plan_shard};
pub use propagator::Propagator;
pub use report::{Report, merge};
pub use run::run;
pub use scenario::{Mix, SampleRequest, Scenario, ScenarioSet};
pub use stages::Stage;

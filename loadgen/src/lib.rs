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
//! The crate root is the whole library surface: configuring and running
//! ([`LoadConfig`], [`run()`]), the report and its JSON schema ([`Report`],
//! [`merge()`]), the manifest ([`ManifestRecord`], [`read_manifest`]), the
//! scenarios ([`ScenarioSet`], [`ORDER_PAYMENT`]) and sharding
//! ([`plan_shard`]); [`cli`] is the command line the binary parses and
//! `harness run` flattens in ([`cli::LoadArgs`]).

pub mod cli;
mod client;
mod client_span;
mod clock;
mod config;
mod counters;
mod error;
mod exemplars;
mod gate;
mod manifest;
mod merge;
mod outputs;
mod pacer;
mod plan;
mod progress;
mod propagator;
mod report;
mod run;
mod scenario;
mod stages;
mod stats;
mod worker;

pub use config::{
    LoadConfig, RootSpans, SamplerChoice, SamplerError, Shard, ShardSyntaxError, Target,
    TargetError,
};
pub use error::{LoadError, MergeError};
pub use exemplars::{Exemplar, PercentileExemplar};
pub use manifest::{ManifestRecord, Outcome, read_manifest};
pub use plan::{PlannedRequest, ShardPlan, plan_shard};
pub use propagator::{Propagator, PropagatorsError, UnknownPropagator};
pub use report::{
    ErrorCounts, Latency, REPORT_FORMAT, Report, RunInfo, ScenarioReport, ScheduleReport,
    StageReport, TracingReport, merge,
};
pub use run::run;
pub use scenario::{
    Mix, MixError, ORDER_PAYMENT, SampleRequest, Scenario, ScenarioError, ScenarioFileError,
    ScenarioSet,
};
pub use stages::{Stage, StageError, Stages, parse_stages};

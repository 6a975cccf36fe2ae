//! The flags of a load: one definition, with one default each, for
//! `loadgen` and for `harness run`, which flattens [`LoadArgs`] into its own
//! command line.

use std::{path::PathBuf, time::Duration};

use clap::Args;
use telemetry::{OtelConfig, SamplerConfig};

use crate::{
    LoadError,
    config::{LoadConfig, RootSpans, SamplerChoice, Target},
    propagator::Propagator,
    scenario::{Mix, ScenarioSet},
    stages::Stages,
};

/// How long a run lasts when neither `--duration` nor `--requests` is given.
pub(crate) const DEFAULT_DURATION: Duration = Duration::from_secs(30);

/// What load to send.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Requests per second of all shards together (open loop: requests are
    /// sent at fixed intended start times whatever the answers do).
    #[arg(long, required_unless_present = "stages", value_parser = parse_rps)]
    pub rps: Option<f64>,
    /// Rate stages, e.g. 30s:100,60s:2000: the rate ramps linearly from
    /// --rps (else 0) to each stage's rate over its duration (a flat stage
    /// repeats the rate); the run lasts as long as the stages.
    #[arg(long, value_parser = str::parse::<Stages>, conflicts_with = "duration")]
    pub stages: Option<Stages>,
    /// How long to send (e.g. 30s, 5m); default 30s unless --requests is
    /// given; with both, whichever ends first.
    #[arg(long, value_parser = cli_support::parse_duration)]
    pub duration: Option<Duration>,
    /// How many requests to send in all (all shards together).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub requests: Option<u64>,
    /// The requests to send: a TOML file of `[[scenario]]` tables (default:
    /// the shipped order/payment scenarios; `loadgen --print-scenarios`).
    #[arg(long, env = "LOADGEN_SCENARIOS", value_name = "FILE")]
    pub scenarios: Option<PathBuf>,
    /// Scenario weights by name, replacing the file's (e.g. valid=80,invalid=10,fraud=10).
    #[arg(long, value_parser = str::parse::<Mix>)]
    pub mix: Option<Mix>,
    /// Trace context format: tracecontext, b3, b3multi or jaeger (default:
    /// the first of OTEL_PROPAGATORS, else tracecontext); baggage is W3C.
    #[arg(long, value_parser = str::parse::<Propagator>)]
    pub propagator: Option<Propagator>,
    /// Sampling ratio of the traces the loadgen roots (0..1), or `none` to send
    /// no traceparent and read the service's traceresponse. Default: the
    /// ratio of OTEL_TRACES_SAMPLER/OTEL_TRACES_SAMPLER_ARG, else 1.
    #[arg(long, value_parser = str::parse::<SamplerChoice>)]
    pub sampler: Option<SamplerChoice>,
    /// Seed of the scenario sequence, payloads and trace ids (default: random, printed in the report).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Requests scheduled but not finished at most; when reached the schedule
    /// waits and the report counts a cap hit.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_in_flight: u64,
    /// Per-request timeout.
    #[arg(long, default_value = "10s", value_parser = cli_support::parse_duration)]
    pub timeout: Duration,
    /// Keep-alive connections (HTTP/1.1; over TLS, HTTP/2 when the server
    /// offers it by ALPN), one request at a time on each.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub connections: u64,
    /// Write one JSON line per request (trace id, scenario, timing, status) here.
    #[arg(long, value_name = "PATH")]
    pub manifest: Option<PathBuf>,
    /// Do not export the loadgen CLIENT span (the traceparent still carries its id).
    #[arg(long)]
    pub no_root_span: bool,
    /// TLS of an https:// target.
    #[command(flatten)]
    pub target_tls: TargetTlsArgs,
}

/// The TLS flags of an `https://` target. They carry a `target-` prefix
/// because `harness run` also has the Jaeger query API's `--ca-cert`,
/// `--client-cert`, `--client-key` and `--insecure-skip-verify`, and the
/// two servers rarely share a CA.
#[derive(Debug, Clone, Default, Args)]
pub struct TargetTlsArgs {
    /// PEM file of the CA certificates to trust for an https:// target,
    /// instead of the system's roots.
    #[arg(long, value_name = "FILE")]
    pub target_ca_cert: Option<PathBuf>,
    /// PEM client certificate (chain) for a target that asks for one (mutual TLS).
    #[arg(long, value_name = "FILE", requires = "target_client_key")]
    pub target_client_cert: Option<PathBuf>,
    /// PEM private key of --target-client-cert.
    #[arg(long, value_name = "FILE", requires = "target_client_cert")]
    pub target_client_key: Option<PathBuf>,
    /// Accept any certificate from the target, for self-signed test setups
    /// only (warns): anyone on the path can then read and change the traffic.
    #[arg(long)]
    pub target_insecure_skip_verify: bool,
}

/// The names of [`TargetTlsArgs`], for the errors that name them.
pub(crate) const TARGET_TLS_NAMES: secure_http::TlsNames = secure_http::TlsNames {
    ca_cert: "--target-ca-cert",
    client_cert: "--target-client-cert",
    client_key: "--target-client-key",
    insecure_skip_verify: "--target-insecure-skip-verify",
};

impl From<TargetTlsArgs> for secure_http::TlsArgs {
    fn from(t: TargetTlsArgs) -> Self {
        secure_http::TlsArgs {
            ca_cert: t.target_ca_cert,
            client_cert: t.target_client_cert,
            client_key: t.target_client_key,
            insecure_skip_verify: t.target_insecure_skip_verify,
        }
    }
}

impl LoadArgs {
    /// `files` with what the load writes (`--manifest`) and reads
    /// (`--scenarios`), for a check before the run.
    pub fn files<'a>(&'a self, files: cli_support::RunFiles<'a>) -> cli_support::RunFiles<'a> {
        files
            .output("--manifest", self.manifest.as_deref())
            .inputs("--scenarios", self.scenarios.as_deref())
    }

    /// The load these flags describe against `target`. `otel` configures the
    /// CLIENT spans, and its sampler gives the ratio when `--sampler` is not
    /// given. The configuration is validated.
    pub fn load_config(
        self,
        target: Target,
        otel: OtelConfig,
    ) -> Result<LoadConfig, LoadFlagsError> {
        let sampler = self
            .sampler
            .unwrap_or(SamplerChoice::Ratio(match otel.sampler {
                SamplerConfig::AlwaysOn | SamplerConfig::ParentBasedAlwaysOn => 1.0,
                SamplerConfig::AlwaysOff | SamplerConfig::ParentBasedAlwaysOff => 0.0,
                SamplerConfig::TraceIdRatio(r) | SamplerConfig::ParentBasedTraceIdRatio(r) => r,
            }));
        let stages = self.stages.map(|s| s.0).unwrap_or_default();
        let rps = match self.rps {
            Some(r) => r,
            None if !stages.is_empty() => 0.0,
            None => return Err(LoadFlagsError::NoRate),
        };
        let mut config = LoadConfig::new(target, rps);
        config.stages = stages;
        config.duration = match (self.duration, self.requests) {
            (None, Some(_)) => None,
            (d, _) => Some(d.unwrap_or(DEFAULT_DURATION)),
        };
        if !config.stages.is_empty() {
            // The stages set the length (`--duration` conflicts with them).
            config.duration = Some(config.stages.iter().map(|s| s.duration).sum());
        }
        config.requests = self.requests;
        if let Some(path) = &self.scenarios {
            config.scenarios = ScenarioSet::load(path)?;
        }
        config.mix = self.mix;
        config.propagator = match (self.propagator, std::env::var("OTEL_PROPAGATORS")) {
            (Some(p), _) => p,
            (None, Ok(value)) if !value.trim().is_empty() => {
                Propagator::from_otel_propagators(&value)?
            }
            _ => Propagator::TraceContext,
        };
        config.sampler = sampler;
        config.seed = self.seed.unwrap_or_else(rand::random);
        config.max_in_flight = usize::try_from(self.max_in_flight).unwrap_or(usize::MAX);
        config.timeout = self.timeout;
        config.connections = usize::try_from(self.connections).unwrap_or(usize::MAX);
        config.manifest = self.manifest;
        config.target_tls = self.target_tls.into();
        config.root_spans = if self.no_root_span {
            RootSpans::Off
        } else {
            RootSpans::otlp(otel)
        };
        config.progress = true;
        config.validate()?;
        Ok(config)
    }
}

/// Load flags and `OTEL_*` variables that do not make a load (for
/// `loadgen` and `harness run`).
#[derive(Debug, thiserror::Error)]
pub enum LoadFlagsError {
    /// Neither `--rps` nor `--stages`.
    #[error("--rps is required")]
    NoRate,
    /// The `--scenarios` file is unusable.
    #[error(transparent)]
    Scenarios(#[from] crate::ScenarioFileError),
    /// `OTEL_PROPAGATORS` names no format the loadgen sends.
    #[error(transparent)]
    Propagators(#[from] crate::propagator::PropagatorsError),
    /// The `OTEL_*` variables of the CLIENT spans are unusable.
    #[error(transparent)]
    Otel(#[from] telemetry::ConfigError),
    /// The sharding flags name no share.
    #[error(transparent)]
    Shard(#[from] super::shard_args::ShardError),
    /// The configuration is inconsistent.
    #[error(transparent)]
    Invalid(#[from] LoadError),
}

/// A `--rps` (or `--latency-rps`) that is not a positive, finite number.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("expected a positive number of requests per second, got {0:?}")]
pub struct RateError(String);

/// A request rate: a positive, finite number.
pub fn parse_rps(s: &str) -> Result<f64, RateError> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(RateError(s.to_owned())),
    }
}

//! The whole-system cost of tracing: the two services' maximum throughput
//! and their latency at a fixed rate, with tracing off, at sampler 0.1 and
//! at sampler 1.0, in one run, reported as ratios to tracing off.
//!
//! Everything runs in this process on the same cores: the loadgen, both
//! services and the span sink. In production the trace backend runs on
//! other machines, so by default the services export (over OTLP/gRPC, as
//! usual) to a [`Sink::Discard`] receiver that counts the spans and keeps
//! nothing: the figure is then the cost of creating, batching, encoding and
//! sending the spans, which is what tracing costs the services' machine.
//! [`Sink::TraceStore`] exports into the embedded store instead (its ingest
//! then competes for the same cores), [`Sink::Endpoint`] to a collector or
//! Jaeger elsewhere. The report names the sink, counts the spans it
//! received (a full batch queue drops spans, which would make tracing look
//! cheaper, so at sampler 1.0 the count is checked against the contract's
//! spans per request), and says how busy the rest of the machine was.

//!
//! The parts: the sink (`sink.rs`), one load phase (`phase.rs`), the figures
//! and their table (`report.rs`), the machine's CPU use from `/proc`
//! (`machine_cpu.rs`); this file holds the configuration, the modes and the
//! rounds.

mod machine_cpu;
mod phase;
mod report;
mod sink;
#[cfg(test)]
mod tests;

use std::{fmt, time::Duration};

use loadgen::Mix;
use serde::Serialize;
use telemetry::SamplerConfig;
use verifier::spec::Spec;

pub(crate) use report::{ModeFigures, OverheadReport};
pub(crate) use sink::Sink;

use services::ServiceTracing;

use crate::error::HarnessError;
use phase::{PhaseOutcome, expected_spans, phase};

/// A rate no 2-core machine reaches: the saturating phase asks for it and
/// the in-flight cap turns the run closed-loop at the system's own pace.
const SATURATING_RPS: f64 = 1_000_000.0;

/// What to measure.
#[derive(Debug, Clone)]
pub(crate) struct OverheadConfig {
    /// Length of every load phase.
    pub(crate) duration: Duration,
    /// Each mode is measured this many times, interleaved; the median counts.
    pub(crate) rounds: u32,
    /// Keep-alive connections (and requests in flight) of the saturating phase.
    pub(crate) connections: usize,
    /// Rate of the latency phase; default half the tracing-off maximum.
    pub(crate) latency_rps: Option<f64>,
    /// Scenario weights by name (default: the shipped file's).
    pub(crate) mix: Option<Mix>,
    /// Seed of the scenario sequence.
    pub(crate) seed: u64,
}

impl Default for OverheadConfig {
    fn default() -> Self {
        OverheadConfig {
            duration: Duration::from_secs(10),
            rounds: 3,
            connections: 32,
            latency_rps: None,
            mix: None,
            seed: 1,
        }
    }
}

/// A tracing mode under measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) enum Mode {
    /// `parentbased_always_off`, no exporter: the instrumentation runs, records nothing.
    Off,
    /// `parentbased_traceidratio` with the loadgen sampling at this ratio,
    /// exporting to the sink over OTLP/gRPC.
    Ratio(f64),
}

impl Mode {
    /// The modes compared, tracing off first.
    pub(crate) const ALL: [Mode; 3] = [Mode::Off, Mode::Ratio(0.1), Mode::Ratio(1.0)];

    fn service_tracing(self) -> ServiceTracing {
        match self {
            Mode::Off => ServiceTracing::Off,
            Mode::Ratio(r) => ServiceTracing::Sampler(SamplerConfig::ParentBasedTraceIdRatio(r)),
        }
    }

    fn loadgen_ratio(self) -> f64 {
        match self {
            Mode::Off => 0.0,
            Mode::Ratio(r) => r,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Off => f.write_str("tracing off"),
            Mode::Ratio(r) => write!(f, "sampler {r:.1}"),
        }
    }
}

/// Runs the measurement with the spans exported to [`Sink::Discard`].
pub(crate) async fn measure_overhead(
    config: &OverheadConfig,
) -> Result<OverheadReport, HarnessError> {
    measure_overhead_to(config, &Sink::Discard).await
}

/// Runs the measurement with the spans exported to `sink`: one unmeasured
/// warm-up phase, then for every round and mode a fresh stack and a
/// saturating phase, then for every round and mode a fixed-rate phase. The
/// order of the modes rotates from round to round, so that no mode always
/// runs first or last.
pub(crate) async fn measure_overhead_to(
    config: &OverheadConfig,
    sink: &Sink,
) -> Result<OverheadReport, HarnessError> {
    let spec = Spec::contract();
    let modes = Mode::ALL.len();
    let mut tally: Vec<Tally> = (0..modes).map(|_| Tally::default()).collect();
    let warm_up = OverheadConfig {
        duration: (config.duration / 10).max(Duration::from_secs(1)),
        ..config.clone()
    };
    phase(&warm_up, sink, Mode::Off, None).await?;

    let mut max: Vec<Vec<f64>> = vec![Vec::new(); modes];
    for round in 0..config.rounds as usize {
        for i in rotated(round, modes) {
            let outcome = phase(config, sink, Mode::ALL[i], None).await?;
            max[i].push(outcome.report.overall.achieved_rps);
            tally[i]
                .cpu_us_per_request
                .extend(outcome.cpu_us_per_request());
            tally[i].add(&outcome, &spec);
        }
    }
    let max_rps: Vec<f64> = max.iter().map(|rounds| median(rounds)).collect();
    let latency_rps = config
        .latency_rps
        .unwrap_or_else(|| (max_rps[0] / 2.0).max(1.0).round());

    let mut latency: Vec<Vec<(u64, u64, u64)>> = vec![Vec::new(); modes];
    for round in 0..config.rounds as usize {
        for i in rotated(round, modes) {
            let outcome = phase(config, sink, Mode::ALL[i], Some(latency_rps)).await?;
            let l = &outcome.report.overall.latency;
            latency[i].push((l.p50_us, l.p99_us, l.p999_us));
            tally[i].add(&outcome, &spec);
        }
    }
    let modes = Mode::ALL
        .into_iter()
        .enumerate()
        .map(|(i, mode)| {
            let pick = |f: fn(&(u64, u64, u64)) -> u64| {
                median(&latency[i].iter().map(f).collect::<Vec<_>>())
            };
            let t = &tally[i];
            ModeFigures {
                mode,
                max_rps_rounds: max[i].clone(),
                max_rps: max_rps[i],
                p50_us: pick(|l| l.0),
                p99_us: pick(|l| l.1),
                p999_us: pick(|l| l.2),
                failed_requests: t.failed,
                requests: t.requests,
                spans_received: t.spans_received,
                spans_expected: t.spans_expected,
                cpu_us_per_request: (!t.cpu_us_per_request.is_empty())
                    .then(|| median(&t.cpu_us_per_request)),
                other_cpu: (!t.other_cpu.is_empty()).then(|| median(&t.other_cpu)),
            }
        })
        .collect();
    Ok(OverheadReport {
        duration_s: config.duration.as_secs_f64(),
        rounds: config.rounds,
        connections: config.connections,
        latency_rps,
        sink: sink.clone(),
        modes,
    })
}

/// The mode indices in the order of `round`: rotated by one each round.
fn rotated(round: usize, modes: usize) -> impl Iterator<Item = usize> {
    (0..modes).map(move |k| (round + k) % modes)
}

/// One mode's sums over its phases.
#[derive(Debug, Default)]
struct Tally {
    failed: u64,
    requests: u64,
    spans_received: Option<u64>,
    spans_expected: Option<u64>,
    cpu_us_per_request: Vec<f64>,
    other_cpu: Vec<f64>,
    phases: u32,
}

impl Tally {
    fn add(&mut self, outcome: &PhaseOutcome, spec: &Spec) {
        let first = self.phases == 0;
        self.phases += 1;
        self.failed += outcome.report.failed_requests();
        self.requests += outcome.report.overall.count;
        let sum = |total: Option<u64>, this: Option<u64>| match (first, total, this) {
            (true, _, this) => this,
            (false, Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        self.spans_received = sum(self.spans_received, outcome.spans_received);
        self.spans_expected = sum(self.spans_expected, expected_spans(spec, &outcome.report));
        self.other_cpu.extend(outcome.cpu.map(|c| c.others_share));
    }
}

/// The middle value (the upper one of an even count), zero when empty.
fn median<T: Copy + Default + PartialOrd>(values: &[T]) -> T {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v.get(v.len() / 2).copied().unwrap_or_default()
}

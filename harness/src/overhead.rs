//! The whole-system cost of tracing: the two services' maximum throughput
//! and their latency at a fixed rate, with tracing off, at sampler 0.1 and
//! at sampler 1.0, in one run, reported as ratios to tracing off.

use std::{fmt, time::Duration};

use loadgen::{LoadConfig, Mix, RootSpans, SamplerChoice, Target};
use serde::Serialize;
use telemetry::SamplerConfig;

use crate::{
    error::HarnessError,
    stack::{RunningStack, ServiceTracing, StackConfig},
};

/// A rate no 2-core machine reaches: the saturating phase asks for it and
/// the in-flight cap turns the run closed-loop at the system's own pace.
const SATURATING_RPS: f64 = 1_000_000.0;

/// What to measure.
#[derive(Debug, Clone)]
pub struct OverheadConfig {
    /// Length of every load phase.
    pub duration: Duration,
    /// Each mode is measured this many times, interleaved; the median counts.
    pub rounds: u32,
    /// Keep-alive connections (and requests in flight) of the saturating phase.
    pub connections: usize,
    /// Rate of the latency phase; default half the tracing-off maximum.
    pub latency_rps: Option<f64>,
    /// Scenario mix.
    pub mix: Mix,
    /// Seed of the scenario sequence.
    pub seed: u64,
}

impl Default for OverheadConfig {
    fn default() -> Self {
        OverheadConfig {
            duration: Duration::from_secs(10),
            rounds: 3,
            connections: 32,
            latency_rps: None,
            mix: Mix::default(),
            seed: 1,
        }
    }
}

/// A tracing mode under measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Mode {
    /// `parentbased_always_off`, no exporter: the instrumentation runs, records nothing.
    Off,
    /// `parentbased_traceidratio` with the loadgen sampling at this ratio,
    /// exporting to the embedded store over OTLP/gRPC.
    Ratio(f64),
}

impl Mode {
    /// The modes compared, tracing off first.
    pub const ALL: [Mode; 3] = [Mode::Off, Mode::Ratio(0.1), Mode::Ratio(1.0)];

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

/// One mode's figures (medians over the rounds).
#[derive(Debug, Clone, Serialize)]
pub struct ModeFigures {
    /// The mode.
    pub mode: Mode,
    /// Maximum throughput of each round, requests per second.
    pub max_rps_rounds: Vec<f64>,
    /// Median maximum throughput.
    pub max_rps: f64,
    /// Median p50 latency at the fixed rate, µs.
    pub p50_us: u64,
    /// Median p99 latency at the fixed rate, µs.
    pub p99_us: u64,
    /// Median p99.9 latency at the fixed rate, µs.
    pub p999_us: u64,
    /// Requests that did not get their expected answer, over every phase.
    pub failed_requests: u64,
}

/// The whole measurement.
#[derive(Debug, Clone, Serialize)]
pub struct OverheadReport {
    /// Length of every phase, seconds.
    pub duration_s: f64,
    /// Rounds per mode.
    pub rounds: u32,
    /// Connections of the saturating phase.
    pub connections: usize,
    /// Rate of the latency phase.
    pub latency_rps: f64,
    /// Tracing off, sampler 0.1, sampler 1.0.
    pub modes: Vec<ModeFigures>,
}

impl OverheadReport {
    /// Throughput lost to tracing in `mode`, as a fraction of tracing off
    /// (0.03 is 3%).
    pub fn throughput_overhead(&self, mode: &ModeFigures) -> f64 {
        let off = self.modes.first().map_or(0.0, |m| m.max_rps);
        if off > 0.0 {
            1.0 - mode.max_rps / off
        } else {
            0.0
        }
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        let mut json =
            serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        json.push('\n');
        json
    }
}

impl fmt::Display for OverheadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let off = self.modes.first();
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        writeln!(
            f,
            "whole-system tracing cost: {} s phases, {} rounds (medians), {} connections; latency at {:.0} rps",
            self.duration_s, self.rounds, self.connections, self.latency_rps
        )?;
        writeln!(
            f,
            "{:<12} {:>10} {:>8} {:>9} {:>9} {:>9} {:>9} {:>7}",
            "mode", "max rps", "vs off", "overhead", "p50", "p99", "p99.9", "p99 x"
        )?;
        for m in &self.modes {
            let off_p99 = off.map_or(0, |o| o.p99_us) as f64;
            writeln!(
                f,
                "{:<12} {:>10.0} {:>8.3} {:>8.1}% {:>7.2}ms {:>7.2}ms {:>7.2}ms {:>7.2}",
                m.mode.to_string(),
                m.max_rps,
                ratio(m.max_rps, off.map_or(0.0, |o| o.max_rps)),
                100.0 * self.throughput_overhead(m),
                m.p50_us as f64 / 1000.0,
                m.p99_us as f64 / 1000.0,
                m.p999_us as f64 / 1000.0,
                ratio(m.p99_us as f64, off_p99),
            )?;
        }
        for m in self.modes.iter().filter(|m| m.failed_requests > 0) {
            writeln!(
                f,
                "warning: {}: {} failed requests",
                m.mode, m.failed_requests
            )?;
        }
        Ok(())
    }
}

/// Runs the measurement: for every round and mode a fresh stack, a
/// saturating phase, then for every round and mode a fixed-rate phase.
pub async fn measure_overhead(config: &OverheadConfig) -> Result<OverheadReport, HarnessError> {
    let mut max: Vec<Vec<f64>> = vec![Vec::new(); Mode::ALL.len()];
    let mut failed = vec![0_u64; Mode::ALL.len()];
    for _ in 0..config.rounds {
        for (i, mode) in Mode::ALL.into_iter().enumerate() {
            let report = phase(config, mode, None).await?;
            max[i].push(report.overall.achieved_rps);
            failed[i] += report.failed_requests();
        }
    }
    let max_rps: Vec<f64> = max.iter().map(|rounds| median_f64(rounds)).collect();
    let latency_rps = config
        .latency_rps
        .unwrap_or_else(|| (max_rps[0] / 2.0).max(1.0).round());

    let mut latency: Vec<Vec<(u64, u64, u64)>> = vec![Vec::new(); Mode::ALL.len()];
    for _ in 0..config.rounds {
        for (i, mode) in Mode::ALL.into_iter().enumerate() {
            let report = phase(config, mode, Some(latency_rps)).await?;
            let l = &report.overall.latency;
            latency[i].push((l.p50_us, l.p99_us, l.p999_us));
            failed[i] += report.failed_requests();
        }
    }
    let modes = Mode::ALL
        .into_iter()
        .enumerate()
        .map(|(i, mode)| {
            let pick = |f: fn(&(u64, u64, u64)) -> u64| {
                median_u64(&latency[i].iter().map(f).collect::<Vec<_>>())
            };
            ModeFigures {
                mode,
                max_rps_rounds: max[i].clone(),
                max_rps: max_rps[i],
                p50_us: pick(|l| l.0),
                p99_us: pick(|l| l.1),
                p999_us: pick(|l| l.2),
                failed_requests: failed[i],
            }
        })
        .collect();
    Ok(OverheadReport {
        duration_s: config.duration.as_secs_f64(),
        rounds: config.rounds,
        connections: config.connections,
        latency_rps,
        modes,
    })
}

/// One load phase against a fresh stack: saturating when `rps` is `None`.
async fn phase(
    config: &OverheadConfig,
    mode: Mode,
    rps: Option<f64>,
) -> Result<loadgen::Report, HarnessError> {
    let stack = RunningStack::start(StackConfig {
        tracing: mode.service_tracing(),
        ..StackConfig::default()
    })
    .await?;
    let target = Target::parse(&stack.order_api_url())
        .map_err(|e| HarnessError::Start(format!("order-api URL: {e}")))?;
    let mut load = LoadConfig::new(target, rps.unwrap_or(SATURATING_RPS));
    load.duration = Some(config.duration);
    load.mix = config.mix;
    load.seed = config.seed;
    load.sampler = SamplerChoice::Ratio(mode.loadgen_ratio());
    load.root_spans = RootSpans::Off;
    load.connections = config.connections;
    if rps.is_none() {
        load.max_in_flight = config.connections;
    }
    let report = loadgen::run(load, std::future::pending()).await;
    stack.shutdown().await?;
    Ok(report?)
}

fn median_f64(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn median_u64(values: &[u64]) -> u64 {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

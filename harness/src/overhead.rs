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

use std::{
    fmt,
    str::FromStr,
    time::{Duration, Instant},
};

use loadgen::{LoadConfig, Mix, RootSpans, SamplerChoice, Scenario, Target};
use serde::{Serialize, Serializer};
use telemetry::SamplerConfig;
use tracestore::{RunningTraceStore, TraceStore, TraceStoreConfig};

use crate::{
    error::HarnessError,
    stack::{RunningStack, ServiceTracing, StackConfig},
};

/// A rate no 2-core machine reaches: the saturating phase asks for it and
/// the in-flight cap turns the run closed-loop at the system's own pace.
const SATURATING_RPS: f64 = 1_000_000.0;

/// Share of the machine's CPU used by other processes during a phase above
/// which the report warns that the figures are disturbed.
const BUSY_MACHINE: f64 = 0.05;

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

/// Where the services export their spans during the measurement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Sink {
    /// A tracestore in discard mode in this process (OTLP/gRPC; the spans
    /// are counted by a walk over the protobuf framing, nothing is decoded
    /// or kept): the services' own cost of tracing, as with a remote backend.
    #[default]
    Discard,
    /// The embedded tracestore, ingesting and indexing every span on the
    /// same cores as the services.
    TraceStore,
    /// An external OTLP/gRPC endpoint (a collector or Jaeger elsewhere).
    Endpoint(String),
}

impl fmt::Display for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sink::Discard => f.write_str("discard"),
            Sink::TraceStore => f.write_str("tracestore"),
            Sink::Endpoint(url) => f.write_str(url),
        }
    }
}

impl FromStr for Sink {
    type Err = String;

    /// `discard`, `tracestore`, or an `http(s)://` OTLP/gRPC endpoint.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "discard" => Ok(Sink::Discard),
            "tracestore" => Ok(Sink::TraceStore),
            url if url.starts_with("http://") || url.starts_with("https://") => {
                Ok(Sink::Endpoint(url.to_owned()))
            }
            other => Err(format!(
                "unknown sink {other:?}: expected discard, tracestore or an http:// OTLP/gRPC endpoint"
            )),
        }
    }
}

impl Serialize for Sink {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Sink {
    /// What the sink is, in words, for the report.
    fn description(&self) -> String {
        match self {
            Sink::Discard => "discard (in-process OTLP/gRPC receiver that counts spans and keeps \
                              nothing; tracestore --discard)"
                .to_owned(),
            Sink::TraceStore => {
                "tracestore (embedded, ingesting every span on the same cores)".to_owned()
            }
            Sink::Endpoint(url) => format!("external OTLP/gRPC endpoint {url}"),
        }
    }
}

/// A tracing mode under measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Mode {
    /// `parentbased_always_off`, no exporter: the instrumentation runs, records nothing.
    Off,
    /// `parentbased_traceidratio` with the loadgen sampling at this ratio,
    /// exporting to the sink over OTLP/gRPC.
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
    /// Requests answered over every phase.
    pub requests: u64,
    /// Spans the sink received over every phase (`None` for an external
    /// endpoint, which this process cannot count).
    pub spans_received: Option<u64>,
    /// Spans the contract makes for every request of every phase (known
    /// when every request was sampled and answered as expected).
    pub spans_expected: Option<u64>,
    /// Median CPU time this process (loadgen, services and sink together)
    /// spent per request in the saturating phases, µs (Linux only): the
    /// figure least disturbed by other processes; throughput is its inverse
    /// when the cores are saturated.
    pub cpu_us_per_request: Option<f64>,
    /// Median share of the machine's CPU that other processes used during
    /// this mode's phases (Linux only).
    pub other_cpu: Option<f64>,
}

impl ModeFigures {
    /// Spans received per request answered.
    pub fn spans_per_request(&self) -> Option<f64> {
        let spans = self.spans_received?;
        (self.requests > 0).then(|| spans as f64 / self.requests as f64)
    }
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
    /// Where the spans went.
    pub sink: Sink,
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

    /// Extra CPU per request in `mode`, as a fraction of tracing off's.
    pub fn cpu_overhead(&self, mode: &ModeFigures) -> Option<f64> {
        let off = self.modes.first()?.cpu_us_per_request?;
        Some(mode.cpu_us_per_request? / off - 1.0)
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string());
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
        writeln!(f, "span sink: {}", self.sink.description())?;
        writeln!(
            f,
            "{:<12} {:>10} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>9} {:>6}",
            "mode",
            "max rps",
            "vs off",
            "overhead",
            "cpu/req",
            "cpu +",
            "p50",
            "p99",
            "p99.9",
            "p99 x",
            "spans/req",
            "other"
        )?;
        for m in &self.modes {
            let off_p99 = off.map_or(0, |o| o.p99_us) as f64;
            let spans = m
                .spans_per_request()
                .map_or_else(|| "-".to_owned(), |s| format!("{s:.2}"));
            let other = m
                .other_cpu
                .map_or_else(|| "-".to_owned(), |c| format!("{:.0}%", 100.0 * c));
            let cpu = m
                .cpu_us_per_request
                .map_or_else(|| "-".to_owned(), |c| format!("{c:.0}us"));
            let cpu_overhead = self
                .cpu_overhead(m)
                .map_or_else(|| "-".to_owned(), |c| format!("{:.1}%", 100.0 * c));
            writeln!(
                f,
                "{:<12} {:>10.0} {:>8.3} {:>8.1}% {:>9} {:>9} {:>7.2}ms {:>7.2}ms {:>7.2}ms {:>7.2} {:>9} {:>6}",
                m.mode.to_string(),
                m.max_rps,
                ratio(m.max_rps, off.map_or(0.0, |o| o.max_rps)),
                100.0 * self.throughput_overhead(m),
                cpu,
                cpu_overhead,
                m.p50_us as f64 / 1000.0,
                m.p99_us as f64 / 1000.0,
                m.p999_us as f64 / 1000.0,
                ratio(m.p99_us as f64, off_p99),
                spans,
                other,
            )?;
        }
        for m in &self.modes {
            if m.failed_requests > 0 {
                writeln!(
                    f,
                    "warning: {}: {} failed requests",
                    m.mode, m.failed_requests
                )?;
            }
            if let (Some(got), Some(want)) = (m.spans_received, m.spans_expected)
                && got < want
            {
                writeln!(
                    f,
                    "warning: {}: the sink received {got} of the {want} spans the requests made \
                     (dropped spans make tracing look cheaper)",
                    m.mode
                )?;
            }
            if let Some(other) = m.other_cpu.filter(|c| *c > BUSY_MACHINE) {
                writeln!(
                    f,
                    "warning: {}: other processes used {:.0}% of the CPU during the phases; \
                     the figures are disturbed",
                    m.mode,
                    100.0 * other
                )?;
            }
        }
        Ok(())
    }
}

/// Runs the measurement with the spans exported to [`Sink::Discard`].
pub async fn measure_overhead(config: &OverheadConfig) -> Result<OverheadReport, HarnessError> {
    measure_overhead_to(config, &Sink::Discard).await
}

/// Runs the measurement with the spans exported to `sink`: one unmeasured
/// warm-up phase, then for every round and mode a fresh stack and a
/// saturating phase, then for every round and mode a fixed-rate phase. The
/// order of the modes rotates from round to round, so that no mode always
/// runs first or last.
pub async fn measure_overhead_to(
    config: &OverheadConfig,
    sink: &Sink,
) -> Result<OverheadReport, HarnessError> {
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
            tally[i].add(&outcome);
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
            tally[i].add(&outcome);
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
    fn add(&mut self, outcome: &PhaseOutcome) {
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
        self.spans_expected = sum(self.spans_expected, expected_spans(&outcome.report));
        self.other_cpu.extend(outcome.cpu.map(|c| c.others_share));
    }
}

/// Spans the contract makes per answered request of each scenario: the
/// SERVER spans of both services, the INTERNAL steps and the order-api
/// CLIENT span (docs/CONTRACT.md).
fn contract_spans(scenario: Scenario) -> u64 {
    match scenario {
        // SERVER, validate_order, CLIENT, SERVER, fraud_check, charge_payment, save_order.
        Scenario::Valid => 7,
        // SERVER, validate_order.
        Scenario::Invalid => 2,
        // SERVER, validate_order, CLIENT, SERVER, fraud_check.
        Scenario::Fraud => 5,
        // SERVER.
        Scenario::Health => 1,
    }
}

/// The spans a phase's requests made, when every request was sampled and
/// answered as its scenario expects.
fn expected_spans(report: &loadgen::Report) -> Option<u64> {
    let all_sampled = report.tracing.sampled == report.overall.count;
    if !all_sampled || report.failed_requests() > 0 {
        return None;
    }
    Scenario::ALL
        .into_iter()
        .map(|s| {
            let count = report
                .scenarios
                .iter()
                .find(|r| r.scenario == s.name())
                .map_or(0, |r| r.ok);
            count * contract_spans(s)
        })
        .sum::<u64>()
        .into()
}

/// What one phase measured.
struct PhaseOutcome {
    report: loadgen::Report,
    spans_received: Option<u64>,
    cpu: Option<machine_cpu::Usage>,
}

impl PhaseOutcome {
    fn cpu_us_per_request(&self) -> Option<f64> {
        let requests = self.report.overall.count;
        let cpu = self.cpu.as_ref()?;
        (requests > 0).then(|| cpu.own_seconds * 1e6 / requests as f64)
    }
}

/// One load phase against a fresh stack (and a fresh sink): saturating when
/// `rps` is `None`.
async fn phase(
    config: &OverheadConfig,
    sink: &Sink,
    mode: Mode,
    rps: Option<f64>,
) -> Result<PhaseOutcome, HarnessError> {
    let discard = match sink {
        Sink::Discard => Some(start_discard_sink().await?),
        _ => None,
    };
    let otlp_endpoint = match (sink, &discard) {
        (_, Some(d)) => Some(d.otlp_grpc_endpoint()),
        (Sink::Endpoint(url), _) => Some(url.clone()),
        _ => None,
    };
    let stack = RunningStack::start(StackConfig {
        tracing: mode.service_tracing(),
        otlp_endpoint,
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
    let cpu = machine_cpu::Sample::now();
    let report = loadgen::run(load, std::future::pending()).await;
    let cpu = cpu.and_then(|c| c.usage_since());
    stack.flush().await?;
    let in_stack_store = stack.store().map(|s| s.stats().received_spans);
    stack.shutdown().await?;
    let spans_received = match discard {
        Some(d) => {
            let spans = d.stats().received_spans;
            d.shutdown().await;
            Some(spans)
        }
        None => in_stack_store,
    };
    Ok(PhaseOutcome {
        report: report?,
        spans_received,
        cpu,
    })
}

async fn start_discard_sink() -> Result<RunningTraceStore, HarnessError> {
    TraceStore::start(TraceStoreConfig {
        discard: true,
        ..TraceStoreConfig::ephemeral()
    })
    .await
    .map_err(|e| HarnessError::Start(format!("the discard sink: {e}")))
}

/// The middle value (the upper one of an even count), zero when empty.
fn median<T: Copy + Default + PartialOrd>(values: &[T]) -> T {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// How busy the rest of the machine is: the CPU time of every process
/// (`/proc/stat`) minus this one's (`/proc/self/stat`), over a phase.
mod machine_cpu {
    use super::Instant;

    /// USER_HZ, the unit of `/proc`'s CPU times: 100 on every Linux ABI.
    const TICKS_PER_SECOND: f64 = 100.0;

    /// CPU use over an interval.
    #[derive(Debug, Clone, Copy)]
    pub(super) struct Usage {
        /// CPU time of this process, seconds.
        pub(super) own_seconds: f64,
        /// The share of all CPUs the other processes used (0 to 1).
        pub(super) others_share: f64,
    }

    /// CPU times at one moment, in clock ticks.
    pub(super) struct Sample {
        at: Instant,
        machine_busy: u64,
        own: u64,
        cpus: u64,
    }

    impl Sample {
        /// Now; `None` where `/proc` cannot be read.
        pub(super) fn now() -> Option<Sample> {
            let (machine_busy, cpus) = machine_busy()?;
            Some(Sample {
                at: Instant::now(),
                machine_busy,
                own: own_ticks()?,
                cpus,
            })
        }

        /// The CPU use since this sample.
        pub(super) fn usage_since(&self) -> Option<Usage> {
            let later = Sample::now()?;
            let capacity = later.at.duration_since(self.at).as_secs_f64()
                * TICKS_PER_SECOND
                * self.cpus as f64;
            let own = later.own.saturating_sub(self.own);
            let others = (later.machine_busy.saturating_sub(self.machine_busy)).saturating_sub(own);
            (capacity > 0.0).then(|| Usage {
                own_seconds: own as f64 / TICKS_PER_SECOND,
                others_share: (others as f64 / capacity).min(1.0),
            })
        }
    }

    /// Busy ticks of all CPUs (everything but idle and iowait) and the
    /// number of CPUs.
    fn machine_busy() -> Option<(u64, u64)> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let mut lines = stat.lines();
        let total: Vec<u64> = lines
            .next()?
            .strip_prefix("cpu ")?
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        let cpus = lines
            .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
            .count() as u64;
        // user nice system idle iowait irq softirq steal ...
        let idle = total.get(3)? + total.get(4)?;
        let busy = total.iter().take(8).sum::<u64>().checked_sub(idle)?;
        Some((busy, cpus.max(1)))
    }

    /// This process's user + system ticks.
    fn own_ticks() -> Option<u64> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the parenthesised command name: state is field 3,
        // utime and stime are fields 14 and 15.
        let rest = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        Some(utime + stime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_round_whatever_the_order() {
        assert_eq!(median(&[15_633.7, 11_720.3, 14_325.0]), 14_325.0);
        assert_eq!(
            median(&[9_u64, 1, 5, 7]),
            7,
            "upper middle of an even count"
        );
        assert_eq!(median::<u64>(&[]), 0);
    }

    #[test]
    fn sinks_parse_and_print() {
        assert_eq!("discard".parse::<Sink>(), Ok(Sink::Discard));
        assert_eq!("tracestore".parse::<Sink>(), Ok(Sink::TraceStore));
        assert_eq!(
            "http://jaeger:4317".parse::<Sink>(),
            Ok(Sink::Endpoint("http://jaeger:4317".into()))
        );
        assert!("jaeger".parse::<Sink>().is_err());
        for s in ["discard", "tracestore", "http://jaeger:4317"] {
            assert_eq!(s.parse::<Sink>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn every_mode_leads_one_round() {
        let firsts: Vec<usize> = (0..3).map(|r| rotated(r, 3).next().unwrap()).collect();
        assert_eq!(firsts, [0, 1, 2]);
        let mut round: Vec<usize> = rotated(1, 3).collect();
        assert_eq!(round, [1, 2, 0]);
        round.sort_unstable();
        assert_eq!(round, [0, 1, 2]);
    }

    #[test]
    fn machine_cpu_counts_this_process_and_a_share_of_the_rest() {
        let Some(sample) = machine_cpu::Sample::now() else {
            return; // No /proc here.
        };
        // Spin until this process has used a clock tick of CPU.
        let deadline = Instant::now() + Duration::from_secs(10);
        let usage = loop {
            let usage = sample.usage_since().expect("a second sample");
            if usage.own_seconds > 0.0 || Instant::now() > deadline {
                break usage;
            }
            std::hint::black_box(Instant::now());
        };
        assert!(usage.own_seconds > 0.0, "{usage:?}");
        assert!((0.0..=1.0).contains(&usage.others_share), "{usage:?}");
    }
}

//! The measurement's figures, their ratios to tracing off, and the table.

use std::fmt;

use serde::Serialize;

use super::{Mode, Sink};

/// Share of the machine's CPU used by other processes during a phase above
/// which the report warns that the figures are disturbed.
const BUSY_MACHINE: f64 = 0.05;

/// One mode's figures (medians over the rounds).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ModeFigures {
    /// The mode.
    pub(crate) mode: Mode,
    /// Maximum throughput of each round, requests per second.
    pub(crate) max_rps_rounds: Vec<f64>,
    /// Median maximum throughput.
    pub(crate) max_rps: f64,
    /// Median p50 latency at the fixed rate, µs.
    pub(crate) p50_us: u64,
    /// Median p99 latency at the fixed rate, µs.
    pub(crate) p99_us: u64,
    /// Median p99.9 latency at the fixed rate, µs.
    pub(crate) p999_us: u64,
    /// Requests that did not get their expected answer, over every phase.
    pub(crate) failed_requests: u64,
    /// Requests answered over every phase.
    pub(crate) requests: u64,
    /// Spans the sink received over every phase (`None` for an external
    /// endpoint, which this process cannot count).
    pub(crate) spans_received: Option<u64>,
    /// Spans the contract makes for every request of every phase (known
    /// when every request was sampled and answered as expected).
    pub(crate) spans_expected: Option<u64>,
    /// Median CPU time this process (loadgen, services and sink together)
    /// spent per request in the saturating phases, µs (Linux only): the
    /// figure least disturbed by other processes; throughput is its inverse
    /// when the cores are saturated.
    pub(crate) cpu_us_per_request: Option<f64>,
    /// Median share of the machine's CPU that other processes used during
    /// this mode's phases (Linux only).
    pub(crate) other_cpu: Option<f64>,
}

impl ModeFigures {
    /// Spans received per request answered.
    pub(crate) fn spans_per_request(&self) -> Option<f64> {
        let spans = self.spans_received?;
        (self.requests > 0).then(|| spans as f64 / self.requests as f64)
    }
}

/// The whole measurement.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct OverheadReport {
    /// Length of every phase, seconds.
    pub(crate) duration_s: f64,
    /// Rounds per mode.
    pub(crate) rounds: u32,
    /// Connections of the saturating phase.
    pub(crate) connections: usize,
    /// Rate of the latency phase.
    pub(crate) latency_rps: f64,
    /// Where the spans went.
    pub(crate) sink: Sink,
    /// Tracing off, sampler 0.1, sampler 1.0.
    pub(crate) modes: Vec<ModeFigures>,
}

impl OverheadReport {
    /// Throughput lost to tracing in `mode`, as a fraction of tracing off
    /// (0.03 is 3%).
    pub(crate) fn throughput_overhead(&self, mode: &ModeFigures) -> f64 {
        let off = self.modes.first().map_or(0.0, |m| m.max_rps);
        if off > 0.0 {
            1.0 - mode.max_rps / off
        } else {
            0.0
        }
    }

    /// Extra CPU per request in `mode`, as a fraction of tracing off's.
    pub(crate) fn cpu_overhead(&self, mode: &ModeFigures) -> Option<f64> {
        let off = self.modes.first()?.cpu_us_per_request?;
        Some(mode.cpu_us_per_request? / off - 1.0)
    }

    /// The report as pretty JSON.
    pub(crate) fn to_json(&self) -> String {
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

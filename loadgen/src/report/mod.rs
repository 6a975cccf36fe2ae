//! The result of a run: the report's schema (this file), built from a run's
//! counters (`build.rs`), combined over shards ([`merge()`], `merge.rs`),
//! written as a human table (`table.rs`, through [`std::fmt::Display`]) and
//! as JSON with the HDR histograms serialized (`histogram_serde.rs`).

mod build;
mod histogram_serde;
mod merge;
mod table;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

pub(crate) use build::{RunFigures, StageFigures};
pub use merge::merge;

/// The `format` of the JSON reports this version writes and merges.
pub const REPORT_FORMAT: &str = "loadgen-report/2";

/// A run's (or several merged runs') figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`REPORT_FORMAT`].
    pub format: String,
    /// The runs this report covers: one, or one per merged shard.
    pub runs: Vec<RunInfo>,
    /// How well the open-loop schedule was kept.
    pub schedule: ScheduleReport,
    /// Per stage of a `--stages` run (empty otherwise): the rate asked and
    /// the rate achieved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageReport>,
    /// Sampling and root spans.
    pub tracing: TracingReport,
    /// All scenarios together (`scenario` is `"all"`).
    pub overall: ScenarioReport,
    /// One entry per scenario that had requests or weight, in contract order.
    pub scenarios: Vec<ScenarioReport>,
    /// Conditions that fail the run besides failed requests (a manifest that
    /// could not be written, root spans that were not exported).
    pub problems: Vec<String>,
}

/// What one run was asked to do, and when it ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The loadgen version that wrote the report.
    pub loadgen_version: String,
    /// The target base URL.
    pub target: String,
    /// Wall-clock start (RFC 3339, UTC).
    pub started_at: String,
    /// From the start to the last answer, seconds.
    pub elapsed_s: f64,
    /// The rate asked of all shards together.
    pub rps_total: f64,
    /// This run's share of it.
    pub rps: f64,
    /// `--duration` (or the stages' total), seconds.
    pub duration_s: Option<f64>,
    /// `--stages`, as `DURATION:RATE` (empty without).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,
    /// `--requests` (all shards together).
    pub requests: Option<u64>,
    /// `i/n`.
    pub shard: crate::config::Shard,
    /// The seed of the scenario sequence, payloads and trace ids.
    pub seed: u64,
    /// The scenario weights.
    pub mix: String,
    /// The scenarios file (`order-payment.toml` when the shipped one).
    pub scenarios: String,
    /// The trace context format sent (`tracecontext`, `b3`, ...).
    pub propagator: String,
    /// The sampling ratio, or `none`.
    pub sampler: String,
    /// Whether CLIENT spans were exported.
    pub root_spans: bool,
    /// Keep-alive connections.
    pub connections: usize,
    /// The in-flight cap.
    pub max_in_flight: usize,
    /// Per-request timeout, ms.
    pub timeout_ms: u64,
    /// Whether a stop request (Ctrl-C) ended the run before its end.
    pub stopped_early: bool,
}

/// One stage of a staged run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageReport {
    /// The stage's length, seconds.
    pub seconds: f64,
    /// The rate at its start and at its end (all shards together).
    pub from_rps: f64,
    /// The rate at its end.
    pub to_rps: f64,
    /// Requests due in the stage (this run's, or the merged runs').
    pub intended: u64,
    /// Requests that started in the stage's time window.
    pub sent: u64,
    /// `intended` over the stage's length.
    pub intended_rps: f64,
    /// `sent` over the stage's length.
    pub achieved_rps: f64,
}

/// How well the run kept to its schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleReport {
    /// Requests put on a connection.
    pub sent: u64,
    /// Requests due but dropped by a stop before a connection picked them up.
    pub cancelled: u64,
    /// The rate asked of these runs together.
    pub intended_rps: f64,
    /// Requests sent divided by the time from the first slot to the last
    /// actual start plus one interval (summed over merged runs).
    pub achieved_rps: f64,
    /// Times a due request found the in-flight cap reached and had to wait.
    pub cap_hits: u64,
    /// Requests of a timed run never sent: the run fell so far behind that
    /// its duration plus a grace (a tenth, at least 1 s) ran out first.
    pub missed: u64,
    /// Actual minus intended start.
    pub start_lag: Latency,
}

/// Sampling decisions and root spans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TracingReport {
    /// Requests sent with (or, with `--sampler none`, reported with) the sampled flag.
    pub sampled: u64,
    /// Requests not sampled.
    pub not_sampled: u64,
    /// `--sampler none` answers without a `traceresponse`.
    pub unknown: u64,
    /// CLIENT spans ended (one per sampled request when root spans are on).
    pub root_spans_ended: u64,
    /// CLIENT spans the exporter accepted.
    pub root_spans_exported: u64,
}

/// Counts and latency of one scenario, or of all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioReport {
    /// `valid`, `invalid`, `fraud`, `health` or `all`.
    pub scenario: String,
    /// The statuses the scenario expects (empty for `all`).
    pub expected_status: Vec<u16>,
    /// Requests that finished.
    pub count: u64,
    /// Requests answered with the expected status.
    pub ok: u64,
    /// Requests answered with another status.
    pub unexpected_status: u64,
    /// Transport failures by kind.
    pub errors: ErrorCounts,
    /// Answers by status code.
    pub statuses: BTreeMap<String, u64>,
    /// `count` per second of the send window.
    pub achieved_rps: f64,
    /// Coordinated-omission corrected latency (from the intended start).
    pub latency: Latency,
    /// The slowest sampled requests, slowest first (at most 10), with their
    /// trace ids.
    #[serde(default)]
    pub slowest: Vec<crate::exemplars::Exemplar>,
    /// A sampled request at each percentile of interest (p50, p90, p99,
    /// p99.9, max); empty when none was sampled.
    #[serde(default)]
    pub exemplars: Vec<crate::exemplars::PercentileExemplar>,
}

/// Transport failures by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCounts {
    /// No connection.
    pub connect: u64,
    /// No complete answer in time.
    pub timeout: u64,
    /// The connection broke.
    pub io: u64,
}

impl ErrorCounts {
    /// All transport failures.
    pub fn total(&self) -> u64 {
        self.connect + self.timeout + self.io
    }
}

/// Percentiles in µs and the histogram they come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Largest value.
    pub max_us: u64,
    /// Mean.
    pub mean_us: f64,
    /// The HDR histogram (µs) in the standard base64 V2-deflate encoding of
    /// HdrHistogram logs.
    #[serde(with = "histogram_serde")]
    pub histogram: Histogram<u64>,
}

impl Latency {
    /// The summary of a histogram of µs.
    pub fn from_histogram(histogram: Histogram<u64>) -> Latency {
        let q = |q: f64| {
            if histogram.is_empty() {
                0
            } else {
                histogram.value_at_quantile(q)
            }
        };
        Latency {
            p50_us: q(0.5),
            p90_us: q(0.9),
            p99_us: q(0.99),
            p999_us: q(0.999),
            max_us: if histogram.is_empty() {
                0
            } else {
                histogram.max()
            },
            mean_us: if histogram.is_empty() {
                0.0
            } else {
                histogram.mean()
            },
            histogram,
        }
    }
}

impl Report {
    /// Requests that did not end with the expected status.
    pub fn failed_requests(&self) -> u64 {
        self.overall.unexpected_status + self.overall.errors.total()
    }

    /// No failed request and no problem.
    pub fn passed(&self) -> bool {
        self.failed_requests() == 0 && self.problems.is_empty()
    }

    /// Whether the schedule was not kept: the achieved rate is more than 1%
    /// below the intended one, or the in-flight cap was hit.
    pub fn behind_schedule(&self) -> bool {
        self.schedule.cap_hits > 0 || self.schedule.achieved_rps < self.schedule.intended_rps * 0.99
    }

    /// One line: what went wrong, for a failing exit.
    pub fn summary_line(&self) -> String {
        let o = &self.overall;
        let mut kinds = Vec::new();
        for (name, n) in [
            ("unexpected status", o.unexpected_status),
            ("connect", o.errors.connect),
            ("timeout", o.errors.timeout),
            ("io", o.errors.io),
        ] {
            if n > 0 {
                kinds.push(format!("{name} {n}"));
            }
        }
        let targets: Vec<&str> = self.runs.iter().map(|r| r.target.as_str()).collect();
        let mut line = format!(
            "{} of {} requests failed against {}",
            self.failed_requests(),
            o.count,
            dedup(&targets)
        );
        if !kinds.is_empty() {
            line.push_str(&format!(" ({})", kinds.join(", ")));
        }
        for p in &self.problems {
            line.push_str("; ");
            line.push_str(p);
        }
        line
    }

    /// The JSON form (pretty-printed).
    pub fn to_json(&self) -> String {
        // Plain data and a histogram encoder that cannot fail on a Vec.
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string())
    }

    /// Reads a JSON report.
    pub fn from_json(text: &str) -> Result<Report, serde_json::Error> {
        serde_json::from_str(text)
    }
}

fn dedup(items: &[&str]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for i in items {
        if !seen.contains(i) {
            seen.push(i);
        }
    }
    seen.join(", ")
}

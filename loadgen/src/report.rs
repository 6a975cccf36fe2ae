//! The result of a run: a human table ([`std::fmt::Display`]), a JSON form
//! with the serialized HDR histograms, and [`merge`] for several shards.

use std::{collections::BTreeMap, fmt};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::{
    error::MergeError,
    scenario::Scenario,
    stats::{ScenarioStats, Stats},
};

/// The `format` of the JSON reports this version writes and merges.
pub const REPORT_FORMAT: &str = "loadgen-report/1";

/// A run's (or several merged runs') figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`REPORT_FORMAT`].
    pub format: String,
    /// The runs this report covers: one, or one per merged shard.
    pub runs: Vec<RunInfo>,
    /// How well the open-loop schedule was kept.
    pub schedule: ScheduleReport,
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
    /// `--duration`, seconds.
    pub duration_s: Option<f64>,
    /// `--requests` (all shards together).
    pub requests: Option<u64>,
    /// `i/n`.
    pub shard: crate::config::Shard,
    /// The seed of the scenario sequence, payloads and trace ids.
    pub seed: u64,
    /// The scenario weights.
    pub mix: String,
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
    /// The status the scenario expects (`None` for `all`).
    pub expected_status: Option<u16>,
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
    #[serde(with = "histogram_base64")]
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

    fn merged(&self, other: &Latency) -> Result<Latency, String> {
        let mut h = self.histogram.clone();
        h.add(&other.histogram).map_err(|e| format!("{e:?}"))?;
        Ok(Latency::from_histogram(h))
    }
}

mod histogram_base64 {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use hdrhistogram::{
        Histogram,
        serialization::{Deserializer as HdrDeserializer, Serializer as _, V2DeflateSerializer},
    };
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _, ser::Error as _};

    pub(super) fn serialize<S: Serializer>(h: &Histogram<u64>, ser: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(h, &mut bytes)
            .map_err(|e| S::Error::custom(format!("{e:?}")))?;
        ser.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        de: D,
    ) -> Result<Histogram<u64>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(de)?;
        let bytes = STANDARD
            .decode(text.as_bytes())
            .map_err(|e| D::Error::custom(format!("histogram is not base64: {e}")))?;
        let mut h: Histogram<u64> = HdrDeserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| D::Error::custom(format!("histogram does not decode: {e:?}")))?;
        h.auto(true);
        Ok(h)
    }
}

/// The figures of one run, before they become a [`Report`].
pub(crate) struct RunFigures {
    pub(crate) info: RunInfo,
    pub(crate) stats: Stats,
    pub(crate) sent: u64,
    pub(crate) cancelled: u64,
    pub(crate) cap_hits: u64,
    pub(crate) missed: u64,
    /// Seconds from the first slot to the last actual start, plus one interval.
    pub(crate) send_window_s: f64,
    pub(crate) root_spans_ended: u64,
    pub(crate) root_spans_exported: u64,
    pub(crate) problems: Vec<String>,
    pub(crate) weighted: [bool; 4],
}

impl Report {
    pub(crate) fn from_run(f: RunFigures) -> Report {
        let rate = |n: u64| {
            if f.send_window_s > 0.0 {
                n as f64 / f.send_window_s
            } else {
                0.0
            }
        };
        let scenario_report =
            |name: &str, expected: Option<u16>, s: &ScenarioStats| ScenarioReport {
                scenario: name.to_owned(),
                expected_status: expected,
                count: s.count,
                ok: s.ok,
                unexpected_status: s.unexpected_status,
                errors: ErrorCounts {
                    connect: s.connect,
                    timeout: s.timeout,
                    io: s.io,
                },
                statuses: s
                    .statuses
                    .iter()
                    .map(|(k, v)| (k.to_string(), *v))
                    .collect(),
                achieved_rps: rate(s.count),
                latency: Latency::from_histogram(s.latency.clone()),
            };
        let mut all = ScenarioStats::default();
        for s in &f.stats.scenarios {
            all.merge(s);
        }
        let scenarios = Scenario::ALL
            .into_iter()
            .filter(|sc| f.weighted[sc.index()] || f.stats.scenarios[sc.index()].count > 0)
            .map(|sc| {
                scenario_report(
                    sc.name(),
                    Some(sc.expected_status()),
                    &f.stats.scenarios[sc.index()],
                )
            })
            .collect();
        Report {
            format: REPORT_FORMAT.to_owned(),
            schedule: ScheduleReport {
                sent: f.sent,
                cancelled: f.cancelled,
                intended_rps: f.info.rps,
                achieved_rps: rate(f.sent),
                cap_hits: f.cap_hits,
                missed: f.missed,
                start_lag: Latency::from_histogram(f.stats.start_lag.clone()),
            },
            tracing: TracingReport {
                sampled: f.stats.sampled,
                not_sampled: f.stats.not_sampled,
                unknown: f.stats.sampling_unknown,
                root_spans_ended: f.root_spans_ended,
                root_spans_exported: f.root_spans_exported,
            },
            overall: scenario_report("all", None, &all),
            scenarios,
            problems: f.problems,
            runs: vec![f.info],
        }
    }

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
    pub fn from_json(text: &str) -> Result<Report, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
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

/// Combines the reports of several shards (or runs) into one: counts and
/// rates add up, histograms are added and the percentiles recomputed.
pub fn merge(reports: &[Report]) -> Result<Report, MergeError> {
    let (first, rest) = reports.split_first().ok_or(MergeError::Empty)?;
    for (index, r) in reports.iter().enumerate() {
        if r.format != REPORT_FORMAT {
            return Err(MergeError::Format {
                index,
                found: r.format.clone(),
                expected: REPORT_FORMAT,
            });
        }
    }
    let mut merged = first.clone();
    for (i, r) in rest.iter().enumerate() {
        let index = i + 1;
        let hist_err = |reason: String| MergeError::Histogram { index, reason };
        merged.runs.extend(r.runs.iter().cloned());
        let s = &mut merged.schedule;
        s.sent += r.schedule.sent;
        s.cancelled += r.schedule.cancelled;
        s.intended_rps += r.schedule.intended_rps;
        s.achieved_rps += r.schedule.achieved_rps;
        s.cap_hits += r.schedule.cap_hits;
        s.missed += r.schedule.missed;
        s.start_lag = s
            .start_lag
            .merged(&r.schedule.start_lag)
            .map_err(hist_err)?;
        let t = &mut merged.tracing;
        t.sampled += r.tracing.sampled;
        t.not_sampled += r.tracing.not_sampled;
        t.unknown += r.tracing.unknown;
        t.root_spans_ended += r.tracing.root_spans_ended;
        t.root_spans_exported += r.tracing.root_spans_exported;
        merged.overall = merge_scenario(&merged.overall, &r.overall).map_err(hist_err)?;
        for theirs in &r.scenarios {
            match merged
                .scenarios
                .iter_mut()
                .find(|m| m.scenario == theirs.scenario)
            {
                Some(mine) => *mine = merge_scenario(mine, theirs).map_err(hist_err)?,
                None => merged.scenarios.push(theirs.clone()),
            }
        }
        merged.problems.extend(r.problems.iter().cloned());
    }
    merged.scenarios.sort_by_key(|s| {
        s.scenario
            .parse::<Scenario>()
            .map_or(usize::MAX, Scenario::index)
    });
    Ok(merged)
}

fn merge_scenario(a: &ScenarioReport, b: &ScenarioReport) -> Result<ScenarioReport, String> {
    let mut statuses = a.statuses.clone();
    for (k, v) in &b.statuses {
        *statuses.entry(k.clone()).or_default() += v;
    }
    Ok(ScenarioReport {
        scenario: a.scenario.clone(),
        expected_status: a.expected_status,
        count: a.count + b.count,
        ok: a.ok + b.ok,
        unexpected_status: a.unexpected_status + b.unexpected_status,
        errors: ErrorCounts {
            connect: a.errors.connect + b.errors.connect,
            timeout: a.errors.timeout + b.errors.timeout,
            io: a.errors.io + b.errors.io,
        },
        statuses,
        achieved_rps: a.achieved_rps + b.achieved_rps,
        latency: a.latency.merged(&b.latency)?,
    })
}

fn ms(us: u64) -> String {
    format!("{:.2}ms", us as f64 / 1000.0)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let run = &self.runs[..];
        if let [r] = run {
            writeln!(
                f,
                "loadgen {} -> {}: seed {}, shard {}, mix {}, sampler {}, root spans {}",
                r.loadgen_version,
                r.target,
                r.seed,
                r.shard,
                r.mix,
                r.sampler,
                if r.root_spans { "on" } else { "off" }
            )?;
            if r.stopped_early {
                writeln!(f, "stopped early: the remaining schedule was not sent")?;
            }
        } else {
            let targets: Vec<&str> = run.iter().map(|r| r.target.as_str()).collect();
            writeln!(
                f,
                "loadgen: {} merged runs -> {}",
                run.len(),
                dedup(&targets)
            )?;
        }
        let elapsed = run.iter().map(|r| r.elapsed_s).fold(0.0, f64::max);
        let s = &self.schedule;
        writeln!(
            f,
            "schedule: {} sent in {:.2}s, intended {:.1} rps, achieved {:.1} rps; start lag p50 {} p99 {} max {}; in-flight cap hit {} times{}",
            s.sent,
            elapsed,
            s.intended_rps,
            s.achieved_rps,
            ms(s.start_lag.p50_us),
            ms(s.start_lag.p99_us),
            ms(s.start_lag.max_us),
            s.cap_hits,
            if s.cancelled > 0 {
                format!("; {} cancelled by the stop", s.cancelled)
            } else {
                String::new()
            }
        )?;
        if s.missed > 0 {
            writeln!(
                f,
                "missed: {} scheduled requests were never sent (the run fell behind past its duration)",
                s.missed
            )?;
        }
        if self.behind_schedule() {
            writeln!(
                f,
                "WARNING: the load generator did not keep up with the schedule (latencies below include the wait)"
            )?;
        }
        let t = &self.tracing;
        let decided = t.sampled + t.not_sampled;
        write!(
            f,
            "tracing: {} sampled of {} ({:.2}%)",
            t.sampled,
            decided + t.unknown,
            if decided > 0 {
                100.0 * t.sampled as f64 / decided as f64
            } else {
                0.0
            }
        )?;
        if t.unknown > 0 {
            write!(f, ", {} without traceresponse", t.unknown)?;
        }
        if run.iter().any(|r| r.root_spans) {
            write!(
                f,
                "; root spans exported {} of {}",
                t.root_spans_exported, t.root_spans_ended
            )?;
        }
        writeln!(f)?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<9}{:>9}{:>10}{:>9}{:>11}{:>9}{:>9}{:>6}{:>10}{:>10}{:>10}{:>10}{:>10}",
            "scenario",
            "requests",
            "rate/s",
            "ok",
            "unexpected",
            "connect",
            "timeout",
            "io",
            "p50",
            "p90",
            "p99",
            "p99.9",
            "max"
        )?;
        for r in self.scenarios.iter().chain(std::iter::once(&self.overall)) {
            let l = &r.latency;
            writeln!(
                f,
                "{:<9}{:>9}{:>10.1}{:>9}{:>11}{:>9}{:>9}{:>6}{:>10}{:>10}{:>10}{:>10}{:>10}",
                r.scenario,
                r.count,
                r.achieved_rps,
                r.ok,
                r.unexpected_status,
                r.errors.connect,
                r.errors.timeout,
                r.errors.io,
                ms(l.p50_us),
                ms(l.p90_us),
                ms(l.p99_us),
                ms(l.p999_us),
                ms(l.max_us)
            )?;
        }
        write!(f, "statuses:")?;
        for r in &self.scenarios {
            let codes: Vec<String> = r.statuses.iter().map(|(k, v)| format!("{k}x{v}")).collect();
            let expected = r
                .expected_status
                .map_or(String::new(), |e| format!(" (expect {e})"));
            write!(
                f,
                " {}{} {};",
                r.scenario,
                expected,
                if codes.is_empty() {
                    "-".to_owned()
                } else {
                    codes.join(" ")
                }
            )?;
        }
        writeln!(f)?;
        for p in &self.problems {
            writeln!(f, "PROBLEM: {p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{config::Shard, manifest::Outcome, stats::Finished};

    fn figures(shard: u32, latencies: &[(Scenario, u64, Option<u16>)]) -> RunFigures {
        let mut stats = Stats::default();
        for &(scenario, us, status) in latencies {
            let outcome = match status {
                Some(s) if s == scenario.expected_status() => Outcome::Ok,
                Some(_) => Outcome::UnexpectedStatus,
                None => Outcome::Connect,
            };
            stats.record(&Finished {
                scenario,
                outcome,
                status,
                latency_us: us,
                start_lag_us: 5,
                sampled: Some(us % 2 == 0),
            });
        }
        RunFigures {
            info: RunInfo {
                loadgen_version: "0.1.0".into(),
                target: "http://127.0.0.1:8000".into(),
                started_at: "2025-01-01T00:00:00Z".into(),
                elapsed_s: 1.0,
                rps_total: 20.0,
                rps: 10.0,
                duration_s: Some(1.0),
                requests: None,
                shard: Shard {
                    index: shard,
                    count: 2,
                },
                seed: 1,
                mix: "valid=80,invalid=10,fraud=10".into(),
                sampler: "1".into(),
                root_spans: false,
                connections: 1,
                max_in_flight: 10,
                timeout_ms: 1000,
                stopped_early: false,
            },
            sent: latencies.len() as u64,
            stats,
            cancelled: 0,
            cap_hits: 0,
            missed: 0,
            send_window_s: 1.0,
            root_spans_ended: 0,
            root_spans_exported: 0,
            problems: Vec::new(),
            weighted: [true, true, true, false],
        }
    }

    #[test]
    fn json_round_trips_with_the_histograms() {
        let r = Report::from_run(figures(
            0,
            &[
                (Scenario::Valid, 1000, Some(201)),
                (Scenario::Fraud, 250_000, Some(402)),
            ],
        ));
        let back = Report::from_json(&r.to_json()).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.overall.latency.histogram.len(), 2);
        assert_eq!(
            r.scenarios.len(),
            3,
            "weighted scenarios are listed even when empty"
        );
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert!(v["overall"]["latency"]["histogram"].is_string());
        assert_eq!(v["scenarios"][0]["statuses"]["201"], 1);
    }

    #[test]
    fn merge_adds_counts_rates_and_histograms() {
        let a = Report::from_run(figures(
            0,
            &[
                (Scenario::Valid, 1000, Some(201)),
                (Scenario::Valid, 3000, Some(500)),
            ],
        ));
        let mut b_fig = figures(
            1,
            &[
                (Scenario::Valid, 900_000, Some(201)),
                (Scenario::Health, 10, None),
            ],
        );
        b_fig.problems.push("manifest failed".into());
        let b = Report::from_run(b_fig);
        let m = merge(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(m.runs.len(), 2);
        assert_eq!(m.overall.count, 4);
        assert_eq!(m.schedule.sent, 4);
        assert_eq!(m.schedule.intended_rps, 20.0);
        assert_eq!(m.schedule.achieved_rps, 4.0);
        assert_eq!(m.overall.latency.histogram.len(), 4);
        assert!(m.overall.latency.max_us >= 899_000);
        let valid = &m.scenarios[0];
        assert_eq!(
            (
                valid.scenario.as_str(),
                valid.count,
                valid.unexpected_status
            ),
            ("valid", 3, 1)
        );
        assert_eq!(valid.statuses["201"], 2);
        assert_eq!(m.scenarios.last().unwrap().scenario, "health");
        assert_eq!(m.failed_requests(), 2);
        assert_eq!(m.problems, vec!["manifest failed".to_string()]);
        // Merging through JSON gives the same.
        let via_json = merge(&[
            Report::from_json(&a.to_json()).unwrap(),
            Report::from_json(&b.to_json()).unwrap(),
        ])
        .unwrap();
        assert_eq!(via_json, m);
    }

    #[test]
    fn merge_refuses_what_it_cannot_combine() {
        assert_eq!(merge(&[]), Err(MergeError::Empty));
        let mut r = Report::from_run(figures(0, &[]));
        r.format = "other/9".into();
        assert!(matches!(
            merge(&[r]),
            Err(MergeError::Format { index: 0, .. })
        ));
        assert!(Report::from_json(r#"{"format":"loadgen-report/1"}"#).is_err());
    }

    #[test]
    fn the_table_and_the_summary_say_what_happened() {
        let r = Report::from_run(figures(
            0,
            &[
                (Scenario::Valid, 1000, Some(201)),
                (Scenario::Invalid, 2000, None),
            ],
        ));
        let table = r.to_string();
        assert!(table.contains("achieved 2.0 rps"), "{table}");
        assert!(
            table
                .lines()
                .any(|l| l.starts_with("invalid") && l.contains("2.00ms")),
            "{table}"
        );
        assert!(
            table.contains("statuses: valid (expect 201) 201x1;"),
            "{table}"
        );
        assert_eq!(
            r.summary_line(),
            "1 of 2 requests failed against http://127.0.0.1:8000 (connect 1)"
        );
        assert!(!r.passed());
    }
}

//! Turning one run's counters into a [`Report`].

use std::sync::Arc;

use super::{
    ErrorCounts, Latency, REPORT_FORMAT, Report, RunInfo, ScenarioReport, ScheduleReport,
    StageReport, TracingReport,
};
use crate::{
    scenario::ScenarioSet,
    stats::{self, ScenarioStats, Stats},
};

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
    /// The run's scenarios, in the order of the statistics.
    pub(crate) scenarios: Arc<ScenarioSet>,
    /// Per stage of a staged run.
    pub(crate) stages: Vec<StageFigures>,
}

/// One stage's counts.
pub(crate) struct StageFigures {
    pub(crate) seconds: f64,
    pub(crate) from_rps: f64,
    pub(crate) to_rps: f64,
    pub(crate) intended: u64,
    pub(crate) sent: u64,
}

impl Report {
    /// The report of one run.
    pub(crate) fn from_run(f: RunFigures) -> Report {
        let rate = |n: u64| {
            if f.send_window_s > 0.0 {
                n as f64 / f.send_window_s
            } else {
                0.0
            }
        };
        let scenario_report = |name: &str, expected: &[u16], s: &ScenarioStats| ScenarioReport {
            scenario: name.to_owned(),
            expected_status: expected.to_vec(),
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
            slowest: s.exemplars.slowest(),
            exemplars: s.exemplars.at_percentiles(&s.latency),
        };
        let mut all = ScenarioStats::default();
        for s in &f.stats.scenarios {
            stats::add(&mut all, s);
        }
        let scenarios = f
            .scenarios
            .iter()
            .zip(&f.stats.scenarios)
            .filter(|(sc, st)| sc.weight() > 0 || st.count > 0)
            .map(|(sc, st)| scenario_report(sc.name(), sc.expected_statuses(), st))
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
            stages: f
                .stages
                .iter()
                .map(|st| StageReport {
                    seconds: st.seconds,
                    from_rps: st.from_rps,
                    to_rps: st.to_rps,
                    intended: st.intended,
                    sent: st.sent,
                    intended_rps: st.intended as f64 / st.seconds,
                    achieved_rps: st.sent as f64 / st.seconds,
                })
                .collect(),
            tracing: TracingReport {
                sampled: f.stats.sampled,
                not_sampled: f.stats.not_sampled,
                unknown: f.stats.sampling_unknown,
                root_spans_ended: f.root_spans_ended,
                root_spans_exported: f.root_spans_exported,
            },
            overall: scenario_report("all", &[], &all),
            scenarios,
            problems: f.problems,
            runs: vec![f.info],
        }
    }
}

//! What the connections record while a run goes: per-scenario counts and
//! HDR latency histograms (sharded to keep locks uncontended), and live
//! counters for the progress line.

use std::{
    collections::BTreeMap,
    sync::atomic::{AtomicU64, Ordering},
};

use hdrhistogram::Histogram;

use crate::{
    exemplars::{ExemplarStats, Sampled},
    manifest::Outcome,
    merge::{Merge, merge_by_field},
};

/// A histogram of microseconds with 3 significant digits that grows to
/// whatever maximum it meets.
pub(crate) fn new_histogram() -> Histogram<u64> {
    // 3 significant digits is within the supported 0..=5: never fails.
    Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits are supported"))
}

/// Records `value`, growing the histogram as needed (beyond `i64::MAX / 2`
/// it is clamped).
fn record(histogram: &mut Histogram<u64>, value: u64) {
    if histogram.record(value).is_err() {
        histogram.saturating_record(value);
    }
}

/// Counts and latencies of one scenario.
#[derive(Debug, Clone)]
pub(crate) struct ScenarioStats {
    pub(crate) count: u64,
    pub(crate) ok: u64,
    pub(crate) unexpected_status: u64,
    pub(crate) connect: u64,
    pub(crate) timeout: u64,
    pub(crate) io: u64,
    pub(crate) statuses: BTreeMap<u16, u64>,
    /// Coordinated-omission corrected latency (from the intended start), µs.
    pub(crate) latency: Histogram<u64>,
    /// The sampled requests behind the latency figures.
    pub(crate) exemplars: ExemplarStats,
}

impl Default for ScenarioStats {
    fn default() -> Self {
        ScenarioStats {
            count: 0,
            ok: 0,
            unexpected_status: 0,
            connect: 0,
            timeout: 0,
            io: 0,
            statuses: BTreeMap::new(),
            latency: new_histogram(),
            exemplars: ExemplarStats::default(),
        }
    }
}

merge_by_field!(impl ScenarioStats {
    count, ok, unexpected_status, connect, timeout, io, statuses, latency, exemplars,
});

/// Everything recorded by a group of connections.
#[derive(Debug, Clone)]
pub(crate) struct Stats {
    /// By position in the run's scenario set.
    pub(crate) scenarios: Vec<ScenarioStats>,
    /// Actual minus intended start, µs: how far behind the schedule ran.
    pub(crate) start_lag: Histogram<u64>,
    pub(crate) sampled: u64,
    pub(crate) not_sampled: u64,
    pub(crate) sampling_unknown: u64,
}

impl Stats {
    /// Empty statistics for `scenarios` scenarios.
    pub(crate) fn new(scenarios: usize) -> Self {
        Stats {
            scenarios: vec![ScenarioStats::default(); scenarios],
            start_lag: new_histogram(),
            sampled: 0,
            not_sampled: 0,
            sampling_unknown: 0,
        }
    }
}

/// One finished request, as the statistics see it.
pub(crate) struct Finished {
    /// Position in the run's scenario set.
    pub(crate) scenario: usize,
    pub(crate) outcome: Outcome,
    pub(crate) status: Option<u16>,
    pub(crate) latency_us: u64,
    pub(crate) start_lag_us: u64,
    pub(crate) sampled: Option<bool>,
    /// The request, when it was sampled (it has a trace).
    pub(crate) exemplar: Option<Sampled>,
}

impl Stats {
    pub(crate) fn record(&mut self, f: &Finished) {
        let Some(s) = self.scenarios.get_mut(f.scenario) else {
            return;
        };
        s.count += 1;
        match f.outcome {
            Outcome::Ok => s.ok += 1,
            Outcome::UnexpectedStatus => s.unexpected_status += 1,
            Outcome::Connect => s.connect += 1,
            Outcome::Timeout => s.timeout += 1,
            Outcome::Io => s.io += 1,
        }
        if let Some(status) = f.status {
            *s.statuses.entry(status).or_default() += 1;
        }
        record(&mut s.latency, f.latency_us);
        if let Some(sampled) = &f.exemplar {
            s.exemplars.record(sampled);
        }
        record(&mut self.start_lag, f.start_lag_us);
        match f.sampled {
            Some(true) => self.sampled += 1,
            Some(false) => self.not_sampled += 1,
            None => self.sampling_unknown += 1,
        }
    }
}

merge_by_field!(impl Stats {
    scenarios, start_lag, sampled, not_sampled, sampling_unknown,
});

/// Adds `other` into `mine` ([`Stats`] or one scenario's). Every histogram
/// of the run's statistics grows to what it meets ([`new_histogram`]), so
/// adding cannot fail.
pub(crate) fn add<T: Merge>(mine: &mut T, other: &T) {
    let _ = mine.merge(other);
}

/// Counters read by the progress line while the run goes.
#[derive(Debug, Default)]
pub(crate) struct Live {
    pub(crate) started: AtomicU64,
    pub(crate) completed: AtomicU64,
    pub(crate) failed: AtomicU64,
}

impl Live {
    pub(crate) fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.started.load(Ordering::Relaxed),
            self.completed.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(scenario: usize, outcome: Outcome, status: Option<u16>, us: u64) -> Finished {
        Finished {
            scenario,
            outcome,
            status,
            latency_us: us,
            start_lag_us: 1,
            sampled: Some(true),
            exemplar: None,
        }
    }

    #[test]
    fn records_and_merges_counts_statuses_and_latency() {
        let mut a = Stats::new(3);
        a.record(&finished(0, Outcome::Ok, Some(201), 100));
        a.record(&finished(
            0,
            Outcome::UnexpectedStatus,
            Some(500),
            3_000_000,
        ));
        let mut b = Stats::new(3);
        b.record(&finished(0, Outcome::Connect, None, 50));
        b.record(&finished(2, Outcome::Ok, Some(402), 70));
        add(&mut a, &b);
        let v = &a.scenarios[0];
        assert_eq!(
            (v.count, v.ok, v.unexpected_status, v.connect),
            (3, 1, 1, 1)
        );
        assert_eq!(v.statuses, BTreeMap::from([(201, 1), (500, 1)]));
        assert_eq!(v.latency.len(), 3);
        assert!(v.latency.max() >= 2_990_000, "grows to the largest value");
        assert_eq!(a.scenarios[2].count, 1);
        assert_eq!(a.sampled, 4);
    }
}

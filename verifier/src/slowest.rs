//! Keeps the slowest traces of each scenario while the traces are judged
//! one by one: a bounded min-heap per scenario, so only the traces that end
//! up shown are ever rendered and held.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};

use crate::model::Trace;
use crate::verdict::{FailedTrace, SlowTrace};

/// The `keep` slowest traces per scenario.
pub(crate) struct Slowest {
    keep: usize,
    offered: u64,
    by_scenario: HashMap<String, BinaryHeap<Reverse<Ranked>>>,
}

/// A kept trace, ordered by latency (the earlier offered first among equals).
struct Ranked {
    latency_us: u64,
    order: Reverse<u64>,
    trace: SlowTrace,
}

impl Ranked {
    fn key(&self) -> (u64, Reverse<u64>) {
        (self.latency_us, self.order)
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl Slowest {
    pub(crate) fn new(keep: usize) -> Slowest {
        Slowest {
            keep,
            offered: 0,
            by_scenario: HashMap::new(),
        }
    }

    /// Offers a trace of `latency_us`; `detail` (its HTTP status, whether it
    /// passed, and the trace in full) is only built when the trace is kept.
    pub(crate) fn offer(
        &mut self,
        scenario: &str,
        latency_us: u64,
        detail: impl FnOnce() -> (Option<u16>, bool, FailedTrace),
    ) {
        if self.keep == 0 {
            return;
        }
        self.offered += 1;
        let order = Reverse(self.offered);
        let heap = self.by_scenario.entry(scenario.to_owned()).or_default();
        let full = heap.len() >= self.keep;
        if full
            && heap
                .peek()
                .is_some_and(|Reverse(least)| latency_us <= least.latency_us)
        {
            return;
        }
        let (status, passed, trace) = detail();
        heap.push(Reverse(Ranked {
            latency_us,
            order,
            trace: SlowTrace {
                latency_us,
                status,
                passed,
                trace,
            },
        }));
        if heap.len() > self.keep {
            heap.pop();
        }
    }

    /// Every kept trace, slowest first.
    pub(crate) fn into_sorted(self) -> Vec<SlowTrace> {
        let mut all: Vec<Ranked> = self
            .by_scenario
            .into_values()
            .flat_map(|heap| heap.into_iter().map(|Reverse(r)| r))
            .collect();
        all.sort_by(|a, b| b.cmp(a));
        all.into_iter().map(|r| r.trace).collect()
    }
}

/// A trace's own duration: from its first span's start to its last span's end, µs.
pub(crate) fn extent_us(trace: &Trace) -> u64 {
    let start = trace.spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
    let end = trace.spans.iter().map(|s| s.end_ns).max().unwrap_or(0);
    end.saturating_sub(start) / 1000
}

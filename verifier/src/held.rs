//! The traces of one read of the window, held only as far as the verdict
//! needs them. Each trace is checked as it is read; one that passed keeps a
//! few numbers (its span count for the settle fingerprint, its start for the
//! report order, its scenario for the counts) and its spans are dropped,
//! unless it may still be among the slowest shown. Failing, forbidden and
//! suspicious traces are kept whole. So a read of 300,000 passing traces
//! holds 300,000 small records, not 300,000 span trees.

use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use crate::model::{Trace, TraceId};
use crate::thresholds::Measures;

/// One trace of the read.
pub(crate) struct Held {
    /// Spans of the fullest copy read.
    pub spans: usize,
    /// Its earliest span start, ns (the report's order).
    pub start_ns: u64,
    /// Checked as read: all its expected spans and a scenario (true for a
    /// trace that is not checked).
    pub whole: bool,
    /// Worth fetching again by id: missing spans, orphans or no single root.
    pub suspicious: bool,
    /// Passed as read: its scenario and latency.
    pub passed: Option<(Arc<str>, u64)>,
    /// What the spec's thresholds measured in it (a few numbers).
    pub measures: Measures,
    /// The trace, while the verdict may need its spans (boxed: most
    /// records hold none, and a soak's read holds hundreds of thousands).
    pub trace: Option<Box<Trace>>,
}

/// What one read of the window holds.
pub(crate) struct Collected {
    traces: HashMap<TraceId, Held>,
    /// Latencies of the passed traces still kept whole, per scenario: the
    /// `keep` slowest, the only ones the report can show.
    candidates: HashMap<String, BinaryHeap<Reverse<(u64, TraceId)>>>,
    keep: usize,
}

impl Collected {
    /// An empty read keeping the `keep` slowest passed traces per scenario
    /// whole, with room for `expected` traces (the manifest's count: the
    /// table then never grows, which would hold the old and the new table
    /// at once).
    pub(crate) fn new(keep: usize, expected: usize) -> Self {
        Collected {
            traces: HashMap::with_capacity(expected),
            candidates: HashMap::new(),
            keep,
        }
    }

    /// Whether `trace` is new or fuller than the copy held (only then is it
    /// worth checking).
    pub(crate) fn wants(&self, trace: &Trace) -> bool {
        self.traces
            .get(&trace.trace_id)
            .is_none_or(|held| held.spans < trace.spans.len())
    }

    /// Holds a checked trace: whole when `keep_whole` or when it passed and
    /// is among the slowest so far of its scenario.
    pub(crate) fn hold(&mut self, mut held: Held, trace: Trace, keep_whole: bool) {
        let id = trace.trace_id;
        let whole = keep_whole
            || held
                .passed
                .as_ref()
                .is_some_and(|(scenario, latency)| self.candidate(scenario, *latency, id));
        held.trace = whole.then(|| Box::new(trace));
        self.traces.insert(id, held);
    }

    /// Whether a passed trace of `latency` may be among the slowest shown;
    /// the one it displaces is dropped to its record.
    fn candidate(&mut self, scenario: &str, latency: u64, id: TraceId) -> bool {
        if self.keep == 0 {
            return false;
        }
        let heap = self.candidates.entry(scenario.to_owned()).or_default();
        if heap.len() < self.keep {
            heap.push(Reverse((latency, id)));
            return true;
        }
        if heap
            .peek()
            .is_some_and(|Reverse((least, _))| latency <= *least)
        {
            return false;
        }
        let displaced = heap.pop().map(|Reverse((_, id))| id);
        heap.push(Reverse((latency, id)));
        if let Some(Entry::Occupied(mut slot)) = displaced.map(|d| self.traces.entry(d)) {
            let held = slot.get_mut();
            if held.passed.is_some() {
                held.trace = None;
            }
        }
        true
    }

    /// Every trace held.
    pub(crate) fn traces(&self) -> &HashMap<TraceId, Held> {
        &self.traces
    }

    /// Whether a trace was read.
    pub(crate) fn contains(&self, id: &TraceId) -> bool {
        self.traces.contains_key(id)
    }

    /// Spans of the copy of a trace held, if it was read.
    pub(crate) fn spans_of(&self, id: TraceId) -> Option<usize> {
        self.traces.get(&id).map(|held| held.spans)
    }

    /// How many traces were read.
    pub(crate) fn len(&self) -> usize {
        self.traces.len()
    }

    /// Whether no trace was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.traces.is_empty()
    }

    /// The settle fingerprint: every trace id with its span count, sorted.
    pub(crate) fn fingerprint(&self) -> Vec<(TraceId, usize)> {
        let mut fingerprint: Vec<(TraceId, usize)> =
            self.traces.iter().map(|(id, h)| (*id, h.spans)).collect();
        fingerprint.sort_unstable();
        fingerprint
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passed(n: u128, latency: u64) -> (Held, Trace) {
        let held = Held {
            spans: 0,
            start_ns: 0,
            whole: true,
            suspicious: false,
            passed: Some(("valid".into(), latency)),
            measures: Measures::default(),
            trace: None,
        };
        let trace = Trace {
            trace_id: TraceId(n),
            spans: Vec::new(),
            warnings: Vec::new(),
        };
        (held, trace)
    }

    fn whole(collected: &Collected) -> Vec<u128> {
        let mut ids: Vec<u128> = collected
            .traces()
            .iter()
            .filter(|(_, h)| h.trace.is_some())
            .map(|(id, _)| id.0)
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn passed_traces_are_dropped_to_records_but_the_slowest_and_the_failing() {
        let mut collected = Collected::new(2, 0);
        for (n, latency) in [(1, 10), (2, 50), (3, 20), (4, 5), (5, 40)] {
            let (held, trace) = passed(n, latency);
            collected.hold(held, trace, false);
        }
        let (mut failing, trace) = passed(6, 1);
        failing.passed = None;
        collected.hold(failing, trace, true);
        assert_eq!(collected.len(), 6);
        assert_eq!(whole(&collected), [2, 5, 6]);
    }
}

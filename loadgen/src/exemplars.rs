//! Exemplars: the sampled requests behind the latency figures, so a p99 is
//! a trace a person can open, not only a number. Per scenario the loadgen
//! keeps the slowest sampled requests and, per latency bucket (two
//! significant digits), one sampled request; at report time each
//! percentile of interest takes the request of its bucket (or of the
//! nearest bucket that had a sampled one).

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Slowest sampled requests kept per scenario.
pub(crate) const SLOWEST_KEPT: usize = 10;

/// The percentiles that get an exemplar, as (name, quantile); `max` is 1.0.
pub(crate) const PERCENTILES: [(&str, f64); 5] = [
    ("p50", 0.5),
    ("p90", 0.9),
    ("p99", 0.99),
    ("p99.9", 0.999),
    ("max", 1.0),
];

/// One sampled request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exemplar {
    /// Its trace id, 32 lowercase hex digits.
    pub trace_id: String,
    /// Its latency (from the intended start), µs.
    pub latency_us: u64,
    /// The HTTP status it got, `None` when no answer came.
    pub status: Option<u16>,
    /// Its intended start, µs since the Unix epoch.
    pub intended_start_us: u64,
}

/// The exemplar of one percentile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PercentileExemplar {
    /// `p50`, `p90`, `p99`, `p99.9` or `max`.
    pub percentile: String,
    /// The percentile's value over all requests of the scenario, µs.
    pub value_us: u64,
    /// A sampled request at (or nearest to) that value.
    pub exemplar: Exemplar,
}

/// A sampled request as the connections see it: the id still binary, so
/// only the requests kept pay for formatting it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sampled {
    pub(crate) trace_id: opentelemetry::trace::TraceId,
    pub(crate) latency_us: u64,
    pub(crate) status: Option<u16>,
    pub(crate) intended_start_us: u64,
}

impl Sampled {
    fn exemplar(&self) -> Exemplar {
        Exemplar {
            trace_id: self.trace_id.to_string(),
            latency_us: self.latency_us,
            status: self.status,
            intended_start_us: self.intended_start_us,
        }
    }
}

/// What the connections record: the slowest sampled requests and one per bucket.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExemplarStats {
    slowest: Vec<Exemplar>,
    by_bucket: BTreeMap<u64, Exemplar>,
}

/// `value` with all but its two most significant decimal digits zeroed:
/// at most 90 buckets per decade, so the map stays small on any run.
fn bucket(value: u64) -> u64 {
    let mut scale = 1;
    while value / scale >= 100 {
        scale *= 10;
    }
    value / scale * scale
}

/// The slowest of both sides, and one request per bucket (the first
/// side's where both have one).
impl crate::merge::Merge for ExemplarStats {
    fn merge(&mut self, other: &ExemplarStats) -> Result<(), hdrhistogram::AdditionError> {
        keep_slowest(&mut self.slowest, &other.slowest);
        for (key, exemplar) in &other.by_bucket {
            self.by_bucket
                .entry(*key)
                .or_insert_with(|| exemplar.clone());
        }
        Ok(())
    }
}

impl ExemplarStats {
    pub(crate) fn record(&mut self, sampled: &Sampled) {
        let slow = self.slowest.len() < SLOWEST_KEPT
            || self
                .slowest
                .last()
                .is_some_and(|l| sampled.latency_us > l.latency_us);
        if slow {
            keep_slowest(&mut self.slowest, &[sampled.exemplar()]);
        }
        self.by_bucket
            .entry(bucket(sampled.latency_us))
            .or_insert_with(|| sampled.exemplar());
    }

    /// The slowest sampled requests, slowest first.
    pub(crate) fn slowest(&self) -> Vec<Exemplar> {
        self.slowest.clone()
    }

    /// One exemplar per percentile of `histogram` (all requests of the
    /// scenario, sampled or not), from one request per bucket and the
    /// slowest; none when no request was sampled.
    pub(crate) fn at_percentiles(&self, histogram: &Histogram<u64>) -> Vec<PercentileExemplar> {
        let candidates: Vec<&Exemplar> = self.by_bucket.values().chain(&self.slowest).collect();
        at_percentiles(histogram, &candidates)
    }
}

/// Adds `new` to `kept` and keeps the [`SLOWEST_KEPT`] slowest, slowest
/// first (the earlier kept first among equals).
pub(crate) fn keep_slowest(kept: &mut Vec<Exemplar>, new: &[Exemplar]) {
    for exemplar in new {
        let full = kept.len() >= SLOWEST_KEPT;
        if full
            && kept
                .last()
                .is_some_and(|l| exemplar.latency_us <= l.latency_us)
        {
            continue;
        }
        let at = kept.partition_point(|k| k.latency_us >= exemplar.latency_us);
        kept.insert(at, exemplar.clone());
        kept.truncate(SLOWEST_KEPT);
    }
}

/// For each percentile of `histogram`, the candidate in the same bucket,
/// else the one whose latency is nearest (the larger among equals).
pub(crate) fn at_percentiles(
    histogram: &Histogram<u64>,
    candidates: &[&Exemplar],
) -> Vec<PercentileExemplar> {
    if histogram.is_empty() || candidates.is_empty() {
        return Vec::new();
    }
    PERCENTILES
        .iter()
        .filter_map(|&(name, q)| {
            let value = if q >= 1.0 {
                histogram.max()
            } else {
                histogram.value_at_quantile(q)
            };
            let exemplar = candidates
                .iter()
                .filter(|c| bucket(c.latency_us) == bucket(value))
                .min_by_key(|c| c.latency_us.abs_diff(value))
                .or_else(|| {
                    candidates
                        .iter()
                        .min_by_key(|c| (c.latency_us.abs_diff(value), u64::MAX - c.latency_us))
                })?;
            Some(PercentileExemplar {
                percentile: name.to_owned(),
                value_us: value,
                exemplar: (*exemplar).clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;

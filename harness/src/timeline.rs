//! The run second by second, from the loadgen's manifest: how many requests
//! were due and how many went out (intended against achieved rate), and
//! the latency percentiles of the requests due in that second.

use loadgen::ManifestRecord;
use serde::{Deserialize, Serialize};

/// One second of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineSecond {
    /// Seconds after the first intended start.
    pub t_s: u64,
    /// Requests whose intended start fell in this second.
    pub intended: u64,
    /// Requests actually sent in this second.
    pub sent: u64,
    /// Median latency of the requests due in this second, µs.
    pub p50_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// Largest, µs.
    pub max_us: u64,
}

/// The seconds of a run, from its first intended start to its last start.
pub(crate) fn timeline(records: &[ManifestRecord]) -> Vec<TimelineSecond> {
    let Some(origin) = records.iter().map(|r| r.intended_start_us).min() else {
        return Vec::new();
    };
    let second = |us: u64| usize::try_from(us.saturating_sub(origin) / 1_000_000).unwrap_or(0);
    let last = records
        .iter()
        .map(|r| second(r.intended_start_us).max(second(r.actual_start_us)))
        .max()
        .unwrap_or(0);
    let mut latencies: Vec<Vec<u64>> = vec![Vec::new(); last + 1];
    let mut sent = vec![0u64; last + 1];
    for record in records {
        latencies[second(record.intended_start_us)].push(record.latency_us);
        sent[second(record.actual_start_us)] += 1;
    }
    latencies
        .into_iter()
        .zip(sent)
        .enumerate()
        .map(|(t, (mut l, sent))| {
            l.sort_unstable();
            // Nearest rank, as HdrHistogram's value_at_quantile.
            let q = |q: f64| {
                let rank = ((q * l.len() as f64).ceil() as usize).clamp(1, l.len().max(1));
                l.get(rank - 1).copied().unwrap_or(0)
            };
            TimelineSecond {
                t_s: t as u64,
                intended: l.len() as u64,
                sent,
                p50_us: q(0.5),
                p99_us: q(0.99),
                max_us: l.last().copied().unwrap_or(0),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use loadgen::Outcome;

    fn record(intended_s: f64, lag_us: u64, latency_us: u64) -> ManifestRecord {
        let intended = 1_000_000_000 + (intended_s * 1e6) as u64;
        ManifestRecord {
            seq: 0,
            trace_id: None,
            span_id: None,
            sampled: None,
            root_span: false,
            scenario: "valid".into(),
            intended_start_us: intended,
            actual_start_us: intended + lag_us,
            latency_us,
            status: Some(201),
            expected_status: 201,
            outcome: Outcome::Ok,
        }
    }

    #[test]
    fn seconds_count_due_and_sent_requests_and_their_latency() {
        let mut records: Vec<ManifestRecord> = (1..=100)
            .map(|i| record(0.005 * i as f64, 0, i * 10))
            .collect();
        // Due in second 1, sent late in second 2 (a stall).
        records.push(record(1.5, 900_000, 950_000));
        let t = timeline(&records);
        assert_eq!(t.len(), 3);
        assert_eq!((t[0].intended, t[0].sent), (100, 100));
        assert_eq!((t[0].p50_us, t[0].p99_us, t[0].max_us), (500, 990, 1000));
        assert_eq!((t[1].intended, t[1].sent), (1, 0));
        assert_eq!(t[1].max_us, 950_000);
        assert_eq!((t[2].intended, t[2].sent), (0, 1));
        assert!(timeline(&[]).is_empty());
    }
}

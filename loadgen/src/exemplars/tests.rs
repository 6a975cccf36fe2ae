//! Exemplar selection: the slowest really are the slowest, percentiles get
//! a request of their bucket, shards merge.

use super::*;

fn sampled(n: u128, latency_us: u64) -> Sampled {
    Sampled {
        trace_id: opentelemetry::trace::TraceId::from(n),
        latency_us,
        status: Some(201),
        intended_start_us: 1_000 + n as u64,
    }
}

/// A deterministic shuffle of 1..=n latencies (µs x 7), each a sampled request.
fn shuffled(n: u64, seed: u64) -> Vec<Sampled> {
    let mut order: Vec<u64> = (1..=n).collect();
    let mut state = seed;
    for i in (1..order.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        order.swap(i, (state >> 33) as usize % (i + 1));
    }
    order
        .into_iter()
        .map(|v| sampled(v as u128, v * 7))
        .collect()
}

#[test]
fn the_slowest_kept_are_the_slowest_seen_slowest_first() {
    let all = shuffled(5_000, 1);
    let mut stats = ExemplarStats::default();
    for s in &all {
        stats.record(s);
    }
    let mut latencies: Vec<u64> = all.iter().map(|s| s.latency_us).collect();
    latencies.sort_unstable_by(|a, b| b.cmp(a));
    let kept: Vec<u64> = stats.slowest().iter().map(|e| e.latency_us).collect();
    assert_eq!(kept, latencies[..SLOWEST_KEPT].to_vec());
    // Their trace ids are theirs.
    for e in stats.slowest() {
        assert_eq!(e.trace_id, format!("{:032x}", e.latency_us / 7));
    }
}

#[test]
fn each_percentile_gets_a_sampled_request_of_its_bucket() {
    // 10,000 requests, every 10th sampled.
    let mut histogram = Histogram::<u64>::new(3).unwrap();
    let mut stats = ExemplarStats::default();
    for v in 1..=10_000u64 {
        histogram.record(v).unwrap();
        if v % 10 == 3 {
            stats.record(&sampled(v as u128, v));
        }
    }
    let exemplars = stats.at_percentiles(&histogram);
    let names: Vec<&str> = exemplars.iter().map(|e| e.percentile.as_str()).collect();
    assert_eq!(names, ["p50", "p90", "p99", "p99.9", "max"]);
    for e in &exemplars[..4] {
        assert_eq!(
            bucket(e.exemplar.latency_us),
            bucket(e.value_us),
            "{e:?} is in its percentile's bucket"
        );
    }
    // The max (10,007 as HDR reports it) has no sampled request in its
    // bucket: the nearest one stands for it.
    assert_eq!(exemplars[4].exemplar.latency_us, 9_993);
    assert_eq!(exemplars[4].value_us, histogram.max());
    // Nothing sampled: no exemplars.
    assert!(
        ExemplarStats::default()
            .at_percentiles(&histogram)
            .is_empty()
    );
}

#[test]
fn a_percentile_whose_bucket_had_no_sampled_request_takes_the_nearest() {
    let mut histogram = Histogram::<u64>::new(3).unwrap();
    for v in [100, 100, 100, 5_000] {
        histogram.record(v).unwrap();
    }
    let mut stats = ExemplarStats::default();
    stats.record(&sampled(1, 100));
    stats.record(&sampled(2, 4_100));
    let exemplars = stats.at_percentiles(&histogram);
    let max = exemplars.iter().find(|e| e.percentile == "max").unwrap();
    assert_eq!((max.value_us, max.exemplar.latency_us), (5_003, 4_100));
    let p50 = exemplars.iter().find(|e| e.percentile == "p50").unwrap();
    assert_eq!(p50.exemplar.latency_us, 100);
}

#[test]
fn shards_merge_to_the_slowest_of_all() {
    let all = shuffled(3_000, 7);
    let (mut a, mut b) = (ExemplarStats::default(), ExemplarStats::default());
    for (i, s) in all.iter().enumerate() {
        if i % 3 == 0 { a.record(s) } else { b.record(s) }
    }
    let mut merged = a.slowest();
    keep_slowest(&mut merged, &b.slowest());
    let expected: Vec<u64> = (2_991..=3_000).rev().map(|v| v * 7).collect();
    assert_eq!(
        merged.iter().map(|e| e.latency_us).collect::<Vec<_>>(),
        expected
    );
    crate::merge::Merge::merge(&mut a, &b).unwrap();
    assert_eq!(a.slowest(), merged);
}

#[test]
fn buckets_keep_two_significant_digits() {
    assert_eq!(bucket(7), 7);
    assert_eq!(bucket(99), 99);
    assert_eq!(bucket(1_234), 1_200);
    assert_eq!(bucket(98_765), 98_000);
}

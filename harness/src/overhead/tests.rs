//! The rounds, the sinks and the /proc reader.

use std::time::{Duration, Instant};

use super::{Sink, machine_cpu, median, rotated};

#[test]
fn the_median_is_the_middle_round_whatever_the_order() {
    assert_eq!(median(&[15_633.7, 11_720.3, 14_325.0]), 14_325.0);
    assert_eq!(
        median(&[9_u64, 1, 5, 7]),
        7,
        "upper middle of an even count"
    );
    assert_eq!(median::<u64>(&[]), 0);
}

#[test]
fn sinks_parse_and_print() {
    assert_eq!("discard".parse::<Sink>(), Ok(Sink::Discard));
    assert_eq!("tracestore".parse::<Sink>(), Ok(Sink::TraceStore));
    assert_eq!(
        "http://jaeger:4317".parse::<Sink>(),
        Ok(Sink::Endpoint("http://jaeger:4317".into()))
    );
    assert!("jaeger".parse::<Sink>().is_err());
    for s in ["discard", "tracestore", "http://jaeger:4317"] {
        assert_eq!(s.parse::<Sink>().unwrap().to_string(), s);
    }
}

#[test]
fn every_mode_leads_one_round() {
    let firsts: Vec<usize> = (0..3).map(|r| rotated(r, 3).next().unwrap()).collect();
    assert_eq!(firsts, [0, 1, 2]);
    let mut round: Vec<usize> = rotated(1, 3).collect();
    assert_eq!(round, [1, 2, 0]);
    round.sort_unstable();
    assert_eq!(round, [0, 1, 2]);
}

#[test]
fn machine_cpu_counts_this_process_and_a_share_of_the_rest() {
    let Some(sample) = machine_cpu::Sample::now() else {
        return; // No /proc here.
    };
    // Spin until this process has used a clock tick of CPU.
    let deadline = Instant::now() + Duration::from_secs(10);
    let usage = loop {
        let usage = sample.usage_since().expect("a second sample");
        if usage.own_seconds > 0.0 || Instant::now() > deadline {
            break usage;
        }
        std::hint::black_box(Instant::now());
    };
    assert!(usage.own_seconds > 0.0, "{usage:?}");
    assert!((0.0..=1.0).contains(&usage.others_share), "{usage:?}");
}

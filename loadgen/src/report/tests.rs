//! Building, merging, JSON and the table, on figures made up here.

use std::sync::Arc;

use super::{merge, *};
use crate::{
    config::Shard, error::MergeError, manifest::Outcome, report::build::RunFigures,
    scenario::ScenarioSet, stats::Finished, stats::Stats,
};

fn figures(shard: u32, latencies: &[(&str, u64, Option<u16>)]) -> RunFigures {
    let scenarios = Arc::new(ScenarioSet::order_payment());
    let mut stats = Stats::new(scenarios.len());
    for &(name, us, status) in latencies {
        let scenario = scenarios.position(name).unwrap();
        let outcome = match status {
            Some(s) if scenarios.get(scenario).unwrap().expects(s) => Outcome::Ok,
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
            // Even latencies are sampled; the trace id says shard and latency.
            exemplar: (us % 2 == 0).then(|| crate::exemplars::Sampled {
                trace_id: opentelemetry::trace::TraceId::from(
                    u128::from(shard) << 64 | u128::from(us),
                ),
                latency_us: us,
                status,
                intended_start_us: 0,
            }),
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
            scenarios: "order-payment.toml".into(),
            propagator: "tracecontext".into(),
            stages: Vec::new(),
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
        scenarios,
        stages: Vec::new(),
    }
}

#[test]
fn json_round_trips_with_the_histograms() {
    let r = Report::from_run(figures(
        0,
        &[("valid", 1000, Some(201)), ("fraud", 250_000, Some(402))],
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
        &[("valid", 1000, Some(201)), ("valid", 3000, Some(500))],
    ));
    let mut b_fig = figures(1, &[("valid", 900_000, Some(201)), ("health", 10, None)]);
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
fn exemplars_name_the_slowest_sampled_requests_across_shards() {
    // Shard 0 has 1..=40 ms, shard 1 has 41..=60 ms; odd ones are not sampled.
    let shard = |index: u32, range: std::ops::RangeInclusive<u64>| {
        let latencies: Vec<(&str, u64, Option<u16>)> = range
            .map(|ms| ("valid", ms * 1000 + ms % 2, Some(201)))
            .collect();
        Report::from_run(figures(index, &latencies))
    };
    let (a, b) = (shard(0, 1..=40), shard(1, 41..=60));
    let id = |shard: u128, us: u64| format!("{:032x}", shard << 64 | u128::from(us));
    let slowest_a: Vec<String> = a.scenarios[0]
        .slowest
        .iter()
        .map(|e| e.trace_id.clone())
        .collect();
    let expected_a: Vec<String> = [40, 38, 36, 34, 32, 30, 28, 26, 24, 22]
        .iter()
        .map(|ms| id(0, ms * 1000))
        .collect();
    assert_eq!(
        slowest_a, expected_a,
        "the unsampled odd ones are not exemplars"
    );
    let m = merge(&[a.clone(), b.clone()]).unwrap();
    let slowest: Vec<u64> = m.scenarios[0]
        .slowest
        .iter()
        .map(|e| e.latency_us)
        .collect();
    assert_eq!(
        slowest,
        (0..10).map(|i| (60 - 2 * i) * 1000).collect::<Vec<_>>()
    );
    assert_eq!(m.scenarios[0].slowest[0].trace_id, id(1, 60_000));
    // The merged percentiles get exemplars near their merged values.
    let ex = &m.scenarios[0].exemplars;
    let names: Vec<&str> = ex.iter().map(|e| e.percentile.as_str()).collect();
    assert_eq!(names, ["p50", "p90", "p99", "p99.9", "max"]);
    for e in ex {
        assert!(
            e.exemplar.latency_us.abs_diff(e.value_us) <= 2_000,
            "{e:?} is near its percentile"
        );
    }
    // In the table, and through JSON the same.
    assert!(m.to_string().contains(&id(1, 60_000)), "{m}");
    let via_json = merge(&[
        Report::from_json(&a.to_json()).unwrap(),
        Report::from_json(&b.to_json()).unwrap(),
    ])
    .unwrap();
    assert_eq!(via_json.scenarios[0].exemplars, *ex);
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
    assert!(Report::from_json(r#"{"format":"loadgen-report/2"}"#).is_err());
}

#[test]
fn the_table_and_the_summary_say_what_happened() {
    let r = Report::from_run(figures(
        0,
        &[("valid", 1000, Some(201)), ("invalid", 2000, None)],
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

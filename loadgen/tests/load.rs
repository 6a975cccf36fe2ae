//! The open-loop schedule, the mix, sampling and the manifest, against a
//! local axum stand-in for order-api.

mod common;

use std::{
    collections::{HashMap, HashSet},
    future::pending,
    time::Duration,
};

use common::{Behaviour, TestTarget, closed_port, run_with_manifest, within_binomial};
use loadgen::{
    LoadConfig, ManifestRecord, Mix, Outcome, SamplerChoice, ScenarioSet, Shard, Target,
    read_manifest,
};

/// The traceparent fields: (trace id, parent span id, sampled).
fn traceparent(tp: &str) -> (String, String, bool) {
    let parts: Vec<&str> = tp.split('-').collect();
    assert_eq!(parts.len(), 4, "{tp}");
    assert_eq!(parts[0], "00");
    (parts[1].to_owned(), parts[2].to_owned(), parts[3] == "01")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mix_follows_its_weights_and_the_seed_fixes_the_sequence() {
    let target = TestTarget::start(Behaviour::default()).await;
    let mix: Mix = "valid=70,invalid=20,fraud=5,health=5".parse().unwrap();
    let set = ScenarioSet::order_payment().with_mix(&mix).unwrap();
    let n = 2000;
    let mut config = target.config(4000.0, n);
    config.mix = Some(mix.clone());
    let (report, manifest) = run_with_manifest(config).await;
    for (i, scenario) in set.iter().enumerate() {
        let name = scenario.name();
        let count = manifest.iter().filter(|r| r.scenario == name).count() as u64;
        assert!(
            within_binomial(count, n, set.fraction(i), 4.5),
            "{name}: {count} of {n}"
        );
        let row = report
            .scenarios
            .iter()
            .find(|s| s.scenario == name)
            .unwrap();
        assert_eq!(row.count, count);
    }
    // Realistic payloads: the contract's judge agrees with every expected status.
    assert_eq!(report.overall.ok, n, "{report}");
    let seen = target.seen();
    for scenario in set.iter() {
        let baggage = format!("loadgen.scenario={}", scenario.name());
        let statuses: HashSet<u16> = seen
            .iter()
            .filter(|s| s.baggage.as_deref() == Some(baggage.as_str()))
            .map(|s| s.status)
            .collect();
        assert_eq!(
            statuses,
            scenario.expected_statuses().iter().copied().collect(),
            "{}",
            scenario.name()
        );
    }

    // The same seed gives the same sequence and ids; another seed does not.
    let sequence = |records: &[ManifestRecord]| {
        let mut v: Vec<(u64, String, Option<String>)> = records
            .iter()
            .map(|r| (r.seq, r.scenario.clone(), r.trace_id.clone()))
            .collect();
        v.sort_by_key(|(seq, ..)| *seq);
        v
    };
    let again = |seed| {
        let mut c = target.config(4000.0, 200);
        c.mix = Some(mix.clone());
        c.seed = seed;
        run_with_manifest(c)
    };
    let first = sequence(&manifest)[..200].to_vec();
    assert_eq!(sequence(&again(42).await.1), first);
    assert_ne!(sequence(&again(43).await.1), first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manifest_has_one_line_per_request_with_the_traceparent_the_target_saw() {
    let target = TestTarget::start(Behaviour::default()).await;
    let n = 2000;
    let mut config = target.config(4000.0, n);
    config.sampler = SamplerChoice::Ratio(0.25);
    let (report, manifest) = run_with_manifest(config).await;

    assert_eq!(manifest.len() as u64, n);
    let seqs: HashSet<u64> = manifest.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (0..n).collect(), "seq numbers are 0..n, once each");
    let seen = target.seen();
    assert_eq!(seen.len() as u64, n);
    let sent: HashMap<(String, String), (bool, Option<String>)> = seen
        .iter()
        .map(|s| {
            let (trace, span, sampled) = traceparent(s.traceparent.as_deref().unwrap());
            ((trace, span), (sampled, s.baggage.clone()))
        })
        .collect();
    assert_eq!(sent.len() as u64, n, "every request has its own trace");
    for r in &manifest {
        let key = (r.trace_id.clone().unwrap(), r.span_id.clone().unwrap());
        let (sampled, baggage) = &sent[&key];
        assert_eq!(Some(*sampled), r.sampled, "{r:?}");
        assert_eq!(
            baggage.as_deref(),
            Some(format!("loadgen.scenario={}", r.scenario).as_str())
        );
        assert!(!r.root_span, "root spans are off in this run");
        assert_eq!(r.outcome, Outcome::Ok);
        assert!(r.actual_start_us >= r.intended_start_us);
        assert!(r.latency_us >= r.actual_start_us - r.intended_start_us);
    }

    // The sampled fraction follows the ratio.
    let sampled = manifest.iter().filter(|r| r.sampled == Some(true)).count() as u64;
    assert!(within_binomial(sampled, n, 0.25, 4.5), "{sampled} of {n}");
    assert_eq!(report.tracing.sampled, sampled);
    assert_eq!(report.tracing.not_sampled, n - sampled);

    // The exemplars are the slowest sampled requests of each scenario, as the
    // manifest has them, and a sampled request stands for each percentile.
    for scenario in &report.scenarios {
        let mut of_scenario: Vec<&ManifestRecord> = manifest
            .iter()
            .filter(|r| r.sampled == Some(true) && r.scenario == scenario.scenario)
            .collect();
        of_scenario.sort_by_key(|r| std::cmp::Reverse(r.latency_us));
        let expected: Vec<u64> = of_scenario.iter().take(10).map(|r| r.latency_us).collect();
        let kept: Vec<u64> = scenario.slowest.iter().map(|e| e.latency_us).collect();
        assert_eq!(kept, expected, "{}", scenario.scenario);
        for e in scenario
            .slowest
            .iter()
            .chain(scenario.exemplars.iter().map(|p| &p.exemplar))
        {
            assert!(
                of_scenario
                    .iter()
                    .any(|r| r.trace_id.as_deref() == Some(e.trace_id.as_str())
                        && r.latency_us == e.latency_us
                        && r.status == e.status),
                "{e:?} is a sampled request of {}",
                scenario.scenario
            );
        }
        assert_eq!(scenario.exemplars.len(), 5, "{}", scenario.scenario);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratios_zero_and_one_sample_nothing_and_everything() {
    let target = TestTarget::start(Behaviour::default()).await;
    for (ratio, expected) in [(0.0, 0), (1.0, 300)] {
        let mut config = target.config(3000.0, 300);
        config.sampler = SamplerChoice::Ratio(ratio);
        let report = loadgen::run(config, pending()).await.unwrap();
        assert_eq!(report.tracing.sampled, expected, "ratio {ratio}");
        // Exemplars come without a manifest too, and only from sampled requests.
        let exemplars = report.overall.slowest.len() + report.overall.exemplars.len();
        assert_eq!(
            exemplars > 0,
            expected > 0,
            "ratio {ratio}: {exemplars} exemplars"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_is_measured_from_the_intended_start_through_a_stall() {
    // One connection; the 10th request stalls 500 ms. The requests due during
    // the stall wait behind it: a closed-loop measurement would hide that.
    let stall = Duration::from_millis(500);
    let target = TestTarget::start(Behaviour {
        stall: Some((9, stall)),
        ..Behaviour::default()
    })
    .await;
    let mut config = target.config(100.0, 100);
    config.connections = 1;
    let (report, manifest) = run_with_manifest(config).await;

    let stall_us = stall.as_micros() as u64;
    let latency = &report.overall.latency;
    assert!(latency.max_us >= stall_us, "{report}");
    assert!(
        latency.p99_us >= stall_us * 9 / 10,
        "p99 includes the stall: {report}"
    );
    // Slots 10..=34 were due during the first half of the stall: each waited
    // at least a quarter second, which the corrected latency shows.
    let waited = manifest
        .iter()
        .filter(|r| r.latency_us >= stall_us / 2)
        .count();
    assert!(waited >= 20, "only {waited} requests show the wait");
    assert!(latency.p90_us >= stall_us / 2, "{report}");
    assert!(
        report.schedule.start_lag.max_us >= stall_us * 8 / 10,
        "{report}"
    );
    // Open loop: the schedule did not slow down for the stall.
    let mut intended: Vec<u64> = manifest.iter().map(|r| r.intended_start_us).collect();
    intended.sort_unstable();
    assert!((intended[99] - intended[0]).abs_diff(990_000) <= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_mid_run_sends_no_more_and_still_reports_every_request() {
    let target = TestTarget::start(Behaviour::default()).await;
    let mut config = target.config(200.0, 0);
    config.requests = None;
    config.duration = Some(Duration::from_secs(60));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.jsonl");
    config.manifest = Some(path.clone());
    let stop = async { target.wait_for(50).await };
    let report = tokio::time::timeout(Duration::from_secs(30), loadgen::run(config, stop))
        .await
        .expect("the stop ends the run")
        .unwrap();
    let manifest = read_manifest(&path).unwrap();
    assert!(report.runs[0].stopped_early);
    assert!(
        report.schedule.sent >= 50 && report.schedule.sent < 12_000,
        "{report}"
    );
    assert_eq!(manifest.len() as u64, report.schedule.sent);
    assert_eq!(report.overall.count, report.schedule.sent);
    assert_eq!(
        target.count(),
        report.schedule.sent,
        "nothing is sent after the stop"
    );
    assert!(report.to_string().contains("stopped early"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_while_the_backlog_drains_drops_the_queued_requests() {
    // One connection at 50 ms a request: the whole schedule is due (and
    // queued) long before it can be served.
    let target = TestTarget::answering_after(Duration::from_millis(50)).await;
    let mut config = target.config(1000.0, 100);
    config.connections = 1;
    let stop = async {
        target.wait_for(5).await;
    };
    let report = tokio::time::timeout(Duration::from_secs(20), loadgen::run(config, stop))
        .await
        .expect("the stop ends the drain")
        .unwrap();
    assert!(report.runs[0].stopped_early);
    assert!(report.schedule.cancelled >= 50, "{report}");
    assert_eq!(report.schedule.sent + report.schedule.cancelled, 100);
    assert_eq!(target.count(), report.schedule.sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_that_cannot_be_written_stops_and_fails_the_run() {
    let target = TestTarget::start(Behaviour::default()).await;
    let mut config = target.config(4000.0, 4000);
    config.manifest = Some("/dev/full".into());
    let report = loadgen::run(config, pending()).await.unwrap();
    assert!(report.runs[0].stopped_early, "{report}");
    assert!(report.schedule.sent < 4000, "{report}");
    assert!(!report.passed());
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("/dev/full") && p.contains("No space left")),
        "{:?}",
        report.problems
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_is_down_is_counted_and_the_run_goes_on() {
    let addr = closed_port();
    let mut config = LoadConfig::new(Target::parse(&format!("http://{addr}")).unwrap(), 500.0);
    config.duration = None;
    config.requests = Some(100);
    let (report, manifest) = run_with_manifest(config).await;
    assert_eq!(report.schedule.sent, 100, "the schedule goes on");
    assert_eq!(report.overall.errors.connect, 100);
    assert_eq!(report.failed_requests(), 100);
    assert!(!report.passed());
    assert!(
        manifest
            .iter()
            .all(|r| r.outcome == Outcome::Connect && r.status.is_none())
    );
    let line = report.summary_line();
    assert!(
        line.starts_with("100 of 100 requests failed") && line.contains("connect 100"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_time_out_and_wrong_statuses_are_counted_per_scenario() {
    let slow = TestTarget::answering_after(Duration::from_secs(2)).await;
    let mut config = slow.config(200.0, 20);
    config.timeout = Duration::from_millis(100);
    let (report, manifest) = run_with_manifest(config).await;
    assert_eq!(report.overall.errors.timeout, 20, "{report}");
    assert!(
        manifest
            .iter()
            .all(|r| r.outcome == Outcome::Timeout && r.latency_us >= 100_000)
    );

    let wrong = TestTarget::start(Behaviour {
        fraud_is_500: true,
        ..Behaviour::default()
    })
    .await;
    let mut config = wrong.config(2000.0, 400);
    config.mix = Some("valid=1,fraud=1".parse().unwrap());
    let report = loadgen::run(config, pending()).await.unwrap();
    let row = |name: &str| {
        report
            .scenarios
            .iter()
            .find(|s| s.scenario == name)
            .unwrap()
    };
    let fraud = row("fraud");
    assert!(fraud.count > 100);
    assert_eq!(fraud.unexpected_status, fraud.count);
    assert_eq!(fraud.statuses, [("500".to_owned(), fraud.count)].into());
    assert_eq!(row("valid").unexpected_status, 0);
    assert_eq!(report.failed_requests(), fraud.count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampler_none_sends_no_traceparent_and_reads_traceresponse() {
    let target = TestTarget::start(Behaviour {
        traceresponse: true,
        ..Behaviour::default()
    })
    .await;
    let mut config = target.config(2000.0, 200);
    config.sampler = SamplerChoice::None;
    config.mix = Some("valid=3,health=1".parse().unwrap());
    let (report, manifest) = run_with_manifest(config).await;
    let seen = target.seen();
    assert!(
        seen.iter()
            .all(|s| s.traceparent.is_none() && s.baggage.is_some())
    );
    let answered: HashSet<String> = seen
        .iter()
        .filter_map(|s| s.traceresponse.clone())
        .collect();
    for r in &manifest {
        match r.scenario.as_str() {
            "health" => {
                assert_eq!((&r.trace_id, &r.span_id, r.sampled), (&None, &None, None));
            }
            _ => {
                let tr = format!(
                    "00-{}-{}-0{}",
                    r.trace_id.as_deref().unwrap(),
                    r.span_id.as_deref().unwrap(),
                    u8::from(r.sampled.unwrap())
                );
                assert!(answered.contains(&tr), "{tr}");
            }
        }
        assert!(!r.root_span);
    }
    let health = manifest.iter().filter(|r| r.scenario == "health").count() as u64;
    assert_eq!(report.tracing.unknown, health);
    assert_eq!(
        report.tracing.sampled + report.tracing.not_sampled,
        200 - health
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_split_rate_and_ids_and_their_reports_merge() {
    let target = TestTarget::start(Behaviour::default()).await;
    let shard = |index| {
        let mut c = target.config(800.0, 400);
        c.shard = Shard { index, count: 2 };
        run_with_manifest(c)
    };
    let ((a, ma), (b, mb)) = tokio::join!(shard(0), shard(1));
    assert_eq!((a.schedule.sent, b.schedule.sent), (200, 200));
    assert_eq!(a.schedule.intended_rps, 400.0);
    let ids = |m: &[ManifestRecord]| -> HashSet<String> {
        m.iter().map(|r| r.trace_id.clone().unwrap()).collect()
    };
    assert!(
        ids(&ma).is_disjoint(&ids(&mb)),
        "shards of one seed share no trace id"
    );
    // seq is the slot in the schedule the shards share: shard 0 has the
    // even ones, shard 1 the odd ones, together each of 0..400 once.
    assert!(ma.iter().all(|r| r.seq % 2 == 0) && mb.iter().all(|r| r.seq % 2 == 1));
    let seqs: HashSet<u64> = ma.iter().chain(&mb).map(|r| r.seq).collect();
    assert_eq!(seqs, (0..400).collect(), "seq unique across the shards");
    let start =
        |m: &[ManifestRecord], seq| m.iter().find(|r| r.seq == seq).unwrap().intended_start_us;
    assert_eq!(
        start(&ma, 20) - start(&ma, 0),
        25_000,
        "each shard keeps its share of the rate: its 10th request 25 ms after its first"
    );

    let merged = loadgen::merge(&[
        loadgen::Report::from_json(&a.to_json()).unwrap(),
        loadgen::Report::from_json(&b.to_json()).unwrap(),
    ])
    .unwrap();
    assert_eq!(merged.runs.len(), 2);
    assert_eq!(merged.overall.count, 400);
    assert_eq!(merged.overall.latency.histogram.len(), 400);
    assert_eq!(merged.schedule.intended_rps, 800.0);
    // The reports pass through JSON, which may move a rate by its last bit.
    let sum = a.schedule.achieved_rps + b.schedule.achieved_rps;
    assert!(
        (merged.schedule.achieved_rps - sum).abs() <= sum * 1e-12,
        "merged rate {} is the sum of the shards' {sum}",
        merged.schedule.achieved_rps
    );
    assert_eq!(target.count(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cap_on_requests_in_flight_is_hit_and_said() {
    let target = TestTarget::answering_after(Duration::from_millis(100)).await;
    // 2 connections at 100 ms each serve 20 rps; 100 rps are asked.
    let mut config = target.config(100.0, 20);
    config.connections = 2;
    config.max_in_flight = 4;
    let report = loadgen::run(config, pending()).await.unwrap();
    assert_eq!(report.schedule.sent, 20);
    assert!(report.schedule.cap_hits > 0, "{report}");
    assert!(report.behind_schedule());
    assert!(report.schedule.achieved_rps < 50.0, "{report}");
    assert!(report.to_string().contains("did not keep up"), "{report}");
}

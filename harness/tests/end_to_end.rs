//! The whole chain through the harness library: embedded tracestore and both
//! services, real loadgen with root spans and manifest, real OTLP export, the
//! verifier over the store's Jaeger API (v3, and v1 with split search
//! windows). Correct services pass with every sampled trace found complete,
//! with or without the loadgen's exported CLIENT spans; each injected fault
//! fails with its rule; an unreachable exporter endpoint fails on missing
//! traces. (The one end-to-end test of the project: the verifier's own
//! tests read scripted Jaeger answers.)

use std::time::Duration;

use harness::{Backend, JobConfig, JobReport, StackConfig, run_job};
use loadgen::{LoadConfig, RootSpans, SamplerChoice, Target};
use services::Faults;
use telemetry::{OtelConfig, SamplerConfig};
use tracestore::{TraceStore, TraceStoreConfig};
use verifier::{ApiChoice, Rule, VerifyConfig};

/// A short load at sampler 0.5 with every scenario.
fn job(faults: &str, requests: u64) -> JobConfig {
    let mut load = LoadConfig::new(Target::parse("http://127.0.0.1:1").unwrap(), 300.0);
    load.requests = Some(requests);
    load.duration = None;
    load.mix = Some("valid=5,invalid=2,fraud=2,health=1".parse().unwrap());
    load.sampler = SamplerChoice::Ratio(0.5);
    load.seed = 11;
    load.connections = 4;
    load.root_spans = RootSpans::otlp(OtelConfig::new("loadgen", SamplerConfig::AlwaysOn));
    let mut verify = VerifyConfig::new("");
    verify.settle = Duration::from_secs(4);
    verify.quiet_period = Duration::from_secs(1);
    verify.poll_interval = Duration::from_millis(200);
    JobConfig {
        load,
        verify,
        backend: Backend::Embedded,
        stack: StackConfig {
            faults: faults.parse::<Faults>().unwrap(),
            ..StackConfig::default()
        },
        manifest: None,
    }
}

fn explain(report: &JobReport) -> String {
    report.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_services_pass_with_every_sampled_trace_complete() {
    let report = run_job(job("", 600), std::future::pending()).await.unwrap();
    assert!(report.passed(), "{}", explain(&report));
    assert_eq!(report.exit_code(), 0);
    assert_eq!(report.load.overall.count, 600, "{}", explain(&report));

    let verdict = &report.verdict;
    let sampling = verdict.sampling.as_ref().expect("a sampling test");
    assert_eq!(sampling.requests, 600);
    assert!(
        (200..=400).contains(&sampling.sampled),
        "about half sampled: {}",
        sampling.sampled
    );
    // 100% of the sampled traces found, checked and complete; no unsampled
    // trace stored.
    assert_eq!(
        verdict.summary.checked,
        sampling.sampled,
        "{}",
        explain(&report)
    );
    assert_eq!(verdict.summary.passed, sampling.sampled);
    assert_eq!(verdict.summary.missing, 0);
    assert_eq!(verdict.summary.unsampled_stored, 0);
    for scenario in ["valid", "invalid", "fraud", "health"] {
        assert!(
            verdict
                .summary
                .scenarios
                .get(scenario)
                .is_some_and(|s| s.passed > 0),
            "{scenario} checked: {}",
            explain(&report)
        );
    }
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["passed"], true);
    assert_eq!(json["load"]["overall"]["count"], 600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_v1_api_and_unexported_loadgen_spans_pass() {
    let mut over_v1 = job("", 80);
    over_v1.verify.api = ApiChoice::V1;
    over_v1.verify.max_traces = 16; // forces window splitting against a real store
    let mut without_root_spans = job("", 40);
    without_root_spans.load.root_spans = RootSpans::Off;
    for config in [over_v1, without_root_spans] {
        let report = run_job(config, std::future::pending()).await.unwrap();
        assert!(report.passed(), "{}", explain(&report));
        let sampling = report.verdict.sampling.as_ref().unwrap();
        assert!(sampling.sampled > 5, "{}", explain(&report));
        assert_eq!(
            report.verdict.summary.checked,
            sampling.sampled,
            "every sampled request checked: {}",
            explain(&report)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_injected_fault_fails_with_its_rule() {
    for (fault, rule) in [
        ("drop-propagation", Rule::SpanTree),
        ("no-error-status", Rule::ErrorStatus),
        ("orphan-span", Rule::Orphan),
        ("skip-save-span", Rule::SpanTree),
        ("wrong-kind", Rule::CrossServiceEdge),
        // The store is quiet when the settle runs out: the late spans are missing.
        ("late-export", Rule::SpanTree),
        ("child-outlives-parent", Rule::ChildWithinParent),
    ] {
        let report = run_job(job(fault, 60), std::future::pending())
            .await
            .unwrap();
        assert!(!report.passed(), "{fault} passed:\n{}", explain(&report));
        assert_eq!(report.exit_code(), 1);
        assert!(
            report.load.passed(),
            "{fault} changes no answer: {}",
            report.load.summary_line()
        );
        assert!(
            report.verdict.failures_of(rule).count() > 0,
            "{fault} should break {}:\n{}",
            rule.name(),
            explain(&report)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_spans_within_the_settle_pass() {
    let mut config = job("", 60);
    config.stack.faults = "late-export"
        .parse::<Faults>()
        .unwrap()
        .with_late_export_delay(Duration::from_secs(2));
    config.verify.settle = Duration::from_secs(20);
    let report = run_job(config, std::future::pending()).await.unwrap();
    assert!(report.passed(), "{}", explain(&report));
    // Each save_order span ends 2 s after its request's save, and the last
    // requests were saved just before the verifier started (the load lasts
    // 0.2 s): it cannot have found every trace complete much sooner.
    assert!(
        report.verdict.settle.elapsed_ms >= 1_000,
        "the verifier waited for the late spans: {:?}",
        report.verdict.settle
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampler_none_traces_rooted_at_the_services_pass() {
    // No traceparent: the services sample every trace (their ratio is 1.0),
    // the manifest reads trace ids from traceresponse, nothing roots at the loadgen.
    let mut config = job("", 40);
    config.load.sampler = SamplerChoice::None;
    let report = run_job(config, std::future::pending()).await.unwrap();
    assert!(report.passed(), "{}", explain(&report));
    assert_eq!(report.verdict.summary.checked, 40, "{}", explain(&report));
    let sampling = report.verdict.sampling.as_ref().unwrap();
    assert_eq!((sampling.requests, sampling.sampled), (40, 40));
    assert_eq!(sampling.expected_ratio, None, "no ratio to test against");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exporter_down_keeps_answers_and_fails_on_missing_traces() {
    // An endpoint nothing listens on: bind a port, then free it.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    // The verifier reads an empty store.
    let empty = TraceStore::start(TraceStoreConfig::ephemeral())
        .await
        .unwrap();
    let mut config = job("", 80);
    config.backend = Backend::ExternalJaeger {
        jaeger_url: empty.query_url(),
        otlp_endpoint: dead,
    };
    config.verify.settle = Duration::from_secs(2);
    let report = run_job(config, std::future::pending()).await.unwrap();

    // Every request got its expected answer; the loadgen reports the root
    // spans it could not export as a problem of the run.
    assert_eq!(
        report.load.failed_requests(),
        0,
        "the services answer as usual: {}",
        report.load.summary_line()
    );
    assert_eq!(report.load.overall.count, 80);
    assert!(
        report
            .load
            .problems
            .iter()
            .any(|p| p.contains("not exported")),
        "{:?}",
        report.load.problems
    );
    assert!(!report.passed(), "{}", explain(&report));
    let sampled = report.verdict.sampling.as_ref().unwrap().sampled;
    assert!(sampled > 0);
    assert_eq!(
        report.verdict.failures_of(Rule::MissingTrace).count() as u64,
        sampled,
        "{}",
        explain(&report)
    );
    assert_eq!(report.verdict.summary.checked, 0);
    assert_eq!(empty.span_count(), 0);
    empty.shutdown().await;
}

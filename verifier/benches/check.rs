//! How fast traces are checked once fetched, and how fast Jaeger's JSON is
//! read: 1,000 contract traces (valid, invalid, fraud and health mixed as the
//! loadgen's default mix does), reported as traces per second; and one
//! malformed trace of 100,000 spans, a parent->child chain or one parent's
//! sequential children, checked and printed (its tree, critical path and
//! text report), reported as time per trace.
//!
//! `cargo bench -p verifier --bench check`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use verifier::jaeger::{ApiVersion, v1, v3};
use verifier::model::Trace;
use verifier::{Checker, Failure, Format, Summary, TraceContext, Verdict, spec::Spec};
use verifier::{Settle, Window, trace_detail};

#[path = "../tests/common/traces.rs"]
mod traces;

const TRACES: usize = 1_000;

fn benches(c: &mut Criterion) {
    let built = traces::mix(
        0x7000_0000_0000_0000_0000_0000_0000_0000,
        TRACES as u64,
        traces::seconds_ago(60),
        1_000_000,
    );
    let refs: Vec<&traces::TTrace> = built.iter().collect();
    let v3_json = traces::v3_answer(&refs).to_string().into_bytes();
    let v1_json = traces::v1_answer(&refs).to_string().into_bytes();
    let parsed = v3::parse_traces(&v3_json).expect("valid v3 JSON");
    let spec = Spec::contract();
    let checker = Checker::new(&spec);
    assert!(
        parsed
            .iter()
            .all(|t| checker.check(t, &TraceContext::default()).passed())
    );

    let mut group = c.benchmark_group("verifier");
    group.throughput(Throughput::Elements(TRACES as u64));
    group.bench_function("check 1000 traces", |b| {
        b.iter(|| {
            let failed = parsed
                .iter()
                .filter(|t| {
                    !checker
                        .check(black_box(t), &TraceContext::default())
                        .passed()
                })
                .count();
            black_box(failed)
        })
    });
    group.bench_function("parse v3 JSON of 1000 traces", |b| {
        b.iter(|| v3::parse_traces(black_box(&v3_json)).map(|t| t.len()))
    });
    group.bench_function("parse v1 JSON of 1000 traces", |b| {
        b.iter(|| v1::parse_traces(black_box(&v1_json)).map(|t| t.len()))
    });
    group.finish();

    thresholds(c, &parsed);
    let parsed = |trace: traces::TTrace| {
        let json = traces::v3_answer(&[&trace]).to_string().into_bytes();
        v3::parse_traces(&json).expect("valid v3 JSON").remove(0)
    };
    let t0 = traces::seconds_ago(60);
    let chain = parsed(traces::chain(0x7100 << 112, t0, CHAIN));
    let wide = parsed(traces::wide(0x7200 << 112, t0, CHAIN));
    let mut group = c.benchmark_group("verifier");
    group.sample_size(10);
    group.bench_function("check and print a chain of 100000 spans", |b| {
        b.iter(|| check_and_print(&checker, black_box(&chain)).len())
    });
    group.bench_function("check and print 100000 sequential siblings", |b| {
        b.iter(|| check_and_print(&checker, black_box(&wide)).len())
    });
    group.finish();
}

/// Spans in the chain trace.
const CHAIN: usize = 100_000;

/// What the verifier does with a failing trace: check it, build its tree
/// and critical path, print the text report.
fn check_and_print(checker: &Checker<'_>, trace: &Trace) -> String {
    let outcome = checker.check(trace, &TraceContext::default());
    let link = format!("http://127.0.0.1:16686/trace/{}", trace.trace_id);
    let verdict = Verdict {
        passed: false,
        spec: checker.spec().name.clone(),
        jaeger_url: "http://127.0.0.1:16686".to_owned(),
        api: ApiVersion::V3,
        services: checker.spec().services.clone(),
        window: Window {
            start: String::new(),
            end: String::new(),
        },
        settle: Settle {
            polls: 1,
            elapsed_ms: 0,
            quiet: true,
        },
        summary: Summary::default(),
        sampling: None,
        slowest: Vec::new(),
        thresholds: Vec::new(),
        traces: vec![trace_detail(
            trace,
            &outcome.findings,
            link.clone(),
            outcome.scenario.clone(),
        )],
        failures: outcome
            .findings
            .into_iter()
            .map(|f| Failure {
                rule: f.rule,
                trace_id: Some(trace.trace_id),
                link: Some(link.clone()),
                span_id: f.span_id,
                scenario: outcome.scenario.clone(),
                message: f.message,
            })
            .collect(),
    };
    assert_eq!(verdict.failures.len(), CHAIN);
    verifier::render(&verdict, Format::Text, Default::default())
}

/// The cost of run-wide thresholds: 100,000 traces (the 1,000 above, 100
/// times) checked against the contract without its thresholds, and checked
/// and fed to the contract's thresholds (HDR histograms, worst offenders).
fn thresholds(c: &mut Criterion, parsed: &[verifier::model::Trace]) {
    const ROUNDS: usize = 100;
    let with = Spec::contract();
    assert!(!with.thresholds.is_empty());
    let mut without = with.clone();
    without.thresholds.clear();
    let mut group = c.benchmark_group("thresholds");
    group.sample_size(10);
    group.throughput(Throughput::Elements((ROUNDS * parsed.len()) as u64));
    let run = |spec: &Spec| {
        let checker = Checker::new(spec);
        let mut thresholds = verifier::Thresholds::new(&spec.thresholds);
        for _ in 0..ROUNDS {
            for trace in parsed {
                let outcome = checker.check(black_box(trace), &TraceContext::default());
                let scenario = outcome.scenario.as_deref().unwrap_or("");
                thresholds.observe(trace, scenario, outcome.passed());
            }
        }
        thresholds.finish(|id| id.to_string())
    };
    group.bench_function("check 100000 traces", |b| {
        b.iter(|| black_box(run(&without)))
    });
    group.bench_function("check 100000 traces with the contract's thresholds", |b| {
        b.iter(|| black_box(run(&with)))
    });
    group.finish();
}

criterion_group!(verifier_benches, benches);
criterion_main!(verifier_benches);

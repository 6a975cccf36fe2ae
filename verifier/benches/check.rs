//! How fast traces are checked once fetched, and how fast Jaeger's JSON is
//! read: 1,000 contract traces (valid, invalid, fraud and health mixed as the
//! loadgen's default mix does), reported as traces per second.
//!
//! `cargo bench -p verifier --bench check`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use verifier::jaeger::{v1, v3};
use verifier::{Checker, Spec, TraceContext};

#[path = "../tests/common/traces.rs"]
mod traces;

const TRACES: usize = 1_000;

fn contract_traces() -> Vec<traces::TTrace> {
    let t0 = traces::seconds_ago(60);
    (0..TRACES)
        .map(|i| {
            let id = 0x7000_0000_0000_0000_0000_0000_0000_0000 + i as u128;
            let start = t0 + i as u64 * 1_000_000;
            match i % 10 {
                0 => traces::invalid(id, start),
                1 => traces::fraud(id, start),
                2 => traces::health(id, start),
                _ => traces::valid(id, start),
            }
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let built = contract_traces();
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
}

criterion_group!(verifier_benches, benches);
criterion_main!(verifier_benches);

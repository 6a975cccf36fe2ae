//! End to end from the store: tracestore (in process, on loopback) loaded
//! with 20,000 contract traces over OTLP, then one complete read and check
//! of the window by `verifier::verify` (every service of the contract
//! searched, the window cut by the density seen), reported as traces per
//! second. The store and the verifier share the machine's cores, as in
//! `harness run`.
//!
//! A second function settles as `verifier` does by default (`--settle 15s`)
//! over the first 5,000 of them.
//!
//! `cargo bench -p verifier --bench read`

use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use verifier::{TimeWindow, VerifyConfig, verify};

#[path = "../tests/common/traces.rs"]
mod traces;

const TRACES: u64 = 20_000;
/// Traces of the settling bench (the first of the 20,000).
const SETTLED: u64 = 5_000;
/// One trace starting every millisecond: 20 s of a 1,000 rps run.
const GAP_NS: u64 = 1_000_000;

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let t0 = traces::seconds_ago(120);
    let store = rt.block_on(async {
        let store = tracestore::TraceStore::start(tracestore::TraceStoreConfig::ephemeral())
            .await
            .expect("store starts");
        let built = traces::mix(
            0x7100_0000_0000_0000_0000_0000_0000_0000,
            TRACES,
            t0,
            GAP_NS,
        );
        traces::export(&store.otlp_http_endpoint(), &built, 500).await;
        store
    });
    let mut config = VerifyConfig::new(store.query_url());
    config.window = Some(TimeWindow::Between {
        start: UNIX_EPOCH + Duration::from_nanos(t0 - 1_000_000_000),
        end: UNIX_EPOCH + Duration::from_nanos(t0 + TRACES * GAP_NS + 1_000_000_000),
    });
    // One read: the settle loop's second read (that the store is stable)
    // costs the same again.
    config.settle = Duration::ZERO;
    let verdict = rt.block_on(verify(&config)).expect("verifies");
    assert!(verdict.passed(), "{:?}", verdict.failures.first());
    assert_eq!(verdict.summary.checked, TRACES);

    let mut group = c.benchmark_group("verifier");
    group.sample_size(10);
    group.throughput(Throughput::Elements(TRACES));
    group.bench_function("read and check 20000 traces from tracestore", |b| {
        b.to_async(&rt)
            .iter(|| async { verify(&config).await.map(|v| v.summary.checked) })
    });
    // Settling as `verifier` and `harness run` do by default (--settle 15s,
    // --poll-interval 500ms) over the first 5,000 traces: a complete read,
    // then proof that the store did not change (a second read, or against
    // a tracestore its counters a poll interval later).
    let mut settled = config.clone();
    settled.settle = Duration::from_secs(15);
    settled.window = Some(TimeWindow::Between {
        start: UNIX_EPOCH + Duration::from_nanos(t0 - GAP_NS / 2),
        end: UNIX_EPOCH + Duration::from_nanos(t0 + SETTLED * GAP_NS - GAP_NS / 2),
    });
    group.throughput(Throughput::Elements(SETTLED));
    group.bench_function("read, check and settle 5000 traces from tracestore", |b| {
        b.to_async(&rt).iter(|| async {
            let verdict = verify(&settled).await.expect("verifies");
            assert_eq!(verdict.summary.checked, SETTLED);
            verdict.settle.polls
        })
    });
    group.finish();
    rt.block_on(store.shutdown());
}

criterion_group!(read_benches, benches);
criterion_main!(read_benches);

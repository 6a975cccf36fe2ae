//! v3 search answers: an in-process tracestore holding 2,000 eight-span
//! contract-shaped traces (the ingest bench's batches) answers
//! `GET /api/v3/traces` for all of them at once (search depth 2,000, what a
//! verifier's window read asks), and `GET /api/v3/traces/{id}` for one,
//! over HTTP on loopback; throughput is traces served. The answer is read
//! whole, so the figure covers finding, adjusting and writing the OTLP
//! JSON and sending it.
//!
//! Run: `cargo bench -p tracestore --bench search`

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::raw_grpc::RawClient;
use common::{TRACES_PER_BATCH, contract_batch, trace_id};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prost::Message;
use tracestore::{TraceStore, TraceStoreConfig};

/// Traces stored and asked for in one search.
const TRACES: usize = 2_000;
/// A window holding every stored trace (they start at
/// 2026-01-02T03:04:05Z, 10 ms apart).
const WINDOW: &str =
    "query.start_time_min=2026-01-02T03:00:00Z&query.start_time_max=2026-01-02T04:00:00Z";

fn search(c: &mut Criterion) {
    let rt = common::runtime();
    let store = rt.block_on(async {
        let store = TraceStore::start(TraceStoreConfig::ephemeral())
            .await
            .expect("store starts");
        let mut client = RawClient::connect(store.otlp_grpc_endpoint()).await;
        for first in (0..TRACES).step_by(TRACES_PER_BATCH) {
            let bytes = contract_batch(0, first as u64).encode_to_vec();
            client
                .export(Bytes::from(bytes))
                .await
                .expect("export accepted");
        }
        store
    });
    let http = reqwest::Client::new();
    let base = store.query_url();
    let get = |url: String| {
        let http = http.clone();
        async move {
            let res = http.get(url).send().await.expect("answer");
            assert_eq!(res.status(), 200);
            res.bytes().await.expect("body").len()
        }
    };
    let search_url = format!(
        "{base}/api/v3/traces?query.service_name=order-api&{WINDOW}&query.search_depth={TRACES}"
    );
    let one = rt.block_on(get(search_url.clone()));
    eprintln!("one search answer: {TRACES} traces, {one} bytes");

    let mut group = c.benchmark_group("v3_answers");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(TRACES as u64));
    group.bench_function(format!("search_{TRACES}_traces"), |b| {
        b.to_async(&rt).iter(|| get(search_url.clone()));
    });
    group.throughput(Throughput::Elements(1));
    let id: String = trace_id(0, 7).iter().map(|b| format!("{b:02x}")).collect();
    let trace_url = format!("{base}/api/v3/traces/{id}");
    group.bench_function("get_trace", |b| {
        b.to_async(&rt).iter(|| get(trace_url.clone()));
    });
    group.finish();
    rt.block_on(store.shutdown());
}

criterion_group!(benches, search);
criterion_main!(benches);

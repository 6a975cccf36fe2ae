//! Ingest throughput over OTLP/gRPC: export requests of 512 spans (64
//! eight-span traces of the contract's valid order, realistic attributes)
//! into an in-process tracestore on loopback, one client and four
//! concurrent clients. Requests are encoded once and only their trace ids
//! are rewritten per send, so the figure is the store's (decode, group,
//! index, store, evict), not the client's encoding. The store is bounded at
//! 500,000 spans, so steady state includes eviction.
//!
//! Run: `cargo bench -p tracestore --bench ingest`

#[allow(dead_code)]
#[path = "../tests/common/raw_grpc.rs"]
mod raw_grpc;

use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span::Event};
use prost::Message;
use raw_grpc::RawClient;
use tracestore::{TraceStore, TraceStoreConfig};

const SPANS_PER_BATCH: usize = 512;
const SPANS_PER_TRACE: usize = 8;
const TRACES_PER_BATCH: usize = SPANS_PER_BATCH / SPANS_PER_TRACE;

fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        key_strindex: 0,
    }
}

fn s(key: &str, v: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(v.into()))
}

/// Trace `t`'s id: a marker the patcher finds, then the trace's index.
fn trace_id(client: u8, t: usize) -> Vec<u8> {
    let mut id = vec![0xA5, 0x5A, 0xC3, 0x3C, client, 0x7E, 0xE7, 0x99];
    id.extend_from_slice(&(t as u64).to_be_bytes());
    id
}

/// One export request: 64 traces of 8 spans shaped like a valid order.
fn batch(client: u8) -> ExportTraceServiceRequest {
    let names = [
        ("POST /orders", 2),
        ("validate_order", 1),
        ("POST /payments", 3),
        ("POST /payments", 2),
        ("fraud_check", 1),
        ("charge_payment", 1),
        ("save_order", 1),
        ("GET /health", 2),
    ];
    let t0: u64 = 1_767_323_045_000_000_000;
    let mut spans = Vec::with_capacity(SPANS_PER_BATCH);
    for t in 0..TRACES_PER_BATCH {
        for (i, (name, kind)) in names.iter().enumerate() {
            let start = t0 + (t * 10_000_000 + i * 100_000) as u64;
            spans.push(Span {
                trace_id: trace_id(client, t),
                span_id: ((t * SPANS_PER_TRACE + i + 1) as u64)
                    .to_be_bytes()
                    .to_vec(),
                parent_span_id: if i == 0 {
                    Vec::new()
                } else {
                    ((t * SPANS_PER_TRACE + 1) as u64).to_be_bytes().to_vec()
                },
                flags: 0x101,
                name: (*name).into(),
                kind: *kind,
                start_time_unix_nano: start,
                end_time_unix_nano: start + 50_000,
                attributes: vec![
                    s("http.request.method", "POST"),
                    s("http.route", "/orders"),
                    s("url.path", "/orders"),
                    s("url.scheme", "http"),
                    kv("http.response.status_code", any_value::Value::IntValue(201)),
                    s("loadgen.scenario", "valid"),
                ],
                events: if i == 5 {
                    vec![Event {
                        time_unix_nano: start + 10_000,
                        name: "payment.charged".into(),
                        attributes: vec![s("payment.id", "pay-0123456789")],
                        dropped_attributes_count: 0,
                    }]
                } else {
                    Vec::new()
                },
                status: Some(Status::default()),
                ..Default::default()
            });
        }
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    s("service.name", "order-api"),
                    s("telemetry.sdk.language", "rust"),
                    s("telemetry.sdk.name", "opentelemetry"),
                    s("telemetry.sdk.version", "0.33.1"),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "order-api".into(),
                    version: "0.1.0".into(),
                    ..Default::default()
                }),
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// An encoded request whose trace ids are rewritten before every send, so
/// each send stores 64 new traces.
struct Sender {
    client: RawClient,
    bytes: Vec<u8>,
    /// Offsets of the 8 index bytes of every trace id occurrence.
    id_offsets: Vec<(usize, usize)>,
    sends: u64,
}

impl Sender {
    async fn new(endpoint: String, client_no: u8) -> Self {
        let bytes = batch(client_no).encode_to_vec();
        let marker = &trace_id(client_no, 0)[..8];
        let id_offsets = bytes
            .windows(16)
            .enumerate()
            .filter(|(_, w)| &w[..8] == marker)
            .map(|(at, w)| {
                let t = u64::from_be_bytes(w[8..].try_into().unwrap()) as usize;
                (at + 8, t)
            })
            .collect::<Vec<_>>();
        assert_eq!(
            id_offsets.len(),
            SPANS_PER_BATCH,
            "every trace id found once per span"
        );
        Sender {
            client: RawClient::connect(endpoint).await,
            bytes,
            id_offsets,
            sends: 0,
        }
    }

    async fn send(&mut self) {
        self.sends += 1;
        let base = self.sends * TRACES_PER_BATCH as u64;
        for &(at, t) in &self.id_offsets {
            self.bytes[at..at + 8].copy_from_slice(&(base + t as u64).to_be_bytes());
        }
        self.client
            .export(Bytes::copy_from_slice(&self.bytes))
            .await
            .expect("export accepted");
    }
}

fn ingest(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let store = rt.block_on(async {
        TraceStore::start(TraceStoreConfig {
            max_spans: 500_000,
            ..TraceStoreConfig::ephemeral()
        })
        .await
        .expect("store starts")
    });
    let endpoint = store.otlp_grpc_endpoint();

    let mut group = c.benchmark_group("otlp_grpc_ingest");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(3));
    group.measurement_time(Duration::from_secs(10));
    for clients in [1u8, 4] {
        let senders: Vec<Sender> = rt.block_on(async {
            let mut v = Vec::new();
            for n in 0..clients {
                v.push(Sender::new(endpoint.clone(), n).await);
            }
            v
        });
        let senders = std::sync::Arc::new(tokio::sync::Mutex::new(senders));
        group.throughput(Throughput::Elements(
            (SPANS_PER_BATCH * clients as usize) as u64,
        ));
        group.bench_function(format!("512_span_batches/{clients}_clients"), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let senders = senders.clone();
                async move {
                    let mut senders = senders.lock().await;
                    let start = Instant::now();
                    for _ in 0..iters {
                        let mut set = tokio::task::JoinSet::new();
                        for mut sender in senders.drain(..) {
                            set.spawn(async move {
                                sender.send().await;
                                sender
                            });
                        }
                        while let Some(done) = set.join_next().await {
                            senders.push(done.expect("sender task"));
                        }
                    }
                    start.elapsed()
                }
            });
        });
    }
    group.finish();
    let stats = store.stats();
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_owned)
        })
        .unwrap_or_default();
    eprintln!("{rss}");
    eprintln!(
        "store after the bench: {} spans held ({} MiB estimated), {} received, {} traces evicted",
        stats.spans,
        stats.bytes >> 20,
        stats.received_spans,
        stats.evicted_traces
    );
    rt.block_on(store.shutdown());
}

criterion_group!(benches, ingest);
criterion_main!(benches);

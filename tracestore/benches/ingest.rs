//! Ingest throughput over OTLP/gRPC: export requests of 512 spans (64
//! eight-span traces of the contract's valid order, realistic attributes)
//! into an in-process tracestore on loopback, one client and four
//! concurrent clients. Requests are encoded once and only their trace ids
//! are rewritten per send, so the figure is the store's (decode, group,
//! index, store, evict), not the client's encoding. The store is bounded at
//! 500,000 spans, so steady state includes eviction. In the same run the
//! same request bytes are decoded alone (before and after the ingest
//! runs): the limit for this machine at that moment, which the summary at
//! the end compares ingest with.
//!
//! Run: `cargo bench -p tracestore --bench ingest`

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::raw_grpc::RawClient;
use common::{SPANS_PER_BATCH, TRACES_PER_BATCH, contract_batch, rss_bytes, trace_id};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use tracestore::{TraceStore, TraceStoreConfig};

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
        let bytes = contract_batch(client_no, 0).encode_to_vec();
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

/// Spans and time measured by one bench function (warm-up included), for
/// the summary that puts ingest next to decoding in the same run.
#[derive(Debug, Default)]
struct Tally {
    spans: u64,
    time: Duration,
}

impl Tally {
    fn add(tally: &Mutex<Tally>, spans: u64, time: Duration) {
        if let Ok(mut t) = tally.lock() {
            t.spans += spans;
            t.time += time;
        }
    }

    fn rate(tally: &Mutex<Tally>) -> f64 {
        tally
            .lock()
            .map_or(0.0, |t| t.spans as f64 / t.time.as_secs_f64().max(1e-9))
    }
}

/// Decoding the bench's request bytes alone (prost, as tonic does): what
/// this machine can do at best at that moment.
fn decode_only(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: &str,
    tally: &Arc<Mutex<Tally>>,
) {
    let bytes = Bytes::from(contract_batch(0, 0).encode_to_vec());
    group.throughput(Throughput::Elements(SPANS_PER_BATCH as u64));
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let req = ExportTraceServiceRequest::decode(bytes.clone()).expect("decodes");
                std::hint::black_box(req);
            }
            let time = start.elapsed();
            Tally::add(tally, iters * SPANS_PER_BATCH as u64, time);
            time
        });
    });
}

fn ingest(c: &mut Criterion) {
    let rt = common::runtime();
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
    // Decoding alone before and after the ingest runs, so a change of the
    // machine's load during the run shows.
    let decode = Arc::new(Mutex::new(Tally::default()));
    decode_only(&mut group, "512_span_batches/decode_only", &decode);
    let mut ingested = Vec::new();
    for clients in [1u8, 4] {
        let senders: Vec<Sender> = rt.block_on(async {
            let mut v = Vec::new();
            for n in 0..clients {
                v.push(Sender::new(endpoint.clone(), n).await);
            }
            v
        });
        let senders = Arc::new(tokio::sync::Mutex::new(senders));
        let tally = Arc::new(Mutex::new(Tally::default()));
        let spans_per_iter = (SPANS_PER_BATCH * clients as usize) as u64;
        group.throughput(Throughput::Elements(spans_per_iter));
        group.bench_function(format!("512_span_batches/{clients}_clients"), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let senders = senders.clone();
                let tally = tally.clone();
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
                    let time = start.elapsed();
                    Tally::add(&tally, iters * spans_per_iter, time);
                    time
                }
            });
        });
        ingested.push((clients, tally));
    }
    let decode_before = Tally::rate(&decode);
    let decode_after = Arc::new(Mutex::new(Tally::default()));
    decode_only(
        &mut group,
        "512_span_batches/decode_only_again",
        &decode_after,
    );
    group.finish();
    let decode_after = Tally::rate(&decode_after);
    let decode_rate = (decode_before + decode_after) / 2.0;
    eprintln!(
        "decode only: {:.0} spans/s before the ingest runs, {:.0} after",
        decode_before, decode_after
    );
    for (clients, tally) in &ingested {
        let rate = Tally::rate(tally);
        eprintln!(
            "ingest, {clients} client(s): {rate:.0} spans/s = {:.2}x decode only",
            rate / decode_rate
        );
    }
    let stats = store.stats();
    eprintln!(
        "store after the bench: {} spans held ({} MiB estimated), {} received, {} traces evicted; process RSS {} MiB",
        stats.spans,
        stats.bytes >> 20,
        stats.received_spans,
        stats.evicted_traces,
        rss_bytes() >> 20
    );
    rt.block_on(store.shutdown());
}

criterion_group!(benches, ingest);
criterion_main!(benches);

//! Memory per stored span, and how close the store's byte estimate (what
//! `--max-bytes` bounds) is to the resident memory it costs.
//!
//! Fills an in-process tracestore over OTLP/gRPC with contract-shaped
//! traces (512-span exports of 8-span traces, see `common`) until it holds
//! `--spans` spans (default 1,000,000), then sends as many again so that
//! the store evicts its oldest traces all along (the steady state of a
//! long soak), and after each phase prints the process's RSS per stored
//! span and the ratio of the store's estimate to the RSS the spans added.
//! With `--max-bytes B` the store is bounded at B estimated bytes as well,
//! so the second phase shows what RSS that bound gives.
//!
//! Run (release): `cargo bench -p tracestore --bench memory [-- --spans N --max-bytes B]`

mod common;

use std::time::Instant;

use bytes::Bytes;
use common::raw_grpc::RawClient;
use common::{SPANS_PER_BATCH, TRACES_PER_BATCH, contract_batch, malloc_in_use, rss_bytes};
use prost::Message;
use tracestore::{RunningTraceStore, TraceStore, TraceStoreConfig};

/// What to measure, from the command line.
struct Options {
    spans: u64,
    max_bytes: Option<u64>,
}

fn options() -> Options {
    let mut o = Options {
        spans: 1_000_000,
        max_bytes: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |flag: &str| {
            args.next()
                .and_then(|v| v.replace('_', "").parse::<u64>().ok())
                .unwrap_or_else(|| {
                    eprintln!("memory: {flag} needs a whole number");
                    std::process::exit(2)
                })
        };
        match arg.as_str() {
            "--spans" => o.spans = number("--spans"),
            "--max-bytes" => o.max_bytes = Some(number("--max-bytes")),
            // `cargo bench` passes `--bench`; criterion's flags mean nothing here.
            _ => {}
        }
    }
    o
}

/// Sends fresh exports (new traces, new ids and values) until the store
/// has received `until` spans in all.
async fn fill(client: &mut RawClient, next_trace: &mut u64, store: &RunningTraceStore, until: u64) {
    while store.stats().received_spans < until {
        let body = contract_batch(0, *next_trace).encode_to_vec();
        *next_trace += TRACES_PER_BATCH as u64;
        client
            .export(Bytes::from(body))
            .await
            .expect("export accepted");
    }
}

fn report(phase: &str, store: &RunningTraceStore, baseline: (u64, u64), started: Instant) {
    let (baseline, heap_baseline) = baseline;
    let stats = store.stats();
    let rss = rss_bytes();
    let added = rss.saturating_sub(baseline).max(1);
    let spans = stats.spans.max(1);
    println!(
        "{phase}: {} spans held in {} traces ({} received, {} traces evicted) after {:.1} s",
        stats.spans,
        stats.traces,
        stats.received_spans,
        stats.evicted_traces,
        started.elapsed().as_secs_f64()
    );
    println!(
        "  RSS {} MiB ({} MiB over the empty store's): {:.0} bytes a span ({:.0} over the empty store's)",
        rss >> 20,
        added >> 20,
        rss as f64 / spans as f64,
        added as f64 / spans as f64
    );
    println!(
        "  estimate (what --max-bytes bounds) {} MiB = {:.2}x the RSS the spans added, {:.2}x the whole RSS",
        stats.bytes >> 20,
        stats.bytes as f64 / added as f64,
        stats.bytes as f64 / rss.max(1) as f64
    );
    if let Some(heap) = malloc_in_use() {
        let heap = heap.saturating_sub(heap_baseline);
        println!(
            "  malloc in use {} MiB over the empty store's: estimate = {:.2}x that; RSS added = {:.2}x that (the rest is free memory the allocator keeps)",
            heap >> 20,
            stats.bytes as f64 / heap.max(1) as f64,
            added as f64 / heap.max(1) as f64
        );
    }
}

fn main() {
    let o = options();
    let rt = common::runtime();
    rt.block_on(async {
        let store = TraceStore::start(TraceStoreConfig {
            max_spans: o.spans,
            max_bytes: o.max_bytes,
            ..TraceStoreConfig::ephemeral()
        })
        .await
        .expect("store starts");
        let mut client = RawClient::connect(store.otlp_grpc_endpoint()).await;
        let mut next_trace = 0;
        // One export first, so that the baseline includes the runtime's,
        // the connection's and the allocator's first arenas.
        fill(&mut client, &mut next_trace, &store, 1).await;
        let baseline = (rss_bytes(), malloc_in_use().unwrap_or(0));
        println!(
            "empty store: RSS {} MiB; exports of {SPANS_PER_BATCH} spans; --max-spans {}{}",
            baseline.0 >> 20,
            o.spans,
            o.max_bytes
                .map_or(String::new(), |b| format!(", --max-bytes {b}"))
        );
        let started = Instant::now();
        fill(&mut client, &mut next_trace, &store, o.spans).await;
        report("filled", &store, baseline, started);
        fill(&mut client, &mut next_trace, &store, 2 * o.spans).await;
        report("as many again (evicting)", &store, baseline, started);
        store.shutdown().await;
    });
}

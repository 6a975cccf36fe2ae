//! Spans exported with the real opentelemetry-otlp exporter (gRPC,
//! HTTP/protobuf, HTTP/JSON) arrive in the store.

use std::time::Duration;

use opentelemetry::trace::{Tracer, TracerProvider as _};
use telemetry::{OtelConfig, Protocol, SamplerConfig, build_provider, shutdown_provider};
use tracestore::{TraceStore, TraceStoreConfig};

async fn export_spans(endpoint: String, protocol: Protocol, service: &str, n: usize) {
    let cfg = OtelConfig::new(service, SamplerConfig::AlwaysOn)
        .with_endpoint(endpoint)
        .with_protocol(protocol);
    let provider = build_provider(&cfg).unwrap();
    let tracer = provider.tracer("ingest-test");
    for i in 0..n {
        tracer.in_span(format!("op-{i}"), |_| {});
    }
    shutdown_provider(provider).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_protocol_delivers_spans() {
    let store = TraceStore::start(TraceStoreConfig::ephemeral()).await.unwrap();
    export_spans(store.otlp_grpc_endpoint(), Protocol::Grpc, "grpc-svc", 3).await;
    assert!(store.wait_for_spans(3, Duration::from_secs(10)).await);
    export_spans(store.otlp_http_endpoint(), Protocol::HttpProtobuf, "proto-svc", 4).await;
    assert!(store.wait_for_spans(7, Duration::from_secs(10)).await);
    export_spans(store.otlp_http_endpoint(), Protocol::HttpJson, "json-svc", 5).await;
    assert!(store.wait_for_spans(12, Duration::from_secs(10)).await);
    assert_eq!(store.span_count(), 12);
    assert_eq!(store.trace_count(), 12);
    assert_eq!(store.evicted_traces(), 0);
    store.shutdown().await;
}

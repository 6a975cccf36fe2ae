//! The discarding mode end to end: real OTLP exporters over every protocol
//! are answered with success and counted, nothing is stored, and broken
//! framing is refused.

use std::time::Duration;

use opentelemetry::trace::{Tracer, TracerProvider as _};
use telemetry::{OtelConfig, Protocol, SamplerConfig, build_provider, shutdown_provider};

use crate::{RunningTraceStore, TraceStore, TraceStoreConfig};

async fn discarding_store() -> RunningTraceStore {
    TraceStore::start(TraceStoreConfig {
        discard: true,
        ..TraceStoreConfig::ephemeral()
    })
    .await
    .expect("store starts")
}

/// Exports `n` spans through the `telemetry` crate's exporter for `protocol`.
async fn export(endpoint: String, protocol: Protocol, n: usize) {
    let cfg = OtelConfig::new("discard-test", SamplerConfig::AlwaysOn)
        .with_endpoint(endpoint)
        .with_protocol(protocol);
    let provider = build_provider(&cfg).expect("provider");
    let tracer = provider.tracer("discard-test");
    for i in 0..n {
        tracer.in_span(format!("op-{i}"), |_| {});
    }
    shutdown_provider(provider)
        .await
        .expect("every export succeeds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_protocol_is_counted_and_nothing_is_kept() {
    let store = discarding_store().await;
    export(store.otlp_grpc_endpoint(), Protocol::Grpc, 3).await;
    assert!(store.wait_for_spans(3, Duration::from_secs(10)).await);
    export(store.otlp_http_endpoint(), Protocol::HttpProtobuf, 4).await;
    assert!(store.wait_for_spans(7, Duration::from_secs(10)).await);
    export(store.otlp_http_endpoint(), Protocol::HttpJson, 5).await;
    assert!(store.wait_for_spans(12, Duration::from_secs(10)).await);
    let stats = store.stats();
    assert_eq!(stats.received_spans, 12);
    assert_eq!((stats.spans, stats.traces), (0, 0));
    let services = reqwest::get(format!("{}/api/v3/services", store.query_url()))
        .await
        .expect("query API answers")
        .text()
        .await
        .expect("body");
    assert_eq!(services, r#"{"services":[]}"#);
    store.shutdown().await;
}

/// A gRPC message frame (uncompressed) around `payload`.
fn grpc_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0];
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_framing_is_refused_over_grpc_and_http() {
    let store = discarding_store().await;
    // resource_spans (field 1) holding a scope_spans field cut short.
    let broken = [0x0a, 0x02, 0x12, 0x05];
    let http2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let answer = http2
        .post(format!(
            "{}/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            store.otlp_grpc_endpoint()
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(grpc_frame(&broken))
        .send()
        .await
        .expect("gRPC answer");
    assert_eq!(answer.headers()["grpc-status"], "3", "INVALID_ARGUMENT");

    let unknown = http2
        .post(format!(
            "{}/opentelemetry.proto.collector.trace.v1.TraceService/Other",
            store.otlp_grpc_endpoint()
        ))
        .header("content-type", "application/grpc")
        .body(grpc_frame(&[]))
        .send()
        .await
        .expect("gRPC answer");
    assert_eq!(unknown.headers()["grpc-status"], "12", "UNIMPLEMENTED");

    let answer = reqwest::Client::new()
        .post(format!("{}/v1/traces", store.otlp_http_endpoint()))
        .header("content-type", "application/x-protobuf")
        .body(broken.to_vec())
        .send()
        .await
        .expect("HTTP answer");
    assert_eq!(answer.status(), 400);
    assert_eq!(store.stats().received_spans, 0);
    store.shutdown().await;
}

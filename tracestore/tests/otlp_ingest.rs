//! OTLP ingest: real exporters over every protocol, malformed input over
//! HTTP and gRPC (the protocol's error, nothing stored, nothing lost),
//! partial success, the memory bound, concurrency and shutdown.

mod common;

use std::io::Write;
use std::time::Duration;

use bytes::Bytes;
use common::raw_grpc::RawClient;
use common::*;
use flate2::Compression;
use flate2::write::{GzEncoder, ZlibEncoder};
use opentelemetry::trace::{Tracer, TracerProvider as _};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use telemetry::{OtelConfig, Protocol, SamplerConfig, build_provider, shutdown_provider};
use tonic::Code;
// `google.rpc.Status`, the OTLP/HTTP error body.
use tonic_types::Status as RpcStatus;
use tracestore::{Error, RunningTraceStore, TraceStore, TraceStoreConfig};

async fn store_with(config: TraceStoreConfig) -> RunningTraceStore {
    TraceStore::start(config).await.expect("store starts")
}

/// Exports `n` one-span traces through the `telemetry` crate.
async fn export_via_telemetry(endpoint: String, protocol: Protocol, n: usize) {
    let cfg = OtelConfig::new("telemetry-svc", SamplerConfig::AlwaysOn)
        .with_endpoint(endpoint)
        .with_protocol(protocol);
    let provider = build_provider(&cfg).expect("provider");
    let tracer = provider.tracer("ingest-test");
    for i in 0..n {
        tracer.in_span(format!("op-{i}"), |_| {});
    }
    shutdown_provider(provider).await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_protocol_delivers_spans() {
    let store = store_with(TraceStoreConfig::ephemeral()).await;
    export_via_telemetry(store.otlp_grpc_endpoint(), Protocol::Grpc, 3).await;
    assert!(store.wait_for_spans(3, Duration::from_secs(10)).await);
    export_via_telemetry(store.otlp_http_endpoint(), Protocol::HttpProtobuf, 4).await;
    assert!(store.wait_for_spans(7, Duration::from_secs(10)).await);
    export_via_telemetry(store.otlp_http_endpoint(), Protocol::HttpJson, 5).await;
    assert!(store.wait_for_spans(12, Duration::from_secs(10)).await);
    assert_eq!((store.span_count(), store.trace_count()), (12, 12));
    let services = get(&format!("{}/api/v3/services", store.query_url())).await;
    assert_eq!(services.body, r#"{"services":["telemetry-svc"]}"#);
    store.shutdown().await;
}

/// A request with `spans` one-span traces of service `svc`, trace ids
/// starting at `first`.
fn request(first: u64, spans: u64, span_bytes: usize) -> ExportTraceServiceRequest {
    let span = |i: u64| Span {
        trace_id: [first.to_be_bytes(), (first + i).to_be_bytes()].concat(),
        span_id: (i + 1).to_be_bytes().to_vec(),
        name: "op".into(),
        kind: 2,
        start_time_unix_nano: T0_NS,
        end_time_unix_nano: T0_NS + MS,
        attributes: vec![KeyValue {
            key: "pad".into(),
            value: Some(AnyValue {
                // Distinct per span: the store shares equal values of an export.
                value: Some(any_value::Value::StringValue(format!(
                    "{first}-{i}-{}",
                    "x".repeat(span_bytes)
                ))),
            }),
            key_strindex: 0,
        }],
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("svc".into())),
                    }),
                    key_strindex: 0,
                }],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: None,
                spans: (0..spans).map(span).collect(),
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

fn trace_url(store: &RunningTraceStore, first: u64, i: u64) -> String {
    format!(
        "{}/api/traces/{:016x}{:016x}",
        store.query_url(),
        first,
        first + i
    )
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_http_input_gets_the_protocols_errors_and_loses_nothing() {
    let store = store_with(TraceStoreConfig {
        max_http_body_bytes: 64 * 1024,
        ..TraceStoreConfig::ephemeral()
    })
    .await;
    let url = format!("{}/v1/traces", store.otlp_http_endpoint());
    let pb = [("content-type", "application/x-protobuf")];
    let js = [("content-type", "application/json")];

    // Something good first, which must survive everything below.
    let good = post(&url, &pb, request(1, 3, 10).encode_to_vec()).await;
    assert_eq!(
        (good.status, good.content_type.as_str()),
        (200, "application/x-protobuf")
    );
    assert_eq!(
        ExportTraceServiceResponse::decode(good.body.as_bytes()).unwrap(),
        ExportTraceServiceResponse::default()
    );

    let res = get(&url).await;
    assert_eq!(
        (res.status, res.body.as_str()),
        (405, "405 method not allowed, supported: [POST]")
    );
    for headers in [&[("content-type", "text/plain")][..], &[][..]] {
        let res = post(&url, headers, b"{}".to_vec()).await;
        assert_eq!(res.status, 415);
        assert_eq!(
            res.body,
            "415 unsupported media type, supported: [application/json, application/x-protobuf]"
        );
    }
    let res = post(
        &format!("{}/v1/metrics", store.otlp_http_endpoint()),
        &pb,
        Vec::new(),
    )
    .await;
    assert_eq!(
        (res.status, res.body.as_str()),
        (404, "404 page not found\n")
    );

    // Undecodable protobuf: 400 and a google.rpc.Status in protobuf.
    let res = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/x-protobuf")
        .body(vec![0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-type"], "application/x-protobuf");
    let status = RpcStatus::decode(res.bytes().await.unwrap()).unwrap();
    assert_eq!(status.code, 3);
    assert!(
        status.message.starts_with("invalid OTLP protobuf: "),
        "{}",
        status.message
    );

    // Bad JSON, a bad hex id, an id of the wrong length: 400 with a JSON status.
    let res = post(&url, &js, b"{\"resourceSpans\": [".to_vec()).await;
    assert_eq!(
        (res.status, res.content_type.as_str()),
        (400, "application/json")
    );
    assert_eq!(res.json()["code"], 3);
    assert!(
        res.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid JSON: ")
    );
    let bad_hex = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"0000000000000001"}]}]}]}"#;
    let res = post(&url, &js, bad_hex.into()).await;
    assert_eq!(
        res.json(),
        serde_json::json!({"code": 3, "message": "resourceSpans[0].scopeSpans[0].spans[0].traceId: invalid hex id \"zz\""})
    );
    let mut short = request(50, 1, 0);
    short.resource_spans[0].scope_spans[0].spans[0].span_id = vec![1, 2, 3];
    let res = post(&url, &pb, short.encode_to_vec()).await;
    assert_eq!(res.status, 400);
    let status = RpcStatus::decode(res.body.as_bytes()).unwrap();
    assert_eq!(
        status.message,
        "resourceSpans[0].scopeSpans[0].spans[0].spanId: an id of 3 bytes (expected 8)"
    );

    // Too large: as sent, or after decompression.
    let big = request(60, 10, 10_000).encode_to_vec();
    assert!(big.len() > 64 * 1024);
    let res = post(&url, &pb, big.clone()).await;
    assert_eq!(res.status, 413);
    assert_eq!(
        RpcStatus::decode(res.body.as_bytes()).unwrap().message,
        "request body too large: the limit is 65536 bytes"
    );
    let bomb = gzip(&big);
    assert!(bomb.len() < 64 * 1024);
    let res = post(&url, &[pb[0], ("content-encoding", "gzip")], bomb).await;
    assert_eq!(res.status, 413);
    // Encodings: broken gzip, an unknown coding.
    let res = post(
        &url,
        &[js[0], ("content-encoding", "gzip")],
        b"not gzip".to_vec(),
    )
    .await;
    assert_eq!(res.status, 400);
    assert!(
        res.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("gzip: ")
    );
    let res = post(&url, &[js[0], ("content-encoding", "br")], b"{}".to_vec()).await;
    assert_eq!(
        (res.status, res.json()),
        (
            400,
            serde_json::json!({"code": 3, "message": "unsupported Content-Encoding: br"})
        )
    );

    // Nothing was stored by any of the above, nothing was lost.
    assert_eq!((store.span_count(), store.trace_count()), (3, 3));
    for i in 0..3 {
        assert_eq!(get(&trace_url(&store, 1, i)).await.status, 200);
    }

    // gzip and deflate bodies work.
    let res = post(
        &url,
        &[pb[0], ("content-encoding", "gzip")],
        gzip(&request(70, 2, 10).encode_to_vec()),
    )
    .await;
    assert_eq!(res.status, 200);
    let mut z = ZlibEncoder::new(Vec::new(), Compression::fast());
    z.write_all(&request(80, 2, 10).encode_to_vec()).unwrap();
    let res = post(
        &url,
        &[pb[0], ("content-encoding", "deflate")],
        z.finish().unwrap(),
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(store.span_count(), 7);
    store.shutdown().await;
}

/// A store whose OTLP/HTTP body limit is 64 KiB, and the address of that port.
async fn store_with_a_64_kib_body_limit() -> (RunningTraceStore, String) {
    let store = store_with(TraceStoreConfig {
        max_http_body_bytes: 64 * 1024,
        ..TraceStoreConfig::ephemeral()
    })
    .await;
    let addr = store
        .otlp_http_endpoint()
        .trim_start_matches("http://")
        .to_owned();
    (store, addr)
}

/// Connects and sends only the headers of a `POST /v1/traces` declaring
/// `length` bytes.
async fn send_head(addr: &str, content_type: &str, length: u64) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nhost: {addr}\r\ncontent-type: {content_type}\r\ncontent-length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// Sends only the headers of a `POST /v1/traces` declaring `length` bytes
/// and reads the whole answer (the store closes the connection after it,
/// once its wait for a body to drain is over).
async fn headers_only(addr: &str, content_type: &str, length: u64) -> String {
    use tokio::io::AsyncReadExt;
    let mut stream = send_head(addr, content_type, length).await;
    let mut answer = Vec::new();
    // The body never comes: only an answer from the headers ends this read.
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answered before the body arrived")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_length_over_the_limit_is_413_from_the_headers() {
    let (store, addr) = store_with_a_64_kib_body_limit().await;
    let addr = addr.as_str();
    let endpoint = store.otlp_http_endpoint();
    let answer = headers_only(addr, "application/json", 10_000_000_000).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(
        answer.ends_with(
            r#"{"code":3,"message":"request body too large: the limit is 65536 bytes"}"#
        ),
        "{answer}"
    );
    let answer = headers_only(addr, "application/x-protobuf", 64 * 1024 + 1).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(
        answer.contains("content-type: application/x-protobuf"),
        "{answer}"
    );
    // A body within the limit is still read and stored.
    let at_limit = request(1, 1, 0).encode_to_vec();
    let res = post(
        &format!("{endpoint}/v1/traces"),
        &[("content-type", "application/x-protobuf")],
        at_limit,
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(store.span_count(), 1);
    store.shutdown().await;
}

/// A client that keeps sending the body it declared after the early 413
/// arrived (as one that writes its whole body before it reads does) is not
/// reset: the store still reads and drops up to 256 KiB of it, so every
/// write goes through and the connection then ends with a clean close.
/// Without the drain the store closes at once and the writes after its
/// close fail with a reset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_still_sending_its_body_after_the_early_413_is_not_reset() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (store, addr) = store_with_a_64_kib_body_limit().await;
    let length = 200 * 1024;
    let mut stream = send_head(&addr, "application/json", length).await;
    // The whole 413, read before any of the body is sent: the store has
    // answered (and, without the drain, closed) by then.
    let message = r#"{"code":3,"message":"request body too large: the limit is 65536 bytes"}"#;
    let mut answer = Vec::new();
    let mut chunk = [0; 4096];
    while !answer.ends_with(message.as_bytes()) {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("answered from the headers")
            .unwrap();
        assert!(n > 0, "closed before the answer: {answer:?}");
        answer.extend_from_slice(&chunk[..n]);
    }
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    let body = vec![b' '; 4096];
    for sent in (0..length).step_by(body.len()) {
        if let Err(e) = stream.write_all(&body).await {
            panic!("reset after {sent} of {length} body bytes: {e}");
        }
    }
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest))
        .await
        .expect("closed after the drain")
        .expect("a clean close, not a reset");
    assert!(rest.is_empty(), "{rest:?}");
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_ids_are_rejected_as_a_partial_success() {
    let store = store_with(TraceStoreConfig::ephemeral()).await;
    let mut req = request(1, 4, 0);
    req.resource_spans[0].scope_spans[0].spans[1].trace_id = vec![0; 16];
    req.resource_spans[0].scope_spans[0].spans[3].span_id = vec![0; 8];
    let message = "2 span(s) rejected: trace_id and span_id must not be all zeros \
                   (first: resourceSpans[0].scopeSpans[0].spans[1])";

    // gRPC
    let mut client = RawClient::connect(store.otlp_grpc_endpoint()).await;
    let res = client
        .export(Bytes::from(req.encode_to_vec()))
        .await
        .unwrap()
        .into_inner();
    let partial = res.partial_success.expect("partial success");
    assert_eq!(
        (partial.rejected_spans, partial.error_message.as_str()),
        (2, message)
    );
    assert_eq!(store.span_count(), 2);

    // HTTP/JSON
    let url = format!("{}/v1/traces", store.otlp_http_endpoint());
    let body = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
        {"traceId":"00000000000000000000000000000000","spanId":"0000000000000001","name":"x"},
        {"traceId":"0000000000000000000000000000000f","spanId":"0000000000000001","name":"y"}]}]}]}"#;
    let res = post(&url, &[("content-type", "application/json")], body.into()).await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.body,
        r#"{"partialSuccess":{"rejectedSpans":"1","errorMessage":"1 span(s) rejected: trace_id and span_id must not be all zeros (first: resourceSpans[0].scopeSpans[0].spans[0])"}}"#
    );
    assert_eq!(store.span_count(), 3);
    assert_eq!(store.stats().rejected_spans, 3);
    store.shutdown().await;
}

/// An absent (0-byte) trace or span id is a wrong length: the whole request
/// is refused (400 / INVALID_ARGUMENT) and nothing of it stored, unlike an
/// all-zero id of the right length above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absent_trace_or_span_ids_refuse_the_request() {
    let store = store_with(TraceStoreConfig::ephemeral()).await;
    let url = format!("{}/v1/traces", store.otlp_http_endpoint());
    let mut client = RawClient::connect(store.otlp_grpc_endpoint()).await;
    for (field, clear) in [
        (
            "traceId: an id of 0 bytes (expected 16)",
            (|span: &mut Span| span.trace_id.clear()) as fn(&mut Span),
        ),
        (
            "spanId: an id of 0 bytes (expected 8)",
            |span: &mut Span| span.span_id.clear(),
        ),
    ] {
        let mut req = request(3, 2, 0);
        clear(&mut req.resource_spans[0].scope_spans[0].spans[1]);
        let expected = format!("resourceSpans[0].scopeSpans[0].spans[1].{field}");

        let res = post(
            &url,
            &[("content-type", "application/x-protobuf")],
            req.encode_to_vec(),
        )
        .await;
        assert_eq!(res.status, 400, "{}", res.body);
        assert!(res.body.contains(&expected), "{}", res.body);

        let status = client
            .export(Bytes::from(req.encode_to_vec()))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains(&expected), "{}", status.message());
    }
    assert_eq!(store.span_count(), 0);
    store.shutdown().await;
}

/// One trace of `spans` spans (ids 1..=spans), each with `span_bytes` of padding.
fn one_trace(id: u64, spans: u64, span_bytes: usize) -> ExportTraceServiceRequest {
    let mut req = request(id, spans, span_bytes);
    for span in &mut req.resource_spans[0].scope_spans[0].spans {
        span.trace_id = [id.to_be_bytes(), id.to_be_bytes()].concat();
    }
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_over_the_bounds_is_rejected_and_evicts_nothing() {
    let store = store_with(TraceStoreConfig {
        max_spans: 1_000,
        ..TraceStoreConfig::ephemeral()
    })
    .await;
    let mut client = RawClient::connect(store.otlp_grpc_endpoint()).await;
    client
        .export(Bytes::from(request(1, 10, 10).encode_to_vec()))
        .await
        .unwrap();
    let res = client
        .export(Bytes::from(one_trace(500, 1_500, 10).encode_to_vec()))
        .await
        .unwrap()
        .into_inner();
    let partial = res.partial_success.expect("partial success");
    assert_eq!(partial.rejected_spans, 1_500);
    assert!(
        partial.error_message.starts_with(
            "1500 span(s) rejected: a trace must fit within the store's bounds (first: trace 00000000000001f400000000000001f4 would hold 1500 spans"
        ) && partial.error_message.ends_with("over --max-spans 1000)"),
        "{}",
        partial.error_message
    );
    assert_eq!((store.span_count(), store.trace_count()), (10, 10));
    assert_eq!(store.evicted_traces(), 0);
    assert_eq!(store.stats().rejected_spans, 1_500);
    // Exactly the bound fits: the ten older traces make room, it stays.
    let res = client
        .export(Bytes::from(one_trace(600, 1_000, 10).encode_to_vec()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(res.partial_success, None);
    assert_eq!((store.span_count(), store.trace_count()), (1_000, 1));
    assert_eq!(get(&trace_url(&store, 600, 0)).await.status, 200);
    store.shutdown().await;

    // The byte bound: one 5 MiB span against 4 MiB, over OTLP/HTTP JSON.
    let store = store_with(TraceStoreConfig {
        max_bytes: Some(4 << 20),
        ..TraceStoreConfig::ephemeral()
    })
    .await;
    let url = format!("{}/v1/traces", store.otlp_http_endpoint());
    let pb = [("content-type", "application/x-protobuf")];
    let res = post(&url, &pb, request(1, 10, 10).encode_to_vec()).await;
    assert_eq!(res.status, 200);
    let big = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"000000000000000000000000000002bc","spanId":"0000000000000001","name":"big","attributes":[{{"key":"pad","value":{{"stringValue":"{}"}}}}]}}]}}]}}]}}"#,
        "x".repeat(5 << 20)
    );
    let res = post(&url, &[("content-type", "application/json")], big.into()).await;
    assert_eq!(res.status, 200);
    let partial = &res.json()["partialSuccess"];
    assert_eq!(partial["rejectedSpans"], "1");
    let message = partial["errorMessage"].as_str().unwrap_or_default();
    assert!(message.ends_with("over --max-bytes 4194304)"), "{message}");
    assert_eq!((store.span_count(), store.evicted_traces()), (10, 0));
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_grpc_input_is_invalid_argument() {
    let store = store_with(TraceStoreConfig {
        max_grpc_message_bytes: 64 * 1024,
        ..TraceStoreConfig::ephemeral()
    })
    .await;
    let mut client = RawClient::connect(store.otlp_grpc_endpoint()).await;
    client
        .export(Bytes::from(request(1, 2, 10).encode_to_vec()))
        .await
        .unwrap();

    let err = client
        .export(Bytes::from_static(&[0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err}");
    let mut bad = request(9, 1, 0);
    bad.resource_spans[0].scope_spans[0].spans[0].trace_id = vec![7; 20];
    let err = client
        .export(Bytes::from(bad.encode_to_vec()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        err.message(),
        "resourceSpans[0].scopeSpans[0].spans[0].traceId: an id of 20 bytes (expected 16)"
    );
    let err = client
        .export(Bytes::from(request(10, 10, 10_000).encode_to_vec()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err}");

    // The connection still works; gzip is accepted; nothing was lost.
    let mut gz = client.clone().gzip();
    gz.export(Bytes::from(request(20, 3, 10).encode_to_vec()))
        .await
        .unwrap();
    assert_eq!(store.span_count(), 5);
    assert_eq!(get(&trace_url(&store, 1, 1)).await.status, 200);
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_bound_evicts_the_oldest_traces() {
    let store = store_with(TraceStoreConfig {
        max_spans: 50,
        ..TraceStoreConfig::ephemeral()
    })
    .await;
    let mut client = RawClient::connect(store.otlp_grpc_endpoint()).await;
    for batch in 0..20u64 {
        // Five one-span traces per export; trace ids 100.., in order.
        let mut req = request(100, 5, 10);
        for (i, span) in req.resource_spans[0].scope_spans[0]
            .spans
            .iter_mut()
            .enumerate()
        {
            span.trace_id = [
                100u64.to_be_bytes(),
                (100 + batch * 5 + i as u64).to_be_bytes(),
            ]
            .concat();
        }
        client
            .export(Bytes::from(req.encode_to_vec()))
            .await
            .unwrap();
    }
    assert_eq!((store.span_count(), store.trace_count()), (50, 50));
    assert_eq!(store.evicted_traces(), 50);
    assert_eq!(get(&trace_url(&store, 100, 0)).await.status, 404);
    assert_eq!(get(&trace_url(&store, 100, 49)).await.status, 404);
    assert_eq!(get(&trace_url(&store, 100, 50)).await.status, 200);
    assert_eq!(get(&trace_url(&store, 100, 99)).await.status, 200);
    let stats = get(&format!("{}/tracestore/stats", store.query_url()))
        .await
        .json();
    assert_eq!(stats["evicted_traces"], 50);
    assert_eq!(stats["evicted_spans"], 50);
    assert_eq!(stats["spans"], 50);
    assert_eq!(stats["received_spans"], 100);
    assert_eq!(stats["max_spans"], 50);
    store.shutdown().await;

    // A byte bound works the same way.
    let store = store_with(TraceStoreConfig {
        max_bytes: Some(200_000),
        ..TraceStoreConfig::ephemeral()
    })
    .await;
    let mut client = RawClient::connect(store.otlp_grpc_endpoint()).await;
    for batch in 0..10u64 {
        client
            .export(Bytes::from(
                request(1000 + batch, 10, 5_000).encode_to_vec(),
            ))
            .await
            .unwrap();
    }
    let stats = store.stats();
    assert!(stats.bytes <= 200_000, "{stats:?}");
    assert!(stats.evicted_traces >= 60, "{stats:?}");
    assert_eq!(get(&trace_url(&store, 1009, 9)).await.status, 200);
    assert_eq!(get(&trace_url(&store, 1000, 0)).await.status, 404);
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_and_queries_run_concurrently() {
    let store = store_with(TraceStoreConfig::ephemeral()).await;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4u64 {
        let endpoint = store.otlp_grpc_endpoint();
        writers.push(tokio::spawn(async move {
            let mut client = RawClient::connect(endpoint).await;
            for b in 0..25u64 {
                let req = request(10_000 * (w + 1) + b * 100, 20, 10);
                client
                    .export(Bytes::from(req.encode_to_vec()))
                    .await
                    .unwrap();
            }
        }));
    }
    let mut readers = Vec::new();
    for _ in 0..2 {
        let base = store.query_url();
        let done = done.clone();
        readers.push(tokio::spawn(async move {
            let mut answered = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) || answered == 0 {
                let v3 = get(&format!("{base}/api/v3/traces?{}", "query.service_name=svc&query.start_time_min=2026-01-01T00:00:00Z&query.start_time_max=2027-01-01T00:00:00Z&query.search_depth=20")).await;
                assert!(v3.status == 200 || v3.status == 404, "{}", v3.body);
                let v1 = get(&format!("{base}/api/services")).await;
                assert_eq!(v1.status, 200);
                answered += 1;
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        r.await.unwrap();
    }
    assert_eq!((store.span_count(), store.trace_count()), (2000, 2000));
    let res = get(&format!(
        "{}/api/traces?service=svc&start=0&limit=2000",
        store.query_url()
    ))
    .await;
    assert_eq!(res.json()["data"].as_array().map(Vec::len), Some(2000));
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_fails_cleanly_and_shutdown_closes_the_ports() {
    let store = store_with(TraceStoreConfig::ephemeral()).await;
    let taken = store.query_addr();
    let err = TraceStore::start(TraceStoreConfig {
        query_addr: taken,
        ..TraceStoreConfig::ephemeral()
    })
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Bind {
                what: "the query API",
                ..
            }
        ),
        "{err}"
    );
    // The system's reason is the source, after the message on one line.
    assert_eq!(
        err.to_string(),
        format!("cannot listen for the query API on {taken}")
    );
    assert!(
        cli_support::error_chain(&err)
            .starts_with(&format!("cannot listen for the query API on {taken}: "))
    );
    let err = TraceStore::start(TraceStoreConfig {
        max_spans: 0,
        ..TraceStoreConfig::ephemeral()
    })
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration: max_spans must be at least 1"
    );

    let addrs = [
        store.otlp_grpc_addr(),
        store.otlp_http_addr(),
        store.query_addr(),
    ];
    store.shutdown().await;
    for addr in addrs {
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "{addr} still open"
        );
    }
}

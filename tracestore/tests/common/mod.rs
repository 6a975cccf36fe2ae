//! Test scaffolding: a deterministic two-service trace (the contract's
//! fraud order) exported with the real opentelemetry-otlp exporters, and
//! HTTP / raw gRPC helpers.
#![allow(dead_code)]

pub(crate) mod raw_grpc;

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{
    Link, SpanContext, SpanId, SpanKind, Status, TraceContextExt, TraceFlags, TraceId, TraceState,
    Tracer, TracerProvider as _,
};
use opentelemetry::{Array, Context, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_otlp::{Compression, WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, IdGenerator, SdkTracerProvider,
};
use tracestore::RunningTraceStore;

/// 2026-01-02T03:04:05Z in nanoseconds.
pub(crate) const T0_NS: u64 = 1_767_323_045_000_000_000;
/// The same in microseconds.
pub(crate) const T0_US: u64 = T0_NS / 1000;
/// The trace id of the scenario (set by the loadgen-like remote parent).
pub(crate) const TRACE: u128 = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736;
pub(crate) const TRACE_HEX: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
/// The remote (never exported) parent of the order-api SERVER span.
pub(crate) const REMOTE_PARENT: u64 = 0x00f0_67aa_0ba9_02b7;
/// Span ids: order-api spans 0xa1.., payment-service spans 0xb1...
pub(crate) const ORDER_SERVER: u64 = 0xa1;
pub(crate) const VALIDATE: u64 = 0xa2;
pub(crate) const ORDER_CLIENT: u64 = 0xa3;
pub(crate) const PAY_SERVER: u64 = 0xb1;
pub(crate) const FRAUD: u64 = 0xb2;
pub(crate) const PUBLISH: u64 = 0xb3;
/// The other trace the client span links to.
pub(crate) const LINKED_TRACE: u128 = 0x1111_1111_1111_1111_1111_1111_1111_1111;
pub(crate) const LINKED_SPAN: u64 = 0x2222_2222_2222_2222;

/// How spans travel to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Grpc { gzip: bool },
    HttpProtobuf { gzip: bool },
    HttpJson { gzip: bool },
}

/// Span ids from a counter, trace ids fixed: deterministic output.
#[derive(Debug)]
pub(crate) struct SeqIds {
    next_span: AtomicU64,
    trace: u128,
}

impl SeqIds {
    pub(crate) fn new(first_span: u64, trace: u128) -> Self {
        SeqIds {
            next_span: AtomicU64::new(first_span),
            trace,
        }
    }
}

impl IdGenerator for SeqIds {
    fn new_trace_id(&self) -> TraceId {
        TraceId::from(self.trace)
    }

    fn new_span_id(&self) -> SpanId {
        SpanId::from(self.next_span.fetch_add(1, Ordering::Relaxed))
    }
}

/// A provider exporting through `transport` to `store`, with a fixed
/// resource and ids starting at `first_span`. Spans leave only on flush.
pub(crate) fn provider(
    store: &RunningTraceStore,
    transport: Transport,
    resource: Resource,
    ids: SeqIds,
) -> SdkTracerProvider {
    use opentelemetry_otlp::{Protocol, SpanExporter};
    let exporter = match transport {
        Transport::Grpc { gzip } => {
            let b = SpanExporter::builder()
                .with_tonic()
                .with_endpoint(store.otlp_grpc_endpoint());
            let b = if gzip {
                b.with_compression(Compression::Gzip)
            } else {
                b
            };
            b.build()
        }
        Transport::HttpProtobuf { gzip } | Transport::HttpJson { gzip } => {
            let protocol = if matches!(transport, Transport::HttpJson { .. }) {
                Protocol::HttpJson
            } else {
                Protocol::HttpBinary
            };
            let b = SpanExporter::builder()
                .with_http()
                .with_protocol(protocol)
                .with_endpoint(format!("{}/v1/traces", store.otlp_http_endpoint()));
            let b = if gzip {
                b.with_compression(Compression::Gzip)
            } else {
                b
            };
            b.build()
        }
    }
    .expect("exporter builds");
    let processor = BatchSpanProcessor::builder(exporter)
        .with_batch_config(
            BatchConfigBuilder::default()
                .with_scheduled_delay(Duration::from_secs(600))
                .build(),
        )
        .build();
    SdkTracerProvider::builder()
        .with_resource(resource)
        .with_id_generator(ids)
        .with_span_processor(processor)
        .build()
}

/// Flushes and shuts a provider down off the async workers.
pub(crate) async fn flush(provider: SdkTracerProvider) {
    tokio::task::spawn_blocking(move || {
        provider.force_flush().expect("flush");
        provider.shutdown().expect("shutdown");
    })
    .await
    .expect("join");
}

/// T0 plus `offset_ns`.
pub(crate) fn at(offset_ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(T0_NS + offset_ns)
}

fn kv(k: &'static str, v: impl Into<Value>) -> KeyValue {
    KeyValue::new(k, v)
}

/// The order-api resource.
pub(crate) fn order_resource() -> Resource {
    Resource::builder_empty()
        .with_service_name("order-api")
        .with_attributes([
            kv("host.name", "host-a"),
            kv("deployment.environment", "test"),
        ])
        .build()
}

/// The payment-service resource.
pub(crate) fn payment_resource() -> Resource {
    Resource::builder_empty()
        .with_service_name("payment-service")
        .with_attributes([kv("process.pid", 4242i64), kv("host.name", "host-b")])
        .build()
}

/// Exports the fraud-order trace: order-api's spans through `order`,
/// then payment-service's through `payment`; waits until all six are in.
pub(crate) async fn export_fraud_order(
    store: &RunningTraceStore,
    order: Transport,
    payment: Transport,
) {
    let before = store.stats().received_spans;
    let order_provider = provider(
        store,
        order,
        order_resource(),
        SeqIds::new(ORDER_SERVER, TRACE),
    );
    let tracer = order_provider.tracer_with_scope(
        InstrumentationScope::builder("order-api")
            .with_version("1.2.3")
            .build(),
    );
    let remote = SpanContext::new(
        TraceId::from(TRACE),
        SpanId::from(REMOTE_PARENT),
        TraceFlags::SAMPLED,
        true,
        TraceState::from_key_value([("vendor", "abc")]).expect("tracestate"),
    );
    let parent_cx = Context::new().with_remote_span_context(remote);
    let server = tracer
        .span_builder("POST /orders")
        .with_kind(SpanKind::Server)
        .with_start_time(at(0))
        .with_attributes([
            kv("http.request.method", "POST"),
            kv("http.route", "/orders"),
            kv("url.path", "/orders"),
            kv("url.scheme", "http"),
            kv("http.response.status_code", 402i64),
            kv("loadgen.scenario", "fraud"),
            kv("big.count", 9_007_199_254_740_993i64),
            kv("sample.ratio", 0.25),
            kv("cache.hit", true),
            KeyValue::new(
                "order.tags",
                Value::Array(Array::String(vec![
                    StringValue::from("a"),
                    StringValue::from("b"),
                ])),
            ),
        ])
        .start_with_context(&tracer, &parent_cx);
    let server_cx = parent_cx.with_span(server);

    let validate = tracer
        .span_builder("validate_order")
        .with_kind(SpanKind::Internal)
        .with_start_time(at(1_234_567))
        .with_attributes([
            kv("order.customer_id", "CUST-SHADY"),
            kv("order.item", "Watch"),
            kv("order.quantity", 1i64),
            kv("order.amount", 25000.0),
        ])
        .start_with_context(&tracer, &server_cx);
    let validate_cx = server_cx.with_span(validate);
    let validate_span = validate_cx.span();
    validate_span.add_event_with_timestamp(
        "exception",
        at(1_500_000),
        vec![
            kv("exception.type", "ValidationError"),
            kv("exception.message", "amount must be positive"),
        ],
    );
    validate_span.set_status(Status::error("amount must be positive"));
    validate_span.end_with_timestamp(at(2_345_678));
    let validate_sc = validate_span.span_context().clone();

    let client = tracer
        .span_builder("POST /payments")
        .with_kind(SpanKind::Client)
        .with_start_time(at(3_000_000))
        .with_attributes([
            kv("http.request.method", "POST"),
            kv("url.full", "http://127.0.0.1:8001/payments"),
            kv("server.address", "127.0.0.1"),
            kv("server.port", 8001i64),
            kv("http.response.status_code", 402i64),
            kv("error.type", "402"),
        ])
        .with_links(vec![
            Link::new(
                SpanContext::new(
                    TraceId::from(LINKED_TRACE),
                    SpanId::from(LINKED_SPAN),
                    TraceFlags::SAMPLED,
                    true,
                    TraceState::default(),
                ),
                vec![kv("link.reason", "retry")],
                0,
            ),
            Link::new(validate_sc, vec![kv("opentracing.ref_type", "child_of")], 0),
        ])
        .start_with_context(&tracer, &server_cx);
    let client_cx = server_cx.with_span(client);
    // What traceparent propagation hands the payment service: a remote context.
    let local = client_cx.span().span_context().clone();
    let client_sc = SpanContext::new(
        local.trace_id(),
        local.span_id(),
        local.trace_flags(),
        true,
        local.trace_state().clone(),
    );

    // payment-service, "across the wire": its parent is the client span.
    let pay_provider = provider(
        store,
        payment,
        payment_resource(),
        SeqIds::new(PAY_SERVER, TRACE),
    );
    let pay_tracer = pay_provider.tracer("payment-service");
    let pay_parent = Context::new().with_remote_span_context(client_sc);
    let pay_server = pay_tracer
        .span_builder("POST /payments")
        .with_kind(SpanKind::Server)
        .with_start_time(at(5_000_000))
        .with_attributes([
            kv("http.request.method", "POST"),
            kv("http.route", "/payments"),
            kv("http.response.status_code", 402i64),
        ])
        .start_with_context(&pay_tracer, &pay_parent);
    let pay_cx = pay_parent.with_span(pay_server);
    let fraud = pay_tracer
        .span_builder("fraud_check")
        .with_kind(SpanKind::Internal)
        .with_start_time(at(6_000_000))
        .with_attributes([kv("payment.amount", 25000.5)])
        .start_with_context(&pay_tracer, &pay_cx);
    let fraud_cx = pay_cx.with_span(fraud);
    let fraud_span = fraud_cx.span();
    fraud_span.add_event_with_timestamp(
        "fraud.detected",
        at(6_500_000),
        vec![
            kv("payment.amount", 25000.5),
            kv("fraud.threshold", 10000i64),
        ],
    );
    fraud_span.add_event_with_timestamp("", at(7_000_000), vec![kv("note", "unnamed")]);
    fraud_span.set_status(Status::error("fraud suspected"));
    fraud_span.end_with_timestamp(at(8_000_000));
    let publish = pay_tracer
        .span_builder("payment.events publish")
        .with_kind(SpanKind::Producer)
        .with_start_time(at(8_500_000))
        .with_attributes([kv("messaging.system", "kafka")])
        .start_with_context(&pay_tracer, &pay_cx);
    pay_cx
        .with_span(publish)
        .span()
        .end_with_timestamp(at(9_000_000));
    let pay_span = pay_cx.span();
    pay_span.set_status(Status::Ok);
    pay_span.end_with_timestamp(at(38_000_000));

    let client_span = client_cx.span();
    client_span.set_status(Status::Error {
        description: Cow::Borrowed(""),
    });
    client_span.end_with_timestamp(at(40_000_000));
    server_cx.span().end_with_timestamp(at(50_000_000));

    flush(order_provider).await;
    assert!(
        store
            .wait_for_spans(before + 3, Duration::from_secs(10))
            .await,
        "order-api spans arrive"
    );
    flush(pay_provider).await;
    assert!(
        store
            .wait_for_spans(before + 6, Duration::from_secs(10))
            .await,
        "payment-service spans arrive"
    );
}

/// Span id as 16 hex digits.
pub(crate) fn sid(id: u64) -> String {
    format!("{id:016x}")
}

/// An HTTP answer.
#[derive(Debug)]
pub(crate) struct StoreAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl StoreAnswer {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }
}

/// GET a URL.
pub(crate) async fn get(url: &str) -> StoreAnswer {
    let res = reqwest::Client::new().get(url).send().await.expect("GET");
    answer(res).await
}

/// POST a body with headers.
pub(crate) async fn post(url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> StoreAnswer {
    let mut req = reqwest::Client::new().post(url).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    answer(req.send().await.expect("POST")).await
}

async fn answer(res: reqwest::Response) -> StoreAnswer {
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    let body = res.text().await.expect("body");
    StoreAnswer {
        status,
        content_type,
        body,
    }
}

/// A span for hand-built OTLP/JSON requests.
#[derive(Debug, Clone)]
pub(crate) struct TestSpan {
    pub trace: &'static str,
    pub span: &'static str,
    pub name: &'static str,
    /// OTLP span kind number.
    pub kind: i32,
    /// Absolute start, ns since the epoch.
    pub start: u64,
    pub duration: u64,
    pub attrs: Vec<(&'static str, &'static str)>,
    /// OTLP status code number.
    pub status: i32,
}

/// An OTLP/JSON export request with one resource (`service`) and scope.
pub(crate) fn otlp_json(service: &str, spans: &[TestSpan]) -> String {
    let spans: Vec<serde_json::Value> = spans
        .iter()
        .map(|s| {
            serde_json::json!({
                "traceId": s.trace,
                "spanId": s.span,
                "name": s.name,
                "kind": s.kind,
                "startTimeUnixNano": s.start.to_string(),
                "endTimeUnixNano": (s.start + s.duration).to_string(),
                "attributes": s.attrs.iter().map(|(k, v)| serde_json::json!({"key": k, "value": {"stringValue": v}})).collect::<Vec<_>>(),
                "status": {"code": s.status},
            })
        })
        .collect();
    serde_json::json!({
        "resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
            "scopeSpans": [{"scope": {"name": "search-test"}, "spans": spans}],
        }]
    })
    .to_string()
}

/// Posts an OTLP/JSON request and checks it was fully accepted.
pub(crate) async fn post_otlp_json(store: &RunningTraceStore, body: String) {
    let res = post(
        &format!("{}/v1/traces", store.otlp_http_endpoint()),
        &[("content-type", "application/json")],
        body.into_bytes(),
    )
    .await;
    assert_eq!(
        (res.status, res.body.as_str()),
        (200, r#"{"partialSuccess":{}}"#)
    );
}

pub(crate) const SEC: u64 = 1_000_000_000;
pub(crate) const MS: u64 = 1_000_000;

/// Trace ids of the search fixture: A has a zero high half (16 hex digits
/// in v1), the others are 128-bit.
pub(crate) const A: &str = "0000000000000000000000000000000a";
pub(crate) const B: &str = "000000000000000b000000000000000b";
pub(crate) const C: &str = "000000000000000c000000000000000c";
pub(crate) const D: &str = "000000000000000d000000000000000d";
pub(crate) const E: &str = "000000000000000e000000000000000e";

/// Five traces, stored in the order A..E (so newest first is E..A):
///
/// | trace | service | operation | start     | duration | attributes                        | status |
/// |-------|---------|-----------|-----------|----------|-----------------------------------|--------|
/// | A     | svc-a   | GET /a    | T0 + 1 s  | 10 ms    | http.status=200                   | unset  |
/// | B     | svc-a   | GET /b    | T0 + 2 s  | 100 ms   | http.status=500, route=x:y, z=1, a=2 | error  |
/// | C     | svc-a   | GET /a    | T0 + 3 s  | 1 s      |                                   | ok     |
/// | D     | svc-b   | GET /a    | T0 + 4 s  | 10 ms    |                                   | unset  |
/// | E     | svc-a   | GET /a    | T0 + 1 h  | 10 ms    |                                   | unset  |
pub(crate) async fn ingest_search_fixture(store: &RunningTraceStore) {
    let span = |trace, span, name, start, duration, attrs, status| TestSpan {
        trace,
        span,
        name,
        kind: 2,
        start: T0_NS + start,
        duration,
        attrs,
        status,
    };
    let a = span(
        A,
        "00000000000000a1",
        "GET /a",
        SEC,
        10 * MS,
        vec![("http.status", "200")],
        0,
    );
    let b = span(
        B,
        "00000000000000b1",
        "GET /b",
        2 * SEC,
        100 * MS,
        vec![
            ("http.status", "500"),
            ("route", "x:y"),
            ("z", "1"),
            ("a", "2"),
        ],
        2,
    );
    let c = span(C, "00000000000000c1", "GET /a", 3 * SEC, SEC, vec![], 1);
    let d = span(D, "00000000000000d1", "GET /a", 4 * SEC, 10 * MS, vec![], 0);
    let e = span(
        E,
        "00000000000000e1",
        "GET /a",
        3600 * SEC,
        10 * MS,
        vec![],
        0,
    );
    for (service, s) in [
        ("svc-a", a),
        ("svc-a", b),
        ("svc-a", c),
        ("svc-b", d),
        ("svc-a", e),
    ] {
        post_otlp_json(store, otlp_json(service, &[s])).await;
    }
}

/// Asserts JSON equality, naming the first differing path on failure.
pub(crate) fn assert_json_eq(actual: &serde_json::Value, expected: &serde_json::Value) {
    fn diff(a: &serde_json::Value, e: &serde_json::Value, path: &str) -> Option<String> {
        use serde_json::Value::{Array, Object};
        match (a, e) {
            (Object(am), Object(em)) => {
                for k in em.keys().chain(am.keys()) {
                    let p = format!("{path}.{k}");
                    match (am.get(k), em.get(k)) {
                        (Some(av), Some(ev)) => {
                            if let Some(d) = diff(av, ev, &p) {
                                return Some(d);
                            }
                        }
                        (av, ev) => return Some(format!("{p}: got {av:?}, expected {ev:?}")),
                    }
                }
                None
            }
            (Array(av), Array(ev)) => {
                for (i, (x, y)) in av.iter().zip(ev).enumerate() {
                    if let Some(d) = diff(x, y, &format!("{path}[{i}]")) {
                        return Some(d);
                    }
                }
                (av.len() != ev.len())
                    .then(|| format!("{path}: {} elements, expected {}", av.len(), ev.len()))
            }
            _ => (a != e).then(|| format!("{path}: got {a}, expected {e}")),
        }
    }
    if let Some(d) = diff(actual, expected, "$") {
        panic!("JSON differs at {d}");
    }
}

//! Test support: both services on ephemeral loopback ports in this process,
//! each with its own in-memory span exporter, and helpers to send requests
//! the way the load generator does and to inspect the exported spans.

#![allow(dead_code)] // each test binary uses its own subset

use std::{
    convert::Infallible,
    time::{Duration, SystemTime},
};

use opentelemetry::{
    Value,
    trace::{SpanId, SpanKind, Status, TraceId},
};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use services::{
    PairConfig, ServicePair,
    cli::DEFAULT_SAMPLER,
    order_api::{self, OrderApiConfig},
    payment_service::PaymentServiceConfig,
};
use telemetry::{OtelConfig, TraceResponse};

/// Both services ([`ServicePair`]) with each service's spans recorded in
/// memory, sampling as the binaries do by default.
pub(crate) struct Stack {
    pub pair: ServicePair,
    order_spans: InMemorySpanExporter,
    payment_spans: InMemorySpanExporter,
}

impl Stack {
    /// Both services with their default configurations.
    pub(crate) async fn start() -> Self {
        Self::start_with(PaymentServiceConfig::default(), |_| {}).await
    }

    /// Both services; `tune` adjusts order-api's config (its payment URL
    /// is the started payment-service's).
    pub(crate) async fn start_with(
        payment: PaymentServiceConfig,
        tune: impl FnOnce(&mut OrderApiConfig),
    ) -> Self {
        let mut config = PairConfig {
            payment,
            ..PairConfig::default()
        };
        tune(&mut config.order_api);
        if config.order_api.payment_url != OrderApiConfig::default().payment_url {
            config.payment_url = Some(config.order_api.payment_url.clone());
        }
        let (order_spans, payment_spans) = Default::default();
        let pair = ServicePair::start(config, |service| {
            let exporter = match service {
                order_api::SERVICE_NAME => &order_spans,
                _ => &payment_spans,
            };
            Ok::<_, Infallible>(telemetry::provider_with_exporter(
                &OtelConfig::new(service, DEFAULT_SAMPLER),
                InMemorySpanExporter::clone(exporter),
            ))
        })
        .await
        .expect("start both services");
        Stack {
            pair,
            order_spans,
            payment_spans,
        }
    }

    /// order-api's base URL.
    pub(crate) fn order_url(&self) -> String {
        self.pair.order_api_url()
    }

    /// order-api's port.
    pub(crate) fn order_port(&self) -> u16 {
        self.pair.order_api_addr().port()
    }

    /// payment-service's base URL.
    pub(crate) fn payment_url(&self) -> String {
        self.pair.payment_url()
    }

    /// payment-service's port.
    pub(crate) fn payment_port(&self) -> u16 {
        self.pair.payment_addr().port()
    }

    /// Every span of both services, flushed.
    pub(crate) async fn spans(&self) -> Exported {
        self.pair.flush().await.expect("flush the spans");
        Exported {
            order: self.order_spans.get_finished_spans().unwrap(),
            payment: self.payment_spans.get_finished_spans().unwrap(),
        }
    }
}

/// The spans each service exported.
#[derive(Debug)]
pub(crate) struct Exported {
    pub order: Vec<SpanData>,
    pub payment: Vec<SpanData>,
}

impl Exported {
    pub(crate) fn all(&self) -> impl Iterator<Item = &SpanData> {
        self.order.iter().chain(&self.payment)
    }

    pub(crate) fn trace(&self, trace_id: TraceId) -> Vec<&SpanData> {
        self.all()
            .filter(|s| s.span_context.trace_id() == trace_id)
            .collect()
    }

    /// The only span with this name and service (panics otherwise).
    pub(crate) fn one(&self, service: &str, name: &str) -> &SpanData {
        let spans = match service {
            "order-api" => &self.order,
            "payment-service" => &self.payment,
            other => panic!("unknown service {other}"),
        };
        let found: Vec<&SpanData> = spans.iter().filter(|s| s.name == name).collect();
        assert_eq!(
            found.len(),
            1,
            "expected one {service} span {name:?}, got {found:#?}"
        );
        found[0]
    }

    pub(crate) fn names(&self) -> Vec<String> {
        self.all().map(|s| s.name.to_string()).collect()
    }
}

/// order-api's `service.name` and instrumentation scope.
pub(crate) const ORDER_API: &str = "order-api";
/// payment-service's `service.name` and instrumentation scope.
pub(crate) const PAYMENT: &str = "payment-service";

/// The spans of a valid order below the caller's span, parents first, as
/// the contract lists them. A declined payment (fraud) ends after
/// `fraud_check` (the first 5); a payment-service that does not answer
/// after order-api's CLIENT span (the first 3).
pub(crate) const VALID_ORDER_TREE: [Expected; 7] = [
    (ORDER_API, SpanKind::Server, "POST /orders", None),
    (
        ORDER_API,
        SpanKind::Internal,
        "validate_order",
        Some((ORDER_API, "POST /orders")),
    ),
    (
        ORDER_API,
        SpanKind::Client,
        "POST /payments",
        Some((ORDER_API, "POST /orders")),
    ),
    (
        PAYMENT,
        SpanKind::Server,
        "POST /payments",
        Some((ORDER_API, "POST /payments")),
    ),
    (
        PAYMENT,
        SpanKind::Internal,
        "fraud_check",
        Some((PAYMENT, "POST /payments")),
    ),
    (
        PAYMENT,
        SpanKind::Internal,
        "charge_payment",
        Some((PAYMENT, "POST /payments")),
    ),
    (
        ORDER_API,
        SpanKind::Internal,
        "save_order",
        Some((ORDER_API, "POST /orders")),
    ),
];

/// One expected span: service, kind, name, and the service and name of its
/// parent (`None`: the parent is the caller's remote span).
pub(crate) type Expected = (
    &'static str,
    SpanKind,
    &'static str,
    Option<(&'static str, &'static str)>,
);

/// Asserts that the trace holds exactly the expected spans, linked as
/// expected, the root being a child of the caller's span `root_parent`.
pub(crate) fn assert_tree(
    spans: &Exported,
    trace_id: TraceId,
    root_parent: SpanId,
    expected: &[Expected],
) {
    let trace = spans.trace(trace_id);
    let mut names: Vec<String> = trace.iter().map(|s| s.name.to_string()).collect();
    names.sort();
    let mut want: Vec<String> = expected.iter().map(|e| e.2.to_string()).collect();
    want.sort();
    assert_eq!(names, want, "span names of the trace");
    assert_eq!(
        spans.all().count(),
        expected.len(),
        "no span outside the trace: {:?}",
        spans.names()
    );
    for (service, kind, name, parent) in expected.iter().cloned() {
        let span = spans.one(service, name);
        assert_eq!(span.span_kind, kind, "kind of {name}");
        assert_eq!(
            span.instrumentation_scope.name(),
            service,
            "scope of {name}"
        );
        assert_eq!(
            span.instrumentation_scope.version(),
            Some(env!("CARGO_PKG_VERSION")),
            "scope version of {name}"
        );
        match parent {
            None => {
                assert_eq!(
                    span.parent_span_id, root_parent,
                    "{name} is the child of the caller"
                );
                assert!(span.parent_span_is_remote, "{name}'s parent is remote");
            }
            Some((parent_service, parent_name)) => {
                let parent = spans.one(parent_service, parent_name);
                assert_eq!(
                    span.parent_span_id,
                    parent.span_context.span_id(),
                    "parent of {name}"
                );
                assert!(
                    span.start_time >= parent.start_time,
                    "{name} starts within {parent_name}"
                );
                assert!(
                    span.end_time <= parent.end_time,
                    "{name} ends within {parent_name}"
                );
            }
        }
    }
}

/// The caller's side of a request: the trace and span ids it sends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub sampled: bool,
}

impl Caller {
    pub(crate) fn new(sampled: bool) -> Self {
        Caller {
            trace_id: TraceId::from(rand::random::<u128>() | 1),
            span_id: SpanId::from(rand::random::<u64>() | 1),
            sampled,
        }
    }

    pub(crate) fn traceparent(&self) -> String {
        format!(
            "00-{}-{}-{}",
            self.trace_id,
            self.span_id,
            if self.sampled { "01" } else { "00" }
        )
    }
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// An answer, with its body parsed as JSON.
#[derive(Debug)]
pub(crate) struct ServiceAnswer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: serde_json::Value,
}

impl ServiceAnswer {
    pub(crate) async fn from(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("body {text:?} is not JSON: {e}"));
        ServiceAnswer {
            status,
            headers,
            json,
        }
    }

    pub(crate) fn traceresponse(&self) -> TraceResponse {
        let value = self
            .headers
            .get("traceresponse")
            .expect("traceresponse header");
        TraceResponse::parse(value.to_str().unwrap()).expect("valid traceresponse")
    }

    /// Asserts a JSON error body with this code.
    pub(crate) fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.json["error"]["code"], code, "{self:?}");
        let message = self.json["error"]["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "error message present: {self:?}");
        assert_eq!(
            self.headers.get("content-type").unwrap(),
            "application/json",
            "{self:?}"
        );
    }
}

/// POST `body` (raw) to `url` with a JSON content type and the caller's context.
pub(crate) async fn post_raw(
    url: &str,
    caller: Caller,
    scenario: &str,
    body: impl Into<reqwest::Body>,
) -> ServiceAnswer {
    let response = client()
        .post(url)
        .header("content-type", "application/json")
        .header("traceparent", caller.traceparent())
        .header(
            "baggage",
            format!("loadgen.scenario={scenario},user.email=a%40b.c"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    ServiceAnswer::from(response).await
}

/// POST a JSON order to order-api.
pub(crate) async fn post_order(
    stack: &Stack,
    caller: Caller,
    scenario: &str,
    order: serde_json::Value,
) -> ServiceAnswer {
    post_raw(
        &format!("{}/orders", stack.order_url()),
        caller,
        scenario,
        order.to_string(),
    )
    .await
}

pub(crate) fn valid_order() -> serde_json::Value {
    serde_json::json!({"customer_id":"CUST-42","item":"Keyboard","quantity":2,"amount":149.99})
}

pub(crate) fn fraud_order() -> serde_json::Value {
    serde_json::json!({"customer_id":"CUST-SHADY","item":"Watch","quantity":1,"amount":25000})
}

pub(crate) fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

/// Asserts each `(key, value)` is an attribute of `span`, with that type.
pub(crate) fn assert_attrs(span: &SpanData, expected: &[(&str, Value)]) {
    for (key, value) in expected {
        assert_eq!(
            attr(span, key),
            Some(value),
            "attribute {key} of {}: {:?}",
            span.name,
            span.attributes
        );
    }
}

pub(crate) fn assert_no_attr(span: &SpanData, key: &str) {
    assert_eq!(attr(span, key), None, "{} must not carry {key}", span.name);
}

pub(crate) fn s(v: &str) -> Value {
    Value::from(v.to_owned())
}

pub(crate) fn i(v: i64) -> Value {
    Value::I64(v)
}

pub(crate) fn f(v: f64) -> Value {
    Value::F64(v)
}

pub(crate) fn is_error(span: &SpanData) -> bool {
    matches!(span.status, Status::Error { .. })
}

pub(crate) fn assert_unset(span: &SpanData) {
    assert_eq!(span.status, Status::Unset, "status of {}", span.name);
}

pub(crate) fn assert_error_status(span: &SpanData) {
    match &span.status {
        Status::Error { description } => {
            assert!(!description.is_empty(), "{} has a description", span.name)
        }
        other => panic!("{} should be ERROR, is {other:?}", span.name),
    }
}

/// The event named `name` of `span`, with its attributes (panics if absent).
pub(crate) fn event<'a>(span: &'a SpanData, name: &str) -> &'a opentelemetry::trace::Event {
    span.events
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("{} lacks event {name}: {:?}", span.name, span.events.events))
}

pub(crate) fn event_attr<'a>(
    event: &'a opentelemetry::trace::Event,
    key: &str,
) -> Option<&'a Value> {
    event
        .attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

/// Polls `check` until it returns `Some` or `timeout` passes.
pub(crate) async fn eventually<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn since(t: SystemTime, earlier: SystemTime) -> Duration {
    t.duration_since(earlier).unwrap_or_default()
}

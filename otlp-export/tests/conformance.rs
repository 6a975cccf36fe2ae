//! Conformance of [`DirectSpanExporter`]: the request it encodes for a
//! batch decodes (with `opentelemetry-proto`) to exactly the request
//! `opentelemetry-otlp` builds for the same batch and resource
//! (`group_spans_by_resource_and_scope`, what its exporters send), for
//! every attribute type, events, links, statuses, flags, trace state,
//! dropped counts, resources and scopes.

use std::{
    borrow::Cow,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use opentelemetry::{
    InstrumentationScope, KeyValue, StringValue, Value,
    trace::{Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState},
};
use opentelemetry_proto::{
    tonic::collector::trace::v1::ExportTraceServiceRequest,
    transform::{
        common::tonic::ResourceAttributesWithSchema,
        trace::tonic::group_spans_by_resource_and_scope,
    },
};
use opentelemetry_sdk::{
    Resource,
    trace::{SpanData, SpanEvents, SpanExporter as _, SpanLinks},
};
use otlp_export::{Compression, Destination, DirectSpanExporter, Protocol};
use prost::Message as _;

/// Every kind of attribute value the API has, including the edge cases of
/// the wire format (empty strings and arrays, negative and large numbers,
/// lengths of two bytes).
fn every_value() -> Vec<KeyValue> {
    vec![
        KeyValue::new("bool.true", true),
        KeyValue::new("bool.false", false),
        KeyValue::new("int", 42_i64),
        KeyValue::new("int.zero", 0_i64),
        KeyValue::new("int.negative", -7_i64),
        KeyValue::new("int.max", i64::MAX),
        KeyValue::new("int.min", i64::MIN),
        KeyValue::new("double", 0.25),
        KeyValue::new("double.zero", 0.0),
        KeyValue::new("double.negative", -1.5e300),
        KeyValue::new("string", "value"),
        KeyValue::new("string.empty", ""),
        KeyValue::new("string.long", "x".repeat(300)),
        KeyValue::new("string.owned", String::from("owned")),
        KeyValue::new(
            "array.string",
            Value::Array(vec![StringValue::from("a"), "".into(), "c".into()].into()),
        ),
        KeyValue::new("array.int", Value::Array(vec![1_i64, -2, 0].into())),
        KeyValue::new("array.double", Value::Array(vec![0.5, -1.5, 0.0].into())),
        KeyValue::new("array.bool", Value::Array(vec![true, false].into())),
        KeyValue::new("array.empty", Value::Array(Vec::<i64>::new().into())),
        KeyValue::new("", "empty key"),
    ]
}

fn at(offset_ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(1_764_000_000_000_000_000 + offset_ns)
}

fn context(seed: u8, flags: TraceFlags, remote: bool, state: TraceState) -> SpanContext {
    SpanContext::new(
        TraceId::from_bytes([seed; 16]),
        SpanId::from_bytes([seed ^ 0x5A; 8]),
        flags,
        remote,
        state,
    )
}

fn scope(name: &'static str) -> InstrumentationScope {
    InstrumentationScope::builder(name).build()
}

/// A span with defaults everywhere but what the caller sets.
fn span(seed: u8, name: &'static str, instrumentation_scope: InstrumentationScope) -> SpanData {
    SpanData {
        span_context: context(seed, TraceFlags::SAMPLED, false, TraceState::NONE),
        parent_span_id: SpanId::INVALID,
        parent_span_is_remote: false,
        span_kind: SpanKind::Internal,
        name: Cow::Borrowed(name),
        start_time: at(u64::from(seed) * 1_000),
        end_time: at(u64::from(seed) * 1_000 + 999),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope,
    }
}

/// A batch exercising every field of a span, link and event, from three
/// scopes interleaved (one with a version, attributes and schema URL).
fn batch() -> Vec<SpanData> {
    let rich_scope = InstrumentationScope::builder("order-api")
        .with_version("1.2.3")
        .with_schema_url("https://opentelemetry.io/schemas/1.30.0")
        .with_attributes([KeyValue::new("scope.attr", 1_i64)])
        .build();
    let state = TraceState::from_key_value([("vendor", "value"), ("other", "x")]).unwrap();

    let mut server = span(1, "POST /orders", rich_scope.clone());
    server.span_kind = SpanKind::Server;
    server.parent_span_id = SpanId::from_bytes([9; 8]);
    server.parent_span_is_remote = true;
    server.attributes = every_value();
    server.dropped_attributes_count = 3;
    server.status = Status::error("payment declined");
    server.span_context = context(1, TraceFlags::SAMPLED, false, state.clone());
    server.events.events = vec![
        Event::new(
            "exception",
            at(1_500),
            vec![
                KeyValue::new("exception.type", "Declined"),
                KeyValue::new("exception.escaped", false),
            ],
            2,
        ),
        Event::new("", UNIX_EPOCH, Vec::new(), 0),
        Event::new(Cow::Owned("owned".into()), at(1_600), every_value(), 0),
    ];
    server.events.dropped_count = 4;
    server.links.links = vec![
        Link::new(
            context(7, TraceFlags::SAMPLED, true, state),
            vec![KeyValue::new("link.kind", "follows")],
            5,
        ),
        Link::new(
            context(8, TraceFlags::NOT_SAMPLED, false, TraceState::NONE),
            Vec::new(),
            0,
        ),
    ];
    server.links.dropped_count = 6;

    let mut client = span(2, "payment-service POST /charge", scope("reqwest"));
    client.span_kind = SpanKind::Client;
    client.parent_span_id = SpanId::from_bytes([1 ^ 0x5A; 8]);
    client.status = Status::Ok;
    client.attributes = vec![KeyValue::new("http.response.status_code", 402_i64)];

    let mut internal = span(3, "validate", rich_scope.clone());
    internal.span_context = context(3, TraceFlags::NOT_SAMPLED, false, TraceState::NONE);
    internal.status = Status::error("");

    let mut producer = span(4, "enqueue", scope("queue"));
    producer.span_kind = SpanKind::Producer;
    let mut consumer = span(5, "dequeue", scope("queue"));
    consumer.span_kind = SpanKind::Consumer;
    // Before the epoch: the SDK's exporter writes 0.
    consumer.start_time = UNIX_EPOCH - Duration::from_secs(1);

    let empty = span(6, "", rich_scope);
    vec![server, client, internal, producer, consumer, empty]
}

fn resources() -> Vec<Resource> {
    vec![
        Resource::builder_empty().build(),
        Resource::builder()
            .with_service_name("order-api")
            .with_attributes(every_value())
            .build(),
        Resource::builder()
            .with_service_name("payment-service")
            .with_schema_url(
                [KeyValue::new("deployment.environment", "test")],
                "https://opentelemetry.io/schemas/1.30.0",
            )
            .build(),
    ]
}

/// The exporter, for the resource; nothing is sent.
fn exporter(resource: &Resource) -> DirectSpanExporter {
    let mut exporter = DirectSpanExporter::new(&Destination {
        endpoint: "http://127.0.0.1:1".into(),
        protocol: Protocol::Grpc,
        headers: Default::default(),
        timeout: Duration::from_secs(1),
        compression: Compression::None,
        tls: Default::default(),
    })
    .unwrap();
    exporter.set_resource(resource);
    exporter
}

fn sdk_request(batch: Vec<SpanData>, resource: &Resource) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: group_spans_by_resource_and_scope(
            batch,
            &ResourceAttributesWithSchema::from(resource),
        ),
    }
}

#[tokio::test]
async fn every_field_decodes_to_what_opentelemetry_otlp_sends() {
    for resource in resources() {
        let exporter = exporter(&resource);
        let ours = ExportTraceServiceRequest::decode(&exporter.encode(&batch())[..]).unwrap();
        let theirs = sdk_request(batch(), &resource);
        assert_eq!(ours, theirs, "resource {resource:?}");
        // Three scopes, each once, in the order they first appear.
        let scopes: Vec<&str> = ours.resource_spans[0]
            .scope_spans
            .iter()
            .map(|s| s.scope.as_ref().unwrap().name.as_str())
            .collect();
        assert_eq!(scopes, ["order-api", "reqwest", "queue"]);
    }
}

#[tokio::test]
async fn each_span_alone_and_later_batches_decode_alike() {
    let resource = &resources()[1];
    let exporter = exporter(resource);
    for span in batch() {
        let ours =
            ExportTraceServiceRequest::decode(&exporter.encode(std::slice::from_ref(&span))[..])
                .unwrap();
        assert_eq!(
            ours,
            sdk_request(vec![span.clone()], resource),
            "{}",
            span.name
        );
    }
    // The scopes encoded for earlier batches serve later ones; an empty
    // batch is one empty ResourceSpans, as the SDK's exporter builds it.
    let again = ExportTraceServiceRequest::decode(&exporter.encode(&batch())[..]).unwrap();
    assert_eq!(again, sdk_request(batch(), resource));
    let empty = ExportTraceServiceRequest::decode(&exporter.encode(&[])[..]).unwrap();
    assert_eq!(empty, sdk_request(Vec::new(), resource));
}

#[tokio::test]
async fn a_changed_field_is_seen_by_the_comparison() {
    // The comparison itself catches a difference: one span changed on the
    // SDK's side only.
    let resource = &resources()[1];
    let exporter = exporter(resource);
    let ours = ExportTraceServiceRequest::decode(&exporter.encode(&batch())[..]).unwrap();
    let mut changed = batch();
    changed[0].events.dropped_count += 1;
    assert_ne!(ours, sdk_request(changed, resource));
}

#[test]
fn building_outside_a_runtime_is_refused() {
    let e = DirectSpanExporter::new(&Destination {
        endpoint: "http://127.0.0.1:4317".into(),
        protocol: Protocol::Grpc,
        headers: Default::default(),
        timeout: Duration::from_secs(1),
        compression: Compression::None,
        tls: Default::default(),
    })
    .unwrap_err();
    assert!(e.to_string().contains("Tokio runtime"), "{e}");
}

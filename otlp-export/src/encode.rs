//! OTLP's protobuf wire format, written straight from the caller's figures:
//! a span is a few hundred bytes appended to the open batch, and a
//! batch becomes an `ExportTraceServiceRequest` by prefixing the resource
//! and the scope, with no `SpanData` or generated message structs between
//! (those allocations were most of the generator's cost per span).
//!
//! Field numbers are those of `opentelemetry/proto/trace/v1/trace.proto`,
//! `common/v1/common.proto` and `resource/v1/resource.proto`. Fields holding
//! their default (zero, empty) are left out, as protobuf encoders do.

use opentelemetry::{Array, InstrumentationScope, StringValue, Value};
use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint};

/// `Span.kind` of a CLIENT span.
const SPAN_KIND_CLIENT: u64 = 3;
/// `Status.code` ERROR.
const STATUS_CODE_ERROR: u64 = 2;
/// `Span.flags`: the W3C sampled flag plus "the parent's remoteness is
/// known" (it is not remote: the span is a root), as the SDK's exporter sets.
const ROOT_SAMPLED_FLAGS: u32 = 0x01 | 0x100;

/// Appends protobuf fields to a buffer.
pub(crate) struct Writer<'a>(pub(crate) &'a mut Vec<u8>);

impl Writer<'_> {
    /// A length-delimited field, written even when empty (a member of a
    /// `oneof`, such as `AnyValue`'s, is present whatever its value).
    fn bytes_always(&mut self, field: u32, value: &[u8]) {
        encode_key(field, WireType::LengthDelimited, self.0);
        encode_varint(value.len() as u64, self.0);
        self.0.extend_from_slice(value);
    }

    fn varint_always(&mut self, field: u32, value: u64) {
        encode_key(field, WireType::Varint, self.0);
        encode_varint(value, self.0);
    }

    fn fixed64_always(&mut self, field: u32, value: u64) {
        encode_key(field, WireType::SixtyFourBit, self.0);
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    pub(crate) fn bytes(&mut self, field: u32, value: &[u8]) {
        if !value.is_empty() {
            self.bytes_always(field, value);
        }
    }

    pub(crate) fn string(&mut self, field: u32, value: &str) {
        self.bytes(field, value.as_bytes());
    }

    pub(crate) fn varint(&mut self, field: u32, value: u64) {
        if value != 0 {
            self.varint_always(field, value);
        }
    }

    pub(crate) fn fixed64(&mut self, field: u32, value: u64) {
        if value != 0 {
            self.fixed64_always(field, value);
        }
    }

    pub(crate) fn fixed32(&mut self, field: u32, value: u32) {
        if value != 0 {
            encode_key(field, WireType::ThirtyTwoBit, self.0);
            self.0.extend_from_slice(&value.to_le_bytes());
        }
    }

    /// A nested message, written in place: one byte is kept for its length
    /// and widened afterwards if the message is 128 bytes or longer.
    pub(crate) fn message(&mut self, field: u32, body: impl FnOnce(&mut Writer<'_>)) {
        encode_key(field, WireType::LengthDelimited, self.0);
        let at = self.0.len();
        self.0.push(0);
        body(&mut Writer(self.0));
        let len = self.0.len() - at - 1;
        let width = encoded_len_varint(len as u64);
        if width > 1 {
            self.0
                .splice(at + 1..at + 1, std::iter::repeat_n(0, width - 1));
        }
        encode_varint(len as u64, &mut &mut self.0[at..at + width]);
    }

    /// `KeyValue { key = 1; value = 2 }`.
    pub(crate) fn attribute(&mut self, field: u32, key: &str, value: AttrValue<'_>) {
        self.message(field, |w| {
            w.string(1, key);
            w.message(2, |w| w.any_value(value));
        });
    }

    /// The fields of an `AnyValue`: string 1, bool 2, int 3, double 4,
    /// array 5 (`ArrayValue { repeated AnyValue values = 1 }`).
    fn any_value(&mut self, value: AttrValue<'_>) {
        match value {
            AttrValue::Str(s) => self.bytes_always(1, s.as_bytes()),
            AttrValue::Int(i) => self.varint_always(3, i as u64),
            AttrValue::Sdk(value) => self.sdk_value(value),
        }
    }

    fn sdk_value(&mut self, value: &Value) {
        match value {
            Value::Bool(b) => self.varint_always(2, u64::from(*b)),
            Value::I64(i) => self.any_value(AttrValue::Int(*i)),
            Value::F64(f) => self.fixed64_always(4, f.to_bits()),
            Value::String(s) => self.any_value(AttrValue::Str(s.as_str())),
            Value::Array(array) => self.message(5, |w| match array {
                Array::Bool(v) => w.array(v.iter().map(|b| Value::Bool(*b))),
                Array::I64(v) => w.array(v.iter().map(|i| Value::I64(*i))),
                Array::F64(v) => w.array(v.iter().map(|f| Value::F64(*f))),
                Array::String(v) => w.array(v.iter().map(|s| Value::String(StringValue::clone(s)))),
                // A kind of array added to the API later: its text form.
                other => w.array(std::iter::once(Value::String(other.to_string().into()))),
            }),
            // A kind of value added to the API later: its text form.
            other => self.any_value(AttrValue::Str(&other.as_str())),
        }
    }

    fn array(&mut self, values: impl Iterator<Item = Value>) {
        for value in values {
            self.message(1, |w| w.sdk_value(&value));
        }
    }
}

/// An attribute value of a [`SpanRecord`] (borrowed: nothing is copied
/// but into the buffer), or any SDK value (the resource's).
#[derive(Debug, Clone, Copy)]
pub enum AttrValue<'a> {
    /// A string.
    Str(&'a str),
    /// An integer.
    Int(i64),
    /// Any value of the OpenTelemetry API.
    Sdk(&'a Value),
}

/// One sampled root CLIENT span (the loadgen's), as its caller has it.
#[derive(Debug)]
pub struct SpanRecord<'a> {
    /// The trace id.
    pub trace_id: [u8; 16],
    /// The span id.
    pub span_id: [u8; 8],
    /// The span name.
    pub name: &'a str,
    /// The start, ns since the Unix epoch.
    pub start_unix_ns: u64,
    /// The end, ns since the Unix epoch.
    pub end_unix_ns: u64,
    /// The attributes, in order.
    pub attributes: &'a [(&'a str, AttrValue<'a>)],
    /// `Some(description)`: the span's status is ERROR.
    pub error: Option<&'a str>,
}

/// Appends `span` to `batch` as one `ScopeSpans.spans` field (number 2).
pub(crate) fn append_span(batch: &mut Vec<u8>, span: &SpanRecord<'_>) {
    Writer(batch).message(2, |w| {
        w.bytes(1, &span.trace_id);
        w.bytes(2, &span.span_id);
        w.string(5, span.name);
        w.varint(6, SPAN_KIND_CLIENT);
        w.fixed64(7, span.start_unix_ns);
        w.fixed64(8, span.end_unix_ns);
        for (key, value) in span.attributes {
            w.attribute(9, key, *value);
        }
        // `Status { message = 2; code = 3 }`, present even when unset.
        w.message(15, |w| {
            if let Some(description) = span.error {
                w.string(2, description);
                w.varint(3, STATUS_CODE_ERROR);
            }
        });
        w.fixed32(16, ROOT_SAMPLED_FLAGS);
    });
}

/// `ResourceSpans.resource` (field 1) and `ResourceSpans.schema_url`
/// (field 3) of one resource, encoded once for every request.
#[derive(Debug, Clone, Default)]
pub(crate) struct EncodedResource {
    resource: Vec<u8>,
    /// Complete, or empty when the resource has no schema URL.
    schema_url: Vec<u8>,
}

impl EncodedResource {
    /// `resource`'s attributes (in the resource's own order, as the SDK's
    /// exporter writes them) and schema URL.
    pub(crate) fn new(resource: &opentelemetry_sdk::Resource) -> Self {
        let mut out = EncodedResource::default();
        Writer(&mut out.resource).message(1, |w| {
            for (key, value) in resource.iter() {
                w.attribute(1, key.as_str(), AttrValue::Sdk(value));
            }
        });
        Writer(&mut out.schema_url).string(3, resource.schema_url().unwrap_or_default());
        out
    }
}

/// `ScopeSpans.scope` (field 1) and `ScopeSpans.schema_url` (field 3) of
/// one instrumentation scope, encoded once.
#[derive(Debug, Clone, Default)]
pub(crate) struct EncodedScope {
    scope: Vec<u8>,
    /// Complete, or empty when the scope has no schema URL.
    schema_url: Vec<u8>,
}

impl EncodedScope {
    /// `InstrumentationScope { name = 1; version = 2; attributes = 3 }`.
    pub(crate) fn new(scope: &InstrumentationScope) -> Self {
        let mut out = EncodedScope::default();
        Writer(&mut out.scope).message(1, |w| {
            w.string(1, scope.name());
            w.string(2, scope.version().unwrap_or_default());
            for kv in scope.attributes() {
                w.attribute(3, kv.key.as_str(), AttrValue::Sdk(&kv.value));
            }
        });
        Writer(&mut out.schema_url).string(3, scope.schema_url().unwrap_or_default());
        out
    }

    fn len(&self) -> usize {
        self.scope.len() + self.schema_url.len()
    }
}

/// The `ExportTraceServiceRequest` carrying, for each scope, its spans
/// (`ScopeSpans.spans` fields, appended by [`append_span`] or
/// `span_data::append`): one `ResourceSpans` holding a `ScopeSpans` per
/// scope, in the order given.
pub(crate) fn request(resource: &EncodedResource, scopes: &[(&EncodedScope, &[u8])]) -> Vec<u8> {
    let field = |len: usize| 1 + encoded_len_varint(len as u64) + len;
    let scope_spans: usize = scopes
        .iter()
        .map(|(scope, spans)| field(scope.len() + spans.len()))
        .sum();
    let resource_spans = resource.resource.len() + scope_spans + resource.schema_url.len();
    let mut out = Vec::with_capacity(field(resource_spans));
    encode_key(1, WireType::LengthDelimited, &mut out);
    encode_varint(resource_spans as u64, &mut out);
    out.extend_from_slice(&resource.resource);
    for (scope, spans) in scopes {
        encode_key(2, WireType::LengthDelimited, &mut out);
        encode_varint((scope.len() + spans.len()) as u64, &mut out);
        out.extend_from_slice(&scope.scope);
        out.extend_from_slice(spans);
        out.extend_from_slice(&scope.schema_url);
    }
    out.extend_from_slice(&resource.schema_url);
    out
}

/// What every request of a [`SpanPipeline`](crate::SpanPipeline) shares:
/// its resource and its one scope, encoded once.
#[derive(Debug, Clone)]
pub(crate) struct Envelope {
    resource: EncodedResource,
    scope: EncodedScope,
}

impl Envelope {
    /// The envelope of `resource`'s spans from the scope `name`/`version`.
    pub(crate) fn new(resource: &opentelemetry_sdk::Resource, name: &str, version: &str) -> Self {
        let scope = InstrumentationScope::builder(name.to_owned())
            .with_version(version.to_owned())
            .build();
        Envelope {
            resource: EncodedResource::new(resource),
            scope: EncodedScope::new(&scope),
        }
    }

    /// The `ExportTraceServiceRequest` carrying `spans` (fields appended by
    /// [`append_span`]).
    pub(crate) fn request(&self, spans: &[u8]) -> Vec<u8> {
        request(&self.resource, &[(&self.scope, spans)])
    }
}

#[cfg(test)]
mod tests {
    //! Conformance: what this module writes decodes, with the generated
    //! OTLP types, to exactly what the SDK's own OTLP exporter would send
    //! for the same span and resource.

    use std::{
        borrow::Cow,
        time::{Duration, UNIX_EPOCH},
    };

    use opentelemetry::{
        InstrumentationScope,
        trace::{SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState},
    };
    use opentelemetry_proto::tonic::{
        collector::trace::v1::ExportTraceServiceRequest,
        common::v1::InstrumentationScope as ProtoScope, trace::v1::Span as ProtoSpan,
    };
    use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
    use opentelemetry_sdk::{
        Resource,
        trace::{SpanData, SpanEvents, SpanLinks},
    };
    use prost::Message;

    use super::*;
    use opentelemetry::KeyValue;

    /// The SDK's `SpanData` of the span `record` describes.
    fn sdk_span(record: &SpanRecord<'_>, attributes: Vec<KeyValue>) -> SpanData {
        SpanData {
            span_context: SpanContext::new(
                TraceId::from_bytes(record.trace_id),
                SpanId::from_bytes(record.span_id),
                TraceFlags::SAMPLED,
                false,
                TraceState::default(),
            ),
            parent_span_id: SpanId::INVALID,
            parent_span_is_remote: false,
            span_kind: SpanKind::Client,
            name: Cow::Owned(record.name.to_owned()),
            start_time: UNIX_EPOCH + Duration::from_nanos(record.start_unix_ns),
            end_time: UNIX_EPOCH + Duration::from_nanos(record.end_unix_ns),
            attributes,
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: match record.error {
                Some(d) => Status::error(d.to_owned()),
                None => Status::Unset,
            },
            instrumentation_scope: InstrumentationScope::builder("loadgen").build(),
        }
    }

    fn long_url() -> String {
        format!("http://127.0.0.1:8000/{}", "x".repeat(300))
    }

    #[test]
    fn spans_decode_to_what_the_sdk_exporter_sends() {
        let url = long_url();
        let cases: [(&str, Vec<KeyValue>, Option<&str>); 3] = [
            (
                "POST /orders",
                vec![
                    KeyValue::new("http.request.method", "POST"),
                    KeyValue::new("url.full", "http://127.0.0.1:8000/orders"),
                    KeyValue::new("server.port", 8000_i64),
                    KeyValue::new("http.response.status_code", 201_i64),
                    KeyValue::new("loadgen.scenario", "valid"),
                ],
                None,
            ),
            (
                "GET /health",
                // Long enough that the lengths take two bytes; a negative
                // int, an empty string.
                vec![
                    KeyValue::new("url.full", url.clone()),
                    KeyValue::new("negative", -5_i64),
                    KeyValue::new("empty", ""),
                ],
                Some("connect: connection refused"),
            ),
            ("", vec![], Some("")),
        ];
        let mut batch = Vec::new();
        let mut expected = Vec::new();
        for (i, (name, attributes, error)) in cases.into_iter().enumerate() {
            let values: Vec<(&str, AttrValue<'_>)> = attributes
                .iter()
                .map(|kv| match &kv.value {
                    Value::String(s) => (kv.key.as_str(), AttrValue::Str(s.as_str())),
                    Value::I64(n) => (kv.key.as_str(), AttrValue::Int(*n)),
                    other => (kv.key.as_str(), AttrValue::Sdk(other)),
                })
                .collect();
            let record = SpanRecord {
                trace_id: [i as u8 + 1; 16],
                span_id: [0xA0 | i as u8; 8],
                name,
                start_unix_ns: 1_763_900_000_123_456_789 + i as u64,
                end_unix_ns: 1_763_900_000_223_456_789,
                attributes: &values,
                error,
            };
            append_span(&mut batch, &record);
            expected.push(ProtoSpan::from(sdk_span(&record, attributes.clone())));
        }
        let resource = Resource::builder().with_service_name("loadgen").build();
        let envelope = Envelope::new(&resource, "loadgen", "0.1.0");
        let decoded = ExportTraceServiceRequest::decode(&envelope.request(&batch)[..]).unwrap();
        assert_eq!(decoded.resource_spans.len(), 1);
        let scope_spans = &decoded.resource_spans[0].scope_spans;
        assert_eq!(scope_spans.len(), 1);
        assert_eq!(scope_spans[0].spans, expected);
        assert_eq!(
            scope_spans[0].scope,
            Some(ProtoScope {
                name: "loadgen".into(),
                version: "0.1.0".into(),
                ..ProtoScope::default()
            })
        );
    }

    #[test]
    fn the_resource_decodes_to_what_the_sdk_exporter_sends() {
        let resource = Resource::builder()
            .with_service_name("loadgen")
            .with_schema_url(
                [
                    KeyValue::new("flag", true),
                    KeyValue::new("ratio", 0.25),
                    KeyValue::new("count", 7_i64),
                    KeyValue::new(
                        "names",
                        Value::Array(vec![StringValue::from("a"), "b".into()].into()),
                    ),
                    KeyValue::new("ints", Value::Array(vec![1_i64, -2].into())),
                    KeyValue::new("floats", Value::Array(vec![0.5, 1.5].into())),
                    KeyValue::new("bools", Value::Array(vec![true, false].into())),
                    KeyValue::new("long", long_url()),
                ],
                "https://opentelemetry.io/schemas/1.30.0",
            )
            .build();
        let sdk = ResourceAttributesWithSchema::from(&resource);
        let decoded = ExportTraceServiceRequest::decode(
            &Envelope::new(&resource, "loadgen", "").request(&[])[..],
        )
        .unwrap();
        let resource_spans = &decoded.resource_spans[0];
        assert_eq!(
            resource_spans.resource.as_ref().unwrap().attributes,
            sdk.attributes.0
        );
        assert_eq!(Some(&resource_spans.schema_url), sdk.schema_url.as_ref());
        assert!(resource_spans.scope_spans[0].spans.is_empty());
    }
}

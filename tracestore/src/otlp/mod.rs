//! The OTLP trace data model (opentelemetry-proto's prost types) and its
//! JSON encodings.

pub(crate) mod json_in;
pub(crate) mod json_out;
pub(crate) mod values;
pub(crate) mod warnings;
pub(crate) mod wire;

pub(crate) use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
pub(crate) use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList, any_value::Value,
};
pub(crate) use opentelemetry_proto::tonic::resource::v1::Resource;
pub(crate) use opentelemetry_proto::tonic::trace::v1::{
    ResourceSpans, ScopeSpans, Span, Status,
    span::{Event, Link, SpanKind},
    status::StatusCode,
};

//! The OTLP trace data model (opentelemetry-proto's prost types) and its
//! JSON encodings.

pub mod json_in;
pub mod json_out;
pub mod values;
pub mod warnings;
pub mod wire;

pub use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
pub use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList, any_value::Value,
};
pub use opentelemetry_proto::tonic::resource::v1::Resource;
pub use opentelemetry_proto::tonic::trace::v1::{
    ResourceSpans, ScopeSpans, Span, Status,
    span::{Event, Link, SpanKind},
    status::StatusCode,
};

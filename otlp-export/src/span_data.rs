//! The SDK's `SpanData` written straight into OTLP protobuf: what
//! `opentelemetry-proto`'s conversion and prost's encoder make of a span,
//! without the intermediate message structs (a `String` per attribute key
//! and value, a `Vec` per id) between.
//!
//! Field numbers are those of `opentelemetry/proto/trace/v1/trace.proto`.

use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status, TraceState};
use opentelemetry_sdk::trace::SpanData;

use crate::encode::{AttrValue, Writer};

/// `SpanFlags`: the parent's (or linked context's) remoteness is known.
const HAS_IS_REMOTE: u32 = 0x100;
/// `SpanFlags`: it is remote.
const IS_REMOTE: u32 = 0x200;

/// Appends `span` to `batch` as one `ScopeSpans.spans` field (number 2).
pub(crate) fn append(batch: &mut Vec<u8>, span: &SpanData) {
    Writer(batch).message(2, |w| {
        let context = &span.span_context;
        w.bytes(1, &context.trace_id().to_bytes());
        w.bytes(2, &context.span_id().to_bytes());
        trace_state(w, 3, context.trace_state());
        if span.parent_span_id != SpanId::INVALID {
            w.bytes(4, &span.parent_span_id.to_bytes());
        }
        w.string(5, &span.name);
        w.varint(6, kind(&span.span_kind));
        w.fixed64(7, unix_nanos(span.start_time));
        w.fixed64(8, unix_nanos(span.end_time));
        for kv in &span.attributes {
            w.attribute(9, kv.key.as_str(), AttrValue::Sdk(&kv.value));
        }
        w.varint(10, u64::from(span.dropped_attributes_count));
        for event in span.events.iter() {
            // `Event { time_unix_nano = 1; name = 2; attributes = 3;
            // dropped_attributes_count = 4 }`
            w.message(11, |w| {
                w.fixed64(1, unix_nanos(event.timestamp));
                w.string(2, &event.name);
                for kv in &event.attributes {
                    w.attribute(3, kv.key.as_str(), AttrValue::Sdk(&kv.value));
                }
                w.varint(4, u64::from(event.dropped_attributes_count));
            });
        }
        w.varint(12, u64::from(span.events.dropped_count));
        for link in span.links.iter() {
            // `Link { trace_id = 1; span_id = 2; trace_state = 3;
            // attributes = 4; dropped_attributes_count = 5; flags = 6 }`
            w.message(13, |w| {
                let context = &link.span_context;
                w.bytes(1, &context.trace_id().to_bytes());
                w.bytes(2, &context.span_id().to_bytes());
                trace_state(w, 3, context.trace_state());
                for kv in &link.attributes {
                    w.attribute(4, kv.key.as_str(), AttrValue::Sdk(&kv.value));
                }
                w.varint(5, u64::from(link.dropped_attributes_count));
                w.fixed32(6, flags(context, context.is_remote()));
            });
        }
        w.varint(14, u64::from(span.links.dropped_count));
        // `Status { message = 2; code = 3 }`, present even when unset.
        w.message(15, |w| match &span.status {
            Status::Unset => {}
            Status::Ok => w.varint(3, 1),
            Status::Error { description } => {
                w.string(2, description);
                w.varint(3, 2);
            }
        });
        w.fixed32(16, flags(context, span.parent_span_is_remote));
    });
}

/// The W3C trace flags plus the remoteness bits, as the SDK's exporter
/// sets them.
fn flags(context: &SpanContext, remote: bool) -> u32 {
    let mut flags = u32::from(context.trace_flags().to_u8()) | HAS_IS_REMOTE;
    if remote {
        flags |= IS_REMOTE;
    }
    flags
}

/// The `tracestate` header, when there is one (the header is built only
/// then: most spans have none).
fn trace_state(w: &mut Writer<'_>, field: u32, state: &TraceState) {
    if *state != TraceState::NONE {
        w.string(field, &state.header());
    }
}

/// `Span.SpanKind`.
fn kind(kind: &SpanKind) -> u64 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

/// Nanoseconds since the Unix epoch; 0 for an earlier time (as the SDK's
/// exporter does).
fn unix_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

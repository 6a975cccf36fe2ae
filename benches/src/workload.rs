//! What the span benches create: one span shaped like the services'
//! `validate_order` (four attributes and an event).

use opentelemetry::{
    KeyValue,
    trace::{Span, SpanKind, Tracer},
};

/// Starts and ends one INTERNAL span with four attributes and one event,
/// through any tracer (the no-op one included). As in the services, the
/// attributes and the event are built only when the span records: an
/// unsampled span costs its ids and nothing else.
pub fn record_span<T: Tracer>(tracer: &T) {
    let mut span = tracer
        .span_builder("validate_order")
        .with_kind(SpanKind::Internal)
        .start(tracer);
    if span.is_recording() {
        span.set_attribute(KeyValue::new("order.customer_id", "CUST-42"));
        span.set_attribute(KeyValue::new("order.item", "Keyboard"));
        span.set_attribute(KeyValue::new("order.quantity", 2_i64));
        span.set_attribute(KeyValue::new("order.amount", 149.99));
        span.add_event(
            "order.validated",
            vec![KeyValue::new("order.fields", 4_i64)],
        );
    }
    span.end();
}

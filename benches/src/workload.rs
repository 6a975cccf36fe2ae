//! What the benches create and send: one span shaped like the services'
//! `validate_order` (four attributes and an event), and the order payloads.

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

/// The request scenarios of the per-request benches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// A valid order: validate, pay, save (201).
    Valid,
    /// An order with a negative amount (422, no payment call).
    Invalid,
    /// An order above the fraud threshold (402 from the payment service).
    Fraud,
}

impl Scenario {
    /// Every scenario, in report order.
    pub const ALL: [Scenario; 3] = [Scenario::Valid, Scenario::Invalid, Scenario::Fraud];

    /// The scenario's name in bench ids.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Valid => "valid",
            Scenario::Invalid => "invalid",
            Scenario::Fraud => "fraud",
        }
    }

    /// The `POST /orders` body.
    pub fn body(self) -> &'static str {
        match self {
            Scenario::Valid => {
                r#"{"customer_id":"CUST-42","item":"Keyboard","quantity":2,"amount":149.99}"#
            }
            Scenario::Invalid => {
                r#"{"customer_id":"CUST-42","item":"Keyboard","quantity":2,"amount":-5}"#
            }
            Scenario::Fraud => {
                r#"{"customer_id":"CUST-SHADY","item":"Watch","quantity":1,"amount":25000}"#
            }
        }
    }

    /// The status order-api answers with.
    pub fn expected_status(self) -> u16 {
        match self {
            Scenario::Valid => 201,
            Scenario::Invalid => 422,
            Scenario::Fraud => 402,
        }
    }
}

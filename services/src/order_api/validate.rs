//! The `validate_order` step: the order's fields as span attributes, and a
//! 422 with an ERROR span and an `exception` event when a field is wrong.

use opentelemetry::{
    Context, KeyValue,
    trace::{Span, SpanKind, Status, Tracer},
};
use opentelemetry_sdk::trace::SdkTracer;
use serde::{Deserialize, Serialize};

use crate::{
    faults::{Fault, Faults},
    semconv::{
        EXCEPTION_EVENT, EXCEPTION_MESSAGE, EXCEPTION_TYPE, ORDER_AMOUNT, ORDER_CUSTOMER_ID,
        ORDER_ITEM, ORDER_QUANTITY, VALIDATE_ORDER,
    },
    validation::{Checker, ValidationError},
};

/// The body of `POST /orders` as sent. Every field is optional here so that
/// a missing or null field is a validation failure (422) naming it, while a
/// field of the wrong type fails decoding (400).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderRequest {
    /// Who orders (required, not blank).
    pub customer_id: Option<String>,
    /// What is ordered (required, not blank).
    pub item: Option<String>,
    /// How many (required, > 0).
    pub quantity: Option<i64>,
    /// The total price (required, > 0).
    pub amount: Option<f64>,
}

/// An order that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Order {
    pub customer_id: String,
    pub amount: f64,
}

impl OrderRequest {
    fn validate(&self) -> Result<Order, ValidationError> {
        let mut check = Checker::default();
        let customer_id = check.text("customer_id", self.customer_id.as_deref());
        let item = check.text("item", self.item.as_deref());
        let quantity = check.positive_int("quantity", self.quantity);
        let amount = check.positive_number("amount", self.amount);
        match (customer_id, item, quantity, amount) {
            (Some(customer_id), Some(_), Some(_), Some(amount)) => Ok(Order {
                customer_id: customer_id.to_owned(),
                amount,
            }),
            _ => Err(check.into_error()),
        }
    }

    /// `order.*` attributes for the fields present in the request.
    fn attributes(&self) -> Vec<KeyValue> {
        let mut attributes = Vec::with_capacity(4);
        if let Some(v) = &self.customer_id {
            attributes.push(KeyValue::new(ORDER_CUSTOMER_ID, v.clone()));
        }
        if let Some(v) = &self.item {
            attributes.push(KeyValue::new(ORDER_ITEM, v.clone()));
        }
        if let Some(v) = self.quantity {
            attributes.push(KeyValue::new(ORDER_QUANTITY, v));
        }
        if let Some(v) = self.amount {
            attributes.push(KeyValue::new(ORDER_AMOUNT, v));
        }
        attributes
    }
}

/// Runs validation inside a `validate_order` span, child of `cx`'s span
/// (its attributes and event built only when it records).
pub(super) fn validate_order(
    tracer: &SdkTracer,
    cx: &Context,
    request: &OrderRequest,
    faults: &Faults,
) -> Result<Order, ValidationError> {
    let mut span = tracer.build_with_context(
        tracer
            .span_builder(VALIDATE_ORDER)
            .with_kind(SpanKind::Internal),
        cx,
    );
    let recording = span.is_recording();
    if recording {
        for attribute in request.attributes() {
            span.set_attribute(attribute);
        }
    }
    let result = request.validate();
    if let (true, Err(err)) = (recording, &result) {
        let message = err.to_string();
        span.add_event(
            EXCEPTION_EVENT,
            vec![
                KeyValue::new(EXCEPTION_TYPE, "ValidationError"),
                KeyValue::new(EXCEPTION_MESSAGE, message.clone()),
            ],
        );
        if !faults.contains(Fault::NoErrorStatus) {
            span.set_status(Status::error(message));
        }
    }
    span.end();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> OrderRequest {
        OrderRequest {
            customer_id: Some("CUST-42".into()),
            item: Some("Keyboard".into()),
            quantity: Some(2),
            amount: Some(149.99),
        }
    }

    #[test]
    fn a_valid_order_passes() {
        assert_eq!(
            valid().validate(),
            Ok(Order {
                customer_id: "CUST-42".into(),
                amount: 149.99
            })
        );
    }

    #[test]
    fn each_kind_of_invalidity_names_its_field() {
        let cases: [(OrderRequest, &str); 6] = [
            (
                OrderRequest {
                    amount: Some(0.0),
                    ..valid()
                },
                "amount",
            ),
            (
                OrderRequest {
                    amount: Some(-3.0),
                    ..valid()
                },
                "amount",
            ),
            (
                OrderRequest {
                    quantity: Some(0),
                    ..valid()
                },
                "quantity",
            ),
            (
                OrderRequest {
                    customer_id: None,
                    ..valid()
                },
                "customer_id",
            ),
            (
                OrderRequest {
                    item: Some(" ".into()),
                    ..valid()
                },
                "item",
            ),
            (
                OrderRequest {
                    amount: None,
                    ..valid()
                },
                "amount",
            ),
        ];
        for (request, field) in cases {
            let err = request.validate().unwrap_err();
            assert_eq!(err.fields(), [field], "{request:?}");
        }
    }

    #[test]
    fn only_present_fields_become_attributes() {
        let request = OrderRequest {
            item: None,
            ..valid()
        };
        let keys: Vec<String> = request
            .attributes()
            .iter()
            .map(|kv| kv.key.to_string())
            .collect();
        assert_eq!(keys, [ORDER_CUSTOMER_ID, ORDER_QUANTITY, ORDER_AMOUNT]);
    }
}

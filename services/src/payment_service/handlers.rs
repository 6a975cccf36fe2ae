//! `POST /payments`: decode, validate, fraud check, charge.

use std::sync::Arc;

use axum::{Extension, Json, body::Body, extract::State, http::HeaderMap};
use opentelemetry::{
    Context, KeyValue,
    trace::{Span, SpanKind, Status, Tracer},
};
use opentelemetry_sdk::trace::SdkTracer;

use super::PaymentServiceConfig;
use crate::{
    error::ApiError,
    faults::Fault,
    ids,
    json_body::read_json,
    payment_api::{PaymentReceipt, PaymentRequest},
    semconv::{
        CHARGE_PAYMENT, FRAUD_CHECK, FRAUD_DETECTED_EVENT, FRAUD_THRESHOLD, PAYMENT_AMOUNT,
        PAYMENT_CHARGED_EVENT, PAYMENT_ID,
    },
    validation::{Checker, ValidationError},
};

/// payment-service's shared state.
#[derive(Debug)]
pub(super) struct PaymentService {
    tracer: SdkTracer,
    config: PaymentServiceConfig,
}

impl PaymentService {
    pub(super) fn new(config: PaymentServiceConfig, tracer: SdkTracer) -> Self {
        PaymentService { tracer, config }
    }

    /// `fraud_check`: declines (402) amounts above the threshold, with an
    /// ERROR span and a `fraud.detected` event.
    fn fraud_check(&self, cx: &Context, amount: f64) -> Result<(), ApiError> {
        let threshold = self.config.fraud_threshold;
        let mut span = self.tracer.build_with_context(
            self.tracer
                .span_builder(FRAUD_CHECK)
                .with_kind(SpanKind::Internal),
            cx,
        );
        let recording = span.is_recording();
        if recording {
            span.set_attribute(KeyValue::new(PAYMENT_AMOUNT, amount));
        }
        let verdict = if amount > threshold {
            let message = format!("amount {amount} exceeds the fraud threshold {threshold}");
            if recording {
                span.add_event(
                    FRAUD_DETECTED_EVENT,
                    vec![
                        KeyValue::new(PAYMENT_AMOUNT, amount),
                        KeyValue::new(FRAUD_THRESHOLD, threshold),
                    ],
                );
                if !self.config.faults.contains(Fault::NoErrorStatus) {
                    span.set_status(Status::error(message.clone()));
                }
            }
            Err(ApiError::payment_declined(message))
        } else {
            Ok(())
        };
        span.end();
        verdict
    }

    /// `charge_payment`: charges and returns the payment id.
    async fn charge(&self, cx: &Context) -> String {
        let payment_id = ids::new_id("pay");
        let mut span = self.tracer.build_with_context(
            self.tracer
                .span_builder(CHARGE_PAYMENT)
                .with_kind(SpanKind::Internal),
            cx,
        );
        let id: Option<Arc<str>> = span.is_recording().then(|| Arc::from(payment_id.as_str()));
        if let Some(id) = &id {
            span.set_attribute(KeyValue::new(PAYMENT_ID, id.clone()));
        }
        if !self.config.charge_delay.is_zero() {
            tokio::time::sleep(self.config.charge_delay).await;
        }
        if let Some(id) = id {
            span.add_event(PAYMENT_CHARGED_EVENT, vec![KeyValue::new(PAYMENT_ID, id)]);
        }
        span.end();
        payment_id
    }
}

/// A payment request that passed validation.
struct Payment {
    amount: f64,
}

fn validate(request: &PaymentRequest) -> Result<Payment, ValidationError> {
    let mut check = Checker::default();
    let customer_id = check.text("customer_id", request.customer_id.as_deref());
    let amount = check.positive_number("amount", request.amount);
    match (customer_id, amount) {
        (Some(_), Some(amount)) => Ok(Payment { amount }),
        _ => Err(check.into_error()),
    }
}

/// `POST /payments`: 200 with a [`PaymentReceipt`], 402 for fraud, or a
/// JSON error.
pub(super) async fn create_payment(
    State(app): State<Arc<PaymentService>>,
    Extension(cx): Extension<Context>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<PaymentReceipt>, ApiError> {
    let request: PaymentRequest = read_json(&headers, body, app.config.body_limit).await?;
    let payment = validate(&request)?;
    app.fraud_check(&cx, payment.amount)?;
    let payment_id = app.charge(&cx).await;
    Ok(Json(PaymentReceipt {
        payment_id,
        status: "charged".to_owned(),
        amount: payment.amount,
    }))
}

//! `POST /orders`: decode, validate, charge, save.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use axum::{
    Extension, Json,
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use opentelemetry::Context;
use opentelemetry_sdk::trace::SdkTracer;
use serde::{Deserialize, Serialize};

use super::{
    OrderApiConfig,
    payment_client::PaymentClient,
    save::save_order,
    validate::{OrderRequest, validate_order},
};
use crate::{
    error::ApiError,
    faults::{Fault, Faults, SLOW_SAVE_EVERY},
    json_body::read_json,
};

/// The 201 answer of `POST /orders`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderConfirmation {
    /// The new order's id (`ord-…`).
    pub order_id: String,
    /// Always `confirmed`.
    pub status: String,
    /// The payment's id (`pay-…`).
    pub payment_id: String,
    /// The amount charged.
    pub amount: f64,
}

/// order-api's shared state.
#[derive(Debug)]
pub(super) struct OrderApi {
    tracer: SdkTracer,
    payments: PaymentClient,
    body_limit: usize,
    faults: Faults,
    /// Saves so far, for `slow-save`'s one in [`SLOW_SAVE_EVERY`].
    saves: AtomicU64,
}

impl OrderApi {
    pub(super) fn new(config: &OrderApiConfig, tracer: SdkTracer) -> Self {
        OrderApi {
            payments: PaymentClient::new(config, tracer.clone()),
            tracer,
            body_limit: config.body_limit,
            faults: config.faults.clone(),
            saves: AtomicU64::new(0),
        }
    }
}

/// `POST /orders`: 201 with an [`OrderConfirmation`], or a JSON error.
pub(super) async fn create_order(
    State(app): State<Arc<OrderApi>>,
    Extension(cx): Extension<Context>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<OrderConfirmation>), ApiError> {
    let request: OrderRequest = read_json(&headers, body, app.body_limit).await?;
    let order = validate_order(&app.tracer, &cx, &request, &app.faults)?;
    let receipt = app.payments.charge(&cx, &order).await?;
    let slow = app.faults.contains(Fault::SlowSave)
        && app.saves.fetch_add(1, Ordering::Relaxed) % SLOW_SAVE_EVERY == 0;
    let order_id = save_order(&app.tracer, &cx, &app.faults, slow).await;
    Ok((
        StatusCode::CREATED,
        Json(OrderConfirmation {
            order_id,
            status: "confirmed".to_owned(),
            payment_id: receipt.payment_id,
            amount: order.amount,
        }),
    ))
}

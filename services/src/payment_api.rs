//! The wire format between order-api and payment-service (`POST /payments`).

use serde::{Deserialize, Serialize};

/// The body of `POST /payments`. Fields are optional on the wire so that the
/// payment service can name each missing one (422) rather than fail to parse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentRequest {
    /// Who pays.
    pub customer_id: Option<String>,
    /// How much.
    pub amount: Option<f64>,
}

/// The 200 answer of `POST /payments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentReceipt {
    /// The payment's id (`pay-…`).
    pub payment_id: String,
    /// Always `charged`.
    pub status: String,
    /// The amount charged.
    pub amount: f64,
}

//! payment-service: `POST /payments` runs a fraud check, then charges;
//! `GET /health` answers ok.
//!
//! Span tree (docs/CONTRACT.md): SERVER `POST /payments` with INTERNAL
//! `fraud_check` and, unless fraud was detected, INTERNAL `charge_payment`.

mod args;
pub use args::PaymentServiceArgs;
mod handlers;

use std::{sync::Arc, time::Duration};

use axum::{Router, routing::post};
use opentelemetry_sdk::trace::SdkTracerProvider;

use crate::{faults::Faults, http_span, json_body::DEFAULT_BODY_LIMIT, routes, scoped_tracer};

/// The instrumentation scope (and default `service.name`) of payment-service.
pub const SERVICE_NAME: &str = "payment-service";

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8001";

/// Amounts above this are declined as fraud (402).
pub const DEFAULT_FRAUD_THRESHOLD: f64 = 10_000.0;

/// What payment-service needs to run.
#[derive(Debug, Clone)]
pub struct PaymentServiceConfig {
    /// Largest accepted request body, in bytes (413 beyond).
    pub body_limit: usize,
    /// Amounts strictly above this are declined as fraud.
    pub fraud_threshold: f64,
    /// Simulated processing time of a charge (inside `charge_payment`).
    pub charge_delay: Duration,
    /// Injected faults (none by default; only `no-error-status` concerns
    /// this service).
    pub faults: Faults,
}

impl Default for PaymentServiceConfig {
    fn default() -> Self {
        PaymentServiceConfig {
            body_limit: DEFAULT_BODY_LIMIT,
            fraud_threshold: DEFAULT_FRAUD_THRESHOLD,
            charge_delay: Duration::ZERO,
            faults: Faults::none(),
        }
    }
}

/// The payment-service router, recording spans with `provider` (which the
/// caller flushes and shuts down after serving).
pub fn router(config: PaymentServiceConfig, provider: SdkTracerProvider) -> Router {
    let tracer = scoped_tracer(&provider, SERVICE_NAME);
    let app = handlers::PaymentService::new(config, tracer.clone());
    let routes = Router::new()
        .route("/payments", post(handlers::create_payment))
        .with_state(Arc::new(app));
    // Every route, the shared ones included, inside a SERVER span.
    http_span::instrument(routes::with_health_and_fallbacks(routes), tracer)
}

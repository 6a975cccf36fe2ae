//! order-api: `POST /orders` validates the order, charges it through the
//! payment service and saves it; `GET /health` answers ok.
//!
//! Span tree of a valid order (docs/CONTRACT.md): SERVER `POST /orders` with
//! INTERNAL `validate_order`, CLIENT `POST /payments` (parent of the payment
//! service's spans) and INTERNAL `save_order` as children.

mod args;
pub use args::OrderApiArgs;
mod handlers;
mod payment_client;
mod save;
mod validate;

use std::{sync::Arc, time::Duration};

use axum::{Router, routing::post};
use opentelemetry_sdk::trace::SdkTracerProvider;
use reqwest::Url;

use crate::{faults::Faults, http_span, json_body::DEFAULT_BODY_LIMIT, routes, scoped_tracer};

pub use handlers::OrderConfirmation;
pub use validate::OrderRequest;

/// The instrumentation scope (and default `service.name`) of order-api.
pub const SERVICE_NAME: &str = "order-api";

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8000";

/// Default payment service base URL.
pub const DEFAULT_PAYMENT_URL: &str = "http://127.0.0.1:8001";

/// Default time the payment service has to answer before a 504.
pub const DEFAULT_PAYMENT_TIMEOUT: Duration = Duration::from_secs(2);

/// What order-api needs to run.
#[derive(Debug, Clone)]
pub struct OrderApiConfig {
    /// Base URL of the payment service; payments go to `<base>/payments`.
    pub payment_url: Url,
    /// How long the payment service has to answer (connect, headers and
    /// body) before the order fails with 504.
    pub payment_timeout: Duration,
    /// Largest accepted request body, in bytes (413 beyond).
    pub body_limit: usize,
    /// Injected faults (none by default).
    pub faults: Faults,
}

impl OrderApiConfig {
    /// The defaults, with the given payment service base URL.
    pub fn new(payment_url: Url) -> Self {
        OrderApiConfig {
            payment_url,
            payment_timeout: DEFAULT_PAYMENT_TIMEOUT,
            body_limit: DEFAULT_BODY_LIMIT,
            faults: Faults::none(),
        }
    }
}

impl Default for OrderApiConfig {
    fn default() -> Self {
        OrderApiConfig::new(Url::parse(DEFAULT_PAYMENT_URL).expect("a constant, valid URL"))
    }
}

/// The order-api router: its routes, spans and faults, recording spans with
/// `provider` (which the caller flushes and shuts down after serving).
pub fn router(config: OrderApiConfig, provider: SdkTracerProvider) -> Router {
    let tracer = scoped_tracer(&provider, SERVICE_NAME);
    let app = handlers::OrderApi::new(&config, tracer.clone());
    let routes = Router::new()
        .route("/orders", post(handlers::create_order))
        .with_state(Arc::new(app));
    // Every route, the shared ones included, inside a SERVER span.
    http_span::instrument(routes::with_health_and_fallbacks(routes), tracer)
}

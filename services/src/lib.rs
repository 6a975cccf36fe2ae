//! The system under test: two OpenTelemetry-instrumented axum services.
//!
//! - [`order_api`]: `POST /orders` validates an order, charges it through
//!   the payment service and saves it.
//! - [`payment_service`]: `POST /payments` runs a fraud check and charges.
//!
//! Each is a router builder taking its config and its own
//! [`SdkTracerProvider`] (nothing is global, so both can share a process),
//! served with [`serve`]; [`ServicePair`] starts both, wired together.
//! The spans, attributes, events, statuses and error bodies are those of
//! docs/CONTRACT.md; [`faults`] can break them on purpose.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use services::{order_api, payment_service, serve};
//! use telemetry::{OtelConfig, SamplerConfig};
//!
//! let otel = OtelConfig::new("payment-service", SamplerConfig::ParentBasedTraceIdRatio(1.0));
//! let provider = telemetry::build_provider(&otel).expect("provider");
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let router = payment_service::router(Default::default(), provider.clone());
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let server = tokio::spawn(serve(listener, router, async { stopped.await.ok(); }));
//! // ... send requests ...
//! stop.send(()).ok();
//! server.await.expect("join")?;
//! telemetry::shutdown_provider(provider).await.expect("flush");
//! # Ok(()) }
//! ```

pub mod cli;
pub mod error;
pub mod faults;
mod http_span;
mod ids;
mod interner;
mod json_body;
pub mod order_api;
mod pair;
pub mod payment_api;
pub mod payment_service;
mod routes;
pub mod semconv;
mod server;
mod validation;

use opentelemetry::{InstrumentationScope, trace::TracerProvider};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

pub use http_span::BAGGAGE_ALLOWLIST;
pub use json_body::DEFAULT_BODY_LIMIT;
pub use pair::{BoxError, PairConfig, PairError, ServicePair, ServiceTracing};
pub use server::{DEFAULT_HEADER_READ_TIMEOUT, serve, serve_with};

/// A tracer whose instrumentation scope is the service name and this crate's
/// version (docs/CONTRACT.md, "Services and scopes").
pub(crate) fn scoped_tracer(provider: &SdkTracerProvider, service: &'static str) -> SdkTracer {
    provider.tracer_with_scope(
        InstrumentationScope::builder(service)
            .with_version(env!("CARGO_PKG_VERSION"))
            .build(),
    )
}

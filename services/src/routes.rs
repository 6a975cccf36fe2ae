//! What both services' routers share: `GET /health`, the JSON 404 / 405
//! fallbacks and the SERVER span around everything.

use axum::{Json, Router, routing::get};
use opentelemetry_sdk::trace::SdkTracer;
use serde_json::{Value, json};

use crate::{error, http_span};

/// Adds `GET /health` and the fallbacks to a service's routes, then wraps
/// them all in SERVER spans made by `tracer`.
pub(crate) fn finish(routes: Router, tracer: SdkTracer) -> Router {
    let router = routes
        .route("/health", get(health))
        .method_not_allowed_fallback(error::method_not_allowed)
        .fallback(error::not_found);
    http_span::instrument(router, tracer)
}

/// `GET /health`: `200 {"status":"ok"}`.
async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

//! The routes both services' routers share: `GET /health` and the JSON
//! 404 / 405 fallbacks. (The SERVER span around them all is
//! [`crate::http_span::instrument`]'s.)

use axum::{Json, Router, routing::get};
use serde_json::{Value, json};

use crate::error;

/// Adds `GET /health` and the JSON 404 / 405 fallbacks to a service's own
/// routes.
pub(crate) fn with_health_and_fallbacks(routes: Router) -> Router {
    routes
        .route("/health", get(health))
        .method_not_allowed_fallback(error::method_not_allowed)
        .fallback(error::not_found)
}

/// `GET /health`: `200 {"status":"ok"}`.
async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

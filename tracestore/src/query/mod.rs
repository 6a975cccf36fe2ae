//! The Jaeger query API (v1 as in Jaeger v2.20.0, and `/api/v3`) and
//! tracestore's own `/tracestore/stats`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use http::StatusCode;

use crate::http_util::{method_not_allowed, not_found, with_type};
use crate::store::Store;

/// What the query handlers share.
#[derive(Debug, Clone)]
pub struct QueryState {
    /// The store.
    pub store: Arc<Store>,
    /// Jaeger's `max_clock_skew_adjust`.
    pub max_clock_skew_adjust: Duration,
}

/// The query API router.
pub fn router(state: QueryState) -> Router {
    Router::new()
        .route("/tracestore/stats", get(stats))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// `GET /tracestore/stats`: the store's counters as JSON.
async fn stats(State(s): State<QueryState>) -> Response {
    let body = serde_json::to_vec(&s.store.stats()).unwrap_or_default();
    with_type(StatusCode::OK, "application/json", body)
}

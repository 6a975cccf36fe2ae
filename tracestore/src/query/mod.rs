//! The Jaeger query API (v1 as in Jaeger v2.20.0, and `/api/v3`) and
//! tracestore's own `/tracestore/stats`.

mod adjust;
mod gojson;
mod param_error;
mod stored;
mod summary;
mod v1;
mod v1_model;
mod v3;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use http::StatusCode;
use serde_json::Value as Json;

use crate::http_util::{method_not_allowed, not_found, with_type};
use crate::otlp::ResourceSpans;
use crate::store::{Store, TraceChunk};
use param_error::JsonMapError;
use stored::TracesBody;
use summary::TraceSummary;

/// The memory store's answer to a search depth (limit) below 1, which
/// Jaeger reports as a 500.
const SEARCH_DEPTH_ERROR: &str = "search depth must be greater than 0 and less than max traces";

/// What the query handlers share.
#[derive(Debug, Clone)]
pub(crate) struct QueryState {
    /// The store.
    pub store: Arc<Store>,
    /// Jaeger's `max_clock_skew_adjust`.
    pub max_clock_skew_adjust: Duration,
}

impl QueryState {
    /// A trace as a query returns it: adjusted, unless raw.
    fn adjusted(&self, mut trace: Vec<ResourceSpans>, raw: bool) -> Vec<ResourceSpans> {
        if !raw {
            adjust::adjust(&mut trace, self.max_clock_skew_adjust);
        }
        trace
    }

    /// Adds a stored trace to a v3 answer as [`QueryState::adjusted`] would
    /// return it: straight from the store when the adjusters would only
    /// sort it (or when raw), else through the adjusted copy.
    fn push_trace(&self, body: &mut TracesBody, trace: &TraceChunk, raw: bool) {
        if (raw || stored::only_sorting(trace)) && body.push_stored(trace, raw).is_ok() {
            return;
        }
        body.push_owned(&self.adjusted(trace.to_resource_spans(), raw));
    }

    /// The summary of a stored trace's adjusted form, without copying it
    /// when the adjusters would only sort it.
    fn summary(&self, trace: &TraceChunk) -> TraceSummary {
        if stored::only_sorting(trace) {
            stored::summary(trace)
        } else {
            TraceSummary::of(&self.adjusted(trace.to_resource_spans(), false))
        }
    }
}

/// The query API router.
pub(crate) fn router(state: QueryState) -> Router {
    Router::new()
        .merge(v1::routes())
        .merge(v3::routes())
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

/// Go's `json.Unmarshal` into `map[string]string`: `null` is an empty map,
/// a `null` value an empty string, the last of repeated keys wins; the
/// type-error texts are Go's, the syntax-error texts close to Go's.
fn json_string_map(s: &str) -> Result<Vec<(String, String)>, JsonMapError> {
    fn kind(v: &Json) -> &'static str {
        match v {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
    let parsed: Json = serde_json::from_str(s).map_err(|e| {
        if e.is_eof() {
            return JsonMapError::Eof;
        }
        let offending = s
            .lines()
            .nth(e.line().saturating_sub(1))
            .and_then(|line| line.chars().nth(e.column().saturating_sub(1)))
            .unwrap_or(' ');
        JsonMapError::Syntax(offending)
    })?;
    match parsed {
        Json::Null => Ok(Vec::new()),
        Json::Object(map) => {
            let mut out = Vec::with_capacity(map.len());
            for (k, v) in map {
                match v {
                    Json::String(s) => out.push((k, s)),
                    Json::Null => out.push((k, String::new())),
                    other => {
                        return Err(JsonMapError::NotAString(kind(&other)));
                    }
                }
            }
            Ok(out)
        }
        other => Err(JsonMapError::NotAMap(kind(&other))),
    }
}

#[cfg(test)]
mod tests {
    use super::json_string_map;

    #[test]
    fn string_maps_decode_like_go() {
        assert_eq!(
            json_string_map(r#"{"a":"1","b":null,"a":"2"}"#).unwrap(),
            [
                ("a".to_owned(), "2".to_owned()),
                ("b".to_owned(), String::new())
            ]
        );
        assert_eq!(json_string_map("null").unwrap(), []);
        assert_eq!(
            json_string_map(r#"{"a":1}"#).unwrap_err().to_string(),
            "json: cannot unmarshal number into Go value of type string"
        );
        assert_eq!(
            json_string_map("[1]").unwrap_err().to_string(),
            "json: cannot unmarshal array into Go value of type map[string]string"
        );
        assert_eq!(
            json_string_map(r#"{"a":"#).unwrap_err().to_string(),
            "unexpected end of JSON input"
        );
        assert_eq!(
            json_string_map("x").unwrap_err().to_string(),
            "invalid character 'x' looking for beginning of value"
        );
    }
}

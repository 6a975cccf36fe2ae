//! Jaeger's v1 ("UI") JSON API as in Jaeger v2.20.0
//! (`cmd/jaeger/internal/extension/jaegerquery/internal/http_handler.go`,
//! `query_parser.go`): the `{data,total,limit,offset,errors}` envelope,
//! Go's parameter parsing and error texts, errors as JSON labelled
//! `text/plain`.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use http::StatusCode;
use serde::Serialize;

use super::param_error::ParamError;
use super::v1_model::{UiTrace, ui_trace};
use super::{QueryState, SEARCH_DEPTH_ERROR, gojson};
use crate::go::{strconv, time, url, url::Query};
use crate::http_util::{go_error, with_type};
use crate::ids::TraceId;
use crate::store::TraceQuery;

/// Default `limit` of a search.
const DEFAULT_LIMIT: i64 = 100;
/// Default look-back of a search without `start`: two days.
const DEFAULT_LOOKBACK_NANOS: i64 = 2 * 24 * 3600 * 1_000_000_000;

/// The v1 routes.
pub(super) fn routes() -> Router<QueryState> {
    Router::new()
        .route("/api/services", get(services))
        .route(
            "/api/services/{service}/operations",
            get(service_operations),
        )
        .route("/api/operations", get(operations))
        .route("/api/traces", get(search))
        .route("/api/traces/{trace_id}", get(trace))
}

#[derive(Serialize)]
struct Envelope<T: Serialize> {
    data: T,
    total: usize,
    limit: usize,
    offset: usize,
    errors: Option<Vec<StructuredError>>,
}

#[derive(Serialize)]
struct StructuredError {
    #[serde(skip_serializing_if = "is_zero")]
    code: u16,
    msg: String,
    #[serde(rename = "traceID", skip_serializing_if = "String::is_empty")]
    trace_id: String,
}

fn is_zero(v: &u16) -> bool {
    *v == 0
}

fn envelope<T: Serialize>(data: T, total: usize) -> Envelope<T> {
    Envelope {
        data,
        total,
        limit: 0,
        offset: 0,
        errors: None,
    }
}

/// `handleError`: the envelope with one error, via Go's `http.Error`.
fn error(status: StatusCode, msg: impl Into<String>) -> Response {
    let body = Envelope::<Option<()>> {
        data: None,
        total: 0,
        limit: 0,
        offset: 0,
        errors: Some(vec![StructuredError {
            code: status.as_u16(),
            msg: msg.into(),
            trace_id: String::new(),
        }]),
    };
    let text = gojson::to_vec(&body, false).unwrap_or_default();
    go_error(status, &String::from_utf8_lossy(&text))
}

/// `writeJSON`: compact, or indented by four spaces with `prettyPrint`.
fn write<T: Serialize>(q: &Query, body: &T) -> Response {
    let pretty = !matches!(q.get("prettyPrint"), "" | "false");
    match gojson::to_vec(body, pretty) {
        Ok(bytes) => with_type(StatusCode::OK, "application/json", bytes),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed writing HTTP response: failed marshalling HTTP response to JSON: {e}"),
        ),
    }
}

fn query(raw: Option<String>) -> Query {
    Query::parse(raw.as_deref().unwrap_or(""))
}

/// `GET /api/services`.
async fn services(State(s): State<QueryState>, RawQuery(raw): RawQuery) -> Response {
    let services = s.store.services();
    let total = services.len();
    write(&query(raw), &envelope(services, total))
}

/// `GET /api/services/{service}/operations`: unique names, every kind
/// (`data` is `null` when there are none, as in Jaeger).
async fn service_operations(
    State(s): State<QueryState>,
    Path(service): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    // Jaeger query-unescapes the already unescaped path value once more
    // (and ignores a failure, leaving an empty name).
    let service = url::unescape(&service).unwrap_or_default();
    let mut names: Vec<String> = s
        .store
        .operations(&service, None)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    names.dedup();
    let total = names.len();
    let data = (!names.is_empty()).then_some(names);
    write(&query(raw), &envelope(data, total))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UiOperation {
    name: String,
    span_kind: &'static str,
}

/// `GET /api/operations?service=&spanKind=`.
async fn operations(State(s): State<QueryState>, RawQuery(raw): RawQuery) -> Response {
    let q = query(raw);
    let service = q.get("service");
    if service.is_empty() {
        return error(StatusCode::BAD_REQUEST, "parameter 'service' is required");
    }
    let kind = Some(q.get("spanKind")).filter(|k| !k.is_empty());
    let data: Vec<UiOperation> = s
        .store
        .operations(service, kind)
        .into_iter()
        .map(|(name, span_kind)| UiOperation { name, span_kind })
        .collect();
    let total = data.len();
    write(&q, &envelope(data, total))
}

fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// A time in microseconds since the epoch, as nanoseconds (`parseTime`).
fn micros_param(q: &Query, name: &str) -> Result<Option<i64>, ParamError> {
    match q.get(name) {
        "" => Ok(None),
        v => strconv::parse_int(v, 64)
            .map(|us| Some(us.wrapping_mul(1000)))
            .map_err(|e| ParamError::unparsable(name, e)),
    }
}

fn bool_param(q: &Query, name: &str) -> Result<bool, ParamError> {
    match q.get(name) {
        "" => Ok(false),
        v => strconv::parse_bool(v).map_err(|e| ParamError::unparsable(name, e)),
    }
}

fn duration_param(q: &Query, name: &str) -> Result<i64, ParamError> {
    match q.get(name) {
        "" => Ok(0),
        v => time::parse_duration(v).map_err(|e| ParamError::unparsable(name, e)),
    }
}

/// `parseTags`: `tag=key:value` (split at the first colon) then `tags=`
/// JSON objects, later keys overriding earlier ones.
fn parse_tags(q: &Query) -> Result<Vec<(String, String)>, ParamError> {
    let mut tags = BTreeMap::new();
    for tag in q.all("tag") {
        let Some((k, v)) = tag.split_once(':') else {
            return Err(ParamError::Tag(tag.to_owned()));
        };
        tags.insert(k.to_owned(), v.to_owned());
    }
    for json in q.all("tags") {
        let map = super::json_string_map(json).map_err(ParamError::Tags)?;
        tags.extend(map);
    }
    Ok(tags.into_iter().collect())
}

/// The parsed `GET /api/traces` parameters.
struct SearchParams {
    query: TraceQuery,
    limit: i64,
    raw: bool,
    trace_ids: Vec<TraceId>,
}

/// `parseTraceQueryParams`, in Jaeger's order of checks.
fn parse_search(q: &Query) -> Result<SearchParams, ParamError> {
    let now = now_nanos();
    let start = micros_param(q, "start")?.unwrap_or(now - DEFAULT_LOOKBACK_NANOS);
    let end = micros_param(q, "end")?.unwrap_or(now);
    let attributes = parse_tags(q)?;
    let limit = match q.get("limit") {
        "" => DEFAULT_LIMIT,
        v => strconv::parse_int(v, 32).map_err(ParamError::Limit)?,
    };
    let duration_min = duration_param(q, "minDuration")?;
    let duration_max = duration_param(q, "maxDuration")?;
    let trace_ids = q
        .all("traceID")
        .map(|id| TraceId::parse_jaeger_hex(id).map_err(ParamError::TraceId))
        .collect::<Result<Vec<_>, _>>()?;
    let raw = bool_param(q, "raw")?;
    let service = q.get("service");
    if trace_ids.is_empty() && service.is_empty() {
        return Err(ParamError::Rule("parameter 'service' is required"));
    }
    if duration_min != 0 && duration_max != 0 && duration_max < duration_min {
        return Err(ParamError::Rule(
            "'maxDuration' should be greater than 'minDuration'",
        ));
    }
    Ok(SearchParams {
        query: TraceQuery {
            service: service.to_owned(),
            operation: q.get("operation").to_owned(),
            start_min: Some(start),
            start_max: Some(end),
            duration_min,
            duration_max,
            attributes,
            limit: usize::try_from(limit).unwrap_or(0),
        },
        limit,
        raw,
        trace_ids,
    })
}

/// `GET /api/traces`: a search, or the traces named by `traceID`.
async fn search(State(s): State<QueryState>, RawQuery(raw): RawQuery) -> Response {
    let q = query(raw);
    let params = match parse_search(&q) {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.message()),
    };
    let mut errors = None;
    let traces: Vec<UiTrace> = if params.trace_ids.is_empty() {
        if params.limit <= 0 {
            return error(StatusCode::INTERNAL_SERVER_ERROR, SEARCH_DEPTH_ERROR);
        }
        s.store
            .find(&params.query)
            .into_iter()
            .map(|t| ui_trace(&s.adjusted(t, params.raw)))
            .collect()
    } else {
        let mut seen = std::collections::HashSet::new();
        let ids: Vec<TraceId> = params
            .trace_ids
            .into_iter()
            .filter(|id| seen.insert(*id))
            .collect();
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for id in ids {
            match s.store.get(&id) {
                Some(t) => found.push(ui_trace(&s.adjusted(t, params.raw))),
                None => missing.push(StructuredError {
                    code: 0,
                    msg: "trace not found".into(),
                    trace_id: id.to_jaeger_string(),
                }),
            }
        }
        errors = (!missing.is_empty()).then_some(missing);
        found
    };
    let body = Envelope {
        data: traces,
        total: 0,
        limit: 0,
        offset: 0,
        errors,
    };
    write(&q, &body)
}

/// `GET /api/traces/{traceID}`: one trace, 404 when unknown.
async fn trace(
    State(s): State<QueryState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = query(raw);
    let id = match TraceId::parse_query_id(&id) {
        Ok(id) => id,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    // `start` and `end` are hints the memory store ignores; they must parse.
    let checked = micros_param(&q, "start")
        .and_then(|_| micros_param(&q, "end"))
        .and_then(|_| bool_param(&q, "raw"));
    let raw_traces = match checked {
        Ok(raw) => raw,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.message()),
    };
    match s.store.get(&id) {
        Some(t) => write(&q, &envelope(vec![ui_trace(&s.adjusted(t, raw_traces))], 0)),
        None => error(StatusCode::NOT_FOUND, "trace not found"),
    }
}

//! Jaeger's `/api/v3` HTTP API as in Jaeger v2.20.0
//! (`.../internal/apiv3/http_gateway.go`, `query_parser.go`): OTLP JSON
//! results, camelCase parameters with their snake_case aliases, errors as
//! `{"error":{"httpCode":..,"message":..}}`, and 404 `No traces found` for
//! an empty trace result (trace summaries answer `{}` instead).

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use http::StatusCode;
use serde::Serialize;

use super::param_error::ParamError;
use super::stored::TracesBody;
use super::summary::{self, TraceSummary};
use super::{QueryState, SEARCH_DEPTH_ERROR, gojson};
use crate::go::{strconv, time, url::Query};
use crate::http_util::{go_error, with_type};
use crate::ids::TraceId;
use crate::otlp::values::write_go_string;
use crate::store::TraceQuery;

/// Default `query.searchDepth`.
const DEFAULT_SEARCH_DEPTH: i64 = 100;

/// The v3 routes.
pub(super) fn routes() -> Router<QueryState> {
    Router::new()
        .route("/api/v3/services", get(services))
        .route("/api/v3/operations", get(operations))
        .route("/api/v3/traces", get(find_traces))
        .route("/api/v3/traces/{trace_id}", get(get_trace))
        .route("/api/v3/trace-summaries", get(find_trace_summaries))
}

#[derive(Serialize)]
struct GatewayError {
    error: GatewayErrorDetails,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GatewayErrorDetails {
    http_code: u16,
    message: String,
}

/// `tryHandleError`: the gateway error body via Go's `http.Error`.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = GatewayError {
        error: GatewayErrorDetails {
            http_code: status.as_u16(),
            message: message.into(),
        },
    };
    let text = gojson::to_vec(&body, false).unwrap_or_default();
    go_error(status, &String::from_utf8_lossy(&text))
}

fn json(body: String) -> Response {
    with_type(StatusCode::OK, "application/json", body)
}

/// `{"services":[...]}`.
async fn services(State(s): State<QueryState>) -> Response {
    let mut out = String::from("{\"services\":[");
    for (i, name) in s.store.services().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_go_string(name, &mut out);
    }
    out.push_str("]}");
    json(out)
}

/// `{"operations":[{"name","spanKind"}]}`; an unspecified kind reads
/// `internal`.
async fn operations(State(s): State<QueryState>, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw.as_deref().unwrap_or(""));
    let (kind, _) = q.get_either("spanKind", "span_kind");
    let kind = Some(kind).filter(|k| !k.is_empty());
    let mut out = String::from("{\"operations\":[");
    for (i, (name, span_kind)) in s
        .store
        .operations(q.get("service"), kind)
        .iter()
        .enumerate()
    {
        if i > 0 {
            out.push(',');
        }
        out.push('{');
        if !name.is_empty() {
            out.push_str("\"name\":");
            write_go_string(name, &mut out);
            out.push(',');
        }
        out.push_str("\"spanKind\":");
        write_go_string(
            if span_kind.is_empty() {
                "internal"
            } else {
                span_kind
            },
            &mut out,
        );
        out.push('}');
    }
    out.push_str("]}");
    json(out)
}

/// `returnTraces`: every trace's resource spans in one `result`, or 404.
fn traces_response(s: &QueryState, ids: &[TraceId], raw: bool) -> Response {
    let mut body = TracesBody::new();
    for id in ids {
        s.store
            .with_trace(id, |trace| s.push_trace(&mut body, trace, raw));
    }
    match body.finish() {
        Some(out) => json(out),
        None => error(StatusCode::NOT_FOUND, "No traces found"),
    }
}

fn malformed(name: &str, err: impl std::error::Error + Send + Sync + 'static) -> String {
    ParamError::malformed(name, err).message()
}

/// `GET /api/v3/traces/{trace_id}`.
async fn get_trace(
    State(s): State<QueryState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw.as_deref().unwrap_or(""));
    let id = match TraceId::parse_query_id(&id) {
        Ok(id) => id,
        Err(e) => return error(StatusCode::BAD_REQUEST, malformed("trace_id", e)),
    };
    // Time bounds are hints the memory store ignores; they must parse.
    for (canonical, alias) in [("startTime", "start_time"), ("endTime", "end_time")] {
        let (v, name) = q.get_either(canonical, alias);
        if !v.is_empty()
            && let Err(e) = time::parse_rfc3339(v)
        {
            return error(StatusCode::BAD_REQUEST, malformed(name, e));
        }
    }
    let (v, name) = q.get_either("rawTraces", "raw_traces");
    let raw_traces = match v {
        "" => false,
        v => match strconv::parse_bool(v) {
            Ok(b) => b,
            Err(e) => return error(StatusCode::BAD_REQUEST, malformed(name, e)),
        },
    };
    traces_response(&s, &[id], raw_traces)
}

/// The parsed `GET /api/v3/traces` parameters.
struct FindParams {
    query: TraceQuery,
    search_depth: i64,
    raw: bool,
}

/// `parseFindTracesQuery`, in Jaeger's order of checks.
fn parse_find(q: &Query) -> Result<FindParams, ParamError> {
    let (service, _) = q.get_either("query.serviceName", "query.service_name");
    let (operation, _) = q.get_either("query.operationName", "query.operation_name");
    let attributes = match q.get("query.attributes") {
        "" => Vec::new(),
        v => super::json_string_map(v).map_err(|e| ParamError::malformed("query.attributes", e))?,
    };
    let (min, min_name) = q.get_either("query.startTimeMin", "query.start_time_min");
    let (max, max_name) = q.get_either("query.startTimeMax", "query.start_time_max");
    if min.is_empty() || max.is_empty() {
        return Err(ParamError::Rule(
            "query.startTimeMin and query.startTimeMax are required",
        ));
    }
    let start_min = time::parse_rfc3339(min).map_err(|e| ParamError::malformed(min_name, e))?;
    let start_max = time::parse_rfc3339(max).map_err(|e| ParamError::malformed(max_name, e))?;
    if start_min >= start_max {
        return Err(ParamError::Rule(
            "query.startTimeMin must be before query.startTimeMax",
        ));
    }
    let (mut depth, mut depth_name) = q.get_either("query.searchDepth", "query.search_depth");
    if depth.is_empty() {
        (depth, depth_name) = (q.get("query.num_traces"), "query.num_traces");
    }
    let search_depth = match depth {
        "" => DEFAULT_SEARCH_DEPTH,
        v => strconv::atoi(v).map_err(|e| ParamError::malformed(depth_name, e))?,
    };
    let mut durations = [0i64; 2];
    for (slot, (canonical, alias)) in durations.iter_mut().zip([
        ("query.durationMin", "query.duration_min"),
        ("query.durationMax", "query.duration_max"),
    ]) {
        let (v, name) = q.get_either(canonical, alias);
        if !v.is_empty() {
            *slot = time::parse_duration(v).map_err(|e| ParamError::malformed(name, e))?;
        }
    }
    let (v, name) = q.get_either("query.rawTraces", "query.raw_traces");
    let raw = match v {
        "" => false,
        v => strconv::parse_bool(v).map_err(|e| ParamError::malformed(name, e))?,
    };
    Ok(FindParams {
        query: TraceQuery {
            service: service.to_owned(),
            operation: operation.to_owned(),
            start_min: Some(start_min),
            start_max: Some(start_max),
            duration_min: durations[0],
            duration_max: durations[1],
            attributes,
            limit: usize::try_from(search_depth).unwrap_or(0),
        },
        search_depth,
        raw,
    })
}

/// A search's parameters, or the status and message of the error answer:
/// 400 for a malformed parameter, the memory store's 500 for a search
/// depth below 1.
fn search_params(raw: Option<&str>) -> Result<FindParams, (StatusCode, String)> {
    let q = Query::parse(raw.unwrap_or(""));
    let params = parse_find(&q).map_err(|e| (StatusCode::BAD_REQUEST, e.message()))?;
    if params.search_depth <= 0 {
        return Err((
            StatusCode::INTERNAL_SERVER_ERROR,
            SEARCH_DEPTH_ERROR.to_owned(),
        ));
    }
    Ok(params)
}

/// `GET /api/v3/traces`.
async fn find_traces(State(s): State<QueryState>, RawQuery(raw): RawQuery) -> Response {
    let params = match search_params(raw.as_deref()) {
        Ok(p) => p,
        Err((status, message)) => return error(status, message),
    };
    traces_response(&s, &s.store.find_ids(&params.query), params.raw)
}

/// `GET /api/v3/trace-summaries` (Jaeger v2.19.0+): the same parameters
/// and checks as `GET /api/v3/traces`, one summary per found trace in the
/// search's order, always of the adjusted trace (`rawTraces` is ignored,
/// as in Jaeger); nothing found is `{}` with 200.
async fn find_trace_summaries(State(s): State<QueryState>, RawQuery(raw): RawQuery) -> Response {
    let params = match search_params(raw.as_deref()) {
        Ok(p) => p,
        Err((status, message)) => return error(status, message),
    };
    let summaries: Vec<TraceSummary> = s
        .store
        .find_ids(&params.query)
        .iter()
        .filter_map(|id| s.store.with_trace(id, |trace| s.summary(trace)))
        .collect();
    let mut out = String::new();
    summary::write_response(&summaries, &mut out);
    json(out)
}

//! A Jaeger query API served from memory on an ephemeral loopback port: v3,
//! v1 or both, with Jaeger's limit and 404 semantics, late spans released
//! after a number of searches, and faults on demand.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::traces::{TSpan, TTrace, v1_answer, v3_answer};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    V3,
    V1,
    Both,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    None,
    /// Every request answers this status with a Jaeger error body.
    Status(u16),
    /// The first N requests answer 503, then the server behaves.
    Transient(usize),
    /// 200 with an HTML body.
    NotJson,
    /// 200 with JSON that is not Jaeger's.
    WrongJson,
    /// Routes of the API generation not served answer 200 with the UI's
    /// `index.html`, as Jaeger builds without `/api/v3` do (SPA catch-all).
    UiCatchAll,
}

/// What `/api/v3/trace-summaries` (Jaeger >= 2.19) answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Summaries {
    /// No such route: 404 page not found, as an older Jaeger.
    Absent,
    /// The summaries of the traces a search would return.
    Honest,
    /// Summaries that disagree with the traces: every trace claims one span.
    OneSpanEach,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub requests: usize,
    pub searches: usize,
    /// Searches for summaries.
    pub summary_searches: usize,
    pub gets: usize,
    /// Traces returned by searches, all searches together.
    pub returned: usize,
}

struct Inner {
    api: Api,
    fault: Fault,
    traces: Vec<TTrace>,
    /// Spans added to a trace once this many searches have been served.
    late: Vec<(usize, u128, TSpan)>,
    /// A fresh trace added at every search (a store that never settles).
    churn: Option<Box<dyn FnMut(usize) -> TTrace + Send>>,
    /// Traces that searches never return (only fetches by id do).
    hidden: Vec<u128>,
    /// Answer an arbitrary `limit` of the matching traces in shuffled order
    /// (this xorshift state) instead of the newest first.
    shuffle: Option<u64>,
    summaries: Summaries,
    counters: Counters,
}

#[derive(Clone)]
pub(crate) struct MockJaeger {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    _shutdown: Arc<tokio::sync::oneshot::Sender<()>>,
}

impl MockJaeger {
    pub(crate) async fn start(api: Api, traces: Vec<TTrace>) -> MockJaeger {
        let inner = Arc::new(Mutex::new(Inner {
            api,
            fault: Fault::None,
            traces,
            late: Vec::new(),
            churn: None,
            hidden: Vec::new(),
            shuffle: None,
            summaries: Summaries::Absent,
            counters: Counters::default(),
        }));
        let router = Router::new()
            .route("/api/v3/services", get(v3_services))
            .route("/api/v3/traces", get(v3_search))
            .route("/api/v3/traces/{id}", get(v3_get))
            .route("/api/v3/trace-summaries", get(v3_summaries))
            .route("/api/services", get(v1_services))
            .route("/api/traces", get(v1_search))
            .route("/api/traces/{id}", get(v1_get))
            .fallback(|| async { (StatusCode::NOT_FOUND, "404 page not found\n") })
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    rx.await.ok();
                })
                .await
                .ok();
        });
        MockJaeger {
            url,
            inner,
            _shutdown: Arc::new(tx),
        }
    }

    pub(crate) fn set_fault(&self, fault: Fault) {
        self.inner.lock().unwrap().fault = fault;
    }

    pub(crate) fn add_late_span(&self, after_searches: usize, trace_id: u128, span: TSpan) {
        self.inner
            .lock()
            .unwrap()
            .late
            .push((after_searches, trace_id, span));
    }

    pub(crate) fn churn(&self, make: impl FnMut(usize) -> TTrace + Send + 'static) {
        self.inner.lock().unwrap().churn = Some(Box::new(make));
    }

    pub(crate) fn hide_from_search(&self, trace_id: u128) {
        self.inner.lock().unwrap().hidden.push(trace_id);
    }

    /// Searches answer an arbitrary `limit` of the matching traces in a
    /// shuffled order (seeded), as a backend without Jaeger's ordering may.
    pub(crate) fn shuffle(&self, seed: u64) {
        self.inner.lock().unwrap().shuffle = Some(seed | 1);
    }

    /// What `/api/v3/trace-summaries` answers (absent until set).
    pub(crate) fn summaries(&self, summaries: Summaries) {
        self.inner.lock().unwrap().summaries = summaries;
    }

    /// Searches for summaries served.
    pub(crate) fn summary_searches(&self) -> usize {
        self.inner.lock().unwrap().counters.summary_searches
    }

    /// Traces returned by all searches together.
    pub(crate) fn returned(&self) -> usize {
        self.inner.lock().unwrap().counters.returned
    }

    pub(crate) fn counters(&self) -> (usize, usize, usize) {
        let inner = self.inner.lock().unwrap();
        (
            inner.counters.requests,
            inner.counters.searches,
            inner.counters.gets,
        )
    }
}

type Shared = Arc<Mutex<Inner>>;

fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Jaeger writes error bodies with Go's http.Error: JSON labelled text/plain.
fn error_response(status: u16, v3: bool, message: &str) -> Response {
    let body = if v3 {
        json!({"error": {"httpCode": status, "message": message}})
    } else {
        json!({"data": null, "total": 0, "limit": 0, "offset": 0, "errors": [{"code": status, "msg": message}]})
    };
    let code = StatusCode::from_u16(status).unwrap();
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{body}\n"),
    )
        .into_response()
}

/// Counts the request and applies the fault or the API gate; `Some` short-circuits.
fn gate(inner: &mut Inner, v3: bool) -> Option<Response> {
    inner.counters.requests += 1;
    match inner.fault {
        Fault::None => {}
        Fault::Status(code) => return Some(error_response(code, v3, "storage is on fire")),
        Fault::Transient(n) if inner.counters.requests <= n => {
            return Some(error_response(503, v3, "try again"));
        }
        Fault::Transient(_) => {}
        Fault::NotJson => return Some(html("<html>hello</html>")),
        Fault::WrongJson => {
            return Some(json_response(
                StatusCode::OK,
                json!({"hello": "world", "items": [1, 2]}),
            ));
        }
        Fault::UiCatchAll => {}
    }
    let served = match inner.api {
        Api::Both => true,
        Api::V3 => v3,
        Api::V1 => !v3,
    };
    (!served).then(|| match inner.fault {
        Fault::UiCatchAll => html("<!doctype html><title>Jaeger UI</title>"),
        _ => (StatusCode::NOT_FOUND, "404 page not found\n").into_response(),
    })
}

fn html(body: &'static str) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn services(inner: &Inner) -> Vec<String> {
    let mut names: Vec<String> = inner
        .traces
        .iter()
        .flat_map(|t| t.spans.iter().map(|s| s.service.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Traces with a span of `service` starting in `[min, max]`, newest first, at most `limit`.
fn search(inner: &mut Inner, service: &str, min: u64, max: u64, limit: usize) -> Vec<TTrace> {
    inner.counters.searches += 1;
    let found = matching(inner, service, min, max, limit);
    inner.counters.returned += found.len();
    found
}

/// What a search finds, the late spans due by now released first (searches
/// of traces and of summaries both count).
fn matching(inner: &mut Inner, service: &str, min: u64, max: u64, limit: usize) -> Vec<TTrace> {
    let searches = inner.counters.searches + inner.counters.summary_searches;
    let released: Vec<(u128, TSpan)> = {
        let (now, later): (Vec<_>, Vec<_>) = inner
            .late
            .drain(..)
            .partition(|(after, _, _)| *after < searches);
        inner.late = later;
        now.into_iter().map(|(_, t, s)| (t, s)).collect()
    };
    for (trace_id, span) in released {
        if let Some(trace) = inner.traces.iter_mut().find(|t| t.trace_id == trace_id) {
            trace.spans.push(span);
        }
    }
    if let Some(churn) = inner.churn.as_mut() {
        let fresh = churn(searches);
        inner.traces.push(fresh);
    }
    let mut found: Vec<&TTrace> = inner
        .traces
        .iter()
        .filter(|t| !inner.hidden.contains(&t.trace_id))
        .filter(|t| {
            t.spans
                .iter()
                .any(|s| s.service == service && s.start_ns >= min && s.start_ns <= max)
        })
        .collect();
    match inner.shuffle.as_mut() {
        None => found.sort_by_key(|t| std::cmp::Reverse(t.spans.iter().map(|s| s.start_ns).min())),
        Some(state) => {
            // Fisher-Yates with xorshift64.
            for i in (1..found.len()).rev() {
                *state ^= *state << 13;
                *state ^= *state >> 7;
                *state ^= *state << 17;
                found.swap(i, (*state % (i as u64 + 1)) as usize);
            }
        }
    }
    found.truncate(limit);
    found.into_iter().cloned().collect()
}

fn by_id(inner: &mut Inner, id: &str) -> Option<TTrace> {
    inner.counters.gets += 1;
    let id = u128::from_str_radix(id, 16).ok()?;
    inner.traces.iter().find(|t| t.trace_id == id).cloned()
}

fn rfc3339_ns(text: &str) -> Option<u64> {
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp_nanos()).ok()
}

async fn v3_services(State(inner): State<Shared>) -> Response {
    let mut inner = inner.lock().unwrap();
    if let Some(r) = gate(&mut inner, true) {
        return r;
    }
    json_response(StatusCode::OK, json!({"services": services(&inner)}))
}

/// A v3 search's (of traces, or of summaries when `summaries`) service,
/// window and depth, after the gate; or the answer that stops it.
fn v3_query(
    inner: &mut Inner,
    q: &HashMap<String, String>,
    summaries: bool,
) -> Result<(String, u64, u64, usize), Box<Response>> {
    if let Some(r) = gate(inner, true) {
        return Err(Box::new(r));
    }
    if summaries && inner.summaries == Summaries::Absent {
        return Err(Box::new(
            (StatusCode::NOT_FOUND, "404 page not found\n").into_response(),
        ));
    }
    let (Some(min), Some(max)) = (
        q.get("query.start_time_min").and_then(|t| rfc3339_ns(t)),
        q.get("query.start_time_max").and_then(|t| rfc3339_ns(t)),
    ) else {
        return Err(Box::new(error_response(
            400,
            true,
            "query.startTimeMin and query.startTimeMax are required",
        )));
    };
    let Some(depth) = q
        .get("query.search_depth")
        .and_then(|d| d.parse::<usize>().ok())
        .filter(|d| *d > 0)
    else {
        return Err(Box::new(error_response(
            500,
            true,
            "search depth must be greater than 0 and less than max traces",
        )));
    };
    let service = q.get("query.service_name").cloned().unwrap_or_default();
    Ok((service, min, max, depth))
}

async fn v3_search(
    State(inner): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut inner = inner.lock().unwrap();
    let (service, min, max, depth) = match v3_query(&mut inner, &q, false) {
        Ok(query) => query,
        Err(error) => return *error,
    };
    let found = search(&mut inner, &service, min, max, depth);
    if found.is_empty() {
        return error_response(404, true, "No traces found");
    }
    json_response(StatusCode::OK, v3_answer(&found.iter().collect::<Vec<_>>()))
}

async fn v3_summaries(
    State(inner): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut inner = inner.lock().unwrap();
    let (service, min, max, depth) = match v3_query(&mut inner, &q, true) {
        Ok(query) => query,
        Err(error) => return *error,
    };
    inner.counters.summary_searches += 1;
    let found = matching(&mut inner, &service, min, max, depth);
    let lying = inner.summaries == Summaries::OneSpanEach;
    let summaries: Vec<serde_json::Value> = found
        .iter()
        .map(|t| {
            let start = t.spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
            let end = t.spans.iter().map(|s| s.end_ns).max().unwrap_or(0);
            let count = if lying { 1 } else { t.spans.len() };
            json!({
                "traceId": t.trace_id_hex(),
                "rootServiceName": t.spans[0].service,
                "rootOperationName": t.spans[0].name,
                "minStartTimeUnixNano": start.to_string(),
                "maxEndTimeUnixNano": end.to_string(),
                "spanCount": count,
                "errorSpanCount": 0,
                "services": [],
            })
        })
        .collect();
    // Protobuf's JSON, as Jaeger writes it, leaves an empty list out.
    let body = if summaries.is_empty() {
        json!({})
    } else {
        json!({ "summaries": summaries })
    };
    json_response(StatusCode::OK, body)
}

async fn v3_get(State(inner): State<Shared>, Path(id): Path<String>) -> Response {
    let mut inner = inner.lock().unwrap();
    if let Some(r) = gate(&mut inner, true) {
        return r;
    }
    match by_id(&mut inner, &id) {
        Some(trace) => json_response(StatusCode::OK, v3_answer(&[&trace])),
        None => error_response(404, true, "No traces found"),
    }
}

async fn v1_services(State(inner): State<Shared>) -> Response {
    let mut inner = inner.lock().unwrap();
    if let Some(r) = gate(&mut inner, false) {
        return r;
    }
    let names = services(&inner);
    json_response(
        StatusCode::OK,
        json!({"data": names, "total": names.len(), "limit": 0, "offset": 0, "errors": null}),
    )
}

async fn v1_search(
    State(inner): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut inner = inner.lock().unwrap();
    if let Some(r) = gate(&mut inner, false) {
        return r;
    }
    let Some(service) = q.get("service").cloned() else {
        return error_response(400, false, "parameter 'service' is required");
    };
    let micros = |key: &str| q.get(key).and_then(|v| v.parse::<u64>().ok());
    let (Some(start), Some(end)) = (micros("start"), micros("end")) else {
        return error_response(400, false, "unable to parse param 'start'");
    };
    let limit = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(100);
    let found = search(&mut inner, &service, start * 1000, end * 1000 + 999, limit);
    json_response(StatusCode::OK, v1_answer(&found.iter().collect::<Vec<_>>()))
}

async fn v1_get(State(inner): State<Shared>, Path(id): Path<String>) -> Response {
    let mut inner = inner.lock().unwrap();
    if let Some(r) = gate(&mut inner, false) {
        return r;
    }
    match by_id(&mut inner, &id) {
        Some(trace) => json_response(StatusCode::OK, v1_answer(&[&trace])),
        None => error_response(404, false, "trace not found"),
    }
}

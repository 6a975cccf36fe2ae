//! A local stand-in for order-api: judges each order by the contract's rules
//! (201 valid, 422 invalid, 402 above 10,000; `GET /health` 200), records
//! the `traceparent` and `baggage` it saw, and can stall, sleep, answer
//! wrongly or send `traceresponse` on demand.

#![allow(dead_code)] // each test binary uses a part

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use loadgen::{LoadConfig, Target};
use parking_lot::Mutex;
use serde_json::Value;
use tokio::sync::oneshot;

/// One request as the target saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub method: Method,
    pub path: String,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub traceparent: Option<String>,
    pub baggage: Option<String>,
    pub status: u16,
    /// The `traceresponse` the target answered with, if any.
    pub traceresponse: Option<String>,
    /// The HTTP version the request came in.
    pub version: axum::http::Version,
}

/// How the target misbehaves.
#[derive(Debug, Clone, Default)]
pub(crate) struct Behaviour {
    /// Hold the n-th request (0-based) this long before answering.
    pub stall: Option<(u64, Duration)>,
    /// Sleep this long on every request.
    pub delay: Option<Duration>,
    /// Answer fraud orders with 500 instead of 402.
    pub fraud_is_500: bool,
    /// Answer with `traceresponse` (except `/health`), sampling every other request.
    pub traceresponse: bool,
}

struct AppState {
    behaviour: Behaviour,
    counter: AtomicU64,
    seen: Mutex<Vec<Seen>>,
}

/// A running target on 127.0.0.1 with an ephemeral port.
pub(crate) struct TestTarget {
    pub addr: SocketAddr,
    /// Behind TLS (`https://` URLs).
    tls: bool,
    state: Arc<AppState>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl TestTarget {
    /// The target's state, its router and a listener on an ephemeral port,
    /// for `start` and `start_tls` to serve plain or over TLS.
    async fn bind(
        behaviour: Behaviour,
    ) -> (Arc<AppState>, Router, tokio::net::TcpListener, SocketAddr) {
        let state = Arc::new(AppState {
            behaviour,
            counter: AtomicU64::new(0),
            seen: Mutex::new(Vec::new()),
        });
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        (state, app, listener, addr)
    }

    /// The same target behind TLS with `tls` (ALPN as it says); it stops
    /// with the test's runtime.
    pub(crate) async fn start_tls(behaviour: Behaviour, tls: rustls::ServerConfig) -> TestTarget {
        let (state, app, listener, addr) = Self::bind(behaviour).await;
        tokio::spawn(testkit::serve_tls(listener, app, Arc::new(tls)));
        TestTarget {
            addr,
            tls: true,
            state,
            shutdown: None,
        }
    }

    /// A target that answers every request after `delay`: a slow system,
    /// for timeouts, the in-flight cap and a backlog.
    pub(crate) async fn answering_after(delay: Duration) -> TestTarget {
        TestTarget::start(Behaviour {
            delay: Some(delay),
            ..Behaviour::default()
        })
        .await
    }

    pub(crate) async fn start(behaviour: Behaviour) -> TestTarget {
        let (state, app, listener, addr) = Self::bind(behaviour).await;
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        TestTarget {
            addr,
            tls: false,
            state,
            shutdown: Some(tx),
        }
    }

    pub(crate) fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    pub(crate) fn target(&self) -> Target {
        Target::parse(&self.url()).unwrap()
    }

    /// A configuration for `requests` requests at `rps`, no manifest, no spans.
    pub(crate) fn config(&self, rps: f64, requests: u64) -> LoadConfig {
        let mut c = LoadConfig::new(self.target(), rps);
        c.duration = None;
        c.requests = Some(requests);
        c.seed = 42;
        c.connections = 8;
        c
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().clone()
    }

    pub(crate) fn count(&self) -> u64 {
        self.state.counter.load(Ordering::SeqCst)
    }

    /// Waits until the target has seen `n` requests (or panics after 20 s).
    pub(crate) async fn wait_for(&self, n: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self.count() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "target saw only {} of {n}",
                self.count()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for TestTarget {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The contract's judgement of an order body.
pub(crate) fn judge(body: &[u8]) -> StatusCode {
    let Ok(order) = serde_json::from_slice::<Value>(body) else {
        return StatusCode::BAD_REQUEST;
    };
    let text = |k: &str| order.get(k).and_then(Value::as_str);
    let (Some(customer), Some(item)) = (text("customer_id"), text("item")) else {
        return StatusCode::UNPROCESSABLE_ENTITY;
    };
    let quantity = order.get("quantity").and_then(Value::as_i64);
    let amount = order.get("amount").and_then(Value::as_f64);
    match (quantity, amount) {
        (Some(q), Some(a)) if !customer.is_empty() && !item.is_empty() && q > 0 && a > 0.0 => {
            if a > 10_000.0 {
                StatusCode::PAYMENT_REQUIRED
            } else {
                StatusCode::CREATED
            }
        }
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

async fn handle(
    State(state): State<Arc<AppState>>,
    method: Method,
    version: axum::http::Version,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = state.counter.fetch_add(1, Ordering::SeqCst);
    let b = &state.behaviour;
    if let Some((nth, pause)) = b.stall
        && nth == n
    {
        tokio::time::sleep(pause).await;
    }
    if let Some(d) = b.delay {
        tokio::time::sleep(d).await;
    }
    let status = match (method.clone(), uri.path()) {
        (Method::GET, "/health") => StatusCode::OK,
        (Method::POST, "/orders") => match headers.get("content-type") {
            Some(ct) if ct == "application/json" => match judge(&body) {
                StatusCode::PAYMENT_REQUIRED if b.fraud_is_500 => StatusCode::INTERNAL_SERVER_ERROR,
                s => s,
            },
            _ => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        },
        _ => StatusCode::NOT_FOUND,
    };
    let traceresponse = (b.traceresponse && uri.path() != "/health")
        .then(|| format!("00-{:032x}-{:016x}-0{}", u128::from(n) + 1, n + 1, n % 2));
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    state.seen.lock().push(Seen {
        method,
        path: uri.path().to_owned(),
        uri: uri
            .path_and_query()
            .map_or_else(String::new, |p| p.to_string()),
        headers: headers.clone(),
        body: body.clone(),
        traceparent: header("traceparent"),
        baggage: header("baggage"),
        status: status.as_u16(),
        traceresponse: traceresponse.clone(),
        version,
    });
    let mut response = (status, "{}").into_response();
    if let Some(tr) = traceresponse {
        response
            .headers_mut()
            .insert("traceresponse", HeaderValue::from_str(&tr).unwrap());
    }
    response
}

/// A port on 127.0.0.1 with nothing listening.
pub(crate) fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// Whether `observed` successes of `n` trials are within `z` standard
/// deviations of the expected fraction `p`.
pub(crate) fn within_binomial(observed: u64, n: u64, p: f64, z: f64) -> bool {
    let expected = n as f64 * p;
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    (observed as f64 - expected).abs() <= z * sd.max(0.5)
}

/// Runs `config` to its end with a manifest; the report and the manifest lines.
pub(crate) async fn run_with_manifest(
    mut config: LoadConfig,
) -> (loadgen::Report, Vec<loadgen::ManifestRecord>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.jsonl");
    config.manifest = Some(path.clone());
    let report = loadgen::run(config, std::future::pending()).await.unwrap();
    (report, loadgen::read_manifest(&path).unwrap())
}

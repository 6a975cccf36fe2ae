//! Starting and stopping the three listeners.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::TcpIncoming;

use crate::config::TraceStoreConfig;
use crate::error::Error;
use crate::query::{self, QueryState};
use crate::receiver;
use crate::store::{Limits, Store, StoreStats};

/// How long [`RunningTraceStore::shutdown`] waits for open connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Entry point: see [`TraceStore::start`].
#[derive(Debug)]
pub struct TraceStore;

impl TraceStore {
    /// Binds the three listeners and starts serving on the current Tokio
    /// runtime. Fails (with nothing left running) when a listener cannot
    /// bind or the configuration is unusable.
    pub async fn start(config: TraceStoreConfig) -> Result<RunningTraceStore, Error> {
        if config.max_spans == 0 {
            return Err(Error::Config("max_spans must be at least 1".into()));
        }
        if config.max_bytes == Some(0) {
            return Err(Error::Config("max_bytes must be at least 1".into()));
        }
        let grpc = bind("OTLP/gRPC", config.otlp_grpc_addr).await?;
        let http = bind("OTLP/HTTP", config.otlp_http_addr).await?;
        let query = bind("the query API", config.query_addr).await?;
        let addrs = [&grpc, &http, &query].map(|l| l.local_addr());
        let [grpc_addr, http_addr, query_addr] = match addrs {
            [Ok(a), Ok(b), Ok(c)] => [a, b, c],
            _ => {
                return Err(Error::Config(
                    "cannot read a listener's local address".into(),
                ));
            }
        };

        let store = Arc::new(Store::new(Limits {
            max_spans: config.max_spans,
            max_bytes: config.max_bytes,
        }));
        let token = CancellationToken::new();
        let mut tasks = Vec::new();

        let max_message = config.max_grpc_message_bytes;
        tasks.push(if config.discard {
            let service = receiver::grpc::discard_service(store.clone(), max_message);
            serve_grpc(grpc, service, token.clone())
        } else {
            let service = receiver::grpc::service(store.clone(), max_message);
            serve_grpc(grpc, service, token.clone())
        });

        let http_router =
            receiver::http::router(store.clone(), config.max_http_body_bytes, config.discard);
        tasks.push(serve_axum("OTLP/HTTP", http, http_router, token.clone()));

        let query_router = query::router(QueryState {
            store: store.clone(),
            max_clock_skew_adjust: config.max_clock_skew_adjust,
        });
        tasks.push(serve_axum("query API", query, query_router, token.clone()));

        tracing::info!(
            otlp_grpc = %grpc_addr,
            otlp_http = %http_addr,
            query = %query_addr,
            max_spans = config.max_spans,
            max_bytes = config.max_bytes,
            discard = config.discard,
            "tracestore listening"
        );
        Ok(RunningTraceStore {
            store,
            grpc_addr,
            http_addr,
            query_addr,
            token,
            tasks,
        })
    }
}

async fn bind(what: &'static str, addr: SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind { what, addr, source })
}

fn serve_grpc<S>(listener: TcpListener, service: S, stop: CancellationToken) -> JoinHandle<()>
where
    S: tower::Service<
            http::Request<tonic::body::Body>,
            Response = http::Response<tonic::body::Body>,
            Error = std::convert::Infallible,
        > + tonic::server::NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    tokio::spawn(async move {
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        let served = tonic::transport::Server::builder()
            .layer(tower::util::MapResponseLayer::new(
                receiver::grpc::fix_status_codes,
            ))
            .add_service(service)
            .serve_with_incoming_shutdown(incoming, stop.cancelled_owned())
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "OTLP/gRPC server failed");
        }
    })
}

fn serve_axum(
    what: &'static str,
    listener: TcpListener,
    router: axum::Router,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "{what} server failed");
        }
    })
}

/// A started trace store. Dropping it stops the listeners without waiting;
/// [`RunningTraceStore::shutdown`] stops them gracefully.
#[derive(Debug)]
pub struct RunningTraceStore {
    store: Arc<Store>,
    grpc_addr: SocketAddr,
    http_addr: SocketAddr,
    query_addr: SocketAddr,
    token: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningTraceStore {
    /// The OTLP/gRPC endpoint, e.g. `http://127.0.0.1:4317`.
    pub fn otlp_grpc_endpoint(&self) -> String {
        format!("http://{}", self.grpc_addr)
    }

    /// The OTLP/HTTP base URL, e.g. `http://127.0.0.1:4318` (exporters
    /// append `/v1/traces`).
    pub fn otlp_http_endpoint(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    /// The base URL of the Jaeger query API, e.g. `http://127.0.0.1:16686`.
    pub fn query_url(&self) -> String {
        format!("http://{}", self.query_addr)
    }

    /// The bound OTLP/gRPC address.
    pub fn otlp_grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    /// The bound OTLP/HTTP address.
    pub fn otlp_http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// The bound query API address.
    pub fn query_addr(&self) -> SocketAddr {
        self.query_addr
    }

    /// Spans held now.
    pub fn span_count(&self) -> u64 {
        self.store.stats().spans
    }

    /// Traces held now.
    pub fn trace_count(&self) -> u64 {
        self.store.stats().traces
    }

    /// Traces evicted so far to stay within the memory bound.
    pub fn evicted_traces(&self) -> u64 {
        self.store.stats().evicted_traces
    }

    /// All counters at once.
    pub fn stats(&self) -> StoreStats {
        self.store.stats()
    }

    /// Waits until at least `spans` spans have been accepted since start
    /// (evicted ones included), polling every 10 ms; `false` if `timeout`
    /// passes first.
    pub async fn wait_for_spans(&self, spans: u64, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.store.stats().received_spans >= spans {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops accepting, lets open requests finish (up to 10 s), and returns
    /// when all three servers have stopped.
    pub async fn shutdown(mut self) {
        self.token.cancel();
        let tasks = std::mem::take(&mut self.tasks);
        let aborts: Vec<_> = tasks.iter().map(JoinHandle::abort_handle).collect();
        let all = async {
            for t in tasks {
                let _ = t.await;
            }
        };
        if tokio::time::timeout(SHUTDOWN_GRACE, all).await.is_err() {
            tracing::warn!("connections still open after the grace period; closing them");
            for a in aborts {
                a.abort();
            }
        }
    }
}

impl Drop for RunningTraceStore {
    fn drop(&mut self) {
        self.token.cancel();
        for t in &self.tasks {
            t.abort();
        }
    }
}

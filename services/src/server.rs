//! Serving a router with graceful shutdown (the binaries trigger it with
//! [`cli_support::shutdown_signal`]) and a bound on reading request headers.
//!
//! hyper's connection builder rather than `axum::serve`: `axum::serve`
//! gives hyper no timer, so hyper's `header_read_timeout` never fires and a
//! client trickling its headers a byte at a time (slowloris) keeps its
//! socket for as long as it likes.

use std::{future::Future, io, time::Duration};

use axum::{Router, extract::ConnectInfo, http::Request};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
};
use tokio::net::TcpListener;
use tower::ServiceExt as _;

/// How long a client may take to send a request's headers (hyper's own
/// default, 30 s, is for the open internet; the services' callers are
/// local).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` resolves; then stops
/// accepting connections, lets in-flight requests finish, and returns.
/// Headers must arrive within [`DEFAULT_HEADER_READ_TIMEOUT`].
///
/// The caller then flushes the service's spans with
/// [`telemetry::shutdown_provider`]. Handlers see the peer address as
/// `ConnectInfo<SocketAddr>` (recorded as `client.address`).
pub async fn serve<F>(listener: TcpListener, router: Router, shutdown: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    serve_with(listener, router, shutdown, DEFAULT_HEADER_READ_TIMEOUT).await
}

/// [`serve`] with the header read timeout given: a connection whose request
/// headers are not complete within it is closed (HTTP/1; HTTP/2 has its
/// own keep-alive).
pub async fn serve_with<F>(
    listener: TcpListener,
    router: Router,
    shutdown: F,
    header_read_timeout: Duration,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // `shutdown` first: it is polled before any connection is accepted,
        // so a signal handler it installs is in place before the first
        // request is served.
        let (tcp, remote) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(remote));
            router.clone().oneshot(request)
        });
        let connection = builder
            .serve_connection(TokioIo::new(tcp), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%remote, "connection closed: {e}");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// What `axum::serve` does on an accept error: a client that went away is
/// nothing; anything else (out of file descriptors) is logged and accepting
/// pauses a second, instead of spinning.
async fn accept_failed(error: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!("accept failed: {error}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

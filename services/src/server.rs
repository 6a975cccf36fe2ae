//! Serving a router with graceful shutdown (the binaries trigger it with
//! [`cli_support::shutdown_signal`]).

use std::{future::Future, io, net::SocketAddr};

use axum::{Router, serve::ListenerExt};
use tokio::net::TcpListener;

/// Serves `router` on `listener` until `shutdown` resolves; then stops
/// accepting connections, lets in-flight requests finish, and returns.
///
/// The caller then flushes the service's spans with
/// [`telemetry::shutdown_provider`]. Handlers see the peer address as
/// `ConnectInfo<SocketAddr>` (recorded as `client.address`).
pub async fn serve<F>(listener: TcpListener, router: Router, shutdown: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

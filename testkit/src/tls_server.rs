//! An axum app served behind rustls, for the tests of TLS clients (the
//! certificates come from `secure_http::test_pki`).

use std::sync::Arc;

use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
    service::TowerToHyperService,
};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// Serves `app` on `listener` behind TLS with `tls` until the runtime
/// stops: HTTP/2 when ALPN chose `h2`, HTTP/1.1 otherwise. A client whose
/// handshake fails (untrusted certificate, no client certificate where one
/// is required) is dropped, as a real server does.
pub async fn serve_tls(listener: TcpListener, app: axum::Router, tls: Arc<rustls::ServerConfig>) {
    let acceptor = TlsAcceptor::from(tls);
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else {
                return;
            };
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
            let io = TokioIo::new(stream);
            let service = TowerToHyperService::new(app);
            let builder = auto::Builder::new(TokioExecutor::new());
            // Errors end this connection only.
            let _ = if h2 {
                builder.http2_only().serve_connection(io, service).await
            } else {
                builder.http1_only().serve_connection(io, service).await
            };
        });
    }
}

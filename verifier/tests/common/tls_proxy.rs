//! A TLS reverse proxy in front of a plain-HTTP Jaeger, as hosted Jaeger sits
//! behind one: it wants a given `Authorization` value (else 401) and records
//! the protocol each connection negotiated by ALPN.

#![allow(dead_code)]

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio_rustls::TlsAcceptor;

pub(crate) struct TlsProxy {
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    /// The ALPN protocol of every connection that completed its handshake.
    pub protocols: Arc<Mutex<Vec<Option<Vec<u8>>>>>,
}

impl TlsProxy {
    /// Forwards to `upstream` what carries `authorization` (when given).
    pub(crate) async fn start(
        upstream: &str,
        config: rustls::ServerConfig,
        authorization: Option<String>,
    ) -> TlsProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "https://127.0.0.1:{}",
            listener.local_addr().unwrap().port()
        );
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let protocols = Arc::new(Mutex::new(Vec::new()));
        let seen = protocols.clone();
        let upstream = upstream.trim_end_matches('/').to_owned();
        let client = reqwest::Client::new();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, client, upstream) =
                    (acceptor.clone(), client.clone(), upstream.clone());
                let (authorization, seen) = (authorization.clone(), seen.clone());
                tokio::spawn(async move {
                    // A client that does not trust the certificate ends here.
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    seen.lock()
                        .unwrap()
                        .push(tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec));
                    let service = hyper::service::service_fn(move |request| {
                        forward(
                            request,
                            client.clone(),
                            upstream.clone(),
                            authorization.clone(),
                        )
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        TlsProxy { url, protocols }
    }
}

async fn forward(
    request: Request<Incoming>,
    client: reqwest::Client,
    upstream: String,
    authorization: Option<String>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let sent = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Some(wanted) = &authorization
        && sent != Some(wanted.as_str())
    {
        return Ok(Response::builder()
            .status(401)
            .header("www-authenticate", "Bearer")
            .body(Full::new(Bytes::from_static(b"401 Unauthorized")))
            .unwrap());
    }
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let answer = client
        .get(format!("{upstream}{path}"))
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let body = answer.bytes().await.unwrap();
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(body))
        .unwrap())
}

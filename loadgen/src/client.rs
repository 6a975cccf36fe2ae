//! One keep-alive connection, driven by hyper directly, and the exchange
//! of one request on it: HTTP/1.1 over TCP for `http://`; for `https://`,
//! TLS by tokio-rustls, then HTTP/2 when the server chose `h2` by ALPN,
//! HTTP/1.1 otherwise.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use bytes::Bytes;
use http::{HeaderValue, Request, Uri, header, uri::Authority};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use telemetry::TraceResponse;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::{LoadError, manifest::Outcome, plan::RequestPlan, scenario::Scenario};

/// The answer to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TargetAnswer {
    pub(crate) status: u16,
    /// The parsed `traceresponse`, when asked for and present.
    pub(crate) traceresponse: Option<TraceResponse>,
}

/// A request that got no complete answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendFailure {
    /// `Connect`, `Timeout` or `Io`.
    pub(crate) kind: Outcome,
    pub(crate) message: String,
}

impl SendFailure {
    fn connect(e: impl std::fmt::Display) -> SendFailure {
        SendFailure {
            kind: Outcome::Connect,
            message: format!("connect: {e}"),
        }
    }

    /// A failed TLS handshake; an untrusted certificate says which flag helps.
    fn tls(e: std::io::Error) -> SendFailure {
        let text = e.to_string();
        let hint = secure_http::certificate_hint_named(&text, &crate::cli::TARGET_TLS_NAMES)
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        SendFailure {
            kind: Outcome::Connect,
            message: format!("connect: TLS: {text}{hint}"),
        }
    }

    fn io(e: impl std::fmt::Display) -> SendFailure {
        SendFailure {
            kind: Outcome::Io,
            message: format!("io: {e}"),
        }
    }
}

/// How to open TLS to an `https://` target, shared by its connections.
#[derive(Clone)]
pub(crate) struct TargetTls {
    pub(crate) connector: TlsConnector,
    /// The name the certificate must carry (the URL's host).
    pub(crate) server_name: ServerName<'static>,
    /// The URL's authority: HTTP/2 sends it as `:authority`.
    pub(crate) authority: Authority,
}

impl std::fmt::Debug for TargetTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetTls")
            .field("server_name", &self.server_name)
            .field("authority", &self.authority)
            .finish_non_exhaustive()
    }
}

impl TargetTls {
    /// TLS for `host` with `config` (its ALPN offers `h2` and `http/1.1`).
    pub(crate) fn new(
        config: rustls::ClientConfig,
        host: &str,
        authority: Authority,
    ) -> Result<TargetTls, LoadError> {
        let server_name =
            ServerName::try_from(host.to_owned()).map_err(|source| LoadError::TlsServerName {
                host: host.to_owned(),
                source,
            })?;
        Ok(TargetTls {
            connector: TlsConnector::from(Arc::new(config)),
            server_name,
            authority,
        })
    }
}

/// The request side of an open connection.
enum Sender {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
}

impl Sender {
    fn is_closed(&self) -> bool {
        match self {
            Sender::Http1(s) => s.is_closed(),
            Sender::Http2(s) => s.is_closed(),
        }
    }

    async fn ready(&mut self) -> Result<(), hyper::Error> {
        match self {
            Sender::Http1(s) => s.ready().await,
            Sender::Http2(s) => s.ready().await,
        }
    }
}

/// A connection to the target, opened on first use and again after a failure.
pub(crate) struct Connection {
    addr: SocketAddr,
    tls: Option<TargetTls>,
    sender: Option<Sender>,
}

impl Connection {
    pub(crate) fn new(addr: SocketAddr, tls: Option<TargetTls>) -> Connection {
        Connection {
            addr,
            tls,
            sender: None,
        }
    }

    /// Sends `request` and reads the whole answer within `timeout`; a failed
    /// or timed-out connection is dropped, the next request opens a new one.
    pub(crate) async fn exchange(
        &mut self,
        request: Request<Full<Bytes>>,
        timeout: Duration,
        want_traceresponse: bool,
    ) -> Result<TargetAnswer, SendFailure> {
        let result = tokio::time::timeout(timeout, self.exchange_now(request, want_traceresponse))
            .await
            .unwrap_or_else(|_| {
                Err(SendFailure {
                    kind: Outcome::Timeout,
                    message: format!("timeout: no complete answer within {timeout:?}"),
                })
            });
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn exchange_now(
        &mut self,
        request: Request<Full<Bytes>>,
        want_traceresponse: bool,
    ) -> Result<TargetAnswer, SendFailure> {
        // Cloned up front (a reference count) because the sender borrows self.
        let authority = self.tls.as_ref().map(|t| t.authority.clone());
        let sender = self.ready_sender().await?;
        let response = match sender {
            Sender::Http1(sender) => sender.send_request(request).await,
            Sender::Http2(sender) => {
                // HTTP/2 takes scheme and authority from the URI (`:scheme`,
                // `:authority`), not from `Host`.
                let mut request = request;
                let mut parts = request.uri().clone().into_parts();
                parts.scheme = Some(http::uri::Scheme::HTTPS);
                parts.authority = authority;
                *request.uri_mut() = Uri::from_parts(parts).map_err(SendFailure::io)?;
                request.headers_mut().remove(header::HOST);
                sender.send_request(request).await
            }
        }
        .map_err(SendFailure::io)?;
        let status = response.status().as_u16();
        let traceresponse = if want_traceresponse {
            response
                .headers()
                .get(telemetry::TRACERESPONSE)
                .and_then(|v| v.to_str().ok())
                .and_then(TraceResponse::parse)
        } else {
            None
        };
        let mut body = response.into_body();
        while let Some(frame) = body.frame().await {
            frame.map_err(SendFailure::io)?;
        }
        Ok(TargetAnswer {
            status,
            traceresponse,
        })
    }

    /// A connection ready for a request: the open one if it still is, else
    /// a new one (a keep-alive connection the server closed while idle is
    /// replaced, not counted as a failure).
    async fn ready_sender(&mut self) -> Result<&mut Sender, SendFailure> {
        if let Some(sender) = &mut self.sender
            && !sender.is_closed()
            && sender.ready().await.is_ok()
        {
            // Re-borrow: the checks above ended their borrows.
            return self
                .sender
                .as_mut()
                .ok_or_else(|| SendFailure::io("connection vanished"));
        }
        self.sender = None;
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(SendFailure::connect)?;
        stream.set_nodelay(true).map_err(SendFailure::connect)?;
        let Some(tls) = &self.tls else {
            let (sender, connection) = http1::Builder::new()
                .handshake(TokioIo::new(stream))
                .await
                .map_err(SendFailure::connect)?;
            tokio::spawn(async move {
                // Errors surface on the request that meets them.
                let _ = connection.await;
            });
            return Ok(self.sender.insert(Sender::Http1(sender)));
        };
        let stream = tls
            .connector
            .connect(tls.server_name.clone(), stream)
            .await
            .map_err(SendFailure::tls)?;
        let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
        let io = TokioIo::new(stream);
        let sender = if h2 {
            let (sender, connection) = http2::Builder::new(TokioExecutor::new())
                .handshake(io)
                .await
                .map_err(SendFailure::connect)?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            Sender::Http2(sender)
        } else {
            let (sender, connection) = http1::Builder::new()
                .handshake(io)
                .await
                .map_err(SendFailure::connect)?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            Sender::Http1(sender)
        };
        Ok(self.sender.insert(sender))
    }
}

/// Builds the request of `plan`: its scenario's method, path, headers and
/// body, then the host, the trace context headers and the `baggage` that
/// names the scenario (these last win over a scenario header of the same
/// name).
pub(crate) fn request(
    scenario: &Scenario,
    plan: &RequestPlan,
    host: &HeaderValue,
) -> Request<Full<Bytes>> {
    let rendered = &plan.request;
    let mut request = Request::new(Full::new(rendered.body.clone()));
    *request.method_mut() = scenario.method().clone();
    *request.uri_mut() = rendered.uri.clone();
    let headers = request.headers_mut();
    for (name, value) in &rendered.headers {
        headers.insert(name.clone(), value.clone());
    }
    headers.insert(header::HOST, host.clone());
    for (name, value) in plan.trace_headers.iter().flatten() {
        headers.insert(name.clone(), value.clone());
    }
    headers.insert("baggage", scenario.baggage().clone());
    request
}

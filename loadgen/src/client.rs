//! One keep-alive HTTP/1 connection, driven by hyper directly, and the
//! exchange of one request on it.

use std::{net::SocketAddr, time::Duration};

use bytes::Bytes;
use http::{HeaderValue, Request, header};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use telemetry::TraceResponse;
use tokio::net::TcpStream;

use crate::{manifest::Outcome, plan::RequestPlan, scenario::Scenario};

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

    fn io(e: impl std::fmt::Display) -> SendFailure {
        SendFailure {
            kind: Outcome::Io,
            message: format!("io: {e}"),
        }
    }
}

/// A connection to the target, opened on first use and again after a failure.
pub(crate) struct Connection {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    pub(crate) fn new(addr: SocketAddr) -> Connection {
        Connection { addr, sender: None }
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
        let sender = self.ready_sender().await?;
        let response = sender
            .send_request(request)
            .await
            .map_err(SendFailure::io)?;
        let status = response.status().as_u16();
        let traceresponse = if want_traceresponse {
            response
                .headers()
                .get(telemetry::propagation::TRACERESPONSE)
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
    async fn ready_sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, SendFailure> {
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
        let (sender, connection) = http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(SendFailure::connect)?;
        tokio::spawn(async move {
            // Errors surface on the request that meets them.
            let _ = connection.await;
        });
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

//! A scripted OTLP receiver, over HTTP and gRPC on ephemeral ports: it
//! decodes every export request it gets (protobuf or JSON, gzip or not),
//! keeps it with its headers, and answers as the test scripted (accept,
//! fail with a status, partial success, or stall first).

use std::{collections::VecDeque, io::Read, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
    trace_service_server::{TraceService, TraceServiceServer},
};
use parking_lot::Mutex;
use prost::Message;
use tonic::{Code, codec::CompressionEncoding};

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub enum ExportReply {
    /// Take every span.
    Accept,
    /// Fail: this HTTP status, or this gRPC code.
    Fail {
        /// The HTTP status.
        http: u16,
        /// The gRPC code.
        grpc: Code,
    },
    /// Take all but `rejected` spans and say so.
    Partial {
        /// How many spans are said to be rejected.
        rejected: i64,
    },
    /// Wait, then accept.
    Stall(Duration),
}

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The HTTP headers, or the gRPC metadata.
    pub headers: HeaderMap,
    /// The decoded request.
    pub request: ExportTraceServiceRequest,
}

impl Received {
    /// The spans of the request.
    pub fn span_count(&self) -> usize {
        self.request
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum()
    }
}

#[derive(Default)]
struct Inner {
    script: Mutex<VecDeque<ExportReply>>,
    received: Mutex<Vec<Received>>,
}

impl Inner {
    /// Records a request; the scripted answer (accept once the script is out).
    fn take(&self, headers: HeaderMap, request: ExportTraceServiceRequest) -> ExportReply {
        self.received.lock().push(Received { headers, request });
        self.script
            .lock()
            .pop_front()
            .unwrap_or(ExportReply::Accept)
    }
}

/// A running receiver; it stops with the test's runtime.
pub struct OtlpReceiver {
    /// Where OTLP/HTTP is taken (`POST /v1/traces`).
    pub http: SocketAddr,
    /// Where OTLP/gRPC is taken.
    pub grpc: SocketAddr,
    /// Whether both listeners are behind TLS.
    tls: bool,
    inner: Arc<Inner>,
}

impl OtlpReceiver {
    /// Starts both listeners; the requests are answered as `script` says,
    /// in order, then accepted.
    pub async fn start(script: Vec<ExportReply>) -> OtlpReceiver {
        OtlpReceiver::start_with(script, None).await
    }

    /// Like [`OtlpReceiver::start`], both listeners behind TLS with `tls`
    /// (HTTP/2 and HTTP/1.1 offered by ALPN as the configuration says);
    /// [`OtlpReceiver::endpoint`] then gives `https://` URLs.
    pub async fn start_tls(script: Vec<ExportReply>, tls: rustls::ServerConfig) -> OtlpReceiver {
        OtlpReceiver::start_with(script, Some(Arc::new(tls))).await
    }

    async fn start_with(
        script: Vec<ExportReply>,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> OtlpReceiver {
        let tls_marker = tls.is_some();
        let inner = Arc::new(Inner {
            script: Mutex::new(script.into()),
            ..Inner::default()
        });
        let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http_addr = http.local_addr().unwrap();
        let app = Router::new()
            .route("/v1/traces", post(http_export))
            .with_state(inner.clone());
        let grpc = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let grpc_addr = grpc.local_addr().unwrap();
        let service = TraceServiceServer::new(GrpcReceiver(inner.clone()))
            .accept_compressed(CompressionEncoding::Gzip);
        match tls {
            None => {
                tokio::spawn(async move { axum::serve(http, app).await });
                tokio::spawn(
                    tonic::transport::Server::builder()
                        .add_service(service)
                        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(grpc)),
                );
            }
            Some(tls) => {
                let grpc_app = tonic::service::Routes::new(service).into_axum_router();
                tokio::spawn(crate::serve_tls(http, app, tls.clone()));
                tokio::spawn(crate::serve_tls(grpc, grpc_app, tls));
            }
        }
        OtlpReceiver {
            http: http_addr,
            grpc: grpc_addr,
            tls: tls_marker,
            inner,
        }
    }

    /// The base endpoint of a protocol (`https://` for a TLS receiver).
    pub fn endpoint(&self, protocol: telemetry::Protocol) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        match protocol {
            telemetry::Protocol::Grpc => format!("{scheme}://{}", self.grpc),
            _ => format!("{scheme}://{}", self.http),
        }
    }

    /// Every request so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().clone()
    }

    /// Every span received, in order.
    pub fn spans(&self) -> Vec<opentelemetry_proto::tonic::trace::v1::Span> {
        self.received()
            .into_iter()
            .flat_map(|r| r.request.resource_spans)
            .flat_map(|r| r.scope_spans)
            .flat_map(|s| s.spans)
            .collect()
    }
}

async fn http_export(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> Response {
    let mut body = body.to_vec();
    if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut plain)
            .unwrap();
        body = plain;
    }
    let json = headers
        .get("content-type")
        .is_some_and(|v| v == "application/json");
    let request = if json {
        serde_json::from_slice(&body).unwrap()
    } else {
        ExportTraceServiceRequest::decode(&body[..]).unwrap()
    };
    let answer = match inner.take(headers, request) {
        ExportReply::Fail { http, .. } => {
            return (StatusCode::from_u16(http).unwrap(), "scripted failure").into_response();
        }
        ExportReply::Stall(d) => {
            tokio::time::sleep(d).await;
            ExportTraceServiceResponse::default()
        }
        ExportReply::Accept => ExportTraceServiceResponse::default(),
        ExportReply::Partial { rejected } => partial(rejected),
    };
    if json {
        serde_json::to_vec(&answer).unwrap().into_response()
    } else {
        answer.encode_to_vec().into_response()
    }
}

fn partial(rejected: i64) -> ExportTraceServiceResponse {
    ExportTraceServiceResponse {
        partial_success: Some(ExportTracePartialSuccess {
            rejected_spans: rejected,
            error_message: "scripted rejection".into(),
        }),
    }
}

struct GrpcReceiver(Arc<Inner>);

#[tonic::async_trait]
impl TraceService for GrpcReceiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let headers = request.metadata().clone().into_headers();
        match self.0.take(headers, request.into_inner()) {
            ExportReply::Fail { grpc, .. } => Err(tonic::Status::new(grpc, "scripted failure")),
            ExportReply::Stall(d) => {
                tokio::time::sleep(d).await;
                Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
            }
            ExportReply::Accept => Ok(tonic::Response::new(ExportTraceServiceResponse::default())),
            ExportReply::Partial { rejected } => Ok(tonic::Response::new(partial(rejected))),
        }
    }
}

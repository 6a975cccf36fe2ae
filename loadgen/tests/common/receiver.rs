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
pub enum Answer {
    /// Take every span.
    Accept,
    /// Fail: this HTTP status, or this gRPC code.
    Fail { http: u16, grpc: Code },
    /// Take all but `rejected` spans and say so.
    Partial { rejected: i64 },
    /// Wait, then accept.
    Stall(Duration),
}

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub request: ExportTraceServiceRequest,
}

impl Received {
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
    script: Mutex<VecDeque<Answer>>,
    received: Mutex<Vec<Received>>,
}

impl Inner {
    /// Records a request; the scripted answer (accept once the script is out).
    fn take(&self, headers: HeaderMap, request: ExportTraceServiceRequest) -> Answer {
        self.received.lock().push(Received { headers, request });
        self.script.lock().pop_front().unwrap_or(Answer::Accept)
    }
}

/// A running receiver.
pub struct Receiver {
    pub http: SocketAddr,
    pub grpc: SocketAddr,
    inner: Arc<Inner>,
}

impl Receiver {
    pub async fn start(script: Vec<Answer>) -> Receiver {
        let inner = Arc::new(Inner {
            script: Mutex::new(script.into()),
            ..Inner::default()
        });
        let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http_addr = http.local_addr().unwrap();
        let app = Router::new()
            .route("/v1/traces", post(http_export))
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(http, app).await });
        let grpc = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let grpc_addr = grpc.local_addr().unwrap();
        let service = TraceServiceServer::new(GrpcReceiver(inner.clone()))
            .accept_compressed(CompressionEncoding::Gzip);
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(grpc)),
        );
        Receiver {
            http: http_addr,
            grpc: grpc_addr,
            inner,
        }
    }

    /// The base endpoint of a protocol.
    pub fn endpoint(&self, protocol: telemetry::Protocol) -> String {
        match protocol {
            telemetry::Protocol::Grpc => format!("http://{}", self.grpc),
            _ => format!("http://{}", self.http),
        }
    }

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
        Answer::Fail { http, .. } => {
            return (StatusCode::from_u16(http).unwrap(), "scripted failure").into_response();
        }
        Answer::Stall(d) => {
            tokio::time::sleep(d).await;
            ExportTraceServiceResponse::default()
        }
        Answer::Accept => ExportTraceServiceResponse::default(),
        Answer::Partial { rejected } => partial(rejected),
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
            Answer::Fail { grpc, .. } => Err(tonic::Status::new(grpc, "scripted failure")),
            Answer::Stall(d) => {
                tokio::time::sleep(d).await;
                Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
            }
            Answer::Accept => Ok(tonic::Response::new(ExportTraceServiceResponse::default())),
            Answer::Partial { rejected } => Ok(tonic::Response::new(partial(rejected))),
        }
    }
}

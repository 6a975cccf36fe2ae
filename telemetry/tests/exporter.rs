//! The configuration's export settings reach the wire: the OTLP exporter
//! [`telemetry::build_provider`] makes sends the configured headers (gRPC
//! metadata) and gzip, over HTTP and gRPC, to a receiver on loopback.

use std::{io::Read, sync::Arc};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
    trace_service_server::{TraceService, TraceServiceServer},
};
use prost::Message;
use telemetry::{Compression, OtelConfig, Protocol, SamplerConfig};
use tokio::sync::Mutex;
use tonic::codec::CompressionEncoding;

/// What a receiver got: each request's headers and span count.
type Seen = Arc<Mutex<Vec<(HeaderMap, usize)>>>;

fn span_count(request: &ExportTraceServiceRequest) -> usize {
    request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum()
}

async fn http_receiver(seen: Seen) -> String {
    async fn export(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> Vec<u8> {
        let mut plain = Vec::new();
        if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut plain)
                .unwrap();
        } else {
            plain = body.to_vec();
        }
        let request = ExportTraceServiceRequest::decode(&plain[..]).unwrap();
        seen.lock().await.push((headers, span_count(&request)));
        ExportTraceServiceResponse::default().encode_to_vec()
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/v1/traces", post(export))
        .with_state(seen);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

struct GrpcReceiver(Seen);

#[tonic::async_trait]
impl TraceService for GrpcReceiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let headers = request.metadata().clone().into_headers();
        let spans = span_count(request.get_ref());
        self.0.lock().await.push((headers, spans));
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

async fn grpc_receiver(seen: Seen) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service =
        TraceServiceServer::new(GrpcReceiver(seen)).accept_compressed(CompressionEncoding::Gzip);
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_and_gzip_are_sent_over_http_and_grpc() {
    for protocol in [Protocol::HttpProtobuf, Protocol::Grpc] {
        let seen = Seen::default();
        let endpoint = match protocol {
            Protocol::Grpc => grpc_receiver(seen.clone()).await,
            _ => http_receiver(seen.clone()).await,
        };
        let mut cfg = OtelConfig::new("order-api", SamplerConfig::AlwaysOn)
            .with_protocol(protocol)
            .with_endpoint(endpoint);
        cfg.headers = vec![("x-tenant".into(), "ci".into())];
        cfg.compression = Compression::Gzip;
        let provider = telemetry::build_provider(&cfg).unwrap();
        provider.tracer("test").in_span("work", |_| {});
        telemetry::shutdown_provider(provider).await.unwrap();

        let seen = seen.lock().await;
        assert_eq!(seen.len(), 1, "{protocol}");
        let (headers, spans) = &seen[0];
        assert_eq!(*spans, 1, "{protocol}");
        assert_eq!(headers["x-tenant"], "ci", "{protocol}");
        let encoding = match protocol {
            Protocol::Grpc => "grpc-encoding",
            _ => "content-encoding",
        };
        assert_eq!(headers[encoding], "gzip", "{protocol}: {headers:?}");
    }
}

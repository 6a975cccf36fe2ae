//! The configuration's export settings reach the wire: the OTLP exporters
//! [`telemetry::build_provider`] makes (`otlp-export`'s, the default, and
//! `opentelemetry-otlp`'s) send the configured headers (gRPC metadata) and
//! gzip, over HTTP and gRPC, to a receiver on loopback; and for the same
//! spans, what a receiver decodes from the two is the same, over gRPC,
//! HTTP protobuf and HTTP JSON.

use std::{io::Read, sync::Arc};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
    trace_service_server::{TraceService, TraceServiceServer},
};
use prost::Message;
use telemetry::{Compression, OtelConfig, OtlpExporter, Protocol, SamplerConfig};
use tokio::sync::Mutex;
use tonic::codec::CompressionEncoding;

/// What a receiver got: each request's headers and the request.
type Seen = Arc<Mutex<Vec<(HeaderMap, ExportTraceServiceRequest)>>>;

const IMPLEMENTATIONS: [OtlpExporter; 2] = [OtlpExporter::Direct, OtlpExporter::OpentelemetryOtlp];

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
        let json = headers
            .get("content-type")
            .is_some_and(|v| v == "application/json");
        let request = if json {
            serde_json::from_slice(&plain).unwrap()
        } else {
            ExportTraceServiceRequest::decode(&plain[..]).unwrap()
        };
        seen.lock().await.push((headers, request));
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
        self.0.lock().await.push((headers, request.into_inner()));
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

async fn receiver(protocol: Protocol, seen: Seen) -> String {
    match protocol {
        Protocol::Grpc => grpc_receiver(seen).await,
        _ => http_receiver(seen).await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_and_gzip_are_sent_over_http_and_grpc() {
    for (protocol, implementation) in [Protocol::HttpProtobuf, Protocol::Grpc]
        .into_iter()
        .flat_map(|p| IMPLEMENTATIONS.map(|i| (p, i)))
    {
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
        cfg.otlp_exporter = implementation;
        let provider = telemetry::build_provider(&cfg).unwrap();
        provider.tracer("test").in_span("work", |_| {});
        telemetry::shutdown_provider(provider).await.unwrap();

        let seen = seen.lock().await;
        assert_eq!(seen.len(), 1, "{protocol} {implementation}");
        let (headers, request) = &seen[0];
        assert_eq!(span_count(request), 1, "{protocol} {implementation}");
        assert_eq!(headers["x-tenant"], "ci", "{protocol} {implementation}");
        let encoding = match protocol {
            Protocol::Grpc => "grpc-encoding",
            _ => "content-encoding",
        };
        assert_eq!(
            headers[encoding], "gzip",
            "{protocol} {implementation}: {headers:?}"
        );
    }
}

/// Spans with attributes of every type, an event, a link, an error status,
/// a remote parent and two scopes, exported by `provider`.
fn record_spans(provider: &opentelemetry_sdk::trace::SdkTracerProvider) {
    use opentelemetry::{
        KeyValue, Value,
        trace::{
            Link, Span as _, SpanContext, SpanId, Status, TraceContextExt as _, TraceFlags,
            TraceId, TraceState,
        },
    };
    let tracer = provider.tracer("order-api");
    let remote = SpanContext::new(
        TraceId::from_bytes([3; 16]),
        SpanId::from_bytes([4; 8]),
        TraceFlags::SAMPLED,
        true,
        TraceState::from_key_value([("vendor", "v")]).unwrap(),
    );
    let mut span = tracer
        .span_builder("POST /orders")
        .with_kind(opentelemetry::trace::SpanKind::Server)
        .with_attributes([
            KeyValue::new("s", "x"),
            KeyValue::new("i", -3_i64),
            KeyValue::new("d", 0.5),
            KeyValue::new("b", true),
            KeyValue::new("a", Value::Array(vec![1_i64, 2].into())),
        ])
        .with_links(vec![Link::with_context(remote.clone())])
        .start_with_context(
            &tracer,
            &opentelemetry::Context::new().with_remote_span_context(remote),
        );
    span.add_event("exception", vec![KeyValue::new("exception.type", "E")]);
    span.set_status(Status::error("declined"));
    span.end();
    provider.tracer("reqwest").in_span("GET /health", |_| {});
}

/// Both exporters send the same spans (the span ids and times of one
/// in-memory recording, replayed) to receivers of every protocol: what each
/// receiver decodes is the same request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_exporters_deliver_the_same_request_over_every_protocol() {
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanExporter as _};
    let recorded = InMemorySpanExporter::default();
    let cfg = OtelConfig::new("order-api", SamplerConfig::AlwaysOn);
    let provider = telemetry::provider_with_exporter(&cfg, recorded.clone());
    record_spans(&provider);
    provider.force_flush().unwrap();
    let batch = recorded.get_finished_spans().unwrap();
    assert_eq!(batch.len(), 2);
    let resource = telemetry::resource(&cfg);

    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf, Protocol::HttpJson] {
        let mut received = Vec::new();
        for implementation in IMPLEMENTATIONS {
            let seen = Seen::default();
            let mut cfg = cfg.clone().with_protocol(protocol);
            cfg = cfg.with_endpoint(receiver(protocol, seen.clone()).await);
            let result = match implementation {
                OtlpExporter::Direct => {
                    let mut exporter = telemetry::build_direct_exporter(&cfg).unwrap();
                    exporter.set_resource(&resource);
                    exporter.export(batch.clone()).await
                }
                // Its HTTP client is a blocking one: built, used and
                // dropped off the async workers, as the batch processor's
                // thread does.
                OtlpExporter::OpentelemetryOtlp => {
                    let (batch, resource) = (batch.clone(), resource.clone());
                    tokio::task::spawn_blocking(move || {
                        let mut exporter = telemetry::build_exporter(&cfg).unwrap().unwrap();
                        exporter.set_resource(&resource);
                        futures::executor::block_on(exporter.export(batch))
                    })
                    .await
                    .unwrap()
                }
            };
            result.unwrap();
            let mut seen = seen.lock().await;
            assert_eq!(seen.len(), 1, "{protocol} {implementation}");
            received.push(seen.remove(0).1);
        }
        assert_eq!(span_count(&received[0]), 2, "{protocol}");
        assert_eq!(received[0], received[1], "{protocol}");
    }
}

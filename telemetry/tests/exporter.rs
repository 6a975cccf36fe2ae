//! The configuration's export settings reach the wire: the OTLP exporters
//! [`telemetry::build_provider`] makes (`otlp-export`'s, the default, and
//! `opentelemetry-otlp`'s) send the configured headers (gRPC metadata) and
//! gzip, over HTTP and gRPC, to a receiver on loopback; and for the same
//! spans, what a receiver decodes from the two is the same, over gRPC,
//! HTTP protobuf and HTTP JSON.

use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use telemetry::{Compression, OtelConfig, OtlpExporter, Protocol, SamplerConfig};
use testkit::OtlpReceiver;

const IMPLEMENTATIONS: [OtlpExporter; 2] = [OtlpExporter::Direct, OtlpExporter::OpentelemetryOtlp];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_and_gzip_are_sent_over_http_and_grpc() {
    for (protocol, implementation) in [Protocol::HttpProtobuf, Protocol::Grpc]
        .into_iter()
        .flat_map(|p| IMPLEMENTATIONS.map(|i| (p, i)))
    {
        let receiver = OtlpReceiver::start(vec![]).await;
        let mut cfg = OtelConfig::new("order-api", SamplerConfig::AlwaysOn)
            .with_protocol(protocol)
            .with_endpoint(receiver.endpoint(protocol));
        cfg.headers = vec![("x-tenant".into(), "ci".into())];
        cfg.compression = Compression::Gzip;
        cfg.otlp_exporter = implementation;
        let provider = telemetry::build_provider(&cfg).unwrap();
        provider.tracer("test").in_span("work", |_| {});
        telemetry::shutdown_provider(provider).await.unwrap();

        let seen = receiver.received();
        assert_eq!(seen.len(), 1, "{protocol} {implementation}");
        let headers = &seen[0].headers;
        assert_eq!(seen[0].span_count(), 1, "{protocol} {implementation}");
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
            let receiver = OtlpReceiver::start(vec![]).await;
            let mut cfg = cfg.clone().with_protocol(protocol);
            cfg = cfg.with_endpoint(receiver.endpoint(protocol));
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
            let mut seen = receiver.received();
            assert_eq!(seen.len(), 1, "{protocol} {implementation}");
            received.push(seen.remove(0));
        }
        assert_eq!(received[0].span_count(), 2, "{protocol}");
        assert_eq!(received[0].request, received[1].request, "{protocol}");
    }
}

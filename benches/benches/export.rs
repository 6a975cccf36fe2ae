//! Encoding and exporting one batch of 512 spans: protobuf encoding alone,
//! then a whole export to the sink over OTLP/gRPC and OTLP/HTTP protobuf.

use benches::{env::BenchEnv, workload::record_span};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use opentelemetry::trace::TracerProvider;
use opentelemetry_proto::{
    tonic::collector::trace::v1::ExportTraceServiceRequest,
    transform::{
        common::tonic::ResourceAttributesWithSchema,
        trace::tonic::group_spans_by_resource_and_scope,
    },
};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData, SpanExporter};
use prost::Message;
use telemetry::{Protocol, SamplerConfig};

const BATCH: usize = 512;

/// 512 real spans, recorded through the SDK into memory.
fn batch() -> (Vec<SpanData>, opentelemetry_sdk::Resource) {
    let memory = InMemorySpanExporter::default();
    let cfg = telemetry::OtelConfig::new("bench", SamplerConfig::AlwaysOn);
    let resource = telemetry::provider::resource(&cfg);
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(memory.clone())
        .with_resource(resource.clone())
        .build();
    let tracer = provider.tracer("bench");
    for _ in 0..BATCH {
        record_span(&tracer);
    }
    let spans = memory
        .get_finished_spans()
        .expect("read the recorded spans");
    assert_eq!(spans.len(), BATCH);
    (spans, resource)
}

fn export(c: &mut Criterion) {
    let env = BenchEnv::start().expect("start the bench sink");
    let (spans, resource) = batch();
    let mut group = c.benchmark_group("export_512_spans");
    group.throughput(Throughput::Elements(BATCH as u64));

    let schema = ResourceAttributesWithSchema::from(&resource);
    group.bench_function("encode_protobuf", |b| {
        b.iter_batched(
            || spans.clone(),
            |spans| {
                let request = ExportTraceServiceRequest {
                    resource_spans: group_spans_by_resource_and_scope(spans, &schema),
                };
                request.encode_to_vec()
            },
            BatchSize::SmallInput,
        )
    });

    for (name, protocol) in [
        ("grpc", Protocol::Grpc),
        ("http_protobuf", Protocol::HttpProtobuf),
    ] {
        let cfg = env.otel_config("bench", SamplerConfig::AlwaysOn, protocol);
        let mut exporter = {
            let _rt = env.runtime().enter();
            telemetry::build_exporter(&cfg)
                .expect("build the exporter")
                .expect("an OTLP exporter")
        };
        exporter.set_resource(&resource);
        let before = env.spans_received();
        group.bench_function(name, |b| {
            // The export future is polled on this (non-runtime) thread, as the
            // BatchSpanProcessor's own thread does; the runtime drives gRPC.
            b.iter_batched(
                || spans.clone(),
                |batch| futures::executor::block_on(exporter.export(batch)).expect("export"),
                BatchSize::SmallInput,
            )
        });
        assert!(
            env.spans_received() > before,
            "{name}: the sink received nothing"
        );
    }
    group.finish();
}

criterion_group!(benches, export);
criterion_main!(benches);

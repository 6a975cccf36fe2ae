//! Encoding and exporting one batch of 512 spans: protobuf encoding alone,
//! then a whole export to the sink over OTLP/gRPC and OTLP/HTTP protobuf,
//! with `opentelemetry-otlp`'s exporter and with `otlp-export`'s
//! (`direct_*`), side by side.

use benches::{env::BenchEnv, workload::record_span};
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
    measurement::WallTime,
};
use opentelemetry::trace::TracerProvider;
use opentelemetry_proto::{
    tonic::collector::trace::v1::ExportTraceServiceRequest,
    transform::{
        common::tonic::ResourceAttributesWithSchema,
        trace::tonic::group_spans_by_resource_and_scope,
    },
};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData, SpanExporter};
use otlp_export::DirectSpanExporter;
use prost::Message;
use telemetry::{OtlpExporter, Protocol, SamplerConfig};

const BATCH: usize = 512;

/// 512 real spans, recorded through the SDK into memory.
fn batch() -> (Vec<SpanData>, opentelemetry_sdk::Resource) {
    let memory = InMemorySpanExporter::default();
    let cfg = telemetry::OtelConfig::new("bench", SamplerConfig::AlwaysOn);
    let resource = telemetry::resource(&cfg);
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

    let direct = {
        let cfg = env.otel_config("bench", SamplerConfig::AlwaysOn, Protocol::Grpc);
        let _rt = env.runtime().enter();
        let mut exporter = telemetry::build_direct_exporter(&cfg).expect("build the exporter");
        exporter.set_resource(&resource);
        exporter
    };
    group.bench_function("direct_encode_protobuf", |b| {
        b.iter_batched(
            || spans.clone(),
            |spans| direct.encode(&spans),
            BatchSize::SmallInput,
        )
    });

    for (name, protocol, implementation) in [
        ("direct_grpc", Protocol::Grpc, OtlpExporter::Direct),
        (
            "direct_http_protobuf",
            Protocol::HttpProtobuf,
            OtlpExporter::Direct,
        ),
        ("grpc", Protocol::Grpc, OtlpExporter::OpentelemetryOtlp),
        (
            "http_protobuf",
            Protocol::HttpProtobuf,
            OtlpExporter::OpentelemetryOtlp,
        ),
    ] {
        let cfg = env.otel_config("bench", SamplerConfig::AlwaysOn, protocol);
        let built = {
            let _rt = env.runtime().enter();
            match implementation {
                OtlpExporter::Direct => Exporter::Direct(
                    telemetry::build_direct_exporter(&cfg).expect("build the exporter"),
                ),
                OtlpExporter::OpentelemetryOtlp => Exporter::Otlp(
                    telemetry::build_exporter(&cfg)
                        .expect("build the exporter")
                        .expect("an OTLP exporter"),
                ),
            }
        };
        let before = env.spans_received();
        match built {
            Exporter::Direct(e) => bench_export(&mut group, name, e, &spans, &resource),
            Exporter::Otlp(e) => bench_export(&mut group, name, e, &spans, &resource),
        }
        assert!(
            env.spans_received() > before,
            "{name}: the sink received nothing"
        );
    }
    group.finish();
}

/// Either exporter, built in the runtime's context.
enum Exporter {
    Direct(DirectSpanExporter),
    Otlp(opentelemetry_otlp::SpanExporter),
}

/// One whole export call of `spans` per iteration. The export future is
/// polled on this (non-runtime) thread, as the BatchSpanProcessor's own
/// thread does; the runtime drives the transport.
fn bench_export<E: SpanExporter>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    mut exporter: E,
    spans: &[SpanData],
    resource: &opentelemetry_sdk::Resource,
) {
    exporter.set_resource(resource);
    group.bench_function(name, |b| {
        b.iter_batched(
            || spans.to_vec(),
            |batch| futures::executor::block_on(exporter.export(batch)).expect("export"),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, export);
criterion_main!(benches);

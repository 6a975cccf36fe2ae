//! Inject and extract of W3C `traceparent` + `baggage` over an HTTP header map.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use http::HeaderMap;
use opentelemetry::{
    Context, KeyValue,
    baggage::BaggageExt,
    trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState},
};

fn context() -> Context {
    let span = SpanContext::new(
        TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128),
        SpanId::from(0x00f0_67aa_0ba9_02b7_u64),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    Context::new()
        .with_remote_span_context(span)
        .with_baggage([KeyValue::new("loadgen.scenario", "valid")])
}

fn propagation(c: &mut Criterion) {
    let cx = context();
    let mut headers = HeaderMap::new();
    telemetry::inject_context(&cx, &mut headers);
    assert!(headers.contains_key("traceparent") && headers.contains_key("baggage"));
    let extracted = telemetry::extract_context(&headers);
    assert_eq!(
        extracted.span().span_context().trace_id(),
        cx.span().span_context().trace_id()
    );

    let mut group = c.benchmark_group("propagation");
    group.bench_function("inject_traceparent_baggage", |b| {
        b.iter(|| {
            let mut headers = HeaderMap::with_capacity(4);
            telemetry::inject_context(black_box(&cx), &mut headers);
            headers
        })
    });
    group.bench_function("extract_traceparent_baggage", |b| {
        b.iter(|| telemetry::extract_context(black_box(&headers)))
    });
    group.finish();
}

criterion_group!(benches, propagation);
criterion_main!(benches);

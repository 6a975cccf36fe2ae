//! The Jaeger propagator (`uber-trace-id`) of the OpenTelemetry project,
//! `opentelemetry-jaeger-propagator`, whose latest release implements the
//! 0.32 API's `TextMapPropagator`. This bridge runs it on this workspace's
//! 0.33 contexts: the span context crosses as its ids and flags, the
//! headers as an `http::HeaderMap`. Baggage is left to W3C Baggage.
//! When the crate publishes a 0.33 release, this file goes away. (The
//! crate marks the format deprecated in favour of W3C Trace Context; it is
//! what Jaeger-client-instrumented systems still send.)
#![allow(deprecated)]

use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::{
    Context,
    propagation::{Extractor, Injector, TextMapPropagator, text_map_propagator::FieldIter},
    trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState},
};
use opentelemetry_032 as otel032;
use otel032::{
    propagation::TextMapPropagator as _,
    trace::{TraceContextExt as _, TraceState as TraceState032},
};

/// Jaeger's `uber-trace-id` header, through the maintained propagator.
#[derive(Debug, Default)]
pub(crate) struct JaegerPropagator {
    inner: opentelemetry_jaeger_propagator::Propagator,
    fields: [String; 1],
}

impl JaegerPropagator {
    /// The propagator with Jaeger's default header name.
    pub(crate) fn new() -> Self {
        JaegerPropagator {
            inner: opentelemetry_jaeger_propagator::Propagator::new(),
            fields: ["uber-trace-id".to_owned()],
        }
    }
}

/// Reads a 0.33 carrier through the 0.32 trait.
struct Carrier<'a>(&'a dyn Extractor);

impl otel032::propagation::Extractor for Carrier<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys()
    }
}

/// Collects what the 0.32 propagator injects.
#[derive(Default)]
struct Collected(HeaderMap);

impl otel032::propagation::Injector for Collected {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(key), HeaderValue::try_from(value)) {
            self.0.insert(name, value);
        }
    }
}

impl TextMapPropagator for JaegerPropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let sc = span.span_context();
        if !sc.is_valid() {
            return;
        }
        let bridged = otel032::trace::SpanContext::new(
            otel032::trace::TraceId::from_bytes(sc.trace_id().to_bytes()),
            otel032::trace::SpanId::from_bytes(sc.span_id().to_bytes()),
            otel032::trace::TraceFlags::new(sc.trace_flags().to_u8()),
            sc.is_remote(),
            TraceState032::default(),
        );
        let cx032 = otel032::Context::new().with_remote_span_context(bridged);
        let mut collected = Collected::default();
        self.inner.inject_context(&cx032, &mut collected);
        for (name, value) in &collected.0 {
            if let Ok(v) = value.to_str() {
                injector.set(name.as_str(), v.to_owned());
            }
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let cx032 = self.inner.extract(&Carrier(extractor));
        let span = cx032.span();
        let sc = span.span_context();
        if !sc.is_valid() {
            return cx.clone();
        }
        cx.with_remote_span_context(SpanContext::new(
            TraceId::from_bytes(sc.trace_id().to_bytes()),
            SpanId::from_bytes(sc.span_id().to_bytes()),
            TraceFlags::new(sc.trace_flags().to_u8()),
            true,
            TraceState::default(),
        ))
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(&self.fields)
    }
}

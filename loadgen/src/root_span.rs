//! The loadgen CLIENT span of each sampled request, made by the SDK itself:
//! a tracer provider whose `IdGenerator` hands out the ids the seeded plan
//! chose and whose sampler is the same `TraceIdRatioBased` that took the
//! decision, so the exported span carries exactly the ids of the
//! `traceparent` that was sent.

use std::{
    cell::Cell,
    fmt,
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime},
};

use opentelemetry::{
    Context, InstrumentationScope, KeyValue,
    trace::{
        Span as _, SpanBuilder, SpanId, SpanKind, Status, TraceId, Tracer as _, TracerProvider as _,
    },
};
use opentelemetry_sdk::{
    Resource,
    error::OTelSdkResult,
    trace::{
        BatchConfigBuilder, BatchSpanProcessor, IdGenerator, RandomIdGenerator, Sampler, SdkTracer,
        SdkTracerProvider, SpanData, SpanExporter,
    },
};
use telemetry::{OtelConfig, TelemetryError};

use crate::{
    config::{RootSpans, Target},
    manifest::Outcome,
    plan::TraceIds,
    scenario::Scenario,
};

/// Queue of the batch processor unless configured: a load generator ends
/// spans much faster than a service, and a dropped root span fails a trace.
const DEFAULT_MAX_QUEUE_SIZE: usize = 65_536;

thread_local! {
    /// The ids of the span being built on this thread, set just around
    /// `Tracer::build_with_context`, which asks the id generator synchronously.
    static PLANNED: Cell<Option<(TraceId, SpanId)>> = const { Cell::new(None) };
}

/// Hands out the planned ids; random ones for any other span.
#[derive(Debug, Default)]
struct PlannedIds {
    fallback: RandomIdGenerator,
}

impl IdGenerator for PlannedIds {
    fn new_trace_id(&self) -> TraceId {
        PLANNED
            .get()
            .map_or_else(|| self.fallback.new_trace_id(), |(t, _)| t)
    }

    fn new_span_id(&self) -> SpanId {
        PLANNED
            .get()
            .map_or_else(|| self.fallback.new_span_id(), |(_, s)| s)
    }
}

/// Any span exporter, type-erased so a [`crate::LoadConfig`] can carry one.
pub struct SpanSink(Box<dyn DynExporter>);

impl SpanSink {
    /// Wraps an exporter (e.g. `InMemorySpanExporter`, an OTLP exporter).
    pub fn new<E: SpanExporter + 'static>(exporter: E) -> SpanSink {
        SpanSink(Box::new(exporter))
    }
}

impl fmt::Debug for SpanSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SpanSink").field(&self.0).finish()
    }
}

type ExportFuture<'a> = Pin<Box<dyn Future<Output = OTelSdkResult> + Send + 'a>>;

trait DynExporter: Send + Sync + fmt::Debug {
    fn export_boxed(&self, batch: Vec<SpanData>) -> ExportFuture<'_>;
    fn shutdown_boxed(&self, timeout: Duration) -> OTelSdkResult;
    fn force_flush_boxed(&self) -> OTelSdkResult;
    fn set_resource_boxed(&mut self, resource: &Resource);
}

impl<E: SpanExporter> DynExporter for E {
    fn export_boxed(&self, batch: Vec<SpanData>) -> ExportFuture<'_> {
        Box::pin(self.export(batch))
    }
    fn shutdown_boxed(&self, timeout: Duration) -> OTelSdkResult {
        self.shutdown_with_timeout(timeout)
    }
    fn force_flush_boxed(&self) -> OTelSdkResult {
        self.force_flush()
    }
    fn set_resource_boxed(&mut self, resource: &Resource) {
        self.set_resource(resource)
    }
}

/// Counts the spans its inner exporter accepted.
#[derive(Debug)]
struct CountingExporter {
    inner: SpanSink,
    exported: Arc<AtomicU64>,
}

impl SpanExporter for CountingExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let n = batch.len() as u64;
        self.inner.0.export_boxed(batch).await?;
        self.exported.fetch_add(n, Ordering::Relaxed);
        Ok(())
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.0.shutdown_boxed(timeout)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.inner.0.force_flush_boxed()
    }
    fn set_resource(&mut self, resource: &Resource) {
        self.inner.0.set_resource_boxed(resource)
    }
}

/// Exports one CLIENT span per sampled request of a run.
#[derive(Debug)]
pub(crate) struct RootSpanExporter {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    exported: Arc<AtomicU64>,
    server_address: Arc<str>,
    server_port: i64,
}

impl RootSpanExporter {
    /// The exporter the configuration asks for, `None` when spans are off.
    /// Must be called inside a Tokio runtime (the gRPC channel runs on it).
    pub(crate) fn build(
        root_spans: RootSpans,
        ratio: f64,
        target: &Target,
    ) -> Result<Option<RootSpanExporter>, TelemetryError> {
        let (otel, sink) = match root_spans {
            RootSpans::Off => return Ok(None),
            RootSpans::Otlp(otel) => match telemetry::build_exporter(&otel)? {
                // `OTEL_TRACES_EXPORTER=none`.
                None => return Ok(None),
                Some(exporter) => (otel, SpanSink::new(exporter)),
            },
            RootSpans::Exporter { otel, exporter } => (otel, exporter),
        };
        let exported = Arc::new(AtomicU64::new(0));
        let exporter = CountingExporter {
            inner: sink,
            exported: exported.clone(),
        };
        let processor = BatchSpanProcessor::builder(exporter)
            .with_batch_config(batch_config(&otel))
            .build();
        // The configuration's resource; the run's own sampler and ids.
        let provider = telemetry::base_builder(&otel)
            .with_sampler(Sampler::TraceIdRatioBased(ratio))
            .with_id_generator(PlannedIds::default())
            .with_span_processor(processor)
            .build();
        let tracer = provider.tracer_with_scope(
            InstrumentationScope::builder("loadgen")
                .with_version(env!("CARGO_PKG_VERSION"))
                .build(),
        );
        Ok(Some(RootSpanExporter {
            provider,
            tracer,
            exported,
            server_address: Arc::from(target.host()),
            server_port: i64::from(target.port()),
        }))
    }

    /// Ends the CLIENT span of one request, from `start` to `end`.
    pub(crate) fn record(&self, span: ClientSpan<'_>) {
        let ClientSpan {
            ids,
            scenario,
            url_full,
            start,
            end,
            status,
            outcome,
            failure,
        } = span;
        let mut attributes = Vec::with_capacity(7);
        attributes.push(KeyValue::new("http.request.method", scenario.method_name()));
        attributes.push(KeyValue::new("url.full", url_full.clone()));
        attributes.push(KeyValue::new("server.address", self.server_address.clone()));
        attributes.push(KeyValue::new("server.port", self.server_port));
        if let Some(code) = status {
            attributes.push(KeyValue::new("http.response.status_code", i64::from(code)));
        }
        attributes.push(KeyValue::new("loadgen.scenario", scenario.name()));
        let error = match (status, outcome) {
            (Some(code), _) if code >= 400 => Some((code.to_string(), format!("HTTP {code}"))),
            (None, outcome) => Some((
                outcome.name().to_owned(),
                failure.unwrap_or_default().to_owned(),
            )),
            _ => None,
        };
        if let Some((error_type, _)) = &error {
            attributes.push(KeyValue::new("error.type", error_type.clone()));
        }
        let builder = SpanBuilder::from_name(scenario.span_name())
            .with_kind(SpanKind::Client)
            .with_start_time(start)
            .with_attributes(attributes);
        PLANNED.set(Some((ids.trace_id, ids.span_id)));
        let mut span = self.tracer.build_with_context(builder, &Context::new());
        PLANNED.set(None);
        if let Some((_, description)) = error {
            span.set_status(Status::error(description));
        }
        span.end_with_timestamp(end);
    }

    /// Flushes and shuts the provider down; the number of spans exported.
    pub(crate) async fn finish(&self) -> (u64, Option<String>) {
        let result = telemetry::shutdown_provider(self.provider.clone()).await;
        (
            self.exported.load(Ordering::Relaxed),
            result.err().map(|e| e.to_string()),
        )
    }
}

/// What one CLIENT span records.
pub(crate) struct ClientSpan<'a> {
    pub(crate) ids: TraceIds,
    pub(crate) scenario: Scenario,
    pub(crate) url_full: &'a Arc<str>,
    pub(crate) start: SystemTime,
    pub(crate) end: SystemTime,
    pub(crate) status: Option<u16>,
    pub(crate) outcome: Outcome,
    pub(crate) failure: Option<&'a str>,
}

/// The SDK's batch settings (which honour `OTEL_BSP_*`), then the
/// configuration's, with a larger queue unless one is configured.
fn batch_config(cfg: &OtelConfig) -> opentelemetry_sdk::trace::BatchConfig {
    let mut batch = BatchConfigBuilder::default();
    match cfg.batch.max_queue_size {
        Some(n) => batch = batch.with_max_queue_size(n),
        None if std::env::var_os("OTEL_BSP_MAX_QUEUE_SIZE").is_none() => {
            batch = batch.with_max_queue_size(DEFAULT_MAX_QUEUE_SIZE)
        }
        None => {}
    }
    if let Some(d) = cfg.batch.scheduled_delay {
        batch = batch.with_scheduled_delay(d);
    }
    if let Some(n) = cfg.batch.max_export_batch_size {
        batch = batch.with_max_export_batch_size(n);
    }
    batch.build()
}

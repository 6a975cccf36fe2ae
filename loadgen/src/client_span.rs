//! The loadgen CLIENT span of each sampled request: the ids of the
//! `traceparent` that was sent (the planner took the decision with the
//! SDK's `TraceIdRatioBased` sampler), the contract's attributes, exported
//! over OTLP by the run's [`SpanPipeline`].

use std::sync::Arc;

use otlp_export::{AttrValue, Batching, SpanPipeline, SpanRecord};

use crate::{
    config::{RootSpans, Target},
    error::LoadError,
    manifest::Outcome,
    plan::TraceIds,
    scenario::Scenario,
};

/// Spans queued at most unless configured: a dropped root span fails a
/// trace, and a generator ends spans much faster than a service.
const DEFAULT_MAX_QUEUE_SIZE: usize = 65_536;

/// Exports one CLIENT span per sampled request of a run.
#[derive(Debug)]
pub(crate) struct ClientSpanExporter {
    pipeline: Arc<SpanPipeline>,
    server_address: Arc<str>,
    server_port: i64,
}

impl ClientSpanExporter {
    /// The exporter the configuration asks for, `None` when spans are off
    /// (`--no-root-span`, `OTEL_TRACES_EXPORTER=none`). Call inside a Tokio
    /// runtime (the sender runs on it).
    pub(crate) fn build(
        root_spans: &RootSpans,
        target: &Target,
    ) -> Result<Option<ClientSpanExporter>, LoadError> {
        let otel = match root_spans {
            RootSpans::Otlp(otel) if otel.exporter == telemetry::ExporterKind::Otlp => otel,
            _ => return Ok(None),
        };
        Ok(Some(ClientSpanExporter {
            pipeline: SpanPipeline::start(
                &otel.destination(),
                &telemetry::resource(otel),
                "loadgen",
                env!("CARGO_PKG_VERSION"),
                otel.batch.or(Batching {
                    max_queue_size: DEFAULT_MAX_QUEUE_SIZE,
                    ..Batching::default()
                }),
            )?,
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
            start_unix_ns,
            end_unix_ns,
            status,
            outcome,
            failure,
        } = span;
        let mut code = itoa::Buffer::new();
        let mut description = String::new();
        let error = match (status, outcome) {
            (Some(c), _) if c >= 400 => {
                description = format!("HTTP {c}");
                Some(code.format(c))
            }
            (None, outcome) => {
                description.push_str(failure.unwrap_or_default());
                Some(outcome.name())
            }
            _ => None,
        };
        let mut attributes = [("", AttrValue::Int(0)); 7];
        let mut n = 0;
        let mut push = |key, value| {
            attributes[n] = (key, value);
            n += 1;
        };
        push(
            "http.request.method",
            AttrValue::Str(scenario.method().as_str()),
        );
        push("url.full", AttrValue::Str(url_full));
        push("server.address", AttrValue::Str(&self.server_address));
        push("server.port", AttrValue::Int(self.server_port));
        if let Some(code) = status {
            push("http.response.status_code", AttrValue::Int(i64::from(code)));
        }
        push("loadgen.scenario", AttrValue::Str(scenario.name()));
        if let Some(error_type) = error {
            push("error.type", AttrValue::Str(error_type));
        }
        self.pipeline.push(&SpanRecord {
            trace_id: ids.trace_id.to_bytes(),
            span_id: ids.span_id.to_bytes(),
            name: scenario.span_name(),
            start_unix_ns,
            end_unix_ns,
            attributes: &attributes[..n],
            error: error.map(|_| description.as_str()),
        });
    }

    /// Exports what is left; the number of spans the receiver accepted and
    /// the last export error, if any.
    pub(crate) async fn finish(&self) -> (u64, Option<String>) {
        self.pipeline.finish().await
    }
}

/// What one CLIENT span records.
pub(crate) struct ClientSpan<'a> {
    pub(crate) ids: TraceIds,
    pub(crate) scenario: &'a Scenario,
    pub(crate) url_full: &'a str,
    /// The actual start, ns since the Unix epoch.
    pub(crate) start_unix_ns: u64,
    /// The end of the answer or the failure, ns since the Unix epoch.
    pub(crate) end_unix_ns: u64,
    pub(crate) status: Option<u16>,
    pub(crate) outcome: Outcome,
    pub(crate) failure: Option<&'a str>,
}

//! The runtime and the OTLP sink the benches share.
//!
//! The sink is a tracestore in discard mode by default: it answers every
//! export and counts its spans without decoding or keeping them, so the
//! exporting benches measure the SDK and the exporter, not a backend's
//! ingest (which in production runs elsewhere). `BENCH_SINK=tracestore`
//! exports into a real, ingesting tracestore instead.

use opentelemetry_sdk::trace::SdkTracerProvider;
use telemetry::{OtelConfig, Protocol, SamplerConfig};
use tokio::runtime::Runtime;
use tracestore::{RunningTraceStore, TraceStore, TraceStoreConfig};

/// Spans the sink keeps before evicting the oldest traces: enough for any
/// one measurement, small enough to keep the bench's memory flat.
const SINK_MAX_SPANS: u64 = 200_000;

/// The environment variable that picks the sink: `discard` (default) or
/// `tracestore`.
pub const SINK_VARIABLE: &str = "BENCH_SINK";

/// Where the exporting benches send their spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// tracestore in discard mode: spans counted, nothing decoded or kept.
    Discard,
    /// tracestore ingesting and indexing every span.
    TraceStore,
}

impl Sink {
    /// The sink `BENCH_SINK` names (`discard` when unset).
    pub fn from_env() -> anyhow::Result<Sink> {
        match std::env::var(SINK_VARIABLE).ok().as_deref().map(str::trim) {
            None | Some("" | "discard") => Ok(Sink::Discard),
            Some("tracestore") => Ok(Sink::TraceStore),
            Some(other) => {
                anyhow::bail!("{SINK_VARIABLE}={other:?}: expected discard or tracestore")
            }
        }
    }
}

/// A multi-threaded Tokio runtime (which drives the gRPC exporters' channels
/// and the sink) and a tracestore on ephemeral loopback ports.
pub struct BenchEnv {
    runtime: Runtime,
    store: Option<RunningTraceStore>,
}

impl BenchEnv {
    /// Starts the runtime and the sink `BENCH_SINK` names.
    pub fn start() -> anyhow::Result<Self> {
        let sink = Sink::from_env()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let config = TraceStoreConfig {
            max_spans: SINK_MAX_SPANS,
            discard: sink == Sink::Discard,
            ..TraceStoreConfig::ephemeral()
        };
        let store = runtime.block_on(TraceStore::start(config))?;
        eprintln!("span sink: {sink:?} (set {SINK_VARIABLE}=discard|tracestore)");
        Ok(BenchEnv {
            runtime,
            store: Some(store),
        })
    }

    /// The runtime; exporters must be built inside it (`runtime().enter()`).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// A telemetry configuration exporting to the sink over `protocol`.
    pub fn otel_config(
        &self,
        service: &str,
        sampler: SamplerConfig,
        protocol: Protocol,
    ) -> OtelConfig {
        let endpoint = match (&self.store, protocol) {
            (Some(s), Protocol::Grpc) => s.otlp_grpc_endpoint(),
            (Some(s), _) => s.otlp_http_endpoint(),
            (None, _) => protocol.default_endpoint().to_owned(),
        };
        OtelConfig::new(service, sampler)
            .with_protocol(protocol)
            .with_endpoint(endpoint)
    }

    /// Spans the sink has accepted since it started (evicted ones included).
    pub fn spans_received(&self) -> u64 {
        self.store.as_ref().map_or(0, |s| s.stats().received_spans)
    }

    /// Flushes and shuts a provider down from outside the runtime's workers.
    pub fn shutdown(&self, provider: SdkTracerProvider) -> anyhow::Result<()> {
        self.runtime
            .block_on(telemetry::shutdown_provider(provider))
            .map_err(Into::into)
    }
}

impl Drop for BenchEnv {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            self.runtime.block_on(store.shutdown());
        }
    }
}

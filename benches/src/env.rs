//! The runtime and the OTLP sink the benches share.

use opentelemetry_sdk::trace::SdkTracerProvider;
use telemetry::{OtelConfig, Protocol, SamplerConfig};
use tokio::runtime::Runtime;
use tracestore::{RunningTraceStore, TraceStore, TraceStoreConfig};

/// Spans the sink keeps before evicting the oldest traces: enough for any
/// one measurement, small enough to keep the bench's memory flat.
const SINK_MAX_SPANS: u64 = 200_000;

/// A multi-threaded Tokio runtime (which drives the gRPC exporters' channels
/// and the sink) and a tracestore on ephemeral loopback ports.
pub struct BenchEnv {
    runtime: Runtime,
    store: Option<RunningTraceStore>,
}

impl BenchEnv {
    /// Starts the runtime and the sink.
    pub fn start() -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let config = TraceStoreConfig {
            max_spans: SINK_MAX_SPANS,
            ..TraceStoreConfig::ephemeral()
        };
        let store = runtime.block_on(TraceStore::start(config))?;
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

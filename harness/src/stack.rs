//! The system under test in one process: tracestore and both services, the
//! services exporting their spans to the store over OTLP/gRPC.

use std::time::Duration;

use opentelemetry_sdk::trace::SdkTracerProvider;
use services::{BoxError, PairConfig, ServicePair, ServiceTracing, faults::Faults};
use telemetry::BatchOptions;
use tracestore::{RunningTraceStore, TraceStore, TraceStoreConfig};

use crate::error::HarnessError;

/// How often the services' batch processors export: short, so that a user
/// of `harness up` sees a trace within a second or so.
pub(crate) const EXPORT_DELAY: Duration = Duration::from_secs(1);

/// Where the stack listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ports {
    /// Every listener on 127.0.0.1 with an OS-chosen port.
    Ephemeral,
    /// The well-known ports: OTLP 4317/4318, Jaeger API 16686, order-api
    /// 8000, payment-service 8001 (all on 127.0.0.1).
    Defaults,
}

/// What to start.
#[derive(Debug, Clone)]
pub struct StackConfig {
    /// Where to listen.
    pub ports: Ports,
    /// Faults injected into both services.
    pub faults: Faults,
    /// The services' sampling and export.
    pub tracing: ServiceTracing,
    /// Where the services export instead of the embedded store (an external
    /// collector or Jaeger); the embedded store is then not started.
    pub otlp_endpoint: Option<String>,
    /// TLS of an `https://` `otlp_endpoint` (CA, client certificate).
    pub otlp_tls: secure_http::TlsArgs,
    /// The embedded store's bounds (`--max-spans`, `--max-bytes`).
    pub bounds: tracestore::cli::BoundArgs,
}

impl Default for StackConfig {
    fn default() -> Self {
        StackConfig {
            ports: Ports::Ephemeral,
            faults: Faults::none(),
            tracing: ServiceTracing::default(),
            otlp_endpoint: None,
            otlp_tls: secure_http::TlsArgs::default(),
            bounds: tracestore::cli::BoundArgs::default(),
        }
    }
}

/// A started stack. Call [`RunningStack::shutdown`] to stop it: the services
/// finish their in-flight requests and flush every span.
pub struct RunningStack {
    store: Option<RunningTraceStore>,
    otlp_endpoint: String,
    services: ServicePair,
}

impl RunningStack {
    /// Starts the store (unless exporting elsewhere), then payment-service,
    /// then order-api pointing at it.
    pub async fn start(config: StackConfig) -> Result<RunningStack, HarnessError> {
        let (store, otlp_endpoint) = match config.otlp_endpoint {
            Some(endpoint) => (None, endpoint),
            None => {
                let mut store_config = match config.ports {
                    Ports::Ephemeral => TraceStoreConfig::ephemeral(),
                    Ports::Defaults => TraceStoreConfig::default(),
                };
                config.bounds.apply(&mut store_config);
                let store = TraceStore::start(store_config).await.map_err(|source| {
                    HarnessError::Store {
                        what: "tracestore",
                        source,
                    }
                })?;
                let endpoint = store.otlp_grpc_endpoint();
                (Some(store), endpoint)
            }
        };
        let (order_api_port, payment_port) = match config.ports {
            Ports::Ephemeral => (0, 0),
            Ports::Defaults => (8000, 8001),
        };
        let pair_config = PairConfig {
            order_api_port,
            payment_port,
            ..PairConfig::default()
        }
        .with_faults(config.faults);
        let services = ServicePair::start(pair_config, |service| {
            provider(service, config.tracing, &otlp_endpoint, &config.otlp_tls)
        })
        .await?;
        Ok(RunningStack {
            store,
            otlp_endpoint,
            services,
        })
    }

    /// Base URL of order-api, the load's target.
    pub fn order_api_url(&self) -> String {
        self.services.order_api_url()
    }

    /// Base URL of payment-service.
    pub fn payment_url(&self) -> String {
        self.services.payment_url()
    }

    /// The OTLP/gRPC endpoint the services export to.
    pub fn otlp_endpoint(&self) -> &str {
        &self.otlp_endpoint
    }

    /// The embedded store, when the stack runs one.
    pub fn store(&self) -> Option<&RunningTraceStore> {
        self.store.as_ref()
    }

    /// Base URL of the embedded store's Jaeger query API.
    pub fn jaeger_url(&self) -> Option<String> {
        self.store.as_ref().map(RunningTraceStore::query_url)
    }

    /// Exports every span the services have ended so far, now rather than
    /// at the next batch tick.
    pub async fn flush(&self) -> Result<(), HarnessError> {
        Ok(self.services.flush().await?)
    }

    /// Stops both services gracefully, flushes their spans, then stops the
    /// store.
    pub async fn shutdown(self) -> Result<(), HarnessError> {
        let stopped = self.services.shutdown().await;
        if let Some(store) = self.store {
            store.shutdown().await;
        }
        Ok(stopped?)
    }
}

/// A service's provider: the stack's sampling, exporting to `endpoint`
/// every [`EXPORT_DELAY`] with the exporter `OTEL_EXPORTER_OTLP_IMPL` names.
fn provider(
    service: &str,
    tracing: ServiceTracing,
    endpoint: &str,
    tls: &secure_http::TlsArgs,
) -> Result<SdkTracerProvider, BoxError> {
    let mut cfg = tracing.otel_config(service).with_endpoint(endpoint);
    cfg.tls = tls.clone();
    cfg.batch = BatchOptions {
        scheduled_delay: Some(EXPORT_DELAY),
        ..BatchOptions::default()
    };
    cfg.otlp_exporter = telemetry::OtlpExporter::from_env()?;
    Ok(telemetry::build_provider(&cfg)?)
}

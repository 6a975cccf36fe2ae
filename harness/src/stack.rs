//! The system under test in one process: tracestore and both services, the
//! services exporting their spans to the store over OTLP/gRPC.

use std::{net::SocketAddr, time::Duration};

use opentelemetry_sdk::trace::SdkTracerProvider;
use services::{Faults, order_api, payment_service};
use telemetry::{BatchOptions, ExporterKind, OtelConfig, SamplerConfig};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};
use tracestore::{RunningTraceStore, TraceStore, TraceStoreConfig};

use crate::error::HarnessError;

/// How often the services' batch processors export: short, so that a user
/// of `harness up` sees a trace within a second or so.
pub const EXPORT_DELAY: Duration = Duration::from_secs(1);

/// Where the stack listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ports {
    /// Every listener on 127.0.0.1 with an OS-chosen port.
    Ephemeral,
    /// The well-known ports: OTLP 4317/4318, Jaeger API 16686, order-api
    /// 8000, payment-service 8001 (all on 127.0.0.1).
    Defaults,
}

/// How the services sample and export.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ServiceTracing {
    /// The instrumentation runs with `parentbased_always_off` and no exporter.
    Off,
    /// This sampler, exporting to the stack's store.
    Sampler(SamplerConfig),
}

impl Default for ServiceTracing {
    fn default() -> Self {
        ServiceTracing::Sampler(SamplerConfig::ParentBasedTraceIdRatio(1.0))
    }
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
    /// The embedded store's span bound.
    pub max_spans: u64,
}

impl Default for StackConfig {
    fn default() -> Self {
        StackConfig {
            ports: Ports::Ephemeral,
            faults: Faults::none(),
            tracing: ServiceTracing::default(),
            otlp_endpoint: None,
            max_spans: TraceStoreConfig::default().max_spans,
        }
    }
}

struct Service {
    addr: SocketAddr,
    provider: SdkTracerProvider,
    task: JoinHandle<std::io::Result<()>>,
}

/// A started stack. Call [`RunningStack::shutdown`] to stop it: the services
/// finish their in-flight requests and flush every span.
pub struct RunningStack {
    store: Option<RunningTraceStore>,
    otlp_endpoint: String,
    order_api: Service,
    payment: Service,
    stop: watch::Sender<bool>,
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
                store_config.max_spans = config.max_spans;
                let store = TraceStore::start(store_config)
                    .await
                    .map_err(|e| HarnessError::Start(format!("tracestore: {e}")))?;
                let endpoint = store.otlp_grpc_endpoint();
                (Some(store), endpoint)
            }
        };
        let (stop, stopped) = watch::channel(false);
        let (order_port, payment_port) = match config.ports {
            Ports::Ephemeral => (0, 0),
            Ports::Defaults => (8000, 8001),
        };

        let payment_provider = provider(
            payment_service::SERVICE_NAME,
            config.tracing,
            &otlp_endpoint,
        )?;
        let payment_config = payment_service::PaymentServiceConfig {
            faults: config.faults.clone(),
            ..Default::default()
        };
        let payment = spawn_service(
            payment_service::SERVICE_NAME,
            payment_port,
            payment_service::router(payment_config, payment_provider.clone()),
            payment_provider,
            stopped.clone(),
        )
        .await?;

        let order_provider = provider(order_api::SERVICE_NAME, config.tracing, &otlp_endpoint)?;
        let payment_url = format!("http://{}", payment.addr)
            .parse()
            .map_err(|e| HarnessError::Start(format!("payment-service URL: {e}")))?;
        let mut order_config = order_api::OrderApiConfig::new(payment_url);
        order_config.faults = config.faults;
        let order_api = spawn_service(
            order_api::SERVICE_NAME,
            order_port,
            order_api::router(order_config, order_provider.clone()),
            order_provider,
            stopped,
        )
        .await?;

        Ok(RunningStack {
            store,
            otlp_endpoint,
            order_api,
            payment,
            stop,
        })
    }

    /// Base URL of order-api, the load's target.
    pub fn order_api_url(&self) -> String {
        format!("http://{}", self.order_api.addr)
    }

    /// Base URL of payment-service.
    pub fn payment_url(&self) -> String {
        format!("http://{}", self.payment.addr)
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
        for provider in [&self.order_api.provider, &self.payment.provider] {
            let provider = provider.clone();
            tokio::task::spawn_blocking(move || provider.force_flush())
                .await
                .map_err(|e| HarnessError::Flush(e.to_string()))?
                .map_err(|e| HarnessError::Flush(e.to_string()))?;
        }
        Ok(())
    }

    /// Stops both services gracefully, flushes their spans, then stops the
    /// store.
    pub async fn shutdown(self) -> Result<(), HarnessError> {
        self.stop.send_replace(true);
        let mut first_error = None;
        for service in [self.order_api, self.payment] {
            let served = service.task.await;
            if let Ok(Err(e)) = &served {
                first_error.get_or_insert(HarnessError::Flush(e.to_string()));
            }
            if let Err(e) = telemetry::shutdown_provider(service.provider).await {
                first_error.get_or_insert(HarnessError::Flush(e.to_string()));
            }
        }
        if let Some(store) = self.store {
            store.shutdown().await;
        }
        first_error.map_or(Ok(()), Err)
    }
}

fn provider(
    service: &str,
    tracing: ServiceTracing,
    endpoint: &str,
) -> Result<SdkTracerProvider, HarnessError> {
    let mut cfg = match tracing {
        ServiceTracing::Off => {
            let mut cfg = OtelConfig::new(service, SamplerConfig::ParentBasedAlwaysOff);
            cfg.exporter = ExporterKind::None;
            cfg
        }
        ServiceTracing::Sampler(sampler) => OtelConfig::new(service, sampler),
    }
    .with_endpoint(endpoint);
    cfg.batch = BatchOptions {
        scheduled_delay: Some(EXPORT_DELAY),
        ..BatchOptions::default()
    };
    cfg.otlp_exporter = telemetry::OtlpExporter::from_env()
        .map_err(|e| HarnessError::Start(format!("{service}: {e}")))?;
    telemetry::build_provider(&cfg).map_err(|e| HarnessError::Start(format!("{service}: {e}")))
}

async fn spawn_service(
    name: &str,
    port: u16,
    router: axum::Router,
    provider: SdkTracerProvider,
    mut stopped: watch::Receiver<bool>,
) -> Result<Service, HarnessError> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
        HarnessError::Start(format!("{name} cannot listen on 127.0.0.1:{port}: {e}"))
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| HarnessError::Start(format!("{name}: {e}")))?;
    let task = tokio::spawn(services::serve(listener, router, async move {
        // Resolves when the flag turns true or the stack is dropped.
        let _ = stopped.wait_for(|stop| *stop).await;
    }));
    Ok(Service {
        addr,
        provider,
        task,
    })
}

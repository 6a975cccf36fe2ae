//! order-api and payment-service in process, for the per-request benches:
//! order-api's router is called directly (no socket on its side), and it
//! calls the payment service over real loopback HTTP, as in production.

use axum::{Router, body::Body};
use http::{Request, header::CONTENT_TYPE};
use opentelemetry_sdk::trace::SdkTracerProvider;
use services::{order_api, payment_service};
use telemetry::{ExporterKind, Protocol, SamplerConfig};
use tokio::{sync::oneshot, task::JoinHandle};
use tower::ServiceExt;

use crate::{env::BenchEnv, workload::Scenario};

/// How the two services trace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tracing {
    /// AlwaysOff sampler and no exporter: the instrumentation runs, nothing is recorded.
    Off,
    /// `parentbased_traceidratio` at this ratio, batch-exporting over OTLP/gRPC.
    Ratio(f64),
}

impl Tracing {
    /// The modes the per-request benches compare.
    pub const ALL: [Tracing; 3] = [Tracing::Off, Tracing::Ratio(0.1), Tracing::Ratio(1.0)];

    /// The mode's bench id.
    pub fn name(self) -> String {
        match self {
            Tracing::Off => "tracing_off".to_owned(),
            Tracing::Ratio(r) => format!("sampler_{r:.1}"),
        }
    }
}

/// The two services, ready to take orders.
pub struct OrderStack {
    order_api: Router,
    providers: Vec<SdkTracerProvider>,
    stop_payment: Option<oneshot::Sender<()>>,
    payment_server: Option<JoinHandle<std::io::Result<()>>>,
}

impl OrderStack {
    /// Starts payment-service on an ephemeral loopback port and builds
    /// order-api's router pointing at it, both tracing as `tracing` says.
    pub fn start(env: &BenchEnv, tracing: Tracing) -> anyhow::Result<Self> {
        let provider = |service: &str| -> anyhow::Result<SdkTracerProvider> {
            let _rt = env.runtime().enter();
            let mut cfg = match tracing {
                Tracing::Off => {
                    env.otel_config(service, SamplerConfig::ParentBasedAlwaysOff, Protocol::Grpc)
                }
                Tracing::Ratio(r) => env.otel_config(
                    service,
                    SamplerConfig::ParentBasedTraceIdRatio(r),
                    Protocol::Grpc,
                ),
            };
            if tracing == Tracing::Off {
                cfg.exporter = ExporterKind::None;
            }
            Ok(telemetry::build_provider(&cfg)?)
        };
        let payment_provider = provider(payment_service::SERVICE_NAME)?;
        let order_provider = provider(order_api::SERVICE_NAME)?;

        let listener = env
            .runtime()
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let payment_url = format!("http://{}", listener.local_addr()?).parse()?;
        let payment = payment_service::router(Default::default(), payment_provider.clone());
        let (stop_payment, stopped) = oneshot::channel::<()>();
        let payment_server = env
            .runtime()
            .spawn(services::serve(listener, payment, async {
                stopped.await.ok();
            }));
        let order_api = order_api::router(
            order_api::OrderApiConfig::new(payment_url),
            order_provider.clone(),
        );
        Ok(OrderStack {
            order_api,
            providers: vec![order_provider, payment_provider],
            stop_payment: Some(stop_payment),
            payment_server: Some(payment_server),
        })
    }

    /// Sends one order through order-api and checks the answer's status.
    pub async fn order(&self, scenario: Scenario) -> anyhow::Result<()> {
        let request = Request::post("/orders")
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(scenario.body()))?;
        let response = self.order_api.clone().oneshot(request).await?;
        let status = response.status().as_u16();
        anyhow::ensure!(
            status == scenario.expected_status(),
            "{} order answered {status}, expected {}",
            scenario.name(),
            scenario.expected_status()
        );
        Ok(())
    }

    /// Exports every span both services have ended so far (the batch
    /// processors' force flush, off the async workers).
    pub async fn flush(&self) -> anyhow::Result<()> {
        for provider in &self.providers {
            let provider = provider.clone();
            tokio::task::spawn_blocking(move || provider.force_flush()).await??;
        }
        Ok(())
    }

    /// Stops the payment service and flushes both services' spans.
    pub fn shutdown(mut self, env: &BenchEnv) -> anyhow::Result<()> {
        if let Some(stop) = self.stop_payment.take() {
            stop.send(()).ok();
        }
        if let Some(server) = self.payment_server.take() {
            env.runtime().block_on(server)??;
        }
        for provider in self.providers.drain(..) {
            env.shutdown(provider)?;
        }
        Ok(())
    }
}

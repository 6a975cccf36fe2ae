//! order-api and payment-service in process ([`services::ServicePair`]),
//! for the per-request benches: order-api's router is called directly (no
//! socket on its side), and it calls the payment service over real
//! loopback HTTP, as in production. The requests are the shipped
//! order/payment scenarios (loadgen/scenarios/order-payment.toml).

use axum::body::Body;
use http::Request;
use loadgen::{SampleRequest, Scenario, ScenarioSet};
use services::{PairConfig, ServicePair, ServiceTracing};
use telemetry::{Protocol, SamplerConfig};
use tower::ServiceExt;

use crate::env::BenchEnv;

/// The tracing modes the per-request benches compare: off (the
/// instrumentation runs, nothing is recorded), then
/// `parentbased_traceidratio` at 0.1 and 1.0, batch-exporting over OTLP/gRPC.
pub const TRACING: [ServiceTracing; 3] = [
    ServiceTracing::Off,
    ServiceTracing::Sampler(SamplerConfig::ParentBasedTraceIdRatio(0.1)),
    ServiceTracing::Sampler(SamplerConfig::ParentBasedTraceIdRatio(1.0)),
];

/// A tracing mode's bench id (`tracing_off`, `sampler_0.1`).
pub fn tracing_name(tracing: ServiceTracing) -> String {
    match tracing {
        ServiceTracing::Sampler(SamplerConfig::ParentBasedTraceIdRatio(r)) => {
            format!("sampler_{r:.1}")
        }
        ServiceTracing::Sampler(other) => format!("sampler_{other:?}"),
        ServiceTracing::Off => "tracing_off".to_owned(),
    }
}

/// The shipped scenarios the load sends (weight above 0: valid, invalid,
/// fraud), each with one request rendered from a fixed seed, so that every
/// iteration sends the same bytes.
pub fn order_requests() -> Vec<(Scenario, SampleRequest)> {
    ScenarioSet::order_payment()
        .iter()
        .filter(|s| s.weight() > 0)
        .map(|s| (s.clone(), s.sample(1)))
        .collect()
}

/// The two services, ready to take orders.
pub struct OrderBench {
    services: ServicePair,
}

impl OrderBench {
    /// Starts both services on ephemeral loopback ports, tracing as
    /// `tracing` says and exporting to the env's sink over gRPC.
    pub fn start(env: &BenchEnv, tracing: ServiceTracing) -> anyhow::Result<Self> {
        let services =
            env.runtime()
                .block_on(ServicePair::start(PairConfig::default(), |service| {
                    let mut cfg = tracing.otel_config(service);
                    let sink = env.otel_config(service, cfg.sampler, Protocol::Grpc);
                    cfg.endpoint = sink.endpoint;
                    cfg.protocol = sink.protocol;
                    telemetry::build_provider(&cfg)
                }))?;
        Ok(OrderBench { services })
    }

    /// Sends one request through order-api's router and checks the
    /// answer's status against the scenario's.
    pub async fn send(&self, scenario: &Scenario, request: &SampleRequest) -> anyhow::Result<()> {
        let mut builder = Request::builder()
            .method(request.method.clone())
            .uri(&request.path);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let request = builder.body(Body::from(request.body.clone()))?;
        let response = self.services.order_api_router().oneshot(request).await?;
        let status = response.status().as_u16();
        anyhow::ensure!(
            scenario.expects(status),
            "{} request answered {status}, expected {}",
            scenario.name(),
            scenario.expected_text()
        );
        Ok(())
    }

    /// Exports every span both services have ended so far.
    pub async fn flush(&self) -> anyhow::Result<()> {
        Ok(self.services.flush().await?)
    }

    /// Stops both services and flushes their spans.
    pub fn shutdown(self, env: &BenchEnv) -> anyhow::Result<()> {
        Ok(env.runtime().block_on(self.services.shutdown())?)
    }
}

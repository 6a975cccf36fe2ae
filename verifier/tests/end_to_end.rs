//! The real thing: order-api and payment-service export through the real
//! OTLP exporter into tracestore, driven by the real loadgen (its CLIENT root
//! spans and its manifest); the verifier reads them back over /api/v3 and v1.
//! Correct services pass; a fault injected into the services is caught.

use std::path::Path;
use std::time::Duration;

use loadgen::SamplerChoice;
use opentelemetry_sdk::trace::SdkTracerProvider;
use services::{Faults, order_api, payment_service};
use telemetry::{BatchOptions, OtelConfig, SamplerConfig};
use tracestore::{RunningTraceStore, TraceStore, TraceStoreConfig};
use verifier::{ApiChoice, Manifest, Rule, Verdict, VerifyConfig};

/// Export every 100 ms so the test does not wait for the 5 s default.
fn otel(service: &str, store: &RunningTraceStore) -> OtelConfig {
    let mut config = OtelConfig::new(service, SamplerConfig::ParentBasedTraceIdRatio(1.0))
        .with_endpoint(store.otlp_grpc_endpoint());
    config.batch = BatchOptions {
        scheduled_delay: Some(Duration::from_millis(100)),
        ..BatchOptions::default()
    };
    config
}

struct System {
    store: RunningTraceStore,
    order_url: String,
    providers: Vec<SdkTracerProvider>,
    stops: Vec<tokio::sync::oneshot::Sender<()>>,
    servers: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl System {
    async fn start(faults: &str) -> System {
        let store = TraceStore::start(TraceStoreConfig::ephemeral())
            .await
            .unwrap();
        let faults: Faults = faults.parse().unwrap();
        let mut system = System {
            store,
            order_url: String::new(),
            providers: Vec::new(),
            stops: Vec::new(),
            servers: Vec::new(),
        };

        let payment_provider =
            telemetry::build_provider(&otel("payment-service", &system.store)).unwrap();
        let payment_config = payment_service::PaymentServiceConfig {
            faults: faults.clone(),
            ..Default::default()
        };
        let payment_url = system
            .serve(payment_service::router(
                payment_config,
                payment_provider.clone(),
            ))
            .await;
        system.providers.push(payment_provider);

        let order_provider = telemetry::build_provider(&otel("order-api", &system.store)).unwrap();
        let mut order_config =
            order_api::OrderApiConfig::new(reqwest::Url::parse(&payment_url).unwrap());
        order_config.faults = faults;
        system.order_url = system
            .serve(order_api::router(order_config, order_provider.clone()))
            .await;
        system.providers.push(order_provider);
        system
    }

    async fn serve(&mut self, router: axum::Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        self.servers
            .push(tokio::spawn(services::serve(listener, router, async {
                stopped.await.ok();
            })));
        self.stops.push(stop);
        url
    }

    /// Drives the services with the loadgen: every scenario, the traces
    /// sampled as `sampler` says.
    async fn load(&self, manifest: &Path, requests: u64, sampler: SamplerChoice, root_spans: bool) {
        use loadgen::{LoadConfig, RootSpans, Target};
        let mut config = LoadConfig::new(Target::parse(&self.order_url).unwrap(), 400.0);
        config.requests = Some(requests);
        config.mix = Some("valid=4,invalid=2,fraud=2,health=2".parse().unwrap());
        config.sampler = sampler;
        config.seed = 7;
        config.connections = 4;
        config.manifest = Some(manifest.to_owned());
        config.root_spans = if root_spans {
            RootSpans::otlp(otel("loadgen", &self.store))
        } else {
            RootSpans::Off
        };
        let report = loadgen::run(config, std::future::pending()).await.unwrap();
        drop(report);
    }

    /// Stops the services and flushes every span they recorded.
    async fn stop(&mut self) {
        for stop in self.stops.drain(..) {
            stop.send(()).ok();
        }
        for server in self.servers.drain(..) {
            server.await.unwrap().unwrap();
        }
        for provider in self.providers.drain(..) {
            telemetry::shutdown_provider(provider).await.unwrap();
        }
    }
}

/// Half of the traces sampled by the loadgen.
const HALF: SamplerChoice = SamplerChoice::Ratio(0.5);

fn config(store: &RunningTraceStore, manifest: &Path, api: ApiChoice) -> VerifyConfig {
    let mut config = VerifyConfig::new(store.query_url());
    config.api = api;
    config.manifest = Some(Manifest::from_paths(&[manifest]).unwrap());
    config.sampling_ratio = Some(0.5);
    config.settle = Duration::from_secs(10);
    config.poll_interval = Duration::from_millis(200);
    config.quiet_period = Duration::from_secs(1);
    config.max_traces = 16; // forces window splitting against a real store
    config
}

fn explain(verdict: &Verdict) -> String {
    verifier::render::render_text(verdict, Default::default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_services_pass_over_v3_and_v1() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("run.jsonl");
    let mut system = System::start("").await;
    system.load(&manifest, 80, HALF, true).await;
    system.stop().await;
    for api in [ApiChoice::V3, ApiChoice::V1] {
        let verdict = verifier::verify(&config(&system.store, &manifest, api))
            .await
            .unwrap();
        assert!(verdict.passed(), "{api:?}\n{}", explain(&verdict));
        let sampling = verdict.sampling.as_ref().unwrap();
        assert_eq!(sampling.requests, 80);
        assert_eq!(
            verdict.summary.checked, sampling.sampled,
            "every sampled request checked"
        );
        assert!(verdict.summary.checked > 10, "{}", explain(&verdict));
        for scenario in ["valid", "invalid", "fraud", "health"] {
            assert!(
                verdict
                    .summary
                    .scenarios
                    .get(scenario)
                    .is_some_and(|s| s.passed > 0),
                "{scenario}: {}",
                explain(&verdict)
            );
        }
    }
    system.store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unexported_loadgen_spans_pass_with_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("run.jsonl");
    let mut system = System::start("").await;
    system.load(&manifest, 30, HALF, false).await;
    system.stop().await;
    let verdict = verifier::verify(&config(&system.store, &manifest, ApiChoice::Auto))
        .await
        .unwrap();
    assert!(verdict.passed(), "{}", explain(&verdict));
    assert!(verdict.summary.checked > 5);
    system.store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampler_none_traces_rooted_at_the_service_pass() {
    // No traceparent: the services sample (at 1.0 here) and the manifest
    // takes trace id, sampled flag and the SERVER span id from traceresponse.
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("run.jsonl");
    let mut system = System::start("").await;
    system.load(&manifest, 30, SamplerChoice::None, true).await;
    system.stop().await;
    let mut config = config(&system.store, &manifest, ApiChoice::Auto);
    config.sampling_ratio = Some(1.0);
    let verdict = verifier::verify(&config).await.unwrap();
    assert!(verdict.passed(), "{}", explain(&verdict));
    assert_eq!(verdict.summary.checked, 30, "{}", explain(&verdict));
    system.store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_in_the_services_are_caught() {
    for (fault, rule) in [
        ("orphan-span", Rule::Orphan),
        ("wrong-kind", Rule::CrossServiceEdge),
        ("no-error-status", Rule::ErrorStatus),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("run.jsonl");
        let mut system = System::start(fault).await;
        system.load(&manifest, 30, HALF, true).await;
        system.stop().await;
        let mut config = config(&system.store, &manifest, ApiChoice::Auto);
        config.settle = Duration::from_secs(2);
        let verdict = verifier::verify(&config).await.unwrap();
        assert!(!verdict.passed(), "{fault}");
        assert!(
            verdict.failures_of(rule).count() > 0,
            "{fault} should break {rule}:\n{}",
            explain(&verdict)
        );
        system.store.shutdown().await;
    }
}

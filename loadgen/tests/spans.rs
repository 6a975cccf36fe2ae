//! The loadgen CLIENT span of each sampled request: ids, attributes and
//! statuses per the contract, into an exporter and over OTLP into tracestore.

mod common;

use std::{
    collections::HashMap,
    future::pending,
    sync::{Arc, Mutex},
    time::{Duration, UNIX_EPOCH},
};

use common::{Behaviour, TestTarget, closed_port};
use loadgen::{
    LoadConfig, ManifestRecord, Outcome, RootSpans, SamplerChoice, Scenario, SpanSink, Target,
    read_manifest,
};
use opentelemetry::{
    Value,
    trace::{SpanId, SpanKind, Status},
};
use opentelemetry_sdk::{
    Resource,
    error::OTelSdkResult,
    trace::{SpanData, SpanExporter},
};
use telemetry::{ExporterKind, OtelConfig, SamplerConfig};

/// Keeps every exported span and the resource, past the provider's shutdown.
#[derive(Debug, Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<Vec<SpanData>>>,
    resource: Arc<Mutex<Option<Resource>>>,
}

impl SpanExporter for Recorder {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.spans.lock().unwrap().extend(batch);
        Ok(())
    }
    fn set_resource(&mut self, resource: &Resource) {
        *self.resource.lock().unwrap() = Some(resource.clone());
    }
}

fn with_recorder(config: &mut LoadConfig) -> Recorder {
    let recorder = Recorder::default();
    config.root_spans = RootSpans::Exporter {
        otel: OtelConfig::new("loadgen", SamplerConfig::AlwaysOn),
        exporter: SpanSink::new(recorder.clone()),
    };
    recorder
}

async fn run_with_manifest(mut config: LoadConfig) -> (loadgen::Report, Vec<ManifestRecord>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.jsonl");
    config.manifest = Some(path.clone());
    let report = loadgen::run(config, pending()).await.unwrap();
    (report, read_manifest(&path).unwrap())
}

fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn epoch_us(t: std::time::SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_micros() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sampled_request_exports_its_client_span_with_the_sent_ids() {
    let target = TestTarget::start(Behaviour::default()).await;
    let mut config = target.config(2000.0, 400);
    config.sampler = SamplerChoice::Ratio(0.5);
    config.mix = "valid=1,invalid=1,fraud=1,health=1".parse().unwrap();
    let recorder = with_recorder(&mut config);
    let (report, manifest) = run_with_manifest(config).await;

    let spans = recorder.spans.lock().unwrap().clone();
    let sampled: Vec<&ManifestRecord> = manifest
        .iter()
        .filter(|r| r.sampled == Some(true))
        .collect();
    assert!(!sampled.is_empty() && sampled.len() < manifest.len());
    assert_eq!(spans.len(), sampled.len());
    assert_eq!(report.tracing.root_spans_exported, spans.len() as u64);
    assert_eq!(report.tracing.root_spans_ended, spans.len() as u64);
    assert!(report.runs[0].root_spans && report.passed(), "{report}");
    for r in &manifest {
        assert_eq!(r.root_span, r.sampled == Some(true), "{r:?}");
    }

    let by_trace: HashMap<String, &ManifestRecord> = manifest
        .iter()
        .map(|r| (r.trace_id.clone().unwrap(), r))
        .collect();
    let resource = recorder.resource.lock().unwrap().clone().unwrap();
    assert_eq!(
        resource.get(&"service.name".into()),
        Some(Value::from("loadgen"))
    );
    for span in &spans {
        let r = by_trace[&span.span_context.trace_id().to_string()];
        assert_eq!(
            span.span_context.span_id().to_string(),
            r.span_id.clone().unwrap(),
            "the traceparent's parent id"
        );
        assert!(span.span_context.is_sampled());
        assert_eq!(
            span.parent_span_id,
            SpanId::INVALID,
            "the loadgen span is the root"
        );
        assert_eq!(span.span_kind, SpanKind::Client);
        assert_eq!(span.name, r.scenario.span_name());
        assert_eq!(span.instrumentation_scope.name(), "loadgen");
        assert_eq!(
            span.instrumentation_scope.version(),
            Some(env!("CARGO_PKG_VERSION"))
        );
        let url = format!("{}{}", target.url(), r.scenario.path());
        assert_eq!(
            attr(span, "http.request.method"),
            Some(&Value::from(r.scenario.method_name()))
        );
        assert_eq!(attr(span, "url.full"), Some(&Value::from(url)));
        assert_eq!(
            attr(span, "server.address"),
            Some(&Value::from("127.0.0.1"))
        );
        assert_eq!(
            attr(span, "server.port"),
            Some(&Value::I64(i64::from(target.addr.port())))
        );
        assert_eq!(
            attr(span, "loadgen.scenario"),
            Some(&Value::from(r.scenario.name()))
        );
        let status = r.status.unwrap();
        assert_eq!(
            attr(span, "http.response.status_code"),
            Some(&Value::I64(i64::from(status)))
        );
        if status >= 400 {
            assert!(matches!(span.status, Status::Error { .. }), "{span:?}");
            assert_eq!(
                attr(span, "error.type"),
                Some(&Value::from(status.to_string()))
            );
        } else {
            assert_eq!(span.status, Status::Unset);
            assert_eq!(attr(span, "error.type"), None);
        }
        // The span covers the exchange: from the actual start to the answer.
        assert!(epoch_us(span.start_time).abs_diff(r.actual_start_us) <= 1);
        let end = r.intended_start_us + r.latency_us;
        assert!(epoch_us(span.end_time).abs_diff(end) <= 1);
    }
    let kinds: Vec<Scenario> = spans
        .iter()
        .map(|s| by_trace[&s.span_context.trace_id().to_string()].scenario)
        .collect();
    for scenario in Scenario::ALL {
        assert!(kinds.contains(&scenario), "a {scenario} span");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_requests_end_their_span_in_error_with_the_failure_kind() {
    let down = closed_port();
    let mut config = LoadConfig::new(Target::parse(&format!("http://{down}")).unwrap(), 500.0);
    config.duration = None;
    config.requests = Some(20);
    let recorder = with_recorder(&mut config);
    let report = loadgen::run(config, pending()).await.unwrap();
    assert_eq!(report.overall.errors.connect, 20);

    let slow = TestTarget::start(Behaviour {
        delay: Some(Duration::from_secs(2)),
        ..Behaviour::default()
    })
    .await;
    let mut config = slow.config(200.0, 10);
    config.timeout = Duration::from_millis(100);
    let slow_recorder = with_recorder(&mut config);
    let report = loadgen::run(config, pending()).await.unwrap();
    assert_eq!(report.overall.errors.timeout, 10);

    for (recorder, kind, n) in [(recorder, "connect", 20), (slow_recorder, "timeout", 10)] {
        let spans = recorder.spans.lock().unwrap().clone();
        assert_eq!(spans.len(), n);
        for span in &spans {
            assert!(
                matches!(&span.status, Status::Error { description } if description.starts_with(kind)),
                "{span:?}"
            );
            assert_eq!(attr(span, "error.type"), Some(&Value::from(kind)));
            assert_eq!(
                attr(span, "http.response.status_code"),
                None,
                "no answer came"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_traces_exporter_none_means_no_root_span() {
    let target = TestTarget::start(Behaviour::default()).await;
    let mut config = target.config(1000.0, 20);
    let mut otel = OtelConfig::new("loadgen", SamplerConfig::AlwaysOn);
    otel.exporter = ExporterKind::None;
    config.root_spans = RootSpans::Otlp(otel);
    let (report, manifest) = run_with_manifest(config).await;
    assert!(!report.runs[0].root_spans);
    assert!(
        manifest
            .iter()
            .all(|r| !r.root_span && r.sampled == Some(true) && r.outcome == Outcome::Ok)
    );
    assert!(
        target.seen().iter().all(|s| s.traceparent.is_some()),
        "the traceparent is still sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_spans_that_cannot_be_exported_fail_the_run() {
    let target = TestTarget::start(Behaviour::default()).await;
    let mut config = target.config(1000.0, 20);
    let nowhere = format!("http://{}", closed_port());
    config.root_spans =
        RootSpans::Otlp(OtelConfig::new("loadgen", SamplerConfig::AlwaysOn).with_endpoint(nowhere));
    let report = loadgen::run(config, pending()).await.unwrap();
    assert_eq!(report.overall.ok, 20, "the requests themselves went well");
    assert_eq!(report.tracing.root_spans_ended, 20);
    assert_eq!(report.tracing.root_spans_exported, 0);
    assert!(!report.passed());
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("20 of 20 loadgen CLIENT spans were not exported")),
        "{:?}",
        report.problems
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_spans_reach_tracestore_over_otlp() {
    let store = tracestore::TraceStore::start(tracestore::TraceStoreConfig::ephemeral())
        .await
        .unwrap();
    let target = TestTarget::start(Behaviour::default()).await;
    let mut config = target.config(1000.0, 100);
    config.mix = "valid=1,fraud=1".parse().unwrap();
    config.root_spans = RootSpans::Otlp(
        OtelConfig::new("loadgen", SamplerConfig::AlwaysOn)
            .with_endpoint(store.otlp_grpc_endpoint()),
    );
    let (report, manifest) = run_with_manifest(config).await;
    assert_eq!(report.tracing.root_spans_exported, 100, "{report}");
    assert!(store.wait_for_spans(100, Duration::from_secs(10)).await);

    let http = reqwest::Client::new();
    for r in manifest.iter().take(5) {
        let url = format!(
            "{}/api/v3/traces/{}",
            store.query_url(),
            r.trace_id.as_deref().unwrap()
        );
        let body: serde_json::Value = http.get(&url).send().await.unwrap().json().await.unwrap();
        let resource_spans = &body["result"]["resourceSpans"][0];
        let service = resource_spans["resource"]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == "service.name")
            .unwrap();
        assert_eq!(service["value"]["stringValue"], "loadgen");
        let scope_spans = &resource_spans["scopeSpans"][0];
        assert_eq!(scope_spans["scope"]["name"], "loadgen");
        let span = &scope_spans["spans"][0];
        assert_eq!(span["spanId"], r.span_id.as_deref().unwrap());
        assert_eq!(span["kind"], 3, "CLIENT");
        assert!(span["parentSpanId"].as_str().unwrap_or("").is_empty());
        let error = span["status"]["code"] == 2;
        assert_eq!(error, r.scenario == Scenario::Fraud, "{span}");
    }
    store.shutdown().await;
}

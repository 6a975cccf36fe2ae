//! The loadgen CLIENT span of each sampled request: ids, attributes and
//! statuses per the contract, into an exporter and over OTLP into tracestore.

mod common;

use std::{collections::HashMap, future::pending, time::Duration};

use common::{Behaviour, TestTarget, closed_port, run_with_manifest};
use loadgen::{LoadConfig, ManifestRecord, Outcome, RootSpans, SamplerChoice, ScenarioSet, Target};
use opentelemetry_proto::tonic::{
    common::v1::{AnyValue, any_value},
    trace::v1::{Span, status::StatusCode},
};
use telemetry::{ExporterKind, OtelConfig, Protocol, SamplerConfig};
use testkit::OtlpReceiver;

/// Root spans over OTLP/HTTP protobuf into `receiver`.
fn into_receiver(config: &mut LoadConfig, receiver: &OtlpReceiver) {
    config.root_spans = RootSpans::otlp(
        OtelConfig::new("loadgen", SamplerConfig::AlwaysOn)
            .with_protocol(Protocol::HttpProtobuf)
            .with_endpoint(receiver.endpoint(Protocol::HttpProtobuf)),
    );
}

fn attr<'a>(span: &'a Span, key: &str) -> Option<&'a any_value::Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v: &AnyValue| v.value.as_ref())
}

fn string(s: &str) -> any_value::Value {
    any_value::Value::StringValue(s.to_owned())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sampled_request_exports_its_client_span_with_the_sent_ids() {
    let target = TestTarget::start(Behaviour::default()).await;
    let mut config = target.config(2000.0, 400);
    config.sampler = SamplerChoice::Ratio(0.5);
    config.mix = Some("valid=1,invalid=1,fraud=1,health=1".parse().unwrap());
    let receiver = OtlpReceiver::start(vec![]).await;
    into_receiver(&mut config, &receiver);
    let (report, manifest) = run_with_manifest(config).await;

    let spans = receiver.spans();
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
    for received in receiver.received() {
        let resource_spans = &received.request.resource_spans[0];
        let resource = resource_spans.resource.as_ref().unwrap();
        let service = resource.attributes.iter().find(|a| a.key == "service.name");
        assert_eq!(
            service.and_then(|a| a.value.as_ref()?.value.clone()),
            Some(string("loadgen"))
        );
        let scope = resource_spans.scope_spans[0].scope.as_ref().unwrap();
        assert_eq!(scope.name, "loadgen");
        assert_eq!(scope.version, env!("CARGO_PKG_VERSION"));
    }
    let set = ScenarioSet::order_payment();
    for span in &spans {
        let r = by_trace[&hex(&span.trace_id)];
        let scenario = set.get(set.position(&r.scenario).unwrap()).unwrap();
        let path = if r.scenario == "health" {
            "/health"
        } else {
            "/orders"
        };
        assert_eq!(
            hex(&span.span_id),
            r.span_id.clone().unwrap(),
            "the traceparent's parent id"
        );
        assert_eq!(span.flags & 0x1, 1, "sampled");
        assert!(
            span.parent_span_id.is_empty(),
            "the loadgen span is the root"
        );
        assert_eq!(span.kind, 3, "CLIENT");
        assert_eq!(span.name, scenario.span_name());
        let url = format!("{}{path}", target.url());
        assert_eq!(
            attr(span, "http.request.method"),
            Some(&string(scenario.method().as_str()))
        );
        assert_eq!(attr(span, "url.full"), Some(&string(&url)));
        assert_eq!(attr(span, "server.address"), Some(&string("127.0.0.1")));
        assert_eq!(
            attr(span, "server.port"),
            Some(&any_value::Value::IntValue(i64::from(target.addr.port())))
        );
        assert_eq!(attr(span, "loadgen.scenario"), Some(&string(&r.scenario)));
        let status = r.status.unwrap();
        assert_eq!(
            attr(span, "http.response.status_code"),
            Some(&any_value::Value::IntValue(i64::from(status)))
        );
        let span_status = span.status.clone().unwrap_or_default();
        if status >= 400 {
            assert_eq!(span_status.code, StatusCode::Error as i32, "{span:?}");
            assert_eq!(span_status.message, format!("HTTP {status}"));
            assert_eq!(attr(span, "error.type"), Some(&string(&status.to_string())));
        } else {
            assert_eq!(span_status.code, StatusCode::Unset as i32);
            assert_eq!(attr(span, "error.type"), None);
        }
        // The span covers the exchange: from the actual start to the answer.
        assert!((span.start_time_unix_nano / 1000).abs_diff(r.actual_start_us) <= 1);
        let end = r.intended_start_us + r.latency_us;
        assert!((span.end_time_unix_nano / 1000).abs_diff(end) <= 1);
    }
    let kinds: Vec<&str> = spans
        .iter()
        .map(|s| by_trace[&hex(&s.trace_id)].scenario.as_str())
        .collect();
    for scenario in ["valid", "invalid", "fraud", "health"] {
        assert!(kinds.contains(&scenario), "a {scenario} span");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_requests_end_their_span_in_error_with_the_failure_kind() {
    let down = closed_port();
    let mut config = LoadConfig::new(Target::parse(&format!("http://{down}")).unwrap(), 500.0);
    config.duration = None;
    config.requests = Some(20);
    let receiver = OtlpReceiver::start(vec![]).await;
    into_receiver(&mut config, &receiver);
    let report = loadgen::run(config, pending()).await.unwrap();
    assert_eq!(report.overall.errors.connect, 20);

    let slow = TestTarget::answering_after(Duration::from_secs(2)).await;
    let mut config = slow.config(200.0, 10);
    config.timeout = Duration::from_millis(100);
    let slow_receiver = OtlpReceiver::start(vec![]).await;
    into_receiver(&mut config, &slow_receiver);
    let report = loadgen::run(config, pending()).await.unwrap();
    assert_eq!(report.overall.errors.timeout, 10);

    for (receiver, kind, n) in [(receiver, "connect", 20), (slow_receiver, "timeout", 10)] {
        let spans = receiver.spans();
        assert_eq!(spans.len(), n);
        for span in &spans {
            let status = span.status.clone().unwrap_or_default();
            assert_eq!(status.code, StatusCode::Error as i32, "{span:?}");
            assert!(status.message.starts_with(kind), "{span:?}");
            assert_eq!(attr(span, "error.type"), Some(&string(kind)));
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
    config.root_spans = RootSpans::otlp(otel);
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
        RootSpans::otlp(OtelConfig::new("loadgen", SamplerConfig::AlwaysOn).with_endpoint(nowhere));
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
async fn root_spans_reach_tracestore_over_each_otlp_protocol() {
    let store = tracestore::TraceStore::start(tracestore::TraceStoreConfig::ephemeral())
        .await
        .unwrap();
    let target = TestTarget::start(Behaviour::default()).await;
    let http = reqwest::Client::new();
    let mut stored = 0;
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf, Protocol::HttpJson] {
        let mut config = target.config(1000.0, 100);
        config.seed = stored;
        config.mix = Some("valid=1,fraud=1".parse().unwrap());
        let endpoint = match protocol {
            Protocol::Grpc => store.otlp_grpc_endpoint(),
            _ => store.otlp_http_endpoint(),
        };
        config.root_spans = RootSpans::otlp(
            OtelConfig::new("loadgen", SamplerConfig::AlwaysOn)
                .with_protocol(protocol)
                .with_endpoint(endpoint),
        );
        let (report, manifest) = run_with_manifest(config).await;
        assert_eq!(
            report.tracing.root_spans_exported, 100,
            "{protocol}: {report}"
        );
        stored += 100;
        assert!(store.wait_for_spans(stored, Duration::from_secs(10)).await);

        for r in manifest.iter().take(5) {
            let url = format!(
                "{}/api/v3/traces/{}",
                store.query_url(),
                r.trace_id.as_deref().unwrap()
            );
            let body: serde_json::Value =
                http.get(&url).send().await.unwrap().json().await.unwrap();
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
            assert_eq!(span["spanId"], r.span_id.as_deref().unwrap(), "{protocol}");
            assert_eq!(span["kind"], 3, "CLIENT");
            assert!(span["parentSpanId"].as_str().unwrap_or("").is_empty());
            let error = span["status"]["code"] == 2;
            assert_eq!(error, r.scenario == "fraud", "{span}");
        }
    }
    store.shutdown().await;
}

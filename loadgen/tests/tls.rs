//! An `https://` target and OTLP export over TLS, with certificates made at
//! test time: HTTP/2 when the target offers it by ALPN, HTTP/1.1 from a
//! target that offers only that, a client certificate where the target
//! asks for one, spans to a TLS receiver on every protocol, and a wrong CA
//! refused before the load with a one-line message and exit 2.

mod common;

use std::{future::pending, time::Duration};

use axum::http::Version;
use common::{Behaviour, TestTarget};
use loadgen::RootSpans;
use secure_http::test_pki::TestPki;
use telemetry::{OtelConfig, Protocol, SamplerConfig};
use testkit::OtlpReceiver;

/// Runs 20 requests against `target`, trusting `pki`'s CA.
async fn load(target: &TestTarget, pki: &TestPki, client_cert: bool) -> loadgen::Report {
    let mut config = target.config(500.0, 20);
    config.connections = 2;
    config.target_tls.ca_cert = Some(pki.ca_cert.clone());
    if client_cert {
        config.target_tls.client_cert = Some(pki.client_cert.clone());
        config.target_tls.client_key = Some(pki.client_key.clone());
    }
    loadgen::run(config, pending()).await.unwrap()
}

fn versions(target: &TestTarget) -> Vec<Version> {
    target.seen().iter().map(|s| s.version).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_target_that_offers_h2_is_loaded_over_http2() {
    let pki = TestPki::new();
    let tls = pki.server_config(&[b"h2", b"http/1.1"], false);
    let target = TestTarget::start_tls(Behaviour::default(), tls).await;
    let report = load(&target, &pki, false).await;
    assert!(report.passed(), "{report}");
    assert_eq!(target.count(), 20);
    assert!(
        versions(&target).iter().all(|v| *v == Version::HTTP_2),
        "{:?}",
        versions(&target)
    );
    assert!(
        report.runs[0].target.starts_with("https://127.0.0.1:"),
        "{}",
        report.runs[0].target
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_target_without_h2_is_loaded_over_http1() {
    let pki = TestPki::new();
    let tls = pki.server_config(&[b"http/1.1"], false);
    let target = TestTarget::start_tls(Behaviour::default(), tls).await;
    let report = load(&target, &pki, false).await;
    assert!(report.passed(), "{report}");
    assert_eq!(target.count(), 20);
    assert!(
        versions(&target).iter().all(|v| *v == Version::HTTP_11),
        "{:?}",
        versions(&target)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_wants_a_client_certificate_gets_it() {
    let pki = TestPki::new();
    let target =
        TestTarget::start_tls(Behaviour::default(), pki.server_config(&[b"h2"], true)).await;
    let report = load(&target, &pki, true).await;
    assert!(report.passed(), "{report}");
    assert_eq!(target.count(), 20);
    // Without one, the target refuses every connection: nothing arrives.
    let mut config = target.config(500.0, 5);
    config.target_tls.ca_cert = Some(pki.ca_cert.clone());
    config.timeout = Duration::from_secs(2);
    let report = loadgen::run(config, pending()).await.unwrap();
    assert!(!report.passed(), "{report}");
    assert_eq!(target.count(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_ca_stops_the_cli_before_the_load_with_exit_2() {
    let pki = TestPki::new();
    let target =
        TestTarget::start_tls(Behaviour::default(), pki.server_config(&[b"h2"], false)).await;
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"));
    command
        .args(["--target", &target.url(), "--rps", "50", "--requests", "5"])
        .arg("--target-ca-cert")
        .arg(&pki.other_ca_cert)
        .env("OTEL_TRACES_EXPORTER", "none")
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("TLS handshake with https://127.0.0.1:"),
        "{stderr}"
    );
    assert!(stderr.contains("pass --target-ca-cert FILE"), "{stderr}");
    assert_eq!(target.count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_go_to_a_tls_receiver_on_every_protocol_with_mutual_tls() {
    let pki = TestPki::new();
    let receiver =
        OtlpReceiver::start_tls(vec![], pki.server_config(&[b"h2", b"http/1.1"], true)).await;
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf, Protocol::HttpJson] {
        let before = receiver.spans().len();
        let target = TestTarget::start(Behaviour::default()).await;
        let mut config = target.config(500.0, 10);
        let endpoint = receiver.endpoint(protocol);
        assert!(endpoint.starts_with("https://"), "{endpoint}");
        let lookup = |name: &str| match name {
            "OTEL_EXPORTER_OTLP_PROTOCOL" => Some(protocol.to_string()),
            "OTEL_EXPORTER_OTLP_ENDPOINT" => Some(endpoint.clone()),
            "OTEL_EXPORTER_OTLP_CERTIFICATE" => Some(pki.ca_cert.display().to_string()),
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE" => Some(pki.client_cert.display().to_string()),
            "OTEL_EXPORTER_OTLP_CLIENT_KEY" => Some(pki.client_key.display().to_string()),
            _ => None,
        };
        let otel = OtelConfig::from_lookup("loadgen", SamplerConfig::AlwaysOn, lookup).unwrap();
        config.root_spans = RootSpans::otlp(otel);
        let report = loadgen::run(config, pending()).await.unwrap();
        assert_eq!(
            report.tracing.root_spans_exported, 10,
            "{protocol}: {report}"
        );
        assert!(
            report.passed(),
            "{protocol}: {}",
            report.problems.join(" | ")
        );
        assert_eq!(receiver.spans().len() - before, 10, "{protocol}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_to_a_receiver_with_an_untrusted_certificate_are_lost_and_said_why() {
    let pki = TestPki::new();
    let receiver = OtlpReceiver::start_tls(vec![], pki.server_config(&[b"h2"], false)).await;
    let target = TestTarget::start(Behaviour::default()).await;
    let mut config = target.config(500.0, 5);
    let mut otel = OtelConfig::new("loadgen", SamplerConfig::AlwaysOn)
        .with_endpoint(receiver.endpoint(Protocol::Grpc));
    otel.tls.ca_cert = Some(pki.other_ca_cert.clone());
    config.root_spans = RootSpans::otlp(otel);
    let report = loadgen::run(config, pending()).await.unwrap();
    assert_eq!(report.tracing.root_spans_exported, 0, "{report}");
    let problems = report.problems.join(" | ");
    assert!(
        problems.contains("set OTEL_EXPORTER_OTLP_CERTIFICATE=FILE"),
        "{problems}"
    );
    assert!(receiver.received().is_empty());
}

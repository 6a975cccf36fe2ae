//! The embedded services export over TLS with the CA the harness gives
//! them (`StackConfig::otlp_tls`, which `harness run --jaeger https://..
//! --ca-cert` fills for the derived OTLP endpoint), with certificates made
//! at test time: with that CA the spans arrive, with an unrelated one none
//! do.

use harness::{RunningStack, StackConfig};
use secure_http::test_pki::TestPki;
use testkit::OtlpReceiver;

/// Starts the stack exporting to `receiver` trusting `ca`, sends one
/// request, flushes; the spans the receiver got.
async fn spans_arriving(receiver: &OtlpReceiver, ca: &std::path::Path) -> usize {
    let stack = RunningStack::start(StackConfig {
        otlp_endpoint: Some(receiver.endpoint(telemetry::Protocol::Grpc)),
        otlp_tls: secure_http::TlsArgs {
            ca_cert: Some(ca.to_owned()),
            ..Default::default()
        },
        ..StackConfig::default()
    })
    .await
    .unwrap();
    let answer = reqwest::Client::new()
        .post(format!("{}/orders", stack.order_api_url()))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 422, "an invalid order");
    let _ = stack.flush().await;
    let _ = stack.shutdown().await;
    receiver.spans().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_services_export_over_tls_trusting_the_ca_they_are_given() {
    let pki = TestPki::new();
    let receiver = OtlpReceiver::start_tls(vec![], pki.server_config(&[b"h2"], false)).await;
    assert_eq!(spans_arriving(&receiver, &pki.other_ca_cert).await, 0);
    assert!(spans_arriving(&receiver, &pki.ca_cert).await > 0);
}

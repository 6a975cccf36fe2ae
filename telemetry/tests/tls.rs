//! The services' exporters over TLS, with certificates made at test time:
//! both implementations (`otlp-export`'s and `opentelemetry-otlp`'s) on
//! gRPC and HTTP trust the CA named by `OTEL_EXPORTER_OTLP_CERTIFICATE` (its
//! `TRACES_` variant winning) and show the client certificate of
//! `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` / `_CLIENT_KEY` to a receiver
//! that requires one; a key file that is not one is refused naming its
//! variable.

use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use secure_http::test_pki::TestPki;
use telemetry::{OtelConfig, OtlpExporter, Protocol, SamplerConfig};
use testkit::OtlpReceiver;

fn config(pki: &TestPki, receiver: &OtlpReceiver, protocol: Protocol, ca: &str) -> OtelConfig {
    let endpoint = receiver.endpoint(protocol);
    let lookup = |name: &str| match name {
        "OTEL_EXPORTER_OTLP_PROTOCOL" => Some(protocol.to_string()),
        "OTEL_EXPORTER_OTLP_ENDPOINT" => Some(endpoint.clone()),
        // The generic variable names an unrelated CA: the traces one wins.
        "OTEL_EXPORTER_OTLP_CERTIFICATE" => Some(pki.other_ca_cert.display().to_string()),
        "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE" => Some(ca.to_owned()),
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE" => Some(pki.client_cert.display().to_string()),
        "OTEL_EXPORTER_OTLP_CLIENT_KEY" => Some(pki.client_key.display().to_string()),
        _ => None,
    };
    OtelConfig::from_lookup("order-api", SamplerConfig::AlwaysOn, lookup).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_exporters_send_over_mutual_tls_with_the_ca_of_the_variables() {
    let pki = TestPki::new();
    let receiver =
        OtlpReceiver::start_tls(vec![], pki.server_config(&[b"h2", b"http/1.1"], true)).await;
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        for implementation in [OtlpExporter::Direct, OtlpExporter::OpentelemetryOtlp] {
            let before = receiver.spans().len();
            let mut cfg = config(
                &pki,
                &receiver,
                protocol,
                &pki.ca_cert.display().to_string(),
            );
            cfg.otlp_exporter = implementation;
            let provider = telemetry::build_provider(&cfg).unwrap();
            provider.tracer("test").in_span("work", |_| {});
            telemetry::shutdown_provider(provider).await.unwrap();
            assert_eq!(
                receiver.spans().len() - before,
                1,
                "{protocol} {implementation}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_ca_loses_the_spans_and_an_unusable_key_is_refused_naming_its_variable() {
    let pki = TestPki::new();
    let receiver = OtlpReceiver::start_tls(vec![], pki.server_config(&[b"h2"], false)).await;
    for implementation in [OtlpExporter::Direct, OtlpExporter::OpentelemetryOtlp] {
        let mut cfg = config(
            &pki,
            &receiver,
            Protocol::Grpc,
            &pki.other_ca_cert.display().to_string(),
        );
        cfg.otlp_exporter = implementation;
        let provider = telemetry::build_provider(&cfg).unwrap();
        provider.tracer("test").in_span("work", |_| {});
        let _ = telemetry::shutdown_provider(provider).await;
        assert!(receiver.received().is_empty(), "{implementation}");

        cfg.tls.client_key = Some(pki.ca_cert.clone());
        let error = telemetry::build_provider(&cfg).unwrap_err().to_string();
        assert!(
            error.contains("OTEL_EXPORTER_OTLP_CLIENT_KEY"),
            "{implementation}: {error}"
        );
    }
}

//! How the loadgen's spans travel: the configured headers and gzip on both
//! transports, batches by size and by schedule delay, OTLP retries of
//! transient failures and none of permanent ones, partial success, and a
//! full queue, each against a scripted receiver.

mod common;

use std::{future::pending, time::Duration};

use common::{Behaviour, TestTarget};
use loadgen::{Report, RootSpans};
use telemetry::{BatchOptions, Compression, OtelConfig, Protocol, SamplerConfig};
use testkit::{ExportReply, OtlpReceiver};
use tonic::Code;

/// Runs `requests` requests (all sampled) at `rps`, spans to `receiver` as
/// `tune` sets up the configuration.
async fn run(
    receiver: &OtlpReceiver,
    protocol: Protocol,
    requests: u64,
    rps: f64,
    tune: impl FnOnce(&mut OtelConfig),
) -> Report {
    let target = TestTarget::start(Behaviour::default()).await;
    let mut config = target.config(rps, requests);
    let mut otel = OtelConfig::new("loadgen", SamplerConfig::AlwaysOn)
        .with_protocol(protocol)
        .with_endpoint(receiver.endpoint(protocol));
    tune(&mut otel);
    config.root_spans = RootSpans::otlp(otel);
    loadgen::run(config, pending()).await.unwrap()
}

fn problems(report: &Report) -> String {
    report.problems.join(" | ")
}

const PROTOCOLS: [Protocol; 3] = [Protocol::Grpc, Protocol::HttpProtobuf, Protocol::HttpJson];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_and_gzip_reach_the_receiver_on_every_protocol() {
    for protocol in PROTOCOLS {
        let receiver = OtlpReceiver::start(vec![]).await;
        let report = run(&receiver, protocol, 30, 2000.0, |otel| {
            otel.headers = vec![
                ("authorization".into(), "Bearer t0ken".into()),
                ("x-tenant".into(), "ci".into()),
            ];
            otel.compression = Compression::Gzip;
        })
        .await;
        assert_eq!(
            report.tracing.root_spans_exported, 30,
            "{protocol}: {report}"
        );
        assert!(report.passed(), "{protocol}: {}", problems(&report));
        let received = receiver.received();
        assert_eq!(received.iter().map(|r| r.span_count()).sum::<usize>(), 30);
        for r in &received {
            assert_eq!(r.headers["authorization"], "Bearer t0ken", "{protocol}");
            assert_eq!(r.headers["x-tenant"], "ci", "{protocol}");
            let encoding = match protocol {
                Protocol::Grpc => "grpc-encoding",
                _ => "content-encoding",
            };
            assert_eq!(r.headers[encoding], "gzip", "{protocol}: {:?}", r.headers);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_go_in_batches_of_the_configured_size() {
    let receiver = OtlpReceiver::start(vec![]).await;
    let report = run(&receiver, Protocol::HttpProtobuf, 35, 5000.0, |otel| {
        otel.batch = BatchOptions {
            max_export_batch_size: Some(10),
            // No partial batch before the end of the run.
            scheduled_delay: Some(Duration::from_secs(600)),
            ..BatchOptions::default()
        };
    })
    .await;
    assert_eq!(report.tracing.root_spans_exported, 35, "{report}");
    let sizes: Vec<usize> = receiver.received().iter().map(|r| r.span_count()).collect();
    assert_eq!(sizes, [10, 10, 10, 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_batch_goes_when_the_schedule_delay_is_up() {
    let receiver = OtlpReceiver::start(vec![]).await;
    // 40 requests over about 400 ms, a 50 ms delay: exports during the run.
    let report = run(&receiver, Protocol::HttpProtobuf, 40, 100.0, |otel| {
        otel.batch.scheduled_delay = Some(Duration::from_millis(50));
    })
    .await;
    assert_eq!(report.tracing.root_spans_exported, 40, "{report}");
    let requests = receiver.received().len();
    assert!(requests >= 3, "{requests} export requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried_until_accepted() {
    for protocol in PROTOCOLS {
        let failures = [(503, Code::Unavailable), (429, Code::ResourceExhausted)];
        let script = failures
            .map(|(http, grpc)| ExportReply::Fail { http, grpc })
            .to_vec();
        let receiver = OtlpReceiver::start(script).await;
        let report = run(&receiver, protocol, 20, 2000.0, |_| {}).await;
        assert_eq!(
            report.tracing.root_spans_exported, 20,
            "{protocol}: {report}"
        );
        assert!(report.passed(), "{protocol}: {}", problems(&report));
        let received = receiver.received();
        assert_eq!(received.len(), 3, "two failures, then the same batch again");
        assert!(received.iter().all(|r| r.span_count() == 20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_stop_after_three_and_the_loss_is_reported() {
    let script = vec![
        ExportReply::Fail {
            http: 503,
            grpc: Code::Unavailable,
        };
        4
    ];
    let receiver = OtlpReceiver::start(script).await;
    let report = run(&receiver, Protocol::HttpProtobuf, 10, 2000.0, |_| {}).await;
    assert_eq!(
        receiver.received().len(),
        4,
        "one attempt and three retries"
    );
    assert_eq!(report.tracing.root_spans_exported, 0);
    assert!(!report.passed());
    let text = problems(&report);
    assert!(
        text.contains("10 of 10 loadgen CLIENT spans were not exported"),
        "{text}"
    );
    assert!(
        text.contains("after 4 attempts") && text.contains("503"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failures_are_not_retried() {
    for (protocol, code) in [
        (Protocol::Grpc, "InvalidArgument"),
        (Protocol::HttpProtobuf, "400 Bad Request: scripted failure"),
    ] {
        let receiver = OtlpReceiver::start(vec![ExportReply::Fail {
            http: 400,
            grpc: Code::InvalidArgument,
        }])
        .await;
        let report = run(&receiver, protocol, 10, 2000.0, |_| {}).await;
        assert_eq!(receiver.received().len(), 1, "{protocol}: no retry");
        assert_eq!(report.tracing.root_spans_exported, 0);
        let text = problems(&report);
        assert!(text.contains(code), "{protocol}: {text}");
        assert!(text.contains(&receiver.endpoint(protocol)), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_a_receiver_rejects_in_a_partial_success_are_not_counted() {
    for protocol in PROTOCOLS {
        let receiver = OtlpReceiver::start(vec![ExportReply::Partial { rejected: 3 }]).await;
        let report = run(&receiver, protocol, 10, 2000.0, |_| {}).await;
        assert_eq!(
            report.tracing.root_spans_exported, 7,
            "{protocol}: {report}"
        );
        let text = problems(&report);
        assert!(
            text.contains("rejected 3 loadgen spans: scripted rejection")
                && text.contains("3 of 10 loadgen CLIENT spans were not exported"),
            "{protocol}: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_drops_spans_and_says_so() {
    // One batch of 5 in the queue at most; the receiver holds the first
    // request long past the end of the load.
    let receiver = OtlpReceiver::start(vec![ExportReply::Stall(Duration::from_secs(2))]).await;
    let report = run(&receiver, Protocol::HttpProtobuf, 50, 2000.0, |otel| {
        otel.batch = BatchOptions {
            max_queue_size: Some(5),
            max_export_batch_size: Some(5),
            scheduled_delay: Some(Duration::from_secs(600)),
        };
    })
    .await;
    let exported = report.tracing.root_spans_exported;
    assert_eq!(
        exported as usize,
        receiver.spans().len(),
        "what was not dropped arrived"
    );
    assert!((10..50).contains(&exported), "{report}");
    let text = problems(&report);
    assert!(text.contains("export queue was full"), "{text}");
    assert!(
        text.contains(&format!(
            "{} of 50 loadgen CLIENT spans were not exported",
            50 - exported
        )),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_cannot_work_stops_the_run_before_it_starts() {
    let target = TestTarget::start(Behaviour::default()).await;
    for (protocol, endpoint, why) in [
        (
            Protocol::Grpc,
            "ftp://127.0.0.1:4317",
            "expected an http:// or https:// URL",
        ),
        (
            Protocol::HttpProtobuf,
            "ftp://127.0.0.1:4318",
            "expected an http:// or https:// URL",
        ),
        (Protocol::HttpJson, "not a url", "invalid uri character"),
    ] {
        let mut config = target.config(1000.0, 10);
        config.root_spans = RootSpans::otlp(
            OtelConfig::new("loadgen", SamplerConfig::AlwaysOn)
                .with_protocol(protocol)
                .with_endpoint(endpoint),
        );
        let err = loadgen::run(config, pending()).await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(why) && text.contains("cannot export spans"),
            "{text}"
        );
    }
    assert_eq!(target.count(), 0, "no request was sent");
}

//! SIGTERM during load loses no span of a completed request: the real
//! binaries, exporting real OTLP/gRPC to the project's tracestore with a
//! batch delay far longer than the test (so spans leave only through the
//! shutdown flush), are stopped with SIGTERM while requests are in flight;
//! then every completed request's trace is read back through the Jaeger
//! `/api/v3` query API.

#![cfg(unix)]

mod binary;
mod common;

use std::{
    collections::{BTreeSet, HashMap},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use binary::Service;
use common::{Caller, eventually, fraud_order, valid_order};
use opentelemetry::trace::TraceId;
use serde_json::Value;
use tracestore::{TraceStore, TraceStoreConfig};

/// `(service.name, span name)` of every span of a trace, read through
/// `GET /api/v3/traces/{id}` (OTLP JSON; 404 when the store has none).
async fn stored_spans(
    client: &reqwest::Client,
    query_url: &str,
    trace_id: TraceId,
) -> BTreeSet<(String, String)> {
    let response = client
        .get(format!("{query_url}/api/v3/traces/{trace_id}"))
        .send()
        .await
        .unwrap();
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return BTreeSet::new();
    }
    assert!(response.status().is_success(), "{}", response.status());
    let body: Value = response.json().await.unwrap();
    let mut spans = BTreeSet::new();
    for rs in body["result"]["resourceSpans"].as_array().unwrap() {
        let service = rs["resource"]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|kv| kv["key"] == "service.name")
            .and_then(|kv| kv["value"]["stringValue"].as_str())
            .unwrap()
            .to_owned();
        for ss in rs["scopeSpans"].as_array().unwrap() {
            for span in ss["spans"].as_array().unwrap() {
                let inserted =
                    spans.insert((service.clone(), span["name"].as_str().unwrap().to_owned()));
                assert!(inserted, "no span twice in {trace_id}: {span}");
            }
        }
    }
    spans
}

/// The environment of a service whose spans leave only through the
/// shutdown flush: OTLP/gRPC to `otlp`, a batch delay far longer than the
/// test and room for every span.
fn flushed_at_shutdown(otlp: &str) -> [(&str, &str); 5] {
    [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_BSP_SCHEDULE_DELAY", "600000"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "100000"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "100000"),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scenario {
    Valid,
    Invalid,
    Fraud,
    Health,
}

impl Scenario {
    fn pick(n: u64) -> Scenario {
        match n % 10 {
            0 => Scenario::Invalid,
            1 => Scenario::Fraud,
            2 => Scenario::Health,
            _ => Scenario::Valid,
        }
    }

    fn expected_status(self) -> u16 {
        match self {
            Scenario::Valid => 201,
            Scenario::Invalid => 422,
            Scenario::Fraud => 402,
            Scenario::Health => 200,
        }
    }

    fn expected_spans(self) -> BTreeSet<(String, String)> {
        let o = |n: &str| ("order-api".to_owned(), n.to_owned());
        let p = |n: &str| ("payment-service".to_owned(), n.to_owned());
        match self {
            Scenario::Valid => [
                o("POST /orders"),
                o("validate_order"),
                o("POST /payments"),
                o("save_order"),
                p("POST /payments"),
                p("fraud_check"),
                p("charge_payment"),
            ]
            .into(),
            Scenario::Invalid => [o("POST /orders"), o("validate_order")].into(),
            Scenario::Fraud => [
                o("POST /orders"),
                o("validate_order"),
                o("POST /payments"),
                p("POST /payments"),
                p("fraud_check"),
            ]
            .into(),
            Scenario::Health => [o("GET /health")].into(),
        }
    }
}

struct Completed {
    scenario: Scenario,
    trace_id: TraceId,
    status: u16,
    at: Instant,
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    scenario: Scenario,
    caller: Caller,
) -> Option<u16> {
    let request = match scenario {
        Scenario::Health => client.get(format!("{base}/health")),
        Scenario::Valid => client.post(format!("{base}/orders")).json(&valid_order()),
        Scenario::Fraud => client.post(format!("{base}/orders")).json(&fraud_order()),
        Scenario::Invalid => client.post(format!("{base}/orders")).json(
            &serde_json::json!({"customer_id":"CUST-42","item":"Keyboard","quantity":0,"amount":1}),
        ),
    };
    let response = request
        .header("traceparent", caller.traceparent())
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    response.bytes().await.ok()?;
    Some(status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_load_loses_no_span_of_a_completed_request() {
    let store = TraceStore::start(TraceStoreConfig::ephemeral())
        .await
        .unwrap();
    let otlp = store.otlp_grpc_endpoint();
    let mut payment = Service::spawn(
        env!("CARGO_BIN_EXE_payment-service"),
        &["--charge-delay", "150ms"],
        &flushed_at_shutdown(&otlp),
    );
    let payment_url = format!("http://{}", payment.addr);
    let mut order = Service::spawn(
        env!("CARGO_BIN_EXE_order-api"),
        &["--payment-url", &payment_url],
        &flushed_at_shutdown(&otlp),
    );
    let base = format!("http://{}", order.addr);

    let completed: Arc<Mutex<Vec<Completed>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut workers = Vec::new();
    for worker in 0..8u64 {
        let (client, base, completed, stop) = (
            client.clone(),
            base.clone(),
            completed.clone(),
            stop.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut n = worker;
            // Bounded: stops when told, or after 2000 requests per worker.
            while !stop.load(Ordering::Relaxed) && n < 16_000 {
                let scenario = Scenario::pick(n);
                let caller = Caller::new(true);
                if let Some(status) = send(&client, &base, scenario, caller).await {
                    completed.lock().unwrap().push(Completed {
                        scenario,
                        trace_id: caller.trace_id,
                        status,
                        at: Instant::now(),
                    });
                } else {
                    // Refused once order-api stops accepting: back off briefly.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                n += 8;
            }
        }));
    }

    // Under way: enough requests done, and the batch delay holds every span back.
    eventually(Duration::from_secs(30), || async {
        (completed.lock().unwrap().len() >= 40).then_some(())
    })
    .await
    .expect("load is flowing");
    assert_eq!(
        store.span_count(),
        0,
        "spans leave only through the shutdown flush"
    );

    let signalled = Instant::now();
    order.sigterm();
    let order_status = order.wait().await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    payment.sigterm();
    let payment_status = payment.wait().await;
    assert!(order_status.success(), "order-api exit: {order_status}");
    assert!(
        payment_status.success(),
        "payment-service exit: {payment_status}"
    );

    let completed = std::mem::take(&mut *completed.lock().unwrap());
    let after_signal = completed.iter().filter(|c| c.at > signalled).count();
    assert!(
        after_signal > 0,
        "requests in flight at SIGTERM were finished"
    );
    let expected_total: usize = completed
        .iter()
        .map(|c| c.scenario.expected_spans().len())
        .sum();
    // The exporters' calls returned before the processes exited; the store
    // has the spans as soon as its receiver has handled them.
    store
        .wait_for_spans(expected_total as u64, Duration::from_secs(10))
        .await;
    let mut per_scenario: HashMap<Scenario, usize> = HashMap::new();
    for c in completed.iter() {
        *per_scenario.entry(c.scenario).or_default() += 1;
        assert_eq!(
            c.status,
            c.scenario.expected_status(),
            "{:?} {}",
            c.scenario,
            c.trace_id
        );
        let got = stored_spans(&client, &store.query_url(), c.trace_id).await;
        assert_eq!(
            got,
            c.scenario.expected_spans(),
            "spans of {:?} {}",
            c.scenario,
            c.trace_id
        );
    }
    eprintln!(
        "{} requests completed ({after_signal} after SIGTERM), {per_scenario:?}, {} spans received",
        completed.len(),
        store.span_count()
    );
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_stuck_past_the_drain_timeout_does_not_hold_up_shutdown() {
    let store = TraceStore::start(TraceStoreConfig::ephemeral())
        .await
        .unwrap();
    let mut payment = Service::spawn(
        env!("CARGO_BIN_EXE_payment-service"),
        &["--charge-delay", "600s", "--drain-timeout", "200ms"],
        &flushed_at_shutdown(&store.otlp_grpc_endpoint()),
    );
    let base = format!("http://{}", payment.addr);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let stuck = tokio::spawn({
        let (client, base) = (client.clone(), base.clone());
        async move {
            client
                .post(format!("{base}/payments"))
                .json(&serde_json::json!({"customer_id":"CUST-42","amount":10}))
                .send()
                .await
        }
    });
    let caller = Caller::new(true);
    let health = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{base}/health"))
        .header("traceparent", caller.traceparent())
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    payment.sigterm();
    let status = payment.wait().await;
    assert!(status.success(), "payment-service exit: {status}");
    assert!(
        stuck.await.unwrap().is_err(),
        "the stuck request was abandoned"
    );
    // The completed request's span was still flushed.
    assert!(store.wait_for_spans(1, Duration::from_secs(10)).await);
    let spans = stored_spans(&client, &store.query_url(), caller.trace_id).await;
    let want: BTreeSet<(String, String)> =
        [("payment-service".to_owned(), "GET /health".to_owned())].into();
    assert_eq!(spans, want);
    store.shutdown().await;
}

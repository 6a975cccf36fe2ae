//! Every fault path of docs/CONTRACT.md ("Faults the services turn into
//! answers"): the status code, the JSON error body, and the spans still
//! exported with the right statuses.

mod common;

use std::time::Duration;

use common::*;
use opentelemetry::trace::{SpanId, SpanKind};
use services::payment_service::PaymentServiceConfig;
use tokio::net::TcpListener;

/// Asserts that order-api exported only its SERVER span for `caller`, with
/// `status` and status UNSET, and that payment-service exported nothing.
async fn assert_server_span_only(stack: &Stack, caller: Caller, status: i64) {
    let spans = stack.spans().await;
    assert_tree(
        &spans,
        caller.trace_id,
        caller.span_id,
        &[(ORDER_API, SpanKind::Server, "POST /orders", None)],
    );
    let server = spans.one(ORDER_API, "POST /orders");
    assert_attrs(server, &[("http.response.status_code", i(status))]);
    assert_unset(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_400() {
    for body in [
        r#"{"customer_id":"CUST-42","#,
        "not json",
        "",
        "[]",
        r#""a string""#,
    ] {
        let stack = Stack::start().await;
        let caller = Caller::new(true);
        let answer = post_raw(
            &format!("{}/orders", stack.order_url()),
            caller,
            "valid",
            body,
        )
        .await;
        answer.assert_error(400, "malformed_json");
        assert_server_span_only(&stack, caller, 400).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_field_types_are_400() {
    for body in [
        r#"{"customer_id":"CUST-42","item":"Keyboard","quantity":"two","amount":149.99}"#,
        r#"{"customer_id":"CUST-42","item":"Keyboard","quantity":2.5,"amount":149.99}"#,
        r#"{"customer_id":42,"item":"Keyboard","quantity":2,"amount":149.99}"#,
        r#"{"customer_id":"CUST-42","item":"Keyboard","quantity":2,"amount":"149.99"}"#,
    ] {
        let stack = Stack::start().await;
        let caller = Caller::new(true);
        let answer = post_raw(
            &format!("{}/orders", stack.order_url()),
            caller,
            "valid",
            body,
        )
        .await;
        answer.assert_error(400, "malformed_json");
        assert_server_span_only(&stack, caller, 400).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_or_wrong_content_type_is_415() {
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let stack = Stack::start().await;
        let caller = Caller::new(true);
        let mut request = client()
            .post(format!("{}/orders", stack.order_url()))
            .header("traceparent", caller.traceparent())
            .body(valid_order().to_string());
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        let answer = ServiceAnswer::from(request.send().await.unwrap()).await;
        answer.assert_error(415, "unsupported_media_type");
        assert_server_span_only(&stack, caller, 415).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_over_the_limit_is_413() {
    // Default limit: 64 KiB. A valid JSON document padded past it.
    let stack = Stack::start().await;
    let caller = Caller::new(true);
    let padding = " ".repeat(70 * 1024);
    let body = format!("{}{padding}", valid_order());
    let answer = post_raw(
        &format!("{}/orders", stack.order_url()),
        caller,
        "valid",
        body,
    )
    .await;
    answer.assert_error(413, "payload_too_large");
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("65536")
    );
    assert_server_span_only(&stack, caller, 413).await;

    // A configured limit applies, and a body within it passes.
    let stack = Stack::start_with(PaymentServiceConfig::default(), |c| c.body_limit = 64).await;
    let caller = Caller::new(true);
    let big =
        serde_json::json!({"customer_id":"CUST-42","item":"K".repeat(64),"quantity":2,"amount":1});
    let answer = post_order(&stack, caller, "valid", big).await;
    answer.assert_error(413, "payload_too_large");
    assert_server_span_only(&stack, caller, 413).await;
    let small = serde_json::json!({"customer_id":"C","item":"K","quantity":1,"amount":1});
    assert_eq!(
        post_order(&stack, Caller::new(true), "valid", small)
            .await
            .status,
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_traceparent_starts_a_new_root_trace() {
    for traceparent in [
        "00-zzzz-1234-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "garbage",
    ] {
        let stack = Stack::start().await;
        let response = client()
            .post(format!("{}/orders", stack.order_url()))
            .header("traceparent", traceparent)
            .json(&valid_order())
            .send()
            .await
            .unwrap();
        let answer = ServiceAnswer::from(response).await;
        assert_eq!(answer.status, 201, "{traceparent}: {answer:?}");
        let spans = stack.spans().await;
        let server = spans.one(ORDER_API, "POST /orders");
        assert_eq!(
            server.parent_span_id,
            SpanId::INVALID,
            "{traceparent}: a root"
        );
        let trace_id = server.span_context.trace_id();
        assert_eq!(answer.traceresponse().trace_id, trace_id);
        // The whole tree, payment included, lives in the new trace.
        assert_eq!(spans.trace(trace_id).len(), 7, "{:?}", spans.names());
        assert!(
            spans
                .all()
                .all(|s| s.status == opentelemetry::trace::Status::Unset)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_service_down_is_502_with_error_client_and_server_spans() {
    // A port nobody listens on: bind, note it, close.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let stack = Stack::start_with(PaymentServiceConfig::default(), |c| {
        c.payment_url = dead_url.parse().unwrap();
    })
    .await;
    let caller = Caller::new(true);
    let answer = post_order(&stack, caller, "valid", valid_order()).await;
    answer.assert_error(502, "payment_unavailable");

    let spans = stack.spans().await;
    assert_tree(
        &spans,
        caller.trace_id,
        caller.span_id,
        &VALID_ORDER_TREE[..3],
    );
    let client_span = spans.one(ORDER_API, "POST /payments");
    assert_error_status(client_span);
    assert_attrs(client_span, &[("error.type", s("connect"))]);
    assert_no_attr(client_span, "http.response.status_code");
    let server = spans.one(ORDER_API, "POST /orders");
    assert_error_status(server);
    assert_attrs(
        server,
        &[
            ("http.response.status_code", i(502)),
            ("error.type", s("502")),
        ],
    );
    assert_unset(spans.one(ORDER_API, "validate_order"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_slower_than_the_timeout_is_504_with_error_client_and_server_spans() {
    let slow = PaymentServiceConfig {
        charge_delay: Duration::from_secs(3),
        ..PaymentServiceConfig::default()
    };
    let stack = Stack::start_with(slow, |c| c.payment_timeout = Duration::from_millis(200)).await;
    let caller = Caller::new(true);
    let answer = post_order(&stack, caller, "valid", valid_order()).await;
    answer.assert_error(504, "payment_timeout");
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("200ms"),
        "{answer:?}"
    );

    let spans = stack.spans().await;
    let client_span = spans.one(ORDER_API, "POST /payments");
    assert_error_status(client_span);
    assert_attrs(client_span, &[("error.type", s("timeout"))]);
    assert_no_attr(client_span, "http.response.status_code");
    let elapsed = since(client_span.end_time, client_span.start_time);
    assert!(
        elapsed >= Duration::from_millis(200),
        "the client waited the timeout: {elapsed:?}"
    );
    let server = spans.one(ORDER_API, "POST /orders");
    assert_error_status(server);
    assert_attrs(
        server,
        &[
            ("http.response.status_code", i(504)),
            ("error.type", s("504")),
        ],
    );
    assert!(spans.order.iter().all(|s| s.name != "save_order"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_route_is_404_and_wrong_method_is_405() {
    let stack = Stack::start().await;

    let caller = Caller::new(true);
    let response = client()
        .get(format!("{}/nope", stack.order_url()))
        .header("traceparent", caller.traceparent())
        .send()
        .await
        .unwrap();
    let answer = ServiceAnswer::from(response).await;
    answer.assert_error(404, "not_found");
    assert_eq!(answer.traceresponse().trace_id, caller.trace_id);

    let caller405 = Caller::new(true);
    let response = client()
        .get(format!("{}/orders", stack.order_url()))
        .header("traceparent", caller405.traceparent())
        .send()
        .await
        .unwrap();
    let answer = ServiceAnswer::from(response).await;
    answer.assert_error(405, "method_not_allowed");
    assert_eq!(answer.headers.get("allow").unwrap(), "POST");
    assert_eq!(answer.traceresponse().trace_id, caller405.trace_id);

    let spans = stack.spans().await;
    // No route: the span is named after the method alone and has no http.route.
    let not_found = spans.one(ORDER_API, "GET");
    assert_eq!(not_found.span_context.trace_id(), caller.trace_id);
    assert_eq!(not_found.span_kind, SpanKind::Server);
    assert_unset(not_found);
    assert_attrs(
        not_found,
        &[
            ("http.response.status_code", i(404)),
            ("url.path", s("/nope")),
        ],
    );
    assert_no_attr(not_found, "http.route");
    let not_allowed = spans.one(ORDER_API, "GET /orders");
    assert_eq!(not_allowed.span_context.trace_id(), caller405.trace_id);
    assert_unset(not_allowed);
    assert_attrs(
        not_allowed,
        &[
            ("http.response.status_code", i(405)),
            ("http.route", s("/orders")),
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_service_rejects_bad_requests_with_json_errors_too() {
    let stack = Stack::start().await;
    let url = format!("{}/payments", stack.payment_url());
    let caller = Caller::new(true);
    post_raw(&url, caller, "valid", r#"{"customer_id":"C","amount":0}"#)
        .await
        .assert_error(422, "validation_failed");
    post_raw(&url, caller, "valid", r#"{"customer_id":"C","amount":"x"}"#)
        .await
        .assert_error(400, "malformed_json");
    let answer = ServiceAnswer::from(client().post(&url).body("{}").send().await.unwrap()).await;
    answer.assert_error(415, "unsupported_media_type");
    let spans = stack.spans().await.payment;
    assert_eq!(spans.len(), 3);
    assert!(
        spans
            .iter()
            .all(|s| s.name == "POST /payments" && s.span_kind == SpanKind::Server)
    );
}

//! The four scenarios of docs/CONTRACT.md through both services on loopback:
//! status codes, bodies, `traceresponse`, and the full span tree with kinds,
//! parent links (including the cross-service CLIENT -> SERVER edge),
//! attributes, events and statuses.

mod common;

use common::*;
use opentelemetry::trace::{SpanKind, TraceId};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_order_emits_the_full_tree() {
    let stack = Stack::start().await;
    let caller = Caller::new(true);
    let answer = post_order(&stack, caller, "valid", valid_order()).await;

    assert_eq!(answer.status, 201, "{answer:?}");
    let order_id = answer.json["order_id"].as_str().unwrap().to_owned();
    let payment_id = answer.json["payment_id"].as_str().unwrap().to_owned();
    assert!(order_id.starts_with("ord-"), "{answer:?}");
    assert!(payment_id.starts_with("pay-"), "{answer:?}");
    assert_eq!(answer.json["status"], "confirmed");
    assert_eq!(answer.json["amount"], 149.99);

    let spans = stack.spans().await;
    assert_tree(&spans, caller.trace_id, caller.span_id, &VALID_ORDER_TREE);
    // The payment tree hangs off order-api's CLIENT span, carried over HTTP.
    let client = spans.one(ORDER_API, "POST /payments");
    let pay_server = spans.one(PAYMENT, "POST /payments");
    assert_eq!(pay_server.parent_span_id, client.span_context.span_id());
    assert!(pay_server.parent_span_is_remote);
    // Children of one parent in start order.
    let validate = spans.one(ORDER_API, "validate_order");
    let save = spans.one(ORDER_API, "save_order");
    assert!(validate.end_time <= client.start_time && client.end_time <= save.start_time);
    let fraud = spans.one(PAYMENT, "fraud_check");
    let charge = spans.one(PAYMENT, "charge_payment");
    assert!(fraud.end_time <= charge.start_time);

    let server = spans.one(ORDER_API, "POST /orders");
    assert_attrs(
        server,
        &[
            ("http.request.method", s("POST")),
            ("http.route", s("/orders")),
            ("url.path", s("/orders")),
            ("url.scheme", s("http")),
            ("http.response.status_code", i(201)),
            ("loadgen.scenario", s("valid")),
            ("server.address", s("127.0.0.1")),
            ("server.port", i(i64::from(stack.order_port()))),
            ("client.address", s("127.0.0.1")),
        ],
    );
    // Only the allowlisted baggage key becomes an attribute.
    assert_no_attr(server, "user.email");
    assert_attrs(
        validate,
        &[
            ("order.customer_id", s("CUST-42")),
            ("order.item", s("Keyboard")),
            ("order.quantity", i(2)),
            ("order.amount", f(149.99)),
        ],
    );
    assert_attrs(
        client,
        &[
            ("http.request.method", s("POST")),
            ("url.full", s(&format!("{}/payments", stack.payment_url()))),
            ("server.address", s("127.0.0.1")),
            ("server.port", i(i64::from(stack.payment_port()))),
            ("http.response.status_code", i(200)),
        ],
    );
    assert_attrs(
        pay_server,
        &[
            ("http.request.method", s("POST")),
            ("http.route", s("/payments")),
            ("url.path", s("/payments")),
            ("url.scheme", s("http")),
            ("http.response.status_code", i(200)),
        ],
    );
    assert_attrs(fraud, &[("payment.amount", f(149.99))]);
    assert_attrs(charge, &[("payment.id", s(&payment_id))]);
    assert_eq!(
        event_attr(event(charge, "payment.charged"), "payment.id"),
        Some(&s(&payment_id))
    );
    assert_attrs(save, &[("order.id", s(&order_id))]);
    assert_eq!(
        event_attr(event(save, "order.saved"), "order.id"),
        Some(&s(&order_id))
    );
    for span in spans.all() {
        assert_unset(span);
    }

    // traceresponse names the trace, the SERVER span and the sampled flag.
    let tr = answer.traceresponse();
    assert_eq!(tr.trace_id, caller.trace_id);
    assert_eq!(tr.span_id, server.span_context.span_id());
    assert!(tr.sampled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_invalid_order_is_422_with_an_error_validate_span() {
    let cases = [
        (
            json!({"customer_id":"CUST-42","item":"Keyboard","quantity":2,"amount":0}),
            vec!["amount"],
        ),
        (
            json!({"customer_id":"CUST-42","item":"Keyboard","quantity":2,"amount":-5.5}),
            vec!["amount"],
        ),
        (
            json!({"customer_id":"CUST-42","item":"Keyboard","quantity":0,"amount":10}),
            vec!["quantity"],
        ),
        (
            json!({"customer_id":"CUST-42","item":"Keyboard","quantity":-1,"amount":10}),
            vec!["quantity"],
        ),
        (
            json!({"item":"Keyboard","quantity":2,"amount":10}),
            vec!["customer_id"],
        ),
        (
            json!({"customer_id":"CUST-42","item":null,"quantity":2,"amount":10}),
            vec!["item"],
        ),
        (
            json!({"customer_id":"","item":"Keyboard","quantity":2,"amount":10}),
            vec!["customer_id"],
        ),
        (json!({}), vec!["customer_id", "item", "quantity", "amount"]),
    ];
    for (order, fields) in cases {
        let stack = Stack::start().await;
        let caller = Caller::new(true);
        let answer = post_order(&stack, caller, "invalid", order.clone()).await;
        answer.assert_error(422, "validation_failed");
        assert_eq!(answer.json["error"]["fields"], json!(fields), "{order}");

        let spans = stack.spans().await;
        assert_tree(
            &spans,
            caller.trace_id,
            caller.span_id,
            &[
                (ORDER_API, SpanKind::Server, "POST /orders", None),
                (
                    ORDER_API,
                    SpanKind::Internal,
                    "validate_order",
                    Some((ORDER_API, "POST /orders")),
                ),
            ],
        );
        assert!(spans.payment.is_empty(), "no payment span for {order}");
        let server = spans.one(ORDER_API, "POST /orders");
        assert_unset(server);
        assert_attrs(
            server,
            &[
                ("http.response.status_code", i(422)),
                ("loadgen.scenario", s("invalid")),
            ],
        );
        let validate = spans.one(ORDER_API, "validate_order");
        assert_error_status(validate);
        let exception = event(validate, "exception");
        assert_eq!(
            event_attr(exception, "exception.type"),
            Some(&s("ValidationError"))
        );
        let message = event_attr(exception, "exception.message").unwrap().as_str();
        for field in &fields {
            assert!(message.contains(field), "{message} names {field}");
        }
        // Fields present in the request are still recorded.
        if let Some(amount) = order.get("amount").and_then(|a| a.as_f64()) {
            assert_attrs(validate, &[("order.amount", f(amount))]);
        }
        if order.get("item").is_some_and(|v| v.is_null()) {
            assert_no_attr(validate, "order.item");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fraud_order_is_402_with_error_fraud_check_and_client_spans() {
    let stack = Stack::start().await;
    let caller = Caller::new(true);
    let answer = post_order(&stack, caller, "fraud", fraud_order()).await;
    answer.assert_error(402, "payment_declined");
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("10000")
    );

    let spans = stack.spans().await;
    assert_tree(
        &spans,
        caller.trace_id,
        caller.span_id,
        &VALID_ORDER_TREE[..5],
    );
    let server = spans.one(ORDER_API, "POST /orders");
    assert_unset(server);
    assert_attrs(
        server,
        &[
            ("http.response.status_code", i(402)),
            ("loadgen.scenario", s("fraud")),
        ],
    );
    assert_unset(spans.one(ORDER_API, "validate_order"));
    let client = spans.one(ORDER_API, "POST /payments");
    assert_error_status(client);
    assert_attrs(
        client,
        &[
            ("http.response.status_code", i(402)),
            ("error.type", s("402")),
        ],
    );
    let pay_server = spans.one(PAYMENT, "POST /payments");
    assert_unset(pay_server);
    assert_attrs(pay_server, &[("http.response.status_code", i(402))]);
    assert_no_attr(pay_server, "error.type");
    let fraud = spans.one(PAYMENT, "fraud_check");
    assert_error_status(fraud);
    assert_attrs(fraud, &[("payment.amount", f(25000.0))]);
    let detected = event(fraud, "fraud.detected");
    assert_eq!(event_attr(detected, "payment.amount"), Some(&f(25000.0)));
    assert_eq!(event_attr(detected, "fraud.threshold"), Some(&f(10000.0)));
    assert_eq!(answer.traceresponse().trace_id, caller.trace_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_one_server_span_on_each_service() {
    let stack = Stack::start().await;
    for (url, service) in [
        (stack.order_url(), "order-api"),
        (stack.payment_url(), "payment-service"),
    ] {
        let caller = Caller::new(true);
        let response = client()
            .get(format!("{url}/health"))
            .header("traceparent", caller.traceparent())
            .header("baggage", "loadgen.scenario=health")
            .send()
            .await
            .unwrap();
        let answer = ServiceAnswer::from(response).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.json, json!({"status":"ok"}));
        assert_eq!(answer.traceresponse().trace_id, caller.trace_id);

        let spans = stack.spans().await;
        let spans = if service == "order-api" {
            spans.order
        } else {
            spans.payment
        };
        let span = spans.last().unwrap();
        assert_eq!(span.name, "GET /health");
        assert_eq!(span.span_kind, SpanKind::Server);
        assert_eq!(span.span_context.trace_id(), caller.trace_id);
        assert_eq!(span.parent_span_id, caller.span_id);
        assert_unset(span);
        assert_attrs(
            span,
            &[
                ("http.request.method", s("GET")),
                ("http.route", s("/health")),
                ("url.path", s("/health")),
                ("url.scheme", s("http")),
                ("http.response.status_code", i(200)),
                ("loadgen.scenario", s("health")),
            ],
        );
    }
    let spans = stack.spans().await;
    assert_eq!(spans.order.len(), 1);
    assert_eq!(spans.payment.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsampled_caller_gets_no_spans_anywhere_but_a_traceresponse() {
    let stack = Stack::start().await;
    let caller = Caller::new(false);
    let answer = post_order(&stack, caller, "valid", valid_order()).await;
    assert_eq!(answer.status, 201);
    let tr = answer.traceresponse();
    assert_eq!(tr.trace_id, caller.trace_id);
    assert!(!tr.sampled);
    let spans = stack.spans().await;
    assert!(
        spans.order.is_empty() && spans.payment.is_empty(),
        "{:?}",
        spans.names()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_without_traceparent_starts_a_sampled_root() {
    let stack = Stack::start().await;
    let response = client()
        .post(format!("{}/orders", stack.order_url()))
        .json(&valid_order())
        .send()
        .await
        .unwrap();
    let answer = ServiceAnswer::from(response).await;
    assert_eq!(answer.status, 201);
    let spans = stack.spans().await;
    let server = spans.one(ORDER_API, "POST /orders");
    assert_eq!(server.parent_span_id, opentelemetry::trace::SpanId::INVALID);
    let trace_id = server.span_context.trace_id();
    assert_ne!(trace_id, TraceId::INVALID);
    assert_eq!(answer.traceresponse().trace_id, trace_id);
    assert_eq!(spans.trace(trace_id).len(), 7, "{:?}", spans.names());
    assert_no_attr(server, "loadgen.scenario");
}

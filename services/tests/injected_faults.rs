//! Each injected fault of docs/CONTRACT.md really breaks the rule it names:
//! the spans it makes are checked against that rule here (the scenario tests
//! show the same requests honour every rule without the fault).

mod common;

use std::time::Duration;

use common::*;
use opentelemetry::trace::{SpanId, SpanKind, Status};
use services::{
    faults::{CHILD_OVERRUN, Fault, Faults},
    payment_service::PaymentServiceConfig,
};

/// Both services with `faults` enabled on each (as `FAULTS=` would).
async fn stack_with(faults: Faults) -> Stack {
    let payment = PaymentServiceConfig {
        faults: faults.clone(),
        ..PaymentServiceConfig::default()
    };
    Stack::start_with(payment, |c| c.faults = faults).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_propagation_breaks_span_tree() {
    let stack = stack_with(Faults::of([Fault::DropPropagation])).await;
    let caller = Caller::new(true);
    let answer = post_order(&stack, caller, "valid", valid_order()).await;
    assert_eq!(answer.status, 201);

    let spans = stack.spans().await;
    // The order's trace lacks the payment spans ...
    let trace = spans.trace(caller.trace_id);
    assert!(
        trace
            .iter()
            .all(|s| s.instrumentation_scope.name() == ORDER_API)
    );
    assert_eq!(trace.len(), 4, "{:?}", spans.names());
    // ... which form a root trace of their own.
    let pay_server = spans.one(PAYMENT, "POST /payments");
    assert_ne!(pay_server.span_context.trace_id(), caller.trace_id);
    assert_eq!(pay_server.parent_span_id, SpanId::INVALID);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_error_status_breaks_error_status() {
    let stack = stack_with(Faults::of([Fault::NoErrorStatus])).await;
    let invalid =
        serde_json::json!({"customer_id":"CUST-42","item":"Keyboard","quantity":2,"amount":0});
    let invalid_caller = Caller::new(true);
    let answer = post_order(&stack, invalid_caller, "invalid", invalid).await;
    answer.assert_error(422, "validation_failed");
    let answer = post_order(&stack, Caller::new(true), "fraud", fraud_order()).await;
    answer.assert_error(402, "payment_declined");

    let spans = stack.spans().await;
    // ERROR is due on both (the events still say so), yet both stay UNSET.
    let validate = spans
        .trace(invalid_caller.trace_id)
        .into_iter()
        .find(|s| s.name == "validate_order")
        .unwrap();
    event(validate, "exception");
    assert_eq!(validate.status, Status::Unset);
    let fraud = spans.one(PAYMENT, "fraud_check");
    event(fraud, "fraud.detected");
    assert_eq!(fraud.status, Status::Unset);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_span_breaks_orphan() {
    let stack = stack_with(Faults::of([Fault::OrphanSpan])).await;
    let caller = Caller::new(true);
    assert_eq!(
        post_order(&stack, caller, "valid", valid_order())
            .await
            .status,
        201
    );

    let spans = stack.spans().await;
    let trace = spans.trace(caller.trace_id);
    let save = spans.one(ORDER_API, "save_order");
    assert_eq!(save.span_context.trace_id(), caller.trace_id);
    assert_ne!(save.parent_span_id, SpanId::INVALID);
    assert_ne!(save.parent_span_id, caller.span_id);
    assert!(
        trace
            .iter()
            .all(|s| s.span_context.span_id() != save.parent_span_id),
        "save_order's parent is not in the trace"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_save_span_breaks_span_tree() {
    let stack = stack_with(Faults::of([Fault::SkipSaveSpan])).await;
    let caller = Caller::new(true);
    let answer = post_order(&stack, caller, "valid", valid_order()).await;
    assert_eq!(answer.status, 201);
    assert!(
        answer.json["order_id"]
            .as_str()
            .unwrap()
            .starts_with("ord-")
    );
    let spans = stack.spans().await;
    assert_eq!(spans.trace(caller.trace_id).len(), 6);
    assert!(spans.all().all(|s| s.name != "save_order"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_kind_breaks_cross_service_edge() {
    let stack = stack_with(Faults::of([Fault::WrongKind])).await;
    let caller = Caller::new(true);
    assert_eq!(
        post_order(&stack, caller, "valid", valid_order())
            .await
            .status,
        201
    );
    let spans = stack.spans().await;
    let call = spans.one(ORDER_API, "POST /payments");
    assert_eq!(call.span_kind, SpanKind::Internal);
    // The cross-service edge now runs from an INTERNAL span to the SERVER span.
    let pay_server = spans.one(PAYMENT, "POST /payments");
    assert_eq!(pay_server.parent_span_id, call.span_context.span_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_export_breaks_incomplete() {
    let faults = Faults::of([Fault::LateExport]).with_late_export_delay(Duration::from_secs(1));
    let stack = stack_with(faults).await;
    let caller = Caller::new(true);
    assert_eq!(
        post_order(&stack, caller, "valid", valid_order())
            .await
            .status,
        201
    );

    // Right after the answer, with everything flushed, the trace is incomplete.
    let spans = stack.spans().await;
    assert_eq!(spans.trace(caller.trace_id).len(), 6, "{:?}", spans.names());
    assert!(spans.all().all(|s| s.name != "save_order"));

    // It arrives later, with timestamps inside its parent: only the export is late.
    let save = eventually(Duration::from_secs(10), || async {
        stack
            .spans()
            .await
            .order
            .into_iter()
            .find(|s| s.name == "save_order")
    })
    .await
    .expect("save_order is exported in the end");
    let spans = stack.spans().await;
    let server = spans.one(ORDER_API, "POST /orders");
    assert_eq!(save.parent_span_id, server.span_context.span_id());
    assert!(save.end_time <= server.end_time);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_outlives_parent_breaks_child_within_parent() {
    let stack = stack_with(Faults::of([Fault::ChildOutlivesParent])).await;
    let caller = Caller::new(true);
    assert_eq!(
        post_order(&stack, caller, "valid", valid_order())
            .await
            .status,
        201
    );
    let spans = stack.spans().await;
    let server = spans.one(ORDER_API, "POST /orders");
    let save = spans.one(ORDER_API, "save_order");
    assert_eq!(save.parent_span_id, server.span_context.span_id());
    let overrun = since(save.end_time, server.end_time);
    assert!(
        save.end_time > server.end_time,
        "save_order ends after its parent"
    );
    assert!(
        overrun <= CHILD_OVERRUN,
        "by at most {CHILD_OVERRUN:?}: {overrun:?}"
    );
    assert!(
        overrun >= CHILD_OVERRUN / 2,
        "by about {CHILD_OVERRUN:?}: {overrun:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_service_ignores_faults_that_are_not_its_own() {
    // Every fault but no-error-status, on payment-service only: its spans are intact.
    let faults = Faults::of(
        Fault::ALL
            .into_iter()
            .filter(|f| *f != Fault::NoErrorStatus),
    );
    let payment = PaymentServiceConfig {
        faults,
        ..PaymentServiceConfig::default()
    };
    let stack = Stack::start_with(payment, |_| {}).await;
    let caller = Caller::new(true);
    assert_eq!(
        post_order(&stack, caller, "valid", valid_order())
            .await
            .status,
        201
    );
    let spans = stack.spans().await;
    assert_eq!(spans.trace(caller.trace_id).len(), 7, "{:?}", spans.names());
}

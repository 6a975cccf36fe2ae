//! The `save_order` step, and the faults that bend its span: skipped,
//! orphaned, outliving its parent, exported late, or slow.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use opentelemetry::{
    Context, KeyValue,
    trace::{Span, SpanContext, SpanId, SpanKind, TraceContextExt, TraceState, Tracer},
};
use opentelemetry_sdk::trace::SdkTracer;

use crate::{
    faults::{CHILD_OVERRUN, Fault, Faults, SLOW_SAVE_DELAY},
    ids,
    semconv::{ORDER_ID, ORDER_SAVED_EVENT, SAVE_ORDER},
};

/// Saves the order (the demo keeps no store: it assigns the id) inside a
/// `save_order` span, child of `cx`'s span, and returns the order id; a
/// `slow` save (fault `slow-save`) takes [`SLOW_SAVE_DELAY`] longer.
pub(super) async fn save_order(
    tracer: &SdkTracer,
    cx: &Context,
    faults: &Faults,
    slow: bool,
) -> String {
    let order_id = ids::new_id("ord");
    if faults.contains(Fault::SkipSaveSpan) {
        return order_id;
    }
    let parent = if faults.contains(Fault::OrphanSpan) {
        unexported_sibling_parent(cx)
    } else {
        cx.clone()
    };
    let mut span = tracer.build_with_context(
        tracer
            .span_builder(SAVE_ORDER)
            .with_kind(SpanKind::Internal),
        &parent,
    );
    if span.is_recording() {
        let id: Arc<str> = Arc::from(order_id.as_str());
        span.set_attribute(KeyValue::new(ORDER_ID, id.clone()));
        span.add_event(ORDER_SAVED_EVENT, vec![KeyValue::new(ORDER_ID, id)]);
    }
    if slow {
        tokio::time::sleep(SLOW_SAVE_DELAY).await;
    }

    let overrun = if faults.contains(Fault::ChildOutlivesParent) {
        CHILD_OVERRUN
    } else {
        Duration::ZERO
    };
    let end = SystemTime::now() + overrun;
    if faults.contains(Fault::LateExport) {
        let delay = faults.late_export_delay;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            span.end_with_timestamp(end);
        });
    } else {
        span.end_with_timestamp(end);
    }
    order_id
}

/// A parent in the same trace whose span id no span will ever carry.
fn unexported_sibling_parent(cx: &Context) -> Context {
    let real = cx.span().span_context().clone();
    let ghost = SpanContext::new(
        real.trace_id(),
        SpanId::from(rand::random::<u64>() | 1),
        real.trace_flags(),
        true,
        TraceState::default(),
    );
    Context::new().with_remote_span_context(ghost)
}

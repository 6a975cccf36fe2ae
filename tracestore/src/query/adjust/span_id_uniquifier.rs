//! Jaeger's `DeduplicateClientServerSpanIDs` (`spaniduniquifier.go`):
//! Zipkin-style shared client/server span ids split apart.

use std::collections::{HashMap, HashSet};

use super::{parent_id, span_id, spans_mut};
use crate::otlp::{ResourceSpans, SpanKind, warnings::add_warnings};

/// `DeduplicateClientServerSpanIDs`.
pub(super) fn dedupe_client_server_span_ids(trace: &mut [ResourceSpans]) {
    let mut used: HashSet<u64> = HashSet::new();
    let mut has_client: HashSet<u64> = HashSet::new();
    for span in spans_mut(trace) {
        used.insert(span_id(span));
        if span.kind == SpanKind::Client as i32 {
            has_client.insert(span_id(span));
        }
    }
    if has_client.is_empty() {
        return;
    }
    let mut max_used = 0u64;
    let mut old_to_new: HashMap<u64, u64> = HashMap::new();
    for span in spans_mut(trace) {
        let id = span_id(span);
        if span.kind != SpanKind::Server as i32 || !has_client.contains(&id) {
            continue;
        }
        let mut candidate = max_used.wrapping_add(1);
        let fresh = loop {
            if candidate == 0 {
                break None;
            }
            if !used.contains(&candidate) {
                break Some(candidate);
            }
            candidate = candidate.wrapping_add(1);
        };
        let Some(new) = fresh else {
            add_warnings(
                &mut span.attributes,
                ["cannot assign unique span ID, too many spans in the trace".to_owned()],
            );
            continue;
        };
        max_used = new;
        old_to_new.insert(id, new);
        span.parent_span_id = id.to_be_bytes().to_vec();
        span.span_id = new.to_be_bytes().to_vec();
    }
    for span in spans_mut(trace) {
        if let Some(&new) = old_to_new.get(&parent_id(span))
            && span_id(span) != new
        {
            span.parent_span_id = new.to_be_bytes().to_vec();
        }
    }
}

//! Jaeger's `RemoveEmptySpanLinks` (`spanlinks.go`): links without a
//! trace id dropped, with a warning.

use super::spans_mut;
use crate::otlp::{ResourceSpans, warnings::add_warnings};

/// `RemoveEmptySpanLinks`.
pub(super) fn remove_empty_span_links(trace: &mut [ResourceSpans]) {
    for span in spans_mut(trace) {
        let before = span.links.len();
        span.links.retain(|l| l.trace_id.iter().any(|b| *b != 0));
        let removed = before - span.links.len();
        if removed > 0 {
            add_warnings(
                &mut span.attributes,
                (0..removed).map(|_| "Invalid span link removed".to_owned()),
            );
        }
    }
}

//! The adjusters and their order, as Jaeger's `standard.go` lists them.

use std::time::Duration;

use super::{
    clock_skew::correct_clock_skew, dedupe_spans::dedupe_spans,
    ip_attribute::normalize_ip_attributes, library_attributes::move_library_attributes,
    sort::sort_collections, span_id_uniquifier::dedupe_client_server_span_ids,
    span_links::remove_empty_span_links,
};
use crate::otlp::ResourceSpans;

/// Runs every adjuster on one trace, in Jaeger's order (`DeduplicateSpans`
/// needs `SortCollections` before it).
pub(crate) fn adjust(trace: &mut [ResourceSpans], max_clock_skew: Duration) {
    dedupe_client_server_span_ids(trace);
    sort_collections(trace);
    dedupe_spans(trace);
    correct_clock_skew(
        trace,
        i64::try_from(max_clock_skew.as_nanos()).unwrap_or(i64::MAX),
    );
    normalize_ip_attributes(trace);
    move_library_attributes(trace);
    remove_empty_span_links(trace);
}

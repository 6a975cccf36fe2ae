//! Jaeger's `DeduplicateSpans` (`deduplicatespans.go`): a span sent twice
//! is shown once. Needs [`super::sort`] first.

use std::collections::HashSet;

use prost::Message;

use crate::otlp::{KeyValue, ResourceSpans};

/// `DeduplicateSpans`: drops a span identical (in its protobuf encoding,
/// with its resource and scope attributes) to an earlier one.
///
/// Identical spans share their span id, so only spans whose id occurs more
/// than once in the trace are encoded and compared; a trace of distinct
/// ids (nearly every trace) costs one set of ids.
pub(super) fn dedupe_spans(trace: &mut [ResourceSpans]) {
    fn attrs_bytes(attrs: &[KeyValue]) -> Vec<u8> {
        let mut out = Vec::new();
        for kv in attrs {
            kv.encode_length_delimited(&mut out).unwrap_or_default();
        }
        out
    }
    let mut ids: HashSet<&[u8]> = HashSet::new();
    let mut repeated: HashSet<Vec<u8>> = HashSet::new();
    for span in trace
        .iter()
        .flat_map(|rs| rs.scope_spans.iter())
        .flat_map(|ss| ss.spans.iter())
    {
        if !ids.insert(&span.span_id) {
            repeated.insert(span.span_id.clone());
        }
    }
    if repeated.is_empty() {
        return;
    }
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    for rs in trace.iter_mut() {
        let resource = attrs_bytes(rs.resource.as_ref().map_or(&[][..], |r| &r.attributes));
        for ss in rs.scope_spans.iter_mut() {
            let scope = attrs_bytes(ss.scope.as_ref().map_or(&[][..], |s| &s.attributes));
            ss.spans.retain(|span| {
                if !repeated.contains(&span.span_id) {
                    return true;
                }
                let mut key = Vec::new();
                for part in [&resource, &scope] {
                    key.extend_from_slice(&(part.len() as u64).to_le_bytes());
                    key.extend_from_slice(part);
                }
                span.encode(&mut key).unwrap_or_default();
                seen.insert(key)
            });
        }
    }
}

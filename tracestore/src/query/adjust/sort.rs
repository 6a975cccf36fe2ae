//! Jaeger's `SortCollections` (`sort.go`): attributes sorted by key,
//! events by name, so that equal spans encode equally.

use crate::otlp::{KeyValue, ResourceSpans};

/// Whether a list is in the order sorting gives it, with no key repeated:
/// then [`sort_attributes`] leaves it as it is.
pub(in crate::query) fn sorts_to_itself(attrs: &[KeyValue]) -> bool {
    attrs.is_sorted_by(|a, b| a.key < b.key)
}

/// Sorts attributes by key; a repeated key keeps one entry, in the first
/// one's place in the sorted order, with the last value.
fn sort_attributes(attrs: &mut Vec<KeyValue>) {
    if sorts_to_itself(attrs) {
        return;
    }
    // Stable, so repeated keys stay in arrival order: the kept first one
    // takes each later one's value.
    attrs.sort_by(|a, b| a.key.cmp(&b.key));
    attrs.dedup_by(|later, kept| {
        let same = later.key == kept.key;
        if same {
            kept.value = later.value.take();
        }
        same
    });
}

/// `SortCollections`.
pub(super) fn sort_collections(trace: &mut [ResourceSpans]) {
    for rs in trace.iter_mut() {
        if let Some(r) = rs.resource.as_mut() {
            sort_attributes(&mut r.attributes);
        }
        for ss in rs.scope_spans.iter_mut() {
            if let Some(s) = ss.scope.as_mut() {
                sort_attributes(&mut s.attributes);
            }
            for span in ss.spans.iter_mut() {
                sort_attributes(&mut span.attributes);
                span.events.sort_by(|a, b| a.name.cmp(&b.name));
                for e in span.events.iter_mut() {
                    sort_attributes(&mut e.attributes);
                }
                for l in span.links.iter_mut() {
                    sort_attributes(&mut l.attributes);
                }
            }
        }
    }
}

//! Jaeger's `MoveLibraryAttributes` (`libraryattributes.go`): SDK
//! attributes set on a span move to its resource.

use crate::otlp::{KeyValue, ResourceSpans, values, warnings::add_warnings};

/// The span attributes Jaeger moves to the resource.
pub(in crate::query) const LIBRARY_KEYS: [&str; 5] = [
    "telemetry.sdk.language",
    "telemetry.sdk.name",
    "telemetry.sdk.version",
    "telemetry.distro.name",
    "telemetry.distro.version",
];

/// `MoveLibraryAttributes`.
pub(super) fn move_library_attributes(trace: &mut [ResourceSpans]) {
    for rs in trace.iter_mut() {
        let resource = rs.resource.get_or_insert_with(Default::default);
        for ss in rs.scope_spans.iter_mut() {
            for span in ss.spans.iter_mut() {
                let library: Vec<KeyValue> = span
                    .attributes
                    .iter()
                    .filter(|kv| LIBRARY_KEYS.contains(&kv.key.as_str()))
                    .cloned()
                    .collect();
                for kv in library {
                    match resource.attributes.iter_mut().find(|r| r.key == kv.key) {
                        Some(existing) if values::value_of(existing) != values::value_of(&kv) => {
                            add_warnings(
                                &mut span.attributes,
                                [format!(
                                    "conflicting values between Span and Resource for attribute {}",
                                    kv.key
                                )],
                            );
                            continue;
                        }
                        Some(existing) => existing.value = kv.value.clone(),
                        None => resource.attributes.push(kv.clone()),
                    }
                    if let Some(i) = span.attributes.iter().position(|a| a.key == kv.key) {
                        span.attributes.remove(i);
                    }
                }
            }
        }
    }
}

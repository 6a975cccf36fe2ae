//! Jaeger's `NormalizeIPAttributes` (`ipattribute.go`): integer IPv4
//! attributes shown as dotted quads.

use crate::otlp::{KeyValue, ResourceSpans, Value, values};

/// The keys whose integer or float values become dotted quads.
pub(in crate::query) const IP_KEYS: [&str; 2] = ["ip", "peer.ipv4"];

/// `NormalizeIPAttributes` on resource and span attributes.
pub(super) fn normalize_ip_attributes(trace: &mut [ResourceSpans]) {
    fn normalize(attrs: &mut [KeyValue]) {
        for kv in attrs.iter_mut() {
            if !IP_KEYS.contains(&kv.key.as_str()) {
                continue;
            }
            let packed = match values::value_of(kv) {
                Some(Value::IntValue(i)) => *i as u32,
                Some(Value::DoubleValue(d)) => *d as u32,
                _ => continue,
            };
            let [a, b, c, d] = packed.to_be_bytes();
            kv.value = values::string_value(format!("{a}.{b}.{c}.{d}"));
        }
    }
    for rs in trace.iter_mut() {
        if let Some(r) = rs.resource.as_mut() {
            normalize(&mut r.attributes);
        }
        for ss in rs.scope_spans.iter_mut() {
            for span in ss.spans.iter_mut() {
                normalize(&mut span.attributes);
            }
        }
    }
}

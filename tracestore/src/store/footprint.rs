//! What stored data costs in memory: heap blocks as the system allocator
//! (glibc malloc) hands them out, so that `--max-bytes` tracks the process's
//! resident memory rather than the bytes the data structures ask for.

use crate::otlp::{AnyValue, Event, KeyValue, Link, Value};

/// The resident memory `heap` bytes of stored data cost: what the store
/// holds plus the free memory the allocator keeps around it. Measured with
/// `cargo bench -p tracestore --bench memory` (glibc, two runtime threads):
/// the RSS the spans added was 1.00-1.02x malloc's bytes in use when
/// exports are read straight from their bytes (OTLP protobuf), and
/// 1.14-1.23x when every export goes through prost first (OTLP/JSON,
/// exports that need sanitizing: their many small blocks are freed between
/// the stored ones), so a tenth is added: within 20% either way.
pub(crate) const fn resident(heap: usize) -> usize {
    heap + heap / 10
}

/// The bytes one heap block of `n` requested bytes occupies: glibc adds an
/// 8-byte header, rounds to 16 and never hands out less than 32.
pub(crate) const fn block(n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    let b = (n + 8 + 15) & !15;
    if b < 32 { 32 } else { b }
}

/// A `Vec`'s or boxed slice's heap block for `capacity` items of `T`.
pub(crate) const fn slice<T>(capacity: usize) -> usize {
    block(capacity * std::mem::size_of::<T>())
}

/// An `Arc<str>` of `len` bytes: two counters and the text.
pub(crate) const fn arc_str(len: usize) -> usize {
    block(16 + len)
}

/// A `String`'s heap block.
pub(crate) fn string(s: &String) -> usize {
    block(s.capacity())
}

/// The heap under OTLP attributes (the list's block included).
pub(crate) fn key_values(attrs: &Vec<KeyValue>) -> usize {
    slice::<KeyValue>(attrs.capacity())
        + attrs
            .iter()
            .map(|kv| string(&kv.key) + kv.value.as_ref().map_or(0, any_value))
            .sum::<usize>()
}

/// The heap under an OTLP value held inline.
pub(crate) fn any_value(v: &AnyValue) -> usize {
    match &v.value {
        Some(Value::StringValue(s)) => string(s),
        Some(Value::BytesValue(b)) => block(b.capacity()),
        Some(Value::ArrayValue(a)) => {
            slice::<AnyValue>(a.values.capacity()) + a.values.iter().map(any_value).sum::<usize>()
        }
        Some(Value::KvlistValue(kvs)) => key_values(&kvs.values),
        _ => 0,
    }
}

/// The heap under OTLP events (the list's block included).
pub(crate) fn events(events: &Vec<Event>) -> usize {
    slice::<Event>(events.capacity())
        + events
            .iter()
            .map(|e| string(&e.name) + key_values(&e.attributes))
            .sum::<usize>()
}

/// The heap under OTLP links (the list's block included).
pub(crate) fn links(links: &Vec<Link>) -> usize {
    slice::<Link>(links.capacity())
        + links
            .iter()
            .map(|l| {
                block(l.trace_id.capacity())
                    + block(l.span_id.capacity())
                    + string(&l.trace_state)
                    + key_values(&l.attributes)
            })
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_like_glibc() {
        assert_eq!(block(0), 0);
        assert_eq!(block(1), 32);
        assert_eq!(block(24), 32);
        assert_eq!(block(25), 48);
        assert_eq!(block(40), 48);
        assert_eq!(block(41), 64);
        assert_eq!(arc_str(5), 32);
    }
}

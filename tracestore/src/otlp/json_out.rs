//! OTLP/JSON output exactly as the collector's `ptrace.JSONMarshaler`
//! (pdata 1.61, what Jaeger v2 uses) writes it: proto field order, no
//! whitespace, hex ids, 64-bit integers as decimal strings, enums as
//! integers, default values omitted except the always-present `resource`,
//! `scope`, `status` and key-value `value` objects.

use base64::Engine as _;

use super::values::ValueRef;
use super::{
    Event, ExportTracePartialSuccess, InstrumentationScope, KeyValue, Link, Resource,
    ResourceSpans, ScopeSpans, Span, Status, Value,
};
use crate::go::strconv;

/// A JSON object being written: inserts the commas between fields (also
/// used for the other proto3 JSON answers, e.g. the v3 trace summaries).
pub(crate) struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    /// Writes `{`.
    pub(crate) fn open(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }

    /// Writes the field's name (after a comma unless first); the value
    /// goes into the returned buffer.
    pub(crate) fn key(&mut self, name: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(name);
        self.out.push_str("\":");
        self.out
    }

    /// A string field; empty is left out.
    pub(crate) fn string_if(&mut self, name: &str, v: &str) {
        if !v.is_empty() {
            write_string(v, self.key(name));
        }
    }

    /// A `uint32` or `fixed32` field; zero is left out.
    pub(crate) fn u32_if(&mut self, name: &str, v: u32) {
        if v != 0 {
            write_number(v, self.key(name));
        }
    }

    /// An `int32` field; zero is left out.
    pub(crate) fn i32_if(&mut self, name: &str, v: i32) {
        if v != 0 {
            write_number(v, self.key(name));
        }
    }

    /// A 64-bit integer: a decimal string, per the proto3 JSON mapping;
    /// zero is left out.
    pub(crate) fn u64_if(&mut self, name: &str, v: u64) {
        if v != 0 {
            write_quoted_number(v, self.key(name));
        }
    }

    /// An id in lowercase hex; empty is left out.
    pub(crate) fn hex_if(&mut self, name: &str, v: &[u8]) {
        if !v.is_empty() {
            let out = self.key(name);
            out.push('"');
            crate::ids::push_hex(v, out);
            out.push('"');
        }
    }

    /// A repeated field, each item written by `each`; an empty one is left
    /// out.
    pub(crate) fn list<I>(&mut self, name: &str, items: I, each: impl Fn(I::Item, &mut String))
    where
        I: IntoIterator,
        I::IntoIter: ExactSizeIterator,
    {
        let items = items.into_iter();
        if items.len() == 0 {
            return;
        }
        let out = self.key(name);
        out.push('[');
        for (i, item) in items.enumerate() {
            if i > 0 {
                out.push(',');
            }
            each(item, out);
        }
        out.push(']');
    }

    /// Writes `}`.
    pub(crate) fn close(self) {
        self.out.push('}');
    }
}

/// `{"resourceSpans":[...]}` (a `TracesData`): the reference the answers
/// written straight from the store are held to.
#[cfg(test)]
pub(crate) fn write_traces_data(resource_spans: &[ResourceSpans], out: &mut String) {
    let mut o = Obj::open(out);
    o.list("resourceSpans", resource_spans, write_resource_spans);
    o.close();
}

/// An `ExportTraceServiceResponse`: `{"partialSuccess":{...}}`.
pub(crate) fn write_export_response(partial: &ExportTracePartialSuccess, out: &mut String) {
    let mut o = Obj::open(out);
    let inner = o.key("partialSuccess");
    let mut p = Obj::open(inner);
    if partial.rejected_spans != 0 {
        write_quoted_number(partial.rejected_spans, p.key("rejectedSpans"));
    }
    p.string_if("errorMessage", &partial.error_message);
    p.close();
    o.close();
}

/// One `ResourceSpans`.
pub(crate) fn write_resource_spans(rs: &ResourceSpans, out: &mut String) {
    let mut o = Obj::open(out);
    write_resource(rs.resource.as_ref(), None, o.key("resource"));
    o.list("scopeSpans", &rs.scope_spans, write_scope_spans);
    o.string_if("schemaUrl", &rs.schema_url);
    o.close();
}

/// The items of a list in `order` (indices into it), or as they are.
pub(crate) fn in_order<'a, T>(
    items: &'a [T],
    order: Option<&'a [u32]>,
) -> impl ExactSizeIterator<Item = &'a T> {
    let len = order.map_or(items.len(), <[u32]>::len);
    (0..len).map(move |i| &items[order.map_or(i, |o| o[i] as usize)])
}

/// A `Resource`, its attributes in `order` if given (indices into them).
pub(crate) fn write_resource(r: Option<&Resource>, order: Option<&[u32]>, out: &mut String) {
    let mut o = Obj::open(out);
    if let Some(r) = r {
        o.list(
            "attributes",
            in_order(&r.attributes, order),
            write_key_value,
        );
        o.u32_if("droppedAttributesCount", r.dropped_attributes_count);
        o.list("entityRefs", &r.entity_refs, |e, out| {
            let mut eo = Obj::open(out);
            eo.string_if("schemaUrl", &e.schema_url);
            eo.string_if("type", &e.r#type);
            eo.list("idKeys", &e.id_keys, |k, out| write_string(k, out));
            eo.list("descriptionKeys", &e.description_keys, |k, out| {
                write_string(k, out)
            });
            eo.close();
        });
    }
    o.close();
}

fn write_scope_spans(ss: &ScopeSpans, out: &mut String) {
    let mut o = Obj::open(out);
    write_scope(ss.scope.as_ref(), None, o.key("scope"));
    o.list("spans", &ss.spans, write_span);
    o.string_if("schemaUrl", &ss.schema_url);
    o.close();
}

/// An `InstrumentationScope`, its attributes in `order` if given.
pub(crate) fn write_scope(
    s: Option<&InstrumentationScope>,
    order: Option<&[u32]>,
    out: &mut String,
) {
    let mut o = Obj::open(out);
    if let Some(s) = s {
        o.string_if("name", &s.name);
        o.string_if("version", &s.version);
        o.list(
            "attributes",
            in_order(&s.attributes, order),
            write_key_value,
        );
        o.u32_if("droppedAttributesCount", s.dropped_attributes_count);
    }
    o.close();
}

fn write_span(s: &Span, out: &mut String) {
    let mut o = Obj::open(out);
    o.hex_if("traceId", &s.trace_id);
    o.hex_if("spanId", &s.span_id);
    o.string_if("traceState", &s.trace_state);
    o.hex_if("parentSpanId", &s.parent_span_id);
    o.u32_if("flags", s.flags);
    o.string_if("name", &s.name);
    o.i32_if("kind", s.kind);
    o.u64_if("startTimeUnixNano", s.start_time_unix_nano);
    o.u64_if("endTimeUnixNano", s.end_time_unix_nano);
    o.list("attributes", &s.attributes, write_key_value);
    o.u32_if("droppedAttributesCount", s.dropped_attributes_count);
    o.list("events", &s.events, write_event);
    o.u32_if("droppedEventsCount", s.dropped_events_count);
    o.list("links", &s.links, write_link);
    o.u32_if("droppedLinksCount", s.dropped_links_count);
    write_status(s.status.as_ref(), o.key("status"));
    o.close();
}

fn write_status(st: Option<&Status>, out: &mut String) {
    write_status_parts(st.map(|st| (st.code, st.message.as_str())), out);
}

/// A `Status` given as its code and message (`{}` for none).
pub(crate) fn write_status_parts(st: Option<(i32, &str)>, out: &mut String) {
    let mut o = Obj::open(out);
    if let Some((code, message)) = st {
        o.string_if("message", message);
        o.i32_if("code", code);
    }
    o.close();
}

/// One span `Event`.
pub(crate) fn write_event(e: &Event, out: &mut String) {
    let mut o = Obj::open(out);
    o.u64_if("timeUnixNano", e.time_unix_nano);
    o.string_if("name", &e.name);
    o.list("attributes", &e.attributes, write_key_value);
    o.u32_if("droppedAttributesCount", e.dropped_attributes_count);
    o.close();
}

/// One span `Link`.
pub(crate) fn write_link(l: &Link, out: &mut String) {
    let mut o = Obj::open(out);
    o.hex_if("traceId", &l.trace_id);
    o.hex_if("spanId", &l.span_id);
    o.string_if("traceState", &l.trace_state);
    o.list("attributes", &l.attributes, write_key_value);
    o.u32_if("droppedAttributesCount", l.dropped_attributes_count);
    o.u32_if("flags", l.flags);
    o.close();
}

/// One `KeyValue`.
pub(crate) fn write_key_value(kv: &KeyValue, out: &mut String) {
    let mut o = Obj::open(out);
    o.string_if("key", &kv.key);
    write_value(ValueRef::of(kv.value.as_ref()), o.key("value"));
    o.i32_if("keyStrindex", kv.key_strindex);
    o.close();
}

/// A `KeyValue` given as its key and borrowed value (no key index).
pub(crate) fn write_attribute(key: &str, value: ValueRef<'_>, out: &mut String) {
    let mut o = Obj::open(out);
    o.string_if("key", key);
    write_value(value, o.key("value"));
    o.close();
}

/// An `AnyValue`.
fn write_value(v: ValueRef<'_>, out: &mut String) {
    let mut o = Obj::open(out);
    write_value_field(v, &mut o);
    o.close();
}

fn write_value_field(v: ValueRef<'_>, o: &mut Obj<'_>) {
    match v {
        ValueRef::Empty => {}
        ValueRef::Str(s) => write_string(s, o.key("stringValue")),
        ValueRef::Bool(b) => o
            .key("boolValue")
            .push_str(if b { "true" } else { "false" }),
        ValueRef::Int(i) => write_quoted_number(i, o.key("intValue")),
        ValueRef::Double(d) => {
            let out = o.key("doubleValue");
            if d.is_nan() {
                write_string("NaN", out);
            } else if d.is_infinite() {
                write_string(if d > 0.0 { "Infinity" } else { "-Infinity" }, out);
            } else {
                out.push_str(&strconv::float(d));
            }
        }
        ValueRef::Other(Value::ArrayValue(a)) => {
            let mut ao = Obj::open(o.key("arrayValue"));
            ao.list("values", &a.values, |v, out| {
                write_value(ValueRef::of(Some(v)), out)
            });
            ao.close();
        }
        ValueRef::Other(Value::KvlistValue(kvs)) => {
            let mut ko = Obj::open(o.key("kvlistValue"));
            ko.list("values", &kvs.values, write_key_value);
            ko.close();
        }
        ValueRef::Other(Value::BytesValue(b)) => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(b);
            write_string(&encoded, o.key("bytesValue"));
        }
        ValueRef::Other(Value::StringValueStrindex(i)) => {
            write_number(i, o.key("stringValueStrindex"))
        }
        ValueRef::Other(scalar) => write_value_field(ValueRef::of_value(scalar), o),
    }
}

/// An integer in decimal, written without an intermediate string.
fn write_number(v: impl std::fmt::Display, out: &mut String) {
    use std::fmt::Write as _;
    let _ = write!(out, "{v}");
}

/// A 64-bit integer as a decimal string, per the proto3 JSON mapping.
fn write_quoted_number(v: impl std::fmt::Display, out: &mut String) {
    out.push('"');
    write_number(v, out);
    out.push('"');
}

/// A JSON string as json-iterator writes it without HTML escaping: `"`,
/// `\`, `\n`, `\r`, `\t` escaped by name, other control characters as
/// `\u00XX`, everything else as is.
pub(crate) fn write_string(s: &str, out: &mut String) {
    out.push('"');
    if s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        write_escaped(s, out);
    } else {
        out.push_str(s);
    }
    out.push('"');
}

/// The inside of a JSON string, character by character (what
/// [`write_string`] did for every string before it learned to copy plain
/// text whole).
pub(crate) fn write_escaped(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{AnyValue, ArrayValue, ScopeSpans};

    #[test]
    fn matches_pdata_layout() {
        let span = Span {
            trace_id: [0u8; 15].into_iter().chain([1]).collect(),
            span_id: vec![0, 0, 0, 0, 0, 0, 0, 2],
            name: "foobar".into(),
            kind: 2,
            status: Some(Status {
                message: String::new(),
                code: 2,
            }),
            ..Default::default()
        };
        let rs = ResourceSpans {
            resource: None,
            scope_spans: vec![ScopeSpans {
                scope: None,
                spans: vec![span],
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        };
        let mut out = String::new();
        write_traces_data(&[rs], &mut out);
        assert_eq!(
            out,
            r#"{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":[{"traceId":"00000000000000000000000000000001","spanId":"0000000000000002","name":"foobar","kind":2,"status":{"code":2}}]}]}]}"#
        );
    }

    #[test]
    fn values_and_strings() {
        let kv = |v: Value| KeyValue {
            key: "k".into(),
            value: Some(AnyValue { value: Some(v) }),
            key_strindex: 0,
        };
        let mut out = String::new();
        write_key_value(&kv(Value::IntValue(9_007_199_254_740_993)), &mut out);
        write_key_value(&kv(Value::DoubleValue(2.0)), &mut out);
        write_key_value(
            &kv(Value::ArrayValue(ArrayValue { values: vec![] })),
            &mut out,
        );
        write_key_value(&kv(Value::StringValue("<a>\u{8}\"".into())), &mut out);
        assert_eq!(
            out,
            concat!(
                r#"{"key":"k","value":{"intValue":"9007199254740993"}}"#,
                r#"{"key":"k","value":{"doubleValue":2}}"#,
                r#"{"key":"k","value":{"arrayValue":{}}}"#,
                r#"{"key":"k","value":{"stringValue":"<a>\u0008\""}}"#
            )
        );
        let mut resp = String::new();
        write_export_response(&ExportTracePartialSuccess::default(), &mut resp);
        assert_eq!(resp, r#"{"partialSuccess":{}}"#);
    }
}

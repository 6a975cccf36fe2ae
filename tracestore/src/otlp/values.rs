//! Attribute values as the OpenTelemetry collector's `pdata` sees them:
//! look-ups by key, `AsString()` renderings, and Go `encoding/json` text.

use base64::Engine as _;

use super::{AnyValue, KeyValue, Value};
use crate::go::strconv;

/// The first attribute named `key` (pdata's `Map.Get`).
pub(crate) fn get<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a KeyValue> {
    attrs.iter().find(|kv| kv.key == key)
}

/// The value of an attribute, `None` for an empty value.
pub(crate) fn value_of(kv: &KeyValue) -> Option<&Value> {
    kv.value.as_ref().and_then(|v| v.value.as_ref())
}

/// An attribute value borrowed from either form a span is held in (OTLP
/// objects, or the store's compact attributes), so that one JSON writer
/// serves both.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ValueRef<'a> {
    /// No value: a missing `AnyValue`, or one without a value.
    Empty,
    /// A string.
    Str(&'a str),
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// Bytes, an array, a map or a string table index.
    Other(&'a Value),
}

impl<'a> ValueRef<'a> {
    /// The value of an OTLP `AnyValue`.
    pub(crate) fn of(v: Option<&'a AnyValue>) -> Self {
        v.and_then(|v| v.value.as_ref())
            .map_or(ValueRef::Empty, ValueRef::of_value)
    }

    /// An OTLP value: the scalar kinds by their own variant.
    pub(crate) fn of_value(v: &'a Value) -> Self {
        match v {
            Value::StringValue(s) => ValueRef::Str(s),
            Value::BoolValue(b) => ValueRef::Bool(*b),
            Value::IntValue(i) => ValueRef::Int(*i),
            Value::DoubleValue(d) => ValueRef::Double(*d),
            other => ValueRef::Other(other),
        }
    }
}

/// A string attribute value.
pub(crate) fn string_value(s: impl Into<String>) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(Value::StringValue(s.into())),
    })
}

/// pdata's `Value.AsString()`: strings as they are, numbers and booleans in
/// Go's text, bytes in base64, maps and slices as Go JSON.
pub(crate) fn as_string(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::StringValueStrindex(_)) => String::new(),
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(d)) => {
            if d.is_finite() {
                strconv::float(*d)
            } else {
                format!("json: unsupported value: {}", strconv::float(*d))
            }
        }
        Some(Value::BytesValue(b)) => base64::engine::general_purpose::STANDARD.encode(b),
        Some(v @ (Value::ArrayValue(_) | Value::KvlistValue(_))) => {
            let mut out = String::new();
            // Go's json.Marshal fails on NaN and pdata then returns "".
            match write_raw_json(Some(v), &mut out) {
                Ok(()) => out,
                Err(NonFinite) => String::new(),
            }
        }
    }
}

/// A float that JSON cannot carry.
#[derive(Debug)]
pub(crate) struct NonFinite;

/// Writes `json.Marshal(value.AsRaw())`: maps with sorted keys (the last of
/// duplicate keys wins), bytes in base64, HTML-escaped strings.
fn write_raw_json(v: Option<&Value>, out: &mut String) -> Result<(), NonFinite> {
    match v {
        None | Some(Value::StringValueStrindex(_)) => out.push_str("null"),
        Some(Value::StringValue(s)) => write_go_string(s, out),
        Some(Value::BoolValue(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Value::IntValue(i)) => out.push_str(&i.to_string()),
        Some(Value::DoubleValue(d)) => {
            if !d.is_finite() {
                return Err(NonFinite);
            }
            out.push_str(&strconv::float(*d));
        }
        Some(Value::BytesValue(b)) => {
            write_go_string(&base64::engine::general_purpose::STANDARD.encode(b), out)
        }
        Some(Value::ArrayValue(a)) => {
            out.push('[');
            for (i, item) in a.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_raw_json(item.value.as_ref(), out)?;
            }
            out.push(']');
        }
        Some(Value::KvlistValue(kvs)) => {
            let mut sorted: std::collections::BTreeMap<&str, Option<&Value>> =
                std::collections::BTreeMap::new();
            for kv in &kvs.values {
                sorted.insert(kv.key.as_str(), value_of(kv));
            }
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_string(k, out);
                out.push(':');
                write_raw_json(v, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Writes a JSON string as Go's `encoding/json` does (with HTML escaping).
pub(crate) fn write_go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{ArrayValue, KeyValueList};

    fn kv(key: &str, v: Value) -> KeyValue {
        KeyValue {
            key: key.to_owned(),
            value: Some(AnyValue { value: Some(v) }),
            ..Default::default()
        }
    }

    #[test]
    fn renders_like_pdata() {
        assert_eq!(as_string(Some(&Value::IntValue(-7))), "-7");
        assert_eq!(as_string(Some(&Value::DoubleValue(2.0))), "2");
        assert_eq!(as_string(Some(&Value::BoolValue(true))), "true");
        assert_eq!(
            as_string(Some(&Value::BytesValue(vec![0, 0, 48, 57]))),
            "AAAwOQ=="
        );
        assert_eq!(as_string(None), "");
        let map = Value::KvlistValue(KeyValueList {
            values: vec![
                kv("z", Value::StringValue("<b>".into())),
                kv(
                    "a",
                    Value::ArrayValue(ArrayValue {
                        values: vec![
                            AnyValue {
                                value: Some(Value::IntValue(1)),
                            },
                            AnyValue { value: None },
                        ],
                    }),
                ),
            ],
        });
        assert_eq!(
            as_string(Some(&map)),
            r#"{"a":[1,null],"z":"\u003cb\u003e"}"#
        );
        let nan = Value::ArrayValue(ArrayValue {
            values: vec![AnyValue {
                value: Some(Value::DoubleValue(f64::NAN)),
            }],
        });
        assert_eq!(as_string(Some(&nan)), "");
    }

    #[test]
    fn first_key_wins() {
        let attrs = vec![kv("k", Value::IntValue(1)), kv("k", Value::IntValue(2))];
        assert_eq!(as_string(get(&attrs, "k").and_then(value_of)), "1");
    }
}

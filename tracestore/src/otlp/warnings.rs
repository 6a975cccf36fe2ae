//! Jaeger's span warnings, carried as the string-slice attribute
//! `@jaeger@warnings` (`internal/jptrace/warning.go`): ingest sanitizers and
//! query-time adjusters add them; the v1 API lifts them into `warnings`.

use super::{AnyValue, ArrayValue, KeyValue, Value, values};

/// The attribute that holds a span's warnings.
pub(crate) const WARNINGS_ATTRIBUTE: &str = "@jaeger@warnings";

/// Appends warnings to a span's attributes (`jptrace.AddWarnings`): to the
/// existing slice, after the old value when it was not a slice, or in a new
/// attribute at the end.
pub(crate) fn add_warnings(attrs: &mut Vec<KeyValue>, warnings: impl IntoIterator<Item = String>) {
    let new = warnings.into_iter().map(|w| AnyValue {
        value: Some(Value::StringValue(w)),
    });
    if let Some(kv) = attrs.iter_mut().find(|kv| kv.key == WARNINGS_ATTRIBUTE) {
        match kv.value.as_mut().and_then(|v| v.value.as_mut()) {
            Some(Value::ArrayValue(list)) => list.values.extend(new),
            other => {
                let prev = values::as_string(other.as_deref());
                let mut values = vec![AnyValue {
                    value: Some(Value::StringValue(prev)),
                }];
                values.extend(new);
                kv.value = Some(AnyValue {
                    value: Some(Value::ArrayValue(ArrayValue { values })),
                });
            }
        }
    } else {
        attrs.push(KeyValue {
            key: WARNINGS_ATTRIBUTE.to_owned(),
            value: Some(AnyValue {
                value: Some(Value::ArrayValue(ArrayValue {
                    values: new.collect(),
                })),
            }),
            key_strindex: 0,
        });
    }
}

/// A span's warnings (`jptrace.GetWarnings`): the strings of the slice
/// (non-strings read as empty), or the rendering of a non-slice value.
pub(crate) fn get_warnings(attrs: &[KeyValue]) -> Option<Vec<String>> {
    let kv = values::get(attrs, WARNINGS_ATTRIBUTE)?;
    Some(match values::value_of(kv) {
        Some(Value::ArrayValue(list)) => list
            .values
            .iter()
            .map(|v| match &v.value {
                Some(Value::StringValue(s)) => s.clone(),
                _ => String::new(),
            })
            .collect(),
        other => vec![values::as_string(other)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_in_place() {
        let mut attrs = vec![KeyValue {
            key: "a".into(),
            value: values::string_value("x"),
            key_strindex: 0,
        }];
        assert_eq!(get_warnings(&attrs), None);
        add_warnings(&mut attrs, ["one".to_owned()]);
        add_warnings(&mut attrs, ["two".to_owned()]);
        assert_eq!(attrs.len(), 2);
        assert_eq!(get_warnings(&attrs), Some(vec!["one".into(), "two".into()]));
        attrs[1].value = values::string_value("plain");
        add_warnings(&mut attrs, ["three".to_owned()]);
        assert_eq!(
            get_warnings(&attrs),
            Some(vec!["plain".into(), "three".into()])
        );
    }
}

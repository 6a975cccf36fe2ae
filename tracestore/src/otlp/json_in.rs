//! OTLP/JSON request decoding, as lenient as the collector's `pdata`
//! unmarshaler: lowerCamelCase or snake_case field names, 64-bit integers as
//! strings or numbers, enums as integers or names, hex ids, base64 bytes,
//! unknown fields ignored, `null` read as absent.

use std::fmt;

use base64::Engine as _;
use serde_json::{Map, Value as Json};

use super::{
    AnyValue, ArrayValue, Event, ExportTraceServiceRequest, InstrumentationScope, KeyValue,
    KeyValueList, Link, Resource, ResourceSpans, ScopeSpans, Span, Status, Value,
};
use crate::ids::unhex;

/// Decodes an OTLP/JSON `ExportTraceServiceRequest`; the error names the
/// offending field by its path.
pub(crate) fn decode_request(body: &[u8]) -> Result<ExportTraceServiceRequest, JsonInError> {
    let root: Json = serde_json::from_slice(body).map_err(JsonInError::Json)?;
    let obj = object(&root, &Path::Request)?;
    let mut req = ExportTraceServiceRequest::default();
    for (key, v) in obj {
        if matches!(key.as_str(), "resourceSpans" | "resource_spans") {
            req.resource_spans = array(v, &Path::Top(key), resource_spans)?;
        }
    }
    Ok(req)
}

/// Why an OTLP/JSON request was refused (a 400); the field's path is
/// written only when there is an error.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JsonInError {
    /// The body is not JSON.
    #[error("invalid JSON")]
    Json(#[source] serde_json::Error),
    /// A field holds another kind of value than OTLP's.
    #[error("{path}: expected {expected}")]
    Field {
        /// Where, e.g. `resourceSpans[0].scopeSpans[0].spans[2].kind`.
        path: String,
        /// What OTLP's JSON mapping has there.
        expected: &'static str,
    },
    /// A trace or span id that is not hex.
    #[error("{path}: invalid hex id {text:?}")]
    HexId {
        /// Where.
        path: String,
        /// The text given.
        text: String,
    },
    /// A `bytesValue` that is not base64.
    #[error("{path}: invalid base64")]
    Base64 {
        /// Where.
        path: String,
        /// The decoder's reason.
        #[source]
        source: base64::DecodeError,
    },
}

/// Where a value sits in the request, kept as borrowed links to its parent
/// so that decoding builds no string unless it fails.
#[derive(Debug, Clone, Copy)]
enum Path<'a> {
    /// The whole body.
    Request,
    /// A field of the body (`resourceSpans`).
    Top(&'a str),
    /// A field of an object below.
    Field(&'a Path<'a>, &'a str),
    /// An element of an array.
    Item(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Request => f.write_str("request"),
            Path::Top(key) => f.write_str(key),
            Path::Field(parent, key) => write!(f, "{parent}.{key}"),
            Path::Item(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

fn expected(path: &Path<'_>, expected: &'static str) -> JsonInError {
    JsonInError::Field {
        path: path.to_string(),
        expected,
    }
}

type Obj = Map<String, Json>;

fn object<'a>(v: &'a Json, path: &Path<'_>) -> Result<&'a Obj, JsonInError> {
    v.as_object().ok_or_else(|| expected(path, "an object"))
}

/// Decodes each element of a JSON array (absent or `null` is empty).
fn array<T>(
    v: &Json,
    path: &Path<'_>,
    each: impl Fn(&Json, &Path<'_>) -> Result<T, JsonInError>,
) -> Result<Vec<T>, JsonInError> {
    match v {
        Json::Null => Ok(Vec::new()),
        Json::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| each(item, &Path::Item(path, i)))
            .collect(),
        _ => Err(expected(path, "an array")),
    }
}

/// Visits the fields of an object, giving each its path.
fn fields<'a>(
    v: &'a Json,
    path: &'a Path<'a>,
) -> Result<impl Iterator<Item = (&'a str, &'a Json, Path<'a>)>, JsonInError> {
    Ok(object(v, path)?
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(move |(k, v)| (k.as_str(), v, Path::Field(path, k.as_str()))))
}

fn resource_spans(v: &Json, path: &Path<'_>) -> Result<ResourceSpans, JsonInError> {
    let mut rs = ResourceSpans::default();
    for (key, v, p) in fields(v, path)? {
        match key {
            "resource" => rs.resource = Some(resource(v, &p)?),
            "scopeSpans" | "scope_spans" => rs.scope_spans = array(v, &p, scope_spans)?,
            "schemaUrl" | "schema_url" => rs.schema_url = string(v, &p)?,
            _ => {}
        }
    }
    Ok(rs)
}

fn resource(v: &Json, path: &Path<'_>) -> Result<Resource, JsonInError> {
    let mut r = Resource::default();
    for (key, v, p) in fields(v, path)? {
        match key {
            "attributes" => r.attributes = array(v, &p, key_value)?,
            "droppedAttributesCount" | "dropped_attributes_count" => {
                r.dropped_attributes_count = uint32(v, &p)?
            }
            _ => {}
        }
    }
    Ok(r)
}

fn scope_spans(v: &Json, path: &Path<'_>) -> Result<ScopeSpans, JsonInError> {
    let mut ss = ScopeSpans::default();
    for (key, v, p) in fields(v, path)? {
        match key {
            "scope" => ss.scope = Some(scope(v, &p)?),
            "spans" => ss.spans = array(v, &p, span)?,
            "schemaUrl" | "schema_url" => ss.schema_url = string(v, &p)?,
            _ => {}
        }
    }
    Ok(ss)
}

fn scope(v: &Json, path: &Path<'_>) -> Result<InstrumentationScope, JsonInError> {
    let mut s = InstrumentationScope::default();
    for (key, v, p) in fields(v, path)? {
        match key {
            "name" => s.name = string(v, &p)?,
            "version" => s.version = string(v, &p)?,
            "attributes" => s.attributes = array(v, &p, key_value)?,
            "droppedAttributesCount" | "dropped_attributes_count" => {
                s.dropped_attributes_count = uint32(v, &p)?
            }
            _ => {}
        }
    }
    Ok(s)
}

const SPAN_KINDS: [&str; 6] = [
    "SPAN_KIND_UNSPECIFIED",
    "SPAN_KIND_INTERNAL",
    "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT",
    "SPAN_KIND_PRODUCER",
    "SPAN_KIND_CONSUMER",
];
const STATUS_CODES: [&str; 3] = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];

fn span(v: &Json, path: &Path<'_>) -> Result<Span, JsonInError> {
    let mut s = Span::default();
    for (key, v, p) in fields(v, path)? {
        match key {
            "traceId" | "trace_id" => s.trace_id = id(v, &p)?,
            "spanId" | "span_id" => s.span_id = id(v, &p)?,
            "traceState" | "trace_state" => s.trace_state = string(v, &p)?,
            "parentSpanId" | "parent_span_id" => s.parent_span_id = id(v, &p)?,
            "flags" => s.flags = uint32(v, &p)?,
            "name" => s.name = string(v, &p)?,
            "kind" => s.kind = enum_value(v, &p, &SPAN_KINDS)?,
            "startTimeUnixNano" | "start_time_unix_nano" => s.start_time_unix_nano = uint64(v, &p)?,
            "endTimeUnixNano" | "end_time_unix_nano" => s.end_time_unix_nano = uint64(v, &p)?,
            "attributes" => s.attributes = array(v, &p, key_value)?,
            "droppedAttributesCount" | "dropped_attributes_count" => {
                s.dropped_attributes_count = uint32(v, &p)?
            }
            "events" => s.events = array(v, &p, event)?,
            "droppedEventsCount" | "dropped_events_count" => {
                s.dropped_events_count = uint32(v, &p)?
            }
            "links" => s.links = array(v, &p, link)?,
            "droppedLinksCount" | "dropped_links_count" => s.dropped_links_count = uint32(v, &p)?,
            "status" => s.status = Some(status(v, &p)?),
            _ => {}
        }
    }
    Ok(s)
}

fn status(v: &Json, path: &Path<'_>) -> Result<Status, JsonInError> {
    let mut st = Status::default();
    for (key, v, p) in fields(v, path)? {
        match key {
            "message" => st.message = string(v, &p)?,
            "code" => st.code = enum_value(v, &p, &STATUS_CODES)?,
            _ => {}
        }
    }
    Ok(st)
}

fn event(v: &Json, path: &Path<'_>) -> Result<Event, JsonInError> {
    let mut e = Event::default();
    for (key, v, p) in fields(v, path)? {
        match key {
            "timeUnixNano" | "time_unix_nano" => e.time_unix_nano = uint64(v, &p)?,
            "name" => e.name = string(v, &p)?,
            "attributes" => e.attributes = array(v, &p, key_value)?,
            "droppedAttributesCount" | "dropped_attributes_count" => {
                e.dropped_attributes_count = uint32(v, &p)?
            }
            _ => {}
        }
    }
    Ok(e)
}

fn link(v: &Json, path: &Path<'_>) -> Result<Link, JsonInError> {
    let mut l = Link::default();
    for (key, v, p) in fields(v, path)? {
        match key {
            "traceId" | "trace_id" => l.trace_id = id(v, &p)?,
            "spanId" | "span_id" => l.span_id = id(v, &p)?,
            "traceState" | "trace_state" => l.trace_state = string(v, &p)?,
            "attributes" => l.attributes = array(v, &p, key_value)?,
            "droppedAttributesCount" | "dropped_attributes_count" => {
                l.dropped_attributes_count = uint32(v, &p)?
            }
            "flags" => l.flags = uint32(v, &p)?,
            _ => {}
        }
    }
    Ok(l)
}

fn key_value(v: &Json, path: &Path<'_>) -> Result<KeyValue, JsonInError> {
    let mut kv = KeyValue::default();
    for (key, v, p) in fields(v, path)? {
        match key {
            "key" => kv.key = string(v, &p)?,
            "value" => kv.value = Some(any_value(v, &p)?),
            _ => {}
        }
    }
    Ok(kv)
}

fn any_value(v: &Json, path: &Path<'_>) -> Result<AnyValue, JsonInError> {
    let mut out = AnyValue::default();
    for (key, v, p) in fields(v, path)? {
        let value = match key {
            "stringValue" | "string_value" => Value::StringValue(string(v, &p)?),
            "boolValue" | "bool_value" => {
                Value::BoolValue(v.as_bool().ok_or_else(|| expected(&p, "a boolean"))?)
            }
            "intValue" | "int_value" => Value::IntValue(int64(v, &p)?),
            "doubleValue" | "double_value" => Value::DoubleValue(double(v, &p)?),
            "arrayValue" | "array_value" => {
                let mut values = Vec::new();
                for (k, v, p) in fields(v, &p)? {
                    if k == "values" {
                        values = array(v, &p, any_value)?;
                    }
                }
                Value::ArrayValue(ArrayValue { values })
            }
            "kvlistValue" | "kvlist_value" => {
                let mut values = Vec::new();
                for (k, v, p) in fields(v, &p)? {
                    if k == "values" {
                        values = array(v, &p, key_value)?;
                    }
                }
                Value::KvlistValue(KeyValueList { values })
            }
            "bytesValue" | "bytes_value" => Value::BytesValue(
                base64::engine::general_purpose::STANDARD
                    .decode(string(v, &p)?)
                    .map_err(|source| JsonInError::Base64 {
                        path: p.to_string(),
                        source,
                    })?,
            ),
            _ => continue,
        };
        out.value = Some(value);
    }
    Ok(out)
}

fn string(v: &Json, path: &Path<'_>) -> Result<String, JsonInError> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| expected(path, "a string"))
}

fn id(v: &Json, path: &Path<'_>) -> Result<Vec<u8>, JsonInError> {
    let s = v.as_str().ok_or_else(|| expected(path, "a hex string"))?;
    unhex(s).ok_or_else(|| JsonInError::HexId {
        path: path.to_string(),
        text: s.to_owned(),
    })
}

/// A non-negative integer, as a JSON number or a decimal string.
fn uint64(v: &Json, path: &Path<'_>) -> Result<u64, JsonInError> {
    match v {
        Json::Number(n) => n.as_u64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| expected(path, "an unsigned 64-bit integer"))
}

fn uint32(v: &Json, path: &Path<'_>) -> Result<u32, JsonInError> {
    uint64(v, path)?
        .try_into()
        .map_err(|_| expected(path, "an unsigned 32-bit integer"))
}

fn int64(v: &Json, path: &Path<'_>) -> Result<i64, JsonInError> {
    match v {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| expected(path, "a 64-bit integer"))
}

/// A double, as a number or one of the strings `NaN`, `Infinity`,
/// `-Infinity` (the proto3 JSON mapping).
fn double(v: &Json, path: &Path<'_>) -> Result<f64, JsonInError> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.parse().ok(),
        },
        _ => None,
    }
    .ok_or_else(|| expected(path, "a number"))
}

/// An enum as its integer or its proto name.
fn enum_value(v: &Json, path: &Path<'_>, names: &[&str]) -> Result<i32, JsonInError> {
    match v {
        Json::Number(n) => n.as_i64().and_then(|i| i32::try_from(i).ok()),
        Json::String(s) => names
            .iter()
            .position(|n| n == s)
            .and_then(|i| i32::try_from(i).ok()),
        _ => None,
    }
    .ok_or_else(|| expected(path, "an enum number or name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_camel_and_snake_case() {
        let body = br#"{"resource_spans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
            "scopeSpans":[{"scope":{"name":"lib","version":"1"},"spans":[{
              "traceId":"0102030405060708090A0B0C0D0E0F10","span_id":"0102030405060708",
              "name":"op","kind":"SPAN_KIND_CLIENT","startTimeUnixNano":"10","end_time_unix_nano":20,
              "attributes":[{"key":"n","value":{"intValue":"-5"}},{"key":"d","value":{"doubleValue":"NaN"}},
                            {"key":"b","value":{"bytesValue":"AAE="}},{"key":"e","value":{}}],
              "status":{"code":2,"message":"bad"},"unknown":{"x":1},"parentSpanId":""}]}]}]}"#;
        let req = decode_request(body).unwrap();
        let span = &req.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(span.trace_id, (1..=16).collect::<Vec<u8>>());
        assert_eq!(span.span_id, (1..=8).collect::<Vec<u8>>());
        assert!(span.parent_span_id.is_empty());
        assert_eq!(span.kind, 3);
        assert_eq!(
            (span.start_time_unix_nano, span.end_time_unix_nano),
            (10, 20)
        );
        assert_eq!(
            span.attributes[0].value.as_ref().unwrap().value,
            Some(Value::IntValue(-5))
        );
        assert!(matches!(
            span.attributes[1].value.as_ref().unwrap().value,
            Some(Value::DoubleValue(d)) if d.is_nan()
        ));
        assert_eq!(
            span.attributes[2].value.as_ref().unwrap().value,
            Some(Value::BytesValue(vec![0, 1]))
        );
        assert_eq!(span.attributes[3].value.as_ref().unwrap().value, None);
        assert_eq!(span.status.as_ref().unwrap().code, 2);
    }

    #[test]
    fn errors_name_the_field() {
        let err = decode_request(
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"}]}]}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "resourceSpans[0].scopeSpans[0].spans[0].traceId: invalid hex id \"xyz\""
        );
        // The parser's reason is the source, after the message on one line.
        let err = cli_support::error_chain(&decode_request(b"{not json").unwrap_err());
        assert!(
            err.starts_with("invalid JSON: key must be a string"),
            "{err}"
        );
        assert_eq!(
            decode_request(b"[]").unwrap_err().to_string(),
            "request: expected an object"
        );
        let err = decode_request(
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SIDEWAYS"}]}]}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.ends_with("spans[0].kind: expected an enum number or name"),
            "{err}"
        );
    }
}

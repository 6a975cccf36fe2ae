//! Jaeger's `/api/v3` answers: OTLP JSON (`{"result": {"resourceSpans": [...]}}`)
//! with hex ids, nanosecond strings and enum numbers. A search merges every
//! matching trace into one `result`, so spans are grouped by `traceId` here.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use super::ParseError;
use super::json::{LenientNum, Scalar, u64_lenient};
use crate::model::{
    AttrValue, Attributes, Event, Span, SpanId, SpanKind, StatusCode, Trace, TraceId, hex_value,
};

// The answer is read in one pass into these types: strings borrowed from the
// body where it has no escapes (`Cow`), ids decoded in place into integers,
// numbers and enums read without a copy of their text, attributes straight
// into the model's list; only what the model keeps is allocated.

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    result: Option<TracesData<'a>>,
}

#[derive(Deserialize)]
struct TracesData<'a> {
    #[serde(rename = "resourceSpans", default, borrow)]
    resource_spans: Vec<ResourceSpans<'a>>,
}

#[derive(Deserialize)]
struct ResourceSpans<'a> {
    #[serde(default, borrow)]
    resource: Option<Resource<'a>>,
    #[serde(rename = "scopeSpans", default, borrow)]
    scope_spans: Vec<ScopeSpans<'a>>,
}

#[derive(Deserialize)]
struct Resource<'a> {
    #[serde(default, borrow)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize)]
struct ScopeSpans<'a> {
    #[serde(default, borrow)]
    spans: Vec<OtlpSpan<'a>>,
}

#[derive(Deserialize)]
struct OtlpSpan<'a> {
    #[serde(rename = "traceId")]
    trace_id: Id<16>,
    #[serde(rename = "spanId")]
    span_id: Id<8>,
    #[serde(rename = "parentSpanId", default)]
    parent_span_id: ParentId,
    #[serde(default, borrow)]
    name: Cow<'a, str>,
    #[serde(default, borrow)]
    kind: OtlpEnum<'a>,
    #[serde(
        rename = "startTimeUnixNano",
        default,
        deserialize_with = "u64_lenient"
    )]
    start: u64,
    #[serde(rename = "endTimeUnixNano", default, deserialize_with = "u64_lenient")]
    end: u64,
    #[serde(default, deserialize_with = "attributes")]
    attributes: Attributes,
    #[serde(default, borrow)]
    events: Vec<OtlpEvent<'a>>,
    #[serde(default, borrow)]
    status: Option<OtlpStatus<'a>>,
}

#[derive(Deserialize)]
struct OtlpEvent<'a> {
    #[serde(rename = "timeUnixNano", default, deserialize_with = "u64_lenient")]
    time: u64,
    #[serde(default, borrow)]
    name: Cow<'a, str>,
    #[serde(default, deserialize_with = "attributes")]
    attributes: Attributes,
}

#[derive(Deserialize)]
struct OtlpStatus<'a> {
    #[serde(default, borrow)]
    code: OtlpEnum<'a>,
    #[serde(default, borrow)]
    message: Cow<'a, str>,
}

#[derive(Deserialize)]
struct KeyValue<'a> {
    #[serde(borrow)]
    key: Cow<'a, str>,
    #[serde(default, borrow)]
    value: AnyValue<'a>,
}

#[derive(Deserialize, Default)]
struct AnyValue<'a> {
    #[serde(rename = "stringValue", borrow)]
    string: Option<Cow<'a, str>>,
    #[serde(rename = "intValue")]
    int: Option<LenientNum>,
    #[serde(rename = "doubleValue")]
    double: Option<LenientNum>,
    #[serde(rename = "boolValue")]
    boolean: Option<bool>,
    #[serde(rename = "bytesValue", borrow)]
    bytes: Option<Cow<'a, str>>,
    #[serde(rename = "arrayValue")]
    array: Option<Scalar>,
    #[serde(rename = "kvlistValue")]
    kvlist: Option<Scalar>,
}

/// An id of `BYTES` bytes (hex, or the base64 some encoders write), decoded
/// from the body in place.
struct Id<const BYTES: usize>(u128);

impl<'de, const BYTES: usize> Deserialize<'de> for Id<BYTES> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdVisitor<const BYTES: usize>;
        impl<const BYTES: usize> Visitor<'_> for IdVisitor<BYTES> {
            type Value = Id<BYTES>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an id of {} hex digits", BYTES * 2)
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Id<BYTES>, E> {
                decode_id(text, BYTES).map(Id).ok_or_else(|| {
                    E::custom(format!("id `{text}` is not {} hex digits", BYTES * 2))
                })
            }
        }
        d.deserialize_str(IdVisitor::<BYTES>)
    }
}

/// `parentSpanId`: empty, absent or all zeros for a root.
#[derive(Default)]
struct ParentId(Option<SpanId>);

impl<'de> Deserialize<'de> for ParentId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ParentVisitor;
        impl Visitor<'_> for ParentVisitor {
            type Value = ParentId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a span id of 16 hex digits or an empty string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<ParentId, E> {
                if text.is_empty() {
                    return Ok(ParentId(None));
                }
                let id = decode_id(text, 8).ok_or_else(|| {
                    E::custom(format!("parentSpanId `{text}` is not 16 hex digits"))
                })?;
                Ok(ParentId(Some(SpanId(id as u64)).filter(|id| id.0 != 0)))
            }
        }
        d.deserialize_str(ParentVisitor)
    }
}

/// An OTLP enum as written: its number (as Jaeger does), its proto name, or
/// absent; anything else kept as text for the error.
#[derive(Default)]
enum OtlpEnum<'a> {
    #[default]
    Absent,
    Number(Option<u64>),
    Name(Cow<'a, str>),
    Other(String),
}

impl<'de: 'a, 'a> Deserialize<'de> for OtlpEnum<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EnumVisitor;
        impl<'de> Visitor<'de> for EnumVisitor {
            type Value = OtlpEnum<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an enum number or name")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<OtlpEnum<'de>, E> {
                Ok(OtlpEnum::Number(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<OtlpEnum<'de>, E> {
                Ok(OtlpEnum::Number(u64::try_from(v).ok()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<OtlpEnum<'de>, E> {
                let whole = v.fract() == 0.0 && (0.0..1.8e19).contains(&v);
                Ok(OtlpEnum::Number(whole.then_some(v as u64)))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<OtlpEnum<'de>, E> {
                Ok(OtlpEnum::Name(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OtlpEnum<'de>, E> {
                Ok(OtlpEnum::Name(Cow::Owned(v.to_owned())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<OtlpEnum<'de>, E> {
                Ok(OtlpEnum::Absent)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<OtlpEnum<'de>, E> {
                Ok(OtlpEnum::Other(v.to_string()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<OtlpEnum<'de>, A::Error> {
                let value =
                    serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(OtlpEnum::Other(value.to_string()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<OtlpEnum<'de>, A::Error> {
                let value =
                    serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(OtlpEnum::Other(value.to_string()))
            }
        }
        d.deserialize_any(EnumVisitor)
    }
}

/// An OTLP attribute list read straight into the model's list.
fn attributes<'de, D: Deserializer<'de>>(d: D) -> Result<Attributes, D::Error> {
    struct ListVisitor;
    impl<'de> Visitor<'de> for ListVisitor {
        type Value = Attributes;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of attributes")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Attributes, A::Error> {
            let mut list = Attributes::with_capacity(seq.size_hint().unwrap_or(0));
            while let Some(kv) = seq.next_element::<KeyValue<'de>>()? {
                list.push((kv.key.into_owned(), convert_value(kv.value)));
            }
            Ok(list)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Attributes, E> {
            Ok(Attributes::new())
        }
    }
    d.deserialize_any(ListVisitor)
}

/// Parses a v3 trace or search answer into traces, grouped by trace id in
/// first-seen order. A body without `result` is not a v3 answer.
pub fn parse_traces(body: &[u8]) -> Result<Vec<Trace>, ParseError> {
    let envelope: Envelope<'_> = serde_json::from_slice(body).map_err(ParseError::json)?;
    let data = envelope.result.ok_or_else(|| {
        ParseError::new("the answer has no `result` (not an /api/v3 trace answer)")
    })?;
    let mut traces: Vec<Trace> = Vec::new();
    let mut index: HashMap<TraceId, usize> = HashMap::new();
    for resource_spans in data.resource_spans {
        let service = resource_spans
            .resource
            .as_ref()
            .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
            .and_then(|kv| kv.value.string.as_deref())
            .unwrap_or_default()
            .to_owned();
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                let trace_id = TraceId(span.trace_id.0);
                let converted = convert_span(span, &service)?;
                let slot = *index.entry(trace_id).or_insert_with(|| {
                    traces.push(Trace {
                        trace_id,
                        spans: Vec::new(),
                        warnings: Vec::new(),
                    });
                    traces.len() - 1
                });
                traces[slot].spans.push(converted);
            }
        }
    }
    Ok(traces)
}

/// One trace of a `/api/v3/trace-summaries` answer (Jaeger >= 2.19): what
/// the read strategy needs to tell whether the copy it holds is whole
/// without reading the trace again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TraceSummary {
    /// The trace.
    pub(crate) trace_id: TraceId,
    /// Its earliest span start, ns (the density of a full answer).
    pub(crate) start_ns: u64,
    /// Its spans in the store.
    pub(crate) span_count: u64,
}

/// Protobuf's JSON leaves an empty list out, so `{}` is an answer without
/// summaries; any other field means it is not a summaries answer.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SummariesEnvelope<'a> {
    #[serde(borrow, default)]
    summaries: Vec<RawSummary<'a>>,
}

#[derive(Deserialize)]
struct RawSummary<'a> {
    #[serde(rename = "traceId", borrow)]
    trace_id: std::borrow::Cow<'a, str>,
    #[serde(
        rename = "minStartTimeUnixNano",
        default,
        deserialize_with = "u64_lenient"
    )]
    start: u64,
    #[serde(rename = "spanCount", deserialize_with = "u64_lenient")]
    span_count: u64,
}

/// Parses a trace-summaries answer (`{"summaries": [...]}`, `{}` when none).
/// Anything else is not one (a server without the route may answer its UI).
pub(crate) fn parse_summaries(body: &[u8]) -> Result<Vec<TraceSummary>, ParseError> {
    let envelope: SummariesEnvelope<'_> = serde_json::from_slice(body).map_err(ParseError::json)?;
    envelope
        .summaries
        .into_iter()
        .map(|s| {
            Ok(TraceSummary {
                trace_id: parse_trace_id(&s.trace_id)?,
                start_ns: s.start,
                span_count: s.span_count,
            })
        })
        .collect()
}

/// Parses an OTLP JSON id: hex, or the base64 some encoders write.
fn decode_id(text: &str, bytes: usize) -> Option<u128> {
    if text.len() == bytes * 2
        && let Some(id) = hex_value(text)
    {
        return Some(id);
    }
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    (raw.len() == bytes).then(|| raw.iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b)))
}

fn parse_trace_id(text: &str) -> Result<TraceId, ParseError> {
    decode_id(text, 16)
        .map(TraceId)
        .ok_or_else(|| ParseError::new(format!("traceId `{text}` is not 32 hex digits")))
}

fn convert_span(span: OtlpSpan<'_>, service: &str) -> Result<Span, ParseError> {
    let (status, status_message) = match span.status {
        Some(status) => (status_code(&status.code)?, status.message.into_owned()),
        None => (StatusCode::Unset, String::new()),
    };
    Ok(Span {
        span_id: SpanId(span.span_id.0 as u64),
        parent: span.parent_span_id.0,
        name: span.name.into_owned(),
        kind: span_kind(&span.kind)?,
        service: service.to_owned(),
        start_ns: span.start,
        end_ns: span.end,
        status,
        status_message,
        attributes: span.attributes,
        events: span
            .events
            .into_iter()
            .map(|e| Event {
                name: e.name.into_owned(),
                time_ns: e.time,
                attributes: e.attributes,
            })
            .collect(),
    })
}

/// An OTLP enum, written as its number (as Jaeger does) or its proto name.
fn enum_value<T: Copy>(
    value: &OtlpEnum<'_>,
    what: &str,
    values: &[(T, &str)],
) -> Result<T, ParseError> {
    let found = match value {
        OtlpEnum::Absent => Some(values[0].0),
        OtlpEnum::Number(n) => n
            .and_then(|i| values.get(usize::try_from(i).ok()?))
            .map(|v| v.0),
        OtlpEnum::Name(name) => values.iter().find(|(_, n)| n == name).map(|v| v.0),
        OtlpEnum::Other(_) => None,
    };
    found.ok_or_else(|| {
        let text = match value {
            OtlpEnum::Absent => "null".to_owned(),
            OtlpEnum::Number(n) => {
                n.map_or_else(|| "(not a valid number)".to_owned(), |n| n.to_string())
            }
            OtlpEnum::Name(name) => name.to_string(),
            OtlpEnum::Other(text) => text.clone(),
        };
        ParseError::new(format!("unknown {what} {text}"))
    })
}

fn span_kind(value: &OtlpEnum<'_>) -> Result<SpanKind, ParseError> {
    enum_value(
        value,
        "span kind",
        &[
            (SpanKind::Unspecified, "SPAN_KIND_UNSPECIFIED"),
            (SpanKind::Internal, "SPAN_KIND_INTERNAL"),
            (SpanKind::Server, "SPAN_KIND_SERVER"),
            (SpanKind::Client, "SPAN_KIND_CLIENT"),
            (SpanKind::Producer, "SPAN_KIND_PRODUCER"),
            (SpanKind::Consumer, "SPAN_KIND_CONSUMER"),
        ],
    )
}

fn status_code(value: &OtlpEnum<'_>) -> Result<StatusCode, ParseError> {
    enum_value(
        value,
        "status code",
        &[
            (StatusCode::Unset, "STATUS_CODE_UNSET"),
            (StatusCode::Ok, "STATUS_CODE_OK"),
            (StatusCode::Error, "STATUS_CODE_ERROR"),
        ],
    )
}

fn convert_value(value: AnyValue<'_>) -> AttrValue {
    if let Some(s) = value.string {
        AttrValue::Str(s.into_owned())
    } else if let Some(v) = value.int.and_then(|n| n.0).and_then(|n| n.to_i64()) {
        AttrValue::Int(v)
    } else if let Some(v) = value.double.and_then(|n| n.0) {
        AttrValue::Double(v.to_f64())
    } else if let Some(v) = value.boolean {
        AttrValue::Bool(v)
    } else if let Some(v) = value.bytes {
        AttrValue::Bytes(v.into_owned())
    } else if let Some(v) = value.array.or(value.kvlist) {
        AttrValue::Composite(v.into_text())
    } else {
        AttrValue::Composite(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Jaeger's own GetTrace snapshot (apiv3/snapshots/GetTrace.json), keys sorted as the
    /// snapshot harness writes them.
    const GET_TRACE: &str = r#"{"result":{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},
        "spans":[{"kind":2,"name":"foobar","spanId":"0000000000000002","status":{"code":2},
        "traceId":"00000000000000000000000000000001"}]}]}]}}"#;

    #[test]
    fn parses_jaegers_get_trace_snapshot_shape() {
        let traces = parse_traces(GET_TRACE.as_bytes()).unwrap();
        assert_eq!(traces.len(), 1);
        let span = &traces[0].spans[0];
        assert_eq!(traces[0].trace_id, TraceId(1));
        assert_eq!(span.span_id, SpanId(2));
        assert_eq!(span.kind, SpanKind::Server);
        assert_eq!(span.status, StatusCode::Error);
        assert_eq!(span.parent, None);
        assert_eq!(span.service, "");
    }

    #[test]
    fn merged_search_results_are_grouped_by_trace() {
        let body = r#"{"result":{"resourceSpans":[
          {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"a"}}]},
           "scopeSpans":[{"spans":[{"traceId":"0000000000000000000000000000000a","spanId":"0000000000000001","name":"x","kind":"SPAN_KIND_CLIENT","startTimeUnixNano":"5","endTimeUnixNano":"9",
             "attributes":[{"key":"i","value":{"intValue":"9223372036854775807"}},{"key":"d","value":{"doubleValue":1.5}},{"key":"b","value":{"boolValue":true}},{"key":"l","value":{"arrayValue":{"values":[]}}}],
             "events":[{"timeUnixNano":"6","name":"ev","attributes":[{"key":"k","value":{"stringValue":"v"}}]}]}]}]},
          {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"b"}}]},
           "scopeSpans":[{"spans":[{"traceId":"0000000000000000000000000000000b","spanId":"0000000000000002","parentSpanId":"","name":"y"},
                                   {"traceId":"0000000000000000000000000000000a","spanId":"0000000000000003","parentSpanId":"0000000000000001","name":"z","status":{"code":"STATUS_CODE_OK","message":"m"}}]}]}]}}"#;
        let traces = parse_traces(body.as_bytes()).unwrap();
        assert_eq!(traces.len(), 2);
        assert_eq!(traces[0].spans.len(), 2);
        let first = &traces[0].spans[0];
        assert_eq!(first.kind, SpanKind::Client);
        assert_eq!((first.start_ns, first.end_ns), (5, 9));
        assert_eq!(first.attr("i"), Some(&AttrValue::Int(i64::MAX)));
        assert_eq!(first.attr("d"), Some(&AttrValue::Double(1.5)));
        assert_eq!(first.attr("b"), Some(&AttrValue::Bool(true)));
        assert_eq!(first.events[0].name, "ev");
        assert_eq!(traces[0].spans[1].service, "b");
        assert_eq!(traces[0].spans[1].parent, Some(SpanId(1)));
        assert_eq!(traces[0].spans[1].status, StatusCode::Ok);
        assert_eq!(traces[1].spans[0].parent, None);
    }

    #[test]
    fn escaped_strings_base64_ids_and_numbers_in_either_form_are_read() {
        // Escapes cannot be borrowed from the body; ids may be base64 or
        // upper-case hex; numbers and enums may be strings or numbers.
        let body = r#"{"result":{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s\u0076c"}}]},
          "scopeSpans":[{"spans":[{"traceId":"AAAAAAAAAAAAAAAAAAAAAQ==","spanId":"00000000000000AB","parentSpanId":"0000000000000000",
            "name":"say \"hi\"","kind":3.0,"startTimeUnixNano":7,"endTimeUnixNano":"8",
            "attributes":[{"key":"k\n","value":{"intValue":12}},{"key":"s","value":{"stringValue":"\u00e9"}},{"key":"x","value":{"intValue":"NaN"}}],
            "status":{"code":"STATUS_CODE_ERROR","message":"bad\tthing"}}]}]}]}}"#;
        let traces = parse_traces(body.as_bytes()).unwrap();
        let span = &traces[0].spans[0];
        assert_eq!(traces[0].trace_id, TraceId(1));
        assert_eq!((span.span_id, span.parent), (SpanId(0xab), None));
        assert_eq!(
            (span.service.as_str(), span.name.as_str()),
            ("svc", "say \"hi\"")
        );
        assert_eq!(span.kind, SpanKind::Client);
        assert_eq!((span.start_ns, span.end_ns), (7, 8));
        assert_eq!(span.attr("k\n"), Some(&AttrValue::Int(12)));
        assert_eq!(span.attr("s"), Some(&AttrValue::Str("é".to_owned())));
        assert_eq!(span.attr("x"), Some(&AttrValue::Composite(String::new())));
        assert_eq!(
            (span.status, span.status_message.as_str()),
            (StatusCode::Error, "bad\tthing")
        );
        for broken in [
            r#""traceId":"0001","spanId":"0000000000000001""#,
            r#""traceId":"0000000000000000000000000000000g","spanId":"0000000000000001""#,
            r#""traceId":"00000000000000000000000000000001","spanId":"01""#,
            r#""traceId":"00000000000000000000000000000001","spanId":"0000000000000001","parentSpanId":"xyz""#,
            r#""traceId":"00000000000000000000000000000001","spanId":"0000000000000001","kind":9"#,
            r#""traceId":"00000000000000000000000000000001","spanId":"0000000000000001","kind":true"#,
            r#""traceId":"00000000000000000000000000000001","spanId":"0000000000000001","startTimeUnixNano":"-1""#,
        ] {
            let body = format!(
                r#"{{"result":{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{{broken}}}]}}]}}]}}}}"#
            );
            assert!(parse_traces(body.as_bytes()).is_err(), "{broken}");
        }
    }

    /// Jaeger's FindTraceSummaries snapshot (apiv3/snapshots), keys sorted.
    const SUMMARIES: &str = r#"{"summaries":[{"errorSpanCount":1,"maxEndTimeUnixNano":"1001000000000",
        "minStartTimeUnixNano":"1000000000000","rootOperationName":"HTTP GET /","rootServiceName":"frontend",
        "services":[{"errorSpanCount":1,"name":"frontend","spanCount":2}],"spanCount":2,
        "traceId":"00000000000000000000000000000001"}]}"#;

    #[test]
    fn parses_jaegers_trace_summaries_snapshot_shape() {
        let summaries = parse_summaries(SUMMARIES.as_bytes()).unwrap();
        assert_eq!(
            summaries,
            [TraceSummary {
                trace_id: TraceId(1),
                start_ns: 1_000_000_000_000,
                span_count: 2,
            }]
        );
        assert_eq!(parse_summaries(br#"{"summaries":[]}"#).unwrap(), []);
        assert_eq!(parse_summaries(b"{}").unwrap(), []);
        assert!(parse_summaries(br#"{"result":{}}"#).is_err());
        assert!(parse_summaries(b"<!doctype html>").is_err());
        assert!(parse_summaries(br#"{"summaries":[{"traceId":"01"}]}"#).is_err());
    }

    #[test]
    fn non_v3_json_is_an_error() {
        assert!(parse_traces(br#"{"data":[]}"#).is_err());
        assert!(parse_traces(b"<html>").is_err());
        assert!(parse_traces(br#"{"result":{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"01"}]}]}]}}"#).is_err());
    }
}

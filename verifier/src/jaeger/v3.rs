//! Jaeger's `/api/v3` answers: OTLP JSON (`{"result": {"resourceSpans": [...]}}`)
//! with hex ids, nanosecond strings and enum numbers. A search merges every
//! matching trace into one `result`, so spans are grouped by `traceId` here.

use std::collections::HashMap;

use serde::Deserialize;

use super::ParseError;
use super::json::{Scalar, u64_lenient};
use crate::model::{
    AttrValue, Attributes, Event, Span, SpanId, SpanKind, StatusCode, Trace, TraceId,
};

#[derive(Deserialize)]
struct Envelope {
    result: Option<TracesData>,
}

#[derive(Deserialize)]
struct TracesData {
    #[serde(rename = "resourceSpans", default)]
    resource_spans: Vec<ResourceSpans>,
}

#[derive(Deserialize)]
struct ResourceSpans {
    #[serde(default)]
    resource: Option<Resource>,
    #[serde(rename = "scopeSpans", default)]
    scope_spans: Vec<ScopeSpans>,
}

#[derive(Deserialize)]
struct Resource {
    #[serde(default)]
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize)]
struct ScopeSpans {
    #[serde(default)]
    spans: Vec<OtlpSpan>,
}

#[derive(Deserialize)]
struct OtlpSpan {
    #[serde(rename = "traceId")]
    trace_id: String,
    #[serde(rename = "spanId")]
    span_id: String,
    #[serde(rename = "parentSpanId", default)]
    parent_span_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: Scalar,
    #[serde(
        rename = "startTimeUnixNano",
        default,
        deserialize_with = "u64_lenient"
    )]
    start: u64,
    #[serde(rename = "endTimeUnixNano", default, deserialize_with = "u64_lenient")]
    end: u64,
    #[serde(default)]
    attributes: Vec<KeyValue>,
    #[serde(default)]
    events: Vec<OtlpEvent>,
    #[serde(default)]
    status: Option<OtlpStatus>,
}

#[derive(Deserialize)]
struct OtlpEvent {
    #[serde(rename = "timeUnixNano", default, deserialize_with = "u64_lenient")]
    time: u64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize)]
struct OtlpStatus {
    #[serde(default)]
    code: Scalar,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct KeyValue {
    key: String,
    #[serde(default)]
    value: AnyValue,
}

#[derive(Deserialize, Default)]
struct AnyValue {
    #[serde(rename = "stringValue")]
    string: Option<String>,
    #[serde(rename = "intValue")]
    int: Option<Scalar>,
    #[serde(rename = "doubleValue")]
    double: Option<Scalar>,
    #[serde(rename = "boolValue")]
    boolean: Option<bool>,
    #[serde(rename = "bytesValue")]
    bytes: Option<String>,
    #[serde(rename = "arrayValue")]
    array: Option<Scalar>,
    #[serde(rename = "kvlistValue")]
    kvlist: Option<Scalar>,
}

/// Parses a v3 trace or search answer into traces, grouped by trace id in
/// first-seen order. A body without `result` is not a v3 answer.
pub fn parse_traces(body: &[u8]) -> Result<Vec<Trace>, ParseError> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(ParseError::json)?;
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
            .and_then(|kv| kv.value.string.clone())
            .unwrap_or_default();
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                let trace_id = parse_trace_id(&span.trace_id)?;
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
    if text.len() == bytes * 2 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return u128::from_str_radix(text, 16).ok();
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

fn parse_span_id(text: &str, field: &str) -> Result<SpanId, ParseError> {
    decode_id(text, 8)
        .map(|v| SpanId(v as u64))
        .ok_or_else(|| ParseError::new(format!("{field} `{text}` is not 16 hex digits")))
}

fn convert_span(span: OtlpSpan, service: &str) -> Result<Span, ParseError> {
    let span_id = parse_span_id(&span.span_id, "spanId")?;
    let parent = match span.parent_span_id.as_str() {
        "" => None,
        text => Some(parse_span_id(text, "parentSpanId")?).filter(|id| id.0 != 0),
    };
    let (status, status_message) = match span.status {
        Some(status) => (status_code(&status.code)?, status.message),
        None => (StatusCode::Unset, String::new()),
    };
    Ok(Span {
        span_id,
        parent,
        name: span.name,
        kind: span_kind(&span.kind)?,
        service: service.to_owned(),
        start_ns: span.start,
        end_ns: span.end,
        status,
        status_message,
        attributes: convert_attributes(span.attributes),
        events: span
            .events
            .into_iter()
            .map(|e| Event {
                name: e.name,
                time_ns: e.time,
                attributes: convert_attributes(e.attributes),
            })
            .collect(),
    })
}

/// An OTLP enum, written as its number (as Jaeger does) or its proto name.
fn enum_value<T: Copy>(value: &Scalar, what: &str, values: &[(T, &str)]) -> Result<T, ParseError> {
    let found = match value {
        Scalar::Null => Some(values[0].0),
        Scalar::Num(n) => n
            .to_u64()
            .and_then(|i| values.get(usize::try_from(i).ok()?))
            .map(|v| v.0),
        Scalar::Str(name) => values.iter().find(|(_, n)| n == name).map(|v| v.0),
        Scalar::Bool(_) | Scalar::Composite(_) => None,
    };
    found.ok_or_else(|| ParseError::new(format!("unknown {what} {}", value.text())))
}

fn span_kind(value: &Scalar) -> Result<SpanKind, ParseError> {
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

fn status_code(value: &Scalar) -> Result<StatusCode, ParseError> {
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

fn convert_attributes(attributes: Vec<KeyValue>) -> Attributes {
    attributes
        .into_iter()
        .map(|kv| (kv.key, convert_value(kv.value)))
        .collect()
}

fn convert_value(value: AnyValue) -> AttrValue {
    if let Some(s) = value.string {
        AttrValue::Str(s)
    } else if let Some(v) = value
        .int
        .as_ref()
        .and_then(Scalar::num)
        .and_then(|n| n.to_i64())
    {
        AttrValue::Int(v)
    } else if let Some(v) = value.double.as_ref().and_then(Scalar::num) {
        AttrValue::Double(v.to_f64())
    } else if let Some(v) = value.boolean {
        AttrValue::Bool(v)
    } else if let Some(v) = value.bytes {
        AttrValue::Bytes(v)
    } else if let Some(v) = value.array.or(value.kvlist) {
        AttrValue::Composite(v.text())
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

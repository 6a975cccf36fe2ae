//! Jaeger's v1 ("UI") JSON API: `{"data": ..., "errors": ...}` envelopes, typed
//! tags (`int64` possibly as strings), logs, references (the parent is read as
//! Jaeger's model reads it) and per-trace processes.
//! The OTLP fields Jaeger folds into tags (`span.kind`, `otel.status_code`,
//! `otel.status_description`, `error`, `otel.scope.*`, `w3c.tracestate`) are
//! unfolded back into the model.

use std::collections::HashMap;

use serde::Deserialize;

use super::ParseError;
use super::json::{Num, Scalar, u64_lenient};
use crate::model::{
    AttrValue, Attributes, Event, Span, SpanId, SpanKind, StatusCode, Trace, TraceId,
};

/// The v1 envelope; `data` is what the endpoint serves.
#[derive(Deserialize)]
pub struct Envelope<T> {
    /// The payload (`null` on errors).
    pub data: Option<T>,
}

#[derive(Deserialize)]
struct V1Trace {
    #[serde(rename = "traceID")]
    trace_id: String,
    spans: Vec<V1Span>,
    #[serde(default)]
    processes: HashMap<String, V1Process>,
    #[serde(default)]
    warnings: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct V1Process {
    #[serde(rename = "serviceName", default)]
    service_name: String,
}

#[derive(Deserialize)]
struct V1Span {
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(rename = "spanID")]
    span_id: String,
    #[serde(rename = "operationName", default)]
    operation_name: String,
    #[serde(default)]
    references: Option<Vec<V1Reference>>,
    #[serde(rename = "startTime", deserialize_with = "u64_lenient")]
    start_time: u64,
    #[serde(default, deserialize_with = "u64_lenient")]
    duration: u64,
    #[serde(default)]
    tags: Option<Vec<V1Tag>>,
    #[serde(default)]
    logs: Option<Vec<V1Log>>,
    #[serde(rename = "processID", default)]
    process_id: String,
    #[serde(default)]
    process: Option<V1Process>,
    #[serde(default)]
    warnings: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct V1Reference {
    #[serde(rename = "refType")]
    ref_type: String,
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(rename = "spanID")]
    span_id: String,
}

#[derive(Deserialize)]
struct V1Tag {
    key: String,
    #[serde(rename = "type", default)]
    ty: String,
    #[serde(default)]
    value: Scalar,
}

#[derive(Deserialize)]
struct V1Log {
    #[serde(deserialize_with = "u64_lenient")]
    timestamp: u64,
    #[serde(default)]
    fields: Vec<V1Tag>,
}

/// Parses a v1 trace or search answer (`data` is an array of traces).
pub fn parse_traces(body: &[u8]) -> Result<Vec<Trace>, ParseError> {
    let envelope: Envelope<Vec<V1Trace>> =
        serde_json::from_slice(body).map_err(ParseError::json)?;
    let traces = envelope
        .data
        .ok_or_else(|| ParseError::new("the answer has no `data` (not a v1 trace answer)"))?;
    let mut merged: Vec<Trace> = Vec::with_capacity(traces.len());
    let mut index: HashMap<TraceId, usize> = HashMap::new();
    for trace in traces {
        let converted = convert_trace(trace)?;
        match index.get(&converted.trace_id) {
            Some(&slot) => {
                merged[slot].spans.extend(converted.spans);
                merged[slot].warnings.extend(converted.warnings);
            }
            None => {
                index.insert(converted.trace_id, merged.len());
                merged.push(converted);
            }
        }
    }
    Ok(merged)
}

fn parse_id<T: std::str::FromStr>(text: &str, field: &str) -> Result<T, ParseError> {
    text.parse()
        .map_err(|_| ParseError::new(format!("{field} `{text}` is not a hex id")))
}

fn convert_trace(trace: V1Trace) -> Result<Trace, ParseError> {
    let trace_id: TraceId = parse_id(&trace.trace_id, "traceID")?;
    let mut warnings = trace.warnings.unwrap_or_default();
    let mut spans = Vec::with_capacity(trace.spans.len());
    for span in trace.spans {
        let service = match (&span.process, trace.processes.get(&span.process_id)) {
            (Some(embedded), _) => embedded.service_name.clone(),
            (None, Some(process)) => process.service_name.clone(),
            (None, None) => {
                return Err(ParseError::new(format!(
                    "span {} names process `{}`, which the trace does not define",
                    span.span_id, span.process_id
                )));
            }
        };
        warnings.extend(
            span.warnings
                .iter()
                .flatten()
                .map(|w| format!("span {}: {w}", span.span_id)),
        );
        spans.push(convert_span(span, service)?);
    }
    Ok(Trace {
        trace_id,
        spans,
        warnings,
    })
}

fn convert_span(span: V1Span, service: String) -> Result<Span, ParseError> {
    let span_trace: TraceId = parse_id(&span.trace_id, "traceID")?;
    let parent = parent_of(span_trace, span.references.iter().flatten())?;
    let mut kind = SpanKind::Unspecified;
    let mut status = None;
    let mut error_tag = false;
    let mut status_message = String::new();
    let mut attributes = Attributes::new();
    for tag in span.tags.into_iter().flatten() {
        match tag.key.as_str() {
            "span.kind" => kind = span_kind(tag.value.as_str().unwrap_or_default())?,
            "otel.status_code" => {
                status = Some(match tag.value.as_str().unwrap_or_default() {
                    "ERROR" => StatusCode::Error,
                    "OK" => StatusCode::Ok,
                    _ => StatusCode::Unset,
                })
            }
            "otel.status_description" => {
                status_message = tag.value.as_str().unwrap_or_default().to_owned()
            }
            "error" => {
                error_tag =
                    matches!(tag.value, Scalar::Bool(true)) || tag.value.as_str() == Some("true")
            }
            "otel.scope.name" | "otel.scope.version" | "w3c.tracestate" => {}
            _ => {
                attributes.push((tag.key, convert_tag_value(&tag.ty, tag.value)));
            }
        }
    }
    let status = status.unwrap_or(if error_tag {
        StatusCode::Error
    } else {
        StatusCode::Unset
    });
    let events = span.logs.into_iter().flatten().map(convert_log).collect();
    let start_ns = span.start_time.saturating_mul(1000);
    Ok(Span {
        span_id: parse_id(&span.span_id, "spanID")?,
        parent,
        name: span.operation_name,
        kind,
        service,
        start_ns,
        end_ns: start_ns.saturating_add(span.duration.saturating_mul(1000)),
        status,
        status_message,
        attributes,
        events,
    })
}

/// The parent as Jaeger's model (`Span.ParentSpanID`) and UI read it: the
/// first `CHILD_OF` reference within the span's trace, else the first
/// `FOLLOWS_FROM` one within it (OpenTracing spans may have only that);
/// references to other traces never make a parent.
fn parent_of<'a>(
    trace: TraceId,
    references: impl Iterator<Item = &'a V1Reference>,
) -> Result<Option<SpanId>, ParseError> {
    let mut follows_from = None;
    for reference in references {
        let child_of = match reference.ref_type.as_str() {
            "CHILD_OF" => true,
            "FOLLOWS_FROM" => false,
            _ => continue,
        };
        if parse_id::<TraceId>(&reference.trace_id, "traceID")? != trace {
            continue;
        }
        let id = parse_id::<SpanId>(&reference.span_id, "spanID")?;
        if child_of {
            return Ok(Some(id).filter(|id| id.0 != 0));
        }
        follows_from.get_or_insert(id);
    }
    Ok(follows_from.filter(|id| id.0 != 0))
}

fn span_kind(text: &str) -> Result<SpanKind, ParseError> {
    Ok(match text {
        "server" => SpanKind::Server,
        "client" => SpanKind::Client,
        "producer" => SpanKind::Producer,
        "consumer" => SpanKind::Consumer,
        "internal" => SpanKind::Internal,
        "" | "unspecified" => SpanKind::Unspecified,
        other => return Err(ParseError::new(format!("unknown span.kind `{other}`"))),
    })
}

fn convert_log(log: V1Log) -> Event {
    let mut name = String::new();
    let mut attributes = Attributes::with_capacity(log.fields.len());
    for field in log.fields {
        if field.key == "event" && name.is_empty() {
            name = field.value.as_str().unwrap_or_default().to_owned();
        } else {
            attributes.push((field.key, convert_tag_value(&field.ty, field.value)));
        }
    }
    Event {
        name,
        time_ns: log.timestamp.saturating_mul(1000),
        attributes,
    }
}

/// Converts a typed v1 tag value; a value that does not fit its type is kept as text.
fn convert_tag_value(ty: &str, value: Scalar) -> AttrValue {
    match ty {
        "string" => AttrValue::Str(value.into_text()),
        "bool" => match value {
            Scalar::Bool(b) => AttrValue::Bool(b),
            Scalar::Str(s) if s == "true" || s == "false" => AttrValue::Bool(s == "true"),
            other => AttrValue::Str(other.into_text()),
        },
        "int64" => match value.num().and_then(Num::to_i64) {
            Some(v) => AttrValue::Int(v),
            None => AttrValue::Str(value.into_text()),
        },
        "float64" => match value.num() {
            Some(v) => AttrValue::Double(v.to_f64()),
            None => AttrValue::Str(value.into_text()),
        },
        "binary" => AttrValue::Bytes(value.into_text()),
        _ => match value {
            Scalar::Bool(b) => AttrValue::Bool(b),
            Scalar::Num(Num::Float(f)) => AttrValue::Double(f),
            Scalar::Num(n) => n
                .to_i64()
                .map_or(AttrValue::Double(n.to_f64()), AttrValue::Int),
            Scalar::Str(s) => AttrValue::Str(s),
            other => AttrValue::Composite(other.into_text()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of Jaeger's `internal/uimodel/converter/v1/json/fixtures/ui_01.json`:
    /// 16-hex trace ids, every tag type, an int64 past 2^53 as a string, logs with and
    /// without an `event` field, references to another trace, warnings and `null`s.
    const UI_01: &str = r#"{"data":[{"traceID":"0000000000000001","spans":[
      {"traceID":"0000000000000001","spanID":"0000000000000002","operationName":"op","references":[],
       "startTime":1485467191639875,"duration":5,"tags":[],
       "logs":[{"timestamp":1485467191639875,"fields":[{"key":"event","type":"string","value":"some-event"}]},
               {"timestamp":1485467191639875,"fields":[{"key":"x","type":"string","value":"y"}]}],
       "processID":"p1","warnings":null},
      {"traceID":"0000000000000001","spanID":"0000000000000003","operationName":"tags","references":[{"refType":"CHILD_OF","traceID":"0000000000000001","spanID":"0000000000000002"}],
       "startTime":1485467191639875,"duration":5,"tags":[
         {"key":"peer.ipv4","type":"int64","value":23456},{"key":"error","type":"bool","value":true},
         {"key":"temperature","type":"float64","value":72.5},{"key":"javascript_limit","type":"int64","value":"9223372036854775222"},
         {"key":"blob","type":"binary","value":"AAAwOQ=="}],
       "logs":[],"processID":"p2","warnings":["some span warning"]},
      {"traceID":"0000000000000001","spanID":"0000000000000004","operationName":"refs","references":[
         {"refType":"CHILD_OF","traceID":"00000000000000ff","spanID":"00000000000000ff"},
         {"refType":"CHILD_OF","traceID":"0000000000000001","spanID":"0000000000000003"},
         {"refType":"FOLLOWS_FROM","traceID":"0000000000000001","spanID":"0000000000000002"}],
       "startTime":1485467191639875,"duration":4,"tags":[],"logs":[],"processID":"p2","warnings":null}],
      "processes":{"p1":{"serviceName":"service-x","tags":[]},"p2":{"serviceName":"service-y","tags":[]}},
      "warnings":["some trace warning"]}],"total":0,"limit":0,"offset":0,"errors":null}"#;

    #[test]
    fn parses_the_ui_model_as_jaeger_emits_it() {
        let traces = parse_traces(UI_01.as_bytes()).unwrap();
        assert_eq!(traces.len(), 1);
        let trace = &traces[0];
        assert_eq!(
            trace.trace_id.to_string(),
            "00000000000000000000000000000001"
        );
        assert_eq!(
            trace.warnings,
            vec![
                "some trace warning".to_owned(),
                "span 0000000000000003: some span warning".to_owned()
            ]
        );
        let root = &trace.spans[0];
        assert_eq!(root.service, "service-x");
        assert_eq!(root.start_ns, 1_485_467_191_639_875_000);
        assert_eq!(root.end_ns, root.start_ns + 5_000);
        assert_eq!(root.events[0].name, "some-event");
        assert_eq!(root.events[1].name, "");
        assert_eq!(
            root.events[1].attributes,
            vec![("x".to_owned(), AttrValue::Str("y".into()))]
        );
        let tagged = &trace.spans[1];
        assert_eq!(
            tagged.status,
            StatusCode::Error,
            "error=true without otel.status_code is an error"
        );
        assert_eq!(
            tagged.attr("javascript_limit"),
            Some(&AttrValue::Int(9_223_372_036_854_775_222))
        );
        assert_eq!(tagged.attr("peer.ipv4"), Some(&AttrValue::Int(23456)));
        assert_eq!(tagged.attr("temperature"), Some(&AttrValue::Double(72.5)));
        assert_eq!(
            tagged.attr("blob"),
            Some(&AttrValue::Bytes("AAAwOQ==".into()))
        );
        assert_eq!(tagged.attr("error"), None);
        assert_eq!(
            trace.spans[2].parent,
            Some(SpanId(3)),
            "first CHILD_OF within the trace"
        );
    }

    #[test]
    fn otlp_tags_unfold_into_kind_status_and_scope() {
        let body = r#"{"data":[{"traceID":"83a9efd15c1c98a977e0711cc93ee28b","spans":[{"traceID":"83a9efd15c1c98a977e0711cc93ee28b",
          "spanID":"e127af99e3b3e074","operationName":"okey-dokey-0","references":[{"refType":"CHILD_OF","traceID":"83a9efd15c1c98a977e0711cc93ee28b","spanID":"909541b92cf05311"}],
          "startTime":1706678909209712,"duration":123,"tags":[{"key":"otel.scope.name","type":"string","value":"telemetrygen"},
          {"key":"net.peer.ip","type":"string","value":"1.2.3.4"},{"key":"span.kind","type":"string","value":"server"},
          {"key":"otel.status_code","type":"string","value":"ERROR"},{"key":"error","type":"bool","value":true},
          {"key":"otel.status_description","type":"string","value":"boom"}],"logs":[],"processID":"p1","warnings":null}],
          "processes":{"p1":{"serviceName":"telemetrygen","tags":[]}},"warnings":null}],"total":0,"limit":0,"offset":0,"errors":null}"#;
        let span = &parse_traces(body.as_bytes()).unwrap()[0].spans[0];
        assert_eq!(span.kind, SpanKind::Server);
        assert_eq!(span.status, StatusCode::Error);
        assert_eq!(span.status_message, "boom");
        assert_eq!(
            span.attributes,
            vec![("net.peer.ip".to_owned(), AttrValue::Str("1.2.3.4".into()))]
        );
        assert_eq!(span.parent, Some(SpanId(0x909541b92cf05311)));
    }

    #[test]
    fn follows_from_within_the_trace_is_the_parent_when_there_is_no_child_of() {
        let body = r#"{"data":[{"traceID":"00000000000000aa","spans":[
          {"traceID":"00000000000000aa","spanID":"0000000000000001","operationName":"root","references":[],"startTime":1,"duration":9,"processID":"p1"},
          {"traceID":"00000000000000aa","spanID":"0000000000000002","operationName":"async","references":[
             {"refType":"FOLLOWS_FROM","traceID":"00000000000000bb","spanID":"0000000000000007"},
             {"refType":"FOLLOWS_FROM","traceID":"00000000000000000000000000000aa","spanID":"0000000000000001"}],
           "startTime":2,"duration":1,"processID":"p1"},
          {"traceID":"00000000000000aa","spanID":"0000000000000003","operationName":"linked","references":[
             {"refType":"FOLLOWS_FROM","traceID":"00000000000000aa","spanID":"0000000000000002"},
             {"refType":"CHILD_OF","traceID":"00000000000000aa","spanID":"0000000000000001"}],
           "startTime":3,"duration":1,"processID":"p1"},
          {"traceID":"00000000000000aa","spanID":"0000000000000004","operationName":"elsewhere","references":[
             {"refType":"FOLLOWS_FROM","traceID":"00000000000000bb","spanID":"0000000000000007"}],
           "startTime":4,"duration":1,"processID":"p1"}],
          "processes":{"p1":{"serviceName":"s","tags":[]}},"warnings":null}],"errors":null}"#;
        let spans = &parse_traces(body.as_bytes()).unwrap()[0].spans;
        let parents: Vec<Option<SpanId>> = spans.iter().map(|s| s.parent).collect();
        assert_eq!(
            parents,
            [None, Some(SpanId(1)), Some(SpanId(1)), None],
            "same-trace FOLLOWS_FROM (ids normalised) when no CHILD_OF; CHILD_OF first; other traces never"
        );
    }

    #[test]
    fn not_v1_json_is_an_error() {
        assert!(parse_traces(br#"{"result":{}}"#).is_err());
        assert!(parse_traces(br#"{"data":[{"traceID":"1","spans":[{"traceID":"1","spanID":"2","startTime":1,"processID":"p9"}]}]}"#).is_err());
        assert!(parse_traces(b"not json").is_err());
    }
}

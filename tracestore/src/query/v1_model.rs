//! OTLP to Jaeger's v1 UI JSON model, as Jaeger v2 converts it:
//! opentelemetry-collector-contrib's `translator/jaeger`
//! (`traces_to_jaegerproto.go`), Jaeger's `v1adapter` (warnings, empty
//! lists) and `uimodel/converter/v1/json` (`FromDomain`, process ids).

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use serde::ser::Error as _;
use serde::{Serialize, Serializer};

use crate::ids::TraceId;
use crate::otlp::warnings::{WARNINGS_ATTRIBUTE, get_warnings};
use crate::otlp::{
    InstrumentationScope, KeyValue, ResourceSpans, Span, SpanKind, StatusCode, Value, values,
};

/// Largest integer a JavaScript number holds exactly; beyond it int64 tags
/// are written as strings.
const JS_MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// A trace in the UI model.
#[derive(Debug, Clone, Serialize)]
pub(super) struct UiTrace {
    #[serde(rename = "traceID")]
    trace_id: String,
    spans: Vec<UiSpan>,
    processes: BTreeMap<String, UiProcess>,
    warnings: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct UiSpan {
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(rename = "spanID")]
    span_id: String,
    #[serde(skip_serializing_if = "is_zero")]
    flags: u32,
    operation_name: String,
    references: Vec<UiReference>,
    start_time: u64,
    duration: u64,
    tags: Vec<UiKeyValue>,
    logs: Vec<UiLog>,
    #[serde(rename = "processID", skip_serializing_if = "String::is_empty")]
    process_id: String,
    warnings: Option<Vec<String>>,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

#[derive(Debug, Clone, Serialize)]
struct UiReference {
    #[serde(rename = "refType")]
    ref_type: &'static str,
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(rename = "spanID")]
    span_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct UiProcess {
    service_name: String,
    tags: Vec<UiKeyValue>,
}

#[derive(Debug, Clone, Serialize)]
struct UiLog {
    timestamp: u64,
    fields: Vec<UiKeyValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct UiKeyValue {
    key: String,
    #[serde(rename = "type")]
    kind: &'static str,
    value: TagValue,
}

/// A typed tag value.
#[derive(Debug, Clone, PartialEq)]
enum TagValue {
    Str(String),
    Bool(bool),
    Int(i64),
    Float(f64),
    Binary(Vec<u8>),
}

impl Serialize for TagValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TagValue::Str(v) => s.serialize_str(v),
            TagValue::Bool(v) => s.serialize_bool(*v),
            TagValue::Int(v) if !(-JS_MAX_SAFE_INTEGER..=JS_MAX_SAFE_INTEGER).contains(v) => {
                s.serialize_str(&v.to_string())
            }
            TagValue::Int(v) => s.serialize_i64(*v),
            // Go's encoding/json refuses non-finite floats.
            TagValue::Float(v) if !v.is_finite() => Err(S::Error::custom(format!(
                "json: unsupported value: {}",
                crate::go::strconv::float(*v)
            ))),
            TagValue::Float(v) => s.serialize_f64(*v),
            TagValue::Binary(v) => {
                s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
            }
        }
    }
}

/// `attributeToJaegerProtoTag`: maps and slices become their JSON text, an
/// empty value an empty string.
fn tag(kv: &KeyValue) -> UiKeyValue {
    let v = values::value_of(kv);
    let (kind, value) = match v {
        Some(Value::IntValue(i)) => ("int64", TagValue::Int(*i)),
        Some(Value::BoolValue(b)) => ("bool", TagValue::Bool(*b)),
        Some(Value::DoubleValue(d)) => ("float64", TagValue::Float(*d)),
        Some(Value::BytesValue(b)) => ("binary", TagValue::Binary(b.clone())),
        _ => ("string", TagValue::Str(values::as_string(v))),
    };
    UiKeyValue {
        key: kv.key.clone(),
        kind,
        value,
    }
}

fn string_tag(key: &str, value: &str) -> UiKeyValue {
    UiKeyValue {
        key: key.to_owned(),
        kind: "string",
        value: TagValue::Str(value.to_owned()),
    }
}

/// `resourceToJaegerProtoProcess`.
fn process(attrs: &[KeyValue]) -> UiProcess {
    if attrs.is_empty() {
        return UiProcess {
            service_name: "OTLPResourceNoServiceName".to_owned(),
            tags: Vec::new(),
        };
    }
    let service_name = match values::get(attrs, "service.name").and_then(values::value_of) {
        Some(Value::StringValue(s)) => s.clone(),
        _ => String::new(),
    };
    UiProcess {
        service_name,
        tags: attrs
            .iter()
            .filter(|kv| kv.key != "service.name")
            .map(tag)
            .collect(),
    }
}

fn micros(nanos: u64) -> u64 {
    ((nanos as i64) / 1000) as u64
}

fn span_id_hex(bytes: &[u8]) -> String {
    format!(
        "{:016x}",
        <[u8; 8]>::try_from(bytes).map_or(0, u64::from_be_bytes)
    )
}

fn trace_id_string(bytes: &[u8]) -> String {
    TraceId::from_slice(bytes)
        .unwrap_or_default()
        .to_jaeger_string()
}

/// `makeJaegerProtoReferences`: the parent first (`CHILD_OF`), then one
/// reference per link (`FOLLOWS_FROM` unless its `opentracing.ref_type` is
/// `child_of`); a link to the parent only retypes the parent reference.
fn references(span: &Span) -> Vec<UiReference> {
    let trace_id = trace_id_string(&span.trace_id);
    let parent = <[u8; 8]>::try_from(span.parent_span_id.as_slice()).map_or(0, u64::from_be_bytes);
    let mut refs = Vec::with_capacity(span.links.len() + 1);
    if parent != 0 {
        refs.push(UiReference {
            ref_type: "CHILD_OF",
            trace_id: trace_id.clone(),
            span_id: format!("{parent:016x}"),
        });
    }
    for link in &span.links {
        let ref_type = match values::get(&link.attributes, "opentracing.ref_type")
            .and_then(values::value_of)
        {
            Some(Value::StringValue(s)) if s == "child_of" => "CHILD_OF",
            _ => "FOLLOWS_FROM",
        };
        let link_trace = trace_id_string(&link.trace_id);
        let link_span = span_id_hex(&link.span_id);
        if parent != 0 && link_trace == trace_id && link_span == format!("{parent:016x}") {
            refs[0].ref_type = ref_type;
            continue;
        }
        refs.push(UiReference {
            ref_type,
            trace_id: link_trace,
            span_id: link_span,
        });
    }
    refs
}

/// `getJaegerProtoSpanTags`: scope name and version, the attributes,
/// `span.kind`, `otel.status_code`, `error`, `otel.status_description`,
/// `w3c.tracestate`.
fn span_tags(span: &Span, scope: &InstrumentationScope) -> Vec<UiKeyValue> {
    let mut tags = Vec::with_capacity(span.attributes.len() + 6);
    if !scope.name.is_empty() {
        tags.push(string_tag("otel.scope.name", &scope.name));
    }
    if !scope.version.is_empty() {
        tags.push(string_tag("otel.scope.version", &scope.version));
    }
    tags.extend(span.attributes.iter().map(tag));
    let kind = match SpanKind::try_from(span.kind) {
        Ok(SpanKind::Client) => Some("client"),
        Ok(SpanKind::Server) => Some("server"),
        Ok(SpanKind::Producer) => Some("producer"),
        Ok(SpanKind::Consumer) => Some("consumer"),
        Ok(SpanKind::Internal) => Some("internal"),
        _ => None,
    };
    if let Some(kind) = kind {
        tags.push(string_tag("span.kind", kind));
    }
    let (code, message) = span
        .status
        .as_ref()
        .map_or((0, ""), |s| (s.code, s.message.as_str()));
    if code == StatusCode::Error as i32 {
        tags.push(string_tag("otel.status_code", "ERROR"));
        tags.push(UiKeyValue {
            key: "error".to_owned(),
            kind: "bool",
            value: TagValue::Bool(true),
        });
    } else if code == StatusCode::Ok as i32 {
        tags.push(string_tag("otel.status_code", "OK"));
    }
    if !message.is_empty() {
        tags.push(string_tag("otel.status_description", message));
    }
    if !span.trace_state.is_empty() {
        tags.push(string_tag("w3c.tracestate", &span.trace_state));
    }
    tags
}

/// `spanEventsToJaegerProtoLogs`: an `event` field with the event name
/// (unless unnamed or an attribute is called `event`), then the attributes.
fn logs(span: &Span) -> Vec<UiLog> {
    span.events
        .iter()
        .map(|e| {
            let mut fields = Vec::with_capacity(e.attributes.len() + 1);
            if !e.name.is_empty() && values::get(&e.attributes, "event").is_none() {
                fields.push(string_tag("event", &e.name));
            }
            fields.extend(e.attributes.iter().map(tag));
            UiLog {
                timestamp: micros(e.time_unix_nano),
                fields,
            }
        })
        .collect()
}

/// Converts one (adjusted) trace.
pub(super) fn ui_trace(trace: &[ResourceSpans]) -> UiTrace {
    struct Converted {
        span: UiSpan,
        process: UiProcess,
        id: String,
        warnings: Option<Vec<String>>,
    }
    let mut converted: Vec<Converted> = Vec::new();
    for rs in trace {
        let attrs = rs.resource.as_ref().map_or(&[][..], |r| &r.attributes);
        if attrs.is_empty() && rs.scope_spans.is_empty() {
            continue;
        }
        let proc = process(attrs);
        for ss in &rs.scope_spans {
            let default_scope = InstrumentationScope::default();
            let scope = ss.scope.as_ref().unwrap_or(&default_scope);
            for span in &ss.spans {
                let start = span.start_time_unix_nano as i64;
                let duration = (span.end_time_unix_nano as i64).saturating_sub(start);
                let id = span_id_hex(&span.span_id);
                converted.push(Converted {
                    span: UiSpan {
                        trace_id: trace_id_string(&span.trace_id),
                        span_id: id.clone(),
                        flags: 0,
                        operation_name: span.name.clone(),
                        references: references(span),
                        start_time: micros(span.start_time_unix_nano),
                        duration: (duration / 1000) as u64,
                        tags: span_tags(span, scope),
                        logs: logs(span),
                        process_id: String::new(),
                        warnings: None,
                    },
                    process: proc.clone(),
                    id,
                    warnings: get_warnings(&span.attributes),
                });
            }
        }
    }
    // Warnings go to the last span with the same id (Jaeger keys them by
    // span id), whose warnings tag is then dropped.
    let last_with_id: HashMap<String, usize> = converted
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.clone(), i))
        .collect();
    for i in 0..converted.len() {
        let Some(w) = converted[i].warnings.take() else {
            continue;
        };
        let Some(&target_index) = last_with_id.get(&converted[i].id) else {
            continue;
        };
        let target = &mut converted[target_index].span;
        target.warnings.get_or_insert_with(Vec::new).extend(w);
        target.tags.retain(|t| t.key != WARNINGS_ATTRIBUTE);
    }
    // Process ids p1, p2, ... in order of first use.
    let mut processes: Vec<UiProcess> = Vec::new();
    let mut spans = Vec::with_capacity(converted.len());
    for c in converted {
        let index = match processes.iter().position(|p| *p == c.process) {
            Some(i) => i,
            None => {
                processes.push(c.process);
                processes.len() - 1
            }
        };
        let mut span = c.span;
        span.process_id = format!("p{}", index + 1);
        spans.push(span);
    }
    UiTrace {
        trace_id: spans
            .first()
            .map(|s| s.trace_id.clone())
            .unwrap_or_default(),
        spans,
        processes: processes
            .into_iter()
            .enumerate()
            .map(|(i, p)| (format!("p{}", i + 1), p))
            .collect(),
        warnings: None,
    }
}

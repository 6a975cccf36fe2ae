//! Trace summaries for `GET /api/v3/trace-summaries`, computed as Jaeger
//! (v2.19.0+) computes them for a store without native summaries (its
//! memory store): `querysvc/summary.go` `summarizeTrace` over the adjusted
//! trace, written as the gateway's gogo `jsonpb` writes
//! `api_v3.FindTraceSummariesResponse` (proto field order, zero values
//! omitted, 64-bit integers as decimal strings, strings escaped as Go's
//! `encoding/json` does).

use std::collections::{BTreeMap, HashSet};

use crate::otlp::json_out::Obj;
use crate::otlp::{Resource, ResourceSpans, StatusCode, values};

/// Per-service span counts of one trace.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    spans: u64,
    errors: u64,
}

/// What Jaeger's `tracestore.TraceSummary` holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct TraceSummary {
    /// Lowercase hex of the first span's trace id (empty if all zeros).
    trace_id: String,
    /// Service and name of the parentless span that starts first.
    root: Option<(String, String, i64)>,
    /// Earliest span start, ns since the epoch (Go's `time.Time` of it).
    min_start: Option<i64>,
    /// Latest span end, ns since the epoch.
    max_end: Option<i64>,
    total: Counts,
    /// Spans whose parent id is set but not a span of the trace.
    orphans: u64,
    /// Per `service.name` (empty when absent or not a string), sorted.
    services: BTreeMap<String, Counts>,
}

fn is_empty_id(id: &[u8]) -> bool {
    id.iter().all(|b| *b == 0)
}

/// A span time as Go's `pcommon.Timestamp.AsTime` sees it: the unsigned
/// nanoseconds reinterpreted as signed.
fn go_time(ns: u64) -> i64 {
    ns as i64
}

/// What a summary reads of one span, from either form a trace is held in
/// (owned OTLP spans, or the store's).
#[derive(Debug, Clone, Copy)]
pub(super) struct SpanFacts<'a> {
    /// Its resource's `service.name` ([`service_name`]).
    pub(super) service: &'a str,
    pub(super) span_id: &'a [u8],
    /// Empty when the span has none.
    pub(super) parent_span_id: &'a [u8],
    pub(super) name: &'a str,
    pub(super) start: u64,
    pub(super) end: u64,
    /// Whether its status code is `Error`.
    pub(super) error: bool,
}

/// A resource's `service.name` as the summary counts it: empty when absent
/// or not a string.
pub(super) fn service_name(resource: Option<&Resource>) -> &str {
    resource
        .and_then(|r| values::get(&r.attributes, "service.name"))
        .and_then(values::value_of)
        .and_then(|v| match v {
            crate::otlp::Value::StringValue(s) => Some(s.as_str()),
            _ => None,
        })
        .unwrap_or("")
}

impl TraceSummary {
    /// `summarizeTrace` of an owned (adjusted) trace.
    pub(super) fn of(trace: &[ResourceSpans]) -> Self {
        let spans = || {
            trace.iter().flat_map(|rs| {
                let service = service_name(rs.resource.as_ref());
                rs.scope_spans
                    .iter()
                    .flat_map(|ss| ss.spans.iter())
                    .map(move |span| SpanFacts {
                        service,
                        span_id: &span.span_id,
                        parent_span_id: &span.parent_span_id,
                        name: &span.name,
                        start: span.start_time_unix_nano,
                        end: span.end_time_unix_nano,
                        error: span
                            .status
                            .as_ref()
                            .is_some_and(|s| s.code == StatusCode::Error as i32),
                    })
            })
        };
        let trace_id = trace
            .iter()
            .flat_map(|rs| rs.scope_spans.iter())
            .flat_map(|ss| ss.spans.first())
            .next()
            .map_or(&[][..], |span| span.trace_id.as_slice());
        Self::of_spans(trace_id, spans)
    }

    /// `summarizeTrace`: one pass for the span ids, one for the rest, in
    /// the trace's span order (which decides ties between roots);
    /// `trace_id` is the first span's.
    pub(super) fn of_spans<'a, I>(trace_id: &[u8], spans: impl Fn() -> I) -> Self
    where
        I: Iterator<Item = SpanFacts<'a>>,
    {
        let ids: HashSet<&[u8]> = spans().map(|span| span.span_id).collect();
        let mut summary = TraceSummary::default();
        // `jptrace.GetTraceID`: the first span's; all zeros print as "".
        if !is_empty_id(trace_id) {
            summary.trace_id = crate::ids::hex(trace_id);
        }
        for span in spans() {
            summary.count(&span, &ids);
        }
        summary
    }

    fn count(&mut self, span: &SpanFacts<'_>, ids: &HashSet<&[u8]>) {
        let service = span.service;
        let error = span.error;
        let per_service = match self.services.get_mut(service) {
            Some(c) => c,
            None => self.services.entry(service.to_owned()).or_default(),
        };
        for c in [per_service, &mut self.total] {
            c.spans += 1;
            c.errors += u64::from(error);
        }
        let (start, end) = (go_time(span.start), go_time(span.end));
        if self.min_start.is_none_or(|min| start < min) {
            self.min_start = Some(start);
        }
        if self.max_end.is_none_or(|max| end > max) {
            self.max_end = Some(end);
        }
        if is_empty_id(span.parent_span_id) {
            if self.root.as_ref().is_none_or(|(_, _, at)| start < *at) {
                self.root = Some((service.to_owned(), span.name.to_owned(), start));
            }
        } else if !ids.contains(span.parent_span_id) {
            self.orphans += 1;
        }
    }

    /// Writes the summary as jsonpb writes `api_v3.TraceSummary`.
    pub(super) fn write_json(&self, out: &mut String) {
        let mut obj = Obj::open(out);
        string(&mut obj, "traceId", &self.trace_id);
        if let Some((service, operation, _)) = &self.root {
            string(&mut obj, "rootServiceName", service);
            string(&mut obj, "rootOperationName", operation);
        }
        obj.u64_if("minStartTimeUnixNano", time(self.min_start));
        obj.u64_if("maxEndTimeUnixNano", time(self.max_end));
        obj.i32_if("spanCount", int32(self.total.spans));
        obj.i32_if("errorSpanCount", int32(self.total.errors));
        obj.i32_if("orphanSpanCount", int32(self.orphans));
        obj.list("services", &self.services, |(name, counts), out| {
            let mut service = Obj::open(out);
            string(&mut service, "name", name);
            service.i32_if("spanCount", int32(counts.spans));
            service.i32_if("errorSpanCount", int32(counts.errors));
            service.close();
        });
        obj.close();
    }
}

/// `FindTraceSummariesResponse` as jsonpb writes it: `{}` when there are
/// no summaries (an empty repeated field is omitted), never a 404.
pub(super) fn write_response(summaries: &[TraceSummary], out: &mut String) {
    let mut obj = Obj::open(out);
    obj.list("summaries", summaries, TraceSummary::write_json);
    obj.close();
}

/// A `string` field; jsonpb leaves out empty ones.
fn string(obj: &mut Obj<'_>, name: &str, v: &str) {
    if !v.is_empty() {
        values::write_go_string(v, obj.key(name));
    }
}

/// A count as the `int32` Jaeger casts it to.
fn int32(count: u64) -> i32 {
    count as i32
}

/// A `fixed64` time (`jptrace.TimeToUnixNano`): unset or before the epoch
/// is 0, which is left out.
fn time(v: Option<i64>) -> u64 {
    v.filter(|ns| *ns > 0).map_or(0, |ns| ns as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{AnyValue, KeyValue, ScopeSpans, Span, Status, Value};

    fn span(id: u8, parent: u8, name: &str, start: u64, end: u64, error: bool) -> Span {
        Span {
            trace_id: vec![1; 16],
            span_id: vec![id; 8],
            parent_span_id: if parent == 0 {
                Vec::new()
            } else {
                vec![parent; 8]
            },
            name: name.to_owned(),
            start_time_unix_nano: start,
            end_time_unix_nano: end,
            status: Some(Status {
                code: if error {
                    StatusCode::Error as i32
                } else {
                    StatusCode::Ok as i32
                },
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn resource(service: Option<Value>, spans: Vec<Span>) -> ResourceSpans {
        ResourceSpans {
            resource: Some(Resource {
                attributes: service
                    .map(|v| KeyValue {
                        key: "service.name".to_owned(),
                        value: Some(AnyValue { value: Some(v) }),
                        ..Default::default()
                    })
                    .into_iter()
                    .collect(),
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn json(trace: &[ResourceSpans]) -> String {
        let mut out = String::new();
        TraceSummary::of(trace).write_json(&mut out);
        out
    }

    #[test]
    fn earliest_parentless_span_is_the_root_and_orphans_are_counted() {
        let trace = [
            resource(
                Some(Value::StringValue("web<1>".into())),
                vec![
                    span(2, 0, "late root", 20, 30, false),
                    span(3, 9, "orphan", 5, 40, true),
                ],
            ),
            resource(
                Some(Value::StringValue("api".into())),
                vec![
                    span(1, 0, "early root", 10, 25, false),
                    span(4, 1, "child", 12, 13, false),
                ],
            ),
        ];
        assert_eq!(
            json(&trace),
            concat!(
                r#"{"traceId":"01010101010101010101010101010101","rootServiceName":"api","#,
                r#""rootOperationName":"early root","minStartTimeUnixNano":"5","#,
                r#""maxEndTimeUnixNano":"40","spanCount":4,"errorSpanCount":1,"orphanSpanCount":1,"#,
                r#""services":[{"name":"api","spanCount":2},"#,
                r#"{"name":"web\u003c1\u003e","spanCount":2,"errorSpanCount":1}]}"#
            )
        );
    }

    #[test]
    fn a_tie_between_roots_keeps_the_first_and_odd_services_have_no_name() {
        let trace = [resource(
            Some(Value::IntValue(7)),
            vec![
                span(1, 0, "first", 10, 20, false),
                span(2, 0, "second", 10, 20, false),
            ],
        )];
        assert_eq!(
            json(&trace),
            concat!(
                r#"{"traceId":"01010101010101010101010101010101","rootOperationName":"first","#,
                r#""minStartTimeUnixNano":"10","maxEndTimeUnixNano":"20","spanCount":2,"#,
                r#""services":[{"spanCount":2}]}"#
            )
        );
    }

    #[test]
    fn no_root_and_zero_times_are_left_out() {
        let trace = [resource(None, vec![span(1, 7, "x", 0, 0, false)])];
        assert_eq!(
            json(&trace),
            concat!(
                r#"{"traceId":"01010101010101010101010101010101","spanCount":1,"#,
                r#""orphanSpanCount":1,"services":[{"spanCount":1}]}"#
            )
        );
    }

    #[test]
    fn an_empty_response_is_an_empty_object() {
        let mut out = String::new();
        write_response(&[], &mut out);
        assert_eq!(out, "{}");
    }
}

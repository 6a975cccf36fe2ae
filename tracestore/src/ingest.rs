//! From an OTLP export request to per-trace chunks for the store, shared by
//! the gRPC and HTTP receivers.
//!
//! - Ids of the wrong length make the request malformed (what the
//!   collector's protobuf decoder reports): nothing of it is stored.
//! - Spans with an all-zero trace or span id are invalid per the OTLP and
//!   W3C specs: they are dropped and reported as a partial success; the rest
//!   of the request is stored.
//! - Jaeger's ingest sanitizers run as in its storage exporter
//!   (`internal/jptrace/sanitizer`): a missing, non-string or empty
//!   `service.name` becomes `missing-service-name`, `service-name-wrong-type`
//!   or `empty-service-name`; an empty span name `empty-span-name`; an end
//!   time not after the start moves to start + 1ns with a warning.
//! - Spans are grouped per trace the way Jaeger's memory store reshuffles
//!   them: one resource group per trace per resource, one scope group per
//!   trace per scope.

use std::collections::HashMap;
use std::sync::Arc;

use crate::go::time;
use crate::ids::{SpanId, TraceId};
use crate::otlp::warnings::add_warnings;
use crate::otlp::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, InstrumentationScope, KeyValue, Resource,
    Span, Value, values,
};
use crate::store::search::kind_name;
use crate::store::trace::{ResourceChunk, ScopeChunk};
use crate::store::{Batch, Store, StoredSpan, TraceChunk, footprint};

/// A request that cannot be stored at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub String);

/// Validates, sanitizes and groups a request for `store` (whose string
/// table the spans share).
pub fn prepare(
    store: &Store,
    req: ExportTraceServiceRequest,
) -> Result<(Batch, ExportTracePartialSuccess), Malformed> {
    validate(&req)?;
    let mut strings = store.export_strings();
    let mut batch = Batch::default();
    let mut trace_index: HashMap<TraceId, usize> = HashMap::new();
    // Which resource and scope group each trace's last chunk is for.
    let mut current: Vec<(usize, usize)> = Vec::new();
    let mut first_rejected: Option<String> = None;
    let mut scope_serial = 0usize;

    for (ri, rs) in req.resource_spans.into_iter().enumerate() {
        let mut resource = rs.resource.unwrap_or_default();
        sanitize_service_name(&mut resource.attributes);
        let service: Arc<str> =
            match values::get(&resource.attributes, "service.name").and_then(values::value_of) {
                Some(Value::StringValue(s)) => strings.name(s),
                _ => strings.name(""),
            };
        // Charged to the first trace holding it.
        let mut resource_bytes = footprint::block(16 + std::mem::size_of::<Resource>())
            + footprint::key_values(&resource.attributes);
        let resource = Arc::new(resource);
        for (si, ss) in rs.scope_spans.into_iter().enumerate() {
            scope_serial += 1;
            let scope = ss.scope.unwrap_or_default();
            let mut scope_bytes =
                footprint::block(16 + std::mem::size_of::<InstrumentationScope>())
                    + footprint::string(&scope.name)
                    + footprint::string(&scope.version)
                    + footprint::key_values(&scope.attributes);
            let scope = Arc::new(scope);
            for (pi, mut span) in ss.spans.into_iter().enumerate() {
                let trace_id = TraceId::from_slice(&span.trace_id).unwrap_or_default();
                let span_id = SpanId::from_slice(&span.span_id).unwrap_or_default();
                if trace_id.is_zero() || span_id.is_zero() {
                    batch.rejected += 1;
                    first_rejected.get_or_insert_with(|| {
                        format!("resourceSpans[{ri}].scopeSpans[{si}].spans[{pi}]")
                    });
                    continue;
                }
                sanitize_span(&mut span);
                let kind = kind_name(span.kind);
                if !batch
                    .operations
                    .iter()
                    .any(|(s, (name, k))| *s == service && *name == span.name && *k == kind)
                {
                    batch
                        .operations
                        .push((service.clone(), (span.name.clone(), kind)));
                }
                let ti = *trace_index.entry(trace_id).or_insert_with(|| {
                    batch.traces.push(TraceChunk::new(trace_id));
                    current.push((usize::MAX, usize::MAX));
                    batch.traces.len() - 1
                });
                let trace = &mut batch.traces[ti];
                if current[ti].0 != ri {
                    trace.resources.push(ResourceChunk {
                        resource: resource.clone(),
                        service: service.clone(),
                        scopes: Vec::new(),
                    });
                    current[ti] = (ri, usize::MAX);
                }
                let Some(rchunk) = trace.resources.last_mut() else {
                    continue;
                };
                if current[ti].1 != scope_serial {
                    rchunk.scopes.push(ScopeChunk {
                        scope: scope.clone(),
                        spans: Vec::new(),
                    });
                    current[ti].1 = scope_serial;
                }
                let start = span.start_time_unix_nano as i64;
                let (span, bytes) = StoredSpan::from_otlp(span, &mut strings);
                let shared = std::mem::take(&mut resource_bytes) + std::mem::take(&mut scope_bytes);
                if let Some(schunk) = rchunk.scopes.last_mut() {
                    schunk.spans.push(span);
                    trace.note_span(start, bytes + shared);
                }
            }
        }
    }

    for trace in &mut batch.traces {
        trace.note_groups();
        trace.bytes = footprint::resident(trace.bytes);
    }
    let partial = match first_rejected {
        None => ExportTracePartialSuccess::default(),
        Some(first) => ExportTracePartialSuccess {
            rejected_spans: batch.rejected as i64,
            error_message: format!(
                "{} span(s) rejected: trace_id and span_id must not be all zeros (first: {first})",
                batch.rejected
            ),
        },
    };
    Ok((batch, partial))
}

/// Stores a prepared export and returns the partial success to answer: the
/// spans [`prepare`] dropped plus those of traces the store cannot fit.
pub fn store(
    store: &Store,
    batch: Batch,
    mut partial: ExportTracePartialSuccess,
) -> ExportTracePartialSuccess {
    if let Some(overflow) = store.insert(batch) {
        partial.rejected_spans += i64::try_from(overflow.spans).unwrap_or(i64::MAX);
        let message = overflow.message();
        partial.error_message = if partial.error_message.is_empty() {
            message
        } else {
            format!("{}; {message}", partial.error_message)
        };
    }
    partial
}

/// Checks every id's length; the error names the first bad one.
fn validate(req: &ExportTraceServiceRequest) -> Result<(), Malformed> {
    let check = |path: &dyn Fn() -> String, field: &str, id: &[u8], sizes: &[usize]| {
        if sizes.contains(&id.len()) {
            Ok(())
        } else {
            Err(Malformed(format!(
                "{}.{field}: an id of {} bytes (expected {})",
                path(),
                id.len(),
                sizes
                    .iter()
                    .filter(|s| **s > 0)
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )))
        }
    };
    for (ri, rs) in req.resource_spans.iter().enumerate() {
        for (si, ss) in rs.scope_spans.iter().enumerate() {
            for (pi, span) in ss.spans.iter().enumerate() {
                let path = || format!("resourceSpans[{ri}].scopeSpans[{si}].spans[{pi}]");
                check(&path, "traceId", &span.trace_id, &[0, 16])?;
                check(&path, "spanId", &span.span_id, &[0, 8])?;
                check(&path, "parentSpanId", &span.parent_span_id, &[0, 8])?;
                for (li, link) in span.links.iter().enumerate() {
                    let lpath = || format!("{}.links[{li}]", path());
                    check(&lpath, "traceId", &link.trace_id, &[0, 16])?;
                    check(&lpath, "spanId", &link.span_id, &[0, 8])?;
                }
            }
        }
    }
    Ok(())
}

fn set_string(kv: &mut KeyValue, s: &str) {
    kv.value = values::string_value(s);
}

/// Jaeger's empty-service-name sanitizer.
fn sanitize_service_name(attrs: &mut Vec<KeyValue>) {
    match attrs.iter_mut().find(|kv| kv.key == "service.name") {
        None => attrs.push(KeyValue {
            key: "service.name".to_owned(),
            value: values::string_value("missing-service-name"),
            key_strindex: 0,
        }),
        Some(kv) => match values::value_of(kv) {
            Some(Value::StringValue(s)) if s.is_empty() => set_string(kv, "empty-service-name"),
            Some(Value::StringValue(_)) => {}
            _ => set_string(kv, "service-name-wrong-type"),
        },
    }
}

/// Jaeger's empty-span-name and negative-duration sanitizers.
fn sanitize_span(span: &mut Span) {
    if span.name.is_empty() {
        span.name = "empty-span-name".to_owned();
    }
    let start = span.start_time_unix_nano as i64;
    let end = span.end_time_unix_nano as i64;
    if start >= end {
        let new_end = start.wrapping_add(1);
        add_warnings(
            &mut span.attributes,
            [format!(
                "Negative duration detected, sanitizing end timestamp. \
                 Original end timestamp: {}, adjusted to: {}",
                time::utc_time_string(end),
                time::utc_time_string(new_end)
            )],
        );
        span.end_time_unix_nano = new_end as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::warnings::get_warnings;
    use crate::otlp::{AnyValue, InstrumentationScope, Resource, ResourceSpans, ScopeSpans};

    fn test_store() -> Store {
        Store::new(crate::store::Limits {
            max_spans: 1_000,
            max_bytes: None,
        })
    }

    fn span(trace: u8, id: u8) -> Span {
        Span {
            trace_id: vec![trace; 16],
            span_id: vec![id; 8],
            name: format!("op{id}"),
            start_time_unix_nano: 100,
            end_time_unix_nano: 200,
            ..Default::default()
        }
    }

    fn request(resources: Vec<(Option<Resource>, Vec<Vec<Span>>)>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: resources
                .into_iter()
                .map(|(resource, scopes)| ResourceSpans {
                    resource,
                    scope_spans: scopes
                        .into_iter()
                        .enumerate()
                        .map(|(i, spans)| ScopeSpans {
                            scope: Some(InstrumentationScope {
                                name: format!("scope{i}"),
                                ..Default::default()
                            }),
                            spans,
                            schema_url: "s".into(),
                        })
                        .collect(),
                    schema_url: "r".into(),
                })
                .collect(),
        }
    }

    fn svc(name: &str) -> Option<Resource> {
        Some(Resource {
            attributes: vec![KeyValue {
                key: "service.name".into(),
                value: values::string_value(name),
                key_strindex: 0,
            }],
            ..Default::default()
        })
    }

    #[test]
    fn groups_like_jaegers_reshuffle() {
        let req = request(vec![
            (
                svc("a"),
                vec![vec![span(1, 1), span(2, 2)], vec![span(1, 3)]],
            ),
            (svc("b"), vec![vec![span(1, 4)]]),
        ]);
        let (batch, partial) = prepare(&test_store(), req).unwrap();
        assert_eq!(partial, ExportTracePartialSuccess::default());
        assert_eq!(batch.traces.len(), 2);
        let t1 = &batch.traces[0];
        assert_eq!(t1.span_count, 3);
        assert_eq!(t1.resources.len(), 2);
        assert_eq!(&*t1.resources[0].service, "a");
        assert_eq!(t1.resources[0].scopes.len(), 2);
        assert_eq!(t1.resources[0].scopes[1].scope.name, "scope1");
        assert_eq!(&*t1.resources[1].service, "b");
        assert_eq!(batch.traces[1].span_count, 1);
        assert_eq!(batch.operations.len(), 4);
    }

    #[test]
    fn sanitizes_like_jaeger() {
        let mut zero = span(1, 1);
        zero.end_time_unix_nano = zero.start_time_unix_nano;
        zero.name.clear();
        let wrong_type = Resource {
            attributes: vec![KeyValue {
                key: "service.name".into(),
                value: Some(AnyValue {
                    value: Some(Value::IntValue(3)),
                }),
                key_strindex: 0,
            }],
            ..Default::default()
        };
        let req = request(vec![
            (None, vec![vec![zero]]),
            (svc(""), vec![vec![span(2, 2)]]),
            (Some(wrong_type), vec![vec![span(3, 3)]]),
        ]);
        let (batch, _) = prepare(&test_store(), req).unwrap();
        let services: Vec<&str> = batch
            .traces
            .iter()
            .map(|t| &*t.resources[0].service)
            .collect();
        assert_eq!(
            services,
            [
                "missing-service-name",
                "empty-service-name",
                "service-name-wrong-type"
            ]
        );
        let s = &batch.traces[0].resources[0].scopes[0].spans[0].to_otlp(&TraceId([1; 16]));
        assert_eq!(s.name, "empty-span-name");
        assert_eq!(s.end_time_unix_nano, 101);
        assert_eq!(
            get_warnings(&s.attributes).unwrap(),
            [
                "Negative duration detected, sanitizing end timestamp. Original end timestamp: \
              1970-01-01 00:00:00.0000001 +0000 UTC, adjusted to: 1970-01-01 00:00:00.000000101 +0000 UTC"
            ]
        );
    }

    #[test]
    fn zero_ids_are_a_partial_success() {
        let mut no_span_id = span(1, 0);
        no_span_id.span_id = vec![0; 8];
        let mut no_trace_id = span(0, 2);
        no_trace_id.trace_id.clear();
        let req = request(vec![(
            svc("a"),
            vec![vec![span(1, 1), no_span_id, no_trace_id]],
        )]);
        let (batch, partial) = prepare(&test_store(), req).unwrap();
        assert_eq!(batch.traces.len(), 1);
        assert_eq!(batch.rejected, 2);
        assert_eq!(partial.rejected_spans, 2);
        assert_eq!(
            partial.error_message,
            "2 span(s) rejected: trace_id and span_id must not be all zeros \
             (first: resourceSpans[0].scopeSpans[0].spans[1])"
        );
    }

    #[test]
    fn bad_id_lengths_are_malformed() {
        let mut bad = span(1, 1);
        bad.parent_span_id = vec![1, 2, 3];
        let err = prepare(
            &test_store(),
            request(vec![(svc("a"), vec![vec![span(1, 2), bad]])]),
        )
        .unwrap_err();
        assert_eq!(
            err.0,
            "resourceSpans[0].scopeSpans[0].spans[1].parentSpanId: an id of 3 bytes (expected 8)"
        );
        let mut bad_link = span(1, 1);
        bad_link.links.push(crate::otlp::Link {
            trace_id: vec![1; 15],
            ..Default::default()
        });
        let err = prepare(
            &test_store(),
            request(vec![(svc("a"), vec![vec![bad_link]])]),
        )
        .unwrap_err();
        assert!(
            err.0
                .ends_with("links[0].traceId: an id of 15 bytes (expected 16)"),
            "{}",
            err.0
        );
    }
}

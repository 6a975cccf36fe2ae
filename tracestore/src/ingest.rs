//! From an OTLP export request to per-trace chunks for the store, shared by
//! the gRPC and HTTP receivers.
//!
//! - Ids of the wrong length make the request malformed (what the
//!   collector's protobuf decoder reports): nothing of it is stored. A
//!   span's own trace and span ids must be present (0 bytes is a wrong
//!   length); a parent or link id may be absent.
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
use crate::otlp::wire::{Field, Fields};
use crate::otlp::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, InstrumentationScope, KeyValue, Resource,
    Span, Value, values,
};
use crate::store::search::kind_name;
use crate::store::trace::{ResourceChunk, ScopeChunk};
use crate::store::{Batch, ExportStrings, Store, StoredSpan, TraceChunk, footprint};

/// A request that cannot be stored at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Malformed(pub String);

/// Why an encoded request is not stored at all.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refused {
    /// Not a protobuf `ExportTraceServiceRequest`.
    #[error("invalid OTLP protobuf")]
    Undecodable(#[source] prost::DecodeError),
    /// Decodable, but with an id of the wrong length.
    #[error(transparent)]
    Malformed(#[from] Malformed),
}

/// Prepares a protobuf-encoded request. Requests whose spans all have
/// valid ids and need no sanitizing (every span an SDK sends) are read
/// straight from the bytes into the store's form, without building the
/// OTLP request first; any other goes through prost and [`prepare`], which
/// reports, rejects and sanitizes it.
pub(crate) fn prepare_encoded(
    store: &Store,
    encoded: bytes::Bytes,
) -> Result<(Batch, ExportTracePartialSuccess), Refused> {
    if let Some(batch) = prepare_common(store, &encoded) {
        return Ok((batch, ExportTracePartialSuccess::default()));
    }
    let req = <ExportTraceServiceRequest as prost::Message>::decode(encoded)
        .map_err(Refused::Undecodable)?;
    Ok(prepare(store, req)?)
}

/// [`prepare`] of prost's decoding of `encoded`, read from the bytes;
/// `None` as soon as anything needs more than the common case.
fn prepare_common(store: &Store, encoded: &[u8]) -> Option<Batch> {
    let mut groups = Groups::new(store);
    let mut resource_index = 0;
    let mut scope_serial = 0usize;
    for field in Fields::of(encoded) {
        let resource_spans = match field.ok()? {
            (1, Field::Bytes(b)) => b,
            (1, _) => return None,
            _ => continue,
        };
        let Parts {
            first: resource,
            items: scope_spans,
        } = message_parts(resource_spans)?;
        let mut resource: Resource = match resource {
            Some(b) => prost::Message::decode(b).ok()?,
            None => Resource::default(),
        };
        sanitize_service_name(&mut resource.attributes);
        let mut group = groups.resource(resource);
        for scope_spans in scope_spans {
            scope_serial += 1;
            let Parts {
                first: scope,
                items: spans,
            } = message_parts(scope_spans)?;
            let scope: InstrumentationScope = match scope {
                Some(b) => prost::Message::decode(b).ok()?,
                None => InstrumentationScope::default(),
            };
            groups.scope(&mut group, scope);
            for span in spans {
                let (trace_id, span, bytes) = StoredSpan::decode(span, &mut groups.strings)?;
                groups.add(
                    resource_index,
                    scope_serial,
                    &mut group,
                    trace_id,
                    span,
                    bytes,
                );
            }
        }
        resource_index += 1;
    }
    Some(groups.finish())
}

/// A `ResourceSpans` or `ScopeSpans` message, which have the same layout.
struct Parts<'a> {
    /// Field 1, the resource or scope (at most once).
    first: Option<&'a [u8]>,
    /// Every field 2: the scope groups or the spans.
    items: Vec<&'a [u8]>,
}

/// Reads a [`Parts`]; field 3 (a schema URL) is checked and dropped.
fn message_parts(encoded: &[u8]) -> Option<Parts<'_>> {
    let (mut first, mut items) = (None, Vec::new());
    for field in Fields::of(encoded) {
        match field.ok()? {
            (1, Field::Bytes(b)) if first.is_none() => first = Some(b),
            (2, Field::Bytes(b)) => items.push(b),
            (3, Field::Bytes(b)) => {
                std::str::from_utf8(b).ok()?;
            }
            (1..=3, _) => return None,
            _ => {}
        }
    }
    Some(Parts { first, items })
}

/// The resource (and current scope) spans are being added under.
struct Group {
    resource: Arc<Resource>,
    service: Arc<str>,
    scope: Arc<InstrumentationScope>,
    /// Heap of the resource and scope not charged to a trace yet (the first
    /// trace holding them pays).
    unpaid: usize,
}

/// An export being grouped per trace the way Jaeger's memory store
/// reshuffles it: one resource group per trace per resource, one scope
/// group per trace per scope.
struct Groups<'a> {
    strings: ExportStrings<'a>,
    batch: Batch,
    trace_index: HashMap<TraceId, usize>,
    /// Which resource and scope group each trace's last chunk is for.
    current: Vec<(usize, usize)>,
}

impl<'a> Groups<'a> {
    fn new(store: &'a Store) -> Self {
        Groups {
            strings: store.export_strings(),
            batch: Batch::default(),
            trace_index: HashMap::new(),
            current: Vec::new(),
        }
    }

    /// Starts a (sanitized) resource.
    fn resource(&mut self, resource: Resource) -> Group {
        let service =
            match values::get(&resource.attributes, "service.name").and_then(values::value_of) {
                Some(Value::StringValue(s)) => self.strings.name(s),
                _ => self.strings.name(""),
            };
        let unpaid = footprint::block(16 + std::mem::size_of::<Resource>())
            + footprint::key_values(&resource.attributes);
        Group {
            resource: Arc::new(resource),
            service,
            scope: Arc::default(),
            unpaid,
        }
    }

    /// Starts a scope of the group's resource.
    fn scope(&mut self, group: &mut Group, scope: InstrumentationScope) {
        group.unpaid += footprint::block(16 + std::mem::size_of::<InstrumentationScope>())
            + footprint::string(&scope.name)
            + footprint::string(&scope.version)
            + footprint::key_values(&scope.attributes);
        group.scope = Arc::new(scope);
    }

    /// Adds a span (and its operation) of resource number `ri` and scope
    /// number `scope_serial` of the export.
    fn add(
        &mut self,
        ri: usize,
        scope_serial: usize,
        group: &mut Group,
        trace_id: TraceId,
        span: StoredSpan,
        bytes: usize,
    ) {
        let batch = &mut self.batch;
        let kind = kind_name(span.kind());
        if !batch
            .operations
            .iter()
            .any(|(s, (name, k))| *s == group.service && name == span.name() && *k == kind)
        {
            batch
                .operations
                .push((group.service.clone(), (span.name().to_owned(), kind)));
        }
        let current = &mut self.current;
        let ti = *self.trace_index.entry(trace_id).or_insert_with(|| {
            batch.traces.push(TraceChunk::new(trace_id));
            current.push((usize::MAX, usize::MAX));
            batch.traces.len() - 1
        });
        let trace = &mut batch.traces[ti];
        if current[ti].0 != ri {
            trace.resources.push(ResourceChunk {
                resource: group.resource.clone(),
                service: group.service.clone(),
                scopes: Vec::new(),
            });
            current[ti] = (ri, usize::MAX);
        }
        let Some(rchunk) = trace.resources.last_mut() else {
            return;
        };
        if current[ti].1 != scope_serial {
            rchunk.scopes.push(ScopeChunk {
                scope: group.scope.clone(),
                spans: Vec::new(),
            });
            current[ti].1 = scope_serial;
        }
        let start = span.start() as i64;
        if let Some(schunk) = rchunk.scopes.last_mut() {
            schunk.spans.push(span);
            trace.note_span(start, bytes + std::mem::take(&mut group.unpaid));
        }
    }

    /// The batch, every trace charged for its groups.
    fn finish(mut self) -> Batch {
        for trace in &mut self.batch.traces {
            trace.note_groups();
            trace.bytes = footprint::resident(trace.bytes);
        }
        self.batch
    }
}

/// Validates, sanitizes and groups a request for `store` (whose string
/// table the spans share).
pub(crate) fn prepare(
    store: &Store,
    req: ExportTraceServiceRequest,
) -> Result<(Batch, ExportTracePartialSuccess), Malformed> {
    validate(&req)?;
    let mut groups = Groups::new(store);
    let mut rejected = 0u64;
    let mut first_rejected: Option<String> = None;
    let mut scope_serial = 0usize;

    for (ri, rs) in req.resource_spans.into_iter().enumerate() {
        let mut resource = rs.resource.unwrap_or_default();
        sanitize_service_name(&mut resource.attributes);
        let mut group = groups.resource(resource);
        for (si, ss) in rs.scope_spans.into_iter().enumerate() {
            scope_serial += 1;
            groups.scope(&mut group, ss.scope.unwrap_or_default());
            for (pi, mut span) in ss.spans.into_iter().enumerate() {
                let trace_id = TraceId::from_slice(&span.trace_id).unwrap_or_default();
                let span_id = SpanId::from_slice(&span.span_id).unwrap_or_default();
                if trace_id.is_zero() || span_id.is_zero() {
                    rejected += 1;
                    first_rejected.get_or_insert_with(|| {
                        format!("resourceSpans[{ri}].scopeSpans[{si}].spans[{pi}]")
                    });
                    continue;
                }
                sanitize_span(&mut span);
                let (span, bytes) = StoredSpan::from_otlp(span, &mut groups.strings);
                groups.add(ri, scope_serial, &mut group, trace_id, span, bytes);
            }
        }
    }

    let mut batch = groups.finish();
    batch.rejected = rejected;
    let partial = match first_rejected {
        None => ExportTracePartialSuccess::default(),
        Some(first) => ExportTracePartialSuccess {
            rejected_spans: rejected as i64,
            error_message: format!(
                "{rejected} span(s) rejected: trace_id and span_id must not be all zeros (first: {first})"
            ),
        },
    };
    Ok((batch, partial))
}

/// Stores a prepared export and returns the partial success to answer: the
/// spans [`prepare`] dropped plus those of traces the store cannot fit.
pub(crate) fn store(
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
                // A span's own ids have no "absent": 0 bytes is a wrong
                // length like any other (400), where all-zero bytes of the
                // right length are an invalid id (a partial success below).
                check(&path, "traceId", &span.trace_id, &[16])?;
                check(&path, "spanId", &span.span_id, &[8])?;
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

    /// What a prepared batch amounts to, for comparing two preparations.
    fn summary(batch: &Batch) -> String {
        let traces: Vec<String> = batch
            .traces
            .iter()
            .map(|t| {
                format!(
                    "{:?} {} spans {} bytes {}..{} {:?} services {:?}",
                    t.id,
                    t.span_count,
                    t.bytes,
                    t.min_start,
                    t.max_start,
                    t.to_resource_spans(),
                    t.resources.iter().map(|r| &*r.service).collect::<Vec<_>>()
                )
            })
            .collect();
        format!("{traces:#?} {:?} {}", batch.operations, batch.rejected)
    }

    /// The bytes path reads `req` itself and agrees with prost + prepare.
    fn read_in_place(req: &ExportTraceServiceRequest) {
        let encoded = prost::Message::encode_to_vec(req);
        let store = test_store();
        let fast = prepare_common(&store, &encoded).expect("the common case");
        // As prost decodes it (a clone would have other capacities).
        let decoded = prost::Message::decode(&encoded[..]).unwrap();
        let (slow, partial) = prepare(&test_store(), decoded).unwrap();
        assert_eq!(partial, ExportTracePartialSuccess::default());
        assert_eq!(summary(&fast), summary(&slow));
    }

    /// The bytes path leaves `req` to prost + prepare.
    fn left_to_prost(req: &ExportTraceServiceRequest) {
        let encoded = prost::Message::encode_to_vec(req);
        assert!(prepare_common(&test_store(), &encoded).is_none());
    }

    fn rich_span(trace: u8, id: u8) -> Span {
        let kv = |key: &str, value: Option<Value>| KeyValue {
            key: key.into(),
            value: value.map(|value| AnyValue { value: Some(value) }),
            key_strindex: 0,
        };
        let mut s = span(trace, id);
        s.parent_span_id = vec![1; 8];
        s.kind = 3;
        s.flags = 0x101;
        s.trace_state = "a=b".into();
        s.attributes = vec![
            kv("http.route", Some(Value::StringValue("/orders".into()))),
            kv("code", Some(Value::IntValue(-201))),
            kv("ok", Some(Value::BoolValue(true))),
            kv("ratio", Some(Value::DoubleValue(0.25))),
            kv("raw", Some(Value::BytesValue(vec![0, 1]))),
            kv(
                "list",
                Some(Value::ArrayValue(crate::otlp::ArrayValue {
                    values: vec![AnyValue {
                        value: Some(Value::StringValue("x".into())),
                    }],
                })),
            ),
            kv("missing", None),
            KeyValue {
                key: "empty".into(),
                value: Some(AnyValue { value: None }),
                key_strindex: 0,
            },
            kv("again", Some(Value::StringValue("/orders".into()))),
        ];
        s.dropped_attributes_count = 2;
        s.events = vec![crate::otlp::Event {
            time_unix_nano: 150,
            name: "payment.charged".into(),
            attributes: vec![kv("payment.id", Some(Value::StringValue("p-1".into())))],
            dropped_attributes_count: 1,
        }];
        s.dropped_events_count = 3;
        s.links = vec![crate::otlp::Link {
            trace_id: vec![9; 16],
            span_id: vec![9; 8],
            ..Default::default()
        }];
        s.dropped_links_count = 4;
        s.status = Some(crate::otlp::Status {
            message: "failed".into(),
            code: 2,
        });
        s
    }

    #[test]
    fn the_bytes_path_stores_what_prost_and_prepare_store() {
        // Two resources, three scopes, traces spread over them, one
        // resource without a service name, one without any resource.
        read_in_place(&request(vec![
            (
                svc("a"),
                vec![vec![span(1, 1), rich_span(2, 2)], vec![rich_span(1, 3)]],
            ),
            (svc("b"), vec![vec![span(1, 4), span(3, 5)]]),
            (Some(Resource::default()), vec![vec![span(3, 6)]]),
            (None, vec![vec![span(4, 7)], vec![]]),
        ]));
        let mut no_status = span(5, 1);
        no_status.status = None;
        let mut default_status = span(5, 2);
        default_status.status = Some(crate::otlp::Status::default());
        read_in_place(&request(vec![(
            svc("a"),
            vec![vec![no_status, default_status]],
        )]));
        read_in_place(&request(vec![]));
    }

    #[test]
    fn the_bytes_path_leaves_what_needs_more_to_prost() {
        let cases: [fn(&mut Span); 8] = [
            |s| s.trace_id = vec![0; 16],
            |s| s.span_id = vec![0; 8],
            |s| s.trace_id.clear(),
            |s| s.parent_span_id = vec![1; 3],
            |s| s.name.clear(),
            |s| s.end_time_unix_nano = s.start_time_unix_nano,
            |s| {
                s.attributes.push(KeyValue {
                    key: "k".into(),
                    value: None,
                    key_strindex: 3,
                })
            },
            |s| {
                s.links.push(crate::otlp::Link {
                    trace_id: vec![1; 15],
                    ..Default::default()
                })
            },
        ];
        for (i, case) in cases.iter().enumerate() {
            let mut bad = span(1, 2);
            case(&mut bad);
            let req = request(vec![(svc("a"), vec![vec![span(1, 1), bad]])]);
            let encoded = prost::Message::encode_to_vec(&req);
            assert!(
                prepare_common(&test_store(), &encoded).is_none(),
                "case {i} read in place"
            );
            left_to_prost(&req);
        }
        // Broken framing and invalid UTF-8 too; prost then names the error.
        let mut encoded =
            prost::Message::encode_to_vec(&request(vec![(svc("a"), vec![vec![span(1, 1)]])]));
        let name_at = encoded
            .windows(3)
            .position(|w| w == b"op1")
            .expect("the span name is in the encoding");
        encoded[name_at] = 0xff;
        assert!(prepare_common(&test_store(), &encoded).is_none());
        let refused = prepare_encoded(&test_store(), encoded.into()).unwrap_err();
        let line = cli_support::error_chain(&refused);
        assert!(line.starts_with("invalid OTLP protobuf: "), "{line}");
        let truncated = bytes::Bytes::from_static(&[0x0a, 0x05, 0x12]);
        assert!(prepare_common(&test_store(), &truncated).is_none());
        assert!(matches!(
            prepare_encoded(&test_store(), truncated),
            Err(Refused::Undecodable(_))
        ));
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
        no_trace_id.trace_id = vec![0; 16];
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

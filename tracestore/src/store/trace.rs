//! How a trace is held: the resource and scope groups Jaeger's memory store
//! builds (one group per resource per export, one per scope within it),
//! with resources and scopes shared between the traces of one export, and
//! compact spans ([`StoredSpan`]).

use std::sync::Arc;

use super::footprint;
use super::span::StoredSpan;
use crate::ids::TraceId;
use crate::otlp::{InstrumentationScope, Resource, ResourceSpans, ScopeSpans};

/// The spans of one trace from one scope of one export.
#[derive(Debug, Clone)]
pub(crate) struct ScopeChunk {
    /// The instrumentation scope, shared with the export's other traces.
    pub scope: Arc<InstrumentationScope>,
    /// The spans, in the order they arrived.
    pub spans: Vec<StoredSpan>,
}

/// The spans of one trace from one resource of one export.
#[derive(Debug, Clone)]
pub(crate) struct ResourceChunk {
    /// The resource, shared with the export's other traces.
    pub resource: Arc<Resource>,
    /// Its `service.name` (a string after ingest sanitizing).
    pub service: Arc<str>,
    /// One group per scope that had spans of this trace.
    pub scopes: Vec<ScopeChunk>,
}

/// Spans of one trace: an export's worth on the way in, everything so far
/// once stored.
#[derive(Debug, Clone)]
pub(crate) struct TraceChunk {
    /// The trace id.
    pub id: TraceId,
    /// Resource groups in arrival order.
    pub resources: Vec<ResourceChunk>,
    /// Number of spans.
    pub span_count: usize,
    /// Estimated heap bytes of the spans and of the groups holding them
    /// (see [`footprint`]).
    pub bytes: usize,
    /// Earliest span start, ns since the epoch (Go's `int64` reading).
    pub min_start: i64,
    /// Latest span start, ns since the epoch.
    pub max_start: i64,
}

impl TraceChunk {
    /// An empty chunk for a trace.
    pub(crate) fn new(id: TraceId) -> Self {
        TraceChunk {
            id,
            resources: Vec::new(),
            span_count: 0,
            bytes: 0,
            min_start: i64::MAX,
            max_start: i64::MIN,
        }
    }

    /// Accounts for a span added to the last scope group.
    pub(crate) fn note_span(&mut self, start: i64, bytes: usize) {
        self.span_count += 1;
        self.bytes += bytes;
        self.min_start = self.min_start.min(start);
        self.max_start = self.max_start.max(start);
    }

    /// The heap blocks of the resource, scope and span lists, charged
    /// once the chunk is complete.
    pub(crate) fn note_groups(&mut self) {
        self.bytes += footprint::slice::<ResourceChunk>(self.resources.capacity())
            + self
                .resources
                .iter()
                .map(|r| {
                    footprint::slice::<ScopeChunk>(r.scopes.capacity())
                        + r.scopes
                            .iter()
                            .map(|s| footprint::slice::<StoredSpan>(s.spans.capacity()))
                            .sum::<usize>()
                })
                .sum::<usize>();
    }

    /// Appends a later export's spans of the same trace.
    pub(crate) fn merge(&mut self, later: TraceChunk) {
        self.resources.extend(later.resources);
        self.span_count += later.span_count;
        self.bytes += later.bytes;
        self.min_start = self.min_start.min(later.min_start);
        self.max_start = self.max_start.max(later.max_start);
    }

    /// Whether any resource group belongs to `service`.
    pub(crate) fn has_service(&self, service: &str) -> bool {
        self.resources.iter().any(|r| &*r.service == service)
    }

    /// An owned OTLP copy, as a query works on it (schema URLs are not kept,
    /// as in Jaeger's memory store).
    pub(crate) fn to_resource_spans(&self) -> Vec<ResourceSpans> {
        self.resources
            .iter()
            .map(|r| ResourceSpans {
                resource: Some(Resource::clone(&r.resource)),
                scope_spans: r
                    .scopes
                    .iter()
                    .map(|s| ScopeSpans {
                        scope: Some(InstrumentationScope::clone(&s.scope)),
                        spans: s.spans.iter().map(|span| span.to_otlp(&self.id)).collect(),
                        schema_url: String::new(),
                    })
                    .collect(),
                schema_url: String::new(),
            })
            .collect()
    }
}

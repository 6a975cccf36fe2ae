//! Trace search with the semantics of Jaeger's memory store
//! (`internal/storage/v2/memory/tenant.go` `validTrace`): a trace matches
//! when one of its spans meets every condition of the query.

use super::span::StoredSpan;
use super::trace::TraceChunk;
use crate::otlp::{InstrumentationScope, KeyValue, SpanKind, StatusCode, values};

/// What a search asks for. Empty strings and zero durations mean "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TraceQuery {
    /// `service.name` of the span's resource.
    pub service: String,
    /// The span name.
    pub operation: String,
    /// Earliest span start, ns since the epoch.
    pub start_min: Option<i64>,
    /// Latest span start, ns since the epoch.
    pub start_max: Option<i64>,
    /// Shortest duration, ns (0: no bound).
    pub duration_min: i64,
    /// Longest duration, ns (0: no bound).
    pub duration_max: i64,
    /// Attribute conditions, with Jaeger's special keys (`error`,
    /// `span.status`, `span.kind`, `scope.name`, `scope.version`,
    /// `resource.*`).
    pub attributes: Vec<(String, String)>,
    /// How many traces to return at most, newest first.
    pub limit: usize,
}

impl TraceQuery {
    /// Whether the trace has a span meeting every condition.
    pub(crate) fn matches(&self, trace: &TraceChunk) -> bool {
        // The time range first: it is read from the chunk itself, while the
        // service is behind a pointer per resource group, and a search of a
        // narrow window passes over every other trace of the store.
        if self.start_min.is_some_and(|min| trace.max_start < min)
            || self.start_max.is_some_and(|max| trace.min_start > max)
        {
            return false;
        }
        if !self.service.is_empty() && !trace.has_service(&self.service) {
            return false;
        }
        trace.resources.iter().any(|r| {
            (self.service.is_empty() || *r.service == *self.service)
                && r.scopes.iter().any(|s| {
                    s.spans
                        .iter()
                        .any(|span| self.span_matches(&r.resource.attributes, &s.scope, span))
                })
        })
    }

    fn span_matches(
        &self,
        resource_attrs: &[KeyValue],
        scope: &InstrumentationScope,
        span: &StoredSpan,
    ) -> bool {
        if !self.operation.is_empty() && self.operation != span.name() {
            return false;
        }
        let start = span.start() as i64;
        if self.start_min.is_some_and(|min| start < min)
            || self.start_max.is_some_and(|max| start > max)
        {
            return false;
        }
        let duration = (span.end() as i64).saturating_sub(start);
        if (self.duration_min != 0 && duration < self.duration_min)
            || (self.duration_max != 0 && duration > self.duration_max)
        {
            return false;
        }
        let status = span.status_code();
        self.attributes
            .iter()
            .all(|(key, want)| match key.as_str() {
                // error=true: status ERROR; error=false: anything else (Jaeger
                // after #9070; v2.20.0 wrongly asked for OK).
                "error" => match crate::go::strconv::parse_bool(want) {
                    Ok(true) => status == StatusCode::Error as i32,
                    Ok(false) => status != StatusCode::Error as i32,
                    Err(_) => false,
                },
                "span.status" => status == status_from_str(want) as i32,
                "span.kind" => span.kind() == kind_from_str(want) as i32,
                "scope.name" => scope.name == *want,
                "scope.version" => scope.version == *want,
                _ => match key.strip_prefix("resource.") {
                    Some(resource_key) => attr_equals(resource_attrs, resource_key, want),
                    None => {
                        span.attribute_equals(key, want)
                            || attr_equals(&scope.attributes, key, want)
                            || attr_equals(resource_attrs, key, want)
                            || span
                                .events()
                                .iter()
                                .any(|e| attr_equals(&e.attributes, key, want))
                            || span
                                .links()
                                .iter()
                                .any(|l| attr_equals(&l.attributes, key, want))
                    }
                },
            })
    }
}

/// Whether the first attribute named `key` renders as `want`.
fn attr_equals(attrs: &[KeyValue], key: &str, want: &str) -> bool {
    values::get(attrs, key).is_some_and(|kv| values::as_string(values::value_of(kv)) == want)
}

fn status_from_str(s: &str) -> StatusCode {
    match s.to_uppercase().as_str() {
        "OK" => StatusCode::Ok,
        "ERROR" => StatusCode::Error,
        _ => StatusCode::Unset,
    }
}

fn kind_from_str(s: &str) -> SpanKind {
    match s.to_uppercase().as_str() {
        "CLIENT" => SpanKind::Client,
        "SERVER" => SpanKind::Server,
        "PRODUCER" => SpanKind::Producer,
        "CONSUMER" => SpanKind::Consumer,
        "INTERNAL" => SpanKind::Internal,
        _ => SpanKind::Unspecified,
    }
}

/// The kind as Jaeger's operation index names it: lowercase, and empty for
/// unspecified or unknown kinds.
pub(crate) fn kind_name(kind: i32) -> &'static str {
    match SpanKind::try_from(kind) {
        Ok(SpanKind::Internal) => "internal",
        Ok(SpanKind::Server) => "server",
        Ok(SpanKind::Client) => "client",
        Ok(SpanKind::Producer) => "producer",
        Ok(SpanKind::Consumer) => "consumer",
        Ok(SpanKind::Unspecified) | Err(_) => "",
    }
}

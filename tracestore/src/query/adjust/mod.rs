//! Jaeger's standard query-time adjusters
//! (`cmd/jaeger/internal/extension/jaegerquery/internal/adjuster/standard.go`),
//! applied in Jaeger's order to every trace a query returns unless raw
//! traces are asked for:
//!
//! 1. server spans that share their id with a client span get a new id
//!    (Zipkin-style shared spans), their children follow;
//! 2. resource, scope, span, event and link attributes sorted by key (which
//!    also merges duplicate keys), events sorted by name;
//! 3. identical spans (same resource and scope attributes) dropped;
//! 4. clock skew: a child that does not fit in its parent is shifted by
//!    half the slack, if within `max_clock_skew_adjust` (default 0: no
//!    shift, only a warning); orphans and duplicate ids get a warning;
//! 5. integer or float `ip` / `peer.ipv4` attributes become dotted quads;
//! 6. `telemetry.sdk.*` / `telemetry.distro.*` span attributes move to the
//!    resource;
//! 7. links with an empty trace id are dropped with a warning.
//!
//! Warnings land in the `@jaeger@warnings` span attribute, as in Jaeger.
//!
//! One file per adjuster, named after Jaeger's; their order is in
//! [`standard`], as in Jaeger.

mod clock_skew;
mod dedupe_spans;
#[cfg(test)]
pub(super) mod equivalence_tests;
mod ip_attribute;
mod library_attributes;
mod sort;
mod span_id_uniquifier;
mod span_links;
mod standard;
#[cfg(test)]
mod tests;

pub(super) use clock_skew::{host_key, skew_of};
pub(super) use ip_attribute::IP_KEYS;
pub(super) use library_attributes::LIBRARY_KEYS;
pub(super) use sort::sorts_to_itself;
pub(crate) use standard::adjust;

use crate::otlp::{ResourceSpans, Span};

pub(super) fn spans_mut(trace: &mut [ResourceSpans]) -> impl Iterator<Item = &mut Span> {
    trace
        .iter_mut()
        .flat_map(|rs| rs.scope_spans.iter_mut())
        .flat_map(|ss| ss.spans.iter_mut())
}

pub(super) fn span_id(span: &Span) -> u64 {
    <[u8; 8]>::try_from(span.span_id.as_slice()).map_or(0, u64::from_be_bytes)
}

pub(super) fn parent_id(span: &Span) -> u64 {
    <[u8; 8]>::try_from(span.parent_span_id.as_slice()).map_or(0, u64::from_be_bytes)
}

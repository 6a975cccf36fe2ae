//! Answers written straight from a stored trace, without the owned OTLP
//! copy Jaeger's adjusters work on, when the adjusters would only sort it:
//! contract traces almost always. Sorting is done on the way out (an index
//! order per attribute list); anything else the adjusters would do (a
//! repeated span id, a missing parent, a clock-skew delta, an IP number,
//! an SDK attribute to move, an invalid link, attribute keys that sorting
//! would merge, events out of order) sends the trace down the owned path
//! (`to_resource_spans` + [`super::adjust::adjust`]), so an answer's bytes
//! are the same either way. A raw answer (`rawTraces`) is written straight
//! from any stored trace. `tests` holds the two paths to the same bytes.

use super::adjust::{IP_KEYS, LIBRARY_KEYS, host_key, skew_of, sorts_to_itself};
use super::summary::{SpanFacts, TraceSummary, service_name};
use crate::otlp::json_out::{self, Obj, in_order};
use crate::otlp::values::ValueRef;
use crate::otlp::{ResourceSpans, StatusCode};
use crate::store::trace::ResourceChunk;
use crate::store::{SpanAttributes, StoredSpan, TraceChunk};

/// The trace needs more than sorting: the owned path must answer.
#[derive(Debug)]
pub(super) struct NeedsAdjusting;

/// Whether Jaeger's adjusters would change nothing in the trace but the
/// order of attributes and events (the lists themselves are checked while
/// written): every span id once, every parent present, no clock-skew
/// delta, no IP number or SDK attribute, no link without a trace id, no
/// repeated key in a resource's or scope's attributes. It is also what
/// makes the summary of the stored trace the summary of the adjusted one.
pub(super) fn only_sorting(trace: &TraceChunk) -> bool {
    let mut hosts = Vec::with_capacity(trace.resources.len());
    for r in &trace.resources {
        let attrs = &r.resource.attributes;
        if sorted_order(attrs, |kv| kv.key.as_str()).is_err()
            || attrs
                .iter()
                .any(|kv| is_ip_number(&kv.key, ValueRef::of(kv.value.as_ref())))
            || r.scopes
                .iter()
                .any(|s| sorted_order(&s.scope.attributes, |kv| kv.key.as_str()).is_err())
        {
            return false;
        }
        hosts.push(host_key(attrs));
    }
    // (span id, parent id or 0, resource index, start, end)
    let mut nodes: Vec<(u64, u64, usize, i64, i64)> = Vec::with_capacity(trace.span_count);
    for (ri, r) in trace.resources.iter().enumerate() {
        for span in r.scopes.iter().flat_map(|s| s.spans.iter()) {
            if !span_is_plain(span) {
                return false;
            }
            nodes.push((
                u64::from_be_bytes(*span.span_id()),
                span.parent_span_id().map_or(0, |p| u64::from_be_bytes(*p)),
                ri,
                span.start() as i64,
                span.end() as i64,
            ));
        }
    }
    let mut by_id: Vec<(u64, usize)> = nodes.iter().enumerate().map(|(i, n)| (n.0, i)).collect();
    by_id.sort_unstable();
    if by_id.windows(2).any(|w| w[0].0 == w[1].0) {
        return false;
    }
    nodes.iter().all(|&(_, parent, ri, start, end)| {
        if parent == 0 {
            return true;
        }
        // A parent not in the trace gets a warning.
        let Ok(at) = by_id.binary_search_by_key(&parent, |&(id, _)| id) else {
            return false;
        };
        let (_, _, parent_ri, parent_start, parent_end) = nodes[by_id[at].1];
        // `CorrectClockSkew` measures a child against its parent only
        // across hosts, or when the child's host is unknown; with every
        // delta zero nothing is inherited either.
        (hosts[ri] == hosts[parent_ri] && !hosts[ri].is_empty())
            || skew_of((parent_start, parent_end), (start, end)) == 0
    })
}

/// A span the IP, library-attribute and link adjusters leave alone, whose
/// attributes are in the compact form.
fn span_is_plain(span: &StoredSpan) -> bool {
    let SpanAttributes::Compact(attrs) = span.attributes() else {
        return false;
    };
    !attrs
        .iter()
        .any(|a| is_ip_number(a.key(), a.value()) || LIBRARY_KEYS.contains(&a.key()))
        && span
            .links()
            .iter()
            .all(|l| l.trace_id.iter().any(|b| *b != 0))
}

/// An `ip` or `peer.ipv4` number, which `NormalizeIPAttributes` rewrites.
fn is_ip_number(key: &str, value: ValueRef<'_>) -> bool {
    IP_KEYS.contains(&key) && matches!(value, ValueRef::Int(_) | ValueRef::Double(_))
}

/// The order `SortCollections` puts a list in (a stable sort by key):
/// `None` when already strictly sorted; an error when two entries share a
/// key, which sorting would merge.
fn sorted_order<'a, T>(
    items: &'a [T],
    key: impl Fn(&'a T) -> &'a str,
) -> Result<Option<Vec<u32>>, NeedsAdjusting> {
    if items.is_sorted_by(|a, b| key(a) < key(b)) {
        return Ok(None);
    }
    let mut order: Vec<u32> = (0..items.len() as u32).collect();
    order.sort_by(|&a, &b| key(&items[a as usize]).cmp(key(&items[b as usize])));
    if order
        .windows(2)
        .any(|w| key(&items[w[0] as usize]) == key(&items[w[1] as usize]))
    {
        return Err(NeedsAdjusting);
    }
    Ok(Some(order))
}

/// The body of a v3 traces answer, `{"result":{"resourceSpans":[...]}}`,
/// written trace by trace.
pub(super) struct TracesBody {
    out: String,
    /// `ResourceSpans` written so far.
    items: usize,
}

impl TracesBody {
    /// An empty body.
    pub(super) fn new() -> Self {
        TracesBody {
            out: String::from("{\"result\":{"),
            items: 0,
        }
    }

    /// Where the next `ResourceSpans` goes.
    fn next_item(&mut self) -> &mut String {
        self.out.push_str(if self.items == 0 {
            "\"resourceSpans\":["
        } else {
            ","
        });
        self.items += 1;
        &mut self.out
    }

    /// Adds a stored trace written straight from the store, sorted as the
    /// adjusters would unless `raw`; when it needs more than sorting,
    /// nothing is added and the caller adds the adjusted copy instead.
    pub(super) fn push_stored(
        &mut self,
        trace: &TraceChunk,
        raw: bool,
    ) -> Result<(), NeedsAdjusting> {
        let (len, items) = (self.out.len(), self.items);
        let written = trace
            .resources
            .iter()
            .try_for_each(|r| write_resource_chunk(trace, r, !raw, self.next_item()));
        if written.is_err() {
            self.out.truncate(len);
            self.items = items;
        }
        written
    }

    /// Adds an owned trace, as it is.
    pub(super) fn push_owned(&mut self, trace: &[ResourceSpans]) {
        for rs in trace {
            json_out::write_resource_spans(rs, self.next_item());
        }
    }

    /// The body, or `None` when no trace was added (Jaeger's 404).
    pub(super) fn finish(mut self) -> Option<String> {
        if self.items == 0 {
            return None;
        }
        self.out.push_str("]}}");
        Some(self.out)
    }
}

/// A repeated field written by a fallible `each`; an empty one is left
/// out, as [`Obj::list`] does.
fn try_list<T>(
    o: &mut Obj<'_>,
    name: &str,
    items: &[T],
    mut each: impl FnMut(&T, &mut String) -> Result<(), NeedsAdjusting>,
) -> Result<(), NeedsAdjusting> {
    if items.is_empty() {
        return Ok(());
    }
    let out = o.key(name);
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(item, out)?;
    }
    out.push(']');
    Ok(())
}

/// The order to write a list in: sorted when `sort`, else as held.
fn order_of<'a, T>(
    sort: bool,
    items: &'a [T],
    key: impl Fn(&'a T) -> &'a str,
) -> Result<Option<Vec<u32>>, NeedsAdjusting> {
    if sort {
        sorted_order(items, key)
    } else {
        Ok(None)
    }
}

/// One resource group as the `ResourceSpans` `to_resource_spans` makes of
/// it (no schema URL: the store keeps none, as Jaeger's memory store).
fn write_resource_chunk(
    trace: &TraceChunk,
    r: &ResourceChunk,
    sort: bool,
    out: &mut String,
) -> Result<(), NeedsAdjusting> {
    let mut o = Obj::open(out);
    let order = order_of(sort, &r.resource.attributes, |kv| kv.key.as_str())?;
    json_out::write_resource(Some(&r.resource), order.as_deref(), o.key("resource"));
    try_list(&mut o, "scopeSpans", &r.scopes, |s, out| {
        let mut so = Obj::open(out);
        let order = order_of(sort, &s.scope.attributes, |kv| kv.key.as_str())?;
        json_out::write_scope(Some(&s.scope), order.as_deref(), so.key("scope"));
        try_list(&mut so, "spans", &s.spans, |span, out| {
            write_span(trace, span, sort, out)
        })?;
        so.close();
        Ok(())
    })?;
    o.close();
    Ok(())
}

/// One span in `json_out`'s field order.
fn write_span(
    trace: &TraceChunk,
    span: &StoredSpan,
    sort: bool,
    out: &mut String,
) -> Result<(), NeedsAdjusting> {
    let mut o = Obj::open(out);
    o.hex_if("traceId", &trace.id.0);
    o.hex_if("spanId", span.span_id());
    o.string_if("traceState", span.trace_state());
    if let Some(parent) = span.parent_span_id() {
        o.hex_if("parentSpanId", parent);
    }
    o.u32_if("flags", span.flags());
    o.string_if("name", span.name());
    o.i32_if("kind", span.kind());
    o.u64_if("startTimeUnixNano", span.start());
    o.u64_if("endTimeUnixNano", span.end());
    match span.attributes() {
        SpanAttributes::Compact(attrs) => {
            let order = order_of(sort, attrs, |a| a.key())?;
            o.list("attributes", in_order(attrs, order.as_deref()), |a, out| {
                json_out::write_attribute(a.key(), a.value(), out)
            });
        }
        SpanAttributes::Raw(_) if sort => return Err(NeedsAdjusting),
        SpanAttributes::Raw(attrs) => o.list("attributes", attrs, json_out::write_key_value),
    }
    let [dropped_attributes, dropped_events, dropped_links] = span.dropped_counts();
    o.u32_if("droppedAttributesCount", dropped_attributes);
    let events = span.events();
    if sort
        && !(events.is_sorted_by(|a, b| a.name <= b.name)
            && events.iter().all(|e| sorts_to_itself(&e.attributes)))
    {
        return Err(NeedsAdjusting);
    }
    o.list("events", events, json_out::write_event);
    o.u32_if("droppedEventsCount", dropped_events);
    let links = span.links();
    if sort && !links.iter().all(|l| sorts_to_itself(&l.attributes)) {
        return Err(NeedsAdjusting);
    }
    o.list("links", links, json_out::write_link);
    o.u32_if("droppedLinksCount", dropped_links);
    json_out::write_status_parts(span.status(), o.key("status"));
    o.close();
    Ok(())
}

/// `summarizeTrace` of the stored trace, which is the adjusted trace's when
/// [`only_sorting`] holds.
pub(super) fn summary(trace: &TraceChunk) -> TraceSummary {
    let spans = || {
        trace.resources.iter().flat_map(|r| {
            let service = service_name(Some(&r.resource));
            r.scopes
                .iter()
                .flat_map(|s| s.spans.iter())
                .map(move |span| SpanFacts {
                    service,
                    span_id: span.span_id(),
                    parent_span_id: span.parent_span_id().map_or(&[][..], |p| &p[..]),
                    name: span.name(),
                    start: span.start(),
                    end: span.end(),
                    error: span
                        .status()
                        .is_some_and(|(code, _)| code == StatusCode::Error as i32),
                })
        })
    };
    TraceSummary::of_spans(&trace.id.0, spans)
}

#[cfg(test)]
mod tests;

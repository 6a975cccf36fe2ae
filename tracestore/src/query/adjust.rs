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

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use prost::Message;

use crate::gofmt;
use crate::otlp::warnings::add_warnings;
use crate::otlp::{KeyValue, ResourceSpans, Span, SpanKind, Value, values};

/// Runs every adjuster on one trace.
pub fn adjust(trace: &mut [ResourceSpans], max_clock_skew: Duration) {
    dedupe_client_server_span_ids(trace);
    sort_collections(trace);
    dedupe_spans(trace);
    correct_clock_skew(
        trace,
        i64::try_from(max_clock_skew.as_nanos()).unwrap_or(i64::MAX),
    );
    normalize_ip_attributes(trace);
    move_library_attributes(trace);
    remove_empty_span_links(trace);
}

fn spans_mut(trace: &mut [ResourceSpans]) -> impl Iterator<Item = &mut Span> {
    trace
        .iter_mut()
        .flat_map(|rs| rs.scope_spans.iter_mut())
        .flat_map(|ss| ss.spans.iter_mut())
}

fn span_id(span: &Span) -> u64 {
    <[u8; 8]>::try_from(span.span_id.as_slice()).map_or(0, u64::from_be_bytes)
}

fn parent_id(span: &Span) -> u64 {
    <[u8; 8]>::try_from(span.parent_span_id.as_slice()).map_or(0, u64::from_be_bytes)
}

/// `DeduplicateClientServerSpanIDs`.
fn dedupe_client_server_span_ids(trace: &mut [ResourceSpans]) {
    let mut used: HashSet<u64> = HashSet::new();
    let mut has_client: HashSet<u64> = HashSet::new();
    for span in spans_mut(trace) {
        used.insert(span_id(span));
        if span.kind == SpanKind::Client as i32 {
            has_client.insert(span_id(span));
        }
    }
    if has_client.is_empty() {
        return;
    }
    let mut max_used = 0u64;
    let mut old_to_new: HashMap<u64, u64> = HashMap::new();
    for span in spans_mut(trace) {
        let id = span_id(span);
        if span.kind != SpanKind::Server as i32 || !has_client.contains(&id) {
            continue;
        }
        let mut candidate = max_used.wrapping_add(1);
        let fresh = loop {
            if candidate == 0 {
                break None;
            }
            if !used.contains(&candidate) {
                break Some(candidate);
            }
            candidate = candidate.wrapping_add(1);
        };
        let Some(new) = fresh else {
            add_warnings(
                &mut span.attributes,
                ["cannot assign unique span ID, too many spans in the trace".to_owned()],
            );
            continue;
        };
        max_used = new;
        old_to_new.insert(id, new);
        span.parent_span_id = id.to_be_bytes().to_vec();
        span.span_id = new.to_be_bytes().to_vec();
    }
    for span in spans_mut(trace) {
        if let Some(&new) = old_to_new.get(&parent_id(span))
            && span_id(span) != new
        {
            span.parent_span_id = new.to_be_bytes().to_vec();
        }
    }
}

/// Sorts attributes by key; a repeated key keeps one entry, in the first
/// one's place in the sorted order, with the last value.
fn sort_attributes(attrs: &mut Vec<KeyValue>) {
    attrs.sort_by(|a, b| a.key.cmp(&b.key));
    let mut merged: Vec<KeyValue> = Vec::with_capacity(attrs.len());
    for kv in attrs.drain(..) {
        match merged.last_mut() {
            Some(last) if last.key == kv.key => last.value = kv.value,
            _ => merged.push(kv),
        }
    }
    *attrs = merged;
}

/// `SortCollections`.
fn sort_collections(trace: &mut [ResourceSpans]) {
    for rs in trace.iter_mut() {
        if let Some(r) = rs.resource.as_mut() {
            sort_attributes(&mut r.attributes);
        }
        for ss in rs.scope_spans.iter_mut() {
            if let Some(s) = ss.scope.as_mut() {
                sort_attributes(&mut s.attributes);
            }
            for span in ss.spans.iter_mut() {
                sort_attributes(&mut span.attributes);
                span.events.sort_by(|a, b| a.name.cmp(&b.name));
                for e in span.events.iter_mut() {
                    sort_attributes(&mut e.attributes);
                }
                for l in span.links.iter_mut() {
                    sort_attributes(&mut l.attributes);
                }
            }
        }
    }
}

/// `DeduplicateSpans`: drops a span identical (in its protobuf encoding,
/// with its resource and scope attributes) to an earlier one.
fn dedupe_spans(trace: &mut [ResourceSpans]) {
    fn attrs_bytes(attrs: &[KeyValue]) -> Vec<u8> {
        let mut out = Vec::new();
        for kv in attrs {
            kv.encode_length_delimited(&mut out).unwrap_or_default();
        }
        out
    }
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    for rs in trace.iter_mut() {
        let resource = attrs_bytes(rs.resource.as_ref().map_or(&[][..], |r| &r.attributes));
        for ss in rs.scope_spans.iter_mut() {
            let scope = attrs_bytes(ss.scope.as_ref().map_or(&[][..], |s| &s.attributes));
            ss.spans.retain(|span| {
                let mut key = Vec::new();
                for part in [&resource, &scope] {
                    key.extend_from_slice(&(part.len() as u64).to_le_bytes());
                    key.extend_from_slice(part);
                }
                span.encode(&mut key).unwrap_or_default();
                seen.insert(key)
            });
        }
    }
}

/// Jaeger's host key: `host.id`, else `host.ip` (string or first element
/// of a list), else `host.name`.
fn host_key(rs: &ResourceSpans) -> String {
    let attrs = rs.resource.as_ref().map_or(&[][..], |r| &r.attributes);
    let str_of = |kv: &KeyValue| match values::value_of(kv) {
        Some(Value::StringValue(s)) => s.clone(),
        _ => String::new(),
    };
    if let Some(kv) = values::get(attrs, "host.id") {
        return str_of(kv);
    }
    if let Some(kv) = values::get(attrs, "host.ip") {
        match values::value_of(kv) {
            Some(Value::StringValue(s)) => return s.clone(),
            Some(Value::ArrayValue(a)) if !a.values.is_empty() => {
                return values::as_string(a.values[0].value.as_ref());
            }
            _ => {}
        }
    }
    values::get(attrs, "host.name")
        .map(str_of)
        .unwrap_or_default()
}

struct Node {
    pos: (usize, usize, usize),
    host: String,
    children: Vec<usize>,
}

/// `CorrectClockSkew`.
fn correct_clock_skew(trace: &mut [ResourceSpans], max_delta: i64) {
    let mut nodes: Vec<Node> = Vec::new();
    let mut by_id: HashMap<u64, usize> = HashMap::new();
    for (ri, rs) in trace.iter_mut().enumerate() {
        let host = host_key(rs);
        for (si, ss) in rs.scope_spans.iter_mut().enumerate() {
            for (pi, span) in ss.spans.iter_mut().enumerate() {
                let id = span_id(span);
                match by_id.entry(id) {
                    Entry::Occupied(_) => add_warnings(
                        &mut span.attributes,
                        ["duplicate span IDs; skipping clock skew adjustment".to_owned()],
                    ),
                    Entry::Vacant(slot) => {
                        slot.insert(nodes.len());
                        nodes.push(Node {
                            pos: (ri, si, pi),
                            host: host.clone(),
                            children: Vec::new(),
                        });
                    }
                }
            }
        }
    }
    let mut roots = Vec::new();
    for i in 0..nodes.len() {
        let (r, s, p) = nodes[i].pos;
        let span = &mut trace[r].scope_spans[s].spans[p];
        let parent = parent_id(span);
        if parent == 0 {
            roots.push(i);
            continue;
        }
        match by_id.get(&parent) {
            Some(&pi) => nodes[pi].children.push(i),
            None => {
                add_warnings(
                    &mut span.attributes,
                    [format!(
                        "parent span ID={parent:016x} is not in the trace; skipping clock skew adjustment"
                    )],
                );
                roots.push(i);
            }
        }
    }
    // Depth-first, without recursion: (node, parent node, skew inherited).
    let mut stack: Vec<(usize, Option<usize>, i64, String)> = roots
        .iter()
        .map(|&r| (r, None, 0i64, nodes[r].host.clone()))
        .collect();
    while let Some((n, parent, mut delta, mut host)) = stack.pop() {
        if let Some(p) = parent
            && (nodes[n].host != host || nodes[n].host.is_empty())
        {
            host = nodes[n].host.clone();
            let (pr, ps, pp) = nodes[p].pos;
            let (cr, cs, cp) = nodes[n].pos;
            delta = skew(
                &trace[pr].scope_spans[ps].spans[pp],
                &trace[cr].scope_spans[cs].spans[cp],
            );
        }
        let (r, s, p) = nodes[n].pos;
        adjust_timestamps(&mut trace[r].scope_spans[s].spans[p], delta, max_delta);
        for &child in nodes[n].children.iter().rev() {
            stack.push((child, Some(n), delta, host.clone()));
        }
    }
}

fn times(span: &Span) -> (i64, i64) {
    (
        span.start_time_unix_nano as i64,
        span.end_time_unix_nano as i64,
    )
}

/// `calculateSkew`: how far to move a child to fit it in its parent.
fn skew(parent: &Span, child: &Span) -> i64 {
    let (ps, pe) = times(parent);
    let (cs, ce) = times(child);
    let parent_duration = pe.saturating_sub(ps);
    let child_duration = ce.saturating_sub(cs);
    if child_duration > parent_duration {
        return if cs < ps { ps.saturating_sub(cs) } else { 0 };
    }
    if cs >= ps && ce <= pe {
        return 0;
    }
    let latency = (parent_duration - child_duration) / 2;
    ps.saturating_add(latency).saturating_sub(cs)
}

/// `adjustTimestamps`.
fn adjust_timestamps(span: &mut Span, delta: i64, max_delta: i64) {
    if delta == 0 {
        return;
    }
    if delta.unsigned_abs() > max_delta.unsigned_abs() {
        let warning = if max_delta == 0 {
            format!(
                "clock skew adjustment disabled; not applying calculated delta of {}",
                gofmt::duration_string(delta)
            )
        } else {
            format!(
                "max clock skew adjustment delta of {} exceeded; not applying calculated delta of {}",
                gofmt::duration_string(max_delta),
                gofmt::duration_string(delta)
            )
        };
        add_warnings(&mut span.attributes, [warning]);
        return;
    }
    let shift = |t: u64| (t as i64).wrapping_add(delta) as u64;
    span.start_time_unix_nano = shift(span.start_time_unix_nano);
    span.end_time_unix_nano = shift(span.end_time_unix_nano);
    add_warnings(
        &mut span.attributes,
        [format!(
            "This span's timestamps were adjusted by {}",
            gofmt::duration_string(delta)
        )],
    );
    for e in span.events.iter_mut() {
        e.time_unix_nano = shift(e.time_unix_nano);
    }
}

/// `NormalizeIPAttributes` on resource and span attributes.
fn normalize_ip_attributes(trace: &mut [ResourceSpans]) {
    fn normalize(attrs: &mut [KeyValue]) {
        for kv in attrs.iter_mut() {
            if kv.key != "ip" && kv.key != "peer.ipv4" {
                continue;
            }
            let packed = match values::value_of(kv) {
                Some(Value::IntValue(i)) => *i as u32,
                Some(Value::DoubleValue(d)) => *d as u32,
                _ => continue,
            };
            let [a, b, c, d] = packed.to_be_bytes();
            kv.value = values::string_value(format!("{a}.{b}.{c}.{d}"));
        }
    }
    for rs in trace.iter_mut() {
        if let Some(r) = rs.resource.as_mut() {
            normalize(&mut r.attributes);
        }
        for ss in rs.scope_spans.iter_mut() {
            for span in ss.spans.iter_mut() {
                normalize(&mut span.attributes);
            }
        }
    }
}

const LIBRARY_KEYS: [&str; 5] = [
    "telemetry.sdk.language",
    "telemetry.sdk.name",
    "telemetry.sdk.version",
    "telemetry.distro.name",
    "telemetry.distro.version",
];

/// `MoveLibraryAttributes`.
fn move_library_attributes(trace: &mut [ResourceSpans]) {
    for rs in trace.iter_mut() {
        let resource = rs.resource.get_or_insert_with(Default::default);
        for ss in rs.scope_spans.iter_mut() {
            for span in ss.spans.iter_mut() {
                let library: Vec<KeyValue> = span
                    .attributes
                    .iter()
                    .filter(|kv| LIBRARY_KEYS.contains(&kv.key.as_str()))
                    .cloned()
                    .collect();
                for kv in library {
                    match resource.attributes.iter_mut().find(|r| r.key == kv.key) {
                        Some(existing) if values::value_of(existing) != values::value_of(&kv) => {
                            add_warnings(
                                &mut span.attributes,
                                [format!(
                                    "conflicting values between Span and Resource for attribute {}",
                                    kv.key
                                )],
                            );
                            continue;
                        }
                        Some(existing) => existing.value = kv.value.clone(),
                        None => resource.attributes.push(kv.clone()),
                    }
                    if let Some(i) = span.attributes.iter().position(|a| a.key == kv.key) {
                        span.attributes.remove(i);
                    }
                }
            }
        }
    }
}

/// `RemoveEmptySpanLinks`.
fn remove_empty_span_links(trace: &mut [ResourceSpans]) {
    for span in spans_mut(trace) {
        let before = span.links.len();
        span.links.retain(|l| l.trace_id.iter().any(|b| *b != 0));
        let removed = before - span.links.len();
        if removed > 0 {
            add_warnings(
                &mut span.attributes,
                (0..removed).map(|_| "Invalid span link removed".to_owned()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::warnings::get_warnings;
    use crate::otlp::{AnyValue, Event, Link, Resource, ScopeSpans};

    fn span(id: u64, parent: u64, start: u64, end: u64) -> Span {
        Span {
            trace_id: vec![1; 16],
            span_id: id.to_be_bytes().to_vec(),
            parent_span_id: if parent == 0 {
                vec![]
            } else {
                parent.to_be_bytes().to_vec()
            },
            name: format!("s{id}"),
            start_time_unix_nano: start,
            end_time_unix_nano: end,
            ..Default::default()
        }
    }

    fn trace(spans: Vec<Span>) -> Vec<ResourceSpans> {
        vec![ResourceSpans {
            resource: Some(Resource::default()),
            scope_spans: vec![ScopeSpans {
                scope: None,
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }]
    }

    fn kv(k: &str, v: Value) -> KeyValue {
        KeyValue {
            key: k.into(),
            value: Some(AnyValue { value: Some(v) }),
            key_strindex: 0,
        }
    }

    fn warnings(t: &[ResourceSpans], i: usize) -> Option<Vec<String>> {
        get_warnings(&t[0].scope_spans[0].spans[i].attributes)
    }

    #[test]
    fn clock_skew_warns_when_disabled_and_shifts_when_allowed() {
        // The child starts 100ns before its parent and is shorter.
        let spans = vec![
            span(1, 0, 1000, 2000),
            span(2, 1, 900, 1400),
            span(3, 9, 0, 10),
        ];
        let mut t = trace(spans.clone());
        correct_clock_skew(&mut t, 0);
        assert_eq!(
            warnings(&t, 1).unwrap(),
            ["clock skew adjustment disabled; not applying calculated delta of 350ns"]
        );
        assert_eq!(t[0].scope_spans[0].spans[1].start_time_unix_nano, 900);
        assert_eq!(
            warnings(&t, 2).unwrap(),
            ["parent span ID=0000000000000009 is not in the trace; skipping clock skew adjustment"]
        );
        let mut t = trace(spans);
        correct_clock_skew(&mut t, 1_000_000);
        let child = &t[0].scope_spans[0].spans[1];
        assert_eq!(
            (child.start_time_unix_nano, child.end_time_unix_nano),
            (1250, 1750)
        );
        assert_eq!(
            warnings(&t, 1).unwrap(),
            ["This span's timestamps were adjusted by 350ns"]
        );
    }

    #[test]
    fn shared_client_server_ids_are_split() {
        let mut client = span(5, 0, 0, 10);
        client.kind = SpanKind::Client as i32;
        let mut server = span(5, 0, 1, 9);
        server.kind = SpanKind::Server as i32;
        let child = span(7, 5, 2, 8);
        let mut t = trace(vec![client, server, child]);
        dedupe_client_server_span_ids(&mut t);
        let s = &t[0].scope_spans[0].spans;
        assert_eq!(span_id(&s[1]), 1);
        assert_eq!(parent_id(&s[1]), 5);
        assert_eq!(parent_id(&s[2]), 1);
        assert_eq!(span_id(&s[0]), 5);
    }

    #[test]
    fn sorting_merges_duplicate_keys_and_dedupe_drops_copies() {
        let mut a = span(1, 0, 0, 10);
        a.attributes = vec![
            kv("b", Value::IntValue(1)),
            kv("a", Value::IntValue(2)),
            kv("b", Value::IntValue(3)),
        ];
        a.events = vec![
            Event {
                name: "z".into(),
                ..Default::default()
            },
            Event {
                name: "a".into(),
                ..Default::default()
            },
        ];
        let mut t = trace(vec![a.clone(), a]);
        sort_collections(&mut t);
        dedupe_spans(&mut t);
        let s = &t[0].scope_spans[0].spans;
        assert_eq!(s.len(), 1);
        let keys: Vec<&str> = s[0].attributes.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(
            values::value_of(&s[0].attributes[1]),
            Some(&Value::IntValue(3))
        );
        assert_eq!(s[0].events[0].name, "a");
    }

    #[test]
    fn ips_library_attributes_and_links() {
        let mut s = span(1, 0, 0, 10);
        s.attributes = vec![
            kv("peer.ipv4", Value::IntValue(0x0808_0404)),
            kv(
                "telemetry.sdk.name",
                Value::StringValue("opentelemetry".into()),
            ),
        ];
        s.links = vec![Link {
            trace_id: vec![0; 16],
            span_id: vec![1; 8],
            ..Default::default()
        }];
        let mut t = trace(vec![s]);
        normalize_ip_attributes(&mut t);
        move_library_attributes(&mut t);
        remove_empty_span_links(&mut t);
        let span = &t[0].scope_spans[0].spans[0];
        assert_eq!(
            values::value_of(&span.attributes[0]),
            Some(&Value::StringValue("8.8.4.4".into()))
        );
        assert!(values::get(&span.attributes, "telemetry.sdk.name").is_none());
        assert!(
            values::get(
                &t[0].resource.as_ref().unwrap().attributes,
                "telemetry.sdk.name"
            )
            .is_some()
        );
        assert!(span.links.is_empty());
        assert_eq!(
            get_warnings(&span.attributes).unwrap(),
            ["Invalid span link removed"]
        );
    }
}

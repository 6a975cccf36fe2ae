//! Jaeger's `CorrectClockSkew` (`clockskew.go`): a child that does not fit
//! in its parent on another host is shifted, within a bound, or warned about.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::{parent_id, span_id};
use crate::go::time;
use crate::otlp::{KeyValue, ResourceSpans, Span, Value, values, warnings::add_warnings};

/// Jaeger's host key of a resource's attributes: `host.id`, else
/// `host.ip` (string or first element of a list), else `host.name`.
pub(in crate::query) fn host_key(attrs: &[KeyValue]) -> Cow<'_, str> {
    fn str_of(kv: &KeyValue) -> &str {
        match values::value_of(kv) {
            Some(Value::StringValue(s)) => s,
            _ => "",
        }
    }
    if let Some(kv) = values::get(attrs, "host.id") {
        return Cow::Borrowed(str_of(kv));
    }
    if let Some(kv) = values::get(attrs, "host.ip") {
        match values::value_of(kv) {
            Some(Value::StringValue(s)) => return Cow::Borrowed(s),
            Some(Value::ArrayValue(a)) if !a.values.is_empty() => {
                return Cow::Owned(values::as_string(a.values[0].value.as_ref()));
            }
            _ => {}
        }
    }
    Cow::Borrowed(values::get(attrs, "host.name").map_or("", str_of))
}

struct Node {
    /// Resource, scope and span index; the resource's host key is
    /// `hosts[pos.0]`.
    pos: (usize, usize, usize),
    children: Vec<usize>,
}

/// `CorrectClockSkew`.
pub(super) fn correct_clock_skew(trace: &mut [ResourceSpans], max_delta: i64) {
    let hosts: Vec<String> = trace
        .iter()
        .map(|rs| host_key(rs.resource.as_ref().map_or(&[][..], |r| &r.attributes)).into_owned())
        .collect();
    let mut nodes: Vec<Node> = Vec::new();
    let mut by_id: HashMap<u64, usize> = HashMap::new();
    for (ri, rs) in trace.iter_mut().enumerate() {
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
    // Depth-first, without recursion: (node, parent node, skew inherited,
    // host inherited as its resource's index).
    let mut stack: Vec<(usize, Option<usize>, i64, usize)> = roots
        .iter()
        .map(|&r| (r, None, 0i64, nodes[r].pos.0))
        .collect();
    while let Some((n, parent, mut delta, mut host)) = stack.pop() {
        let own = nodes[n].pos.0;
        if let Some(p) = parent
            && (hosts[own] != hosts[host] || hosts[own].is_empty())
        {
            host = own;
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
            stack.push((child, Some(n), delta, host));
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
    skew_of(times(parent), times(child))
}

/// `calculateSkew` on (start, end) times, ns since the epoch read as Go's
/// `int64`.
pub(in crate::query) fn skew_of((ps, pe): (i64, i64), (cs, ce): (i64, i64)) -> i64 {
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
                time::duration_string(delta)
            )
        } else {
            format!(
                "max clock skew adjustment delta of {} exceeded; not applying calculated delta of {}",
                time::duration_string(max_delta),
                time::duration_string(delta)
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
            time::duration_string(delta)
        )],
    );
    for e in span.events.iter_mut() {
        e.time_unix_nano = shift(e.time_unix_nano);
    }
}

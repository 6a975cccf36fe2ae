//! The answers written straight from the store against the owned path
//! (`to_resource_spans`, the adjusters, `json_out`), which stays the
//! reference: the same bytes for every trace, adjusted and raw, and the
//! same summaries; and one test per reason a trace needs more than sorting.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::{TracesBody, only_sorting};
use crate::ids::TraceId;
use crate::ingest;
use crate::otlp::{
    AnyValue, Event, ExportTraceServiceRequest, KeyValue, Link, ResourceSpans, Span, Value,
};
use crate::query::QueryState;
use crate::query::adjust::equivalence_tests::Gen;
use crate::query::summary::TraceSummary;
use crate::store::{Limits, Store, TraceChunk};

fn state(max_clock_skew_adjust: Duration) -> QueryState {
    QueryState {
        store: Arc::new(Store::new(Limits {
            max_spans: 1_000_000,
            max_bytes: None,
        })),
        max_clock_skew_adjust,
    }
}

/// Stores the trace under `id` (every span's trace id set to it).
fn ingest(s: &QueryState, mut trace: Vec<ResourceSpans>, id: u128) -> TraceId {
    for span in trace
        .iter_mut()
        .flat_map(|rs| rs.scope_spans.iter_mut())
        .flat_map(|ss| ss.spans.iter_mut())
    {
        span.trace_id = id.to_be_bytes().to_vec();
    }
    let req = ExportTraceServiceRequest {
        resource_spans: trace,
    };
    let (batch, partial) = ingest::prepare(&s.store, req).expect("a valid request");
    let partial = ingest::store(&s.store, batch, partial);
    assert_eq!(partial.rejected_spans, 0, "{}", partial.error_message);
    TraceId(id.to_be_bytes())
}

/// The answer body through the owned path only.
fn reference(s: &QueryState, trace: &TraceChunk, raw: bool) -> String {
    let mut body = TracesBody::new();
    body.push_owned(&s.adjusted(trace.to_resource_spans(), raw));
    body.finish().expect("a trace")
}

/// What the query handlers answer, and whether it came straight from the
/// store.
fn answer(s: &QueryState, trace: &TraceChunk, raw: bool) -> (String, bool) {
    let direct = (raw || only_sorting(trace)) && TracesBody::new().push_stored(trace, raw).is_ok();
    let mut body = TracesBody::new();
    s.push_trace(&mut body, trace, raw);
    (body.finish().expect("a trace"), direct)
}

/// Compares both paths on one stored trace: the answer adjusted and raw,
/// and the summary. Returns whether the adjusted answer was direct.
fn same_both_ways(s: &QueryState, id: &TraceId, what: &str) -> bool {
    s.store
        .with_trace(id, |trace| {
            let (raw, raw_direct) = answer(s, trace, true);
            assert!(raw_direct, "{what}: raw answers are always direct");
            assert_eq!(raw, reference(s, trace, true), "{what}: raw");
            let (adjusted, direct) = answer(s, trace, false);
            assert_eq!(adjusted, reference(s, trace, false), "{what}: adjusted");
            let owned = TraceSummary::of(&s.adjusted(trace.to_resource_spans(), false));
            assert_eq!(s.summary(trace), owned, "{what}: summary");
            direct
        })
        .expect("stored")
}

/// A generated trace made plain: span ids unique, each parent an earlier
/// span, children inside their parents' times, no IP number or SDK key,
/// attribute keys unique and nested lists sorted, events in name order,
/// valid links. Its span attributes stay unsorted.
fn plain(mut trace: Vec<ResourceSpans>) -> Vec<ResourceSpans> {
    fn unique(attrs: &mut Vec<KeyValue>) {
        let mut seen = HashSet::new();
        attrs.retain(|kv| seen.insert(kv.key.clone()));
        for kv in attrs.iter_mut() {
            if ["ip", "peer.ipv4", "telemetry.sdk.name"].contains(&kv.key.as_str()) {
                kv.key.insert(0, 'x');
            }
        }
        let mut seen = HashSet::new();
        attrs.retain(|kv| seen.insert(kv.key.clone()));
    }
    fn sorted(attrs: &mut Vec<KeyValue>) {
        unique(attrs);
        attrs.sort_by(|a, b| a.key.cmp(&b.key));
    }
    let mut n = 0u64;
    for rs in trace.iter_mut() {
        if let Some(r) = rs.resource.as_mut() {
            unique(&mut r.attributes);
        }
        for ss in rs.scope_spans.iter_mut() {
            if let Some(scope) = ss.scope.as_mut() {
                unique(&mut scope.attributes);
            }
            for span in ss.spans.iter_mut() {
                n += 1;
                span.span_id = n.to_be_bytes().to_vec();
                span.parent_span_id = match n {
                    1 => Vec::new(),
                    _ => (1 + n / 2).min(n - 1).to_be_bytes().to_vec(),
                };
                span.start_time_unix_nano = 1_000 + n;
                span.end_time_unix_nano = 100_000 - n;
                unique(&mut span.attributes);
                span.events.sort_by(|a, b| a.name.cmp(&b.name));
                for e in span.events.iter_mut() {
                    sorted(&mut e.attributes);
                }
                for l in span.links.iter_mut() {
                    l.trace_id = vec![9; 16];
                    sorted(&mut l.attributes);
                }
            }
        }
    }
    trace
}

#[test]
fn generated_traces_answer_the_same_bytes_straight_from_the_store() {
    let mut g = Gen(0x2545_f491_4f6c_dd1d);
    let (mut direct, mut owned) = (0, 0);
    for round in 0..1_500u128 {
        let skew = Duration::from_nanos(if round % 2 == 0 { 0 } else { 500 });
        let s = state(skew);
        let varied = g.trace();
        for (k, trace) in [plain(varied.clone()), varied].into_iter().enumerate() {
            let id = ingest(&s, trace, (round << 1 | k as u128) + 1);
            if same_both_ways(&s, &id, &format!("round {round}, trace {k}")) {
                direct += 1;
            } else {
                owned += 1;
            }
        }
    }
    assert!(
        direct > 1_000 && owned > 1_000,
        "both paths taken: {direct} direct, {owned} owned"
    );
}

/// A contract-shaped trace (three services, one host, nested times,
/// unsorted attributes): the answer comes straight from the store.
fn contract_trace() -> Vec<ResourceSpans> {
    let mut g = Gen(7);
    let mut trace = plain(g.trace());
    while trace.len() < 2 {
        trace = plain(g.trace());
    }
    trace
}

fn spans_mut(trace: &mut [ResourceSpans]) -> impl Iterator<Item = &mut Span> {
    trace
        .iter_mut()
        .flat_map(|rs| rs.scope_spans.iter_mut())
        .flat_map(|ss| ss.spans.iter_mut())
}

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        key_strindex: 0,
    }
}

/// Each thing the adjusters would do besides sorting, made to happen in an
/// otherwise plain trace: the answer then takes the owned path, and both
/// paths still give the same bytes.
#[test]
fn each_adjustment_besides_sorting_takes_the_owned_path() {
    type Break = fn(&mut Vec<ResourceSpans>);
    let breaks: [(&str, Break); 14] = [
        ("a repeated span id", |t| {
            let first = t[0].scope_spans[0].spans[0].span_id.clone();
            spans_mut(t).last().expect("spans").span_id = first;
        }),
        ("a parent not in the trace", |t| {
            spans_mut(t).last().expect("spans").parent_span_id = vec![0xee; 8];
        }),
        ("a child outside its parent on another host", |t| {
            let last = t.last_mut().expect("resources");
            last.resource
                .as_mut()
                .expect("resource")
                .attributes
                .push(kv("host.id", Value::StringValue("elsewhere".into())));
            // The first span (on the first resource's host) is its parent.
            let span = spans_mut(t).last().expect("spans");
            span.parent_span_id = 1u64.to_be_bytes().to_vec();
            (span.start_time_unix_nano, span.end_time_unix_nano) = (500, 600);
        }),
        ("an integer ip attribute", |t| {
            spans_mut(t)
                .next()
                .expect("spans")
                .attributes
                .push(kv("ip", Value::IntValue(0x7f00_0001)));
        }),
        ("a float peer.ipv4 on the resource", |t| {
            t[0].resource
                .as_mut()
                .expect("resource")
                .attributes
                .push(kv("peer.ipv4", Value::DoubleValue(1.0)));
        }),
        ("an SDK attribute on a span", |t| {
            spans_mut(t).next().expect("spans").attributes.push(kv(
                "telemetry.sdk.language",
                Value::StringValue("rust".into()),
            ));
        }),
        ("a link without a trace id", |t| {
            spans_mut(t).next().expect("spans").links.push(Link {
                trace_id: vec![0; 16],
                span_id: vec![1; 8],
                ..Default::default()
            });
        }),
        ("a repeated key in a resource", |t| {
            let attrs = &mut t[0].resource.as_mut().expect("resource").attributes;
            attrs.push(kv("dup", Value::BoolValue(true)));
            attrs.push(kv("dup", Value::BoolValue(false)));
        }),
        ("a repeated key in a scope", |t| {
            let scope = t[0].scope_spans[0].scope.as_mut().expect("scope");
            scope.attributes.push(kv("dup", Value::IntValue(1)));
            scope.attributes.push(kv("dup", Value::IntValue(2)));
        }),
        ("a repeated key in a span", |t| {
            let span = spans_mut(t).next().expect("spans");
            span.attributes.push(kv("dup", Value::IntValue(1)));
            span.attributes.push(kv("dup", Value::IntValue(2)));
        }),
        ("a span attribute with a key index", |t| {
            let span = spans_mut(t).next().expect("spans");
            span.attributes.push(KeyValue {
                key_strindex: 3,
                ..kv("", Value::IntValue(1))
            });
        }),
        ("events out of name order", |t| {
            let span = spans_mut(t).next().expect("spans");
            span.events = ["b", "a"]
                .map(|name| Event {
                    name: name.into(),
                    ..Default::default()
                })
                .into();
        }),
        ("an event's attributes unsorted", |t| {
            spans_mut(t).next().expect("spans").events = vec![Event {
                name: "e".into(),
                attributes: vec![kv("b", Value::IntValue(1)), kv("a", Value::IntValue(2))],
                ..Default::default()
            }];
        }),
        ("a link's attributes unsorted", |t| {
            spans_mut(t).next().expect("spans").links = vec![Link {
                trace_id: vec![9; 16],
                span_id: vec![1; 8],
                attributes: vec![kv("b", Value::IntValue(1)), kv("a", Value::IntValue(2))],
                ..Default::default()
            }];
        }),
    ];
    let s = state(Duration::ZERO);
    let id = ingest(&s, contract_trace(), 1);
    assert!(
        same_both_ways(&s, &id, "the plain trace"),
        "direct when plain"
    );
    for (i, (what, break_it)) in breaks.into_iter().enumerate() {
        let mut trace = contract_trace();
        break_it(&mut trace);
        let id = ingest(&s, trace, i as u128 + 2);
        assert!(
            !same_both_ways(&s, &id, what),
            "{what}: the owned path answers"
        );
    }
}

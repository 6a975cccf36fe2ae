//! Each adjuster on a trace made up to show it.

use super::{
    clock_skew::correct_clock_skew, dedupe_spans::dedupe_spans,
    ip_attribute::normalize_ip_attributes, library_attributes::move_library_attributes, parent_id,
    sort::sort_collections, span_id, span_id_uniquifier::dedupe_client_server_span_ids,
    span_links::remove_empty_span_links,
};
use crate::otlp::warnings::get_warnings;
use crate::otlp::{AnyValue, Event, Link, Resource, ScopeSpans};
use crate::otlp::{KeyValue, ResourceSpans, Span, SpanKind, Value, values};

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

//! The adjusters and the OTLP JSON writer were made cheaper (no copy when
//! attributes are already sorted, no protobuf encoding of spans whose id
//! is unique, no host string per span, no intermediate strings for ids,
//! numbers and plain text). The previous implementations are kept here,
//! only as the reference: over many varied traces, both must give the same
//! answer bytes.

use std::collections::HashSet;
use std::time::Duration;

use prost::Message;

use crate::otlp::{
    AnyValue, ArrayValue, Event, InstrumentationScope, KeyValue, KeyValueList, Link, Resource,
    ResourceSpans, ScopeSpans, Span, Status, Value, json_out,
};

/// The previous `sort_attributes`: sorted into a new vector.
fn old_sort_attributes(attrs: &mut Vec<KeyValue>) {
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

/// The previous `sort_collections`.
fn old_sort_collections(trace: &mut [ResourceSpans]) {
    for rs in trace.iter_mut() {
        if let Some(r) = rs.resource.as_mut() {
            old_sort_attributes(&mut r.attributes);
        }
        for ss in rs.scope_spans.iter_mut() {
            if let Some(s) = ss.scope.as_mut() {
                old_sort_attributes(&mut s.attributes);
            }
            for span in ss.spans.iter_mut() {
                old_sort_attributes(&mut span.attributes);
                span.events.sort_by(|a, b| a.name.cmp(&b.name));
                for e in span.events.iter_mut() {
                    old_sort_attributes(&mut e.attributes);
                }
                for l in span.links.iter_mut() {
                    old_sort_attributes(&mut l.attributes);
                }
            }
        }
    }
}

/// The previous `dedupe_spans`: every span encoded.
fn old_dedupe_spans(trace: &mut [ResourceSpans]) {
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

/// The previous JSON string writer: every character through the escaper.
fn old_write_string(s: &str, out: &mut String) {
    out.push('"');
    json_out::write_escaped(s, out);
    out.push('"');
}

/// A small deterministic generator (xorshift), so failures reproduce; it
/// makes varied traces (repeated span ids and keys, orphans, IP numbers,
/// SDK attributes, invalid links, two hosts) for every equivalence test.
pub(in crate::query) struct Gen(pub(in crate::query) u64);

impl Gen {
    pub(in crate::query) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(in crate::query) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn text(&mut self) -> String {
        const PARTS: [&str; 9] = ["a", "b", "key", "é", "\"", "\\", "\n", "\u{1}", "<&>"];
        (0..self.below(4))
            .map(|_| PARTS[self.below(PARTS.len() as u64) as usize])
            .collect()
    }
    pub(in crate::query) fn attrs(&mut self) -> Vec<KeyValue> {
        const KEYS: [&str; 6] = ["b", "a", "ip", "peer.ipv4", "telemetry.sdk.name", "z"];
        (0..self.below(5))
            .map(|_| KeyValue {
                key: KEYS[self.below(KEYS.len() as u64) as usize].to_owned(),
                value: match self.below(16) {
                    0 => None,
                    1 => Some(AnyValue { value: None }),
                    2 => Some(AnyValue {
                        value: Some(Value::BytesValue(self.text().into_bytes())),
                    }),
                    3 => Some(AnyValue {
                        value: Some(Value::ArrayValue(ArrayValue {
                            values: vec![AnyValue {
                                value: Some(Value::StringValue(self.text())),
                            }],
                        })),
                    }),
                    4 => Some(AnyValue {
                        value: Some(Value::KvlistValue(KeyValueList {
                            values: vec![KeyValue {
                                key: self.text(),
                                value: None,
                                key_strindex: 0,
                            }],
                        })),
                    }),
                    n => Some(AnyValue {
                        value: Some(match n % 4 {
                            0 => Value::StringValue(self.text()),
                            1 => Value::IntValue(self.next() as i64 >> self.below(64)),
                            2 => Value::DoubleValue(self.below(1000) as f64 / 8.0),
                            _ => Value::BoolValue(self.below(2) == 1),
                        }),
                    }),
                },
                key_strindex: 0,
            })
            .collect()
    }
    fn span(&mut self, ids: u64) -> Span {
        let start = 1_000 + self.below(1_000);
        Span {
            trace_id: vec![7; 16],
            span_id: (1 + self.below(ids)).to_be_bytes().to_vec(),
            parent_span_id: match self.below(ids + 2) {
                0 => Vec::new(),
                p => p.to_be_bytes().to_vec(),
            },
            name: self.text(),
            kind: self.below(6) as i32,
            start_time_unix_nano: start,
            end_time_unix_nano: start + self.below(2_000),
            attributes: self.attrs(),
            events: (0..self.below(3))
                .map(|_| Event {
                    time_unix_nano: self.below(5_000),
                    name: self.text(),
                    attributes: self.attrs(),
                    dropped_attributes_count: 0,
                })
                .collect(),
            links: (0..self.below(2))
                .map(|_| Link {
                    trace_id: if self.below(3) == 0 {
                        vec![0; 16]
                    } else {
                        vec![9; 16]
                    },
                    span_id: vec![3; 8],
                    attributes: self.attrs(),
                    ..Default::default()
                })
                .collect(),
            status: match self.below(5) {
                0 => None,
                _ => Some(Status {
                    message: self.text(),
                    code: self.below(3) as i32,
                }),
            },
            flags: [0, 1, 0x301][self.below(3) as usize],
            trace_state: self.text(),
            dropped_attributes_count: self.below(2) as u32,
            dropped_events_count: self.below(2) as u32,
            dropped_links_count: self.below(2) as u32,
        }
    }
    pub(in crate::query) fn trace(&mut self) -> Vec<ResourceSpans> {
        let ids = 1 + self.below(8);
        (0..1 + self.below(3))
            .map(|r| {
                let mut resource_attrs = self.attrs();
                resource_attrs.push(KeyValue {
                    key: "host.name".to_owned(),
                    value: Some(AnyValue {
                        value: Some(Value::StringValue(format!("h{}", r % 2))),
                    }),
                    key_strindex: 0,
                });
                let mut spans: Vec<Span> = (0..1 + self.below(6)).map(|_| self.span(ids)).collect();
                if self.below(3) == 0 {
                    let copy = spans[0].clone();
                    spans.push(copy);
                }
                ResourceSpans {
                    resource: Some(Resource {
                        attributes: resource_attrs,
                        ..Default::default()
                    }),
                    scope_spans: vec![ScopeSpans {
                        scope: Some(InstrumentationScope {
                            name: self.text(),
                            attributes: self.attrs(),
                            ..Default::default()
                        }),
                        spans,
                        schema_url: String::new(),
                    }],
                    schema_url: String::new(),
                }
            })
            .collect()
    }
}

/// The standard chain as it was, with the previous sort and dedupe.
fn old_adjust(trace: &mut [ResourceSpans], max_clock_skew: Duration) {
    super::span_id_uniquifier::dedupe_client_server_span_ids(trace);
    old_sort_collections(trace);
    old_dedupe_spans(trace);
    super::clock_skew::correct_clock_skew(
        trace,
        i64::try_from(max_clock_skew.as_nanos()).unwrap_or(i64::MAX),
    );
    super::ip_attribute::normalize_ip_attributes(trace);
    super::library_attributes::move_library_attributes(trace);
    super::span_links::remove_empty_span_links(trace);
}

#[test]
fn new_adjusters_give_the_previous_answers() {
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    let mut dropped = 0;
    for round in 0..2_000 {
        let trace = g.trace();
        let skew = Duration::from_nanos(if round % 2 == 0 { 0 } else { 500 });
        let (mut old, mut new) = (trace.clone(), trace.clone());
        old_adjust(&mut old, skew);
        super::adjust(&mut new, skew);
        let count = |t: &[ResourceSpans]| -> usize {
            t.iter()
                .flat_map(|r| &r.scope_spans)
                .map(|s| s.spans.len())
                .sum()
        };
        dropped += count(&trace) - count(&old);
        let (mut a, mut b) = (String::new(), String::new());
        json_out::write_traces_data(&old, &mut a);
        json_out::write_traces_data(&new, &mut b);
        assert_eq!(a, b, "round {round}");
        assert_eq!(old, new, "round {round}");
    }
    assert!(
        dropped > 100,
        "the traces have identical spans to drop: {dropped}"
    );
}

#[test]
fn new_string_writer_gives_the_previous_bytes() {
    let mut g = Gen(42);
    for _ in 0..5_000 {
        let s = g.text() + &g.text();
        let (mut a, mut b) = (String::new(), String::new());
        old_write_string(&s, &mut a);
        json_out::write_string(&s, &mut b);
        assert_eq!(a, b);
    }
}

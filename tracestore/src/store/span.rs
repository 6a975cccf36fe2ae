//! How a span is held: ids as fixed arrays, names and attribute keys
//! shared store-wide, attribute values shared within their export, and
//! what contract spans rarely carry (trace state, events, links, dropped
//! counts, a status message, attributes of unusual shape) behind one
//! optional box. It converts back to the exact OTLP span it came from.

use std::sync::Arc;

use super::footprint;
use super::intern::ExportStrings;
use crate::ids::TraceId;
use crate::otlp::values::ValueRef;
use crate::otlp::wire::{Field, Fields};
use crate::otlp::{AnyValue, Event, KeyValue, Link, Span, Status, Value, values};

/// A stored span (about 90 bytes plus its attribute list).
#[derive(Debug, Clone)]
pub(crate) struct StoredSpan {
    start: u64,
    end: u64,
    span_id: [u8; 8],
    parent_span_id: [u8; 8],
    name: Arc<str>,
    attributes: Box<[Attribute]>,
    rare: Option<Box<Rare>>,
    flags: u32,
    kind: i32,
    status_code: i32,
    shape: u8,
}

/// `shape` bit: the span has a parent span id (else it had none).
const HAS_PARENT: u8 = 1;
/// `shape` bit: the span had a status (possibly all defaults).
const HAS_STATUS: u8 = 2;

/// One attribute of the common shape: a key and a scalar value.
#[derive(Debug, Clone)]
pub(crate) struct Attribute {
    key: Arc<str>,
    value: AttributeValue,
}

/// An attribute value; `Missing` and `Empty` keep OTLP's two ways of
/// having none (no `AnyValue`, or one without a value).
#[derive(Debug, Clone)]
enum AttributeValue {
    Missing,
    Empty,
    Str(Arc<str>),
    Bool(bool),
    Int(i64),
    Double(f64),
    /// Bytes, arrays, maps: held as received.
    Other(Box<AnyValue>),
}

/// What few spans carry, kept as received.
#[derive(Debug, Clone, Default)]
struct Rare {
    trace_state: String,
    status_message: String,
    /// The attributes, when one has a key index (never in traces today):
    /// then `StoredSpan::attributes` is empty.
    raw_attributes: Option<Vec<KeyValue>>,
    events: Vec<Event>,
    links: Vec<Link>,
    dropped_attributes_count: u32,
    dropped_events_count: u32,
    dropped_links_count: u32,
}

impl Rare {
    fn is_empty(&self) -> bool {
        self.trace_state.is_empty()
            && self.status_message.is_empty()
            && self.raw_attributes.is_none()
            && self.events.is_empty()
            && self.links.is_empty()
            && self.dropped_attributes_count == 0
            && self.dropped_events_count == 0
            && self.dropped_links_count == 0
    }

    /// The heap under it, its own block included.
    fn footprint(&self) -> usize {
        footprint::block(std::mem::size_of::<Rare>())
            + footprint::string(&self.trace_state)
            + footprint::string(&self.status_message)
            + self
                .raw_attributes
                .as_ref()
                .map_or(0, footprint::key_values)
            + footprint::events(&self.events)
            + footprint::links(&self.links)
    }
}

impl StoredSpan {
    /// Converts a validated span (16-byte trace id, 8-byte span id, empty
    /// or 8-byte parent id), and returns the heap bytes it newly occupies
    /// besides its own slot in its trace: its attribute list, what it holds
    /// alone, and the strings `strings` had to allocate for it.
    pub(crate) fn from_otlp(span: Span, strings: &mut ExportStrings<'_>) -> (StoredSpan, usize) {
        let Span {
            trace_id: _,
            span_id,
            trace_state,
            parent_span_id,
            flags,
            name,
            kind,
            start_time_unix_nano,
            end_time_unix_nano,
            attributes,
            dropped_attributes_count,
            events,
            dropped_events_count,
            links,
            dropped_links_count,
            status,
        } = span;
        let mut rare = Rare {
            trace_state,
            events,
            links,
            dropped_attributes_count,
            dropped_events_count,
            dropped_links_count,
            ..Rare::default()
        };
        let parent = <[u8; 8]>::try_from(parent_span_id.as_slice()).ok();
        let mut bytes = 0;
        let attributes: Box<[Attribute]> = if attributes.iter().all(|kv| kv.key_strindex == 0) {
            let list: Box<[Attribute]> = attributes
                .into_iter()
                .map(|kv| Attribute::from_otlp(kv, strings, &mut bytes))
                .collect();
            bytes += footprint::slice::<Attribute>(list.len());
            list
        } else {
            rare.raw_attributes = Some(attributes);
            Box::default()
        };
        let parts = Parts {
            start: start_time_unix_nano,
            end: end_time_unix_nano,
            span_id: <[u8; 8]>::try_from(span_id.as_slice()).unwrap_or_default(),
            parent,
            name: &name,
            attributes,
            flags,
            kind,
            status,
        };
        parts.assemble(rare, bytes, strings)
    }

    /// Decodes an encoded OTLP `Span` straight into its stored form, as
    /// [`StoredSpan::from_otlp`] of prost's decoding would (the same span,
    /// the same bytes), without building the OTLP span first. `None` when
    /// the span needs what only that path does: invalid or zero ids, a
    /// sanitizer (empty name, end not after start), an attribute key index,
    /// a status given twice, or an encoding prost would refuse.
    pub(crate) fn decode(
        encoded: &[u8],
        strings: &mut ExportStrings<'_>,
    ) -> Option<(TraceId, StoredSpan, usize)> {
        let (mut trace_id, mut span_id, mut parent): (&[u8], &[u8], &[u8]) = (&[], &[], &[]);
        let (mut name, mut trace_state) = ("", "");
        let (mut flags, mut kind, mut start, mut end) = (0u32, 0i32, 0u64, 0u64);
        let mut rare = Rare::default();
        let mut status: Option<Status> = None;
        let mut attribute_count = 0;
        for field in Fields::of(encoded) {
            match field.ok()? {
                (1, Field::Bytes(b)) => trace_id = b,
                (2, Field::Bytes(b)) => span_id = b,
                (3, Field::Bytes(b)) => trace_state = std::str::from_utf8(b).ok()?,
                (4, Field::Bytes(b)) => parent = b,
                (5, Field::Bytes(b)) => name = std::str::from_utf8(b).ok()?,
                (6, Field::Varint(v)) => kind = v as i32,
                (7, Field::Fixed64(v)) => start = v,
                (8, Field::Fixed64(v)) => end = v,
                (9, Field::Bytes(_)) => attribute_count += 1,
                (10, Field::Varint(v)) => rare.dropped_attributes_count = v as u32,
                (11, Field::Bytes(b)) => rare.events.push(prost::Message::decode(b).ok()?),
                (12, Field::Varint(v)) => rare.dropped_events_count = v as u32,
                (13, Field::Bytes(b)) => {
                    let link: Link = prost::Message::decode(b).ok()?;
                    if ![0, 16].contains(&link.trace_id.len())
                        || ![0, 8].contains(&link.span_id.len())
                    {
                        return None;
                    }
                    rare.links.push(link);
                }
                (14, Field::Varint(v)) => rare.dropped_links_count = v as u32,
                (15, Field::Bytes(b)) if status.is_none() => {
                    status = Some(prost::Message::decode(b).ok()?);
                }
                (16, Field::Fixed32(v)) => flags = v,
                (1..=16, _) => return None,
                _ => {}
            }
        }
        let trace_id = TraceId::from_slice(trace_id).filter(|id| !id.is_zero())?;
        let span_id = <[u8; 8]>::try_from(span_id)
            .ok()
            .filter(|id| *id != [0; 8])?;
        let parent = match parent.len() {
            0 => None,
            _ => Some(<[u8; 8]>::try_from(parent).ok()?),
        };
        if name.is_empty() || start as i64 >= end as i64 {
            return None;
        }
        let mut bytes = 0;
        let mut attributes = Vec::with_capacity(attribute_count);
        for field in Fields::of(encoded) {
            if let Ok((9, Field::Bytes(b))) = field {
                attributes.push(Attribute::decode(b, strings, &mut bytes)?);
            }
        }
        let attributes = attributes.into_boxed_slice();
        bytes += footprint::slice::<Attribute>(attributes.len());
        rare.trace_state = trace_state.to_owned();
        let parts = Parts {
            start,
            end,
            span_id,
            parent,
            name,
            attributes,
            flags,
            kind,
            status,
        };
        let (stored, bytes) = parts.assemble(rare, bytes, strings);
        Some((trace_id, stored, bytes))
    }

    /// The OTLP span it was made from.
    pub(crate) fn to_otlp(&self, trace_id: &TraceId) -> Span {
        let rare = self.rare.as_deref();
        let rare_or = |f: fn(&Rare) -> u32| rare.map_or(0, f);
        Span {
            trace_id: trace_id.0.to_vec(),
            span_id: self.span_id.to_vec(),
            trace_state: rare.map(|r| r.trace_state.clone()).unwrap_or_default(),
            parent_span_id: if self.shape & HAS_PARENT != 0 {
                self.parent_span_id.to_vec()
            } else {
                Vec::new()
            },
            flags: self.flags,
            name: self.name.to_string(),
            kind: self.kind,
            start_time_unix_nano: self.start,
            end_time_unix_nano: self.end,
            attributes: match rare.and_then(|r| r.raw_attributes.as_ref()) {
                Some(raw) => raw.clone(),
                None => self.attributes.iter().map(Attribute::to_otlp).collect(),
            },
            dropped_attributes_count: rare_or(|r| r.dropped_attributes_count),
            events: rare.map(|r| r.events.clone()).unwrap_or_default(),
            dropped_events_count: rare_or(|r| r.dropped_events_count),
            links: rare.map(|r| r.links.clone()).unwrap_or_default(),
            dropped_links_count: rare_or(|r| r.dropped_links_count),
            status: (self.shape & HAS_STATUS != 0).then(|| Status {
                message: rare.map(|r| r.status_message.clone()).unwrap_or_default(),
                code: self.status_code,
            }),
        }
    }

    /// The span name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Start time, ns since the epoch.
    pub(crate) fn start(&self) -> u64 {
        self.start
    }

    /// End time, ns since the epoch.
    pub(crate) fn end(&self) -> u64 {
        self.end
    }

    /// OTLP span kind number.
    pub(crate) fn kind(&self) -> i32 {
        self.kind
    }

    /// OTLP status code number (0 without a status).
    pub(crate) fn status_code(&self) -> i32 {
        self.status_code
    }

    /// Whether the first attribute named `key` renders (pdata's
    /// `AsString`) as `want`.
    pub(crate) fn attribute_equals(&self, key: &str, want: &str) -> bool {
        if let Some(raw) = self.rare.as_ref().and_then(|r| r.raw_attributes.as_ref()) {
            return values::get(raw, key)
                .is_some_and(|kv| values::as_string(values::value_of(kv)) == want);
        }
        self.attributes
            .iter()
            .find(|a| *a.key == *key)
            .is_some_and(|a| a.value.renders_as(want))
    }

    /// The span id.
    pub(crate) fn span_id(&self) -> &[u8; 8] {
        &self.span_id
    }

    /// The parent span id, if the span had one (which may be all zeros).
    pub(crate) fn parent_span_id(&self) -> Option<&[u8; 8]> {
        (self.shape & HAS_PARENT != 0).then_some(&self.parent_span_id)
    }

    /// The W3C trace flags field.
    pub(crate) fn flags(&self) -> u32 {
        self.flags
    }

    /// The W3C trace state.
    pub(crate) fn trace_state(&self) -> &str {
        self.rare.as_ref().map_or("", |r| &r.trace_state)
    }

    /// The attributes, in the form they are held.
    pub(crate) fn attributes(&self) -> SpanAttributes<'_> {
        match self.rare.as_ref().and_then(|r| r.raw_attributes.as_ref()) {
            Some(raw) => SpanAttributes::Raw(raw),
            None => SpanAttributes::Compact(&self.attributes),
        }
    }

    /// The dropped attribute, event and link counts.
    pub(crate) fn dropped_counts(&self) -> [u32; 3] {
        self.rare.as_ref().map_or([0; 3], |r| {
            [
                r.dropped_attributes_count,
                r.dropped_events_count,
                r.dropped_links_count,
            ]
        })
    }

    /// The status code and message, if the span had a status.
    pub(crate) fn status(&self) -> Option<(i32, &str)> {
        (self.shape & HAS_STATUS != 0).then(|| {
            (
                self.status_code,
                self.rare.as_ref().map_or("", |r| r.status_message.as_str()),
            )
        })
    }

    /// The span's events.
    pub(crate) fn events(&self) -> &[Event] {
        self.rare.as_ref().map_or(&[], |r| &r.events)
    }

    /// The span's links.
    pub(crate) fn links(&self) -> &[Link] {
        self.rare.as_ref().map_or(&[], |r| &r.links)
    }
}

/// A stored span's attributes: compact, or as received when one had a key
/// index.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SpanAttributes<'a> {
    /// The common form.
    Compact(&'a [Attribute]),
    /// As received.
    Raw(&'a [KeyValue]),
}

/// What both ways of building a span have read, besides its rare part.
struct Parts<'a> {
    start: u64,
    end: u64,
    span_id: [u8; 8],
    parent: Option<[u8; 8]>,
    name: &'a str,
    attributes: Box<[Attribute]>,
    flags: u32,
    kind: i32,
    status: Option<Status>,
}

impl Parts<'_> {
    /// The stored span and the heap bytes it newly occupies: `bytes` so
    /// far, its rare part, and the strings `strings` allocated for it.
    fn assemble(
        self,
        mut rare: Rare,
        mut bytes: usize,
        strings: &mut ExportStrings<'_>,
    ) -> (StoredSpan, usize) {
        let mut shape = 0;
        if self.parent.is_some() {
            shape |= HAS_PARENT;
        }
        let mut status_code = 0;
        if let Some(status) = self.status {
            shape |= HAS_STATUS;
            status_code = status.code;
            rare.status_message = status.message;
        }
        let rare = (!rare.is_empty()).then(|| {
            bytes += rare.footprint();
            Box::new(rare)
        });
        let stored = StoredSpan {
            start: self.start,
            end: self.end,
            span_id: self.span_id,
            parent_span_id: self.parent.unwrap_or_default(),
            name: strings.name(self.name),
            attributes: self.attributes,
            rare,
            flags: self.flags,
            kind: self.kind,
            status_code,
            shape,
        };
        (stored, bytes + strings.take_bytes())
    }
}

impl Attribute {
    /// The key.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The value, borrowed.
    pub(crate) fn value(&self) -> ValueRef<'_> {
        match &self.value {
            AttributeValue::Missing | AttributeValue::Empty => ValueRef::Empty,
            AttributeValue::Str(s) => ValueRef::Str(s),
            AttributeValue::Bool(b) => ValueRef::Bool(*b),
            AttributeValue::Int(i) => ValueRef::Int(*i),
            AttributeValue::Double(d) => ValueRef::Double(*d),
            AttributeValue::Other(v) => ValueRef::of(Some(v)),
        }
    }

    fn from_otlp(kv: KeyValue, strings: &mut ExportStrings<'_>, bytes: &mut usize) -> Attribute {
        // The value first, then the key: the order `decode` shares strings in.
        let value = kv.value.map_or(AttributeValue::Missing, |v| {
            AttributeValue::of(v, strings, bytes)
        });
        Attribute {
            key: strings.name(&kv.key),
            value,
        }
    }

    /// An encoded `KeyValue` without a key index; `None` otherwise, or if
    /// prost would refuse it.
    fn decode(
        encoded: &[u8],
        strings: &mut ExportStrings<'_>,
        bytes: &mut usize,
    ) -> Option<Attribute> {
        let (mut key, mut value) = ("", None);
        for field in Fields::of(encoded) {
            match field.ok()? {
                (1, Field::Bytes(b)) => key = std::str::from_utf8(b).ok()?,
                (2, Field::Bytes(b)) if value.is_none() => value = Some(b),
                (3, Field::Varint(0)) => {}
                (1..=3, _) => return None,
                _ => {}
            }
        }
        let value = match value {
            None => AttributeValue::Missing,
            Some(encoded) => AttributeValue::decode(encoded, strings, bytes)?,
        };
        Some(Attribute {
            key: strings.name(key),
            value,
        })
    }

    fn to_otlp(&self) -> KeyValue {
        let value = |v: Value| Some(AnyValue { value: Some(v) });
        KeyValue {
            key: self.key.to_string(),
            value: match &self.value {
                AttributeValue::Missing => None,
                AttributeValue::Empty => Some(AnyValue { value: None }),
                AttributeValue::Str(s) => value(Value::StringValue(s.to_string())),
                AttributeValue::Bool(b) => value(Value::BoolValue(*b)),
                AttributeValue::Int(i) => value(Value::IntValue(*i)),
                AttributeValue::Double(d) => value(Value::DoubleValue(*d)),
                AttributeValue::Other(v) => Some(AnyValue::clone(v)),
            },
            key_strindex: 0,
        }
    }
}

impl AttributeValue {
    fn of(v: AnyValue, strings: &mut ExportStrings<'_>, bytes: &mut usize) -> AttributeValue {
        match v.value {
            None => AttributeValue::Empty,
            Some(Value::StringValue(s)) => AttributeValue::Str(strings.value(&s)),
            Some(Value::BoolValue(b)) => AttributeValue::Bool(b),
            Some(Value::IntValue(i)) => AttributeValue::Int(i),
            Some(Value::DoubleValue(d)) => AttributeValue::Double(d),
            Some(other) => {
                let other = AnyValue { value: Some(other) };
                *bytes += footprint::block(std::mem::size_of::<AnyValue>())
                    + footprint::any_value(&other);
                AttributeValue::Other(Box::new(other))
            }
        }
    }

    /// An encoded `AnyValue`: the scalar kinds read in place, anything
    /// else through prost.
    fn decode(
        encoded: &[u8],
        strings: &mut ExportStrings<'_>,
        bytes: &mut usize,
    ) -> Option<AttributeValue> {
        let mut fields = Fields::of(encoded);
        let scalar = match (fields.next(), fields.next()) {
            (None, _) => Some(AttributeValue::Empty),
            (Some(Ok(only)), None) => match only {
                (1, Field::Bytes(b)) => Some(AttributeValue::Str(
                    strings.value(std::str::from_utf8(b).ok()?),
                )),
                (2, Field::Varint(v)) => Some(AttributeValue::Bool(v != 0)),
                (3, Field::Varint(v)) => Some(AttributeValue::Int(v as i64)),
                (4, Field::Fixed64(v)) => Some(AttributeValue::Double(f64::from_bits(v))),
                _ => None,
            },
            _ => None,
        };
        match scalar {
            Some(v) => Some(v),
            None => {
                let v: AnyValue = prost::Message::decode(encoded).ok()?;
                Some(AttributeValue::of(v, strings, bytes))
            }
        }
    }

    /// Whether pdata's `AsString()` of the value is `want`.
    fn renders_as(&self, want: &str) -> bool {
        let rendered = match self {
            AttributeValue::Str(s) => return **s == *want,
            AttributeValue::Missing | AttributeValue::Empty => values::as_string(None),
            AttributeValue::Bool(b) => values::as_string(Some(&Value::BoolValue(*b))),
            AttributeValue::Int(i) => values::as_string(Some(&Value::IntValue(*i))),
            AttributeValue::Double(d) => values::as_string(Some(&Value::DoubleValue(*d))),
            AttributeValue::Other(v) => values::as_string(v.value.as_ref()),
        };
        rendered == want
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{ArrayValue, SpanKind};
    use crate::store::intern::Interner;

    fn kv(key: &str, value: Option<AnyValue>) -> KeyValue {
        KeyValue {
            key: key.into(),
            value,
            key_strindex: 0,
        }
    }

    fn v(value: Value) -> Option<AnyValue> {
        Some(AnyValue { value: Some(value) })
    }

    fn round_trip(span: Span) {
        let table = Interner::default();
        let mut strings = ExportStrings::new(&table);
        let trace_id = TraceId::from_slice(&span.trace_id).unwrap();
        let (stored, bytes) = StoredSpan::from_otlp(span.clone(), &mut strings);
        assert!(bytes > 0);
        assert_eq!(stored.to_otlp(&trace_id), span);
    }

    fn contract_span() -> Span {
        Span {
            trace_id: vec![7; 16],
            span_id: vec![8; 8],
            parent_span_id: vec![9; 8],
            flags: 0x101,
            name: "POST /orders".into(),
            kind: SpanKind::Server as i32,
            start_time_unix_nano: 1_767_323_045_000_000_000,
            end_time_unix_nano: 1_767_323_045_000_050_000,
            attributes: vec![
                kv("http.route", v(Value::StringValue("/orders".into()))),
                kv("http.response.status_code", v(Value::IntValue(201))),
                kv("ok", v(Value::BoolValue(true))),
                kv("ratio", v(Value::DoubleValue(0.5))),
            ],
            status: Some(Status::default()),
            ..Default::default()
        }
    }

    #[test]
    fn common_spans_round_trip_without_a_rare_part() {
        let table = Interner::default();
        let mut strings = ExportStrings::new(&table);
        let (stored, _) = StoredSpan::from_otlp(contract_span(), &mut strings);
        assert!(stored.rare.is_none());
        round_trip(contract_span());
        let mut root = contract_span();
        root.parent_span_id.clear();
        root.status = None;
        round_trip(root);
    }

    #[test]
    fn every_other_field_round_trips() {
        let mut span = contract_span();
        span.trace_state = "k=v".into();
        span.dropped_attributes_count = 1;
        span.dropped_events_count = 2;
        span.dropped_links_count = 3;
        span.status = Some(Status {
            message: "boom".into(),
            code: 2,
        });
        span.attributes.extend([
            kv("none", None),
            kv("empty", Some(AnyValue { value: None })),
            kv("bytes", v(Value::BytesValue(vec![1, 2]))),
            kv(
                "list",
                v(Value::ArrayValue(ArrayValue {
                    values: vec![AnyValue {
                        value: Some(Value::IntValue(1)),
                    }],
                })),
            ),
        ]);
        span.events.push(Event {
            time_unix_nano: 5,
            name: "e".into(),
            attributes: vec![kv("a", v(Value::StringValue("b".into())))],
            dropped_attributes_count: 1,
        });
        span.links.push(Link {
            trace_id: vec![3; 16],
            span_id: vec![4; 8],
            ..Default::default()
        });
        round_trip(span.clone());
        span.attributes[0].key_strindex = 4;
        round_trip(span);
    }

    #[test]
    fn attributes_render_like_pdata_for_search() {
        let mut span = contract_span();
        span.attributes
            .push(kv("http.response.status_code", v(Value::IntValue(500))));
        let table = Interner::default();
        let mut strings = ExportStrings::new(&table);
        let (stored, _) = StoredSpan::from_otlp(span, &mut strings);
        assert!(stored.attribute_equals("http.route", "/orders"));
        assert!(!stored.attribute_equals("http.route", "/order"));
        assert!(stored.attribute_equals("http.response.status_code", "201"));
        assert!(!stored.attribute_equals("http.response.status_code", "500"));
        assert!(stored.attribute_equals("ok", "true"));
        assert!(stored.attribute_equals("ratio", "0.5"));
        assert!(!stored.attribute_equals("absent", ""));
    }
}

//! The verifier's own trace model: what both Jaeger API generations are read
//! into, and what every check works on.
//!
//! It is deliberately independent of any other crate's types: an independent
//! reader is what proves a trace store right.

use std::fmt;
use std::str::FromStr;

/// A 128-bit trace id. Parsing accepts 1 to 32 hex digits (Jaeger's v1 API
/// prints 64-bit-wide ids as 16 digits, and old builds drop leading zeros of the
/// high half); display is always 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId(pub u128);

/// A 64-bit span id, displayed as 16 lowercase hex digits. Zero means "none".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanId(pub u64);

/// An id that is not 1 to 32 (trace) or 1 to 16 (span) hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a hex id of the expected width")]
pub struct BadId(pub String);

fn parse_hex(text: &str, max_digits: usize) -> Result<u128, BadId> {
    if text.is_empty() || text.len() > max_digits {
        return Err(BadId(text.to_owned()));
    }
    hex_value(text).ok_or_else(|| BadId(text.to_owned()))
}

/// Hex digits as a number, in one pass and without allocating (ids are
/// read by the hundred thousand); `None` on any other character. The
/// caller bounds the length: at most 32 digits fit.
pub(crate) fn hex_value(text: &str) -> Option<u128> {
    text.bytes().try_fold(0u128, |acc, b| {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        Some((acc << 4) | u128::from(digit))
    })
}

impl FromStr for TraceId {
    type Err = BadId;
    fn from_str(text: &str) -> Result<Self, BadId> {
        parse_hex(text, 32).map(TraceId)
    }
}

impl FromStr for SpanId {
    type Err = BadId;
    fn from_str(text: &str) -> Result<Self, BadId> {
        parse_hex(text, 16).map(|v| SpanId(v as u64))
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

impl serde::Serialize for TraceId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl serde::Serialize for SpanId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Reads an id from its hex text (a verdict read back from its JSON).
fn deserialize_hex<'de, D: serde::Deserializer<'de>, T: FromStr<Err = BadId>>(
    d: D,
) -> Result<T, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

impl<'de> serde::Deserialize<'de> for TraceId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_hex(d)
    }
}

impl<'de> serde::Deserialize<'de> for SpanId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_hex(d)
    }
}

/// OpenTelemetry span kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    /// Kind not given (OTLP `SPAN_KIND_UNSPECIFIED`, or no `span.kind` tag).
    Unspecified,
    /// An operation inside one service.
    Internal,
    /// The server side of a remote call.
    Server,
    /// The client side of a remote call.
    Client,
    /// A message producer.
    Producer,
    /// A message consumer.
    Consumer,
}

impl SpanKind {
    /// The upper-case name used in span trees (`SERVER`, `CLIENT`, ...).
    pub fn label(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "UNSPECIFIED",
            SpanKind::Internal => "INTERNAL",
            SpanKind::Server => "SERVER",
            SpanKind::Client => "CLIENT",
            SpanKind::Producer => "PRODUCER",
            SpanKind::Consumer => "CONSUMER",
        }
    }
}

/// OpenTelemetry span status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusCode {
    /// No status set.
    Unset,
    /// Explicitly OK.
    Ok,
    /// An error.
    Error,
}

impl StatusCode {
    /// `UNSET`, `OK` or `ERROR`.
    pub fn label(self) -> &'static str {
        match self {
            StatusCode::Unset => "UNSET",
            StatusCode::Ok => "OK",
            StatusCode::Error => "ERROR",
        }
    }
}

/// An attribute value, typed as OpenTelemetry types it.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// A string.
    Str(String),
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// Bytes, kept as the base64 text Jaeger sends.
    Bytes(String),
    /// An array or a map, kept as its JSON text.
    Composite(String),
}

impl AttrValue {
    /// The value as a number, for ints and doubles.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            AttrValue::Int(v) => Some(*v as f64),
            AttrValue::Double(v) => Some(*v),
            _ => None,
        }
    }

    /// The type's name, as specs spell it.
    pub fn type_name(&self) -> &'static str {
        match self {
            AttrValue::Str(_) => "string",
            AttrValue::Int(_) => "int",
            AttrValue::Double(_) => "double",
            AttrValue::Bool(_) => "bool",
            AttrValue::Bytes(_) => "bytes",
            AttrValue::Composite(_) => "array or map",
        }
    }

    /// Equality where numbers compare by value across int and double.
    pub fn loosely_equals(&self, other: &AttrValue) -> bool {
        match (self.as_f64(), other.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => self == other,
        }
    }

    /// The value as a string slice, for strings.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttrValue::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Str(s) => write!(f, "{s:?}"),
            AttrValue::Int(v) => write!(f, "{v}"),
            AttrValue::Double(v) => write!(f, "{v:?}"),
            AttrValue::Bool(v) => write!(f, "{v}"),
            AttrValue::Bytes(s) => write!(f, "bytes({s})"),
            AttrValue::Composite(s) => write!(f, "{s}"),
        }
    }
}

/// A key-value attribute list, in the order the backend sent it.
pub type Attributes = Vec<(String, AttrValue)>;

/// Looks an attribute up by key.
pub fn attr<'a>(attrs: &'a Attributes, key: &str) -> Option<&'a AttrValue> {
    attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A span event (a Jaeger log).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Event name (`""` for an unnamed Jaeger log).
    pub name: String,
    /// Event time, nanoseconds since the Unix epoch.
    pub time_ns: u64,
    /// Event attributes.
    pub attributes: Attributes,
}

/// One span.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The span id.
    pub span_id: SpanId,
    /// The parent span id, `None` for a root.
    pub parent: Option<SpanId>,
    /// Span name (Jaeger's operation name).
    pub name: String,
    /// Span kind.
    pub kind: SpanKind,
    /// `service.name` of the process that emitted the span.
    pub service: String,
    /// Start, nanoseconds since the Unix epoch.
    pub start_ns: u64,
    /// End, nanoseconds since the Unix epoch.
    pub end_ns: u64,
    /// Status code.
    pub status: StatusCode,
    /// Status description (empty when none).
    pub status_message: String,
    /// Span attributes (without the ones Jaeger derives from kind, status and scope).
    pub attributes: Attributes,
    /// Span events, in time order as sent.
    pub events: Vec<Event>,
}

impl Span {
    /// Looks a span attribute up by key.
    pub fn attr(&self, key: &str) -> Option<&AttrValue> {
        attr(&self.attributes, key)
    }

    /// Duration in nanoseconds (zero when the end precedes the start).
    pub fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns)
    }
}

/// One trace: every span the backend returned for one trace id.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The trace id.
    pub trace_id: TraceId,
    /// The spans, in the order the backend sent them.
    pub spans: Vec<Span>,
    /// Warnings the backend attached to the trace or its spans.
    pub warnings: Vec<String>,
}

/// A duration in nanoseconds, saturating at `u64::MAX` (584 years).
pub fn nanos(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// Nanoseconds since the Unix epoch as RFC 3339 (UTC, with the fraction Jaeger's
/// `RFC3339Nano` parser accepts).
pub fn rfc3339_ns(ns: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ns.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_normalise_to_32_digits() {
        let short: TraceId = "0000000000000001".parse().unwrap();
        let long: TraceId = "00000000000000000000000000000001".parse().unwrap();
        assert_eq!(short, long);
        assert_eq!(short.to_string(), "00000000000000000000000000000001");
        let odd: TraceId = "df84e36b9e2ee3815d07f0867a5be1f".parse().unwrap();
        assert_eq!(odd.to_string(), "0df84e36b9e2ee3815d07f0867a5be1f");
    }

    #[test]
    fn times_format_as_rfc3339_with_nanoseconds() {
        assert_eq!(
            rfc3339_ns(1_764_000_000_123_456_789),
            "2025-11-24T16:00:00.123456789Z"
        );
        assert_eq!(rfc3339_ns(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn bad_ids_are_rejected() {
        assert!("".parse::<TraceId>().is_err());
        assert!("xyz".parse::<TraceId>().is_err());
        assert!("+1".parse::<SpanId>().is_err());
        assert!("00000000000000001".parse::<SpanId>().is_err());
        assert_eq!(
            "00f067aa0ba902b7".parse::<SpanId>().unwrap().to_string(),
            "00f067aa0ba902b7"
        );
    }
}

//! Serde helpers for the ways Jaeger writes values, deserialized without
//! buffering through `serde_json::Value` (reading is the verifier's hot path).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A number Jaeger may send as a JSON number or as a decimal string (OTLP JSON
/// writes 64-bit integers as strings; the v1 API does so past 2^53; OTLP JSON
/// writes non-finite doubles as `"NaN"`, `"Infinity"`, `"-Infinity"`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Num {
    /// A signed integer.
    Int(i64),
    /// An unsigned integer past `i64::MAX`.
    UInt(u64),
    /// A double.
    Float(f64),
}

impl Num {
    fn parse(text: &str) -> Option<Num> {
        let text = text.trim();
        if let Ok(v) = text.parse::<i64>() {
            return Some(Num::Int(v));
        }
        if let Ok(v) = text.parse::<u64>() {
            return Some(Num::UInt(v));
        }
        match text {
            "NaN" => Some(Num::Float(f64::NAN)),
            "Infinity" => Some(Num::Float(f64::INFINITY)),
            "-Infinity" => Some(Num::Float(f64::NEG_INFINITY)),
            other => other.parse().ok().map(Num::Float),
        }
    }

    /// As a signed integer, if it is one.
    pub(super) fn to_i64(self) -> Option<i64> {
        match self {
            Num::Int(v) => Some(v),
            Num::UInt(v) => i64::try_from(v).ok(),
            Num::Float(v) if v.fract() == 0.0 && v.abs() < 9.2e18 => Some(v as i64),
            Num::Float(_) => None,
        }
    }

    /// As an unsigned integer, if it is one.
    pub(super) fn to_u64(self) -> Option<u64> {
        match self {
            Num::Int(v) => u64::try_from(v).ok(),
            Num::UInt(v) => Some(v),
            Num::Float(v) if v.fract() == 0.0 && (0.0..1.8e19).contains(&v) => Some(v as u64),
            Num::Float(_) => None,
        }
    }

    /// As a double.
    pub(super) fn to_f64(self) -> f64 {
        match self {
            Num::Int(v) => v as f64,
            Num::UInt(v) => v as f64,
            Num::Float(v) => v,
        }
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::Int(v) => write!(f, "{v}"),
            Num::UInt(v) => write!(f, "{v}"),
            Num::Float(v) => write!(f, "{v}"),
        }
    }
}

/// Any JSON scalar (or, kept as JSON text, an array or object): what a v1 tag
/// value, an OTLP enum (number or name) or a lenient number can be.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) enum Scalar {
    /// `null`.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Num(Num),
    /// A string.
    Str(String),
    /// An array or an object, as JSON text.
    Composite(String),
}

impl Scalar {
    /// The number it is or spells.
    pub(super) fn num(&self) -> Option<Num> {
        match self {
            Scalar::Num(n) => Some(*n),
            Scalar::Str(s) => Num::parse(s),
            _ => None,
        }
    }

    /// The string it is.
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Its text, without copying a string.
    pub(super) fn into_text(self) -> String {
        match self {
            Scalar::Null => "null".to_owned(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Num(n) => n.to_string(),
            Scalar::Str(s) | Scalar::Composite(s) => s,
        }
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Num(Num::Int(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Num(i64::try_from(v).map_or(Num::UInt(v), Num::Int)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Num(Num::Float(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar, A::Error> {
        let value = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Scalar::Composite(value.to_string()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar, A::Error> {
        let value = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Scalar::Composite(value.to_string()))
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// Deserializes a `u64` given as a number or a string; absent or null is 0.
/// The string is read in place (OTLP JSON writes every timestamp as one).
pub(super) fn u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(U64Visitor)
}

struct U64Visitor;

impl U64Visitor {
    fn refuse<T, E: de::Error>(got: impl fmt::Display) -> Result<T, E> {
        Err(de::Error::custom(format!(
            "expected an unsigned integer (a JSON number or a decimal string), got {got}"
        )))
    }

    fn num<E: de::Error>(n: Num) -> Result<u64, E> {
        n.to_u64().map_or_else(|| Self::refuse(n), Ok)
    }
}

impl<'de> Visitor<'de> for U64Visitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an unsigned integer (a JSON number or a decimal string)")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<u64, E> {
        Self::refuse(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        Self::num(Num::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        Self::num(Num::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        if let Ok(n) = v.parse::<u64>() {
            return Ok(n);
        }
        Num::parse(v).map_or_else(|| Self::refuse(v), Self::num)
    }

    fn visit_unit<E: de::Error>(self) -> Result<u64, E> {
        Ok(0)
    }

    fn visit_none<E: de::Error>(self) -> Result<u64, E> {
        Ok(0)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_any(U64Visitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<u64, A::Error> {
        let value = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Self::refuse(value)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<u64, A::Error> {
        let value = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Self::refuse(value)
    }
}

/// A number written as a JSON number or a string (an OTLP `intValue` or
/// `doubleValue`), read without copying the string; `None` for anything
/// else, which is skipped.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct LenientNum(pub(super) Option<Num>);

struct LenientNumVisitor;

impl<'de> Visitor<'de> for LenientNumVisitor {
    type Value = LenientNum;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a string")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<LenientNum, E> {
        Ok(LenientNum(None))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientNum, E> {
        Ok(LenientNum(Some(Num::Int(v))))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientNum, E> {
        Ok(LenientNum(Some(
            i64::try_from(v).map_or(Num::UInt(v), Num::Int),
        )))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<LenientNum, E> {
        Ok(LenientNum(Some(Num::Float(v))))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientNum, E> {
        Ok(LenientNum(Num::parse(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<LenientNum, E> {
        Ok(LenientNum(None))
    }

    fn visit_none<E: de::Error>(self) -> Result<LenientNum, E> {
        Ok(LenientNum(None))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<LenientNum, D::Error> {
        d.deserialize_any(LenientNumVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LenientNum, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(LenientNum(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LenientNum, A::Error> {
        while map
            .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
            .is_some()
        {}
        Ok(LenientNum(None))
    }
}

impl<'de> Deserialize<'de> for LenientNum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LenientNum, D::Error> {
        d.deserialize_any(LenientNumVisitor)
    }
}

//! Small serde helpers for the ways Jaeger writes numbers.

use serde::{Deserialize, Deserializer};

/// A number Jaeger may send as a JSON number or as a decimal string (OTLP JSON
/// writes 64-bit integers as strings; the v1 API does so past 2^53).
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(String),
}

impl NumberOrString {
    fn to_i64(&self) -> Option<i64> {
        match self {
            NumberOrString::Int(v) => Some(*v),
            NumberOrString::UInt(v) => i64::try_from(*v).ok(),
            NumberOrString::Float(v) if v.fract() == 0.0 => Some(*v as i64),
            NumberOrString::Float(_) => None,
            NumberOrString::Text(s) => s.trim().parse().ok(),
        }
    }

    fn to_u64(&self) -> Option<u64> {
        match self {
            NumberOrString::Int(v) => u64::try_from(*v).ok(),
            NumberOrString::UInt(v) => Some(*v),
            NumberOrString::Float(v) if v.fract() == 0.0 && *v >= 0.0 => Some(*v as u64),
            NumberOrString::Float(_) => None,
            NumberOrString::Text(s) => s.trim().parse().ok(),
        }
    }

    fn to_f64(&self) -> Option<f64> {
        match self {
            NumberOrString::Int(v) => Some(*v as f64),
            NumberOrString::UInt(v) => Some(*v as f64),
            NumberOrString::Float(v) => Some(*v),
            NumberOrString::Text(s) => match s.trim() {
                "NaN" => Some(f64::NAN),
                "Infinity" => Some(f64::INFINITY),
                "-Infinity" => Some(f64::NEG_INFINITY),
                other => other.parse().ok(),
            },
        }
    }
}

fn invalid<E: serde::de::Error>(what: &str) -> E {
    E::custom(format!(
        "expected {what} (a JSON number or a decimal string)"
    ))
}

/// Deserializes a `u64` given as a number or a string; absent or null is 0.
pub fn u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match Option::<NumberOrString>::deserialize(d)? {
        None => Ok(0),
        Some(n) => n.to_u64().ok_or_else(|| invalid("an unsigned integer")),
    }
}

/// Converts a JSON value holding an int64 (number or string).
pub fn value_i64(value: &serde_json::Value) -> Option<i64> {
    NumberOrString::deserialize(value)
        .ok()
        .and_then(|n| n.to_i64())
}

/// Converts a JSON value holding a double (number or string).
pub fn value_f64(value: &serde_json::Value) -> Option<f64> {
    NumberOrString::deserialize(value)
        .ok()
        .and_then(|n| n.to_f64())
}

//! Trace and span identifiers, and Jaeger's ways of writing and reading them.

use base64::Engine as _;

use crate::go::strconv;

/// A 128-bit W3C / OTLP trace id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub(crate) struct TraceId(pub [u8; 16]);

/// A 64-bit span id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub(crate) struct SpanId(pub [u8; 8]);

impl TraceId {
    /// The id in a byte slice of exactly 16 bytes.
    pub(crate) fn from_slice(b: &[u8]) -> Option<Self> {
        b.try_into().ok().map(TraceId)
    }

    /// Whether every byte is zero (an invalid id).
    pub(crate) fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }

    /// The high and low 64-bit halves, as Jaeger's model holds them.
    pub(crate) fn halves(&self) -> (u64, u64) {
        let (hi, lo) = self.0.split_at(8);
        (
            u64::from_be_bytes(hi.try_into().unwrap_or_default()),
            u64::from_be_bytes(lo.try_into().unwrap_or_default()),
        )
    }

    /// Builds an id from Jaeger's halves.
    pub(crate) fn from_halves(high: u64, low: u64) -> Self {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&high.to_be_bytes());
        b[8..].copy_from_slice(&low.to_be_bytes());
        TraceId(b)
    }

    /// Jaeger v1's rendering: 16 hex digits when the high half is zero,
    /// otherwise 32 (`TraceID.String()` in jaeger-idl).
    pub(crate) fn to_jaeger_string(self) -> String {
        let (high, low) = self.halves();
        if high == 0 {
            format!("{low:016x}")
        } else {
            format!("{high:016x}{low:016x}")
        }
    }

    /// Jaeger's `model.TraceIDFromString`: up to 32 hex digits, leading
    /// zeros optional, with Go's error texts.
    pub(crate) fn parse_jaeger_hex(s: &str) -> Result<Self, TraceIdError> {
        if s.len() > 32 {
            return Err(TraceIdError::TooLong(s.to_owned()));
        }
        if s.len() > 16 {
            let split = s.len() - 16;
            let (Some(hi), Some(lo)) = (s.get(..split), s.get(split..)) else {
                // Not ASCII: what Go's parse of the whole text says.
                return Err(strconv::NumError::hex_syntax(s).into());
            };
            let high = strconv::parse_hex_u64(hi)?;
            let low = strconv::parse_hex_u64(lo)?;
            Ok(Self::from_halves(high, low))
        } else {
            Ok(Self::from_halves(0, strconv::parse_hex_u64(s)?))
        }
    }

    /// Jaeger's query-API `TraceIDFromString`: hex as above, else (for at
    /// most 24 characters) standard or URL-safe base64, padded or not, of 8
    /// or 16 bytes. The error is the hex one unless a base64 reading
    /// decoded to the wrong length.
    pub(crate) fn parse_query_id(s: &str) -> Result<Self, TraceIdError> {
        let hex_err = match Self::parse_jaeger_hex(s) {
            Ok(id) => return Ok(id),
            Err(e) => e,
        };
        if s.len() > 24 {
            return Err(hex_err);
        }
        let cleaned: String = s.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        for engine in base64_engines() {
            if let Ok(bytes) = engine.decode(&cleaned) {
                return match bytes.len() {
                    16 => Ok(TraceId::from_slice(&bytes).unwrap_or_default()),
                    8 => Ok(Self::from_halves(
                        0,
                        u64::from_be_bytes(bytes.try_into().unwrap_or_default()),
                    )),
                    _ => Err(TraceIdError::Length),
                };
            }
        }
        Err(hex_err)
    }
}

/// A trace id Jaeger would refuse, displayed with Jaeger's (Go's) texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TraceIdError {
    /// More than 32 characters.
    #[error("TraceID cannot be longer than 32 hex characters: {0}")]
    TooLong(String),
    /// Not hex (Go's `strconv.ParseUint` error, as Jaeger returns it).
    #[error(transparent)]
    Hex(#[from] strconv::NumError),
    /// Base64 of neither 8 nor 16 bytes.
    #[error("invalid length for TraceID")]
    Length,
}

/// Go's `base64.StdEncoding`, `URLEncoding`, `RawStdEncoding`,
/// `RawURLEncoding` (lenient about trailing bits, as Go is by default).
fn base64_engines() -> [base64::engine::GeneralPurpose; 4] {
    use base64::alphabet::{STANDARD, URL_SAFE};
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let padded = GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical);
    let raw = GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone);
    [
        GeneralPurpose::new(&STANDARD, padded),
        GeneralPurpose::new(&URL_SAFE, padded),
        GeneralPurpose::new(&STANDARD, raw),
        GeneralPurpose::new(&URL_SAFE, raw),
    ]
}

impl SpanId {
    /// The id in a byte slice of exactly 8 bytes.
    pub(crate) fn from_slice(b: &[u8]) -> Option<Self> {
        b.try_into().ok().map(SpanId)
    }

    /// Whether every byte is zero (an invalid id).
    pub(crate) fn is_zero(&self) -> bool {
        self.0 == [0; 8]
    }
}

/// Lowercase hex of any byte string.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(bytes, &mut s);
    s
}

/// Appends the lowercase hex of a byte string (ids in every answer, so
/// without formatting machinery).
pub(crate) fn push_hex(bytes: &[u8], out: &mut String) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
}

/// Decodes hex (either case); `None` on odd length or a non-hex digit.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|pair| {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaeger_width_rules() {
        let short = TraceId::from_halves(0, 1);
        assert_eq!(short.to_jaeger_string(), "0000000000000001");
        assert_eq!(hex(&short.0), "00000000000000000000000000000001");
        let long = TraceId::from_halves(0x83a9efd15c1c98a9, 0x77e0711cc93ee28b);
        assert_eq!(long.to_jaeger_string(), "83a9efd15c1c98a977e0711cc93ee28b");
    }

    #[test]
    fn parses_hex_ids_like_jaeger() {
        assert_eq!(
            TraceId::parse_jaeger_hex("1"),
            Ok(TraceId::from_halves(0, 1))
        );
        assert_eq!(
            TraceId::parse_jaeger_hex("83a9efd15c1c98a977e0711cc93ee28b"),
            Ok(TraceId::from_halves(0x83a9efd15c1c98a9, 0x77e0711cc93ee28b))
        );
        assert_eq!(
            TraceId::parse_jaeger_hex("1ffffffffffffffff"),
            Ok(TraceId::from_halves(1, u64::MAX))
        );
        assert_eq!(
            TraceId::parse_jaeger_hex(&"a".repeat(33))
                .unwrap_err()
                .to_string(),
            format!(
                "TraceID cannot be longer than 32 hex characters: {}",
                "a".repeat(33)
            )
        );
        assert_eq!(
            TraceId::parse_jaeger_hex("xyz").unwrap_err().to_string(),
            "strconv.ParseUint: parsing \"xyz\": invalid syntax"
        );
    }

    #[test]
    fn query_ids_accept_base64() {
        let id = TraceId::from_halves(2, 1);
        assert_eq!(TraceId::parse_query_id("AAAAAAAAAAIAAAAAAAAAAQ=="), Ok(id));
        assert_eq!(TraceId::parse_query_id("AAAAAAAAAAIAAAAAAAAAAQ"), Ok(id));
        // Decodes as raw base64 to one byte: the length error wins.
        assert_eq!(
            TraceId::parse_query_id("zz").unwrap_err().to_string(),
            "invalid length for TraceID"
        );
        assert_eq!(
            TraceId::parse_query_id("not-hex!").unwrap_err().to_string(),
            "strconv.ParseUint: parsing \"not-hex!\": invalid syntax"
        );
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(unhex("00ffAB"), Some(vec![0, 255, 171]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(hex(&[0, 255, 171]), "00ffab");
    }
}

//! Go's `strconv` (and the float rendering of `encoding/json`, which uses
//! it): numbers formatted and parsed, with Go's error texts.

use std::fmt::Write as _;

/// Formats a float as Go's `encoding/json` (and `strconv.FormatFloat` in the
/// ES6 style pdata uses): shortest round-trip digits, plain notation unless
/// `|v| < 1e-6` or `|v| >= 1e21`, exponents as `e-7` / `e+21`.
///
/// Non-finite values render as Go's `strconv.FormatFloat(v, 'g', -1, 64)`
/// (`NaN`, `+Inf`, `-Inf`); callers decide whether those are allowed.
pub(crate) fn float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    let abs = v.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{v:e}");
        match s.split_once('e') {
            Some((mantissa, exp)) => match exp.strip_prefix('-') {
                Some(neg) => format!("{mantissa}e-{neg}"),
                None => format!("{mantissa}e+{exp:0>2}"),
            },
            None => s,
        }
    } else {
        format!("{v}")
    }
}

/// Quotes a string as Go's `strconv.Quote` does for the texts that appear in
/// error messages (control characters escaped, printable Unicode kept).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if ('\u{80}'..='\u{9f}').contains(&c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Why a Go `strconv` parse failed (`strconv.ErrSyntax`, `ErrRange`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumErr {
    Syntax,
    Range,
}

impl NumErr {
    fn text(self) -> &'static str {
        match self {
            NumErr::Syntax => "invalid syntax",
            NumErr::Range => "value out of range",
        }
    }
}

/// Go's `*strconv.NumError`: the function, the input and why, displayed
/// as Go's `Error()` writes it (Jaeger's answers carry that text). The
/// reason is a plain kind, not an error of its own, so it is part of the
/// message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("strconv.{func}: parsing {}: {}", quote(input), reason.text())]
pub(crate) struct NumError {
    func: &'static str,
    input: String,
    reason: NumErr,
}

impl NumError {
    /// `strconv.ParseUint`'s syntax error for `input`.
    pub(crate) fn hex_syntax(input: &str) -> Self {
        num_error("ParseUint", input, NumErr::Syntax)
    }
}

fn num_error(func: &'static str, input: &str, reason: NumErr) -> NumError {
    NumError {
        func,
        input: input.to_owned(),
        reason,
    }
}

/// Parses an unsigned magnitude in `radix` (no sign, no prefix), with Go's
/// syntax and range rules.
fn parse_magnitude(digits: &str, radix: u32) -> Result<u128, NumErr> {
    if digits.is_empty() {
        return Err(NumErr::Syntax);
    }
    let mut value: u128 = 0;
    let mut overflow = false;
    for c in digits.chars() {
        let d = c.to_digit(radix).ok_or(NumErr::Syntax)?;
        if !overflow {
            value = value * u128::from(radix) + u128::from(d);
            if value > u128::from(u64::MAX) {
                overflow = true;
            }
        }
    }
    if overflow {
        Err(NumErr::Range)
    } else {
        Ok(value)
    }
}

/// Go's `strconv.ParseInt(s, 10, bits)`, with its error text.
pub(crate) fn parse_int(s: &str, bits: u32) -> Result<i64, NumError> {
    parse_signed(s, bits).map_err(|e| num_error("ParseInt", s, e))
}

/// Go's `strconv.Atoi(s)`, with its error text.
pub(crate) fn atoi(s: &str) -> Result<i64, NumError> {
    parse_signed(s, 64).map_err(|e| num_error("Atoi", s, e))
}

fn parse_signed(s: &str, bits: u32) -> Result<i64, NumErr> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_magnitude(digits, 10)?;
    let cutoff = 1u128 << (bits - 1);
    if neg {
        if magnitude > cutoff {
            return Err(NumErr::Range);
        }
        Ok((-(magnitude as i128)) as i64)
    } else {
        if magnitude >= cutoff {
            return Err(NumErr::Range);
        }
        Ok(magnitude as i64)
    }
}

/// Go's `strconv.ParseUint(s, 16, 64)`, with its error text.
pub(crate) fn parse_hex_u64(s: &str) -> Result<u64, NumError> {
    parse_magnitude(s, 16)
        .map(|v| v as u64)
        .map_err(|e| num_error("ParseUint", s, e))
}

/// Go's `strconv.ParseBool`, with its error text.
pub(crate) fn parse_bool(s: &str) -> Result<bool, NumError> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(num_error("ParseBool", s, NumErr::Syntax)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_follow_go() {
        assert_eq!(float(149.99), "149.99");
        assert_eq!(float(100.0), "100");
        assert_eq!(float(-0.0), "-0");
        assert_eq!(float(1e21), "1e+21");
        assert_eq!(float(1.5e300), "1.5e+300");
        assert_eq!(float(1e-7), "1e-7");
        assert_eq!(float(1.25e-10), "1.25e-10");
        assert_eq!(float(0.000001), "0.000001");
        assert_eq!(float(1e20), "100000000000000000000");
        assert_eq!(float(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(float(f64::NAN), "NaN");
        assert_eq!(float(f64::NEG_INFINITY), "-Inf");
    }

    #[test]
    fn strconv_errors_match_go() {
        assert_eq!(parse_int("12", 32), Ok(12));
        assert_eq!(parse_int("-2147483648", 32), Ok(-2147483648));
        assert_eq!(
            parse_int("2147483648", 32).unwrap_err().to_string(),
            "strconv.ParseInt: parsing \"2147483648\": value out of range"
        );
        assert_eq!(
            parse_int("abc", 64).unwrap_err().to_string(),
            "strconv.ParseInt: parsing \"abc\": invalid syntax"
        );
        assert_eq!(
            parse_int("", 64).unwrap_err().to_string(),
            "strconv.ParseInt: parsing \"\": invalid syntax"
        );
        assert_eq!(
            atoi("x").unwrap_err().to_string(),
            "strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(parse_hex_u64("ff"), Ok(255));
        assert_eq!(parse_hex_u64("FF"), Ok(255));
        assert!(parse_hex_u64("+1").is_err());
        assert_eq!(
            parse_hex_u64("10000000000000000").unwrap_err().to_string(),
            "strconv.ParseUint: parsing \"10000000000000000\": value out of range"
        );
        assert_eq!(parse_bool("True"), Ok(true));
        assert_eq!(
            parse_bool("yes").unwrap_err().to_string(),
            "strconv.ParseBool: parsing \"yes\": invalid syntax"
        );
    }
}

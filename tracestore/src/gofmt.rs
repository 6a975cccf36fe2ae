//! Go-compatible formatting and parsing.
//!
//! Jaeger is written in Go, and its answers carry Go's renderings: float
//! formatting of `encoding/json`, `time.Duration.String()`,
//! `time.Time.String()`, and the error texts of `strconv`, `time.Parse` and
//! `time.ParseDuration`. To give byte-identical bodies, this module
//! reimplements the parts the query API and the ingest sanitizers need.

use std::fmt::Write as _;

/// Formats a float as Go's `encoding/json` (and `strconv.FormatFloat` in the
/// ES6 style pdata uses): shortest round-trip digits, plain notation unless
/// `|v| < 1e-6` or `|v| >= 1e21`, exponents as `e-7` / `e+21`.
///
/// Non-finite values render as Go's `strconv.FormatFloat(v, 'g', -1, 64)`
/// (`NaN`, `+Inf`, `-Inf`); callers decide whether those are allowed.
pub fn float(v: f64) -> String {
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
pub fn quote(s: &str) -> String {
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

/// Quotes a string as the Go `time` package does in its error messages
/// (non-ASCII and control bytes as `\xNN`).
pub fn time_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c.is_ascii() && c >= ' ' {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

/// Why a Go `strconv` parse failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumErr {
    Syntax,
    Range,
}

fn num_error(func: &str, input: &str, err: NumErr) -> String {
    let what = match err {
        NumErr::Syntax => "invalid syntax",
        NumErr::Range => "value out of range",
    };
    format!("strconv.{func}: parsing {}: {what}", quote(input))
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
pub fn parse_int(s: &str, bits: u32) -> Result<i64, String> {
    parse_signed(s, bits).map_err(|e| num_error("ParseInt", s, e))
}

/// Go's `strconv.Atoi(s)`, with its error text.
pub fn atoi(s: &str) -> Result<i64, String> {
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
pub fn parse_hex_u64(s: &str) -> Result<u64, String> {
    parse_magnitude(s, 16)
        .map(|v| v as u64)
        .map_err(|e| num_error("ParseUint", s, e))
}

/// Go's `strconv.ParseBool`, with its error text.
pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(num_error("ParseBool", s, NumErr::Syntax)),
    }
}

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Go's `time.ParseDuration`, in nanoseconds, with its error texts.
pub fn parse_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", time_quote(orig));
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some(&c) = s.first()
        && (c == b'-' || c == b'+')
    {
        neg = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let limit: u64 = 1 << 63;
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // Leading integer.
        let mut v: u64 = 0;
        let mut i = 0;
        while i < s.len() && s[i].is_ascii_digit() {
            if v > limit / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(s[i] - b'0');
            if v > limit {
                return Err(invalid());
            }
            i += 1;
        }
        let pre = i > 0;
        s = &s[i..];
        // Optional fraction.
        let mut frac: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let mut j = 0;
            let mut overflow = false;
            while j < s.len() && s[j].is_ascii_digit() {
                if !overflow {
                    if frac > (limit - 1) / 10 {
                        overflow = true;
                    } else {
                        let y = frac * 10 + u64::from(s[j] - b'0');
                        if y > limit {
                            overflow = true;
                        } else {
                            frac = y;
                            scale *= 10.0;
                        }
                    }
                }
                j += 1;
            }
            post = j > 0;
            s = &s[j..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        // Unit.
        let unit_len = s
            .iter()
            .position(|&c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!(
                "time: missing unit in duration {}",
                time_quote(orig)
            ));
        }
        let unit_bytes = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u64 = match unit_bytes {
            b"ns" => 1,
            b"us" => 1_000,
            b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
            b"ms" => 1_000_000,
            b"s" => NANOS_PER_SECOND,
            b"m" => 60 * NANOS_PER_SECOND,
            b"h" => 3600 * NANOS_PER_SECOND,
            other => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    time_quote(&String::from_utf8_lossy(other)),
                    time_quote(orig)
                ));
            }
        };
        if v > limit / unit {
            return Err(invalid());
        }
        v *= unit;
        if frac > 0 {
            v += (frac as f64 * (unit as f64 / scale)) as u64;
            if v > limit {
                return Err(invalid());
            }
        }
        total += v;
        if total > limit {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((total as i64).wrapping_neg());
    }
    if total > limit - 1 {
        return Err(invalid());
    }
    Ok(total as i64)
}

/// Go's `time.Duration.String()` for a duration in nanoseconds
/// (`1.5ms`, `2m3.5s`, `0s`, `-4µs`).
pub fn duration_string(nanos: i64) -> String {
    let neg = nanos < 0;
    let mut u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < NANOS_PER_SECOND {
        let (prec, unit) = match u {
            0 => return "0s".to_owned(),
            1..1_000 => (0, "ns"),
            1_000..1_000_000 => (3, "µs"),
            _ => (6, "ms"),
        };
        let (frac, rest) = fraction(u, prec);
        let _ = write!(out, "{rest}{frac}{unit}");
    } else {
        let (frac, secs) = fraction(u, 9);
        u = secs;
        let s = u % 60;
        u /= 60;
        if u > 0 {
            let m = u % 60;
            u /= 60;
            if u > 0 {
                let _ = write!(out, "{u}h");
            }
            let _ = write!(out, "{m}m");
        }
        let _ = write!(out, "{s}{frac}s");
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// Splits `v` into `v / 10^prec` and its fraction as Go prints it (".12",
/// trailing zeros and an empty fraction omitted).
fn fraction(v: u64, prec: u32) -> (String, u64) {
    let div = 10u64.pow(prec);
    let f = v % div;
    if f == 0 {
        return (String::new(), v / div);
    }
    let digits = format!("{f:0width$}", width = prec as usize);
    (format!(".{}", digits.trim_end_matches('0')), v / div)
}

/// Go's `time.Time.String()` of `time.Unix(0, nanos).UTC()`:
/// `2024-01-31 05:28:29.209712 +0000 UTC`.
pub fn utc_time_string(nanos: i64) -> String {
    let secs = nanos.div_euclid(NANOS_PER_SECOND as i64);
    let sub = nanos.rem_euclid(NANOS_PER_SECOND as i64) as u64;
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(secs) else {
        return format!("{nanos}ns since the Unix epoch");
    };
    let (frac, _) = fraction(sub, 9);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}{frac} +0000 UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

const RFC3339_NANO: &str = "2006-01-02T15:04:05.999999999Z07:00";

/// Go's `time.Parse(time.RFC3339Nano, s)`, as nanoseconds since the Unix
/// epoch, with the error texts of Go's general parser (which is what an
/// invalid value reaches).
pub fn parse_rfc3339(value: &str) -> Result<i64, String> {
    let full = |value_elem: &str, layout_elem: &str| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            time_quote(value),
            time_quote(RFC3339_NANO),
            time_quote(value_elem),
            time_quote(layout_elem)
        )
    };
    let short = |msg: &str| format!("parsing time {}{msg}", time_quote(value));
    let mut rest = value;
    let out_of_range = |what: &str| short(&format!(": {what} out of range"));

    // Year: exactly four digits.
    let year_src = rest;
    if rest.len() < 4 || !rest.as_bytes()[0].is_ascii_digit() {
        return Err(full(year_src, "2006"));
    }
    let year: i32 = rest
        .get(..4)
        .and_then(|y| y.parse().ok())
        .ok_or_else(|| full(year_src, "2006"))?;
    rest = &rest[4..];

    let literal = |rest: &mut &str, lit: &str| -> Result<(), String> {
        for want in lit.bytes() {
            match rest.as_bytes().first() {
                Some(&b) if b == want => *rest = &rest[1..],
                _ => return Err(full(rest, lit)),
            }
        }
        Ok(())
    };
    let number = |rest: &mut &str, fixed: bool, elem: &str| -> Result<u32, String> {
        let b = rest.as_bytes();
        if b.is_empty() || !b[0].is_ascii_digit() {
            return Err(full(rest, elem));
        }
        if b.len() < 2 || !b[1].is_ascii_digit() {
            if fixed {
                return Err(full(rest, elem));
            }
            let v = u32::from(b[0] - b'0');
            *rest = &rest[1..];
            return Ok(v);
        }
        let v = u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0');
        *rest = &rest[2..];
        Ok(v)
    };

    literal(&mut rest, "-")?;
    let month = number(&mut rest, true, "01")?;
    if !(1..=12).contains(&month) {
        return Err(out_of_range("month"));
    }
    literal(&mut rest, "-")?;
    let day = number(&mut rest, true, "02")?;
    literal(&mut rest, "T")?;
    let hour = number(&mut rest, false, "15")?;
    if hour >= 24 {
        return Err(out_of_range("hour"));
    }
    literal(&mut rest, ":")?;
    let minute = number(&mut rest, true, "04")?;
    if minute >= 60 {
        return Err(out_of_range("minute"));
    }
    literal(&mut rest, ":")?;
    let second = number(&mut rest, true, "05")?;
    if second >= 60 {
        return Err(out_of_range("second"));
    }
    // Optional fraction: '.' or ',' followed by digits.
    let mut nanos: u64 = 0;
    let b = rest.as_bytes();
    if b.len() >= 2 && (b[0] == b'.' || b[0] == b',') && b[1].is_ascii_digit() {
        let n = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        let digits = &rest[1..1 + n];
        let used = &digits[..digits.len().min(9)];
        nanos = used.parse::<u64>().unwrap_or(0) * 10u64.pow(9 - used.len() as u32);
        rest = &rest[1 + n..];
    }
    // Zone: 'Z' or ±hh:mm.
    let zone_src = rest;
    let offset_secs: i64 = if rest.starts_with('Z') {
        rest = &rest[1..];
        0
    } else {
        let zb = rest.as_bytes();
        if zb.len() < 6 || zb[3] != b':' {
            return Err(full(zone_src, "Z07:00"));
        }
        let mut hh = &rest[1..3];
        let mut mm = &rest[4..6];
        let zh = number(&mut hh, true, "Z07:00").map_err(|_| full(zone_src, "Z07:00"))?;
        let zm = number(&mut mm, true, "Z07:00").map_err(|_| full(zone_src, "Z07:00"))?;
        if zh > 24 {
            return Err(out_of_range("time zone offset hour"));
        }
        if zm > 60 {
            return Err(out_of_range("time zone offset minute"));
        }
        let sign = match zb[0] {
            b'+' => 1,
            b'-' => -1,
            _ => return Err(full(zone_src, "Z07:00")),
        };
        rest = &rest[6..];
        sign * (i64::from(zh) * 3600 + i64::from(zm) * 60)
    };
    if !rest.is_empty() {
        return Err(short(&format!(": extra text: {}", time_quote(rest))));
    }
    let month = time::Month::try_from(month as u8).map_err(|_| out_of_range("month"))?;
    let date =
        time::Date::from_calendar_date(year, month, day as u8).map_err(|_| out_of_range("day"))?;
    let t = date
        .with_hms(hour as u8, minute as u8, second as u8)
        .map_err(|_| out_of_range("hour"))?
        .assume_utc();
    let secs = t.unix_timestamp() - offset_secs;
    Ok(secs
        .saturating_mul(NANOS_PER_SECOND as i64)
        .saturating_add(nanos as i64))
}

/// Go's `url.ParseQuery` as `r.URL.Query()` applies it (malformed pairs are
/// dropped): the values of each key in order of appearance.
#[derive(Debug, Default, Clone)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (without the `?`).
    pub fn parse(raw: &str) -> Self {
        let mut pairs = Vec::new();
        for part in raw.split('&') {
            if part.is_empty() || part.contains(';') {
                continue;
            }
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            if let (Some(k), Some(v)) = (unescape(k), unescape(v)) {
                pairs.push((k, v));
            }
        }
        Query { pairs }
    }

    /// The first value of `key`, or `""` (Go's `Values.Get`).
    pub fn get(&self, key: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first non-empty value among a canonical name and its alias, with
    /// the name it came from (Jaeger's `getQueryParam`).
    pub fn get_either<'a>(&'a self, canonical: &'a str, alias: &'a str) -> (&'a str, &'a str) {
        let v = self.get(canonical);
        if v.is_empty() {
            (self.get(alias), alias)
        } else {
            (v, canonical)
        }
    }
}

/// Go's `url.QueryUnescape`: `+` is a space, `%XX` a byte; a bad escape
/// fails.
pub fn unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                let hi = (hex[0] as char).to_digit(16)?;
                let lo = (hex[1] as char).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
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
            parse_int("2147483648", 32).unwrap_err(),
            "strconv.ParseInt: parsing \"2147483648\": value out of range"
        );
        assert_eq!(
            parse_int("abc", 64).unwrap_err(),
            "strconv.ParseInt: parsing \"abc\": invalid syntax"
        );
        assert_eq!(
            parse_int("", 64).unwrap_err(),
            "strconv.ParseInt: parsing \"\": invalid syntax"
        );
        assert_eq!(
            atoi("x").unwrap_err(),
            "strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(parse_hex_u64("ff"), Ok(255));
        assert_eq!(parse_hex_u64("FF"), Ok(255));
        assert!(parse_hex_u64("+1").is_err());
        assert_eq!(
            parse_hex_u64("10000000000000000").unwrap_err(),
            "strconv.ParseUint: parsing \"10000000000000000\": value out of range"
        );
        assert_eq!(parse_bool("True"), Ok(true));
        assert_eq!(
            parse_bool("yes").unwrap_err(),
            "strconv.ParseBool: parsing \"yes\": invalid syntax"
        );
    }

    #[test]
    fn durations_parse_and_print_like_go() {
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("1h2m"), Ok(3_720_000_000_000));
        assert_eq!(parse_duration("-3µs"), Ok(-3_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration(".5ms"), Ok(500_000));
        assert_eq!(
            parse_duration("10").unwrap_err(),
            "time: missing unit in duration \"10\""
        );
        assert_eq!(
            parse_duration("3x").unwrap_err(),
            "time: unknown unit \"x\" in duration \"3x\""
        );
        assert_eq!(
            parse_duration("abc").unwrap_err(),
            "time: invalid duration \"abc\""
        );
        assert_eq!(
            parse_duration("").unwrap_err(),
            "time: invalid duration \"\""
        );
        assert_eq!(duration_string(0), "0s");
        assert_eq!(duration_string(1_500_000), "1.5ms");
        assert_eq!(duration_string(-4_000), "-4µs");
        assert_eq!(duration_string(999), "999ns");
        assert_eq!(duration_string(123_500_000_000), "2m3.5s");
        assert_eq!(duration_string(3_600_000_000_001), "1h0m0.000000001s");
    }

    #[test]
    fn times_print_like_go() {
        assert_eq!(
            utc_time_string(1_706_678_909_209_712_000),
            "2024-01-31 05:28:29.209712 +0000 UTC"
        );
        assert_eq!(utc_time_string(0), "1970-01-01 00:00:00 +0000 UTC");
    }

    #[test]
    fn rfc3339_parses_and_reports_like_go() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:01Z"), Ok(1_000_000_000));
        assert_eq!(
            parse_rfc3339("2024-01-31T05:28:29.209712+01:00"),
            Ok(1_706_678_909_209_712_000 - 3_600_000_000_000)
        );
        assert_eq!(
            parse_rfc3339("yesterday").unwrap_err(),
            "parsing time \"yesterday\" as \"2006-01-02T15:04:05.999999999Z07:00\": \
             cannot parse \"yesterday\" as \"2006\""
        );
        assert_eq!(
            parse_rfc3339("2024-01-02").unwrap_err(),
            "parsing time \"2024-01-02\" as \"2006-01-02T15:04:05.999999999Z07:00\": \
             cannot parse \"\" as \"T\""
        );
        assert_eq!(
            parse_rfc3339("2024-13-02T00:00:00Z").unwrap_err(),
            "parsing time \"2024-13-02T00:00:00Z\": month out of range"
        );
        assert_eq!(
            parse_rfc3339("2024-02-30T00:00:00Z").unwrap_err(),
            "parsing time \"2024-02-30T00:00:00Z\": day out of range"
        );
        assert_eq!(
            parse_rfc3339("2024-01-02T00:00:00Zjunk").unwrap_err(),
            "parsing time \"2024-01-02T00:00:00Zjunk\": extra text: \"junk\""
        );
    }

    #[test]
    fn queries_parse_like_go() {
        let q = Query::parse("a=1&b=x+y&a=2&bad=%zz&semi=1;2&c=%41&&d");
        assert_eq!(q.get("a"), "1");
        assert_eq!(q.all("a").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(q.get("b"), "x y");
        assert_eq!(q.all("bad").count(), 0);
        assert_eq!(q.all("semi").count(), 0);
        assert_eq!(q.get("c"), "A");
        assert_eq!(q.all("d").collect::<Vec<_>>(), [""]);
        assert_eq!(q.get("missing"), "");
        assert_eq!(q.get_either("x", "c"), ("A", "c"));
        assert_eq!(unescape("a&b+c%21").as_deref(), Some("a&b c!"));
        assert_eq!(unescape("50%"), None);
    }
}

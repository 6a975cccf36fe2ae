//! Go's `time`: `ParseDuration`, `Duration.String`, `Time.String` in UTC and
//! `Parse(time.RFC3339Nano, ...)`, with Go's error texts.

use std::fmt::Write as _;

/// Quotes a string as the Go `time` package does in its error messages
/// (non-ASCII and control bytes as `\xNN`).
fn quote(s: &str) -> String {
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

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Go's `time.ParseDuration`, in nanoseconds, with its error texts.
pub(crate) fn parse_duration(orig: &str) -> Result<i64, DurationError> {
    let invalid = || DurationError::Invalid(orig.to_owned());
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
            return Err(DurationError::MissingUnit(orig.to_owned()));
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
                return Err(DurationError::UnknownUnit {
                    unit: String::from_utf8_lossy(other).into_owned(),
                    input: orig.to_owned(),
                });
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
pub(crate) fn duration_string(nanos: i64) -> String {
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
pub(crate) fn utc_time_string(nanos: i64) -> String {
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

/// Go's `time.ParseDuration` errors, displayed as Go writes them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DurationError {
    /// Not a duration at all, or out of range.
    #[error("time: invalid duration {}", quote(.0))]
    Invalid(String),
    /// A number without its unit.
    #[error("time: missing unit in duration {}", quote(.0))]
    MissingUnit(String),
    /// A unit Go does not know.
    #[error("time: unknown unit {} in duration {}", quote(unit), quote(input))]
    UnknownUnit { unit: String, input: String },
}

/// Go's `*time.ParseError` for the RFC 3339 layout, displayed as its
/// `Error()`: an element that does not match the layout, or a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TimeParseError {
    /// `value_elem` cannot be read as the layout's `layout_elem`.
    #[error(
        "parsing time {} as {}: cannot parse {} as {}",
        quote(value),
        quote(RFC3339_NANO),
        quote(value_elem),
        quote(layout_elem)
    )]
    Element {
        value: String,
        value_elem: String,
        layout_elem: &'static str,
    },
    /// A range or trailing-text error (`: month out of range`).
    #[error("parsing time {}{message}", quote(value))]
    Message { value: String, message: String },
}

/// Go's `time.Parse(time.RFC3339Nano, s)`, as nanoseconds since the Unix
/// epoch, with the error texts of Go's general parser (which is what an
/// invalid value reaches).
pub(crate) fn parse_rfc3339(value: &str) -> Result<i64, TimeParseError> {
    let full = |value_elem: &str, layout_elem: &'static str| TimeParseError::Element {
        value: value.to_owned(),
        value_elem: value_elem.to_owned(),
        layout_elem,
    };
    let short = |msg: &str| TimeParseError::Message {
        value: value.to_owned(),
        message: msg.to_owned(),
    };
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

    let literal = |rest: &mut &str, lit: &'static str| -> Result<(), TimeParseError> {
        for want in lit.bytes() {
            match rest.as_bytes().first() {
                Some(&b) if b == want => *rest = &rest[1..],
                _ => return Err(full(rest, lit)),
            }
        }
        Ok(())
    };
    let number =
        |rest: &mut &str, fixed: bool, elem: &'static str| -> Result<u32, TimeParseError> {
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
        return Err(short(&format!(": extra text: {}", quote(rest))));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print_like_go() {
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("1h2m"), Ok(3_720_000_000_000));
        assert_eq!(parse_duration("-3µs"), Ok(-3_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration(".5ms"), Ok(500_000));
        assert_eq!(
            parse_duration("10").unwrap_err().to_string(),
            "time: missing unit in duration \"10\""
        );
        assert_eq!(
            parse_duration("3x").unwrap_err().to_string(),
            "time: unknown unit \"x\" in duration \"3x\""
        );
        assert_eq!(
            parse_duration("abc").unwrap_err().to_string(),
            "time: invalid duration \"abc\""
        );
        assert_eq!(
            parse_duration("").unwrap_err().to_string(),
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
            parse_rfc3339("yesterday").unwrap_err().to_string(),
            "parsing time \"yesterday\" as \"2006-01-02T15:04:05.999999999Z07:00\": \
             cannot parse \"yesterday\" as \"2006\""
        );
        assert_eq!(
            parse_rfc3339("2024-01-02").unwrap_err().to_string(),
            "parsing time \"2024-01-02\" as \"2006-01-02T15:04:05.999999999Z07:00\": \
             cannot parse \"\" as \"T\""
        );
        assert_eq!(
            parse_rfc3339("2024-13-02T00:00:00Z")
                .unwrap_err()
                .to_string(),
            "parsing time \"2024-13-02T00:00:00Z\": month out of range"
        );
        assert_eq!(
            parse_rfc3339("2024-02-30T00:00:00Z")
                .unwrap_err()
                .to_string(),
            "parsing time \"2024-02-30T00:00:00Z\": day out of range"
        );
        assert_eq!(
            parse_rfc3339("2024-01-02T00:00:00Zjunk")
                .unwrap_err()
                .to_string(),
            "parsing time \"2024-01-02T00:00:00Zjunk\": extra text: \"junk\""
        );
    }
}

//! serde_json output as Go's `encoding/json` writes it: `<`, `>`, `&`,
//! U+2028 and U+2029 escaped, floats in Go's format, and `MarshalIndent`'s
//! four-space layout when pretty.

use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use crate::go::strconv;

/// Serializes as `json.Marshal` (or `json.MarshalIndent(v, "", "    ")`).
pub(super) fn to_vec<T: Serialize>(value: &T, pretty: bool) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::new();
    if pretty {
        let fmt = GoFormatter(PrettyFormatter::with_indent(b"    "));
        value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, fmt))?;
    } else {
        let fmt = GoFormatter(CompactFormatter);
        value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, fmt))?;
    }
    Ok(out)
}

/// Wraps a serde_json formatter, changing floats and string escaping.
struct GoFormatter<F>(F);

impl<F: Formatter> Formatter for GoFormatter<F> {
    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        w.write_all(strconv::float(value).as_bytes())
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let escaped = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            w.write_all(&fragment.as_bytes()[start..i])?;
            w.write_all(escaped.as_bytes())?;
            start = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_floats_like_go() {
        let v = serde_json::json!({"a": "<&>\u{2028}\n", "f": 100.0, "g": 1e21, "e": []});
        let out = String::from_utf8(to_vec(&v, false).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"{"a":"\u003c\u0026\u003e\u2028\n","e":[],"f":100,"g":1e+21}"#
        );
        let pretty =
            String::from_utf8(to_vec(&serde_json::json!({"a": [1], "b": {}}), true).unwrap())
                .unwrap();
        assert_eq!(
            pretty,
            "{\n    \"a\": [\n        1\n    ],\n    \"b\": {}\n}"
        );
    }
}

//! Templates in a scenario's path, header values and bodies: literal text
//! with `{{...}}` generators, parsed once when the file is read and
//! rendered per request from the run's seeded generator (so a seed replays
//! the same requests).
//!
//! Generators: `{{int A..B}}` (a whole number, both ends included),
//! `{{float A..B}}` (a number with two decimals, both ends included),
//! `{{choice a|b|c}}` (one of the alternatives, taken as written),
//! `{{seq}}` (the request's number in the run, all shards together, so
//! unique) and `{{uuid}}` (a random version 4 UUID).

use std::fmt::Write as _;

use rand::{Rng, RngCore};

/// One parsed template.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Int(i64, i64),
    /// Bounds in hundredths.
    Float(i64, i64),
    Choice(Vec<String>),
    Seq,
    Uuid,
}

/// Why a template could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(super) struct TemplateError(String);

impl Template {
    /// Parses `source`; `{{` always opens a generator.
    pub(super) fn parse(source: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let inner_start = &rest[open + 2..];
            let close = inner_start.find("}}").ok_or_else(|| {
                TemplateError(format!(
                    "unclosed template `{}` (a generator ends with `}}}}`)",
                    truncate(&rest[open..])
                ))
            })?;
            parts.push(Part::parse(&inner_start[..close])?);
            rest = &inner_start[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template { parts })
    }

    /// The text when the template has no generator.
    pub(super) fn as_static(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Text(t)] => Some(t),
            _ => None,
        }
    }

    /// Every piece of text the template can produce apart from numbers and
    /// UUIDs (its literal text and each alternative of a `choice`), to
    /// check once that each is allowed where the template is used.
    pub(crate) fn texts(&self) -> impl Iterator<Item = &str> {
        self.parts
            .iter()
            .flat_map(|p| -> Box<dyn Iterator<Item = &str>> {
                match p {
                    Part::Text(t) => Box::new(std::iter::once(t.as_str())),
                    Part::Choice(alts) => Box::new(alts.iter().map(String::as_str)),
                    _ => Box::new(std::iter::empty()),
                }
            })
    }

    /// Appends one rendering to `out`: `seq` for `{{seq}}`, the rest drawn
    /// from `rng`.
    pub(super) fn render(&self, rng: &mut impl RngCore, seq: u64, out: &mut String) {
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Int(lo, hi) => {
                    let _ = write!(out, "{}", rng.random_range(*lo..=*hi));
                }
                Part::Float(lo, hi) => {
                    let v = rng.random_range(*lo..=*hi);
                    let sign = if v < 0 { "-" } else { "" };
                    let _ = write!(out, "{sign}{}.{:02}", v.abs() / 100, v.abs() % 100);
                }
                Part::Choice(alts) => out.push_str(&alts[rng.random_range(0..alts.len())]),
                Part::Seq => {
                    let _ = write!(out, "{seq}");
                }
                Part::Uuid => {
                    let mut b = rng.random::<u128>().to_be_bytes();
                    b[6] = (b[6] & 0x0f) | 0x40;
                    b[8] = (b[8] & 0x3f) | 0x80;
                    let mut hex = [0u8; 32];
                    telemetry::write_hex(&mut hex, &b);
                    for (i, range) in [0..8, 8..12, 12..16, 16..20, 20..32]
                        .into_iter()
                        .enumerate()
                    {
                        if i > 0 {
                            out.push('-');
                        }
                        // The hex table writes ASCII only.
                        out.push_str(std::str::from_utf8(&hex[range]).unwrap_or_default());
                    }
                }
            }
        }
    }
}

impl Part {
    fn parse(inner: &str) -> Result<Part, TemplateError> {
        let inner = inner.trim();
        let (kind, arg) = inner.split_once(' ').unwrap_or((inner, ""));
        let arg = arg.trim();
        let no_arg = |part: Part| {
            if arg.is_empty() {
                Ok(part)
            } else {
                Err(TemplateError(format!(
                    "`{{{{{kind}}}}}` takes no argument, got {arg:?}"
                )))
            }
        };
        match kind {
            "int" => {
                let (lo, hi) = range(kind, arg, |s| s.parse::<i64>().ok())?;
                Ok(Part::Int(lo, hi))
            }
            "float" => {
                let (lo, hi) = range(kind, arg, hundredths)?;
                Ok(Part::Float(lo, hi))
            }
            "choice" => {
                if arg.is_empty() {
                    return Err(TemplateError(
                        "`{{choice}}` needs alternatives: `{{choice a|b|c}}`".to_owned(),
                    ));
                }
                Ok(Part::Choice(arg.split('|').map(str::to_owned).collect()))
            }
            "seq" => no_arg(Part::Seq),
            "uuid" => no_arg(Part::Uuid),
            other => Err(TemplateError(format!(
                "unknown generator {other:?} in `{{{{{inner}}}}}` (expected int, float, choice, seq or uuid)"
            ))),
        }
    }
}

/// `A..B` with `A <= B`, each parsed by `parse`.
fn range(
    kind: &str,
    arg: &str,
    parse: impl Fn(&str) -> Option<i64>,
) -> Result<(i64, i64), TemplateError> {
    let bad = || {
        TemplateError(format!(
            "`{{{{{kind} {arg}}}}}` needs a range A..B of {} numbers",
            if kind == "int" { "whole" } else { "decimal" }
        ))
    };
    let (a, b) = arg.split_once("..").ok_or_else(bad)?;
    let (lo, hi) = (
        parse(a.trim()).ok_or_else(bad)?,
        parse(b.trim()).ok_or_else(bad)?,
    );
    if lo > hi {
        return Err(TemplateError(format!(
            "`{{{{{kind} {arg}}}}}`: the range is empty ({} > {})",
            a.trim(),
            b.trim()
        )));
    }
    Ok((lo, hi))
}

/// A decimal with at most two decimals, in hundredths.
fn hundredths(s: &str) -> Option<i64> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !(whole.bytes().chain(frac.bytes())).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    let v = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(frac)?;
    Some(if negative { -v } else { v })
}

fn truncate(s: &str) -> String {
    s.chars().take(30).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn render(t: &str, seed: u64, n: usize) -> Vec<String> {
        let t = Template::parse(t).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n as u64)
            .map(|seq| {
                let mut s = String::new();
                t.render(&mut rng, seq, &mut s);
                s
            })
            .collect()
    }

    #[test]
    fn int_covers_its_inclusive_range_and_nothing_else() {
        let all = render("n={{int -2..3}}", 1, 600);
        let mut seen: Vec<i64> = all.iter().map(|s| s[2..].parse().unwrap()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen, [-2, -1, 0, 1, 2, 3]);
    }

    #[test]
    fn float_has_two_decimals_within_its_range() {
        let all = render("{{float 0.01..1.5}}", 2, 2000);
        for s in &all {
            let (_, frac) = s.split_once('.').unwrap();
            assert_eq!(frac.len(), 2, "{s}");
            let v: f64 = s.parse().unwrap();
            assert!((0.01..=1.5).contains(&v), "{s}");
        }
        assert!(all.iter().any(|s| s == "0.01") && all.iter().any(|s| s == "1.50"));
        assert!(render("{{float -1..-1}}", 0, 1)[0] == "-1.00");
        assert!(render("{{float -0.5..-0.5}}", 0, 1)[0] == "-0.50");
    }

    #[test]
    fn choice_seq_and_uuid() {
        let all = render("{{choice a|b c|}}", 3, 300);
        for alt in ["a", "b c", ""] {
            assert!(all.iter().any(|s| s == alt), "{alt}");
        }
        assert!(all.iter().all(|s| ["a", "b c", ""].contains(&s.as_str())));
        assert_eq!(render("/o/{{seq}}", 0, 3), ["/o/0", "/o/1", "/o/2"]);
        let uuids = render("{{uuid}}", 4, 50);
        for u in &uuids {
            let groups: Vec<&str> = u.split('-').collect();
            assert_eq!(
                groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12],
                "{u}"
            );
            assert!(groups[2].starts_with('4'), "version 4: {u}");
            assert!("89ab".contains(&groups[3][..1]), "variant: {u}");
        }
        let mut dedup = uuids.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), uuids.len());
    }

    #[test]
    fn the_same_seed_renders_the_same_text() {
        let t = r#"{"id":"{{uuid}}","n":{{int 1..1000000}},"x":{{float 0..99999.99}},"c":"{{choice p|q|r|s}}"}"#;
        assert_eq!(render(t, 7, 20), render(t, 7, 20));
        assert_ne!(render(t, 7, 20), render(t, 8, 20));
    }

    #[test]
    fn static_templates_are_known() {
        assert_eq!(
            Template::parse("/health").unwrap().as_static(),
            Some("/health")
        );
        assert_eq!(Template::parse("").unwrap().as_static(), Some(""));
        assert_eq!(Template::parse("/o/{{seq}}").unwrap().as_static(), None);
    }

    #[test]
    fn bad_templates_say_why() {
        for (bad, reason) in [
            ("{{int 1..}}", "range A..B of whole"),
            ("{{int 5..1}}", "range is empty"),
            ("{{int 1.5..2}}", "whole numbers"),
            ("{{float 1..x}}", "decimal numbers"),
            ("{{float 0.001..1}}", "decimal numbers"),
            ("{{float 2..1}}", "range is empty"),
            ("{{choice}}", "needs alternatives"),
            ("{{seq 3}}", "takes no argument"),
            ("{{uuid x}}", "takes no argument"),
            ("{{nope}}", "unknown generator \"nope\""),
            ("abc {{int 1..2", "unclosed template"),
        ] {
            let err = Template::parse(bad).unwrap_err().to_string();
            assert!(err.contains(reason), "{bad}: {err}");
        }
    }
}

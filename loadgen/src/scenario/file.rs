//! The TOML scenarios file: `[[scenario]]` tables, read with `toml`'s
//! spans so that every problem names its line.

use std::{collections::BTreeMap, path::Path};

use http::{HeaderName, HeaderValue, Method};
use serde::Deserialize;
use toml::Spanned;

use super::{Scenario, template::Template};

/// A scenarios file that cannot be used: the file, the line (when known)
/// and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scenarios {origin}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct ScenarioFileError {
    /// The file name.
    pub origin: String,
    /// 1-based line of the problem, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    /// Free text for the reader; not used.
    #[serde(default, rename = "description")]
    _description: Option<String>,
    #[serde(default)]
    scenario: Vec<RawScenario>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Spanned<String>,
    #[serde(default = "one")]
    weight: Spanned<u32>,
    #[serde(default)]
    method: Option<Spanned<String>>,
    path: Spanned<String>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    body: Option<Spanned<Bodies>>,
    #[serde(default)]
    body_file: Option<Spanned<String>>,
    #[serde(default)]
    expect_status: Option<Spanned<Statuses>>,
}

fn one() -> Spanned<u32> {
    Spanned::new(0..0, 1)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Bodies {
    One(String),
    Several(Vec<String>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Statuses {
    One(i64),
    Several(Vec<i64>),
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Source text and name, for errors with line numbers.
struct Ctx<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Ctx<'_> {
    fn error(&self, offset: Option<usize>, message: impl Into<String>) -> ScenarioFileError {
        let line = offset.map(|o| cli_support::position(self.text, o).line);
        ScenarioFileError {
            origin: self.origin.to_owned(),
            line,
            message: message.into(),
        }
    }

    fn at<T>(&self, spanned: &Spanned<T>, message: impl Into<String>) -> ScenarioFileError {
        self.error(Some(spanned.span().start), message)
    }

    fn template(
        &self,
        spanned: &Spanned<String>,
        what: &str,
    ) -> Result<Template, ScenarioFileError> {
        Template::parse(spanned.get_ref()).map_err(|e| self.at(spanned, format!("{what}: {e}")))
    }
}

pub(super) fn parse(
    text: &str,
    origin: &str,
    dir: Option<&Path>,
) -> Result<Vec<Scenario>, ScenarioFileError> {
    let ctx = Ctx { text, origin };
    let raw: RawFile = toml::from_str(text)
        .map_err(|e| ctx.error(e.span().map(|s| s.start), e.message().trim().to_owned()))?;
    if raw.scenario.is_empty() {
        return Err(ctx.error(None, "no [[scenario]] table"));
    }
    let mut scenarios: Vec<Scenario> = Vec::with_capacity(raw.scenario.len());
    for r in raw.scenario {
        let scenario = scenario(&ctx, r, dir, &scenarios)?;
        scenarios.push(scenario);
    }
    if scenarios.iter().all(|s| s.weight == 0) {
        return Err(ctx.error(
            None,
            "every scenario has weight 0: give one a positive weight",
        ));
    }
    Ok(scenarios)
}

fn scenario(
    ctx: &Ctx<'_>,
    r: RawScenario,
    dir: Option<&Path>,
    before: &[Scenario],
) -> Result<Scenario, ScenarioFileError> {
    let name = r.name.get_ref().clone();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    {
        return Err(ctx.at(
            &r.name,
            format!("scenario name {name:?} must be letters, digits, `_`, `.` or `-`"),
        ));
    }
    if before.iter().any(|s| s.name == name) {
        return Err(ctx.at(&r.name, format!("scenario {name:?} is defined twice")));
    }
    let method = match &r.method {
        None => Method::GET,
        Some(m) => {
            let upper = m.get_ref().to_ascii_uppercase();
            if !METHODS.contains(&upper.as_str()) {
                return Err(ctx.at(
                    m,
                    format!(
                        "unknown method {:?} (expected one of {})",
                        m.get_ref(),
                        METHODS.join(", ")
                    ),
                ));
            }
            Method::from_bytes(upper.as_bytes()).map_err(|e| ctx.at(m, e.to_string()))?
        }
    };
    let path = ctx.template(&r.path, "path")?;
    if !r.path.get_ref().starts_with('/') {
        return Err(ctx.at(
            &r.path,
            format!("path {:?} must start with /", r.path.get_ref()),
        ));
    }
    if let Some(bad) = path
        .texts()
        .find(|t| !t.bytes().all(|b| b.is_ascii_graphic() && b != b'#'))
    {
        return Err(ctx.at(
            &r.path,
            format!("path text {bad:?} has a character a URL path or query cannot hold (percent-encode it)"),
        ));
    }
    let mut headers = Vec::with_capacity(r.headers.len());
    for (key, value) in &r.headers {
        let header = HeaderName::from_bytes(key.as_bytes())
            .map_err(|_| ctx.at(value, format!("invalid header name {key:?}")))?;
        let template = ctx.template(value, &format!("header {key}"))?;
        if let Some(bad) = template.texts().find(|t| HeaderValue::from_str(t).is_err()) {
            return Err(ctx.at(
                value,
                format!("header {key}: {bad:?} is not a valid header value"),
            ));
        }
        headers.push((header, template));
    }
    let bodies = match (&r.body, &r.body_file) {
        (Some(_), Some(f)) => return Err(ctx.at(f, "give body or body_file, not both")),
        (None, None) => Vec::new(),
        (Some(b), None) => {
            let texts: Vec<Spanned<String>> = match b.get_ref() {
                Bodies::One(s) => vec![Spanned::new(b.span(), s.clone())],
                Bodies::Several(v) if v.is_empty() => {
                    return Err(ctx.at(b, "body is an empty list: give at least one body"));
                }
                Bodies::Several(v) => v
                    .iter()
                    .map(|s| Spanned::new(b.span(), s.clone()))
                    .collect(),
            };
            texts
                .iter()
                .map(|t| ctx.template(t, "body"))
                .collect::<Result<_, _>>()?
        }
        (None, Some(f)) => {
            let path = dir.map_or_else(
                || Path::new(f.get_ref()).to_owned(),
                |d| d.join(f.get_ref()),
            );
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ctx.at(f, format!("body_file {}: {e}", path.display())))?;
            vec![ctx.template(&Spanned::new(f.span(), text), "body_file")?]
        }
    };
    let expect = match &r.expect_status {
        None => vec![200],
        Some(s) => {
            let codes = match s.get_ref() {
                Statuses::One(c) => vec![*c],
                Statuses::Several(v) if v.is_empty() => {
                    return Err(ctx.at(s, "expect_status is an empty list"));
                }
                Statuses::Several(v) => v.clone(),
            };
            codes
                .into_iter()
                .map(|c| {
                    u16::try_from(c)
                        .ok()
                        .filter(|c| (100..=599).contains(c))
                        .ok_or_else(|| ctx.at(s, format!("status {c} is out of range (100..=599)")))
                })
                .collect::<Result<_, _>>()?
        }
    };
    let route = r.path.get_ref().split('?').next().unwrap_or_default();
    let baggage = HeaderValue::from_str(&format!("loadgen.scenario={name}"))
        .map_err(|e| ctx.at(&r.name, e.to_string()))?;
    Ok(Scenario {
        span_name: format!("{method} {route}"),
        name,
        weight: *r.weight.get_ref(),
        method,
        path,
        headers,
        bodies,
        expect,
        baggage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> ScenarioFileError {
        parse(text, "s.toml", None).unwrap_err()
    }

    const GOOD: &str = r#"
description = "a made-up shop"

[[scenario]]
name = "search"
weight = 3
path = "/search?q={{choice hat|coat}}&page={{int 1..5}}"
headers = { x-tenant = "t-{{int 1..9}}" }
expect_status = [200, 204]

[[scenario]]
name = "buy"
method = "post"
path = "/orders"
headers = { content-type = "application/json" }
body = ['{"sku":"{{uuid}}"}', '{"sku":null}']
expect_status = 201
"#;

    #[test]
    fn a_good_file_reads_with_its_defaults() {
        let s = parse(GOOD, "s.toml", None).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].name(), s[0].weight(), s[0].method()),
            ("search", 3, &Method::GET)
        );
        assert_eq!(s[0].span_name(), "GET /search");
        assert_eq!(s[0].expected_statuses(), [200, 204]);
        assert_eq!(s[0].expected_text(), "200|204");
        assert_eq!(s[0].headers.len(), 1);
        assert_eq!((s[1].method(), s[1].weight()), (&Method::POST, 1));
        assert_eq!(s[1].bodies.len(), 2);
        assert_eq!(s[1].baggage(), "loadgen.scenario=buy");
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_reason() {
        let line = |text: &str| {
            let e = error_of(text);
            (e.line, e.to_string())
        };
        for (text, want_line, reason) in [
            (
                "[[scenario]]\nname = \"a\"\npath = \"/\"\ncolour = 1\n",
                Some(4),
                "unknown field `colour`",
            ),
            (
                "[[scenario]]\nname = \"a\"\npath = \"/x/{{int 9..1}}\"\n",
                Some(3),
                "path: `{{int 9..1}}`: the range is empty",
            ),
            (
                "[[scenario]]\nname = \"a\"\npath = \"/\"\nbody = \"{{bogus}}\"\n",
                Some(4),
                "unknown generator",
            ),
            (
                "[[scenario]]\nname = \"a\"\npath = \"/\"\nmethod = \"FETCH\"\n",
                Some(4),
                "unknown method \"FETCH\"",
            ),
            (
                "[[scenario]]\nname = \"a\"\npath = \"/\"\nexpect_status = 600\n",
                Some(4),
                "status 600 is out of range",
            ),
            (
                "[[scenario]]\nname = \"a\"\npath = \"/\"\nexpect_status = [200, 42]\n",
                Some(4),
                "status 42 is out of range",
            ),
            (
                "[[scenario]]\nname = \"a\"\npath = \"/\"\nweight = 0\n[[scenario]]\nname = \"b\"\npath = \"/\"\nweight = 0\n",
                None,
                "every scenario has weight 0",
            ),
            (
                "[[scenario]]\nname = \"a\"\npath = \"/\"\n[[scenario]]\nname = \"a\"\npath = \"/\"\n",
                Some(5),
                "defined twice",
            ),
            (
                "[[scenario]]\nname = \"a b\"\npath = \"/\"\n",
                Some(2),
                "must be letters",
            ),
            (
                "[[scenario]]\nname = \"a\"\npath = \"orders\"\n",
                Some(3),
                "must start with /",
            ),
            (
                "[[scenario]]\nname = \"a\"\npath = \"/a b\"\n",
                Some(3),
                "cannot hold",
            ),
            (
                "[[scenario]]\nname = \"a\"\npath = \"/\"\nheaders = { \"bad header\" = \"x\" }\n",
                Some(4),
                "invalid header name",
            ),
            (
                "[[scenario]]\nname = \"a\"\npath = \"/\"\nweight = -1\n",
                Some(4),
                "invalid value",
            ),
            (
                "[[scenario]]\nname = \"a\"\npath = \"/\"\nbody_file = \"/nonexistent/body.json\"\n",
                Some(4),
                "body_file /nonexistent/body.json",
            ),
            (
                "[[scenario]]\nname = \"a\"\n",
                Some(1),
                "missing field `path`",
            ),
            ("[[scenario]\n", Some(1), "unclosed array table"),
            ("description = \"x\"\n", None, "no [[scenario]] table"),
        ] {
            let (got_line, message) = line(text);
            assert!(message.contains(reason), "{text:?}: {message}");
            assert!(message.starts_with("scenarios s.toml"), "{message}");
            assert_eq!(got_line, want_line, "{text:?}: {message}");
        }
    }

    #[test]
    fn body_file_is_read_relative_to_the_scenarios_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.json"), r#"{"n":{{int 1..2}}}"#).unwrap();
        let text =
            "[[scenario]]\nname = \"a\"\nmethod = \"PUT\"\npath = \"/\"\nbody_file = \"b.json\"\n";
        let s = parse(text, "s.toml", Some(dir.path())).unwrap();
        assert_eq!(
            s[0].bodies,
            [Template::parse(r#"{"n":{{int 1..2}}}"#).unwrap()]
        );
    }
}

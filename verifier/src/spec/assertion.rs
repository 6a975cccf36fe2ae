//! Per-trace assertions on what a selector selects (Tracetest's "test
//! specs"): `count`, `duration`, span fields and attributes, events.
//!
//! ```text
//! check   = "count" op integer            how many spans the selector selects
//!         | "duration" op duration        each selected span (50ms, 1.5s, 250us, 10ns)
//!         | field test                    each selected span; field as in selectors,
//!         | "attr:" key test              attr:KEY is an attribute (also when it is named `name`)
//!         | "event:" name [ "not" ] "exists"   each selected span has (not) that event
//! ```

use std::fmt;

use super::selector::{Cursor, ExprError, Field, Op, Selector, Test};

/// One check of an assertion.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckKind {
    /// The number of selected spans.
    Count(Op, u64),
    /// Each selected span's duration, in nanoseconds.
    Duration(Op, f64),
    /// A field or attribute of each selected span.
    Field(Field, Test),
    /// Each selected span has (`true`) or lacks (`false`) an event of that name.
    Event(String, bool),
}

/// A check as written and as parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The check as written (how failures name it).
    pub source: String,
    /// What it tests.
    pub kind: CheckKind,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Check {
    /// Parses one check.
    pub fn parse(text: &str) -> Result<Check, ExprError> {
        let mut cursor = Cursor::new(text);
        cursor.blanks();
        let expected =
            "expected count, duration, name, kind, status, service.name, attr:KEY or event:NAME";
        let Some(word) = cursor.word() else {
            return Err(cursor.error(format!("{expected}, found {}", cursor.found())));
        };
        let kind = match word {
            "count" => {
                let op = operator(&mut cursor)?;
                cursor.blanks();
                let at = cursor.error("");
                let n = cursor.number()?;
                if n < 0.0 || n.fract() != 0.0 {
                    return Err(ExprError {
                        message: "a count is a whole number".into(),
                        ..at
                    });
                }
                CheckKind::Count(op, n as u64)
            }
            "duration" => {
                let op = operator(&mut cursor)?;
                CheckKind::Duration(op, cursor.duration_ns()?)
            }
            _ if word.starts_with("event:") && word.len() > "event:".len() => {
                let name = word["event:".len()..].to_owned();
                let present = !cursor.eat_word("not");
                if !cursor.eat_word("exists") {
                    cursor.blanks();
                    return Err(cursor.error(format!(
                        "expected `exists` or `not exists` after an event, found {}",
                        cursor.found()
                    )));
                }
                CheckKind::Event(name, present)
            }
            _ if word.starts_with("attr:") && word.len() > "attr:".len() => {
                let field = Field::Attribute(word["attr:".len()..].to_owned());
                let test = Test::parse(&mut cursor, Some(&field))?;
                CheckKind::Field(field, test)
            }
            "name" | "kind" | "status" | "service.name" => {
                let field = Field::parse(word);
                let test = Test::parse(&mut cursor, Some(&field))?;
                CheckKind::Field(field, test)
            }
            _ => {
                return Err(ExprError {
                    offset: text.len() - text.trim_start().len(),
                    message: format!("{expected}, found `{word}`"),
                });
            }
        };
        cursor.end()?;
        Ok(Check {
            source: text.trim().to_owned(),
            kind,
        })
    }
}

/// An operator, or an error saying one was expected.
pub(crate) fn operator(cursor: &mut Cursor<'_>) -> Result<Op, ExprError> {
    cursor.op().ok_or_else(|| {
        cursor.blanks();
        cursor.error(format!(
            "expected an operator (= != < <= > >=), found {}",
            cursor.found()
        ))
    })
}

/// `[[assertion]]`: checks on the spans a selector selects, in every trace
/// (of one scenario, when given).
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion {
    /// Which spans.
    pub selector: Selector,
    /// Only traces of this scenario.
    pub scenario: Option<String>,
    /// All must hold.
    pub checks: Vec<Check>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_parse_and_errors_name_the_column() {
        assert_eq!(
            Check::parse("count >= 1").unwrap().kind,
            CheckKind::Count(Op::Ge, 1)
        );
        assert_eq!(
            Check::parse("duration < 1.5ms").unwrap().kind,
            CheckKind::Duration(Op::Lt, 1_500_000.0)
        );
        assert_eq!(
            Check::parse("event:order.saved not exists").unwrap().kind,
            CheckKind::Event("order.saved".into(), false)
        );
        for (text, column, words) in [
            ("cnt = 1", 1, "expected count"),
            ("count = -1", 9, "whole number"),
            ("duration < 5 parsecs", 12, "expected a duration"),
            ("event:x present", 9, "expected `exists`"),
            ("attr:a.b ~ 3", 10, "expected an operator"),
            ("status = broken", 10, "not one of"),
            ("count = 1 2", 11, "unexpected"),
        ] {
            let err = Check::parse(text).unwrap_err();
            assert_eq!(err.column(text), column, "{text}: {err:?}");
            assert!(err.message.contains(words), "{text}: {err:?}");
        }
    }
}

//! Span selectors, Tracetest-style: which spans of a trace an assertion or a
//! threshold is about.
//!
//! ```text
//! selector   = step { combinator step }
//! combinator = ">"                      the next step is a child of this one
//!            | whitespace               ... a descendant of this one
//! step       = "span" [ "[" { predicate } "]" ]      predicates separated by blanks
//! predicate  = field op value
//!            | field [ "not" ] "exists"
//!            | field ( "matches" | "glob" ) string   regex / glob (`*`, `?`) on text
//! field      = "service.name" | "name" | "kind" | "status" | attribute key
//! op         = "=" | "!=" | "<" | "<=" | ">" | ">="
//! value      = string | number | "true" | "false" | word    ("..." with \" and \\)
//! ```
//!
//! `span[service.name="order-api" name="POST /orders"] > span[name="save_order"]`
//! selects every `save_order` span whose parent is order-api's `POST /orders`.
//! `kind` is `server`, `client`, `internal`, `producer`, `consumer` or
//! `unspecified`; `status` is `unset`, `ok` or `error`. Numbers compare
//! across int and double; `<`, `<=`, `>`, `>=` need numbers; `!=` needs the
//! attribute present (as in the spec's `when` conditions).
//!
//! Everything the spec's other expressions (assertion checks, thresholds)
//! read goes through the same [`Cursor`], so the whole spec has one lexical
//! syntax and every error has a column.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::fmt;

use regex::Regex;

use super::Condition;
use crate::model::{AttrValue, Span, SpanId, SpanKind, StatusCode, Trace};

/// An expression that does not parse: the byte offset in it and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// Byte offset of the problem in the expression.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl ExprError {
    /// The 1-based column (in characters) of the problem in `text`.
    pub fn column(&self, text: &str) -> usize {
        text[..self.offset.min(text.len())].chars().count() + 1
    }
}

/// A position in an expression, and the small lexical pieces of the grammar.
pub(crate) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Cursor { text, pos: 0 }
    }

    pub(crate) fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    pub(crate) fn error(&self, message: impl Into<String>) -> ExprError {
        ExprError {
            offset: self.pos,
            message: message.into(),
        }
    }

    /// Skips blanks; whether there were any.
    pub(crate) fn blanks(&mut self) -> bool {
        let rest = self.rest();
        let trimmed = rest.trim_start();
        self.pos += rest.len() - trimmed.len();
        rest.len() != trimmed.len()
    }

    /// Consumes `token` (after blanks) when it comes next.
    pub(crate) fn eat(&mut self, token: &str) -> bool {
        let save = self.pos;
        self.blanks();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            self.pos = save;
            false
        }
    }

    /// Consumes `word` (after blanks) when it comes next as a whole word.
    pub(crate) fn eat_word(&mut self, word: &str) -> bool {
        let save = self.pos;
        self.blanks();
        let rest = self.rest();
        let whole = rest.starts_with(word)
            && !rest[word.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || "_.-:".contains(c));
        if whole {
            self.pos += word.len();
        } else {
            self.pos = save;
        }
        whole
    }

    pub(crate) fn expect(&mut self, token: &str) -> Result<(), ExprError> {
        if self.eat(token) {
            Ok(())
        } else {
            self.blanks();
            Err(self.error(format!("expected `{token}`, found {}", self.found())))
        }
    }

    /// What comes next, for error messages.
    pub(crate) fn found(&self) -> String {
        match self.rest().chars().next() {
            None => "the end".to_owned(),
            Some(_) => {
                let shown: String = self.rest().chars().take(12).collect();
                format!("`{shown}`")
            }
        }
    }

    /// Fails unless only blanks are left.
    pub(crate) fn end(&mut self) -> Result<(), ExprError> {
        self.blanks();
        if self.rest().is_empty() {
            Ok(())
        } else {
            Err(self.error(format!("unexpected {}", self.found())))
        }
    }

    /// A word: an attribute key, a keyword or a bare value (letters, digits, `_.-:/`).
    pub(crate) fn word(&mut self) -> Option<&'a str> {
        self.blanks();
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || "_.-:/".contains(c)))
            .unwrap_or(rest.len());
        (len > 0).then(|| {
            self.pos += len;
            &rest[..len]
        })
    }

    /// A double-quoted string with `\"` and `\\` escapes.
    pub(crate) fn string(&mut self) -> Result<Option<String>, ExprError> {
        if !self.eat("\"") {
            return Ok(None);
        }
        let start = self.pos - 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(Some(out));
                }
                '\\' => match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => out.push(e),
                    _ => {
                        self.pos += i;
                        return Err(self.error("only \\\" and \\\\ escapes are known"));
                    }
                },
                c => out.push(c),
            }
        }
        self.pos = start;
        Err(self.error("a string is not closed (missing `\"`)"))
    }

    /// A comparison operator.
    pub(crate) fn op(&mut self) -> Option<Op> {
        [
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ]
        .into_iter()
        .find_map(|(token, op)| self.eat(token).then_some(op))
    }

    /// A value: a string, a number, `true`/`false`, or a bare word (as a string).
    pub(crate) fn value(&mut self) -> Result<AttrValue, ExprError> {
        if let Some(s) = self.string()? {
            return Ok(AttrValue::Str(s));
        }
        let at = self.pos;
        let Some(word) = self.word() else {
            self.blanks();
            return Err(self.error(format!("expected a value, found {}", self.found())));
        };
        Ok(match word {
            "true" => AttrValue::Bool(true),
            "false" => AttrValue::Bool(false),
            _ => match (word.parse::<i64>(), word.parse::<f64>()) {
                (Ok(i), _) => AttrValue::Int(i),
                (_, Ok(f)) if word.starts_with(|c: char| c.is_ascii_digit() || c == '-') => {
                    AttrValue::Double(f)
                }
                _ if word.starts_with(|c: char| c.is_ascii_digit()) => {
                    self.pos = at;
                    self.blanks();
                    return Err(self.error(format!("`{word}` is not a number")));
                }
                _ => AttrValue::Str(word.to_owned()),
            },
        })
    }

    /// A number (int or float).
    pub(crate) fn number(&mut self) -> Result<f64, ExprError> {
        self.blanks();
        let at = self.pos;
        match self.value()? {
            v @ (AttrValue::Int(_) | AttrValue::Double(_)) => Ok(v.as_f64().unwrap_or(0.0)),
            _ => {
                self.pos = at;
                Err(self.error("expected a number"))
            }
        }
    }

    /// A duration such as `50ms`, `1.5s` or `250us`, in nanoseconds.
    pub(crate) fn duration_ns(&mut self) -> Result<f64, ExprError> {
        self.blanks();
        let at = self.pos;
        let word = self.word().unwrap_or_default();
        let digits = word
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(word.len());
        let scale = match &word[digits..] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            _ => 0.0,
        };
        match word[..digits].parse::<f64>() {
            Ok(n) if scale > 0.0 => Ok(n * scale),
            _ => {
                self.pos = at;
                Err(self.error(format!(
                    "expected a duration such as 50ms (ns, us, ms, s, m), found {}",
                    self.found()
                )))
            }
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Op {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    /// Whether `left op right` holds for numbers.
    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Op::Eq => left == right,
            Op::Ne => left != right,
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Gt => left > right,
            Op::Ge => left >= right,
        }
    }

    /// The [`Condition`] `op value` (ordering needs a number).
    pub(crate) fn condition(self, value: AttrValue) -> Result<Condition, NotANumber> {
        let number = || {
            value.as_f64().ok_or_else(|| NotANumber {
                op: self.symbol(),
                value: value.clone(),
            })
        };
        Ok(match self {
            Op::Eq => Condition::Eq(value),
            Op::Ne => Condition::Ne(value),
            Op::Lt => Condition::Lt(number()?),
            Op::Le => Condition::Le(number()?),
            Op::Gt => Condition::Gt(number()?),
            Op::Ge => Condition::Ge(number()?),
        })
    }
}

/// An ordering (`<`, `>=`, ...) compared with something that is not a number.
#[derive(Debug, thiserror::Error)]
#[error("`{op}` needs a number, not {value}")]
pub(crate) struct NotANumber {
    op: &'static str,
    value: AttrValue,
}

/// What a predicate reads from a span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// `service.name`
    Service,
    /// `name`
    Name,
    /// `kind`, as lower-case text
    Kind,
    /// `status`, as lower-case text
    Status,
    /// Any other key: a span attribute.
    Attribute(String),
}

impl Field {
    pub(crate) fn parse(word: &str) -> Field {
        match word {
            "service.name" => Field::Service,
            "name" => Field::Name,
            "kind" => Field::Kind,
            "status" => Field::Status,
            key => Field::Attribute(key.to_owned()),
        }
    }

    /// The field's value on a span (`None` for an absent attribute).
    pub fn read(&self, span: &Span) -> Option<AttrValue> {
        Some(match self {
            Field::Service => AttrValue::Str(span.service.clone()),
            Field::Name => AttrValue::Str(span.name.clone()),
            Field::Kind => AttrValue::Str(kind_name(span.kind).to_owned()),
            Field::Status => AttrValue::Str(status_name(span.status).to_owned()),
            Field::Attribute(key) => return span.attr(key).cloned(),
        })
    }

    /// The field's name as written.
    pub fn name(&self) -> &str {
        match self {
            Field::Service => "service.name",
            Field::Name => "name",
            Field::Kind => "kind",
            Field::Status => "status",
            Field::Attribute(key) => key,
        }
    }
}

/// `server`, `client`, ...: a kind as selectors spell it.
pub fn kind_name(kind: SpanKind) -> &'static str {
    match kind {
        SpanKind::Unspecified => "unspecified",
        SpanKind::Internal => "internal",
        SpanKind::Server => "server",
        SpanKind::Client => "client",
        SpanKind::Producer => "producer",
        SpanKind::Consumer => "consumer",
    }
}

/// `unset`, `ok` or `error`: a status as selectors spell it.
pub fn status_name(status: StatusCode) -> &'static str {
    match status {
        StatusCode::Unset => "unset",
        StatusCode::Ok => "ok",
        StatusCode::Error => "error",
    }
}

/// A text pattern: a regex (`matches`) or a glob (`glob`, compiled to an anchored regex).
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The pattern as written, with its operator (`matches "..."`).
    pub source: String,
    regex: Regex,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Pattern {
    /// Whether a value is text matching the pattern.
    pub fn holds(&self, value: Option<&AttrValue>) -> bool {
        value
            .and_then(AttrValue::as_str)
            .is_some_and(|s| self.regex.is_match(s))
    }
}

/// `*` any text, `?` one character, everything else literal.
fn glob_regex(glob: &str) -> String {
    let mut out = String::from("^");
    for c in glob.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c => out.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    out.push('$');
    out
}

/// A test of a value: a comparison, presence, or a pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `= != < <= > >=` and `exists` / `not exists`.
    Condition(Condition),
    /// `matches` / `glob`.
    Pattern(Pattern),
}

impl Test {
    /// Parses what follows a field or subject: an operator and a value,
    /// `[not] exists`, or `matches`/`glob` and a string.
    pub(crate) fn parse(cursor: &mut Cursor<'_>, field: Option<&Field>) -> Result<Test, ExprError> {
        if cursor.eat_word("exists") {
            return Ok(Test::Condition(Condition::Exists(true)));
        }
        if cursor.eat_word("not") {
            if cursor.eat_word("exists") {
                return Ok(Test::Condition(Condition::Exists(false)));
            }
            return Err(cursor.error("expected `exists` after `not`"));
        }
        for (word, glob) in [("matches", false), ("glob", true)] {
            if cursor.eat_word(word) {
                cursor.blanks();
                let at = cursor.pos;
                let Some(text) = cursor.string()? else {
                    return Err(cursor.error(format!("`{word}` needs a \"quoted\" pattern")));
                };
                let pattern = if glob {
                    glob_regex(&text)
                } else {
                    text.clone()
                };
                let regex = Regex::new(&pattern).map_err(|e| ExprError {
                    offset: at,
                    message: format!("bad regex: {e}"),
                })?;
                return Ok(Test::Pattern(Pattern {
                    source: format!("{word} {text:?}"),
                    regex,
                }));
            }
        }
        cursor.blanks();
        let at = cursor.pos;
        let Some(op) = cursor.op() else {
            return Err(cursor.error(format!(
                "expected an operator (= != < <= > >=, exists, matches, glob), found {}",
                cursor.found()
            )));
        };
        cursor.blanks();
        let value_at = cursor.pos;
        let mut value = cursor.value()?;
        if let (Some(Field::Kind | Field::Status), AttrValue::Str(text)) = (field, &mut value) {
            *text = text.to_lowercase();
            let known: &[&str] = if field == Some(&Field::Kind) {
                &[
                    "unspecified",
                    "internal",
                    "server",
                    "client",
                    "producer",
                    "consumer",
                ]
            } else {
                &["unset", "ok", "error"]
            };
            if !known.contains(&text.as_str()) {
                return Err(ExprError {
                    offset: value_at,
                    message: format!("`{text}` is not one of {}", known.join(", ")),
                });
            }
        }
        op.condition(value)
            .map(Test::Condition)
            .map_err(|e| ExprError {
                offset: at,
                message: e.to_string(),
            })
    }

    /// Whether a value (or its absence) passes the test.
    pub fn holds(&self, value: Option<&AttrValue>) -> bool {
        match self {
            Test::Condition(c) => c.holds(value),
            Test::Pattern(p) => p.holds(value),
        }
    }
}

/// One `field test` inside `span[...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Predicate {
    /// What is read from the span.
    pub field: Field,
    /// What it must be.
    pub test: Test,
}

/// How a step relates to the step before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// `A > B`: B's parent is an A.
    Child,
    /// `A B`: some ancestor of B is an A.
    Descendant,
}

/// One `span[...]` of a selector.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// How it relates to the previous step (`None` for the first).
    pub relation: Option<Relation>,
    /// All must hold.
    pub predicates: Vec<Predicate>,
}

impl Predicate {
    /// Whether a span satisfies the predicate; the span's own fields are
    /// compared in place (no copy), as selectors run on every span of every
    /// trace for thresholds.
    pub fn holds(&self, span: &Span) -> bool {
        let text = match &self.field {
            Field::Service => span.service.as_str(),
            Field::Name => span.name.as_str(),
            Field::Kind => kind_name(span.kind),
            Field::Status => status_name(span.status),
            Field::Attribute(key) => return self.test.holds(span.attr(key)),
        };
        match &self.test {
            Test::Pattern(p) => p.regex.is_match(text),
            Test::Condition(Condition::Eq(AttrValue::Str(s))) => s == text,
            Test::Condition(Condition::Ne(AttrValue::Str(s))) => s != text,
            Test::Condition(Condition::Exists(present)) => *present,
            // A number compared with text: never equal, never ordered.
            Test::Condition(Condition::Ne(_)) => true,
            Test::Condition(_) => false,
        }
    }
}

impl Step {
    fn matches(&self, span: &Span) -> bool {
        self.predicates.iter().all(|p| p.holds(span))
    }
}

/// A parsed selector; it selects the spans that match its last step and
/// whose ancestors match the steps before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    /// The selector as written (how failures name it).
    pub source: String,
    /// The steps, outermost first.
    pub steps: Vec<Step>,
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Selector {
    /// Parses a whole selector.
    pub fn parse(text: &str) -> Result<Selector, ExprError> {
        let mut cursor = Cursor::new(text);
        let selector = Selector::parse_at(&mut cursor)?;
        cursor.end()?;
        Ok(selector)
    }

    /// Parses a selector at the cursor, stopping at the first thing that
    /// cannot continue it (such as the `)` of a threshold).
    pub(crate) fn parse_at(cursor: &mut Cursor<'_>) -> Result<Selector, ExprError> {
        cursor.blanks();
        let start = cursor.pos;
        let mut steps = vec![Step::parse(cursor, None)?];
        loop {
            let relation = if cursor.eat(">") {
                Relation::Child
            } else {
                let save = cursor.pos;
                if cursor.blanks() && cursor.rest().starts_with("span") {
                    Relation::Descendant
                } else {
                    cursor.pos = save;
                    break;
                }
            };
            steps.push(Step::parse(cursor, Some(relation))?);
        }
        Ok(Selector {
            source: cursor.text[start..cursor.pos].to_owned(),
            steps,
        })
    }

    /// The indices of the spans of `trace` this selector selects, in trace order.
    pub fn select<'t>(&'t self, view: &'t TraceView<'_>) -> impl Iterator<Item = usize> + 't {
        let last = self.steps.len() - 1;
        (0..view.trace.spans.len()).filter(move |&i| self.matches_at(view, last, i))
    }

    /// Whether span `index` matches step `step` with its ancestors matching the steps before.
    fn matches_at(&self, view: &TraceView<'_>, step: usize, index: usize) -> bool {
        let this = &self.steps[step];
        if !this.matches(&view.trace.spans[index]) {
            return false;
        }
        match this.relation {
            None => true,
            Some(Relation::Child) => view
                .parent(index)
                .is_some_and(|p| self.matches_at(view, step - 1, p)),
            Some(Relation::Descendant) => view
                .ancestors(index)
                .any(|a| self.matches_at(view, step - 1, a)),
        }
    }
}

impl Step {
    fn parse(cursor: &mut Cursor<'_>, relation: Option<Relation>) -> Result<Step, ExprError> {
        if !cursor.eat_word("span") {
            cursor.blanks();
            return Err(cursor.error(format!("expected `span`, found {}", cursor.found())));
        }
        let mut predicates = Vec::new();
        if cursor.rest().starts_with('[') {
            cursor.pos += 1;
            while !cursor.eat("]") {
                cursor.blanks();
                let Some(word) = cursor.word() else {
                    let what = if cursor.rest().is_empty() {
                        "`]` to close `span[`".to_owned()
                    } else {
                        "a field (service.name, name, kind, status or an attribute key)".to_owned()
                    };
                    return Err(cursor.error(format!("expected {what}, found {}", cursor.found())));
                };
                let field = Field::parse(word);
                let test = Test::parse(cursor, Some(&field))?;
                predicates.push(Predicate { field, test });
            }
        }
        Ok(Step {
            relation,
            predicates,
        })
    }
}

/// A trace with its parent links, computed once and only when a selector
/// with more than one step needs them.
pub struct TraceView<'a> {
    /// The trace.
    pub trace: &'a Trace,
    parents: OnceCell<Vec<Option<usize>>>,
}

impl<'a> TraceView<'a> {
    /// A view of a trace.
    pub fn new(trace: &'a Trace) -> Self {
        TraceView {
            trace,
            parents: OnceCell::new(),
        }
    }

    fn parent(&self, index: usize) -> Option<usize> {
        self.parents.get_or_init(|| {
            let spans = &self.trace.spans;
            let mut by_id: HashMap<SpanId, usize> = HashMap::with_capacity(spans.len());
            for (i, span) in spans.iter().enumerate() {
                by_id.entry(span.span_id).or_insert(i);
            }
            spans
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    s.parent
                        .and_then(|p| by_id.get(&p).copied())
                        .filter(|&p| p != i)
                })
                .collect()
        })[index]
    }

    /// Parent, grandparent, ...; stops after as many steps as there are
    /// spans, so a parent cycle cannot loop.
    fn ancestors(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        let mut current = index;
        (0..self.trace.spans.len()).map_while(move |_| {
            current = self.parent(current)?;
            Some(current)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_column() {
        for (text, column, words) in [
            ("span[name=\"a\"", 14, "`]`"),
            ("span[name=]", 11, "expected a value"),
            ("span[name ~ \"a\"]", 11, "expected an operator"),
            ("spam", 1, "expected `span`"),
            ("span[kind=serv]", 11, "not one of"),
            ("span[x < \"a\"]", 8, "needs a number"),
            ("span[name matches \"(\"]", 19, "bad regex"),
            ("span > ", 8, "expected `span`"),
            ("span[name=\"a]", 11, "not closed"),
        ] {
            let err = Selector::parse(text).unwrap_err();
            assert_eq!(err.column(text), column, "{text}: {err:?}");
            assert!(err.message.contains(words), "{text}: {err:?}");
        }
    }

    #[test]
    fn parses_steps_relations_and_predicates() {
        let s = Selector::parse(
            "span[service.name=\"order-api\" name=\"POST /orders\"] > span[name glob \"save_*\"]  span[order.id exists kind=internal]",
        )
        .unwrap();
        assert_eq!(s.steps.len(), 3);
        assert_eq!(s.steps[1].relation, Some(Relation::Child));
        assert_eq!(s.steps[2].relation, Some(Relation::Descendant));
        assert_eq!(s.steps[0].predicates[0].field, Field::Service);
        assert_eq!(
            s.steps[2].predicates[1].test,
            Test::Condition(Condition::Eq(AttrValue::Str("internal".into())))
        );
        assert_eq!(Selector::parse("span").unwrap().steps[0].predicates, vec![]);
    }
}

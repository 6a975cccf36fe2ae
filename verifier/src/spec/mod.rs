//! The declarative contract the verifier checks: a TOML file (see
//! `specs/order-payment.toml`, the shipped default, and the README) read into
//! a validated [`Spec`]. Every problem in a spec is reported with the line it is on.

mod assertion;
mod raw;
mod selector;
mod threshold;
mod validate;

pub use assertion::{Assertion, Check, CheckKind};
pub use selector::{
    ExprError, Field, Op, Pattern, Predicate, Relation, Selector, Step, Test, TraceView, kind_name,
    status_name,
};
pub use threshold::{Metric, Stat, Threshold};

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::model::{AttrValue, Span, SpanKind};

/// The shipped order/payment contract (docs/CONTRACT.md).
pub const CONTRACT_TOML: &str = include_str!("../../specs/order-payment.toml");

/// A spec that cannot be used, with where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "spec {origin}{}{}: {message}",
    line.map(|l| format!(", line {l}")).unwrap_or_default(),
    column.map(|c| format!(", column {c}")).unwrap_or_default()
)]
pub struct SpecError {
    /// The file (or "built-in order-payment contract").
    pub origin: String,
    /// 1-based line of the problem, when known.
    pub line: Option<usize>,
    /// 1-based column of the problem, when known (errors inside selectors,
    /// checks and thresholds).
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// The type an attribute must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttrType {
    /// A string.
    String,
    /// A 64-bit integer.
    Int,
    /// A double.
    Double,
    /// An int or a double.
    Number,
    /// A boolean.
    Bool,
    /// Bytes.
    Bytes,
    /// Any type (presence only).
    Any,
}

impl AttrType {
    /// The type's name, as specs spell it.
    pub fn name(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Int => "int",
            AttrType::Double => "double",
            AttrType::Number => "number",
            AttrType::Bool => "bool",
            AttrType::Bytes => "bytes",
            AttrType::Any => "any",
        }
    }

    /// Whether a value has this type.
    pub fn accepts(self, value: &AttrValue) -> bool {
        matches!(
            (self, value),
            (AttrType::Any, _)
                | (AttrType::String, AttrValue::Str(_))
                | (AttrType::Int | AttrType::Number, AttrValue::Int(_))
                | (AttrType::Double | AttrType::Number, AttrValue::Double(_))
                | (AttrType::Bool, AttrValue::Bool(_))
                | (AttrType::Bytes, AttrValue::Bytes(_))
        )
    }
}

/// What one attribute must be.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrRequirement {
    /// Attribute key.
    pub key: String,
    /// Required type, if any.
    pub ty: Option<AttrType>,
    /// Required value, if any.
    pub value: Option<AttrValue>,
    /// Only checked when present.
    pub optional: bool,
}

/// Which spans a rule or a classification condition is about.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpanSelector {
    /// Service name, if constrained.
    pub service: Option<String>,
    /// Span kind, if constrained.
    pub kind: Option<SpanKind>,
    /// Span name, if constrained.
    pub name: Option<String>,
}

/// Requirements on every span that matches a selector, in any trace.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanRule {
    /// Which spans.
    pub selector: SpanSelector,
    /// Only spans whose status is (`true`) or is not (`false`) ERROR.
    pub error: Option<bool>,
    /// Attribute requirements.
    pub attributes: Vec<AttrRequirement>,
    /// An ERROR status must carry a description.
    pub status_message: bool,
}

/// One test of an attribute in a classification condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Present (`true`) or absent (`false`).
    Exists(bool),
    /// Equal to the value (numbers compare across int and double).
    Eq(AttrValue),
    /// Present and not equal to the value.
    Ne(AttrValue),
    /// A number below the bound.
    Lt(f64),
    /// A number at most the bound.
    Le(f64),
    /// A number above the bound.
    Gt(f64),
    /// A number at least the bound.
    Ge(f64),
}

/// A classification rule: some span matching `selector` satisfies every condition.
#[derive(Debug, Clone, PartialEq)]
pub struct When {
    /// The span to look at.
    pub selector: SpanSelector,
    /// Attribute conditions, all of which must hold.
    pub conditions: Vec<(String, Condition)>,
}

/// A required event on an expected span.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedEvent {
    /// Event name.
    pub name: String,
    /// Attribute requirements on the event.
    pub attributes: Vec<AttrRequirement>,
}

/// One span of a scenario's expected tree.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedSpan {
    /// The id children refer to.
    pub id: String,
    /// Index of the parent in [`Scenario::spans`]; `None` for the root.
    pub parent: Option<usize>,
    /// Indices of the children in [`Scenario::spans`].
    pub children: Vec<usize>,
    /// Service name.
    pub service: String,
    /// Span kind.
    pub kind: SpanKind,
    /// Span name.
    pub name: String,
    /// Whether the status must be ERROR (`true`) or must not be (`false`).
    pub error: bool,
    /// Required `http.response.status_code`.
    pub http_status: Option<i64>,
    /// Attribute requirements.
    pub attributes: Vec<AttrRequirement>,
    /// Required events.
    pub events: Vec<ExpectedEvent>,
}

impl ExpectedSpan {
    /// `service KIND name`, as span trees print it.
    pub fn describe(&self) -> String {
        format!("{} {} {}", self.service, self.kind.label(), self.name)
    }
}

/// One kind of request and the trace it must produce.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Scenario name (what `loadgen.scenario` and the manifest call it).
    pub name: String,
    /// How to recognise it without the scenario attribute (any one suffices).
    pub when: Vec<When>,
    /// The expected spans, parents before children; index 0 is the root.
    pub spans: Vec<ExpectedSpan>,
    /// The root may be absent, its only child then being the trace's root.
    pub optional_root: bool,
}

/// A validated spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// The spec's name.
    pub name: String,
    /// What it describes.
    pub description: Option<String>,
    /// Services searched by default.
    pub services: Vec<String>,
    /// How far a child may start before, or end after, its parent.
    pub clock_skew: Duration,
    /// The span attribute naming a trace's scenario.
    pub scenario_attribute: Option<String>,
    /// Rules for every span.
    pub span_rules: Vec<SpanRule>,
    /// Scenarios, in classification order.
    pub scenarios: Vec<Scenario>,
    /// Checks on selected spans in every trace (`[[assertion]]`).
    pub assertions: Vec<Assertion>,
    /// Run-wide bounds (`[[threshold]]`).
    pub thresholds: Vec<Threshold>,
}

impl Spec {
    /// The shipped order/payment contract, read by the same code as `--spec FILE`.
    pub fn contract() -> Spec {
        Spec::from_toml(CONTRACT_TOML, "built-in order-payment contract")
            .expect("the built-in spec is valid (tested by spec::tests)")
    }

    /// Reads a spec file.
    pub fn from_file(path: &Path) -> Result<Spec, SpecError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SpecError {
            origin: origin.clone(),
            line: None,
            column: None,
            message: format!("cannot read: {e}"),
        })?;
        Spec::from_toml(&text, &origin)
    }

    /// Parses and validates spec text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Spec, SpecError> {
        validate::parse(text, origin)
    }

    /// The scenario of that name.
    pub fn scenario(&self, name: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.name == name)
    }
}

/// The attribute `http_status` stands for.
pub const HTTP_STATUS: &str = "http.response.status_code";

impl SpanSelector {
    /// Whether a span matches every constraint given.
    pub fn matches(&self, span: &Span) -> bool {
        self.service.as_ref().is_none_or(|s| *s == span.service)
            && self.kind.is_none_or(|k| k == span.kind)
            && self.name.as_ref().is_none_or(|n| *n == span.name)
    }
}

impl Condition {
    /// Whether an attribute (or its absence) satisfies the condition.
    pub fn holds(&self, value: Option<&AttrValue>) -> bool {
        let number = value.and_then(AttrValue::as_f64);
        match self {
            Condition::Exists(wanted) => value.is_some() == *wanted,
            Condition::Eq(expected) => value.is_some_and(|v| v.loosely_equals(expected)),
            Condition::Ne(expected) => value.is_some_and(|v| !v.loosely_equals(expected)),
            Condition::Lt(bound) => number.is_some_and(|n| n < *bound),
            Condition::Le(bound) => number.is_some_and(|n| n <= *bound),
            Condition::Gt(bound) => number.is_some_and(|n| n > *bound),
            Condition::Ge(bound) => number.is_some_and(|n| n >= *bound),
        }
    }
}

#[cfg(test)]
mod tests;

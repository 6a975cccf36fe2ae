//! The declarative contract the verifier checks: a TOML file (see
//! `specs/order-payment.toml`, the shipped default, and the README) read into
//! a validated [`Spec`]. Every problem in a spec is reported with the line it is on.

mod raw;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::model::{AttrValue, Span, SpanKind};
use raw::{RawCondition, RawEvent, RawScenario, RawSpan, RawSpec};

/// The shipped order/payment contract (docs/CONTRACT.md).
pub const CONTRACT_TOML: &str = include_str!("../../specs/order-payment.toml");

/// A spec that cannot be used, with where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("spec {origin}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct SpecError {
    /// The file (or "built-in order-payment contract").
    pub origin: String,
    /// 1-based line of the problem, when known.
    pub line: Option<usize>,
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
            message: format!("cannot read: {e}"),
        })?;
        Spec::from_toml(&text, &origin)
    }

    /// Parses and validates spec text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Spec, SpecError> {
        let ctx = Ctx { text, origin };
        let raw: RawSpec = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_owned();
            ctx.error(e.span().map(|s| s.start), message)
        })?;
        ctx.validate(raw)
    }

    /// The scenario of that name.
    pub fn scenario(&self, name: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.name == name)
    }
}

/// Source text and name, for errors with line numbers.
struct Ctx<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Ctx<'_> {
    fn error(&self, offset: Option<usize>, message: impl Into<String>) -> SpecError {
        let before = |o: usize| &self.text.as_bytes()[..o.min(self.text.len())];
        let line = offset.map(|o| before(o).iter().filter(|&&b| b == b'\n').count() + 1);
        SpecError {
            origin: self.origin.to_owned(),
            line,
            message: message.into(),
        }
    }

    fn at<T>(&self, spanned: &Spanned<T>, message: impl Into<String>) -> SpecError {
        self.error(Some(spanned.span().start), message)
    }

    fn validate(&self, raw: RawSpec) -> Result<Spec, SpecError> {
        if raw.name.trim().is_empty() {
            return Err(self.error(None, "`name` is empty"));
        }
        if raw.services.get_ref().is_empty() {
            return Err(self.at(
                &raw.services,
                "`services` is empty: name at least one service to search",
            ));
        }
        let clock_skew = match &raw.clock_skew {
            None => Duration::from_millis(10),
            Some(text) => humantime::parse_duration(text.get_ref())
                .map_err(|e| self.at(text, format!("clock_skew `{}`: {e}", text.get_ref())))?,
        };
        let span_rules = raw
            .span_rules
            .into_iter()
            .map(|rule| {
                Ok(SpanRule {
                    selector: SpanSelector {
                        service: rule.service,
                        kind: rule.kind,
                        name: rule.name,
                    },
                    error: rule.error,
                    attributes: self.requirements(
                        &rule.attributes,
                        &BTreeMap::new(),
                        &rule.values,
                    )?,
                    status_message: rule.status_message,
                })
            })
            .collect::<Result<_, SpecError>>()?;
        if raw.scenarios.is_empty() {
            return Err(self.error(None, "the spec defines no [[scenario]]"));
        }
        let mut scenarios: Vec<Scenario> = Vec::with_capacity(raw.scenarios.len());
        for scenario in raw.scenarios {
            if scenarios.iter().any(|s| &s.name == scenario.name.get_ref()) {
                return Err(self.at(
                    &scenario.name,
                    format!("scenario `{}` is defined twice", scenario.name.get_ref()),
                ));
            }
            scenarios.push(self.scenario(scenario)?);
        }
        Ok(Spec {
            name: raw.name,
            description: raw.description,
            services: raw.services.into_inner(),
            clock_skew,
            scenario_attribute: raw.scenario_attribute.filter(|a| !a.is_empty()),
            span_rules,
            scenarios,
        })
    }

    fn scenario(&self, raw: RawScenario) -> Result<Scenario, SpecError> {
        let name = raw.name.get_ref().clone();
        if name.trim().is_empty() {
            return Err(self.at(&raw.name, "a scenario has an empty name"));
        }
        if raw.span.is_empty() {
            return Err(self.at(
                &raw.name,
                format!("scenario `{name}` has no [[scenario.span]]"),
            ));
        }
        let when = raw
            .when
            .into_iter()
            .map(|w| {
                let conditions = w
                    .conditions
                    .iter()
                    .map(|(key, cond)| {
                        Ok(self.conditions(cond)?.into_iter().map(|c| (key.clone(), c)))
                    })
                    .collect::<Result<Vec<_>, SpecError>>()?
                    .into_iter()
                    .flatten()
                    .collect();
                Ok(When {
                    selector: SpanSelector {
                        service: w.service,
                        kind: w.kind,
                        name: Some(w.span),
                    },
                    conditions,
                })
            })
            .collect::<Result<_, SpecError>>()?;
        let (spans, optional_root) = self.tree(&name, raw.span)?;
        Ok(Scenario {
            name,
            when,
            spans,
            optional_root,
        })
    }

    /// Orders the spans parents-first from the single root and checks ids and parents.
    fn tree(
        &self,
        scenario: &str,
        raw: Vec<RawSpan>,
    ) -> Result<(Vec<ExpectedSpan>, bool), SpecError> {
        let mut ids: HashMap<&str, usize> = HashMap::new();
        for (i, span) in raw.iter().enumerate() {
            if span.id.get_ref().is_empty() {
                return Err(self.at(
                    &span.id,
                    format!("scenario `{scenario}`: a span has an empty id"),
                ));
            }
            if ids.insert(span.id.get_ref(), i).is_some() {
                return Err(self.at(
                    &span.id,
                    format!(
                        "scenario `{scenario}`: span id `{}` is used twice",
                        span.id.get_ref()
                    ),
                ));
            }
        }
        let mut root = None;
        let mut raw_parent = vec![None; raw.len()];
        for (i, span) in raw.iter().enumerate() {
            match &span.parent {
                None if root.is_some() => {
                    return Err(self.at(
                        &span.id,
                        format!("scenario `{scenario}`: span `{}` has no parent, but the tree already has a root", span.id.get_ref()),
                    ));
                }
                None => root = Some(i),
                Some(parent) => match ids.get(parent.get_ref().as_str()) {
                    Some(&p) if p == i => {
                        return Err(self.at(
                            parent,
                            format!(
                                "scenario `{scenario}`: span `{}` is its own parent",
                                span.id.get_ref()
                            ),
                        ));
                    }
                    Some(&p) => raw_parent[i] = Some(p),
                    None => {
                        return Err(self.at(
                            parent,
                            format!("scenario `{scenario}`: span `{}` names parent `{}`, which is not defined", span.id.get_ref(), parent.get_ref()),
                        ));
                    }
                },
            }
        }
        let Some(root) = root else {
            return Err(self.at(
                &raw[0].id,
                format!("scenario `{scenario}`: no span is the root (every span has a parent)"),
            ));
        };
        // Breadth-first from the root: parents come before children.
        let mut order = vec![root];
        let mut next = 0;
        while next < order.len() {
            let current = order[next];
            order.extend((0..raw.len()).filter(|&i| raw_parent[i] == Some(current)));
            next += 1;
        }
        if let Some(lost) = (0..raw.len()).find(|i| !order.contains(i)) {
            return Err(self.at(
                &raw[lost].id,
                format!(
                    "scenario `{scenario}`: span `{}` is not below the root (a parent cycle)",
                    raw[lost].id.get_ref()
                ),
            ));
        }
        let position: Vec<usize> = {
            let mut pos = vec![0; raw.len()];
            for (new, &old) in order.iter().enumerate() {
                pos[old] = new;
            }
            pos
        };
        for (i, span) in raw.iter().enumerate() {
            if let Some(optional) = span.optional.as_ref().filter(|o| *o.get_ref()) {
                if i != root {
                    return Err(self.at(
                        optional,
                        format!(
                            "scenario `{scenario}`: only the root may be optional, not `{}`",
                            span.id.get_ref()
                        ),
                    ));
                }
                if raw_parent.iter().filter(|p| **p == Some(root)).count() != 1 {
                    return Err(self.at(
                        optional,
                        format!("scenario `{scenario}`: an optional root needs exactly one child"),
                    ));
                }
            }
        }
        let optional_root = raw[root].optional.as_ref().is_some_and(|o| *o.get_ref());
        let mut spans = Vec::with_capacity(raw.len());
        let mut raw = raw.into_iter().map(Some).collect::<Vec<_>>();
        for &old in &order {
            let Some(span) = raw[old].take() else {
                continue;
            };
            let attributes =
                self.requirements(&span.attributes, &span.optional_attributes, &span.values)?;
            let events = span
                .event
                .into_iter()
                .map(|e| self.event(e))
                .collect::<Result<_, _>>()?;
            spans.push(ExpectedSpan {
                id: span.id.into_inner(),
                parent: raw_parent[old].map(|p| position[p]),
                children: (0..raw_parent.len())
                    .filter(|&c| raw_parent[c] == Some(old))
                    .map(|c| position[c])
                    .collect(),
                service: span.service,
                kind: span.kind,
                name: span.name,
                error: span.error,
                http_status: span.http_status,
                attributes,
                events,
            });
        }
        Ok((spans, optional_root))
    }

    fn event(&self, raw: RawEvent) -> Result<ExpectedEvent, SpecError> {
        Ok(ExpectedEvent {
            attributes: self.requirements(&raw.attributes, &BTreeMap::new(), &raw.values)?,
            name: raw.name,
        })
    }

    fn requirements(
        &self,
        required: &BTreeMap<String, AttrType>,
        optional: &BTreeMap<String, AttrType>,
        values: &BTreeMap<String, Spanned<toml::Value>>,
    ) -> Result<Vec<AttrRequirement>, SpecError> {
        let mut out: Vec<AttrRequirement> = required
            .iter()
            .map(|(key, ty)| AttrRequirement {
                key: key.clone(),
                ty: Some(*ty),
                value: None,
                optional: false,
            })
            .collect();
        for (key, ty) in optional {
            if required.contains_key(key) {
                return Err(self.error(
                    None,
                    format!("attribute `{key}` is both required and optional"),
                ));
            }
            out.push(AttrRequirement {
                key: key.clone(),
                ty: Some(*ty),
                value: None,
                optional: true,
            });
        }
        for (key, value) in values {
            let value = self.value(value)?;
            match out.iter_mut().find(|r| &r.key == key) {
                Some(existing) => existing.value = Some(value),
                None => out.push(AttrRequirement {
                    key: key.clone(),
                    ty: None,
                    value: Some(value),
                    optional: false,
                }),
            }
        }
        Ok(out)
    }

    fn value(&self, value: &Spanned<toml::Value>) -> Result<AttrValue, SpecError> {
        convert_value(value.get_ref()).ok_or_else(|| {
            self.at(
                value,
                "a value must be a string, an integer, a float or a boolean",
            )
        })
    }

    fn conditions(&self, raw: &Spanned<RawCondition>) -> Result<Vec<Condition>, SpecError> {
        let r = raw.get_ref();
        let value = |v: &Option<toml::Value>| -> Result<Option<AttrValue>, SpecError> {
            v.as_ref()
                .map(|v| {
                    convert_value(v).ok_or_else(|| {
                        self.at(raw, "`eq`/`ne` must be a string, a number or a boolean")
                    })
                })
                .transpose()
        };
        let mut out = Vec::new();
        out.extend(r.exists.map(Condition::Exists));
        out.extend(value(&r.eq)?.map(Condition::Eq));
        out.extend(value(&r.ne)?.map(Condition::Ne));
        out.extend(r.lt.map(Condition::Lt));
        out.extend(r.le.map(Condition::Le));
        out.extend(r.gt.map(Condition::Gt));
        out.extend(r.ge.map(Condition::Ge));
        if out.is_empty() {
            return Err(self.at(
                raw,
                "a condition needs one of exists, eq, ne, lt, le, gt, ge",
            ));
        }
        Ok(out)
    }
}

/// The attribute `http_status` stands for.
pub const HTTP_STATUS: &str = "http.response.status_code";

fn convert_value(value: &toml::Value) -> Option<AttrValue> {
    Some(match value {
        toml::Value::String(s) => AttrValue::Str(s.clone()),
        toml::Value::Integer(i) => AttrValue::Int(*i),
        toml::Value::Float(f) => AttrValue::Double(*f),
        toml::Value::Boolean(b) => AttrValue::Bool(*b),
        _ => return None,
    })
}

#[cfg(test)]
mod tests;

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

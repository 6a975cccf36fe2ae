//! Validation of a spec as written ([`super::raw`]) into a [`Spec`]: ids,
//! parents, the tree's order, attribute requirements and conditions, each
//! problem reported with its line.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use toml::Spanned;

use super::raw::{
    RawAssertion, RawCondition, RawEvent, RawScenario, RawSpan, RawSpec, RawThreshold,
};
use super::{
    Assertion, AttrRequirement, AttrType, Check, Condition, ExpectedEvent, ExpectedSpan, ExprError,
    Scenario, Selector, SpanRule, SpanSelector, Spec, SpecError, Threshold, When,
};
use crate::model::AttrValue;

/// Parses and validates spec text; `origin` names it in errors.
pub(super) fn parse(text: &str, origin: &str) -> Result<Spec, SpecError> {
    let ctx = Ctx { text, origin };
    let raw: RawSpec = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().to_owned();
        ctx.error(e.span().map(|s| s.start), message)
    })?;
    ctx.validate(raw)
}

/// Source text and name, for errors with line numbers.
struct Ctx<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Ctx<'_> {
    fn error(&self, offset: Option<usize>, message: impl Into<String>) -> SpecError {
        let line = offset.map(|o| cli_support::position(self.text, o).line);
        SpecError {
            origin: self.origin.to_owned(),
            line,
            column: None,
            message: message.into(),
        }
    }

    /// An error inside an expression written as a TOML string: the line and
    /// column of the offending character in the file (exact for strings
    /// without escapes, such as the '...' literal strings the docs use).
    fn in_expr(&self, expr: &Spanned<String>, what: &str, error: ExprError) -> SpecError {
        let text = expr.get_ref();
        let quote = self.text.as_bytes().get(expr.span().start).copied();
        let opening = match quote {
            Some(b'"' | b'\'') => 1,
            _ => 0,
        };
        let offset = expr.span().start + opening + error.offset.min(text.len());
        SpecError {
            column: Some(cli_support::position(self.text, offset).column),
            ..self.error(
                Some(offset),
                format!(
                    "{what} `{text}`, column {}: {}",
                    error.column(text),
                    error.message
                ),
            )
        }
    }

    fn scenario_filter(
        &self,
        scenario: Option<Spanned<String>>,
        known: &[Scenario],
    ) -> Result<Option<String>, SpecError> {
        match scenario {
            Some(s) if !known.iter().any(|k| &k.name == s.get_ref()) => {
                Err(self.at(&s, format!("scenario `{}` is not defined", s.get_ref())))
            }
            s => Ok(s.map(Spanned::into_inner)),
        }
    }

    fn assertion(&self, raw: RawAssertion, known: &[Scenario]) -> Result<Assertion, SpecError> {
        let selector = Selector::parse(raw.selector.get_ref())
            .map_err(|e| self.in_expr(&raw.selector, "selector", e))?;
        if raw.checks.get_ref().is_empty() {
            return Err(self.at(&raw.checks, "an assertion needs at least one check"));
        }
        let checks = raw
            .checks
            .get_ref()
            .iter()
            .map(|c| Check::parse(c.get_ref()).map_err(|e| self.in_expr(c, "check", e)))
            .collect::<Result<_, _>>()?;
        Ok(Assertion {
            selector,
            scenario: self.scenario_filter(raw.scenario, known)?,
            checks,
        })
    }

    fn threshold(&self, raw: RawThreshold, known: &[Scenario]) -> Result<Threshold, SpecError> {
        let scenario = self.scenario_filter(raw.scenario, known)?;
        Threshold::parse(raw.check.get_ref(), scenario)
            .map_err(|e| self.in_expr(&raw.check, "threshold", e))
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
        let assertions = raw
            .assertions
            .into_iter()
            .map(|a| self.assertion(a, &scenarios))
            .collect::<Result<_, _>>()?;
        let thresholds = raw
            .thresholds
            .into_iter()
            .map(|t| self.threshold(t, &scenarios))
            .collect::<Result<_, _>>()?;
        Ok(Spec {
            assertions,
            thresholds,
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

fn convert_value(value: &toml::Value) -> Option<AttrValue> {
    Some(match value {
        toml::Value::String(s) => AttrValue::Str(s.clone()),
        toml::Value::Integer(i) => AttrValue::Int(*i),
        toml::Value::Float(f) => AttrValue::Double(*f),
        toml::Value::Boolean(b) => AttrValue::Bool(*b),
        _ => return None,
    })
}

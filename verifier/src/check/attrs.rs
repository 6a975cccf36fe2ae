//! Attribute, event, status and HTTP status checks on single spans.

use std::collections::HashSet;

use super::{Finding, Rule, describe};
use crate::model::{AttrValue, Attributes, Span, StatusCode, attr};
use crate::spec::{AttrRequirement, ExpectedSpan, HTTP_STATUS, SpanRule};

/// Attribute problems already reported, so that a key required twice (by a
/// span rule and by the scenario) is reported once. A set: a trace may have
/// a problem on each of its spans.
#[derive(Default)]
pub(super) struct Reported {
    attributes: HashSet<(usize, String)>,
}

impl Reported {
    /// Records a problem; `false` when it was already reported.
    fn first(&mut self, span: usize, key: &str) -> bool {
        self.attributes.insert((span, key.to_owned()))
    }
}

/// Applies every span rule whose selector matches the span.
pub(super) fn apply_span_rules(
    rules: &[SpanRule],
    index: usize,
    span: &Span,
    reported: &mut Reported,
    findings: &mut Vec<Finding>,
) {
    let is_error = span.status == StatusCode::Error;
    for rule in rules {
        if !rule.selector.matches(span) || rule.error.is_some_and(|e| e != is_error) {
            continue;
        }
        check_attributes(&rule.attributes, index, span, reported, findings);
        if rule.status_message && is_error && span.status_message.is_empty() {
            findings.push(Finding {
                rule: Rule::ErrorStatus,
                span_id: Some(span.span_id),
                message: format!("{} has status ERROR without a description", describe(span)),
            });
        }
    }
}

/// Checks a span against what its scenario expects of it.
pub(super) fn check_expected(
    expected: &ExpectedSpan,
    index: usize,
    span: &Span,
    reported: &mut Reported,
    findings: &mut Vec<Finding>,
) {
    let is_error = span.status == StatusCode::Error;
    if is_error != expected.error {
        let message = if expected.error {
            format!(
                "{} has status {}; the contract has ERROR here",
                describe(span),
                span.status.label()
            )
        } else if span.status_message.is_empty() {
            format!(
                "{} has status ERROR; the contract has none here",
                describe(span)
            )
        } else {
            format!(
                "{} has status ERROR ({}); the contract has none here",
                describe(span),
                span.status_message
            )
        };
        findings.push(Finding {
            rule: Rule::ErrorStatus,
            span_id: Some(span.span_id),
            message,
        });
    }
    if let Some(code) = expected.http_status {
        match span.attr(HTTP_STATUS) {
            Some(value) if value.loosely_equals(&AttrValue::Int(code)) => {}
            Some(value) => findings.push(Finding {
                rule: Rule::HttpStatus,
                span_id: Some(span.span_id),
                message: format!(
                    "{} has {HTTP_STATUS} = {value}, expected {code}",
                    describe(span)
                ),
            }),
            None if reported.first(index, HTTP_STATUS) => findings.push(Finding {
                rule: Rule::Attributes,
                span_id: Some(span.span_id),
                message: format!("{} lacks {HTTP_STATUS} (expected {code})", describe(span)),
            }),
            None => {}
        }
    }
    check_attributes(&expected.attributes, index, span, reported, findings);
    for event in &expected.events {
        let Some(actual) = span.events.iter().find(|e| e.name == event.name) else {
            findings.push(Finding {
                rule: Rule::Events,
                span_id: Some(span.span_id),
                message: format!("{} lacks the event `{}`", describe(span), event.name),
            });
            continue;
        };
        for requirement in &event.attributes {
            if let Some(problem) = problem(requirement, &actual.attributes) {
                findings.push(Finding {
                    rule: Rule::Events,
                    span_id: Some(span.span_id),
                    message: format!("{}: event `{}` {problem}", describe(span), event.name),
                });
            }
        }
    }
}

fn check_attributes(
    requirements: &[AttrRequirement],
    index: usize,
    span: &Span,
    reported: &mut Reported,
    findings: &mut Vec<Finding>,
) {
    for requirement in requirements {
        if let Some(problem) = problem(requirement, &span.attributes)
            && reported.first(index, &requirement.key)
        {
            findings.push(Finding {
                rule: Rule::Attributes,
                span_id: Some(span.span_id),
                message: format!("{} {problem}", describe(span)),
            });
        }
    }
}

/// What is wrong with an attribute list against one requirement, if anything.
fn problem(requirement: &AttrRequirement, attributes: &Attributes) -> Option<String> {
    let key = &requirement.key;
    match attr(attributes, key) {
        None if requirement.optional => None,
        None => Some(match (&requirement.value, requirement.ty) {
            (Some(value), _) => format!("lacks {key} (expected {value})"),
            (None, Some(ty)) => format!("lacks {key} ({})", ty.name()),
            (None, None) => format!("lacks {key}"),
        }),
        Some(value) => {
            if let Some(ty) = requirement.ty.filter(|ty| !ty.accepts(value)) {
                return Some(format!(
                    "has {key} = {value} of type {}, expected {}",
                    value.type_name(),
                    ty.name()
                ));
            }
            match &requirement.value {
                Some(expected) if !value.loosely_equals(expected) => {
                    Some(format!("has {key} = {value}, expected {expected}"))
                }
                _ => None,
            }
        }
    }
}

//! The spec's `[[assertion]]`s on one trace: each check on what its selector
//! selects. A failure names the selector, the check, the observed value and
//! the span.

use super::{Finding, Rule, describe};
use crate::model::{Span, Trace};
use crate::spec::{Assertion, Check, CheckKind, TraceView};

/// Applies every assertion that concerns the trace's scenario.
pub(super) fn check(
    assertions: &[Assertion],
    trace: &Trace,
    scenario: Option<&str>,
    findings: &mut Vec<Finding>,
) {
    if assertions.is_empty() {
        return;
    }
    let view = TraceView::new(trace);
    for assertion in assertions {
        if assertion
            .scenario
            .as_deref()
            .is_some_and(|s| Some(s) != scenario)
        {
            continue;
        }
        let selected: Vec<usize> = assertion.selector.select(&view).collect();
        for check in &assertion.checks {
            let fail = |span: Option<&Span>, observed: String| Finding {
                rule: Rule::Assertion,
                span_id: span.map(|s| s.span_id),
                message: format!(
                    "`{check}` on `{}`: observed {observed}{}",
                    assertion.selector,
                    span.map(|s| format!(" on {}", describe(s)))
                        .unwrap_or_default()
                ),
            };
            if let CheckKind::Count(op, n) = &check.kind {
                if !op.holds(selected.len() as f64, *n as f64) {
                    findings.push(fail(None, format!("count {}", selected.len())));
                }
                continue;
            }
            if selected.is_empty() {
                findings.push(fail(None, "no span selected".into()));
                continue;
            }
            for &index in &selected {
                let span = &trace.spans[index];
                if let Some(observed) = breaks(check, span) {
                    findings.push(fail(Some(span), observed));
                }
            }
        }
    }
}

/// What a span shows when it breaks a (non-count) check.
fn breaks(check: &Check, span: &Span) -> Option<String> {
    match &check.kind {
        CheckKind::Count(..) => None,
        CheckKind::Duration(op, bound) => {
            let ns = span.duration_ns();
            (!op.holds(ns as f64, *bound)).then(|| format!("duration {}", format_ns(ns as f64)))
        }
        CheckKind::Field(field, test) => {
            let value = field.read(span);
            (!test.holds(value.as_ref())).then(|| match value {
                Some(v) => format!("{} = {v}", field.name()),
                None => format!("{} absent", field.name()),
            })
        }
        CheckKind::Event(name, wanted) => {
            let present = span.events.iter().any(|e| &e.name == name);
            (present != *wanted).then(|| {
                let names: Vec<&str> = span.events.iter().map(|e| e.name.as_str()).collect();
                format!("events [{}]", names.join(", "))
            })
        }
    }
}

/// A duration in nanoseconds in the unit that reads best (`73.214ms`, `850ns`).
pub(crate) fn format_ns(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.3}s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.3}ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.3}us", ns / 1e3)
    } else {
        format!("{ns:.0}ns")
    }
}

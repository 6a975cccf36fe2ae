//! Matches a trace against a scenario's expected span tree: every expected
//! span present once, under the expected parent, with the expected kind; no
//! span left over.

use super::structure::Structure;
use super::{Finding, Rule, describe};
use crate::model::{Span, Trace};
use crate::spec::{ExpectedSpan, Scenario};

/// Which actual span each expected span was matched to.
pub(super) struct Matched {
    /// Per expected span, the index of the actual span (`None`: missing, or an absent optional root).
    pub assignment: Vec<Option<usize>>,
    /// How many expected spans are missing.
    pub missing: usize,
}

fn same(expected: &ExpectedSpan, span: &Span) -> bool {
    span.kind == expected.kind && span.name == expected.name && span.service == expected.service
}

pub(super) fn match_tree(
    trace: &Trace,
    structure: &Structure,
    scenario: &Scenario,
    missing_rule: Rule,
    findings: &mut Vec<Finding>,
) -> Matched {
    let spans = &trace.spans;
    let expected = &scenario.spans;
    let mut assignment: Vec<Option<usize>> = vec![None; expected.len()];
    let mut used = vec![false; spans.len()];
    let assign = |e: usize, s: usize, assignment: &mut Vec<Option<usize>>, used: &mut Vec<bool>| {
        assignment[e] = Some(s);
        used[s] = true;
    };
    let root_of_trace = |e: usize| {
        structure
            .roots
            .iter()
            .copied()
            .find(|&r| same(&expected[e], &spans[r]))
    };
    // The root, or (when it may be absent) its only child, is one of the trace's roots.
    let mut root_absent = false;
    if let Some(r) = expected.first().and_then(|_| root_of_trace(0)) {
        assign(0, r, &mut assignment, &mut used);
    } else if let Some(&child) = expected
        .first()
        .filter(|_| scenario.optional_root)
        .and_then(|root| root.children.first())
        && let Some(r) = root_of_trace(child)
    {
        assign(child, r, &mut assignment, &mut used);
        root_absent = true;
    }
    for (e, exp) in expected.iter().enumerate() {
        if assignment[e].is_some() || (e == 0 && root_absent) {
            continue;
        }
        let parent = exp.parent.and_then(|p| assignment[p]);
        if let Some(p) = parent {
            let children = &structure.children[p];
            if let Some(&c) = children.iter().find(|&&c| !used[c] && same(exp, &spans[c])) {
                assign(e, c, &mut assignment, &mut used);
                continue;
            }
            let other_kind = children.iter().find(|&&c| {
                !used[c] && spans[c].name == exp.name && spans[c].service == exp.service
            });
            if let Some(&c) = other_kind {
                assign(e, c, &mut assignment, &mut used);
                if !structure.flagged[c] {
                    findings.push(Finding {
                        rule: Rule::SpanTree,
                        span_id: Some(spans[c].span_id),
                        message: format!(
                            "{} is {}, expected {}",
                            describe(&spans[c]),
                            spans[c].kind.label(),
                            exp.kind.label()
                        ),
                    });
                }
                continue;
            }
        }
        if let Some(c) = (0..spans.len()).find(|&c| !used[c] && same(exp, &spans[c])) {
            assign(e, c, &mut assignment, &mut used);
            if !structure.flagged[c] {
                let actual = structure.parent[c].map_or("no parent".to_owned(), |p| {
                    format!("parent {}", describe(&spans[p]))
                });
                let wanted = match parent {
                    Some(p) => format!("expected under {}", describe(&spans[p])),
                    None if exp.parent.is_none() => "expected to be the root".to_owned(),
                    None => format!(
                        "expected under {} (absent)",
                        expected[exp.parent.unwrap_or(0)].describe()
                    ),
                };
                findings.push(Finding {
                    rule: Rule::SpanTree,
                    span_id: Some(spans[c].span_id),
                    message: format!("{} has {actual}, {wanted}", describe(&spans[c])),
                });
            }
            continue;
        }
        if e == 0 && scenario.optional_root {
            root_absent = true;
        }
    }
    let is_missing = |e: usize| assignment[e].is_none() && !(e == 0 && root_absent);
    let mut missing = 0;
    for (e, exp) in expected.iter().enumerate() {
        if !is_missing(e) {
            continue;
        }
        missing += 1;
        if exp.parent.is_some_and(is_missing) {
            continue; // reported with its missing ancestor
        }
        // Descendants, parents first (the expected spans are in that order).
        let mut inside = vec![false; expected.len()];
        inside[e] = true;
        let mut below = Vec::new();
        for (d, descendant) in expected.iter().enumerate().skip(e + 1) {
            if descendant.parent.is_some_and(|p| inside[p]) {
                inside[d] = true;
                // Service and kind too: two expected spans may share a name
                // (a CLIENT span and the SERVER span it calls).
                below.push(descendant.describe());
            }
        }
        let parent = exp.parent.and_then(|p| assignment[p]);
        let mut message = match parent {
            Some(p) => format!(
                "{} is missing under {}",
                exp.describe(),
                describe(&spans[p])
            ),
            None => format!("{} is missing", exp.describe()),
        };
        if !below.is_empty() {
            message.push_str(&format!(" (and below it: {})", below.join(", ")));
        }
        findings.push(Finding {
            rule: missing_rule,
            span_id: parent.map(|p| spans[p].span_id),
            message,
        });
    }
    for (c, span) in spans.iter().enumerate() {
        if !used[c] && !structure.flagged[c] {
            let under = structure.parent[c].map_or("as a root".to_owned(), |p| {
                format!("under {}", describe(&spans[p]))
            });
            findings.push(Finding {
                rule: Rule::SpanTree,
                span_id: Some(span.span_id),
                message: format!(
                    "unexpected span {} {under} in scenario `{}`",
                    describe(span),
                    scenario.name
                ),
            });
        }
    }
    Matched {
        assignment,
        missing,
    }
}

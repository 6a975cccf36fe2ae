//! The structural invariants every trace must keep, whatever its scenario:
//! one root, no orphans, CLIENT->SERVER cross-service edges, children inside
//! their parents, unique span ids.

use std::collections::HashMap;

use super::{Finding, Rule, describe};
use crate::model::{SpanId, SpanKind, Trace};

/// The resolved shape of a trace.
pub(super) struct Structure {
    /// Index of each span's parent, when it is in the trace.
    pub parent: Vec<Option<usize>>,
    /// Indices of each span's children.
    pub children: Vec<Vec<usize>>,
    /// Spans with no parent, or whose parent is the accepted (unexported) one
    /// and not in the trace.
    pub roots: Vec<usize>,
    /// Spans a structural finding is about: later checks stay quiet on them,
    /// so that one cause gives one failure.
    pub flagged: Vec<bool>,
}

pub(super) fn analyse(
    trace: &Trace,
    accepted_parent: Option<SpanId>,
    skew_ns: u64,
    findings: &mut Vec<Finding>,
) -> Structure {
    let spans = &trace.spans;
    let n = spans.len();
    let mut by_id: HashMap<SpanId, usize> = HashMap::with_capacity(n);
    let mut flagged = vec![false; n];
    for (i, span) in spans.iter().enumerate() {
        if let Some(&first) = by_id.get(&span.span_id) {
            flagged[i] = true;
            flagged[first] = true;
            findings.push(Finding {
                rule: Rule::DuplicateSpanId,
                span_id: Some(span.span_id),
                message: format!(
                    "span id {} is used by {} and {}",
                    span.span_id,
                    describe(&spans[first]),
                    describe(span)
                ),
            });
        } else {
            by_id.insert(span.span_id, i);
        }
    }
    let mut parent = vec![None; n];
    let mut children = vec![Vec::new(); n];
    let mut roots = Vec::new();
    let mut orphans = 0;
    for (i, span) in spans.iter().enumerate() {
        match span.parent {
            None => roots.push(i),
            Some(p) => match by_id.get(&p) {
                Some(&pi) if pi != i => {
                    parent[i] = Some(pi);
                    children[pi].push(i);
                }
                Some(_) => {
                    flagged[i] = true;
                    findings.push(Finding {
                        rule: Rule::OneRoot,
                        span_id: Some(span.span_id),
                        message: format!("{} is its own parent", describe(span)),
                    });
                }
                // The accepted parent is one the store never saw: a span in
                // the trace with that id is an ordinary parent (with
                // `--sampler none` the manifest names the server span itself).
                None if Some(p) == accepted_parent => roots.push(i),
                None => {
                    orphans += 1;
                    flagged[i] = true;
                    findings.push(Finding {
                        rule: Rule::Orphan,
                        span_id: Some(span.span_id),
                        message: format!("{}: parent {p} is not in the trace", describe(span)),
                    });
                }
            },
        }
    }
    if roots.len() > 1 {
        let names = listed(roots.iter().map(|&r| describe(&spans[r])));
        for &extra in &roots[1..] {
            flagged[extra] = true;
        }
        findings.push(Finding {
            rule: Rule::OneRoot,
            span_id: Some(spans[roots[1]].span_id),
            message: format!("{} roots: {names}", roots.len()),
        });
    }
    let cut_off = in_cycles(&parent, &children);
    if let Some(&first) = cut_off.first() {
        let names = listed(cut_off.iter().map(|&i| describe(&spans[i])));
        for &i in &cut_off {
            flagged[i] = true;
        }
        let whole = if roots.is_empty() && orphans == 0 {
            "no root: "
        } else {
            ""
        };
        findings.push(Finding {
            rule: Rule::OneRoot,
            span_id: Some(spans[first].span_id),
            message: format!(
                "{whole}the parent links of {names} form a cycle, reachable from no root"
            ),
        });
    }
    for (i, span) in spans.iter().enumerate() {
        let Some(pi) = parent[i] else { continue };
        let up = &spans[pi];
        if up.service != span.service
            && !(span.kind == SpanKind::Server && up.kind == SpanKind::Client)
        {
            flagged[i] = true;
            flagged[pi] = true;
            findings.push(Finding {
                rule: Rule::CrossServiceEdge,
                span_id: Some(span.span_id),
                message: format!(
                    "{} is a child of {} in another service; a cross-service edge must be a SERVER span under a CLIENT span",
                    describe(span),
                    describe(up)
                ),
            });
        }
        let early = up.start_ns.saturating_sub(span.start_ns);
        let late = span.end_ns.saturating_sub(up.end_ns);
        if early > skew_ns || late > skew_ns {
            flagged[i] = true;
            let what = if early > skew_ns {
                format!("starts {} before", micros(early))
            } else {
                format!("ends {} after", micros(late))
            };
            findings.push(Finding {
                rule: Rule::ChildWithinParent,
                span_id: Some(span.span_id),
                message: format!(
                    "{} {what} its parent {} (allowance {})",
                    describe(span),
                    describe(up),
                    micros(skew_ns)
                ),
            });
        }
    }
    Structure {
        parent,
        children,
        roots,
        flagged,
    }
}

/// The spans no parent-less span leads down to: those in a parent cycle and
/// those below one. In file order.
fn in_cycles(parent: &[Option<usize>], children: &[Vec<usize>]) -> Vec<usize> {
    let mut reached = vec![false; parent.len()];
    let mut stack: Vec<usize> = (0..parent.len()).filter(|&i| parent[i].is_none()).collect();
    while let Some(i) = stack.pop() {
        if !std::mem::replace(&mut reached[i], true) {
            stack.extend(&children[i]);
        }
    }
    (0..parent.len()).filter(|&i| !reached[i]).collect()
}

/// Names for a message: the first few and how many more, so that a trace
/// of 100,000 roots gives a message of one short line.
fn listed(names: impl ExactSizeIterator<Item = String>) -> String {
    const SHOWN: usize = 5;
    let total = names.len();
    let mut text: Vec<String> = names.take(SHOWN).collect();
    if total > SHOWN {
        text.push(format!("and {} more", total - SHOWN));
    }
    text.join(", ")
}

/// A nanosecond amount for messages.
fn micros(ns: u64) -> String {
    if ns >= 1_000_000 {
        format!("{:.1} ms", ns as f64 / 1e6)
    } else {
        format!("{} µs", ns / 1000)
    }
}

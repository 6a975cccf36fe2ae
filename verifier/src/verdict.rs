//! What a verification found: [`Verdict`], with a summary per scenario, every
//! failure, and the span tree of every failing trace.

use std::collections::{BTreeMap, HashMap};

use crate::check::{Finding, Rule};
use crate::jaeger::ApiVersion;
use crate::model::{SpanId, Trace, TraceId};
use crate::sampling::SamplingTest;
use crate::spec::HTTP_STATUS;

/// The result of a verification that could be carried out.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verdict {
    /// Whether every check passed.
    pub passed: bool,
    /// The spec's name.
    pub spec: String,
    /// Jaeger's base URL.
    pub jaeger_url: String,
    /// The API generation used.
    pub api: ApiVersion,
    /// The services searched.
    pub services: Vec<String>,
    /// The window searched, RFC 3339.
    pub window: Window,
    /// How reading settled.
    pub settle: Settle,
    /// Counts.
    pub summary: Summary,
    /// The sampling test, when a manifest was given.
    pub sampling: Option<SamplingTest>,
    /// Every failure, trace by trace, then missing traces, then run-wide ones.
    pub failures: Vec<Failure>,
    /// The span tree of every stored trace that failed, in `failures` order.
    pub traces: Vec<FailedTrace>,
}

/// The window searched.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Window {
    /// Start, RFC 3339.
    pub start: String,
    /// End, RFC 3339.
    pub end: String,
}

/// How the reads settled.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Settle {
    /// Reads of the window.
    pub polls: u32,
    /// Time spent reading and waiting, in milliseconds.
    pub elapsed_ms: u64,
    /// Whether the store had stopped changing (else missing spans are `incomplete`).
    pub quiet: bool,
}

/// Counts, overall and per scenario.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    /// Traces checked.
    pub checked: u64,
    /// Traces that passed.
    pub passed: u64,
    /// Traces that failed.
    pub failed: u64,
    /// Sampled manifest requests with no trace.
    pub missing: u64,
    /// Unsampled manifest requests with a trace.
    pub unsampled_stored: u64,
    /// Traces in the window that no manifest line names (not checked).
    pub unlisted: u64,
    /// Manifest lines whose trace is not judged (unknown trace id or sampling, or no answer).
    pub skipped: u64,
    /// Per scenario (`(unclassified)` for traces that match none).
    pub scenarios: BTreeMap<String, ScenarioSummary>,
    /// Failures per rule name.
    pub rules: BTreeMap<String, u64>,
}

/// Counts for one scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScenarioSummary {
    /// Traces checked.
    pub checked: u64,
    /// Traces that passed.
    pub passed: u64,
    /// Traces that failed.
    pub failed: u64,
    /// Sampled requests with no trace.
    pub missing: u64,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Failure {
    /// The rule.
    pub rule: Rule,
    /// The trace, unless the failure is about the whole run.
    pub trace_id: Option<TraceId>,
    /// The trace in Jaeger's UI.
    pub link: Option<String>,
    /// The offending span, when there is one.
    pub span_id: Option<SpanId>,
    /// The trace's scenario, when known.
    pub scenario: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// A failing trace and its span tree.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FailedTrace {
    /// The trace.
    pub trace_id: TraceId,
    /// The trace in Jaeger's UI.
    pub link: String,
    /// Its scenario, when known.
    pub scenario: Option<String>,
    /// Warnings the backend attached.
    pub warnings: Vec<String>,
    /// The spans, depth-first, children in start order.
    pub tree: Vec<TreeLine>,
}

/// One span of a rendered tree.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TreeLine {
    /// Nesting depth (0 for a root or a span whose parent is missing).
    pub depth: usize,
    /// Span id.
    pub span_id: SpanId,
    /// Service.
    pub service: String,
    /// `SERVER`, `CLIENT`, ...
    pub kind: &'static str,
    /// Span name.
    pub name: String,
    /// `UNSET`, `OK` or `ERROR`.
    pub status: &'static str,
    /// `http.response.status_code`, when set.
    pub http_status: Option<String>,
    /// Duration in microseconds.
    pub duration_us: u64,
    /// The rules this span breaks (it is marked in the tree).
    pub rules: Vec<Rule>,
}

impl Verdict {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.passed
    }

    /// The failures that name a rule.
    pub fn failures_of(&self, rule: Rule) -> impl Iterator<Item = &Failure> {
        self.failures.iter().filter(move |f| f.rule == rule)
    }
}

/// Builds the depth-first tree of a trace, marking the spans findings name.
pub(crate) fn span_tree(trace: &Trace, findings: &[Finding]) -> Vec<TreeLine> {
    let spans = &trace.spans;
    let mut index: HashMap<SpanId, usize> = HashMap::with_capacity(spans.len());
    for (i, span) in spans.iter().enumerate() {
        index.entry(span.span_id).or_insert(i);
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); spans.len()];
    let mut tops = Vec::new();
    for (i, span) in spans.iter().enumerate() {
        match span.parent.and_then(|p| index.get(&p)).filter(|&&p| p != i) {
            Some(&p) => children[p].push(i),
            None => tops.push(i),
        }
    }
    let by_start = |list: &mut Vec<usize>| list.sort_by_key(|&i| (spans[i].start_ns, i));
    by_start(&mut tops);
    children.iter_mut().for_each(by_start);
    let mut lines = Vec::with_capacity(spans.len());
    let mut seen = vec![false; spans.len()];
    let mut stack: Vec<(usize, usize)> = tops.iter().rev().map(|&t| (t, 0)).collect();
    loop {
        while let Some((i, depth)) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            let span = &spans[i];
            lines.push(TreeLine {
                depth,
                span_id: span.span_id,
                service: span.service.clone(),
                kind: span.kind.label(),
                name: span.name.clone(),
                status: span.status.label(),
                http_status: span.attr(HTTP_STATUS).map(|v| v.to_string()),
                duration_us: span.duration_ns() / 1000,
                rules: findings
                    .iter()
                    .filter(|f| f.span_id == Some(span.span_id))
                    .map(|f| f.rule)
                    .collect(),
            });
            stack.extend(children[i].iter().rev().map(|&c| (c, depth + 1)));
        }
        // Spans in a parent cycle are reachable from no top: list them too.
        match seen.iter().position(|s| !s) {
            Some(rest) => stack.push((rest, 0)),
            None => break,
        }
    }
    lines
}

//! What a verification found: [`Verdict`], with a summary per scenario, every
//! failure, and the span tree of every failing trace.

use std::collections::{BTreeMap, HashMap};

use crate::check::{Finding, Rule};
use crate::critical_path::{PathAnalysis, analyse};
use crate::jaeger::ApiVersion;
use crate::model::{SpanId, Trace, TraceId};
use crate::sampling::SamplingTest;
use crate::spec::HTTP_STATUS;
use crate::thresholds::ThresholdResult;

/// The result of a verification that could be carried out.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// The slowest traces checked, per scenario (`VerifyConfig::slowest`
    /// each), slowest first: by the loadgen's latency with a manifest, else
    /// by the trace's own duration.
    #[serde(default)]
    pub slowest: Vec<SlowTrace>,
    /// The spec's run-wide thresholds, each with what was measured; a
    /// breached one fails the run.
    #[serde(default)]
    pub thresholds: Vec<ThresholdResult>,
}

/// The window searched.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Window {
    /// Start, RFC 3339.
    pub start: String,
    /// End, RFC 3339.
    pub end: String,
}

/// How the reads settled.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Settle {
    /// Reads of the window.
    pub polls: u32,
    /// Time spent reading and waiting, in milliseconds.
    pub elapsed_ms: u64,
    /// Whether the store had stopped changing (else missing spans are `incomplete`).
    pub quiet: bool,
}

/// Counts, overall and per scenario.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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

/// A trace shown in full (a failing one, or one of the slowest): its span
/// tree with the data a waterfall needs, and its critical path, so a report
/// can be read after the store is gone.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// The root's duration (the end-to-end time), µs.
    #[serde(default)]
    pub duration_us: u64,
    /// The critical path through the root, in time order.
    #[serde(default)]
    pub critical_path: Vec<PathStep>,
    /// The span with the most time on the critical path.
    #[serde(default)]
    pub dominant: Option<Dominant>,
}

/// A stretch of the critical path owned by one span.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PathStep {
    /// The span.
    pub span_id: SpanId,
    /// Start, µs after the trace's first span started.
    pub start_us: u64,
    /// Length, µs.
    pub duration_us: u64,
}

/// The span that dominated a trace's critical path.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Dominant {
    /// The span.
    pub span_id: SpanId,
    /// Its service.
    pub service: String,
    /// Its name.
    pub name: String,
    /// Its time on the critical path, µs.
    pub critical_us: u64,
    /// That time as a fraction of the whole path (0..=1).
    pub share: f64,
}

/// One of the slowest traces.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SlowTrace {
    /// The request's latency as the loadgen measured it (manifest), else the
    /// trace's own duration, µs.
    pub latency_us: u64,
    /// The HTTP status the loadgen got, when known.
    pub status: Option<u16>,
    /// Whether the trace held the contract.
    pub passed: bool,
    /// The trace.
    #[serde(flatten)]
    pub trace: FailedTrace,
}

/// One span of a rendered tree.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TreeLine {
    /// Nesting depth (0 for a root or a span whose parent is missing).
    pub depth: usize,
    /// Span id.
    pub span_id: SpanId,
    /// Service.
    pub service: String,
    /// `SERVER`, `CLIENT`, ...
    pub kind: String,
    /// Span name.
    pub name: String,
    /// `UNSET`, `OK` or `ERROR`.
    pub status: String,
    /// `http.response.status_code`, when set.
    pub http_status: Option<String>,
    /// Duration in microseconds.
    pub duration_us: u64,
    /// Start, µs after the trace's first span started.
    #[serde(default)]
    pub start_us: u64,
    /// Its duration minus the time its children cover, µs.
    #[serde(default)]
    pub self_us: u64,
    /// Its time on the critical path, µs.
    #[serde(default)]
    pub critical_us: u64,
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

/// A trace in full: its tree (spans that findings name marked), critical
/// path and dominant span.
pub fn trace_detail(
    trace: &Trace,
    findings: &[Finding],
    link: String,
    scenario: Option<String>,
) -> FailedTrace {
    let analysis = analyse(trace);
    let origin = trace.spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
    let us = |ns: u64| ns / 1000;
    let total = analysis.total_ns();
    let dominant = analysis.dominant().map(|i| {
        let span = &trace.spans[i];
        Dominant {
            span_id: span.span_id,
            service: span.service.clone(),
            name: span.name.clone(),
            critical_us: us(analysis.critical_ns[i]),
            share: if total == 0 {
                0.0
            } else {
                analysis.critical_ns[i] as f64 / total as f64
            },
        }
    });
    FailedTrace {
        trace_id: trace.trace_id,
        link,
        scenario,
        warnings: trace.warnings.clone(),
        tree: span_tree(trace, findings, &analysis),
        duration_us: us(total),
        critical_path: analysis
            .sections
            .iter()
            .map(|s| PathStep {
                span_id: trace.spans[s.span].span_id,
                start_us: us(s.start_ns - origin.min(s.start_ns)),
                duration_us: us(s.end_ns - s.start_ns),
            })
            .collect(),
        dominant,
    }
}

/// Builds the depth-first tree of a trace, marking the spans findings name.
/// Linear in spans and findings, and without recursion: a trace may be a
/// chain as deep as it is long.
fn span_tree(trace: &Trace, findings: &[Finding], analysis: &PathAnalysis) -> Vec<TreeLine> {
    let origin = trace.spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
    let spans = &trace.spans;
    let mut rules_of: HashMap<SpanId, Vec<Rule>> = HashMap::new();
    for finding in findings {
        if let Some(span_id) = finding.span_id {
            rules_of.entry(span_id).or_default().push(finding.rule);
        }
    }
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
    let mut unseen = 0;
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
                kind: span.kind.label().to_owned(),
                name: span.name.clone(),
                status: span.status.label().to_owned(),
                http_status: span.attr(HTTP_STATUS).map(|v| v.to_string()),
                duration_us: span.duration_ns() / 1000,
                start_us: (span.start_ns - origin) / 1000,
                self_us: analysis.self_ns[i] / 1000,
                critical_us: analysis.critical_ns[i] / 1000,
                rules: rules_of.get(&span.span_id).cloned().unwrap_or_default(),
            });
            stack.extend(children[i].iter().rev().map(|&c| (c, depth + 1)));
        }
        // Spans in a parent cycle are reachable from no top: list them too
        // (the cursor only moves forward, so this stays linear).
        while unseen < spans.len() && seen[unseen] {
            unseen += 1;
        }
        if unseen == spans.len() {
            break;
        }
        stack.push((unseen, 0));
    }
    lines
}

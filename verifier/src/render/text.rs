//! The human-readable report.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::TextOptions;
use crate::model::TraceId;
use crate::thresholds::ThresholdResult;
use crate::verdict::{FailedTrace, Failure, Verdict};

/// A summary table, then each failing trace with its findings and span tree
/// (offending spans marked `>`), then missing traces and run-wide failures.
/// At most `options.max_traces` trees and as many missing traces are listed.
pub(crate) fn render(verdict: &Verdict, options: TextOptions) -> String {
    let mut out = String::new();
    let s = &verdict.summary;
    let status = if verdict.passed { "PASS" } else { "FAIL" };
    let _ = writeln!(
        out,
        "verifier: {status}: {} traces checked, {} passed, {} failed, {} missing (spec {}, Jaeger {} API at {})",
        s.checked, s.passed, s.failed, s.missing, verdict.spec, verdict.api, verdict.jaeger_url
    );
    let _ = writeln!(
        out,
        "window {} .. {}, services {}; {} reads in {:.1} s, {}",
        verdict.window.start,
        verdict.window.end,
        verdict.services.join(", "),
        verdict.settle.polls,
        verdict.settle.elapsed_ms as f64 / 1000.0,
        if verdict.settle.quiet {
            "store settled"
        } else {
            "store still changing when --settle ran out"
        }
    );
    let width = s
        .scenarios
        .keys()
        .map(|k| k.len())
        .max()
        .unwrap_or(0)
        .max(8);
    let _ = writeln!(
        out,
        "\n{:<width$}  {:>8}  {:>8}  {:>8}  {:>8}",
        "scenario", "checked", "passed", "failed", "missing"
    );
    for (name, c) in &s.scenarios {
        let _ = writeln!(
            out,
            "{name:<width$}  {:>8}  {:>8}  {:>8}  {:>8}",
            c.checked, c.passed, c.failed, c.missing
        );
    }
    let _ = writeln!(
        out,
        "{:<width$}  {:>8}  {:>8}  {:>8}  {:>8}",
        "total", s.checked, s.passed, s.failed, s.missing
    );
    if let Some(t) = &verdict.sampling {
        let verdict = match (t.p_value, t.passed) {
            (None, _) => "",
            (Some(_), true) => ": ok",
            (Some(_), false) => ": FAIL",
        };
        let _ = writeln!(out, "\nsampling: {}{verdict}", super::sampling_sentence(t));
    }
    if s.unsampled_stored + s.unlisted + s.skipped > 0 {
        let _ = writeln!(
            out,
            "unsampled requests stored: {}; traces not in the manifest (not checked): {}; requests not judged (no answer or unknown sampling): {}",
            s.unsampled_stored, s.unlisted, s.skipped
        );
    }
    if !s.rules.is_empty() {
        let by_rule: Vec<String> = s
            .rules
            .iter()
            .map(|(rule, n)| format!("{rule} {n}"))
            .collect();
        let _ = writeln!(out, "failures by rule: {}", by_rule.join(", "));
    }
    thresholds_section(&mut out, &verdict.thresholds);
    slowest_section(&mut out, verdict, options);
    for trace in verdict.traces.iter().take(options.max_traces) {
        trace_section(&mut out, verdict, trace, options);
    }
    if verdict.traces.len() > options.max_traces {
        let _ = writeln!(
            out,
            "\n… and {} more failing traces (--format json lists them all)",
            verdict.traces.len() - options.max_traces
        );
    }
    // Failures of traces the store does not have (missing traces), at most
    // as many as trees, then the run-wide ones.
    let with_tree: HashSet<TraceId> = verdict.traces.iter().map(|t| t.trace_id).collect();
    let (of_traces, run_wide): (Vec<&Failure>, Vec<&Failure>) = verdict
        .failures
        .iter()
        .filter(|f| f.trace_id.is_none_or(|id| !with_tree.contains(&id)))
        .partition(|f| f.trace_id.is_some());
    for failure in of_traces.iter().take(options.max_traces).chain(&run_wide) {
        let _ = writeln!(out, "\nFAIL [{}] {}", failure.rule, failure.message);
        if let Some(link) = &failure.link {
            let _ = writeln!(out, "  {link}");
        }
    }
    if of_traces.len() > options.max_traces {
        let _ = writeln!(
            out,
            "\n… and {} more failures of traces the store does not hold (--format json lists them all)",
            of_traces.len() - options.max_traces
        );
    }
    out
}

/// Slowest traces printed (the JSON report holds every one kept).
const SLOWEST_PRINTED: usize = 5;

/// The slowest traces, one line each with the span that dominated them.
fn slowest_section(out: &mut String, verdict: &Verdict, options: TextOptions) {
    if verdict.slowest.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nslowest traces (verifier --explain TRACE_ID prints one in full):"
    );
    for slow in verdict
        .slowest
        .iter()
        .take(options.max_traces.min(SLOWEST_PRINTED))
    {
        let t = &slow.trace;
        let _ = writeln!(
            out,
            "  {:<10} {:>10}  {:>3}  {}  {}",
            t.scenario.as_deref().unwrap_or("?"),
            super::explain::ms(slow.latency_us),
            slow.status
                .map_or_else(|| "-".to_owned(), |s| s.to_string()),
            t.trace_id,
            super::explain::dominant_line(t).unwrap_or_default()
        );
    }
}

/// One failing trace: its findings and its span tree, each at most
/// `options.max_lines` lines, the tree at most `options.max_depth` deep, with
/// a note for what was cut.
fn trace_section(out: &mut String, verdict: &Verdict, trace: &FailedTrace, options: TextOptions) {
    let scenario = trace.scenario.as_deref().unwrap_or("?");
    let _ = writeln!(
        out,
        "\nFAIL trace {} ({scenario})  {}",
        trace.trace_id, trace.link
    );
    let findings = verdict
        .failures
        .iter()
        .filter(|f| f.trace_id == Some(trace.trace_id));
    let mut found = 0usize;
    for failure in findings {
        found += 1;
        if found <= options.max_lines {
            let _ = writeln!(out, "  [{}] {}", failure.rule, failure.message);
        }
    }
    if found > options.max_lines {
        let _ = writeln!(
            out,
            "  … and {} more findings of this trace (--format json lists them all)",
            found - options.max_lines
        );
    }
    for warning in &trace.warnings {
        let _ = writeln!(out, "  warning from Jaeger: {warning}");
    }
    if let Some(line) = super::explain::dominant_line(trace) {
        let _ = writeln!(out, "  {line}");
    }
    let (shown, cut) = super::shown_tree(&trace.tree, options);
    for line in shown {
        let mark = if line.rules.is_empty() { ' ' } else { '>' };
        let (label, rules) = super::span_line(line);
        let _ = writeln!(
            out,
            "  {mark} {label}  {:.2} ms{rules}",
            line.duration_us as f64 / 1000.0
        );
    }
    if let Some(note) = cut {
        let _ = writeln!(out, "  {note}");
    }
}

/// Each threshold with what was measured; a breached one with its worst offenders.
fn thresholds_section(out: &mut String, thresholds: &[ThresholdResult]) {
    if thresholds.is_empty() {
        return;
    }
    out.push_str("\nthresholds:\n");
    for t in thresholds {
        let word = if t.passed { "ok  " } else { "FAIL" };
        let _ = writeln!(out, "  {word}  {}", t.describe());
        for o in &t.offenders {
            let _ = writeln!(out, "          {:>12}  {}", o.value, o.link);
        }
    }
}

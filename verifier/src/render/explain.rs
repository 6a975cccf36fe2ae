//! One trace explained in text: where its time went.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::model::SpanId;
use crate::verdict::{FailedTrace, TreeLine};

/// Milliseconds with three decimals, from microseconds.
pub(crate) fn ms(us: u64) -> String {
    format!("{:.3}ms", us as f64 / 1000.0)
}

/// One line naming the dominant span, e.g. `dominated by payment-service
/// charge_payment: 0.770ms of 1.000ms on the critical path (77%)`.
pub(crate) fn dominant_line(trace: &FailedTrace) -> Option<String> {
    trace.dominant.as_ref().map(|d| {
        format!(
            "dominated by {} {}: {} of {} on the critical path ({:.0}%)",
            d.service,
            d.name,
            ms(d.critical_us),
            ms(trace.duration_us),
            d.share * 100.0
        )
    })
}

/// The trace's id and link, its dominant span, the critical path in time
/// order, and every span with its start, duration, self time and time on
/// the critical path (`*` marks spans on the path, `>` spans breaking a rule);
/// the path and the tree as capped as in the text report.
pub fn render(trace: &FailedTrace) -> String {
    let mut out = String::new();
    let scenario = trace.scenario.as_deref().unwrap_or("unclassified");
    let _ = writeln!(out, "trace {} ({scenario})  {}", trace.trace_id, trace.link);
    let _ = writeln!(out, "end-to-end {}", ms(trace.duration_us));
    if let Some(line) = dominant_line(trace) {
        let _ = writeln!(out, "{line}");
    }
    for warning in &trace.warnings {
        let _ = writeln!(out, "warning from Jaeger: {warning}");
    }
    let _ = writeln!(out, "\ncritical path, in time order:");
    let _ = writeln!(out, "  {:>10}  {:>10}  span", "at", "for");
    let options = super::TextOptions::default();
    let by_id: HashMap<SpanId, &TreeLine> = trace.tree.iter().map(|l| (l.span_id, l)).collect();
    for step in trace.critical_path.iter().take(options.max_lines) {
        let span = by_id.get(&step.span_id);
        let name = span.map_or_else(
            || step.span_id.to_string(),
            |l| format!("{} {} {}", l.service, l.kind, l.name),
        );
        let _ = writeln!(
            out,
            "  {:>10}  {:>10}  {name}",
            format!("+{}", ms(step.start_us)),
            ms(step.duration_us)
        );
    }
    if trace.critical_path.len() > options.max_lines {
        let _ = writeln!(
            out,
            "  … and {} more steps (--format json lists them all)",
            trace.critical_path.len() - options.max_lines
        );
    }
    let _ = writeln!(out, "\nspans:");
    let _ = writeln!(
        out,
        "    {:>10}  {:>10}  {:>10}  {:>10}  span",
        "start", "duration", "self", "critical"
    );
    let (shown, cut) = super::shown_tree(&trace.tree, options);
    for line in shown {
        let mark = if !line.rules.is_empty() {
            '>'
        } else if line.critical_us > 0 {
            '*'
        } else {
            ' '
        };
        let (label, rules) = super::span_line(line);
        let _ = writeln!(
            out,
            "  {mark} {:>10}  {:>10}  {:>10}  {:>10}  {label}{rules}",
            format!("+{}", ms(line.start_us)),
            ms(line.duration_us),
            ms(line.self_us),
            ms(line.critical_us),
        );
    }
    if let Some(note) = cut {
        let _ = writeln!(out, "  {note}");
    }
    out
}

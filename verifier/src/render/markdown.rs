//! Markdown for a CI job summary (GitHub's `$GITHUB_STEP_SUMMARY`): the
//! verdict, counts per scenario, the sampling test, failing rules with a few
//! trace links each, and the slowest traces with the span that dominated
//! them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::explain::ms;
use crate::thresholds::ThresholdResult;
use crate::verdict::{Failure, SlowTrace, Verdict};

/// Trace links listed per failing rule.
pub(crate) const LINKS_PER_RULE: usize = 5;

/// Slowest traces listed.
pub(crate) const SLOWEST_LISTED: usize = 10;

/// The verdict as GitHub-flavoured Markdown, headed `### {title}`.
pub(crate) fn render(verdict: &Verdict) -> String {
    let mut out = String::new();
    let s = &verdict.summary;
    let word = if verdict.passed {
        "✅ PASS"
    } else {
        "❌ FAIL"
    };
    let _ = writeln!(out, "### Trace verification: {word}\n");
    let _ = writeln!(
        out,
        "{} traces checked, {} passed, {} failed, {} missing; spec `{}`, Jaeger {} API, window {} .. {}\n",
        s.checked,
        s.passed,
        s.failed,
        s.missing,
        cell(&verdict.spec),
        verdict.api,
        verdict.window.start,
        verdict.window.end
    );
    out.push_str("| scenario | checked | passed | failed | missing |\n|---|--:|--:|--:|--:|\n");
    for (name, c) in &s.scenarios {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(name),
            c.checked,
            c.passed,
            c.failed,
            c.missing
        );
    }
    let _ = writeln!(
        out,
        "| **total** | {} | {} | {} | {} |",
        s.checked, s.passed, s.failed, s.missing
    );
    if let Some(t) = &verdict.sampling {
        let verdict = match (t.p_value, t.passed) {
            (None, _) => "",
            (Some(_), true) => ", ok",
            (Some(_), false) => ", **failed**",
        };
        let _ = writeln!(out, "\nSampling: {}{verdict}.", super::sampling_sentence(t));
    }
    failures(&mut out, &verdict.failures);
    thresholds(&mut out, &verdict.thresholds);
    slowest(&mut out, &verdict.slowest);
    out
}

/// A row per threshold: what was measured and, when breached, the worst offenders' links.
fn thresholds(out: &mut String, thresholds: &[ThresholdResult]) {
    if thresholds.is_empty() {
        return;
    }
    out.push_str("\n#### Thresholds\n\n| threshold | scenario | observed | samples | result | worst offenders |\n|---|---|--:|--:|---|---|\n");
    for t in thresholds {
        let offenders: Vec<String> = t
            .offenders
            .iter()
            .map(|o| format!("[`{}`]({}) {}", o.trace_id, o.link, cell(&o.value)))
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            cell(&t.threshold),
            t.scenario.as_deref().map_or_else(|| "all".to_owned(), cell),
            t.observed_text,
            t.samples,
            if t.passed { "ok" } else { "**breached**" },
            offenders.join("<br>")
        );
    }
}

fn failures(out: &mut String, failures: &[Failure]) {
    if failures.is_empty() {
        return;
    }
    let mut by_rule: BTreeMap<&str, Vec<&Failure>> = BTreeMap::new();
    for failure in failures {
        by_rule
            .entry(failure.rule.name())
            .or_default()
            .push(failure);
    }
    out.push_str("\n#### Failures by rule\n\n| rule | failures | traces |\n|---|--:|---|\n");
    for (rule, list) in &by_rule {
        let mut traces: Vec<String> = Vec::new();
        let mut shown = std::collections::HashSet::new();
        for failure in list {
            let Some(id) = failure.trace_id else { continue };
            if !shown.insert(id) {
                continue;
            }
            if traces.len() < LINKS_PER_RULE {
                traces.push(match &failure.link {
                    Some(link) => format!("[`{id}`]({link})"),
                    None => format!("`{id}`"),
                });
            }
        }
        if shown.len() > traces.len() {
            traces.push(format!("and {} more", shown.len() - traces.len()));
        }
        if shown.is_empty() {
            traces.extend(list.iter().map(|f| cell(&f.message)));
        }
        let _ = writeln!(out, "| `{rule}` | {} | {} |", list.len(), traces.join(", "));
    }
}

fn slowest(out: &mut String, slowest: &[SlowTrace]) {
    if slowest.is_empty() {
        return;
    }
    out.push_str(
        "\n#### Slowest traces\n\n| scenario | latency | status | trace | dominant span on the critical path |\n|---|--:|--:|---|---|\n",
    );
    for slow in slowest.iter().take(SLOWEST_LISTED) {
        let t = &slow.trace;
        let dominant = t.dominant.as_ref().map_or_else(String::new, |d| {
            format!(
                "{} `{}` {} ({:.0}%)",
                cell(&d.service),
                cell(&d.name),
                ms(d.critical_us),
                d.share * 100.0
            )
        });
        let status = slow
            .status
            .map_or_else(|| "-".to_owned(), |s| s.to_string());
        let verdict = if slow.passed { "" } else { " (failed)" };
        let _ = writeln!(
            out,
            "| {} | {} | {status} | [`{}`]({}){verdict} | {dominant} |",
            cell(t.scenario.as_deref().unwrap_or("?")),
            ms(slow.latency_us),
            t.trace_id,
            t.link
        );
    }
}

/// Text made safe for a table cell: pipes escaped, line breaks flattened.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

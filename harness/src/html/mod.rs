//! The one-file HTML report of a job: everything inline (CSS, a few lines
//! of JS, SVG charts and waterfalls), so it opens anywhere with no network
//! and still shows the traces after the store that held them is gone.
//!
//! Charts are drawn by plotters (its SVG backend, already in the build for
//! criterion's reports); the page itself is a handful of `write!`s with one
//! [`escape`] for every text that comes from the run, which a templating
//! crate would not make shorter.

mod charts;
mod waterfall;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use verifier::{FailedTrace, Verdict};

use crate::report::JobReport;

/// Failing traces the HTML report ([`JobReport::to_html`]) draws as
/// waterfalls (the JSON report holds them all).
pub const FAILING_DRAWN: usize = 20;

/// Failures listed per rule.
const FAILURES_PER_RULE: usize = 10;

/// Text made safe for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1020px;color:#222;padding:0 12px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:18px 0 4px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}.pass{background:#2c7a3a}.fail{background:#c0392b}
table{border-collapse:collapse;margin:6px 0}td,th{padding:3px 6px;white-space:nowrap;border-bottom:1px solid #eee;text-align:right}td:first-child,th:first-child{text-align:left}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.charts{display:flex;flex-wrap:wrap;gap:8px}.note{color:#666}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border-radius:2px}
svg.waterfall{display:block;margin:4px 0 14px}svg.waterfall text{font:11px system-ui,sans-serif;fill:#333}svg.waterfall .tick{fill:#888;text-anchor:middle}
svg.waterfall .bad{fill:#c0392b;font-weight:600}svg.waterfall .dur{fill:#666}
body.only-critical g.span:not(.critical):not(.broken){opacity:.25}
.trace{border-left:3px solid #ddd;padding-left:10px;margin:12px 0}.trace.failing{border-color:#c0392b}
"#;

/// Dims spans off the critical path on demand, and records on the page
/// what it drew (read back by the browser test).
const SCRIPT: &str = r#"
document.getElementById('only-critical').addEventListener('change', function (e) {
  document.body.classList.toggle('only-critical', e.target.checked);
});
document.body.dataset.waterfalls = String(document.querySelectorAll('svg.waterfall').length);
"#;

/// The report as one HTML page.
pub(crate) fn render(report: &JobReport) -> String {
    let verdict = &report.verdict;
    let load = &report.load;
    let mut out = String::new();
    let (word, class) = if report.passed() {
        ("PASS", "pass")
    } else {
        ("FAIL", "fail")
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tracing-proof report: {word}</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        out,
        "<h1>tracing-proof report <span class=\"verdict {class}\" id=\"verdict\">{word}</span></h1><p>{}</p>",
        escape(&report.summary_line())
    );
    if let Some(run) = load.runs.first() {
        let _ = write!(
            out,
            "<p class=\"note\">started {} against <code>{}</code>: {} rps for {}, mix {}, sampler {}, seed {}; {} shard(s). Spec <code>{}</code>, Jaeger {} API at <code>{}</code>.</p>",
            escape(&run.started_at),
            escape(&run.target),
            run.rps_total,
            run.duration_s
                .map_or_else(|| "-".to_owned(), |d| format!("{d} s")),
            escape(&run.mix),
            escape(&run.sampler),
            run.seed,
            load.runs.len(),
            escape(&verdict.spec),
            verdict.api,
            escape(&verdict.jaeger_url)
        );
    }
    scenario_table(&mut out, report);
    exemplars_table(&mut out, report);
    charts_section(&mut out, report);
    failures_section(&mut out, verdict);
    traces_section(&mut out, verdict);
    let _ = writeln!(out, "<script>{SCRIPT}</script></body></html>");
    out
}

fn scenario_table(out: &mut String, report: &JobReport) {
    let load = &report.load;
    let summary = &report.verdict.summary;
    out.push_str("<h2>Scenarios</h2><table id=\"scenarios\"><tr><th>scenario</th><th>requests</th><th>rate/s</th><th>ok</th><th>unexpected</th><th>errors</th><th>p50 ms</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>traces</th><th>passed</th><th>failed</th><th>missing</th></tr>");
    let rows = load.scenarios.iter().chain(std::iter::once(&load.overall));
    for s in rows {
        let traces = if s.scenario == load.overall.scenario {
            Some((
                summary.checked,
                summary.passed,
                summary.failed,
                summary.missing,
            ))
        } else {
            summary
                .scenarios
                .get(&s.scenario)
                .map(|c| (c.checked, c.passed, c.failed, c.missing))
        };
        let (checked, passed, failed, missing) = traces.unwrap_or_default();
        let l = &s.latency;
        let _ = write!(
            out,
            "<tr data-scenario=\"{name}\"><td>{name}</td><td class=\"requests\">{}</td><td>{:.1}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"checked\">{checked}</td><td>{passed}</td><td class=\"failed\">{failed}</td><td>{missing}</td></tr>",
            s.count,
            s.achieved_rps,
            s.ok,
            s.unexpected_status,
            s.errors.total(),
            ms(l.p50_us),
            ms(l.p90_us),
            ms(l.p99_us),
            ms(l.p999_us),
            ms(l.max_us),
            name = escape(&s.scenario)
        );
    }
    out.push_str("</table>");
    if let Some(t) = &report.verdict.sampling {
        let _ = write!(
            out,
            "<p>Sampling: {} of {} requests sampled ({:.2}%){}.</p>",
            t.sampled,
            t.requests,
            t.observed_ratio * 100.0,
            match (t.expected_ratio, t.p_value) {
                (Some(r), Some(p)) => format!(
                    ", expected {:.2}%, binomial test p = {p:.4}: {}",
                    r * 100.0,
                    if t.passed { "ok" } else { "FAIL" }
                ),
                _ => String::new(),
            }
        );
    }
}

/// The loadgen's exemplars: a sampled request at each percentile, linked to
/// its waterfall when the page draws it, else to Jaeger.
fn exemplars_table(out: &mut String, report: &JobReport) {
    if report.load.scenarios.iter().all(|s| s.exemplars.is_empty()) {
        return;
    }
    let verdict = &report.verdict;
    let drawn: std::collections::HashSet<String> = verdict
        .traces
        .iter()
        .take(FAILING_DRAWN)
        .chain(verdict.slowest.iter().map(|s| &s.trace))
        .map(|t| t.trace_id.to_string())
        .collect();
    out.push_str("<h3>Exemplars: a sampled request at each percentile</h3><table id=\"exemplars\"><tr><th>scenario</th><th>percentile</th><th>value ms</th><th>request ms</th><th>HTTP</th><th>trace</th></tr>");
    for s in &report.load.scenarios {
        for e in &s.exemplars {
            let id = &e.exemplar.trace_id;
            let link = if drawn.contains(id) {
                format!("#w{id}")
            } else {
                format!("{}/trace/{id}", verdict.jaeger_url)
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><a class=\"mono\" href=\"{}\">{}</a></td></tr>",
                escape(&s.scenario),
                escape(&e.percentile),
                ms(e.value_us),
                ms(e.exemplar.latency_us),
                e.exemplar
                    .status
                    .map_or_else(|| "-".to_owned(), |c| c.to_string()),
                escape(&link),
                escape(id)
            );
        }
    }
    out.push_str("</table>");
}

fn charts_section(out: &mut String, report: &JobReport) {
    out.push_str("<h2>Load over time</h2><div class=\"charts\">");
    if report.timeline.is_empty() {
        out.push_str("<p class=\"note\">No timeline: it comes from the loadgen's manifest (<code>harness report --manifest</code>).</p>");
    } else {
        for chart in [
            charts::rate(&report.timeline),
            charts::latency_over_time(&report.timeline),
        ] {
            push_chart(out, chart);
        }
    }
    let mut histograms: Vec<(&str, &hdrhistogram::Histogram<u64>)> = report
        .load
        .scenarios
        .iter()
        .map(|s| (s.scenario.as_str(), &s.latency.histogram))
        .collect();
    histograms.push(("all", &report.load.overall.latency.histogram));
    push_chart(out, charts::percentile_curve(&histograms));
    out.push_str("</div>");
}

fn push_chart(out: &mut String, chart: Result<String, charts::ChartError>) {
    match chart {
        Ok(svg) => {
            let _ = write!(out, "<div class=\"chart\">{svg}</div>");
        }
        Err(e) => {
            let _ = write!(
                out,
                "<p class=\"note\">chart not drawn: {}</p>",
                escape(&e.to_string())
            );
        }
    }
}

fn failures_section(out: &mut String, verdict: &Verdict) {
    out.push_str("<h2>Failures by rule</h2>");
    if verdict.failures.is_empty() {
        out.push_str("<p id=\"no-failures\">None: every trace holds the contract.</p>");
        return;
    }
    let mut by_rule: BTreeMap<&str, Vec<&verifier::Failure>> = BTreeMap::new();
    for failure in &verdict.failures {
        by_rule
            .entry(failure.rule.name())
            .or_default()
            .push(failure);
    }
    for (rule, list) in by_rule {
        let _ = write!(
            out,
            "<h3 class=\"rule\" data-rule=\"{rule}\"><code>{rule}</code>: <span class=\"count\">{}</span></h3><ul>",
            list.len()
        );
        for failure in list.iter().take(FAILURES_PER_RULE) {
            let trace = match (&failure.trace_id, &failure.link) {
                (Some(id), _) => format!("<a class=\"mono\" href=\"#t{id}\">{id}</a> "),
                _ => String::new(),
            };
            let _ = write!(out, "<li>{trace}{}</li>", escape(&failure.message));
        }
        if list.len() > FAILURES_PER_RULE {
            let _ = write!(
                out,
                "<li class=\"note\">and {} more (the JSON report lists them all)</li>",
                list.len() - FAILURES_PER_RULE
            );
        }
        out.push_str("</ul>");
    }
}

fn traces_section(out: &mut String, verdict: &Verdict) {
    let colours = waterfall::service_colours(
        verdict
            .traces
            .iter()
            .chain(verdict.slowest.iter().map(|s| &s.trace)),
    );
    let mut anchored = std::collections::HashSet::new();
    out.push_str("<h2>Traces</h2><p class=\"legend\">");
    for (service, colour) in &colours {
        let _ = write!(
            out,
            "<span><i style=\"background:{colour}\"></i>{}</span>",
            escape(service)
        );
    }
    out.push_str("<span>✖ status ERROR</span><span>▶ breaks a rule</span><span>thick underline: on the critical path</span></p><p><label><input type=\"checkbox\" id=\"only-critical\"> dim spans off the critical path</label></p>");
    if !verdict.traces.is_empty() {
        let _ = write!(
            out,
            "<h3>Failing traces ({} of {})</h3>",
            verdict.traces.len().min(FAILING_DRAWN),
            verdict.traces.len()
        );
        for trace in verdict.traces.iter().take(FAILING_DRAWN) {
            let messages: Vec<String> = verdict
                .failures
                .iter()
                .filter(|f| f.trace_id == Some(trace.trace_id))
                .map(|f| format!("<li><code>{}</code> {}</li>", f.rule, escape(&f.message)))
                .collect();
            trace_block(
                out,
                trace,
                "failing",
                None,
                &messages.concat(),
                &colours,
                &mut anchored,
            );
        }
    }
    if !verdict.slowest.is_empty() {
        out.push_str("<h3>Slowest traces</h3>");
        for slow in &verdict.slowest {
            let latency = format!(
                "latency {} ms{}",
                ms(slow.latency_us),
                slow.status
                    .map(|s| format!(", HTTP {s}"))
                    .unwrap_or_default()
            );
            trace_block(
                out,
                &slow.trace,
                "slow",
                Some(&latency),
                "",
                &colours,
                &mut anchored,
            );
        }
    }
}

fn trace_block(
    out: &mut String,
    trace: &FailedTrace,
    kind: &str,
    latency: Option<&str>,
    messages_html: &str,
    colours: &BTreeMap<String, &'static str>,
    anchored: &mut std::collections::HashSet<String>,
) {
    let id = trace.trace_id;
    // Failures link to `t<id>`, exemplars to `w<id>` (the first drawing of a trace).
    let anchor = if kind == "failing" {
        format!(" id=\"t{id}\"")
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<div class=\"trace {kind}\"{anchor}><p><b>{}</b> <span class=\"mono\">{id}</span> · end-to-end {} ms{} · <a href=\"{}\">in Jaeger</a></p>",
        escape(trace.scenario.as_deref().unwrap_or("unclassified")),
        ms(trace.duration_us),
        latency.map(|l| format!(" · {l}")).unwrap_or_default(),
        escape(&trace.link)
    );
    if let Some(d) = &trace.dominant {
        let _ = write!(
            out,
            "<p>Dominated by <b>{} {}</b>: {} ms on the critical path ({:.0}%).</p>",
            escape(&d.service),
            escape(&d.name),
            ms(d.critical_us),
            d.share * 100.0
        );
    }
    if !messages_html.is_empty() {
        let _ = write!(out, "<ul>{messages_html}</ul>");
    }
    if anchored.insert(id.to_string()) {
        let _ = write!(out, "<a id=\"w{id}\"></a>");
    }
    out.push_str(&waterfall::render(trace, colours));
    out.push_str("</div>");
}

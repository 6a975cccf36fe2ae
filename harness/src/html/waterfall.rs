//! A trace drawn as a span waterfall in inline SVG: one row per span in
//! tree order, bars placed on the trace's time axis and coloured by service,
//! errors marked, the critical path drawn over the bars. Written by hand:
//! a waterfall is rows of rectangles with tooltips, which a plotting
//! library's chart types do not fit.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use verifier::FailedTrace;

use super::escape;

const WIDTH: f64 = 980.0;
const LABEL_WIDTH: f64 = 370.0;
const BARS_WIDTH: f64 = WIDTH - LABEL_WIDTH - 70.0;
const ROW: f64 = 20.0;
const AXIS: f64 = 22.0;

/// Service colours, in order of the services' names.
pub(super) const SERVICE_COLOURS: [&str; 6] = [
    "#4e79a7", "#59a14f", "#b07aa1", "#f28e2b", "#76b7b2", "#9c755f",
];

/// The colour of each service, stable within a report.
pub(super) fn service_colours<'a>(
    traces: impl Iterator<Item = &'a FailedTrace>,
) -> BTreeMap<String, &'static str> {
    let mut colours: BTreeMap<String, &'static str> = traces
        .flat_map(|t| t.tree.iter().map(|l| (l.service.clone(), "")))
        .collect();
    for (i, colour) in colours.values_mut().enumerate() {
        *colour = SERVICE_COLOURS[i % SERVICE_COLOURS.len()];
    }
    colours
}

/// Milliseconds with the decimals that matter at that size.
fn ms(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    match us {
        0..1_000 => format!("{ms:.3}ms"),
        1_000..10_000 => format!("{ms:.2}ms"),
        _ => format!("{ms:.1}ms"),
    }
}

/// The waterfall of one trace.
pub(super) fn render(trace: &FailedTrace, colours: &BTreeMap<String, &'static str>) -> String {
    let extent = trace
        .tree
        .iter()
        .map(|l| l.start_us + l.duration_us)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let x = |us: u64| LABEL_WIDTH + us as f64 / extent * BARS_WIDTH;
    let height = AXIS + ROW * trace.tree.len() as f64 + 4.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="waterfall" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="span waterfall of trace {}">"#,
        trace.trace_id
    );
    for i in 0..=4u64 {
        let us = (extent as u64) * i / 4;
        let gx = x(us);
        let _ = write!(
            svg,
            r##"<line x1="{gx:.1}" y1="{AXIS}" x2="{gx:.1}" y2="{height}" stroke="#ddd"/><text x="{gx:.1}" y="14" class="tick">{}</text>"##,
            ms(us)
        );
    }
    for (row, line) in trace.tree.iter().enumerate() {
        let y = AXIS + ROW * row as f64;
        let colour = colours.get(&line.service).copied().unwrap_or("#888");
        let error = line.status == "ERROR";
        let broken = !line.rules.is_empty();
        let on_path = line.critical_us > 0;
        let rules: Vec<&str> = line.rules.iter().map(|r| r.name()).collect();
        let http = line.http_status.as_deref().unwrap_or("-");
        let tooltip = format!(
            "{} {} {}\nstatus {} http {http}\nstart +{} duration {} self {} on critical path {}{}",
            line.service,
            line.kind,
            line.name,
            line.status,
            ms(line.start_us),
            ms(line.duration_us),
            ms(line.self_us),
            ms(line.critical_us),
            if rules.is_empty() {
                String::new()
            } else {
                format!("\nbreaks {}", rules.join(", "))
            }
        );
        let class = match (on_path, broken) {
            (_, true) => "span broken",
            (true, false) => "span critical",
            (false, false) => "span",
        };
        let _ = write!(
            svg,
            r#"<g class="{class}" data-span-id="{}"><title>{}</title>"#,
            line.span_id,
            escape(&tooltip)
        );
        let mut label = format!("{} {}", line.service, line.name);
        if label.chars().count() > 48 {
            label = label.chars().take(47).collect::<String>() + "…";
        }
        let marks = format!(
            "{}{}",
            if broken { "▶ " } else { "" },
            if error { "✖ " } else { "" }
        );
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" class="label{}">{}{}</text>"#,
            4.0 + 12.0 * line.depth as f64,
            y + 14.0,
            if error || broken { " bad" } else { "" },
            escape(&marks),
            escape(&label)
        );
        let bx = x(line.start_us);
        let bw = (x(line.start_us + line.duration_us) - bx).max(1.0);
        let stroke = if error {
            r##" stroke="#d62728" stroke-width="2""##
        } else {
            ""
        };
        let _ = write!(
            svg,
            r#"<rect x="{bx:.1}" y="{:.1}" width="{bw:.1}" height="{:.1}" rx="2" fill="{colour}" fill-opacity="0.55"{stroke}/>"#,
            y + 3.0,
            ROW - 6.0
        );
        for step in trace
            .critical_path
            .iter()
            .filter(|s| s.span_id == line.span_id)
        {
            let cx = x(step.start_us);
            let cw = (x(step.start_us + step.duration_us) - cx).max(1.0);
            let _ = write!(
                svg,
                r#"<rect class="cp" x="{cx:.1}" y="{:.1}" width="{cw:.1}" height="5" fill="{colour}"/>"#,
                y + ROW - 8.0
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" class="dur">{}</text></g>"#,
            (bx + bw + 4.0).min(WIDTH - 66.0),
            y + 14.0,
            ms(line.duration_us)
        );
    }
    svg.push_str("</svg>");
    svg
}

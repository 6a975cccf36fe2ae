//! Renders a [`Verdict`]: human text, JSON, or JUnit XML for CI.

pub(crate) mod explain;
mod junit;
pub(crate) mod markdown;
mod text;

use crate::verdict::Verdict;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// A summary table and each failing trace with its span tree.
    #[default]
    Text,
    /// The whole verdict as JSON.
    Json,
    /// JUnit XML: a test suite per scenario, a test case per rule.
    Junit,
    /// Markdown for a CI job summary (also appended to `$GITHUB_STEP_SUMMARY`
    /// whatever the format, when that variable is set).
    Markdown,
}

/// Options of the text format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// At most this many failing traces are printed with their trees (and
    /// at most this many missing traces are listed).
    pub max_traces: usize,
    /// At most this many findings and this many tree lines are printed per
    /// trace: one malformed trace of 100,000 spans must not print 100,000
    /// lines. A note says what was cut; JSON and JUnit keep everything.
    pub max_lines: usize,
    /// Spans nested deeper than this are not printed (a chain's indentation
    /// grows with its depth); a note counts them.
    pub max_depth: usize,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            max_traces: 20,
            max_lines: 200,
            max_depth: 32,
        }
    }
}

/// The sampling test in words: `"1532 of 15000 requests sampled (10.21%),
/// expected 10.00%: binomial test p = 0.3838"`, or `"... (10.21%), no ratio
/// given, not tested"`.
pub(crate) fn sampling_sentence(test: &crate::sampling::SamplingTest) -> String {
    let observed = format!(
        "{} of {} requests sampled ({:.2}%)",
        test.sampled,
        test.requests,
        test.observed_ratio * 100.0
    );
    match (test.expected_ratio, test.p_value) {
        (Some(ratio), Some(p)) => format!(
            "{observed}, expected {:.2}%: binomial test p = {p:.4}",
            ratio * 100.0
        ),
        _ => format!("{observed}, no ratio given, not tested"),
    }
}

/// One span of a tree in words: indented by depth, `service KIND name
/// STATUS http`, and `   <- rule, rule` when it breaks rules.
pub(crate) fn span_line(line: &crate::verdict::TreeLine) -> (String, String) {
    let http = line
        .http_status
        .as_deref()
        .map(|c| format!("  {c}"))
        .unwrap_or_default();
    let label = format!(
        "{}{} {} {}  {}{http}",
        "  ".repeat(line.depth),
        line.service,
        line.kind,
        line.name,
        line.status
    );
    let rules = if line.rules.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = line.rules.iter().map(|r| r.name()).collect();
        format!("   <- {}", names.join(", "))
    };
    (label, rules)
}

/// The lines of a span tree to print under `options`' caps (at most
/// `max_lines` lines, none nested deeper than `max_depth`), and a note
/// saying what was cut, if anything.
pub(crate) fn shown_tree(
    tree: &[crate::verdict::TreeLine],
    options: TextOptions,
) -> (Vec<&crate::verdict::TreeLine>, Option<String>) {
    let (mut shown, mut too_deep, mut past_lines, mut marked_cut) = (Vec::new(), 0, 0, 0);
    for line in tree {
        if line.depth <= options.max_depth && shown.len() < options.max_lines {
            shown.push(line);
            continue;
        }
        if line.depth > options.max_depth {
            too_deep += 1;
        } else {
            past_lines += 1;
        }
        marked_cut += usize::from(!line.rules.is_empty());
    }
    let mut cut = Vec::new();
    if too_deep > 0 {
        cut.push(format!(
            "{too_deep} spans nested deeper than {} levels",
            options.max_depth
        ));
    }
    if past_lines > 0 {
        cut.push(format!(
            "{past_lines} more spans past {} lines",
            options.max_lines
        ));
    }
    let note = (!cut.is_empty()).then(|| {
        format!(
            "… tree cut: {} not shown ({marked_cut} of them marked; --format json has the whole tree)",
            cut.join(" and ")
        )
    });
    (shown, note)
}

/// Renders a verdict in a format.
pub fn render(verdict: &Verdict, format: Format, options: TextOptions) -> String {
    match format {
        Format::Text => text::render(verdict, options),
        Format::Json => render_json(verdict),
        Format::Junit => junit::render(verdict),
        Format::Markdown => markdown::render(verdict),
    }
}

/// The verdict as pretty JSON.
pub(crate) fn render_json(verdict: &Verdict) -> String {
    let mut json = serde_json::to_string_pretty(verdict)
        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string());
    json.push('\n');
    json
}

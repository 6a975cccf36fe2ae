//! Renders a [`Verdict`]: human text, JSON, or JUnit XML for CI.

pub mod explain;
mod junit;
pub mod markdown;
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
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions { max_traces: 20 }
    }
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
pub fn render_json(verdict: &Verdict) -> String {
    let mut json = serde_json::to_string_pretty(verdict)
        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string());
    json.push('\n');
    json
}

pub use junit::render as render_junit;
pub use markdown::render as render_markdown;
pub use text::render as render_text;

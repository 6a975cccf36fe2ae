//! The job's one report: the load figures and the verification result.

use std::fmt;

use serde::{Deserialize, Serialize};
use verifier::{Format, TextOptions, Verdict};

use tracestore::StoreStats;

use crate::timeline::TimelineSecond;

/// What a job measured and found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobReport {
    /// The loadgen's figures (rate, statuses, errors, latency percentiles).
    pub load: loadgen::Report,
    /// The verifier's verdict on the traces that load produced.
    pub verdict: Verdict,
    /// The run second by second (from the manifest; empty without one).
    #[serde(default)]
    pub timeline: Vec<TimelineSecond>,
    /// The traces written by `--keep-traces` (only when the job failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_traces: Option<crate::keep::KeptTraces>,
    /// The embedded store's counters after the verification (none with an
    /// external backend): evicted or rejected spans are traces the verifier
    /// could not find, and the report names the flag that would keep them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreStats>,
}

impl JobReport {
    /// Passed when the verifier passed and the load had no failed request:
    /// a request that got no answer, or the wrong one, has no trace the
    /// verifier can hold against the contract, so it must fail the job itself.
    pub fn passed(&self) -> bool {
        self.verdict.passed() && self.load.passed()
    }

    /// The exit code of `harness run`: 0 passed, 1 the traces break the
    /// contract or requests failed (2, could not run or check, comes from
    /// errors before a report exists).
    pub fn exit_code(&self) -> u8 {
        if self.passed() {
            cli_support::EXIT_OK
        } else {
            cli_support::EXIT_FAILED
        }
    }

    /// One line for the end of the output.
    pub fn summary_line(&self) -> String {
        let verdict = if self.verdict.passed() {
            "traces hold the contract".to_owned()
        } else {
            format!("{} verification failure(s)", self.verdict.failures.len())
        };
        let load = if self.load.passed() {
            "every request answered as expected".to_owned()
        } else {
            self.load.summary_line()
        };
        let word = if self.passed() { "PASS" } else { "FAIL" };
        let mut line = format!("{word}: {verdict}; {load}");
        if let Some(lost) = self.store.as_ref().and_then(store_losses) {
            line.push_str("; ");
            line.push_str(&lost);
        }
        line
    }

    /// The one-file HTML report (`harness run --report`, `harness report`):
    /// charts of the run, failing rules and the first [`FAILING_DRAWN`]
    /// failing traces drawn as waterfalls, all inline.
    ///
    /// [`FAILING_DRAWN`]: crate::FAILING_DRAWN
    pub fn to_html(&self) -> String {
        crate::html::render(self)
    }

    /// Markdown for a CI job summary: the verdict, the latency table per
    /// scenario, then the verifier's summary (counts, failing rules with
    /// trace links, slowest traces with their dominant span).
    pub fn to_markdown(&self) -> String {
        let word = if self.passed() {
            "✅ PASS"
        } else {
            "❌ FAIL"
        };
        let mut out = format!(
            "## tracing-proof: {word}\n\n{}\n\n| scenario | requests | rate/s | ok | failed | p50 | p90 | p99 | p99.9 | max |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
            self.summary_line()
        );
        for s in self.load.scenarios.iter().chain([&self.load.overall]) {
            let l = &s.latency;
            let ms = |us: u64| format!("{:.2}ms", us as f64 / 1000.0);
            out.push_str(&format!(
                "| {} | {} | {:.1} | {} | {} | {} | {} | {} | {} | {} |\n",
                s.scenario,
                s.count,
                s.achieved_rps,
                s.ok,
                s.unexpected_status + s.errors.total(),
                ms(l.p50_us),
                ms(l.p90_us),
                ms(l.p99_us),
                ms(l.p999_us),
                ms(l.max_us)
            ));
        }
        out.push('\n');
        out.push_str(&verifier::render(
            &self.verdict,
            verifier::Format::Markdown,
            Default::default(),
        ));
        out
    }

    /// The report as pretty JSON: `{"passed", "load", "verdict"}`.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Json<'a> {
            passed: bool,
            #[serde(flatten)]
            report: &'a JobReport,
        }
        let mut json = serde_json::to_string_pretty(&Json {
            passed: self.passed(),
            report: self,
        })
        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string());
        json.push('\n');
        json
    }
}

impl fmt::Display for JobReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "== load")?;
        write!(f, "{}", self.load)?;
        writeln!(f)?;
        writeln!(f, "== verification")?;
        write!(
            f,
            "{}",
            verifier::render(&self.verdict, Format::Text, TextOptions::default())
        )?;
        writeln!(f)?;
        writeln!(f, "{}", self.summary_line())
    }
}

/// What the embedded store dropped, and the flags that would have kept it:
/// the reason a run of more spans than the store's bounds fails `complete`.
pub(crate) fn store_losses(stats: &StoreStats) -> Option<String> {
    let mut parts = Vec::new();
    if stats.evicted_traces > 0 {
        let bounds = match stats.max_bytes {
            Some(bytes) => format!("--max-spans {} and --max-bytes {bytes}", stats.max_spans),
            None => format!("--max-spans {}", stats.max_spans),
        };
        parts.push(format!(
            "tracestore evicted {} trace(s) ({} spans) to stay within {bounds}",
            stats.evicted_traces, stats.evicted_spans
        ));
    }
    if stats.rejected_spans > 0 {
        parts.push(format!(
            "tracestore rejected {} span(s) (invalid ids, or a trace larger than the bounds)",
            stats.rejected_spans
        ));
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!(
        "{}: the verifier cannot find them; raise --max-spans or --max-bytes",
        parts.join(", ")
    ))
}

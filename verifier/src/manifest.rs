//! The loadgen's manifest (`--manifest run.jsonl`): one JSON object per request
//! (format in docs/CONTRACT.md). Several files (one per shard) merge into one.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::model::{SpanId, TraceId, hex_value};
use crate::spec::Spec;

/// A W3C trace context id of exactly `digits` hex digits, not all zero
/// (W3C makes the all-zero id invalid), as the loadgen writes it. Stricter
/// than Jaeger's answers, whose v1 ids may be shorter.
fn w3c_id(text: &str, digits: usize, field: &'static str) -> Result<u128, IdError> {
    let not_hex = || IdError::NotHex {
        field,
        text: text.to_owned(),
        digits,
    };
    if text.len() != digits {
        return Err(not_hex());
    }
    // At most 32 hex digits: the value cannot overflow a u128.
    match hex_value(text) {
        Some(0) => Err(IdError::AllZeros {
            field,
            text: text.to_owned(),
        }),
        Some(id) => Ok(id),
        None => Err(not_hex()),
    }
}

/// A manifest id that is not a W3C trace context id.
#[derive(Debug, thiserror::Error)]
enum IdError {
    #[error("{field} `{text}` is not {digits} hex digits")]
    NotHex {
        field: &'static str,
        text: String,
        digits: usize,
    },
    #[error("{field} `{text}` is all zeros, an invalid id in W3C trace context")]
    AllZeros { field: &'static str, text: String },
}

/// A manifest that cannot be used, with where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("manifest {origin}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct ManifestError {
    /// The file.
    pub origin: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

#[derive(Deserialize)]
struct RawRecord<'a> {
    #[serde(default)]
    seq: u64,
    #[serde(borrow)]
    trace_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    span_id: Option<Cow<'a, str>>,
    sampled: Option<bool>,
    #[serde(default)]
    root_span: bool,
    #[serde(borrow)]
    scenario: Cow<'a, str>,
    #[serde(default)]
    intended_start_us: u64,
    #[serde(default)]
    actual_start_us: Option<u64>,
    #[serde(default)]
    latency_us: u64,
    #[serde(default)]
    status: Option<u16>,
}

/// One request of a load run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// Request number (per shard).
    pub seq: u64,
    /// The trace id; `None` when unknown (`--sampler none` without a `traceresponse`).
    pub trace_id: Option<TraceId>,
    /// The parent span id sent in `traceparent` (or the server span with `--sampler none`).
    pub span_id: Option<SpanId>,
    /// The sampled flag; `None` when unknown.
    pub sampled: Option<bool>,
    /// Whether the loadgen exported its CLIENT span.
    pub root_span: bool,
    /// Scenario name, shared by the manifest's entries of that scenario.
    pub scenario: Arc<str>,
    /// Earliest time the request is about, µs since the epoch.
    pub start_us: u64,
    /// When its answer (or failure) came, µs since the epoch.
    pub end_us: u64,
    /// HTTP status received; `None` when no answer came.
    pub status: Option<u16>,
}

impl ManifestEntry {
    /// Whether the store must hold a complete trace for this request.
    pub fn expects_trace(&self) -> bool {
        self.trace_id.is_some() && self.sampled == Some(true) && self.status.is_some()
    }

    /// Whether the store must hold no trace for this request.
    pub fn forbids_trace(&self) -> bool {
        self.trace_id.is_some() && self.sampled == Some(false)
    }

    /// The span id the trace's root may name as its parent without it being an
    /// orphan: the loadgen's span, when the loadgen did not export it. (With
    /// `--sampler none` it is the SERVER span itself, which is in the trace and
    /// so stays an ordinary parent.)
    pub fn accepted_parent(&self) -> Option<SpanId> {
        if self.root_span { None } else { self.span_id }
    }
}

/// Every request of one or more load runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    entries: Vec<ManifestEntry>,
    by_trace: HashMap<TraceId, usize>,
    /// The files read, which `origins` index.
    files: Vec<Arc<str>>,
    /// Where each entry was read (index into `files`, 1-based line), for
    /// errors found after parsing; empty for [`Manifest::from_entries`].
    /// Eight bytes an entry: a soak's manifest holds hundreds of thousands.
    origins: Vec<(u32, u32)>,
    /// One name per scenario, shared by its entries.
    scenarios: HashSet<Arc<str>>,
}

impl Manifest {
    /// A manifest of these entries (the first entry of a trace id wins).
    pub fn from_entries(entries: Vec<ManifestEntry>) -> Manifest {
        let mut by_trace = HashMap::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            if let Some(id) = entry.trace_id {
                by_trace.entry(id).or_insert(i);
            }
        }
        Manifest {
            entries,
            by_trace,
            ..Manifest::default()
        }
    }

    /// Reads and merges manifest files, a line at a time (a soak's manifest
    /// is tens of megabytes; only its entries are held). A trace id listed
    /// twice with different scenarios (in one file or across files) is an
    /// error naming both places.
    pub fn from_paths<P: AsRef<Path>>(paths: &[P]) -> Result<Manifest, ManifestError> {
        let mut merged = Manifest::default();
        for path in paths {
            let origin = path.as_ref().display().to_string();
            let cannot_read = |e: std::io::Error| ManifestError {
                origin: origin.clone(),
                line: None,
                message: format!("cannot read: {e}"),
            };
            let mut reader = BufReader::new(File::open(path.as_ref()).map_err(cannot_read)?);
            let file = merged.file(&origin);
            let mut line = String::new();
            for n in 1.. {
                line.clear();
                if reader.read_line(&mut line).map_err(cannot_read)? == 0 {
                    break;
                }
                merged.add_line(&line, file, n)?;
            }
        }
        merged.entries.shrink_to_fit();
        merged.origins.shrink_to_fit();
        Ok(merged)
    }

    /// Parses JSON lines; `origin` names the text in errors. Blank lines are
    /// skipped. Ids must be W3C ids as the loadgen writes them: 32 (trace) or
    /// 16 (span) hex digits, not all zero.
    pub fn parse(text: &str, origin: &str) -> Result<Manifest, ManifestError> {
        let mut manifest = Manifest::default();
        let file = manifest.file(origin);
        for (n, line) in text.lines().enumerate() {
            manifest.add_line(line, file, n + 1)?;
        }
        Ok(manifest)
    }

    /// The index of a file entries are read from.
    fn file(&mut self, origin: &str) -> u32 {
        self.files.push(Arc::from(origin));
        u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX)
    }

    /// Parses line `n` of `file` (a blank one is skipped) and adds its entry.
    fn add_line(&mut self, line: &str, file: u32, n: usize) -> Result<(), ManifestError> {
        if line.trim().is_empty() {
            return Ok(());
        }
        let error = |message: String| ManifestError {
            origin: self.files.get(file as usize).map_or("", |f| f).to_owned(),
            line: Some(n),
            message,
        };
        let raw: RawRecord<'_> = serde_json::from_str(line).map_err(|e| error(e.to_string()))?;
        let trace_id = raw
            .trace_id
            .as_deref()
            .map(|text| w3c_id(text, 32, "trace_id").map(TraceId))
            .transpose()
            .map_err(|e| error(e.to_string()))?;
        let span_id = raw
            .span_id
            .as_deref()
            .map(|text| w3c_id(text, 16, "span_id").map(|id| SpanId(id as u64)))
            .transpose()
            .map_err(|e| error(e.to_string()))?;
        let actual = raw.actual_start_us.unwrap_or(raw.intended_start_us);
        let entry = ManifestEntry {
            seq: raw.seq,
            trace_id,
            span_id,
            sampled: raw.sampled,
            root_span: raw.root_span,
            scenario: self.scenario(&raw.scenario),
            start_us: raw.intended_start_us.min(actual),
            end_us: raw
                .intended_start_us
                .saturating_add(raw.latency_us)
                .max(actual),
            status: raw.status,
        };
        self.push(entry, (file, u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// The shared name of a scenario.
    fn scenario(&mut self, name: &str) -> Arc<str> {
        if let Some(shared) = self.scenarios.get(name) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(name);
        self.scenarios.insert(shared.clone());
        shared
    }

    /// Adds an entry read at `origin`; the same trace id under another
    /// scenario is contradictory input.
    fn push(&mut self, entry: ManifestEntry, origin: (u32, u32)) -> Result<(), ManifestError> {
        if let Some(id) = entry.trace_id {
            match self.by_trace.get(&id) {
                Some(&first) if self.entries[first].scenario != entry.scenario => {
                    let (file, line) = self.origin(first);
                    let (here, at) = self.origin_of(origin);
                    return Err(ManifestError {
                        origin: here,
                        line: at,
                        message: format!(
                            "trace_id {id} is listed as scenario `{}`, but {file} line {} lists it as `{}`",
                            entry.scenario,
                            line.unwrap_or(0),
                            self.entries[first].scenario
                        ),
                    });
                }
                Some(_) => {}
                None => {
                    self.by_trace.insert(id, self.entries.len());
                }
            }
        }
        self.entries.push(entry);
        self.origins.push(origin);
        Ok(())
    }

    /// Where entry `i` was read: its file and line, or `entries` for
    /// [`Manifest::from_entries`].
    fn origin(&self, i: usize) -> (String, Option<usize>) {
        match self.origins.get(i) {
            Some(&origin) => self.origin_of(origin),
            None => ("entries".to_owned(), None),
        }
    }

    fn origin_of(&self, (file, line): (u32, u32)) -> (String, Option<usize>) {
        (
            self.files.get(file as usize).map_or("", |f| f).to_owned(),
            Some(line as usize),
        )
    }

    /// Refuses entries whose scenario the spec does not define: input that
    /// would otherwise be blamed on the system under test.
    pub fn check_scenarios(&self, spec: &Spec) -> Result<(), ManifestError> {
        let Some(i) = self
            .entries
            .iter()
            .position(|e| spec.scenario(&e.scenario).is_none())
        else {
            return Ok(());
        };
        let known: Vec<&str> = spec.scenarios.iter().map(|s| s.name.as_str()).collect();
        let (origin, line) = self.origin(i);
        Err(ManifestError {
            origin,
            line,
            message: format!(
                "scenario `{}` is not one of spec `{}`'s ({})",
                self.entries[i].scenario,
                spec.name,
                known.join(", ")
            ),
        })
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> &[ManifestEntry] {
        &self.entries
    }

    /// The entry of a trace id.
    pub fn entry(&self, trace_id: TraceId) -> Option<&ManifestEntry> {
        self.by_trace.get(&trace_id).map(|&i| &self.entries[i])
    }

    /// The time span of the requests, µs since the epoch; `None` when empty.
    pub fn time_span_us(&self) -> Option<(u64, u64)> {
        let start = self.entries.iter().map(|e| e.start_us).min()?;
        let end = self.entries.iter().map(|e| e.end_us).max()?;
        Some((start, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"seq":0,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","sampled":true,"root_span":true,"scenario":"valid","intended_start_us":1764000000000000,"actual_start_us":1764000000000012,"latency_us":1840,"status":201,"expected_status":201,"outcome":"ok"}"#;

    #[test]
    fn parses_the_contract_example() {
        let manifest = Manifest::parse(&format!("{LINE}\n\n"), "run.jsonl").unwrap();
        let entry = &manifest.entries()[0];
        assert_eq!(
            entry.trace_id.unwrap().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(entry.expects_trace());
        assert!(!entry.forbids_trace());
        assert_eq!(entry.accepted_parent(), None);
        assert_eq!(
            manifest.time_span_us(),
            Some((1_764_000_000_000_000, 1_764_000_000_001_840))
        );
        assert!(manifest.entry(entry.trace_id.unwrap()).is_some());
    }

    #[test]
    fn unexported_root_spans_and_unknown_ids_are_understood() {
        let text = r#"{"seq":1,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4737","span_id":"00f067aa0ba902b7","sampled":true,"root_span":false,"scenario":"valid","status":201}
{"seq":2,"trace_id":null,"span_id":null,"sampled":null,"root_span":false,"scenario":"health","status":200}"#;
        let manifest = Manifest::parse(text, "m").unwrap();
        assert_eq!(
            manifest.entries()[0].accepted_parent(),
            Some(SpanId(0x00f067aa0ba902b7))
        );
        assert!(!manifest.entries()[1].expects_trace());
        assert!(!manifest.entries()[1].forbids_trace());
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        let text = r#"{"seq":0,"trace_id":null,"sampled":null,"scenario":"valid","intended_start_us":18446744073709551615,"actual_start_us":1,"latency_us":18446744073709551615,"status":null}"#;
        let manifest = Manifest::parse(text, "m").unwrap();
        assert_eq!(manifest.time_span_us(), Some((1, u64::MAX)));
    }

    #[test]
    fn bad_lines_are_named() {
        let err = Manifest::parse(&format!("{LINE}\n{{\"seq\":1}}\n"), "run.jsonl").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(
            err.to_string().starts_with("manifest run.jsonl, line 2: "),
            "{err}"
        );
        let err = Manifest::parse(
            r#"{"trace_id":"xyz","sampled":true,"scenario":"valid"}"#,
            "m",
        )
        .unwrap_err();
        assert!(err.message.contains("trace_id"));
    }
}

//! The manifest (`--manifest run.jsonl`): one JSON line per request, streamed
//! as each completes, in the format of `docs/CONTRACT.md`.

use std::{
    cell::RefCell,
    fs::File,
    io::{self, BufWriter, Write},
    path::{Path, PathBuf},
};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::{error::LoadError, plan::TraceIds};

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The scenario's expected status came back.
    Ok,
    /// Another status came back.
    UnexpectedStatus,
    /// No complete answer within the timeout.
    Timeout,
    /// The connection could not be established.
    Connect,
    /// The connection failed during the exchange.
    Io,
}

impl Outcome {
    /// The manifest's name of the outcome (also `error.type` for transport failures).
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::UnexpectedStatus => "unexpected_status",
            Outcome::Timeout => "timeout",
            Outcome::Connect => "connect",
            Outcome::Io => "io",
        }
    }
}

/// One manifest line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestRecord {
    /// Request number in this run (per shard).
    pub seq: u64,
    /// 32 lowercase hex digits; with `--sampler none` from `traceresponse`.
    pub trace_id: Option<String>,
    /// 16 lowercase hex digits: the parent span id sent in `traceparent`
    /// (the loadgen CLIENT span), or with `--sampler none` the server span.
    pub span_id: Option<String>,
    /// The sampled flag sent, or with `--sampler none` the one reported.
    pub sampled: Option<bool>,
    /// Whether the loadgen exported its CLIENT span for this request.
    pub root_span: bool,
    /// The scenario's name.
    pub scenario: String,
    /// Intended start, µs since the Unix epoch.
    pub intended_start_us: u64,
    /// Actual start, µs since the Unix epoch.
    pub actual_start_us: u64,
    /// From the intended start to the end of the answer or the failure.
    pub latency_us: u64,
    /// The status received, if an answer came.
    pub status: Option<u16>,
    /// The status the scenario expects: the one that came when it is one
    /// of several expected, else the first expected.
    pub expected_status: u16,
    /// How the request ended.
    pub outcome: Outcome,
}

/// One manifest line as the worker has it, ids still binary: written by
/// hand in [`ManifestRecord`]'s exact JSON (field order, `null`s), since a
/// line is written for every request and `serde_json` with `fmt`-formatted
/// ids stood out in the generator's profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ManifestLine<'a> {
    pub(crate) seq: u64,
    pub(crate) ids: Option<TraceIds>,
    pub(crate) root_span: bool,
    pub(crate) scenario: &'a str,
    pub(crate) intended_start_us: u64,
    pub(crate) actual_start_us: u64,
    pub(crate) latency_us: u64,
    pub(crate) status: Option<u16>,
    pub(crate) expected_status: u16,
    pub(crate) outcome: Outcome,
}

impl ManifestLine<'_> {
    /// Appends the line's JSON (without the newline) to `out`. Every string
    /// written is a hex id or a name of letters, digits, `_`, `.` and `-`
    /// (what a scenarios file allows), so nothing needs escaping.
    fn encode(&self, out: &mut Vec<u8>) {
        let mut number = itoa::Buffer::new();
        out.extend_from_slice(b"{\"seq\":");
        out.extend_from_slice(number.format(self.seq).as_bytes());
        field(out, "trace_id");
        match &self.ids {
            Some(ids) => quoted_hex(out, &ids.trace_id.to_bytes()),
            None => out.extend_from_slice(b"null"),
        }
        field(out, "span_id");
        match &self.ids {
            Some(ids) => quoted_hex(out, &ids.span_id.to_bytes()),
            None => out.extend_from_slice(b"null"),
        }
        field(out, "sampled");
        out.extend_from_slice(match self.ids {
            Some(TraceIds { sampled: true, .. }) => b"true",
            Some(TraceIds { sampled: false, .. }) => b"false",
            None => b"null",
        });
        field(out, "root_span");
        out.extend_from_slice(if self.root_span { b"true" } else { b"false" });
        field(out, "scenario");
        quoted_name(out, self.scenario);
        for (name, value) in [
            ("intended_start_us", self.intended_start_us),
            ("actual_start_us", self.actual_start_us),
            ("latency_us", self.latency_us),
        ] {
            field(out, name);
            out.extend_from_slice(number.format(value).as_bytes());
        }
        field(out, "status");
        match self.status {
            Some(code) => out.extend_from_slice(number.format(code).as_bytes()),
            None => out.extend_from_slice(b"null"),
        }
        field(out, "expected_status");
        out.extend_from_slice(number.format(self.expected_status).as_bytes());
        field(out, "outcome");
        quoted_name(out, self.outcome.name());
        out.push(b'}');
    }
}

/// `,"name":` before every field but the first.
fn field(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

fn quoted_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + 2 * bytes.len(), 0);
    telemetry::write_hex(&mut out[start..], bytes);
    out.push(b'"');
}

/// A fixed name (scenario, outcome): plain ASCII, nothing to escape.
fn quoted_name(out: &mut Vec<u8>, name: &str) {
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.push(b'"');
}

/// Reads a manifest back (for tests and tools); stops at the first bad line.
pub fn read_manifest(path: &Path) -> io::Result<Vec<ManifestRecord>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| {
                io::Error::new(io::ErrorKind::InvalidData, format!("line {}: {e}", i + 1))
            })
        })
        .collect()
}

/// Streams manifest lines into a file from many tasks; memory stays one
/// buffer whatever the length of the run.
#[derive(Debug)]
pub(crate) struct ManifestWriter {
    path: PathBuf,
    state: Mutex<WriterState>,
}

#[derive(Debug)]
struct WriterState {
    out: BufWriter<File>,
    lines: u64,
    error: Option<io::Error>,
}

thread_local! {
    /// One reusable line buffer per thread: formatting happens outside the lock.
    static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl ManifestWriter {
    /// Creates (truncates) the file.
    pub(crate) fn create(path: &Path) -> Result<ManifestWriter, LoadError> {
        let file = File::create(path).map_err(|source| LoadError::Manifest {
            path: path.to_owned(),
            source,
        })?;
        Ok(ManifestWriter {
            path: path.to_owned(),
            state: Mutex::new(WriterState {
                out: BufWriter::with_capacity(64 * 1024, file),
                lines: 0,
                error: None,
            }),
        })
    }

    /// Appends one line; `false` once writing has failed (the first error is
    /// kept for [`ManifestWriter::finish`]).
    pub(crate) fn write(&self, record: &ManifestLine) -> bool {
        LINE.with_borrow_mut(|line| {
            line.clear();
            record.encode(line);
            line.push(b'\n');
            let mut state = self.state.lock();
            if state.error.is_some() {
                return false;
            }
            match state.out.write_all(line) {
                Ok(()) => {
                    state.lines += 1;
                    true
                }
                Err(e) => {
                    state.error = Some(e);
                    false
                }
            }
        })
    }

    /// Pushes buffered lines to the file (so `tail -f` sees them).
    pub(crate) fn flush(&self) {
        let mut state = self.state.lock();
        if state.error.is_none()
            && let Err(e) = state.out.flush()
        {
            state.error = Some(e);
        }
    }

    /// Flushes and reports the lines written, or the first write error.
    pub(crate) fn finish(&self) -> Result<u64, ManifestWriteError> {
        self.flush();
        let mut state = self.state.lock();
        match state.error.take() {
            None => Ok(state.lines),
            Some(source) => Err(ManifestWriteError {
                path: self.path.clone(),
                lines: state.lines,
                source,
            }),
        }
    }
}

/// The manifest stopped being written: the first write error, after how
/// many lines.
#[derive(Debug, thiserror::Error)]
#[error("writing the manifest {} failed after {lines} lines", path.display())]
pub(crate) struct ManifestWriteError {
    path: PathBuf,
    lines: u64,
    #[source]
    source: std::io::Error,
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::{SpanId, TraceId};

    use super::*;

    fn line(seq: u64) -> ManifestLine<'static> {
        ManifestLine {
            seq,
            ids: Some(TraceIds {
                trace_id: TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
                span_id: SpanId::from_hex("00f067aa0ba902b7").unwrap(),
                sampled: true,
            }),
            root_span: true,
            scenario: "valid",
            intended_start_us: 1_764_000_000_000_000,
            actual_start_us: 1_764_000_000_000_012,
            latency_us: 1840,
            status: Some(201),
            expected_status: 201,
            outcome: Outcome::Ok,
        }
    }

    /// The record serde would write for the same line.
    fn record(line: &ManifestLine) -> ManifestRecord {
        ManifestRecord {
            seq: line.seq,
            trace_id: line.ids.map(|i| i.trace_id.to_string()),
            span_id: line.ids.map(|i| i.span_id.to_string()),
            sampled: line.ids.map(|i| i.sampled),
            root_span: line.root_span,
            scenario: line.scenario.to_owned(),
            intended_start_us: line.intended_start_us,
            actual_start_us: line.actual_start_us,
            latency_us: line.latency_us,
            status: line.status,
            expected_status: line.expected_status,
            outcome: line.outcome,
        }
    }

    fn failed(seq: u64) -> ManifestLine<'static> {
        ManifestLine {
            ids: None,
            status: None,
            outcome: Outcome::Connect,
            ..line(seq)
        }
    }

    #[test]
    fn lines_follow_the_contract_example_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        let w = ManifestWriter::create(&path).unwrap();
        assert!(w.write(&line(0)));
        assert!(w.write(&failed(1)));
        assert_eq!(w.finish().ok(), Some(2));
        let text = std::fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap();
        assert_eq!(
            first,
            r#"{"seq":0,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","sampled":true,"root_span":true,"scenario":"valid","intended_start_us":1764000000000000,"actual_start_us":1764000000000012,"latency_us":1840,"status":201,"expected_status":201,"outcome":"ok"}"#
        );
        assert_eq!(
            read_manifest(&path).unwrap(),
            vec![record(&line(0)), record(&failed(1))]
        );
    }

    #[test]
    fn the_hand_written_line_is_what_serde_writes() {
        let scenarios = ["valid", "invalid", "fraud", "health", "Check_out.v2-b"];
        let outcomes = [
            Outcome::Ok,
            Outcome::UnexpectedStatus,
            Outcome::Timeout,
            Outcome::Connect,
            Outcome::Io,
        ];
        let mut n = 0_u64;
        for scenario in scenarios {
            for outcome in outcomes {
                for (sampled, root_span) in [(true, true), (false, false), (true, false)] {
                    n += 1;
                    let mut l = ManifestLine {
                        seq: u64::MAX - n,
                        scenario,
                        outcome,
                        root_span,
                        intended_start_us: n * 7_919,
                        actual_start_us: 0,
                        latency_us: u64::MAX / n,
                        status: Some(100 + n as u16),
                        expected_status: 599,
                        ..line(n)
                    };
                    if let Some(ids) = &mut l.ids {
                        ids.trace_id = TraceId::from(u128::MAX / u128::from(n));
                        ids.span_id = SpanId::from(n);
                        ids.sampled = sampled;
                    }
                    for l in [
                        l,
                        ManifestLine {
                            ids: None,
                            status: None,
                            ..l
                        },
                    ] {
                        let mut out = Vec::new();
                        l.encode(&mut out);
                        assert_eq!(
                            String::from_utf8(out).unwrap(),
                            serde_json::to_string(&record(&l)).unwrap()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_full_disk_is_reported_not_ignored() {
        let w = ManifestWriter::create(Path::new("/dev/full")).unwrap();
        // The buffer takes the first lines; the flush hits the full disk.
        for seq in 0..1000 {
            w.write(&line(seq));
        }
        w.flush();
        assert!(!w.write(&line(1000)), "writes stop after the error");
        let err = cli_support::error_chain(&w.finish().unwrap_err());
        assert!(
            err.starts_with("writing the manifest /dev/full failed after ")
                && err.contains("No space left"),
            "{err}"
        );
    }

    #[test]
    fn an_unwritable_path_is_a_clear_error() {
        let err = ManifestWriter::create(Path::new("/nonexistent/dir/run.jsonl")).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/dir/run.jsonl"),
            "{err}"
        );
    }
}

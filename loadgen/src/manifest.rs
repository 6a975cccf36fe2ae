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

use crate::{error::LoadError, scenario::Scenario};

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
    /// The scenario.
    #[serde(with = "scenario_name")]
    pub scenario: Scenario,
    /// Intended start, µs since the Unix epoch.
    pub intended_start_us: u64,
    /// Actual start, µs since the Unix epoch.
    pub actual_start_us: u64,
    /// From the intended start to the end of the answer or the failure.
    pub latency_us: u64,
    /// The status received, if an answer came.
    pub status: Option<u16>,
    /// The status the scenario expects.
    pub expected_status: u16,
    /// How the request ended.
    pub outcome: Outcome,
}

mod scenario_name {
    use super::Scenario;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(s: &Scenario, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.name())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Scenario, D::Error> {
        let name = <&str>::deserialize(de)?;
        name.parse().map_err(D::Error::custom)
    }
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
    pub(crate) fn write(&self, record: &ManifestRecord) -> bool {
        LINE.with_borrow_mut(|line| {
            line.clear();
            // Serializing plain fields into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *line, record);
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
    pub(crate) fn finish(&self) -> Result<u64, String> {
        self.flush();
        let mut state = self.state.lock();
        match state.error.take() {
            None => Ok(state.lines),
            Some(e) => Err(format!(
                "writing the manifest {} failed after {} lines: {e}",
                self.path.display(),
                state.lines
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64) -> ManifestRecord {
        ManifestRecord {
            seq,
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
            span_id: Some("00f067aa0ba902b7".into()),
            sampled: Some(true),
            root_span: true,
            scenario: Scenario::Valid,
            intended_start_us: 1_764_000_000_000_000,
            actual_start_us: 1_764_000_000_000_012,
            latency_us: 1840,
            status: Some(201),
            expected_status: 201,
            outcome: Outcome::Ok,
        }
    }

    #[test]
    fn lines_follow_the_contract_example_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        let w = ManifestWriter::create(&path).unwrap();
        assert!(w.write(&record(0)));
        let mut failed = record(1);
        (failed.trace_id, failed.span_id, failed.sampled) = (None, None, None);
        (failed.status, failed.outcome) = (None, Outcome::Connect);
        assert!(w.write(&failed));
        assert_eq!(w.finish(), Ok(2));
        let text = std::fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap();
        assert_eq!(
            first,
            r#"{"seq":0,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","sampled":true,"root_span":true,"scenario":"valid","intended_start_us":1764000000000000,"actual_start_us":1764000000000012,"latency_us":1840,"status":201,"expected_status":201,"outcome":"ok"}"#
        );
        assert_eq!(read_manifest(&path).unwrap(), vec![record(0), failed]);
    }

    #[test]
    fn a_full_disk_is_reported_not_ignored() {
        let w = ManifestWriter::create(Path::new("/dev/full")).unwrap();
        // The buffer takes the first lines; the flush hits the full disk.
        for seq in 0..1000 {
            w.write(&record(seq));
        }
        w.flush();
        assert!(!w.write(&record(1000)), "writes stop after the error");
        let err = w.finish().unwrap_err();
        assert!(err.contains("No space left"), "{err}");
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

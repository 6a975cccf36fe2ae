//! What can stop the harness before it has a verdict. Each variant keeps
//! its cause as [`std::error::Error::source`]; the binary prints the chain
//! on one line ([`cli_support::error_chain`]) and exits 2.

use std::{io, path::PathBuf};

/// A harness failure; the binary exits 2 with its one-line message.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The embedded store, or the overhead run's discarding sink, could not
    /// start (a port in use, a bad setting).
    #[error("cannot start {what}")]
    Store {
        /// Which store: `tracestore` or `the discard sink`.
        what: &'static str,
        /// The store's error.
        #[source]
        source: tracestore::Error,
    },
    /// The load's target is not a usable URL.
    #[error("target {url}")]
    Target {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        #[source]
        source: loadgen::TargetError,
    },
    /// The services could not start (a port in use, a bad exporter
    /// setting), failed while serving, or lost spans when flushed.
    #[error(transparent)]
    Services(#[from] services::PairError),
    /// The load could not run (bad load settings, manifest not writable).
    #[error("load")]
    Load(#[from] loadgen::LoadError),
    /// The verifier could not check (store unreachable, bad answers).
    #[error("verifier")]
    Verify(#[from] verifier::CheckError),
    /// The manifest the load wrote could not be read back.
    #[error("manifest")]
    Manifest(#[from] verifier::ManifestError),
    /// A file or folder could not be created, written or read back.
    #[error("{what} {}", path.display())]
    File {
        /// What the file is for (`--keep-traces`, `manifest`).
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: io::Error,
    },
    /// A trace could not be fetched from the store for `--keep-traces`.
    #[error("--keep-traces: {url}")]
    KeepTraces {
        /// The trace's URL on the store's query API.
        url: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_line_carries_the_cause() {
        let path = PathBuf::from("/nonexistent/run.jsonl");
        let source = std::fs::read(&path).expect_err("no such file");
        let cause = source.to_string();
        let error = HarnessError::File {
            what: "manifest",
            path,
            source,
        };
        assert_eq!(
            cli_support::error_chain(&error),
            format!("manifest /nonexistent/run.jsonl: {cause}")
        );
    }
}

//! Why a verification could not be carried out (exit code 2).

use crate::manifest::ManifestError;
use crate::spec::SpecError;

/// A reason the verifier could not check anything: the backend cannot be
/// reached, misbehaves or is not Jaeger, or the inputs are unusable. Distinct
/// from a failed check, which is a [`crate::Verdict`] that did not pass.
/// Every variant displays as one line.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The backend could not be reached (after retries).
    #[error("cannot reach Jaeger at {url}: {reason}")]
    Unreachable {
        /// The URL requested.
        url: String,
        /// The transport error.
        reason: String,
    },
    /// No complete answer within the read deadline (all tries of one request).
    #[error(
        "Jaeger at {url} gave no complete answer within {}, the read deadline (--read-deadline)",
        humantime::format_duration(*deadline)
    )]
    Hung {
        /// The URL requested.
        url: String,
        /// The deadline that ran out.
        deadline: std::time::Duration,
    },
    /// The backend's answer is longer than the size limit (not retried).
    #[error(
        "Jaeger at {url} answered more than {}, the size limit (--max-response-size)",
        bytesize::ByteSize(*limit).display().iec()
    )]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The backend answered with an error status (after retries).
    #[error("Jaeger at {url} answered HTTP {status}: {message}")]
    Http {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The error message from the body, or the start of the body.
        message: String,
    },
    /// The backend answered with something that is not Jaeger's JSON.
    #[error("{url} did not answer with Jaeger JSON: {reason}")]
    NotJaeger {
        /// The URL requested.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The spec is unusable.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The manifest is unusable.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The configuration is inconsistent (window, ratio, URL, ...).
    #[error("bad configuration: {0}")]
    Config(String),
    /// The window holds more traces than a search can return and cannot be split further.
    #[error("cannot read the window completely: {0}")]
    Window(String),
    /// There is nothing to check: no traces in the window and no manifest.
    #[error("nothing to check: {0}")]
    NothingToCheck(String),
    /// The report could not be written (to `--output` or to stdout).
    #[error("cannot write the report: {0}")]
    Output(String),
    /// An output path is unusable, or names another output or an input;
    /// found before anything is read.
    #[error(transparent)]
    OutputPath(#[from] cli_support::OutputPathError),
}

/// Keeps a message on one line and short.
pub(crate) fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 300 {
        let cut: String = flat.chars().take(300).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

//! Why a run could not start or a set of reports could not be merged.

use std::path::PathBuf;

/// A run that could not start (a request failing is not an error: the
/// report counts it).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The configuration is inconsistent; the message says how.
    #[error("{0}")]
    Config(String),
    /// The target's host name did not resolve.
    #[error("cannot resolve the target host {host}: {reason}")]
    Resolve {
        /// The host of the target URL.
        host: String,
        /// Why it did not resolve.
        reason: String,
    },
    /// The manifest file could not be created.
    #[error("cannot create the manifest {}", path.display())]
    Manifest {
        /// The path asked for.
        path: PathBuf,
        /// The file system's answer.
        #[source]
        source: std::io::Error,
    },
    /// The span exporter could not be built.
    #[error(transparent)]
    Exporter(#[from] otlp_export::EndpointError),
    /// The pacing thread could not be started.
    #[error("cannot start the pacing thread")]
    Thread(#[source] std::io::Error),
    /// The scenarios cannot serve the run (`--mix`, a path or header on
    /// the target).
    #[error(transparent)]
    Scenarios(#[from] crate::scenario::ScenarioError),
    /// The target's host cannot be a TLS server name (https targets).
    #[error("the target host {host:?} is no TLS server name")]
    TlsServerName {
        /// The host of the target URL.
        host: String,
        /// rustls' reason.
        #[source]
        source: rustls::pki_types::InvalidDnsNameError,
    },
}

/// Reports that cannot be merged.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no reports to merge")]
    Empty,
    /// A report of another format or version.
    #[error("report {index} has format {found:?}, expected {expected:?}")]
    Format {
        /// 0-based position of the report in the list.
        index: usize,
        /// Its `format` field.
        found: String,
        /// The format this loadgen writes.
        expected: &'static str,
    },
    /// A report whose histograms cannot be combined.
    #[error("report {index}: its latency histograms cannot be added")]
    Histogram {
        /// 0-based position of the report in the list.
        index: usize,
        /// hdrhistogram's reason.
        #[source]
        source: hdrhistogram::AdditionError,
    },
}

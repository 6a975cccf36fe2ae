//! What can stop the harness before it has a verdict.

/// A harness failure; the binary exits 2 with its one-line message.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A component could not start (a port in use, a bad endpoint).
    #[error("cannot start {0}")]
    Start(String),
    /// The services could not start (a port in use, a bad exporter
    /// setting), failed while serving, or lost spans when flushed.
    #[error(transparent)]
    Services(#[from] services::PairError),
    /// The load could not run (bad load settings, manifest not writable).
    #[error("load: {0}")]
    Load(#[from] loadgen::LoadError),
    /// The verifier could not check (store unreachable, bad answers).
    #[error("verifier: {0}")]
    Verify(#[from] verifier::CheckError),
    /// The manifest the load wrote could not be read back.
    #[error("manifest: {0}")]
    Manifest(#[from] verifier::ManifestError),
    /// A file could not be written or created.
    #[error("{0}")]
    Io(String),
}

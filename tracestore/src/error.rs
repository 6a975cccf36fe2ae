//! Errors of starting a trace store.

use std::net::SocketAddr;

/// Why a trace store could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A listener could not bind (port in use, no permission, bad address).
    #[error("cannot listen for {what} on {addr}")]
    Bind {
        /// Which listener.
        what: &'static str,
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
}

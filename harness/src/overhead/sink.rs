//! Where the services' spans go while the cost of tracing is measured.

use std::{fmt, str::FromStr};

use serde::{Serialize, Serializer};
use tracestore::{RunningTraceStore, TraceStore, TraceStoreConfig};

use crate::error::HarnessError;

/// Where the services export their spans during the measurement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Sink {
    /// A tracestore in discard mode in this process (OTLP/gRPC; the spans
    /// are counted by a walk over the protobuf framing, nothing is decoded
    /// or kept): the services' own cost of tracing, as with a remote backend.
    #[default]
    Discard,
    /// The embedded tracestore, ingesting and indexing every span on the
    /// same cores as the services.
    TraceStore,
    /// An external OTLP/gRPC endpoint (a collector or Jaeger elsewhere).
    Endpoint(String),
}

impl fmt::Display for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sink::Discard => f.write_str("discard"),
            Sink::TraceStore => f.write_str("tracestore"),
            Sink::Endpoint(url) => f.write_str(url),
        }
    }
}

impl FromStr for Sink {
    type Err = UnknownSink;

    /// `discard`, `tracestore`, or an `http(s)://` OTLP/gRPC endpoint.
    fn from_str(s: &str) -> Result<Self, UnknownSink> {
        match s.trim() {
            "discard" => Ok(Sink::Discard),
            "tracestore" => Ok(Sink::TraceStore),
            url if url.starts_with("http://") || url.starts_with("https://") => {
                Ok(Sink::Endpoint(url.to_owned()))
            }
            other => Err(UnknownSink(other.to_owned())),
        }
    }
}

/// A sink name that is none of the three kinds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown sink {0:?}: expected discard, tracestore or an http:// OTLP/gRPC endpoint")]
pub(crate) struct UnknownSink(String);

impl Serialize for Sink {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Sink {
    /// What the sink is, in words, for the report.
    pub(super) fn description(&self) -> String {
        match self {
            Sink::Discard => "discard (in-process OTLP/gRPC receiver that counts spans and keeps \
                              nothing; tracestore --discard)"
                .to_owned(),
            Sink::TraceStore => {
                "tracestore (embedded, ingesting every span on the same cores)".to_owned()
            }
            Sink::Endpoint(url) => format!("external OTLP/gRPC endpoint {url}"),
        }
    }
}

/// A fresh [`Sink::Discard`] receiver on an ephemeral port.
pub(super) async fn start_discard_sink() -> Result<RunningTraceStore, HarnessError> {
    TraceStore::start(TraceStoreConfig {
        discard: true,
        ..TraceStoreConfig::ephemeral()
    })
    .await
    .map_err(|source| HarnessError::Store {
        what: "the discard sink",
        source,
    })
}

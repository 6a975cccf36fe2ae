//! tracestore: an embedded, Jaeger-compatible trace backend.
//!
//! It receives OTLP traces over gRPC (`:4317`) and HTTP (`:4318`,
//! protobuf or JSON, gzip or deflate), keeps them in memory within a span
//! (and optionally byte) bound, evicting the oldest traces first, and serves
//! Jaeger's HTTP query API (`:16686`): the v1 JSON API as in Jaeger v2.20.0
//! and `/api/v3` (OTLP JSON), with Jaeger's JSON and error bodies. See the
//! crate's README for the endpoints and the few documented differences.
//!
//! # In-process use
//!
//! ```no_run
//! use tracestore::{TraceStore, TraceStoreConfig};
//!
//! # async fn demo() -> Result<(), tracestore::Error> {
//! // All three listeners on 127.0.0.1 with OS-chosen ports.
//! let store = TraceStore::start(TraceStoreConfig::ephemeral()).await?;
//! let grpc = store.otlp_grpc_endpoint(); // "http://127.0.0.1:PORT", for OTEL_EXPORTER_OTLP_ENDPOINT
//! let http = store.otlp_http_endpoint(); // base URL; exporters append /v1/traces
//! let jaeger = store.query_url();        // e.g. GET {jaeger}/api/v3/services
//! # let _ = (grpc, http, jaeger);
//! // ... export spans, then wait for them and inspect the counters:
//! store.wait_for_spans(8, std::time::Duration::from_secs(5)).await;
//! println!("{} spans in {} traces, {} traces evicted",
//!          store.span_count(), store.trace_count(), store.evicted_traces());
//! store.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! [`TraceStore::start`] must run inside a Tokio runtime (multi-threaded
//! or current-thread); the servers run as tasks on it until
//! [`RunningTraceStore::shutdown`] or until the handle is dropped.

pub mod cli;
mod config;
mod error;
mod go;
mod http_util;
mod ids;
mod ingest;
mod otlp;
mod query;
mod receiver;
mod server;
mod store;

pub use config::TraceStoreConfig;
pub use error::Error;
pub use server::{RunningTraceStore, TraceStore};
pub use store::StoreStats;

//! OTLP span export without the generated message structs: spans are
//! written straight into OTLP protobuf (the SDK's `SpanData` by
//! [`DirectSpanExporter`], [`SpanRecord`] for callers holding their own
//! figures) and sent by one transport (gRPC, HTTP protobuf or
//! HTTP JSON, with headers, timeout, gzip, the OTLP retry rules and partial
//! success) to a [`Destination`].
//!
//! Every item but `grpc`'s is at the crate root; the modules say where each
//! lives:
//!
//! - `destination`: where requests go and how ([`Destination`],
//!   [`Protocol`], [`Compression`], the endpoint, headers and timeout).
//! - `exporter`: [`DirectSpanExporter`], the SDK's `SpanExporter` over
//!   this crate's encoder and transport (the services' default).
//! - [`grpc`]: the OTLP/gRPC export call (method path, codec of encoded
//!   requests), public for clients that send hand-made request bytes (the
//!   one module whose items stay under its name).
//! - `pipeline`: [`SpanPipeline`], batches of encoded spans sent in the
//!   background with the SDK batch processor's semantics ([`Batching`]).
//! - `tls`: the gRPC channel ([`grpc_channel`]) and reqwest client
//!   configuration ([`http_tls_config`]) of an `https://` endpoint (rustls,
//!   ring), shared with `telemetry`'s opentelemetry-otlp path.
//! - `encode`, `span_data` / `transport`: the protobuf writers and the sender.

mod destination;
mod encode;
mod exporter;
pub mod grpc;
mod pipeline;
mod span_data;
mod tls;
mod transport;

pub use destination::{
    Compression, DEFAULT_EXPORT_TIMEOUT, Destination, EndpointError, OTLP_TLS_NAMES, Protocol,
    UnknownValue,
};
pub use encode::{AttrValue, SpanRecord};
pub use exporter::DirectSpanExporter;
pub use pipeline::{Batching, SpanPipeline};
pub use tls::{grpc_channel, http_tls_config};

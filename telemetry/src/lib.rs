//! OpenTelemetry setup shared by the services, the load generator and the benches.
//!
//! - [`config`]: the `OTEL_*` environment variables of the design (endpoint,
//!   protocol, service name, sampler and its argument, resource attributes),
//!   parsed into an [`OtelConfig`] that flags and tests can also build directly.
//! - [`provider`]: a per-component [`opentelemetry_sdk::trace::SdkTracerProvider`]
//!   with a `BatchSpanProcessor` and an OTLP exporter (gRPC, HTTP/protobuf or
//!   HTTP/JSON): `otlp-export`'s `DirectSpanExporter` unless
//!   `TRACING_PROOF_OTLP_EXPORTER=opentelemetry-otlp` picks the SDK project's. Nothing here is a global: two services can share one process.
//! - [`propagation`]: W3C `traceparent` + `baggage` over `http::HeaderMap`, and the
//!   W3C Trace Context level 2 `traceresponse` header.

pub mod config;
pub mod propagation;
pub mod provider;

pub use config::{
    BatchOptions, Compression, ConfigError, ExporterKind, OTLP_EXPORTER_VAR, OtelConfig,
    OtlpExporter, Protocol, SamplerConfig,
};
pub use propagation::{
    Propagators, TraceResponse, extract_context, inject_context, traceresponse_value,
    w3c_header_value, write_hex,
};
pub use provider::{
    DEFAULT_EXPORT_TIMEOUT, TelemetryError, base_builder, build_direct_exporter, build_exporter,
    build_provider, provider_with_exporter, resource, shutdown_provider,
};

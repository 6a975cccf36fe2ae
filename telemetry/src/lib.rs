//! OpenTelemetry setup shared by the services, the load generator and the benches.
//!
//! Every item is at the crate root; the modules say where each lives:
//!
//! - `config`: the `OTEL_*` environment variables of the design (endpoint,
//!   protocol, service name, sampler and its argument, resource attributes),
//!   parsed into an [`OtelConfig`] that flags and tests can also build directly.
//! - `provider`: a per-component [`opentelemetry_sdk::trace::SdkTracerProvider`]
//!   ([`build_provider`]) with a `BatchSpanProcessor` and an OTLP exporter
//!   (gRPC, HTTP/protobuf or HTTP/JSON): `otlp-export`'s `DirectSpanExporter`
//!   unless `TRACING_PROOF_OTLP_EXPORTER=opentelemetry-otlp` picks the SDK
//!   project's ([`OtlpExporter`]). Nothing here is a global: two services can
//!   share one process.
//! - `propagation`: the `OTEL_PROPAGATORS` set ([`Propagators`]), W3C
//!   `traceparent` + `baggage` over `http::HeaderMap`, and the W3C Trace
//!   Context level 2 `traceresponse` header ([`TraceResponse`]).

mod config;
mod propagation;
mod provider;

pub use config::{
    BatchOptions, Compression, ConfigError, ExporterKind, OTLP_EXPORTER_VAR, OtelConfig,
    OtlpExporter, Protocol, SamplerConfig, parse_ratio,
};
pub use propagation::{
    Propagators, TRACERESPONSE, TraceResponse, extract_context, inject_context,
    traceresponse_value, w3c_header_value, write_hex,
};
pub use provider::{
    DEFAULT_EXPORT_TIMEOUT, TelemetryError, base_builder, build_direct_exporter, build_exporter,
    build_provider, provider_with_exporter, resource, shutdown_provider,
};

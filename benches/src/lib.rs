//! Fixtures shared by the criterion benches in `benches/benches/`.
//!
//! - [`env`](mod@env): a Tokio runtime and an in-process `tracestore` (in discard
//!   mode unless `BENCH_SINK=tracestore`), the OTLP sink every exporting
//!   bench sends to over loopback.
//! - [`cpu`]: the process's CPU time, the clock of the figures that include
//!   work on background threads (export, the other service).
//! - [`setups`]: the tracer configurations under comparison (no provider,
//!   AlwaysOff, TraceIdRatio 0.1, AlwaysOn with batch or simple export over
//!   gRPC or HTTP).
//! - [`workload`]: the span every span bench creates, shaped like the
//!   services' `validate_order` span.
//! - [`orders`]: order-api and payment-service in process
//!   ([`services::ServicePair`]) and the shipped order/payment scenarios,
//!   for the per-request benches.

pub mod cpu;
pub mod env;
pub mod orders;
pub mod setups;
pub mod workload;

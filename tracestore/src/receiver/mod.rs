//! The OTLP trace receivers: gRPC (`TraceService/Export`) and HTTP
//! (`POST /v1/traces`, protobuf or JSON, gzip or deflate).

pub mod grpc;
pub mod http;

#[cfg(test)]
mod discard_tests;

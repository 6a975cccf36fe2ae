//! The OTLP trace receivers: gRPC (`TraceService/Export`) and HTTP
//! (`POST /v1/traces`, protobuf or JSON, gzip or deflate).

pub(crate) mod grpc;
pub(crate) mod http;

#[cfg(test)]
mod discard_tests;

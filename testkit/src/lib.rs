//! Test fixtures the workspace's tests share, so that each exists once
//! (a dev-dependency only; nothing here ships):
//!
//! - [`OtlpReceiver`]: a fake OTLP backend over HTTP and gRPC on ephemeral
//!   loopback ports that decodes what it is sent (protobuf or JSON, gzip or
//!   not), keeps it with its headers, and answers as the test scripted
//!   ([`ExportReply`]).
//! - [`ExampleSystem`]: a gateway and an inventory service, OpenTelemetry
//!   instrumented with another API and span shape than order/payment, for
//!   the tests that drive and verify a system from the docs alone.
//!
//! The store and both services on ephemeral ports are the harness's product
//! stack, `harness::RunningStack`.

mod example_system;
mod otlp_receiver;

pub use example_system::{ExampleSystem, ExampleSystemConfig, ExampleSystemError};
pub use otlp_receiver::{ExportReply, OtlpReceiver, Received};

//! Test fixtures the workspace's tests share, so that each exists once
//! (a dev-dependency only; nothing here ships):
//!
//! - [`OtlpReceiver`]: a fake OTLP backend over HTTP and gRPC on ephemeral
//!   loopback ports that decodes what it is sent (protobuf or JSON, gzip or
//!   not), keeps it with its headers, and answers as the test scripted
//!   ([`ExportReply`]).
//!
//! The store and both services on ephemeral ports are the harness's product
//! stack, `harness::RunningStack`.

mod otlp_receiver;

pub use otlp_receiver::{ExportReply, OtlpReceiver, Received};

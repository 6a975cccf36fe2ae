//! Test fixtures the workspace's tests share, so that each exists once
//! (a dev-dependency only; nothing here ships):
//!
//! - [`OtlpReceiver`]: a fake OTLP backend over HTTP and gRPC on ephemeral
//!   loopback ports that decodes what it is sent (protobuf or JSON, gzip or
//!   not), keeps it with its headers, and answers as the test scripted
//!   ([`ExportReply`]); [`OtlpReceiver::start_tls`] puts it behind TLS.
//! - [`serve_tls`]: an axum app behind rustls on a listener, HTTP/1.1 or
//!   HTTP/2 as the client's ALPN and the server configuration agree.
//! - [`ExampleSystem`]: a gateway and an inventory service, OpenTelemetry
//!   instrumented with another API and span shape than order/payment, for
//!   the tests that drive and verify a system from the docs alone.
//!
//! order-api and payment-service wired together on ephemeral ports are
//! services' own `services::ServicePair` (the harness's stack puts the
//! embedded store next to it, `harness::RunningStack`); tests use it from
//! there.

mod example_system;
mod otlp_receiver;
mod tls_server;

pub use example_system::{ExampleSystem, ExampleSystemConfig, ExampleSystemError};
pub use otlp_receiver::{ExportReply, OtlpReceiver, Received};
pub use tls_server::serve_tls;

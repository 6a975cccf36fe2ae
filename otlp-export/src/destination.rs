//! Where export requests go and how: the OTLP protocol, the endpoint, the
//! headers, the timeout and the compression. The `OTEL_*` variables are read
//! by the `telemetry` crate, which builds a [`Destination`] from them.

use std::{fmt, str::FromStr, time::Duration};

use http::HeaderMap;

/// The limit of one export request when none is configured (the OTLP
/// exporters' default, `OTEL_EXPORTER_OTLP_TIMEOUT` unset).
pub const DEFAULT_EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The OTLP transport (`OTEL_EXPORTER_OTLP_PROTOCOL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// OTLP over gRPC (default port 4317).
    #[default]
    Grpc,
    /// OTLP over HTTP with protobuf bodies (default port 4318).
    HttpProtobuf,
    /// OTLP over HTTP with JSON bodies (default port 4318).
    HttpJson,
}

impl Protocol {
    /// The endpoint used when none is configured.
    pub fn default_endpoint(self) -> &'static str {
        match self {
            Protocol::Grpc => "http://localhost:4317",
            Protocol::HttpProtobuf | Protocol::HttpJson => "http://localhost:4318",
        }
    }
}

impl FromStr for Protocol {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "grpc" => Ok(Protocol::Grpc),
            "http/protobuf" => Ok(Protocol::HttpProtobuf),
            "http/json" => Ok(Protocol::HttpJson),
            other => Err(UnknownValue {
                value: other.to_owned(),
                expected: "expected grpc, http/protobuf or http/json",
            }),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Grpc => "grpc",
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::HttpJson => "http/json",
        })
    }
}

/// Compression of export requests (`OTEL_EXPORTER_OTLP_COMPRESSION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Bodies sent as they are.
    #[default]
    None,
    /// Bodies gzip-compressed.
    Gzip,
}

impl FromStr for Compression {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "none" => Ok(Compression::None),
            "gzip" => Ok(Compression::Gzip),
            other => Err(UnknownValue {
                value: other.to_owned(),
                expected: "expected gzip or none",
            }),
        }
    }
}

/// A protocol or compression name that is not one of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value {value:?}: {expected}")]
pub struct UnknownValue {
    /// The name given.
    pub value: String,
    /// What was expected instead.
    pub expected: &'static str,
}

/// Everything the transport needs to reach a receiver.
#[derive(Debug, Clone)]
pub struct Destination {
    /// The URL requests are sent to (for HTTP, `/v1/traces` included).
    pub endpoint: String,
    /// The transport and body encoding.
    pub protocol: Protocol,
    /// Headers (gRPC metadata) sent with every request.
    pub headers: HeaderMap,
    /// The limit of one request (and of connecting).
    pub timeout: Duration,
    /// Whether bodies are gzip-compressed.
    pub compression: Compression,
    /// Trust and client certificate for an `https://` endpoint
    /// (`OTEL_EXPORTER_OTLP_CERTIFICATE`, `_CLIENT_CERTIFICATE`,
    /// `_CLIENT_KEY`); the system's roots when no CA file is named.
    pub tls: secure_http::TlsArgs,
}

/// What the OTLP TLS settings are called, for the errors that name them:
/// the OTel variables (their `TRACES_` variants win when set). OTel defines
/// no switch that turns verification off.
pub const OTLP_TLS_NAMES: secure_http::TlsNames = secure_http::TlsNames {
    ca_cert: "OTEL_EXPORTER_OTLP_CERTIFICATE",
    client_cert: "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
    client_key: "OTEL_EXPORTER_OTLP_CLIENT_KEY",
    insecure_skip_verify: "",
};

/// A destination the transport cannot be built for.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot export spans to {endpoint}: {reason}")]
pub struct EndpointError {
    /// The endpoint configured.
    pub endpoint: String,
    /// What is wrong with it.
    pub reason: String,
}

//! How a trace store is set up.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

/// Listen addresses, bounds and limits of a [`crate::TraceStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceStoreConfig {
    /// OTLP/gRPC listener (default `127.0.0.1:4317`).
    pub otlp_grpc_addr: SocketAddr,
    /// OTLP/HTTP listener, `POST /v1/traces` (default `127.0.0.1:4318`).
    pub otlp_http_addr: SocketAddr,
    /// Jaeger query API listener (default `127.0.0.1:16686`).
    pub query_addr: SocketAddr,
    /// Most spans held; the oldest traces are evicted beyond it
    /// (default 1,000,000).
    pub max_spans: u64,
    /// Most estimated heap bytes of spans held, if bounded (default none).
    pub max_bytes: Option<u64>,
    /// Jaeger's `max_clock_skew_adjust`: the largest shift the clock-skew
    /// adjuster applies to a span on read (default 0, which disables the
    /// shift and only records a warning, as in Jaeger).
    pub max_clock_skew_adjust: Duration,
    /// Largest OTLP/gRPC message accepted, after decompression (default
    /// 4 MiB, gRPC's default).
    pub max_grpc_message_bytes: usize,
    /// Largest OTLP/HTTP body accepted, compressed and decompressed (default
    /// 20 MiB, the collector's default).
    pub max_http_body_bytes: usize,
    /// Accept every export, count its spans and keep nothing (default
    /// off): a null OTLP sink for measuring exporters, whose own cost is a
    /// walk over the protobuf framing. The counters
    /// ([`crate::RunningTraceStore::stats`]) still count received spans; the
    /// query API finds nothing.
    pub discard: bool,
}

const fn loopback(port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))
}

impl Default for TraceStoreConfig {
    fn default() -> Self {
        TraceStoreConfig {
            otlp_grpc_addr: loopback(4317),
            otlp_http_addr: loopback(4318),
            query_addr: loopback(16686),
            max_spans: Self::DEFAULT_MAX_SPANS,
            max_bytes: None,
            max_clock_skew_adjust: Duration::ZERO,
            max_grpc_message_bytes: 4 * 1024 * 1024,
            max_http_body_bytes: 20 * 1024 * 1024,
            discard: false,
        }
    }
}

impl TraceStoreConfig {
    /// The default span bound: about 600 MB of contract spans.
    pub const DEFAULT_MAX_SPANS: u64 = 1_000_000;

    /// The defaults with all three listeners on `127.0.0.1:0` (ports chosen
    /// by the OS), for tests and in-process use.
    pub fn ephemeral() -> Self {
        TraceStoreConfig {
            otlp_grpc_addr: loopback(0),
            otlp_http_addr: loopback(0),
            query_addr: loopback(0),
            ..Self::default()
        }
    }
}

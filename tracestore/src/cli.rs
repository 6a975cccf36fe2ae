//! The `tracestore` command line.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

use crate::config::TraceStoreConfig;

/// Embedded Jaeger-compatible trace backend: OTLP in (gRPC and HTTP), the
/// Jaeger query API out (v1 and /api/v3), all in memory.
#[derive(Debug, Clone, Parser)]
#[command(name = "tracestore", version)]
pub struct Args {
    /// OTLP/gRPC listen address.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4317")]
    pub otlp_grpc_addr: SocketAddr,

    /// OTLP/HTTP listen address (POST /v1/traces).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4318")]
    pub otlp_http_addr: SocketAddr,

    /// Jaeger query API listen address.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:16686")]
    pub query_addr: SocketAddr,

    /// How much the store holds before it evicts its oldest traces.
    #[command(flatten)]
    pub bounds: BoundArgs,

    /// Largest shift Jaeger's clock-skew adjuster may apply on read, e.g.
    /// 500ms; 0s (the default) only records a warning on the span.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = cli_support::parse_duration)]
    pub max_clock_skew_adjust: Duration,

    /// Largest OTLP/gRPC message accepted (after decompression).
    #[arg(long, value_name = "SIZE", default_value = "4MiB", value_parser = cli_support::parse_size::<u64>)]
    pub max_grpc_message_size: u64,

    /// Largest OTLP/HTTP body accepted (before and after decompression).
    #[arg(long, value_name = "SIZE", default_value = "20MiB", value_parser = cli_support::parse_size::<u64>)]
    pub max_http_body_size: u64,

    /// Accept every export, count its spans and keep nothing: a null OTLP
    /// sink for measuring exporters and load generators.
    #[arg(long)]
    pub discard: bool,

    /// Log level (error, warn, info, debug, trace) or a tracing filter
    /// directive such as `tracestore=debug`. Default: RUST_LOG, else info.
    #[arg(long, value_name = "LEVEL", value_parser = cli_support::parse_log_filter)]
    pub log_level: Option<String>,
}

/// `--max-spans` and `--max-bytes`: one definition for `tracestore` and for
/// every command that embeds the store (`harness run`, `harness up`), so a
/// soak bigger than the defaults is one flag away wherever the store runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct BoundArgs {
    /// Most spans kept in memory; the oldest traces are evicted beyond it.
    #[arg(long, value_name = "N", default_value_t = TraceStoreConfig::DEFAULT_MAX_SPANS, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_spans: u64,

    /// Most (estimated) memory for spans, e.g. 512MiB or 2GB; the oldest
    /// traces are evicted beyond it. Unbounded by default.
    #[arg(long, value_name = "SIZE", value_parser = cli_support::parse_size::<u64>)]
    pub max_bytes: Option<u64>,
}

impl Default for BoundArgs {
    fn default() -> Self {
        BoundArgs {
            max_spans: TraceStoreConfig::DEFAULT_MAX_SPANS,
            max_bytes: None,
        }
    }
}

impl BoundArgs {
    /// Sets the bounds of a store configuration.
    pub fn apply(self, config: &mut TraceStoreConfig) {
        config.max_spans = self.max_spans;
        config.max_bytes = self.max_bytes;
    }
}

impl Args {
    /// The store configuration the flags describe.
    pub fn config(&self) -> TraceStoreConfig {
        TraceStoreConfig {
            otlp_grpc_addr: self.otlp_grpc_addr,
            otlp_http_addr: self.otlp_http_addr,
            query_addr: self.query_addr,
            max_spans: self.bounds.max_spans,
            max_bytes: self.bounds.max_bytes,
            max_clock_skew_adjust: self.max_clock_skew_adjust,
            max_grpc_message_bytes: usize::try_from(self.max_grpc_message_size)
                .unwrap_or(usize::MAX),
            max_http_body_bytes: usize::try_from(self.max_http_body_size).unwrap_or(usize::MAX),
            discard: self.discard,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_build_the_config() {
        let args = Args::try_parse_from([
            "tracestore",
            "--query-addr",
            "0.0.0.0:9999",
            "--max-spans",
            "10",
            "--max-bytes",
            "1MiB",
            "--max-clock-skew-adjust",
            "250ms",
        ])
        .unwrap();
        let cfg = args.config();
        assert_eq!(cfg.query_addr, "0.0.0.0:9999".parse().unwrap());
        assert_eq!(
            cfg.otlp_grpc_addr,
            TraceStoreConfig::default().otlp_grpc_addr
        );
        assert_eq!((cfg.max_spans, cfg.max_bytes), (10, Some(1 << 20)));
        assert_eq!(cfg.max_clock_skew_adjust, Duration::from_millis(250));
        assert!(!cfg.discard);
        let discard = Args::try_parse_from(["tracestore", "--discard"]).unwrap();
        assert!(discard.config().discard);
        assert!(Args::try_parse_from(["tracestore", "--max-spans", "0"]).is_err());
        assert!(Args::try_parse_from(["tracestore", "--query-addr", "nowhere"]).is_err());
    }
}

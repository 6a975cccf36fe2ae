//! What the two binaries share: the fault and telemetry flags, logging, and
//! running one service until SIGTERM / Ctrl-C with every span flushed.

use std::{net::SocketAddr, process::ExitCode, sync::Arc, time::Duration};

use anyhow::Context as _;
use axum::Router;
use clap::Args;
use opentelemetry_sdk::trace::SdkTracerProvider;
use telemetry::{ConfigError, OtelConfig, OtlpExporter, Protocol, SamplerConfig};
use tokio::{net::TcpListener, sync::Notify};

use crate::faults::{Faults, Service};

/// The services' default sampler: the caller's decision rules the trace.
pub const DEFAULT_SAMPLER: SamplerConfig = SamplerConfig::ParentBasedTraceIdRatio(1.0);

/// Flags both services take besides `--listen`.
#[derive(Debug, Clone, Args)]
pub struct ServiceArgs {
    /// Largest accepted request body (bytes, or e.g. 64KiB; KB and MB are
    /// powers of 1000, KiB and MiB of 1024); 413 beyond.
    #[arg(long, value_name = "SIZE", default_value = "64KiB", value_parser = cli_support::parse_size::<usize>)]
    pub body_limit: usize,

    /// Faults to inject, comma-separated (see docs/CONTRACT.md): drop-propagation,
    /// no-error-status, orphan-span, skip-save-span, wrong-kind, late-export,
    /// child-outlives-parent.
    #[arg(long, env = "FAULTS", value_name = "LIST", default_value = "")]
    pub faults: Faults,

    /// On SIGTERM / Ctrl-C, how long in-flight requests may take to finish
    /// before they are abandoned and the spans flushed.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = cli_support::parse_duration)]
    pub drain_timeout: Duration,

    /// How long a client may take to send a request's headers before its
    /// connection is closed (slow or stalled clients, slowloris).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_timeout)]
    pub header_read_timeout: Duration,

    /// How long the late-export fault holds `save_order` back.
    #[arg(long, env = "FAULT_LATE_EXPORT_DELAY", value_name = "DURATION", default_value = "60s", value_parser = cli_support::parse_duration)]
    pub late_export_delay: Duration,
}

impl ServiceArgs {
    /// The enabled faults with their parameters.
    pub fn faults(&self) -> Faults {
        self.faults
            .clone()
            .with_late_export_delay(self.late_export_delay)
    }
}

/// Telemetry flags; each overrides its `OTEL_*` variable.
#[derive(Debug, Clone, Args)]
pub struct TelemetryArgs {
    /// OTLP endpoint (overrides OTEL_EXPORTER_OTLP_ENDPOINT), e.g. http://localhost:4317.
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,

    /// OTLP protocol: grpc, http/protobuf or http/json (overrides OTEL_EXPORTER_OTLP_PROTOCOL).
    #[arg(long, value_name = "PROTOCOL")]
    pub otlp_protocol: Option<Protocol>,

    /// OTLP exporter implementation: otlp-export (default: spans written
    /// straight into protobuf) or opentelemetry-otlp (overrides
    /// TRACING_PROOF_OTLP_EXPORTER).
    #[arg(long, value_name = "IMPL")]
    pub otlp_exporter: Option<OtlpExporter>,

    /// Sampler (overrides OTEL_TRACES_SAMPLER): always_on, always_off, traceidratio,
    /// parentbased_always_on, parentbased_always_off, parentbased_traceidratio.
    #[arg(long, value_name = "NAME")]
    pub sampler: Option<String>,

    /// Sampler ratio in 0..=1 (overrides OTEL_TRACES_SAMPLER_ARG).
    #[arg(long, value_name = "RATIO")]
    pub sampler_arg: Option<String>,

    /// service.name (overrides OTEL_SERVICE_NAME).
    #[arg(long, value_name = "NAME")]
    pub service_name: Option<String>,
}

impl TelemetryArgs {
    /// The `OTEL_*` environment with these flags on top.
    pub fn otel_config(&self, default_service_name: &str) -> Result<OtelConfig, ConfigError> {
        self.apply(
            OtelConfig::from_env(default_service_name, DEFAULT_SAMPLER)?,
            |k| std::env::var(k).ok(),
        )
    }

    fn apply(
        &self,
        mut cfg: OtelConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<OtelConfig, ConfigError> {
        if let Some(protocol) = self.otlp_protocol {
            cfg.protocol = protocol;
        }
        if let Some(exporter) = self.otlp_exporter {
            cfg.otlp_exporter = exporter;
        }
        if let Some(endpoint) = &self.otlp_endpoint {
            cfg = cfg.with_endpoint(endpoint.clone());
        }
        if let Some(name) = &self.service_name {
            cfg.service_name = name.clone();
        }
        let arg = self
            .sampler_arg
            .clone()
            .or_else(|| env("OTEL_TRACES_SAMPLER_ARG"));
        match (&self.sampler, &self.sampler_arg) {
            (Some(name), _) => {
                cfg.sampler =
                    SamplerConfig::parse(name, arg.as_deref()).map_err(|e| self.name_flag(e))?;
            }
            (None, Some(arg)) => {
                let ratio = telemetry::parse_ratio("--sampler-arg", arg)?;
                cfg.sampler = match cfg.sampler {
                    SamplerConfig::TraceIdRatio(_) => SamplerConfig::TraceIdRatio(ratio),
                    SamplerConfig::ParentBasedTraceIdRatio(_) => {
                        SamplerConfig::ParentBasedTraceIdRatio(ratio)
                    }
                    other => other,
                };
            }
            (None, None) => {}
        }
        Ok(cfg)
    }

    /// Names the flag rather than the variable in an error about a value
    /// that came from a flag.
    fn name_flag(&self, err: ConfigError) -> ConfigError {
        let ConfigError::Invalid {
            name,
            value,
            reason,
        } = err;
        let name = match name.as_str() {
            "OTEL_TRACES_SAMPLER" => "--sampler".to_owned(),
            "OTEL_TRACES_SAMPLER_ARG" if self.sampler_arg.is_some() => "--sampler-arg".to_owned(),
            _ => name,
        };
        ConfigError::Invalid {
            name,
            value,
            reason,
        }
    }
}

/// A flag value the services' parsers reject; clap prints it after the
/// flag's name.
#[derive(Debug, thiserror::Error)]
pub enum FlagValueError {
    /// `--fraud-threshold` is a number but negative, NaN or infinite.
    #[error("{0:?} is not a finite amount of zero or more (e.g. 10000)")]
    BadAmount(String),
    /// `--fraud-threshold` is not a number.
    #[error("{input:?} is not a number (e.g. 10000)")]
    NotANumber {
        /// The value given.
        input: String,
        /// Why it does not parse.
        #[source]
        source: std::num::ParseFloatError,
    },
    /// A duration flag that is not a duration (cli-support's error).
    #[error(transparent)]
    Duration(#[from] cli_support::DurationError),
    /// A timeout of zero, which would fail every call.
    #[error("{0:?}: a timeout must be above zero (e.g. 2s)")]
    ZeroTimeout(String),
    /// `--payment-url` does not parse as a URL.
    #[error("{input:?} is not a URL")]
    NotAUrl {
        /// The value given.
        input: String,
        /// The URL parser's error.
        #[source]
        source: url::ParseError,
    },
    /// `--payment-url` is not an endpoint URL (cli-support's error).
    #[error(transparent)]
    Endpoint(#[from] cli_support::UrlError),
    /// `--payment-url` is `https://`, which the payment client cannot speak.
    #[error("{0:?}: https is not supported (the payment client has no TLS); use http://")]
    Https(String),
}

/// `--fraud-threshold`: a finite amount, zero or more. NaN compares false
/// with every amount, so it would let every fraud through; an infinite one
/// would too.
pub fn parse_amount(s: &str) -> Result<f64, FlagValueError> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(_) => Err(FlagValueError::BadAmount(s.to_owned())),
        Err(source) => Err(FlagValueError::NotANumber {
            input: s.to_owned(),
            source,
        }),
    }
}

/// A timeout flag: a duration above zero (a zero timeout fails every call).
pub fn parse_timeout(s: &str) -> Result<Duration, FlagValueError> {
    match cli_support::parse_duration(s)? {
        d if d.is_zero() => Err(FlagValueError::ZeroTimeout(s.to_owned())),
        d => Ok(d),
    }
}

/// `--payment-url`: an endpoint URL as every binary checks it
/// ([`cli_support::parse_http_url`]: scheme, host, a port from 1 to
/// 65535), and `http://` only: the payment client has no TLS, and https
/// would fail every order with 502.
pub fn parse_payment_url(s: &str) -> Result<reqwest::Url, FlagValueError> {
    let text = cli_support::parse_http_url(s)?;
    let url = reqwest::Url::parse(&text).map_err(|source| FlagValueError::NotAUrl {
        input: text.clone(),
        source,
    })?;
    if url.scheme() == "https" {
        return Err(FlagValueError::Https(text));
    }
    Ok(url)
}

/// Logs the enabled faults, and warns about those `service` ignores.
pub fn log_faults(service: Service, faults: &Faults) {
    for fault in faults.iter() {
        if fault.applies_to(service) {
            tracing::warn!(fault = fault.name(), "fault injection enabled");
        } else {
            tracing::info!(
                fault = fault.name(),
                "fault does not concern this service: ignored"
            );
        }
    }
}

/// The binaries' body: logging ([`cli_support::init_logging`], default
/// `info`), a multi-threaded runtime, then
/// [`run_service`]; an error becomes one line on stderr and exit code 1.
pub fn main(
    name: &str,
    listen: SocketAddr,
    service: &ServiceArgs,
    telemetry: &TelemetryArgs,
    make_router: impl FnOnce(SdkTracerProvider) -> Router,
) -> ExitCode {
    let runtime = match cli_support::start(name, None, "info") {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let result = telemetry
        .otel_config(name)
        .map_err(anyhow::Error::from)
        .and_then(|otel| runtime.block_on(run_service(listen, service, &otel, make_router)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Binds `listen`, serves the router built on a provider made from `otel`
/// until SIGTERM / Ctrl-C (headers within the `service`'s header read
/// timeout), waits for in-flight requests (at most its drain timeout), then
/// flushes every span and shuts the provider down.
pub async fn run_service(
    listen: SocketAddr,
    service: &ServiceArgs,
    otel: &OtelConfig,
    make_router: impl FnOnce(SdkTracerProvider) -> Router,
) -> anyhow::Result<()> {
    let provider = telemetry::build_provider(otel)?;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let local = listener
        .local_addr()
        .context("cannot read the bound address")?;
    tracing::info!(
        listen = %local,
        service_name = %otel.service_name,
        exporter = ?otel.exporter,
        protocol = %otel.protocol,
        endpoint = %otel.resolved_endpoint(),
        sampler = %otel.sampler,
        "serving"
    );
    let served = serve_until_signal(listener, make_router(provider.clone()), service).await;
    tracing::info!("flushing spans");
    let flushed = telemetry::shutdown_provider(provider).await;
    served.context("server failed")?;
    flushed?;
    tracing::info!("all spans flushed; bye");
    Ok(())
}

/// Serves until SIGTERM / Ctrl-C, then lets in-flight requests finish for
/// at most the drain timeout.
async fn serve_until_signal(
    listener: TcpListener,
    router: Router,
    service: &ServiceArgs,
) -> std::io::Result<()> {
    let drain_timeout = service.drain_timeout;
    let signalled = Arc::new(Notify::new());
    let notify = signalled.clone();
    let shutdown = async move {
        cli_support::shutdown_signal().await;
        notify.notify_one();
    };
    let server = crate::serve_with(listener, router, shutdown, service.header_read_timeout);
    let drain_limit = async {
        signalled.notified().await;
        tokio::time::sleep(drain_timeout).await;
    };
    tokio::select! {
        served = server => {
            tracing::info!("in-flight requests done");
            served
        }
        () = drain_limit => {
            tracing::warn!(
                drain_timeout = %humantime::format_duration(drain_timeout),
                "requests still in flight after the drain timeout: abandoned"
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(sampler: Option<&str>, sampler_arg: Option<&str>) -> TelemetryArgs {
        TelemetryArgs {
            otlp_endpoint: Some("http://collector:4318".into()),
            otlp_protocol: Some(Protocol::HttpProtobuf),
            otlp_exporter: None,
            sampler: sampler.map(str::to_owned),
            sampler_arg: sampler_arg.map(str::to_owned),
            service_name: None,
        }
    }

    #[test]
    fn flags_override_the_environment() {
        let base = OtelConfig::new("order-api", DEFAULT_SAMPLER);
        let no_env = |_: &str| None;
        let cfg = args(None, Some("0.25"))
            .apply(base.clone(), no_env)
            .unwrap();
        assert_eq!(cfg.sampler, SamplerConfig::ParentBasedTraceIdRatio(0.25));
        assert_eq!(cfg.resolved_endpoint(), "http://collector:4318/v1/traces");

        let cfg = args(Some("always_off"), None)
            .apply(base.clone(), no_env)
            .unwrap();
        assert_eq!(cfg.sampler, SamplerConfig::AlwaysOff);

        // A sampler flag picks up the environment's argument when none is given.
        let env = |k: &str| (k == "OTEL_TRACES_SAMPLER_ARG").then(|| "0.5".to_owned());
        let cfg = args(Some("traceidratio"), None)
            .apply(base.clone(), env)
            .unwrap();
        assert_eq!(cfg.sampler, SamplerConfig::TraceIdRatio(0.5));

        assert!(
            args(Some("sometimes"), None)
                .apply(base.clone(), no_env)
                .is_err()
        );
        let err = args(None, Some("2")).apply(base, no_env).unwrap_err();
        assert!(err.to_string().contains("--sampler-arg"), "{err}");
    }
}

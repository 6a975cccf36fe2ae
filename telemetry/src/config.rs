//! Telemetry configuration from the standard `OTEL_*` environment variables.
//!
//! Command-line flags override the environment: binaries build an
//! [`OtelConfig`] with [`OtelConfig::from_env`] and then set the fields their
//! flags name.

use std::{fmt, str::FromStr, time::Duration};

use opentelemetry_sdk::trace::Sampler;
use otlp_export::{Batching, DEFAULT_EXPORT_TIMEOUT, Destination, UnknownValue};
pub use otlp_export::{Compression, Protocol};

/// A configuration value that could not be understood.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// An environment variable (or flag) held a value outside its domain.
    #[error("invalid value {value:?} for {name}: {reason}")]
    Invalid {
        /// The variable or flag name.
        name: String,
        /// The offending value.
        value: String,
        /// What was expected instead.
        reason: String,
    },
}

impl ConfigError {
    /// A protocol or compression name `name` held that is not known.
    fn unknown(name: &str, e: UnknownValue) -> Self {
        ConfigError::Invalid {
            name: name.to_owned(),
            value: e.value,
            reason: e.expected.to_owned(),
        }
    }

    fn invalid(name: &str, value: &str, reason: impl Into<String>) -> Self {
        ConfigError::Invalid {
            name: name.to_owned(),
            value: value.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Where finished spans go (`OTEL_TRACES_EXPORTER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExporterKind {
    /// Export over OTLP.
    #[default]
    Otlp,
    /// Record spans but export nothing.
    None,
}

impl FromStr for ExporterKind {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "otlp" => Ok(ExporterKind::Otlp),
            "none" => Ok(ExporterKind::None),
            other => Err(ConfigError::invalid(
                "OTEL_TRACES_EXPORTER",
                other,
                "expected otlp or none",
            )),
        }
    }
}

/// The name of the variable choosing the OTLP exporter implementation.
pub const OTLP_EXPORTER_VAR: &str = "TRACING_PROOF_OTLP_EXPORTER";

/// Which implementation exports OTLP ([`OTLP_EXPORTER_VAR`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OtlpExporter {
    /// `otlp-export`: `SpanData` written straight into protobuf (the default).
    #[default]
    Direct,
    /// `opentelemetry-otlp`: the SDK project's exporter, through
    /// `opentelemetry-proto`'s message structs.
    OpentelemetryOtlp,
}

impl OtlpExporter {
    /// The implementation [`OTLP_EXPORTER_VAR`] names, the default when it
    /// is unset or empty.
    pub fn from_env() -> Result<OtlpExporter, ConfigError> {
        match std::env::var(OTLP_EXPORTER_VAR) {
            Ok(v) if !v.trim().is_empty() => v.parse(),
            _ => Ok(OtlpExporter::default()),
        }
    }
}

impl FromStr for OtlpExporter {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "otlp-export" => Ok(OtlpExporter::Direct),
            "opentelemetry-otlp" => Ok(OtlpExporter::OpentelemetryOtlp),
            other => Err(ConfigError::invalid(
                OTLP_EXPORTER_VAR,
                other,
                "expected otlp-export or opentelemetry-otlp",
            )),
        }
    }
}

impl fmt::Display for OtlpExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OtlpExporter::Direct => "otlp-export",
            OtlpExporter::OpentelemetryOtlp => "opentelemetry-otlp",
        })
    }
}

/// A sampler as named by `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SamplerConfig {
    /// `always_on`
    AlwaysOn,
    /// `always_off`
    AlwaysOff,
    /// `traceidratio` with its ratio.
    TraceIdRatio(f64),
    /// `parentbased_always_on`
    ParentBasedAlwaysOn,
    /// `parentbased_always_off`
    ParentBasedAlwaysOff,
    /// `parentbased_traceidratio` with its ratio (the services' default).
    ParentBasedTraceIdRatio(f64),
}

impl SamplerConfig {
    /// Parses a sampler name and its optional argument (a ratio in `0..=1`,
    /// default `1.0`, used only by the ratio samplers).
    pub fn parse(name: &str, arg: Option<&str>) -> Result<Self, ConfigError> {
        let ratio = || -> Result<f64, ConfigError> {
            match arg.map(str::trim).filter(|a| !a.is_empty()) {
                None => Ok(1.0),
                Some(a) => parse_ratio("OTEL_TRACES_SAMPLER_ARG", a),
            }
        };
        match name.trim() {
            "always_on" => Ok(SamplerConfig::AlwaysOn),
            "always_off" => Ok(SamplerConfig::AlwaysOff),
            "traceidratio" => Ok(SamplerConfig::TraceIdRatio(ratio()?)),
            "parentbased_always_on" => Ok(SamplerConfig::ParentBasedAlwaysOn),
            "parentbased_always_off" => Ok(SamplerConfig::ParentBasedAlwaysOff),
            "parentbased_traceidratio" => Ok(SamplerConfig::ParentBasedTraceIdRatio(ratio()?)),
            other => Err(ConfigError::invalid(
                "OTEL_TRACES_SAMPLER",
                other,
                "expected always_on, always_off, traceidratio, parentbased_always_on, \
                 parentbased_always_off or parentbased_traceidratio",
            )),
        }
    }

    /// The SDK sampler this configuration names.
    pub fn to_sampler(self) -> Sampler {
        match self {
            SamplerConfig::AlwaysOn => Sampler::AlwaysOn,
            SamplerConfig::AlwaysOff => Sampler::AlwaysOff,
            SamplerConfig::TraceIdRatio(r) => Sampler::TraceIdRatioBased(r),
            SamplerConfig::ParentBasedAlwaysOn => Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
            SamplerConfig::ParentBasedAlwaysOff => {
                Sampler::ParentBased(Box::new(Sampler::AlwaysOff))
            }
            SamplerConfig::ParentBasedTraceIdRatio(r) => {
                Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(r)))
            }
        }
    }
}

impl fmt::Display for SamplerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SamplerConfig::AlwaysOn => f.write_str("always_on"),
            SamplerConfig::AlwaysOff => f.write_str("always_off"),
            SamplerConfig::TraceIdRatio(r) => write!(f, "traceidratio({r})"),
            SamplerConfig::ParentBasedAlwaysOn => f.write_str("parentbased_always_on"),
            SamplerConfig::ParentBasedAlwaysOff => f.write_str("parentbased_always_off"),
            SamplerConfig::ParentBasedTraceIdRatio(r) => write!(f, "parentbased_traceidratio({r})"),
        }
    }
}

/// Parses a sampling ratio: a finite number in `0..=1`.
pub fn parse_ratio(name: &str, value: &str) -> Result<f64, ConfigError> {
    match value.trim().parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(ConfigError::invalid(
            name,
            value,
            "expected a number between 0 and 1",
        )),
    }
}

/// Tuning of the batch span processor (`OTEL_BSP_*`); `None` keeps the
/// SDK's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOptions {
    /// Spans buffered before new ones are dropped (`OTEL_BSP_MAX_QUEUE_SIZE`, 2048).
    pub max_queue_size: Option<usize>,
    /// Delay between two exports (`OTEL_BSP_SCHEDULE_DELAY`, 5 s).
    pub scheduled_delay: Option<Duration>,
    /// Spans per export request (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, 512).
    pub max_export_batch_size: Option<usize>,
}

impl BatchOptions {
    /// The tuning these options set, `defaults` where they set nothing.
    pub fn or(self, defaults: Batching) -> Batching {
        Batching {
            max_queue_size: self.max_queue_size.unwrap_or(defaults.max_queue_size),
            max_export_batch_size: self
                .max_export_batch_size
                .unwrap_or(defaults.max_export_batch_size),
            scheduled_delay: self.scheduled_delay.unwrap_or(defaults.scheduled_delay),
        }
    }
}

/// Everything needed to build one component's tracer provider.
#[derive(Debug, Clone, PartialEq)]
pub struct OtelConfig {
    /// `service.name` of the resource (`OTEL_SERVICE_NAME`, else
    /// `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else the component's name).
    pub service_name: String,
    /// `OTEL_TRACES_EXPORTER`: `otlp` (default) or `none`.
    pub exporter: ExporterKind,
    /// [`OTLP_EXPORTER_VAR`]: which implementation exports OTLP.
    pub otlp_exporter: OtlpExporter,
    /// `OTEL_EXPORTER_OTLP_PROTOCOL`: `grpc` (default), `http/protobuf`, `http/json`.
    pub protocol: Protocol,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: the base URL; for HTTP `/v1/traces` is appended.
    pub endpoint: Option<String>,
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`: the traces URL, used verbatim; wins over `endpoint`.
    pub traces_endpoint: Option<String>,
    /// `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`.
    pub sampler: SamplerConfig,
    /// `OTEL_RESOURCE_ATTRIBUTES` other than `service.name`, in order.
    pub resource_attributes: Vec<(String, String)>,
    /// Batch processor tuning.
    pub batch: BatchOptions,
    /// `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, else `OTEL_EXPORTER_OTLP_HEADERS`:
    /// headers (gRPC metadata) sent with every export, values percent-decoded.
    pub headers: Vec<(String, String)>,
    /// `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, else `OTEL_EXPORTER_OTLP_TIMEOUT`
    /// (milliseconds): the limit of one export request; `None` is 10 s.
    pub timeout: Option<Duration>,
    /// `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION`, else `OTEL_EXPORTER_OTLP_COMPRESSION`.
    pub compression: Compression,
    /// For an `https://` endpoint: `OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE`
    /// (the CA file; the system's roots without it) and
    /// `..._CLIENT_CERTIFICATE` / `..._CLIENT_KEY` (mutual TLS).
    pub tls: secure_http::TlsArgs,
}

impl OtelConfig {
    /// A configuration with the defaults of the spec: OTLP over gRPC to
    /// `localhost:4317`, the given service name and sampler.
    pub fn new(service_name: impl Into<String>, sampler: SamplerConfig) -> Self {
        OtelConfig {
            service_name: service_name.into(),
            exporter: ExporterKind::Otlp,
            otlp_exporter: OtlpExporter::Direct,
            protocol: Protocol::Grpc,
            endpoint: None,
            traces_endpoint: None,
            sampler,
            resource_attributes: Vec::new(),
            batch: BatchOptions::default(),
            headers: Vec::new(),
            timeout: None,
            compression: Compression::None,
            tls: secure_http::TlsArgs::default(),
        }
    }

    /// Reads the process environment; `default_service_name` and
    /// `default_sampler` apply when the variables leave them unset.
    pub fn from_env(
        default_service_name: &str,
        default_sampler: SamplerConfig,
    ) -> Result<Self, ConfigError> {
        Self::from_lookup(default_service_name, default_sampler, |k| {
            std::env::var(k).ok()
        })
    }

    /// Like [`OtelConfig::from_env`], reading variables through `lookup`
    /// (empty values count as unset, as the spec says).
    pub fn from_lookup(
        default_service_name: &str,
        default_sampler: SamplerConfig,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let mut cfg = OtelConfig::new(default_service_name, default_sampler);

        // The traces-specific variable wins over the generic one.
        let signal = |name: &str| {
            let specific = format!("OTEL_EXPORTER_OTLP_TRACES_{name}");
            let generic = format!("OTEL_EXPORTER_OTLP_{name}");
            get(&specific)
                .map(|v| (specific, v))
                .or_else(|| get(&generic).map(|v| (generic, v)))
        };
        if let Some(attrs) = get("OTEL_RESOURCE_ATTRIBUTES") {
            for (k, v) in parse_resource_attributes(&attrs)? {
                if k == "service.name" {
                    cfg.service_name = v;
                } else {
                    cfg.resource_attributes.push((k, v));
                }
            }
        }
        if let Some(name) = get("OTEL_SERVICE_NAME") {
            cfg.service_name = name.trim().to_owned();
        }
        if let Some(e) = get("OTEL_TRACES_EXPORTER") {
            cfg.exporter = e.parse()?;
        }
        if let Some(e) = get(OTLP_EXPORTER_VAR) {
            cfg.otlp_exporter = e.parse()?;
        }
        if let Some(p) = get("OTEL_PROPAGATORS") {
            // Checked here, where a component reads its settings, so that a
            // bad value stops it at start (the propagators are process-wide).
            crate::propagation::Propagators::parse(&p)?;
        }
        if let Some((name, p)) = signal("PROTOCOL") {
            cfg.protocol = p.parse().map_err(|e| ConfigError::unknown(&name, e))?;
        }
        if let Some((name, h)) = signal("HEADERS") {
            cfg.headers = parse_key_values(&name, &h)?;
            for (k, v) in &cfg.headers {
                if http::HeaderName::from_bytes(k.as_bytes()).is_err()
                    || http::HeaderValue::from_str(v).is_err()
                {
                    return Err(ConfigError::invalid(&name, k, "not a valid HTTP header"));
                }
            }
        }
        if let Some((name, t)) = signal("TIMEOUT") {
            cfg.timeout = Some(Duration::from_millis(parse_count(&name, &t)?));
        }
        if let Some((name, c)) = signal("COMPRESSION") {
            cfg.compression = c.parse().map_err(|e| ConfigError::unknown(&name, e))?;
        }
        let path = |name: &str| signal(name).map(|(_, v)| std::path::PathBuf::from(v.trim()));
        cfg.tls.ca_cert = path("CERTIFICATE");
        cfg.tls.client_cert = path("CLIENT_CERTIFICATE");
        cfg.tls.client_key = path("CLIENT_KEY");
        // A certificate without its key is refused with both names when
        // the exporter is built (secure-http's client configuration).
        if let Some(n) = get("OTEL_BSP_MAX_QUEUE_SIZE") {
            cfg.batch.max_queue_size = Some(parse_positive("OTEL_BSP_MAX_QUEUE_SIZE", &n)?);
        }
        if let Some(ms) = get("OTEL_BSP_SCHEDULE_DELAY") {
            let ms = parse_count("OTEL_BSP_SCHEDULE_DELAY", &ms)?;
            cfg.batch.scheduled_delay = Some(Duration::from_millis(ms));
        }
        if let Some(n) = get("OTEL_BSP_MAX_EXPORT_BATCH_SIZE") {
            let n = parse_positive("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", &n)?;
            cfg.batch.max_export_batch_size = Some(n);
        }
        cfg.endpoint = get("OTEL_EXPORTER_OTLP_ENDPOINT").map(|e| e.trim().to_owned());
        cfg.traces_endpoint =
            get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").map(|e| e.trim().to_owned());
        if let Some(name) = get("OTEL_TRACES_SAMPLER") {
            cfg.sampler = SamplerConfig::parse(&name, get("OTEL_TRACES_SAMPLER_ARG").as_deref())?;
        } else if let Some(arg) = get("OTEL_TRACES_SAMPLER_ARG") {
            // An argument alone re-tunes the default ratio sampler.
            let r = parse_ratio("OTEL_TRACES_SAMPLER_ARG", &arg)?;
            cfg.sampler = match cfg.sampler {
                SamplerConfig::TraceIdRatio(_) => SamplerConfig::TraceIdRatio(r),
                SamplerConfig::ParentBasedTraceIdRatio(_) => {
                    SamplerConfig::ParentBasedTraceIdRatio(r)
                }
                other => other,
            };
        }
        Ok(cfg)
    }

    /// The configured headers as an HTTP header map (names lowercased);
    /// any pair that is not a valid header (possible only when the field
    /// was set by hand, the environment is checked) is left out.
    pub fn header_map(&self) -> http::HeaderMap {
        self.headers
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    http::HeaderName::from_bytes(k.as_bytes()).ok()?,
                    http::HeaderValue::from_str(v).ok()?,
                ))
            })
            .collect()
    }

    /// Sets the OTLP base endpoint (builder style).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self.traces_endpoint = None;
        self
    }

    /// Sets the protocol (builder style).
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// Where and how spans are exported: the resolved endpoint, the
    /// protocol, the headers, the timeout (10 s unless set) and compression.
    pub fn destination(&self) -> Destination {
        Destination {
            endpoint: self.resolved_endpoint(),
            protocol: self.protocol,
            headers: self.header_map(),
            timeout: self.timeout.unwrap_or(DEFAULT_EXPORT_TIMEOUT),
            compression: self.compression,
            tls: self.tls.clone(),
        }
    }

    /// The URL the exporter sends to: the traces endpoint verbatim, else the
    /// base endpoint (plus `/v1/traces` for HTTP), else the protocol default.
    pub fn resolved_endpoint(&self) -> String {
        if let Some(t) = &self.traces_endpoint {
            return t.clone();
        }
        let base = self
            .endpoint
            .clone()
            .unwrap_or_else(|| self.protocol.default_endpoint().to_owned());
        match self.protocol {
            Protocol::Grpc => base,
            Protocol::HttpProtobuf | Protocol::HttpJson => {
                format!("{}/v1/traces", base.trim_end_matches('/'))
            }
        }
    }
}

/// Parses `OTEL_RESOURCE_ATTRIBUTES`: `key1=value1,key2=value2`, values
/// percent-decoded.
pub(crate) fn parse_resource_attributes(s: &str) -> Result<Vec<(String, String)>, ConfigError> {
    parse_key_values("OTEL_RESOURCE_ATTRIBUTES", s)
}

/// Parses a `key1=value1,key2=value2` list (values percent-decoded), as
/// `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS` hold; `name`
/// is the variable, for the error.
fn parse_key_values(name: &str, s: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let mut out = Vec::new();
    for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            return Err(ConfigError::invalid(name, pair, "expected key=value"));
        };
        let k = k.trim();
        if k.is_empty() {
            return Err(ConfigError::invalid(name, pair, "empty key"));
        }
        out.push((k.to_owned(), percent_decode(v.trim())));
    }
    Ok(out)
}

/// A whole number of milliseconds or items, `0` allowed.
fn parse_count(name: &str, value: &str) -> Result<u64, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| ConfigError::invalid(name, value, "expected a whole number"))
}

/// A count of at least one.
fn parse_positive(name: &str, value: &str) -> Result<usize, ConfigError> {
    match value.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ConfigError::invalid(
            name,
            value,
            "expected a whole number above 0",
        )),
    }
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const DEFAULT: SamplerConfig = SamplerConfig::ParentBasedTraceIdRatio(1.0);

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let cfg = OtelConfig::from_lookup("order-api", DEFAULT, lookup(&[])).unwrap();
        assert_eq!(cfg.service_name, "order-api");
        assert_eq!(cfg.protocol, Protocol::Grpc);
        assert_eq!(cfg.exporter, ExporterKind::Otlp);
        assert_eq!(cfg.sampler, DEFAULT);
        assert_eq!(cfg.resolved_endpoint(), "http://localhost:4317");
    }

    #[test]
    fn every_variable_is_honoured() {
        let cfg = OtelConfig::from_lookup(
            "order-api",
            DEFAULT,
            lookup(&[
                ("OTEL_SERVICE_NAME", "orders"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://jaeger:4318/"),
                ("OTEL_TRACES_SAMPLER", "traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
                (
                    "OTEL_RESOURCE_ATTRIBUTES",
                    "deployment.environment=ci, service.name=ignored,team=a%20b",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.service_name, "orders");
        assert_eq!(cfg.protocol, Protocol::HttpProtobuf);
        assert_eq!(cfg.sampler, SamplerConfig::TraceIdRatio(0.25));
        assert_eq!(cfg.resolved_endpoint(), "http://jaeger:4318/v1/traces");
        assert_eq!(
            cfg.resource_attributes,
            vec![
                ("deployment.environment".to_string(), "ci".to_string()),
                ("team".to_string(), "a b".to_string())
            ]
        );
    }

    #[test]
    fn export_settings_come_from_the_traces_variable_first() {
        let cfg = OtelConfig::from_lookup(
            "loadgen",
            DEFAULT,
            lookup(&[
                ("OTEL_EXPORTER_OTLP_HEADERS", "x-generic=1"),
                (
                    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                    "authorization=Bearer%20abc, x-tenant = t1",
                ),
                ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
                ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip"),
                ("OTEL_EXPORTER_OTLP_COMPRESSION", "none"),
                ("OTEL_BSP_MAX_QUEUE_SIZE", "4096"),
                ("OTEL_BSP_SCHEDULE_DELAY", "250"),
                ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "128"),
            ]),
        )
        .unwrap();
        assert_eq!(
            cfg.headers,
            vec![
                ("authorization".to_string(), "Bearer abc".to_string()),
                ("x-tenant".to_string(), "t1".to_string())
            ]
        );
        assert_eq!(cfg.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(cfg.compression, Compression::Gzip);
        assert_eq!(
            cfg.batch,
            BatchOptions {
                max_queue_size: Some(4096),
                scheduled_delay: Some(Duration::from_millis(250)),
                max_export_batch_size: Some(128),
            }
        );
        let generic = OtelConfig::from_lookup(
            "loadgen",
            DEFAULT,
            lookup(&[
                ("OTEL_EXPORTER_OTLP_HEADERS", "x-generic=1"),
                ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ]),
        )
        .unwrap();
        assert_eq!(generic.headers, vec![("x-generic".into(), "1".into())]);
        assert_eq!(generic.compression, Compression::Gzip);
        assert_eq!(generic.timeout, None);
        let map = cfg.header_map();
        assert_eq!(map["authorization"], "Bearer abc");
        assert_eq!(map["x-tenant"], "t1");
    }

    #[test]
    fn service_name_can_come_from_resource_attributes() {
        let cfg = OtelConfig::from_lookup(
            "x",
            DEFAULT,
            lookup(&[("OTEL_RESOURCE_ATTRIBUTES", "service.name=payments")]),
        )
        .unwrap();
        assert_eq!(cfg.service_name, "payments");
    }

    #[test]
    fn traces_endpoint_is_used_verbatim() {
        let cfg = OtelConfig::from_lookup(
            "x",
            DEFAULT,
            lookup(&[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"),
                ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b:9999/custom"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.resolved_endpoint(), "http://b:9999/custom");
    }

    #[test]
    fn sampler_argument_alone_retunes_the_default_ratio() {
        let cfg =
            OtelConfig::from_lookup("x", DEFAULT, lookup(&[("OTEL_TRACES_SAMPLER_ARG", "0.1")]))
                .unwrap();
        assert_eq!(cfg.sampler, SamplerConfig::ParentBasedTraceIdRatio(0.1));
    }

    #[test]
    fn the_exporter_implementation_is_chosen_by_its_variable() {
        let default = OtelConfig::from_lookup("x", DEFAULT, lookup(&[])).unwrap();
        assert_eq!(default.otlp_exporter, OtlpExporter::Direct);
        for (value, expected) in [
            ("opentelemetry-otlp", OtlpExporter::OpentelemetryOtlp),
            ("otlp-export", OtlpExporter::Direct),
        ] {
            let cfg = OtelConfig::from_lookup("x", DEFAULT, lookup(&[(OTLP_EXPORTER_VAR, value)]))
                .unwrap();
            assert_eq!(cfg.otlp_exporter, expected);
            assert_eq!(expected.to_string(), value);
        }
    }

    #[test]
    fn bad_values_are_rejected_with_the_variable_named() {
        for (k, v) in [
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "udp"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "udp"),
            (OTLP_EXPORTER_VAR, "zipkin"),
            ("OTEL_TRACES_SAMPLER", "sometimes"),
            ("OTEL_TRACES_EXPORTER", "zipkin"),
            ("OTEL_PROPAGATORS", "tracecontext,xray"),
            ("OTEL_RESOURCE_ATTRIBUTES", "novalue"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-token"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "bad header=1"),
            ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "10s"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "0"),
            ("OTEL_BSP_SCHEDULE_DELAY", "-1"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "many"),
        ] {
            let err = OtelConfig::from_lookup("x", DEFAULT, lookup(&[(k, v)])).unwrap_err();
            assert!(err.to_string().contains(k), "{err}");
        }
        let err = OtelConfig::from_lookup(
            "x",
            DEFAULT,
            lookup(&[
                ("OTEL_TRACES_SAMPLER", "traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
            ]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("between 0 and 1"), "{err}");
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%2Cb"), "a,b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%é"), "%é");
    }
}

//! What a run is asked to do: [`LoadConfig`] and the values it is made of.

use std::{fmt, path::PathBuf, str::FromStr, time::Duration};

use http::{HeaderValue, Uri};
use serde::{Deserialize, Serialize};
use telemetry::OtelConfig;

use crate::{
    error::LoadError,
    propagator::Propagator,
    scenario::{Mix, ScenarioSet},
    stages::Stage,
};

/// Everything one run needs. Build it with [`LoadConfig::new`] and adjust the
/// public fields; [`crate::run`] validates it.
#[derive(Debug)]
pub struct LoadConfig {
    /// The order-api base URL.
    pub target: Target,
    /// Intended request rate of all shards together, per second.
    pub rps: f64,
    /// Rate stages: the rate ramps linearly from `rps` to each stage's rate
    /// over its duration (empty: `rps` throughout). The run ends with the
    /// last stage.
    pub stages: Vec<Stage>,
    /// Stop scheduling after this long (with `requests`, whichever comes first).
    pub duration: Option<Duration>,
    /// Stop after this many requests in all shards together.
    pub requests: Option<u64>,
    /// The requests to send (the shipped order/payment scenarios by default).
    pub scenarios: ScenarioSet,
    /// Weights by scenario name that replace the file's (`--mix`).
    pub mix: Option<Mix>,
    /// The trace context header format.
    pub propagator: Propagator,
    /// The sampling ratio of the traces this run roots, or none.
    pub sampler: SamplerChoice,
    /// Seeds the scenario sequence, the payloads and the trace ids.
    pub seed: u64,
    /// Requests scheduled but not finished (queued or on the wire) at most;
    /// when reached, the schedule waits and the report counts a cap hit.
    pub max_in_flight: usize,
    /// Per-request timeout, from the moment a connection picks it up.
    pub timeout: Duration,
    /// Keep-alive connections (HTTP/1.1, or HTTP/2 over TLS when the
    /// server chooses it; one request at a time on each).
    pub connections: usize,
    /// Trust and client certificate for an `https://` target
    /// (`--target-ca-cert`, ...); the system's roots by default.
    pub target_tls: secure_http::TlsArgs,
    /// This instance's share of the rate, the requests and the id space.
    pub shard: Shard,
    /// Where to stream the manifest (JSON lines), if anywhere.
    pub manifest: Option<PathBuf>,
    /// Whether and where the loadgen CLIENT span of each sampled request goes.
    pub root_spans: RootSpans,
    /// Draw a progress line on stdout (only shown when it is a terminal).
    pub progress: bool,
}

impl LoadConfig {
    /// A run of `rps` requests per second against `target` with the defaults:
    /// 30 s, the shipped order/payment scenarios, every trace sampled, seed 0, 32 connections,
    /// at most 1,000 in flight, a 30 s timeout, no manifest, no root spans,
    /// no progress line.
    pub fn new(target: Target, rps: f64) -> LoadConfig {
        LoadConfig {
            target,
            rps,
            stages: Vec::new(),
            duration: Some(Duration::from_secs(30)),
            requests: None,
            scenarios: ScenarioSet::order_payment(),
            mix: None,
            propagator: Propagator::TraceContext,
            sampler: SamplerChoice::Ratio(1.0),
            seed: 0,
            max_in_flight: 1000,
            timeout: Duration::from_secs(30),
            connections: 32,
            target_tls: secure_http::TlsArgs::default(),
            shard: Shard::default(),
            manifest: None,
            root_spans: RootSpans::Off,
            progress: false,
        }
    }

    /// Checks the values that the types alone do not constrain.
    pub fn validate(&self) -> Result<(), LoadError> {
        let bad = |msg: String| Err(LoadError::Config(msg));
        let rate_ok = if self.stages.is_empty() {
            self.rps > 0.0
        } else {
            self.rps >= 0.0
        };
        if !(self.rps.is_finite() && rate_ok) {
            return bad(format!(
                "the rate must be a positive number, got {}",
                self.rps
            ));
        }
        if !self.stages.is_empty() && self.rps == 0.0 && self.stages.iter().all(|s| s.rps == 0.0) {
            return bad("the rate is 0 in every stage: nothing would be sent".to_owned());
        }
        if self.duration.is_none() && self.requests.is_none() && self.stages.is_empty() {
            return bad("give a duration, a number of requests, or both".to_owned());
        }
        if self.duration.is_some_and(|d| d.is_zero()) || self.requests == Some(0) {
            return bad("the duration and the number of requests must be positive".to_owned());
        }
        if self.connections == 0 || self.max_in_flight == 0 {
            return bad("connections and max in flight must be at least 1".to_owned());
        }
        if self.timeout.is_zero() {
            return bad("the timeout must be positive".to_owned());
        }
        if let Some(mix) = &self.mix {
            self.scenarios.with_mix(mix)?;
        }
        if let SamplerChoice::Ratio(r) = self.sampler
            && !(0.0..=1.0).contains(&r)
        {
            return bad(format!("the sampling ratio must be in 0..=1, got {r}"));
        }
        Ok(())
    }

    /// Whether the run exports a CLIENT span per sampled request.
    pub(crate) fn exports_root_spans(&self) -> bool {
        !matches!(self.root_spans, RootSpans::Off) && self.sampler != SamplerChoice::None
    }
}

/// The loadgen's own sampling decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SamplerChoice {
    /// Root every trace; the SDK's `TraceIdRatioBased` sampler with this
    /// ratio decides the sampled flag sent in `traceparent`.
    Ratio(f64),
    /// Send no `traceparent`: the service decides, and its `traceresponse`
    /// header tells the trace id and the decision.
    None,
}

impl fmt::Display for SamplerChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SamplerChoice::Ratio(r) => write!(f, "{r}"),
            SamplerChoice::None => f.write_str("none"),
        }
    }
}

impl FromStr for SamplerChoice {
    type Err = SamplerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "none" => Ok(SamplerChoice::None),
            other => match other.parse::<f64>() {
                Ok(r) if (0.0..=1.0).contains(&r) => Ok(SamplerChoice::Ratio(r)),
                _ => Err(SamplerError(other.to_owned())),
            },
        }
    }
}

/// A `--sampler` that is neither a ratio from 0 to 1 nor `none`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a ratio between 0 and 1 or `none`, got {0:?}")]
pub struct SamplerError(String);

/// Instance `index` of `count` (`--shard i/n`): it takes every `count`-th
/// slot of the common schedule, starting at slot `index`, and its own stream
/// of the seeded generators, so shards of one seed never share a trace id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based position of this instance.
    pub index: u32,
    /// How many instances share the load.
    pub count: u32,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 0, count: 1 }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardSyntaxError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ShardSyntaxError(s.to_owned());
        let (i, n) = s.trim().split_once('/').ok_or_else(err)?;
        let index: u32 = i.trim().parse().map_err(|_| err())?;
        let count: u32 = n.trim().parse().map_err(|_| err())?;
        if count == 0 || index >= count {
            return Err(err());
        }
        Ok(Shard { index, count })
    }
}

/// A `--shard` that is not `i/n` with `0 <= i < n`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected i/n with 0 <= i < n, got {0:?}")]
pub struct ShardSyntaxError(String);

/// Whether and where the loadgen CLIENT spans go.
#[derive(Debug)]
pub enum RootSpans {
    /// No span: the `traceparent` names a parent that is never exported
    /// (`--no-root-span`; the manifest then says `root_span: false`).
    Off,
    /// Export over OTLP as the configuration says (endpoint, protocol,
    /// headers, timeout, compression, service name, resource, batch
    /// tuning); its sampler is ignored, the run's [`SamplerChoice`] rules.
    /// `OTEL_TRACES_EXPORTER=none` means `Off`.
    Otlp(Box<OtelConfig>),
}

impl RootSpans {
    /// Export over OTLP as `otel` says.
    pub fn otlp(otel: OtelConfig) -> RootSpans {
        RootSpans::Otlp(Box::new(otel))
    }
}

/// The base URL of the system under load: `http[s]://host[:port][/base]`.
#[derive(Debug, Clone)]
pub struct Target {
    https: bool,
    base: String,
    base_path: String,
    host: String,
    port: u16,
    host_header: HeaderValue,
}

impl Target {
    /// Parses an `http://` or `https://` URL; a path is a base that the
    /// scenario paths (`/orders`, `/health`) are appended to.
    pub fn parse(url: &str) -> Result<Target, TargetError> {
        let uri: Uri = url.trim().parse().map_err(|source| TargetError::Invalid {
            url: url.to_owned(),
            source,
        })?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            Some(other) => {
                return Err(TargetError::Scheme {
                    url: url.to_owned(),
                    scheme: other.to_owned(),
                });
            }
            None => return Err(TargetError::NoScheme(url.to_owned())),
        };
        let authority = uri
            .authority()
            .ok_or_else(|| TargetError::NoHost(url.to_owned()))?;
        if authority.as_str().contains('@') {
            return Err(TargetError::Credentials(url.to_owned()));
        }
        if uri.query().is_some() {
            return Err(TargetError::Query(url.to_owned()));
        }
        // Refuses what `http::Uri` lets through, such as port 99999.
        cli_support::parse_http_url(url)?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let base_path = uri.path().trim_end_matches('/').to_owned();
        let scheme = if https { "https" } else { "http" };
        let base = format!("{scheme}://{authority}{base_path}");
        let host_header =
            HeaderValue::from_str(authority.as_str()).map_err(|source| TargetError::Host {
                url: url.to_owned(),
                source,
            })?;
        Ok(Target {
            https,
            base,
            base_path,
            host,
            port,
            host_header,
        })
    }

    /// The host name or address (`server.address`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (`server.port`), 80 (443 for https) when the URL has none.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the target is `https://`.
    pub fn is_https(&self) -> bool {
        self.https
    }

    pub(crate) fn host_header(&self) -> &HeaderValue {
        &self.host_header
    }

    /// The path the scenario paths are appended to (empty, or `/api`).
    pub(crate) fn base_path(&self) -> &str {
        &self.base_path
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

/// A target URL the loadgen cannot load.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// Not a URI.
    #[error("invalid target URL {url:?}")]
    Invalid {
        /// The URL as given.
        url: String,
        /// The URI parser's reason.
        #[source]
        source: http::uri::InvalidUri,
    },
    /// A scheme other than http and https.
    #[error("unsupported scheme {scheme:?} in {url:?}: expected http or https")]
    Scheme {
        /// The URL as given.
        url: String,
        /// Its scheme.
        scheme: String,
    },
    /// No scheme.
    #[error("the target URL {0:?} needs http:// or https://")]
    NoScheme(String),
    /// No host.
    #[error("the target URL {0:?} has no host")]
    NoHost(String),
    /// User info, which the loadgen would send in the clear.
    #[error("the target URL {0:?} must not carry credentials")]
    Credentials(String),
    /// A query, which the scenario paths could not be appended to.
    #[error("the target URL {0:?} must not have a query")]
    Query(String),
    /// Not an endpoint URL as every binary checks them (port 99999, ...).
    #[error(transparent)]
    Url(#[from] cli_support::UrlError),
    /// The host is not a valid `Host` header.
    #[error("invalid host in {url:?}")]
    Host {
        /// The URL as given.
        url: String,
        /// The header parser's reason.
        #[source]
        source: http::header::InvalidHeaderValue,
    },
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_keeps_a_base_path_and_defaults_the_port() {
        let t = Target::parse("http://orders.internal/api/").unwrap();
        assert_eq!(t.to_string(), "http://orders.internal/api");
        assert_eq!((t.host(), t.port()), ("orders.internal", 80));
        assert_eq!(t.base_path(), "/api");
        let t = Target::parse("http://[::1]:8000").unwrap();
        assert_eq!((t.host(), t.port()), ("::1", 8000));
        assert_eq!(t.host_header(), "[::1]:8000");
        let t = Target::parse("https://orders.internal").unwrap();
        assert!(t.is_https());
        assert_eq!(
            (t.to_string().as_str(), t.port()),
            ("https://orders.internal", 443)
        );
    }

    #[test]
    fn bad_targets_are_rejected() {
        for (bad, reason) in [
            ("ftp://x:1", "expected http or https"),
            ("x:8000", "http://"),
            ("http://", "invalid target"),
            ("http://u:p@x:1", "credentials"),
            ("http://x:1/?a=b", "query"),
            ("http://127.0.0.1:99999", "invalid port number"),
            ("http://127.0.0.1:0", "port 0"),
        ] {
            let err = cli_support::error_chain(&Target::parse(bad).unwrap_err());
            assert!(err.contains(reason), "{bad}: {err}");
        }
    }

    #[test]
    fn shards_and_samplers_parse() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, count: 3 }));
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(
            "0.25".parse::<SamplerChoice>(),
            Ok(SamplerChoice::Ratio(0.25))
        );
        assert_eq!("none".parse::<SamplerChoice>(), Ok(SamplerChoice::None));
        for bad in ["1.5", "-0.1", "half", "NaN"] {
            assert!(bad.parse::<SamplerChoice>().is_err(), "{bad}");
        }
    }

    #[test]
    fn validation_names_the_problem() {
        let target = Target::parse("http://127.0.0.1:1").unwrap();
        let mut c = LoadConfig::new(target, 0.0);
        assert!(c.validate().unwrap_err().to_string().contains("rate"));
        c.rps = 10.0;
        c.duration = None;
        assert!(c.validate().unwrap_err().to_string().contains("duration"));
        c.requests = Some(5);
        c.connections = 0;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("connections")
        );
        c.connections = 1;
        assert!(c.validate().is_ok());
    }
}

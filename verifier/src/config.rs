//! What to verify and how: [`VerifyConfig`].

use std::time::{Duration, SystemTime};

use crate::manifest::Manifest;
use crate::spec::Spec;

/// Which generation of Jaeger's query API to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ApiChoice {
    /// `/api/v3` when the server has it, else v1.
    #[default]
    Auto,
    /// Only `/api/v3` (OTLP JSON).
    V3,
    /// Only the v1 JSON API (Jaeger v1.x and v2 up to v2.20.0).
    V1,
}

/// The time window whose traces are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeWindow {
    /// From this long before the verification starts until it starts.
    Since(Duration),
    /// An explicit window.
    Between {
        /// Start (inclusive).
        start: SystemTime,
        /// End (inclusive).
        end: SystemTime,
    },
}

/// Retries with exponential backoff for transient errors (transport errors,
/// HTTP 429, 500, 502, 503, 504).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, at least 1.
    pub attempts: u32,
    /// Wait before the first retry; doubles each time.
    pub initial_backoff: Duration,
    /// Upper bound of one wait.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
        }
    }
}

/// Default timeout of one request to Jaeger. Jaeger's own searches answer
/// within seconds; a request still unanswered after this is hung.
pub(crate) const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Default bound on one whole read (all tries of one request): a hung
/// Jaeger costs at most this, not `attempts` x `request_timeout`.
pub(crate) const DEFAULT_READ_DEADLINE: Duration = Duration::from_secs(30);

/// Default largest answer read from Jaeger: 256 MiB, far above any real
/// answer of `max_traces` traces, far below what can exhaust memory.
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: u64 = 256 << 20;

/// Everything [`crate::verify`] needs. Build it with [`VerifyConfig::new`] and
/// adjust the public fields.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    /// Base URL of Jaeger's query service (may include a base path).
    pub jaeger_url: String,
    /// API generation.
    pub api: ApiChoice,
    /// Window to search; `None` means the manifest's time span (plus a margin)
    /// when a manifest is given, else the last 5 minutes.
    pub window: Option<TimeWindow>,
    /// Services to search; empty means the spec's `services`.
    pub services: Vec<String>,
    /// The loadgen manifest, if any.
    pub manifest: Option<Manifest>,
    /// The contract to check.
    pub spec: Spec,
    /// How long to wait for late spans.
    pub settle: Duration,
    /// Time between two reads while settling.
    pub poll_interval: Duration,
    /// A read that changed nothing for this long before `settle` ran out means
    /// the store had settled: spans still missing then break `span-tree`;
    /// otherwise they are `incomplete` (capped at half of `settle`).
    pub quiet_period: Duration,
    /// At most this many traces per search (Jaeger's `limit` / `query.search_depth`);
    /// busier windows are split until each part is under it.
    pub max_traces: usize,
    /// The sampling ratio the manifest's requests were sampled with, for the binomial test.
    pub sampling_ratio: Option<f64>,
    /// Overrides the spec's clock-skew allowance.
    pub clock_skew: Option<Duration>,
    /// Retry policy for every request to Jaeger.
    pub retry: RetryPolicy,
    /// Timeout of one HTTP request, its whole body included.
    pub request_timeout: Duration,
    /// Bound on one whole read from Jaeger: every try of a request, the
    /// backoffs between them and the bodies, so that a hung backend fails
    /// the verification in this time instead of `attempts` x `request_timeout`.
    pub read_deadline: Duration,
    /// Largest answer body read from Jaeger (after decompression). A longer
    /// one is an error, not retried: the verifier's memory stays bounded
    /// whatever the backend sends.
    pub max_response_bytes: u64,
    /// Ask Jaeger for raw traces (no query-time adjusters such as clock-skew correction).
    pub raw_traces: bool,
    /// Trace fetches by id in flight at once.
    pub concurrency: usize,
    /// The slowest traces kept per scenario, with their trees and critical
    /// paths (`Verdict::slowest`); 0 keeps none.
    pub slowest: usize,
    /// Trust and client certificate for an `https://` Jaeger.
    pub tls: secure_http::TlsArgs,
    /// Sent with every request to Jaeger (credentials for a proxy in front of it).
    pub headers: secure_http::Headers,
}

impl VerifyConfig {
    /// Defaults for the given Jaeger URL and the shipped order/payment contract.
    pub fn new(jaeger_url: impl Into<String>) -> Self {
        VerifyConfig {
            jaeger_url: jaeger_url.into(),
            api: ApiChoice::Auto,
            window: None,
            services: Vec::new(),
            manifest: None,
            spec: Spec::contract(),
            settle: Duration::from_secs(15),
            poll_interval: Duration::from_millis(500),
            quiet_period: Duration::from_secs(5),
            max_traces: 1000,
            sampling_ratio: None,
            clock_skew: None,
            retry: RetryPolicy::default(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            read_deadline: DEFAULT_READ_DEADLINE,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            raw_traces: false,
            concurrency: 8,
            slowest: 5,
            tls: secure_http::TlsArgs::default(),
            headers: secure_http::Headers::default(),
        }
    }
}

impl VerifyConfig {
    /// The settings of the Jaeger client this config asks for.
    pub(crate) fn client_options(&self) -> crate::jaeger::ClientOptions {
        crate::jaeger::ClientOptions {
            api: self.api,
            retry: self.retry,
            request_timeout: self.request_timeout,
            read_deadline: self.read_deadline,
            max_response_bytes: self.max_response_bytes,
            raw_traces: self.raw_traces,
            tls: self.tls.clone(),
            headers: self.headers.clone(),
        }
    }
}

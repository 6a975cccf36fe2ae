//! A client for Jaeger's HTTP query API, both generations: `/api/v3` (OTLP
//! JSON) and the v1 JSON API. Retries transient errors with backoff, parses
//! error bodies whatever their content type, and turns every way a server can
//! misbehave into a [`CheckError`].

mod json;
pub mod v1;
pub mod v3;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

use crate::config::{ApiChoice, RetryPolicy};
use crate::error::{CheckError, one_line};
use crate::model::{Trace, TraceId, rfc3339_ns};

/// A body that is not the Jaeger JSON it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(String);

impl ParseError {
    fn new(message: impl Into<String>) -> Self {
        ParseError(message.into())
    }

    fn json(error: serde_json::Error) -> Self {
        ParseError(format!("invalid JSON: {error}"))
    }
}

/// The API generation a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiVersion {
    /// `/api/v3`.
    V3,
    /// The v1 JSON API.
    V1,
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ApiVersion::V3 => "v3",
            ApiVersion::V1 => "v1",
        })
    }
}

/// Settings of a [`JaegerClient`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Which API to use.
    pub api: ApiChoice,
    /// Retries for transient errors.
    pub retry: RetryPolicy,
    /// Timeout of one request, its body included.
    pub request_timeout: Duration,
    /// Bound on all tries of one request together.
    pub read_deadline: Duration,
    /// Largest body read (after decompression).
    pub max_response_bytes: u64,
    /// Ask for raw traces (no query-time adjusters).
    pub raw_traces: bool,
    /// Trust and client certificate for `https://` URLs.
    pub tls: secure_http::TlsArgs,
    /// Sent with every request (credentials for the proxy in front of Jaeger).
    pub headers: secure_http::Headers,
}

/// A connected client: the API generation is known and the server answered
/// its service list as Jaeger does.
#[derive(Debug, Clone)]
pub struct JaegerClient {
    http: reqwest::Client,
    base: String,
    api: ApiVersion,
    services: Vec<String>,
    options: ClientOptions,
    /// Set once the server showed it has no `/api/v3/trace-summaries`.
    no_summaries: Arc<AtomicBool>,
}

/// The window and depth of a v3 search as query text: the parameters
/// `/api/v3/traces` and `/api/v3/trace-summaries` share, in snake_case,
/// which every Jaeger v2 accepts (camelCase only from v2.19).
struct V3Search {
    min: String,
    max: String,
    depth: String,
}

impl V3Search {
    fn new(start_ns: u64, end_ns: u64, depth: &str) -> Self {
        V3Search {
            min: rfc3339_ns(start_ns),
            max: rfc3339_ns(end_ns),
            depth: depth.to_owned(),
        }
    }

    /// The query of one service's search.
    fn query<'a>(&'a self, service: &'a str) -> Vec<(&'static str, &'a str)> {
        vec![
            ("query.service_name", service),
            ("query.start_time_min", &self.min),
            ("query.start_time_max", &self.max),
            ("query.search_depth", &self.depth),
        ]
    }
}

/// Bodies smaller than this (a trace or two) are parsed where they
/// arrive: handing them to another thread costs more than parsing them.
const PARSE_INLINE_BYTES: usize = 64 * 1024;

/// One HTTP answer: status and body.
struct JaegerAnswer {
    url: String,
    status: u16,
    body: bytes::Bytes,
}

/// What settling watches of a tracestore: every span stored, received or
/// evicted changes one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) struct StoreCounters {
    spans: u64,
    received_spans: u64,
    evicted_spans: u64,
}

#[derive(Deserialize)]
struct V3Services {
    services: Vec<String>,
}

/// A `--jaeger` URL made ready for a client: `http://` or `https://`, its
/// user info (if any) taken out as the `Authorization: Basic` header it
/// stands for, so the URL can be printed. Callers that do work before
/// verifying (the harness's load) check it first. Errors never show the
/// user info.
pub fn parse_base_url(base_url: &str) -> Result<(String, Option<secure_http::Header>), CheckError> {
    let (url, authorization) = secure_http::split_user_info(base_url.trim_end_matches('/'))
        .map_err(|e| CheckError::Config(format!("--jaeger: {e}")))?;
    let url = cli_support::parse_http_url(&url).map_err(|e| {
        let e = cli_support::error_chain(&e);
        CheckError::Config(format!("--jaeger: {e} (e.g. http://127.0.0.1:16686)"))
    })?;
    Ok((url.trim_end_matches('/').to_owned(), authorization))
}

impl JaegerClient {
    /// Connects: picks the API generation (v3 first under `Auto`) and reads the
    /// service list, which also proves the server speaks Jaeger's API.
    pub async fn connect(base_url: &str, options: ClientOptions) -> Result<Self, CheckError> {
        let (base, authorization) = parse_base_url(base_url)?;
        let mut headers = options.headers.clone();
        if let Some(basic) = authorization
            && !headers.contains(&reqwest::header::AUTHORIZATION)
        {
            headers.push(basic);
        }
        let mut http = reqwest::Client::builder()
            .timeout(options.request_timeout)
            .connect_timeout(options.request_timeout.min(Duration::from_secs(5)))
            .default_headers(headers.to_map());
        if base.starts_with("https:") {
            let tls = options
                .tls
                .client_config(&[b"h2", b"http/1.1"])
                .map_err(|e| CheckError::Config(e.to_string()))?;
            http = http.tls_backend_preconfigured(tls);
        }
        let http = http
            .build()
            .map_err(|e| CheckError::Config(format!("cannot build an HTTP client: {e}")))?;
        let mut client = JaegerClient {
            http,
            base,
            api: ApiVersion::V3,
            services: Vec::new(),
            options,
            no_summaries: Arc::new(AtomicBool::new(false)),
        };
        let tried_v3 = if client.options.api == ApiChoice::V1 {
            None
        } else {
            Some(client.v3_services().await?)
        };
        match tried_v3 {
            Some(Ok(services)) => client.services = services,
            Some(Err(no_v3)) if client.options.api == ApiChoice::V3 => return Err(no_v3),
            tried => {
                if let Some(Err(no_v3)) = tried {
                    tracing::info!("{no_v3}: falling back to the v1 API");
                }
                client.api = ApiVersion::V1;
                client.services = client.v1_services().await?;
            }
        }
        tracing::info!(api = %client.api, services = ?client.services, "connected to Jaeger at {}", client.base);
        Ok(client)
    }

    /// The API generation in use.
    pub fn api(&self) -> ApiVersion {
        self.api
    }

    /// The services the server knows.
    pub fn services(&self) -> &[String] {
        &self.services
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `/api/v3/services`. The inner `Err` says why the server has no v3 API:
    /// a 404, or a success that is not a v3 answer (Jaeger builds without
    /// `/api/v3` serve their UI's `index.html` with 200 for unknown paths).
    async fn v3_services(&self) -> Result<Result<Vec<String>, CheckError>, CheckError> {
        const HINT: &str = "the server has no /api/v3; try --api v1";
        let answer = self.get(&self.url("/api/v3/services"), &[]).await?;
        if answer.status == 404 {
            return Ok(Err(answer.not_jaeger(format!("{HINT} (HTTP 404)"))));
        }
        let answer = answer.success()?;
        Ok(serde_json::from_slice::<V3Services>(&answer.body)
            .map(|parsed| parsed.services)
            .map_err(|e| answer.not_jaeger(format!("{HINT} ({e})"))))
    }

    async fn v1_services(&self) -> Result<Vec<String>, CheckError> {
        let answer = self.get(&self.url("/api/services"), &[]).await?.success()?;
        let parsed: v1::Envelope<Vec<String>> =
            serde_json::from_slice(&answer.body).map_err(|e| answer.not_jaeger(e))?;
        parsed
            .data
            .ok_or_else(|| answer.not_jaeger("`data` is null"))
    }

    /// Searches one service's traces whose spans start in `[start_ns, end_ns]`,
    /// at most `limit` traces (the server's choice of which when there are more).
    pub async fn search(
        &self,
        service: &str,
        start_ns: u64,
        end_ns: u64,
        limit: usize,
    ) -> Result<Vec<Trace>, CheckError> {
        let limit = limit.to_string();
        let raw = self.options.raw_traces.then_some("true");
        match self.api {
            ApiVersion::V3 => {
                let search = V3Search::new(start_ns, end_ns, &limit);
                let mut query = search.query(service);
                query.extend(raw.map(|r| ("query.raw_traces", r)));
                let answer = self.get(&self.url("/api/v3/traces"), &query).await?;
                self.v3_traces(answer).await
            }
            ApiVersion::V1 => {
                let (start, end) = (
                    (start_ns / 1000).to_string(),
                    end_ns.div_ceil(1000).to_string(),
                );
                let mut query = vec![
                    ("service", service),
                    ("start", &start),
                    ("end", &end),
                    ("limit", &limit),
                ];
                query.extend(raw.map(|r| ("raw", r)));
                let answer = self
                    .get(&self.url("/api/traces"), &query)
                    .await?
                    .success()?;
                answer.parse(v1::parse_traces).await
            }
        }
    }

    /// Summaries of the traces `search` would return, without their spans
    /// (`/api/v3/trace-summaries`, Jaeger >= 2.19): one small record a
    /// trace, so a trace already read for another service is not read
    /// again. `None` when the server has no such route (the v1 API, an
    /// older Jaeger answering 404 or its UI): the caller searches instead,
    /// and later calls are not made.
    pub(crate) async fn summaries(
        &self,
        service: &str,
        start_ns: u64,
        end_ns: u64,
        limit: usize,
    ) -> Result<Option<Vec<v3::TraceSummary>>, CheckError> {
        if self.api != ApiVersion::V3 || self.no_summaries.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let search = V3Search::new(start_ns, end_ns, &limit.to_string());
        let query = search.query(service);
        let answer = self
            .get(&self.url("/api/v3/trace-summaries"), &query)
            .await?;
        let parsed = match answer.status {
            // Jaeger's "No traces found"; a bare 404 is a server without the route.
            404 if answer.error_message().is_some() => return Ok(Some(Vec::new())),
            404 | 405 => None,
            _ => v3::parse_summaries(&answer.success()?.body).ok(),
        };
        if parsed.is_none() {
            tracing::info!(
                "{} has no /api/v3/trace-summaries: every service is searched for whole traces",
                self.base
            );
            self.no_summaries.store(true, Ordering::Relaxed);
        }
        Ok(parsed)
    }

    /// The store's span counters when the server is a tracestore
    /// (`/tracestore/stats`); `None` for any other server. Equal counters
    /// before and after a read mean nothing arrived or left meanwhile, so
    /// settling can be confirmed without reading the window again.
    pub(crate) async fn store_counters(&self) -> Option<StoreCounters> {
        let answer = self.get(&self.url("/tracestore/stats"), &[]).await.ok()?;
        if !(200..300).contains(&answer.status) {
            return None;
        }
        serde_json::from_slice(&answer.body).ok()
    }

    /// Fetches one whole trace by id; `None` when the server does not have it.
    pub async fn trace(&self, trace_id: TraceId) -> Result<Option<Trace>, CheckError> {
        let raw: Vec<(&str, &str)> = match (self.options.raw_traces, self.api) {
            (false, _) => vec![],
            (true, ApiVersion::V3) => vec![("raw_traces", "true")],
            (true, ApiVersion::V1) => vec![("raw", "true")],
        };
        let path = match self.api {
            ApiVersion::V3 => format!("/api/v3/traces/{trace_id}"),
            ApiVersion::V1 => format!("/api/traces/{trace_id}"),
        };
        let answer = self.get(&self.url(&path), &raw).await?;
        let traces = match self.api {
            ApiVersion::V3 => self.v3_traces(answer).await?,
            ApiVersion::V1 if answer.status == 404 && answer.error_message().is_some() => {
                Vec::new()
            }
            ApiVersion::V1 => answer.success()?.parse(v1::parse_traces).await?,
        };
        Ok(traces.into_iter().find(|t| t.trace_id == trace_id))
    }

    /// A v3 trace answer; Jaeger's 404 "No traces found" is an empty result.
    async fn v3_traces(&self, answer: JaegerAnswer) -> Result<Vec<Trace>, CheckError> {
        if answer.status == 404 && answer.error_message().is_some() {
            return Ok(Vec::new());
        }
        answer.success()?.parse(v3::parse_traces).await
    }

    /// GET with retries on transport errors (also while reading the body)
    /// and transient statuses, all within the read deadline.
    async fn get(&self, url: &str, query: &[(&str, &str)]) -> Result<JaegerAnswer, CheckError> {
        let mut parsed =
            Url::parse(url).map_err(|e| CheckError::Config(format!("bad URL {url}: {e}")))?;
        if !query.is_empty() {
            parsed.query_pairs_mut().extend_pairs(query);
        }
        let deadline = self.options.read_deadline;
        tokio::time::timeout(deadline, self.get_with_retries(&parsed))
            .await
            .unwrap_or_else(|_| {
                Err(CheckError::Hung {
                    url: parsed.to_string(),
                    deadline,
                })
            })
    }

    async fn get_with_retries(&self, url: &Url) -> Result<JaegerAnswer, CheckError> {
        let retry = self.options.retry;
        let mut backoff = retry.initial_backoff;
        let mut attempt = 1;
        loop {
            let last = attempt >= retry.attempts.max(1);
            let failure = match self.http.get(url.clone()).send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let transient = matches!(status, 429 | 500 | 502 | 503 | 504);
                    if transient && !last {
                        tracing::warn!(%status, attempt, "transient error from {url}; retrying");
                        None
                    } else {
                        match capped_body(response, self.options.max_response_bytes).await {
                            Ok(Some(body)) => {
                                return Ok(JaegerAnswer {
                                    url: url.to_string(),
                                    status,
                                    body,
                                });
                            }
                            Ok(None) => {
                                return Err(CheckError::TooLarge {
                                    url: url.to_string(),
                                    limit: self.options.max_response_bytes,
                                });
                            }
                            Err(e) => Some(e),
                        }
                    }
                }
                Err(e) => Some(e),
            };
            if let Some(e) = failure {
                let reason = cli_support::error_chain(&e);
                if let Some(hint) = secure_http::certificate_hint(&reason) {
                    // Retrying cannot make an untrusted certificate trusted.
                    return Err(CheckError::Unreachable {
                        url: url.to_string(),
                        reason: format!("{}; {hint}", one_line(&reason)),
                    });
                }
                if last {
                    return Err(CheckError::Unreachable {
                        url: url.to_string(),
                        reason: one_line(&reason),
                    });
                }
                tracing::warn!(attempt, "request to {url} failed: {reason}; retrying");
            }
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2).min(retry.max_backoff);
            attempt += 1;
        }
    }
}

/// The body of `response` as it streams in, or `None` as soon as it is
/// known to exceed `limit` bytes (by its `Content-Length` or by what
/// arrived, after decompression): a huge or endless answer never sits in
/// memory, and the rest of it is not read.
async fn capped_body(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<Option<bytes::Bytes>, reqwest::Error> {
    let announced = response.content_length();
    if announced.is_some_and(|length| length > limit) {
        return Ok(None);
    }
    let capacity = announced.map_or(0, |length| usize::try_from(length).unwrap_or(0));
    let mut body = bytes::BytesMut::with_capacity(capacity);
    while let Some(chunk) = response.chunk().await? {
        if u64::try_from(body.len() + chunk.len()).map_or(true, |length| length > limit) {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.freeze()))
}

impl JaegerAnswer {
    /// The answer if its status is 2xx, else the error it stands for.
    fn success(self) -> Result<JaegerAnswer, CheckError> {
        if (200..300).contains(&self.status) {
            return Ok(self);
        }
        let mut message = self.error_message().unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&self.body[..self.body.len().min(200)]).into_owned();
            if text.trim().is_empty() {
                "(empty body)".to_owned()
            } else {
                one_line(&text)
            }
        });
        if matches!(self.status, 401 | 403) {
            message.push_str(
                " (the query API wants credentials, or refused those sent: give them with \
                 --header 'Authorization: Bearer ...', JAEGER_QUERY_HEADERS or user:password@ \
                 in the --jaeger URL)",
            );
        }
        Err(CheckError::Http {
            url: self.url,
            status: self.status,
            message,
        })
    }

    /// The message of a Jaeger error body (v1 envelope or v3 gateway error),
    /// whatever the content type says.
    fn error_message(&self) -> Option<String> {
        #[derive(Deserialize)]
        struct V1Error {
            msg: String,
        }
        #[derive(Deserialize)]
        struct V1Errors {
            errors: Option<Vec<V1Error>>,
        }
        #[derive(Deserialize)]
        struct V3Detail {
            message: String,
        }
        #[derive(Deserialize)]
        struct V3Error {
            error: V3Detail,
        }
        if let Ok(v3) = serde_json::from_slice::<V3Error>(&self.body) {
            return Some(one_line(&v3.error.message));
        }
        let v1 = serde_json::from_slice::<V1Errors>(&self.body).ok()?;
        let messages: Vec<String> = v1.errors?.into_iter().map(|e| e.msg).collect();
        (!messages.is_empty()).then(|| one_line(&messages.join("; ")))
    }

    /// Parses the body with `parse`; a large body on a blocking thread, so
    /// that it is parsed on another core while the caller awaits the next
    /// answer and checks the traces of the last one (the reads in flight
    /// bound how many bodies wait or are parsed at once).
    async fn parse(
        self,
        parse: fn(&[u8]) -> Result<Vec<Trace>, ParseError>,
    ) -> Result<Vec<Trace>, CheckError> {
        if self.body.len() < PARSE_INLINE_BYTES {
            return parse(&self.body).map_err(|e| self.not_jaeger(e));
        }
        let url = self.url.clone();
        tokio::task::spawn_blocking(move || parse(&self.body).map_err(|e| self.not_jaeger(e)))
            .await
            .unwrap_or_else(|stopped| match stopped.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(_) => Err(CheckError::NotJaeger {
                    url,
                    reason: "reading the answer was cancelled (the runtime is shutting down)"
                        .to_owned(),
                }),
            })
    }

    fn not_jaeger(&self, reason: impl std::fmt::Display) -> CheckError {
        CheckError::NotJaeger {
            url: self.url.clone(),
            reason: one_line(&reason.to_string()),
        }
    }
}

//! Sending encoded export requests to an OTLP receiver, as the
//! configuration says: gRPC (tonic, the encoded bytes passed through as
//! they are) or HTTP (protobuf, or JSON re-encoded from the protobuf), with
//! the configured headers, timeout and gzip, retried by the OTLP rules.

use std::{io::Write as _, time::Duration};

use bytes::Bytes;
use flate2::{Compression as Level, write::GzEncoder};
use http::{HeaderMap, HeaderValue, header};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message as _;
use rand::Rng as _;
use tonic::{Code, Status, client::Grpc, codec::CompressionEncoding, metadata::MetadataMap};

use crate::destination::{Compression, Destination, EndpointError, OTLP_TLS_NAMES, Protocol};
use crate::grpc::{EXPORT_PATH, EncodedExportCodec};

/// Retries after the first attempt, and their backoff (the OTLP exporters'
/// recommended policy: 100 ms doubling to 1.6 s, plus up to 100 ms jitter).
const MAX_RETRIES: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_millis(1600);
const MAX_JITTER_MS: u64 = 100;
/// Longest error body quoted in a message.
const MAX_QUOTED_BODY: usize = 200;

/// A receiver's answer to an accepted request.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Accepted {
    /// Spans the receiver said it rejected (OTLP partial success).
    pub(crate) rejected: u64,
    /// Its message about them, if any.
    pub(crate) message: String,
}

/// An attempt that failed.
#[derive(Debug)]
struct ExportFailure {
    /// Whether OTLP says to try again (throttling, unavailability, no connection).
    retryable: bool,
    /// How long the receiver asked to wait (`Retry-After`).
    retry_after: Option<Duration>,
    message: String,
}

impl ExportFailure {
    fn retryable(message: String) -> ExportFailure {
        ExportFailure {
            retryable: true,
            retry_after: None,
            message,
        }
    }
}

/// Where and how export requests go.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    endpoint: String,
    timeout: Duration,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Grpc {
        client: Grpc<tonic::transport::Channel>,
        metadata: MetadataMap,
    },
    Http {
        client: reqwest::Client,
        headers: HeaderMap,
        json: bool,
        gzip: bool,
    },
}

/// An export that failed for good: not retryable, or out of retries. The
/// message is the last attempt's, already one line (a gRPC status, an HTTP
/// answer, a transport error's chain).
#[derive(Debug, thiserror::Error)]
#[error(
    "OTLP export to {endpoint} failed{}: {message}",
    if *attempts > 1 { format!(" (after {attempts} attempts)") } else { String::new() }
)]
pub(crate) struct ExportError {
    endpoint: String,
    attempts: u32,
    message: String,
}

impl Transport {
    /// The transport to `destination`. Call inside a Tokio runtime (the
    /// gRPC channel runs on it); nothing connects until the first request.
    pub(crate) fn new(destination: &Destination) -> Result<Transport, EndpointError> {
        let invalid = |reason: String| EndpointError {
            endpoint: destination.endpoint.clone(),
            reason,
        };
        let Destination {
            endpoint,
            protocol,
            headers,
            timeout,
            compression,
            tls: _,
        } = destination.clone();
        let kind = match protocol {
            Protocol::Grpc => {
                let mut client = Grpc::new(crate::tls::grpc_channel(destination)?);
                if compression == Compression::Gzip {
                    client = client.send_compressed(CompressionEncoding::Gzip);
                }
                Kind::Grpc {
                    client,
                    metadata: MetadataMap::from_headers(headers),
                }
            }
            Protocol::HttpProtobuf | Protocol::HttpJson => {
                let json = protocol == Protocol::HttpJson;
                let mut headers = headers;
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(if json {
                        "application/json"
                    } else {
                        "application/x-protobuf"
                    }),
                );
                let gzip = compression == Compression::Gzip;
                if gzip {
                    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                }
                let mut client = reqwest::Client::builder()
                    .user_agent(concat!("otlp-export/", env!("CARGO_PKG_VERSION")))
                    .timeout(timeout)
                    .no_proxy();
                if let Some(tls) = crate::tls::http_tls_config(destination, &[b"h2", b"http/1.1"])?
                {
                    client = client.tls_backend_preconfigured(tls);
                }
                let client = client.build().map_err(|e| invalid(e.to_string()))?;
                Kind::Http {
                    client,
                    headers,
                    json,
                    gzip,
                }
            }
        };
        Ok(Transport {
            endpoint,
            timeout,
            kind,
        })
    }

    /// Sends one `ExportTraceServiceRequest`, retrying what OTLP says to
    /// retry; the error is a one-line description of the last attempt.
    pub(crate) async fn export(&self, request: Bytes) -> Result<Accepted, ExportError> {
        let mut backoff = FIRST_BACKOFF;
        let mut retries = 0;
        loop {
            let mut failure = match self.attempt(request.clone()).await {
                Ok(accepted) => return Ok(accepted),
                Err(failure) => failure,
            };
            if let Some(hint) =
                secure_http::certificate_hint_named(&failure.message, &OTLP_TLS_NAMES)
            {
                // Retrying cannot make an untrusted certificate trusted.
                failure.retryable = false;
                failure.message = format!("{}; {hint}", failure.message);
            }
            if !failure.retryable || retries == MAX_RETRIES {
                return Err(ExportError {
                    endpoint: self.endpoint.clone(),
                    attempts: retries + 1,
                    message: failure.message,
                });
            }
            let jitter = Duration::from_millis(rand::rng().random_range(0..=MAX_JITTER_MS));
            // A receiver's `Retry-After` is honoured up to the export timeout.
            let wait = failure.retry_after.map(|d| d.min(self.timeout));
            tokio::time::sleep(wait.unwrap_or(backoff + jitter)).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            retries += 1;
        }
    }

    async fn attempt(&self, request: Bytes) -> Result<Accepted, ExportFailure> {
        match &self.kind {
            Kind::Grpc { client, metadata } => {
                let mut client = client.clone();
                client.ready().await.map_err(|e| {
                    ExportFailure::retryable(format!("gRPC channel: {}", chain(&e)))
                })?;
                let mut call = tonic::Request::new(request);
                *call.metadata_mut() = metadata.clone();
                call.set_timeout(self.timeout);
                match client
                    .unary(
                        call,
                        http::uri::PathAndQuery::from_static(EXPORT_PATH),
                        EncodedExportCodec,
                    )
                    .await
                {
                    Ok(response) => Ok(accepted(response.into_inner())),
                    Err(status) => Err(grpc_failure(&status)),
                }
            }
            Kind::Http {
                client,
                headers,
                json,
                gzip,
            } => {
                let mut body = if *json {
                    json_body(&request)?
                } else {
                    request.to_vec()
                };
                if *gzip {
                    body = gzipped(&body)?;
                }
                let response = client
                    .post(&self.endpoint)
                    .headers(headers.clone())
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| ExportFailure::retryable(reqwest_message(&e)))?;
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok()?.trim().parse().ok())
                    .map(Duration::from_secs);
                let body = response.bytes().await.unwrap_or_default();
                if status.is_success() {
                    return Ok(http_accepted(&body, *json));
                }
                Err(ExportFailure {
                    retryable: matches!(status.as_u16(), 429 | 502 | 503 | 504),
                    retry_after,
                    message: format!("HTTP {status}{}", quoted(&body)),
                })
            }
        }
    }
}

/// The partial success of an answer, if it reports one.
fn accepted(response: ExportTraceServiceResponse) -> Accepted {
    response
        .partial_success
        .map(|p| Accepted {
            rejected: u64::try_from(p.rejected_spans).unwrap_or(0),
            message: p.error_message,
        })
        .unwrap_or_default()
}

/// An HTTP success body: a response message, or (as receivers may send)
/// nothing at all.
fn http_accepted(body: &[u8], json: bool) -> Accepted {
    let response = if json {
        serde_json::from_slice(body).ok()
    } else {
        ExportTraceServiceResponse::decode(body).ok()
    };
    response.map(accepted).unwrap_or_default()
}

/// The OTLP/JSON form of an encoded request.
fn json_body(request: &[u8]) -> Result<Vec<u8>, ExportFailure> {
    let invalid = |e: String| ExportFailure {
        retryable: false,
        retry_after: None,
        message: format!("cannot encode the request as JSON: {e}"),
    };
    let decoded = ExportTraceServiceRequest::decode(request).map_err(|e| invalid(e.to_string()))?;
    serde_json::to_vec(&decoded).map_err(|e| invalid(e.to_string()))
}

fn gzipped(body: &[u8]) -> Result<Vec<u8>, ExportFailure> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Level::fast());
    encoder
        .write_all(body)
        .and_then(|()| encoder.finish())
        .map_err(|e| ExportFailure {
            retryable: false,
            retry_after: None,
            message: format!("cannot gzip the request: {e}"),
        })
}

/// The codes OTLP says to retry.
fn grpc_failure(status: &Status) -> ExportFailure {
    ExportFailure {
        retryable: matches!(
            status.code(),
            Code::Cancelled
                | Code::DeadlineExceeded
                | Code::ResourceExhausted
                | Code::Aborted
                | Code::OutOfRange
                | Code::Unavailable
                | Code::DataLoss
        ),
        retry_after: None,
        message: {
            let mut message = format!("gRPC status {:?}: {}", status.code(), status.message());
            if let Some(source) = std::error::Error::source(status) {
                message.push_str(": ");
                message.push_str(&chain(source));
            }
            message
        },
    }
}

/// reqwest's error with its causes (the top level alone says only "error
/// sending request").
fn reqwest_message(e: &reqwest::Error) -> String {
    chain(e)
}

/// An error and its causes on one line (a transport error's top level says
/// only "transport error"; the certificate problem is in a cause).
fn chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// `: <body>` when an error body has readable text, cut to a line's length.
fn quoted(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() || text.contains('\u{FFFD}') {
        return String::new();
    }
    let cut: String = text.chars().take(MAX_QUOTED_BODY).collect();
    format!(": {}", cut.replace('\n', " "))
}

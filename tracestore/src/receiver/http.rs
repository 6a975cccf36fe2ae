//! OTLP/HTTP: `POST /v1/traces` with a protobuf (`application/x-protobuf`)
//! or JSON (`application/json`) body, optionally gzip- or deflate-encoded,
//! answered as the collector's OTLP receiver answers: the export response in
//! the request's encoding, errors as a `google.rpc.Status` in it, 405 and
//! 415 as plain text. A body over the limit (before or after
//! decompression) is a 413; a `Content-Length` over it is answered 413 at
//! once, before any of the body is read. Up to 256 KiB of a refused body
//! is still read and dropped, so that the close after the 413 does not
//! reset a client that is still sending.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, HttpBody as _};
use axum::extract::State;
use axum::response::Response;
use axum::routing::any;
use bytes::Bytes;
use flate2::read::{MultiGzDecoder, ZlibDecoder};
use http::{HeaderMap, Method, StatusCode, header};
use http_body_util::BodyExt;
use prost::Message;

use cli_support::error_chain;

use crate::http_util::{not_found, with_type};
use crate::ingest;
use crate::otlp::{ExportTracePartialSuccess, ExportTraceServiceResponse, json_in, json_out, wire};
use crate::store::Store;

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

/// The request body's encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => PROTOBUF,
            Encoding::Json => JSON,
        }
    }

    /// An error answer in this encoding (gRPC code 3, `INVALID_ARGUMENT`).
    fn error(self, status: StatusCode, message: String) -> Response {
        let body = match self {
            Encoding::Protobuf => {
                // `google.rpc.Status`, the OTLP/HTTP error body.
                let status = tonic_types::Status {
                    code: 3,
                    message,
                    details: Vec::new(),
                };
                status.encode_to_vec()
            }
            Encoding::Json => {
                let mut s = String::from("{\"code\":3,\"message\":");
                json_out::write_string(&message, &mut s);
                s.push('}');
                s.into_bytes()
            }
        };
        with_type(status, self.content_type(), body)
    }
}

#[derive(Debug, Clone)]
struct Receiver {
    store: Arc<Store>,
    max_body: usize,
    discard: bool,
}

/// The OTLP/HTTP router; with `discard`, exports are counted, not stored.
pub(crate) fn router(store: Arc<Store>, max_body: usize, discard: bool) -> Router {
    Router::new()
        .route("/v1/traces", any(export))
        .fallback(not_found)
        .with_state(Receiver {
            store,
            max_body,
            discard,
        })
}

async fn export(
    State(r): State<Receiver>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if method != Method::POST {
        return with_type(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "405 method not allowed, supported: [POST]",
        );
    }
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let enc = match media_type.as_deref() {
        Some(PROTOBUF) => Encoding::Protobuf,
        Some(JSON) => Encoding::Json,
        _ => {
            return with_type(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "text/plain",
                format!("415 unsupported media type, supported: [{JSON}, {PROTOBUF}]"),
            );
        }
    };
    let content_encoding = headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").trim().to_owned())
        .unwrap_or_default();
    let expects_continue = headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let raw = match read_body(body, r.max_body, expects_continue).await {
        Ok(raw) => raw,
        Err(BodyError::TooLarge) => return too_large(enc, r.max_body),
        Err(BodyError::Failed(e)) => {
            return enc.error(StatusCode::BAD_REQUEST, format!("reading the body: {e}"));
        }
    };
    let body = match decompress(&content_encoding, raw, r.max_body) {
        Ok(b) => b,
        Err(Decompress::TooLarge) => return too_large(enc, r.max_body),
        Err(Decompress::Failed(msg)) => return enc.error(StatusCode::BAD_REQUEST, msg),
    };
    if r.discard {
        return discard(enc, &r.store, &body);
    }
    let prepared = match enc {
        Encoding::Protobuf => {
            ingest::prepare_encoded(&r.store, body).map_err(|refused| error_chain(&refused))
        }
        Encoding::Json => json_in::decode_request(&body)
            .map_err(|e| error_chain(&e))
            .and_then(|req| ingest::prepare(&r.store, req).map_err(|e| e.0)),
    };
    let (batch, partial) = match prepared {
        Ok(prepared) => prepared,
        Err(msg) => return enc.error(StatusCode::BAD_REQUEST, msg),
    };
    let partial = ingest::store(&r.store, batch, partial);
    success(enc, partial)
}

/// The discarding mode: counts the spans (walking the protobuf framing, or
/// decoding JSON) and keeps nothing.
fn discard(enc: Encoding, store: &Store, body: &[u8]) -> Response {
    let spans = match enc {
        Encoding::Protobuf => wire::count_spans(body).map_err(|e| error_chain(&e)),
        Encoding::Json => json_in::decode_request(body)
            .map(|req| {
                req.resource_spans
                    .iter()
                    .flat_map(|rs| &rs.scope_spans)
                    .map(|ss| ss.spans.len() as u64)
                    .sum()
            })
            .map_err(|e| error_chain(&e)),
    };
    match spans {
        Ok(n) => {
            store.count_discarded(n);
            success(enc, ExportTracePartialSuccess::default())
        }
        Err(msg) => enc.error(StatusCode::BAD_REQUEST, msg),
    }
}

/// The 200 answer: the export response in the request's encoding.
fn success(enc: Encoding, partial: ExportTracePartialSuccess) -> Response {
    let body = match enc {
        Encoding::Protobuf => {
            let partial_success = (partial != Default::default()).then_some(partial);
            ExportTraceServiceResponse { partial_success }.encode_to_vec()
        }
        Encoding::Json => {
            let mut s = String::new();
            json_out::write_export_response(&partial, &mut s);
            s.into_bytes()
        }
    };
    with_type(StatusCode::OK, enc.content_type(), body)
}

/// How much of an oversized body is read and dropped, so that closing the
/// connection does not reset it under the answer: a socket closed with
/// unread bytes sends a TCP reset, and a client still writing its body then
/// fails on the write instead of reading the 413 (Go's `net/http` reads up
/// to 256 KiB of an unread body after a handler for the same reason).
const DRAIN_LIMIT: usize = 256 * 1024;
/// How long the drain may take: a client that stops sending does not hold
/// the connection longer than this.
const DRAIN_TIME: Duration = Duration::from_secs(1);

enum BodyError {
    TooLarge,
    Failed(axum::Error),
}

/// Reads at most `max` bytes of body; beyond that, drains a little more
/// and gives up. A body whose `Content-Length` already exceeds `max` is
/// refused from the headers alone, without waiting for a body that would
/// be dropped anyway (as Jaeger's collector and Go's `http.MaxBytesReader`
/// do), and drained in the background while the 413 goes out (hyper keeps
/// reading the connection as long as the body is held), unless the client
/// waits for `100 Continue` and so sends no body; a length that does not
/// parse is refused by hyper before this.
async fn read_body(mut body: Body, max: usize, expects_continue: bool) -> Result<Bytes, BodyError> {
    if body.size_hint().lower() > max as u64 {
        if !expects_continue {
            tokio::spawn(drain(body));
        }
        return Err(BodyError::TooLarge);
    }
    let mut buf = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Failed)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if buf.len() + data.len() > max {
            drain(body).await;
            return Err(BodyError::TooLarge);
        }
        buf.extend_from_slice(&data);
    }
    Ok(buf.freeze())
}

/// Reads and drops up to [`DRAIN_LIMIT`] bytes of a refused body, for at
/// most [`DRAIN_TIME`].
async fn drain(mut body: Body) {
    let read = async {
        let mut drained = 0;
        while let Some(Ok(frame)) = body.frame().await {
            drained += frame.data_ref().map_or(0, Bytes::len);
            if drained > DRAIN_LIMIT {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, read).await;
}

fn too_large(enc: Encoding, max: usize) -> Response {
    let mut res = enc.error(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body too large: the limit is {max} bytes"),
    );
    res.headers_mut()
        .insert(header::CONNECTION, http::HeaderValue::from_static("close"));
    res
}

enum Decompress {
    TooLarge,
    Failed(String),
}

fn decompress(encoding: &str, raw: Bytes, max: usize) -> Result<Bytes, Decompress> {
    match encoding {
        "" | "identity" => Ok(raw),
        "gzip" | "x-gzip" => read_limited(MultiGzDecoder::new(&raw[..]), max, "gzip"),
        "deflate" | "zlib" => read_limited(ZlibDecoder::new(&raw[..]), max, "zlib"),
        other => Err(Decompress::Failed(format!(
            "unsupported Content-Encoding: {other}"
        ))),
    }
}

fn read_limited(reader: impl Read, max: usize, what: &str) -> Result<Bytes, Decompress> {
    let mut out = Vec::new();
    reader
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Decompress::Failed(format!("{what}: {e}")))?;
    if out.len() > max {
        return Err(Decompress::TooLarge);
    }
    Ok(out.into())
}

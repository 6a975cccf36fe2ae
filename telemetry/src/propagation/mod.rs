//! Trace context and baggage over HTTP headers, as `OTEL_PROPAGATORS`
//! names them (`tracecontext,baggage` by default; also `b3`, `b3multi`,
//! `jaeger`, `none`), and the W3C level 2 `traceresponse` header.
//!
//! The propagators are the crate's own immutable values, not the SDK's
//! process-global (settable) one, so several services in one process never
//! interfere. B3 is `opentelemetry-zipkin`'s propagator and Jaeger
//! `opentelemetry-jaeger-propagator`'s (bridged in [`jaeger`]): the
//! OpenTelemetry project's own.

mod jaeger;

use std::{fmt, sync::LazyLock};

use http::{HeaderMap, HeaderValue};
use opentelemetry::{
    Context,
    propagation::{TextMapCompositePropagator, TextMapPropagator},
    trace::{SpanContext, SpanId, TraceId},
};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};

use crate::config::ConfigError;

/// The header a W3C Trace Context level 2 server answers with.
pub const TRACERESPONSE: &str = "traceresponse";

use jaeger::JaegerPropagator;

/// The propagators `OTEL_PROPAGATORS` lists, composed in its order: each
/// extracts what it finds (a later one wins) and all of them inject.
pub struct Propagators {
    names: Vec<&'static str>,
    composite: TextMapCompositePropagator,
}

/// `OTEL_PROPAGATORS`' default.
pub(crate) const DEFAULT_PROPAGATORS: &str = "tracecontext,baggage";

impl Propagators {
    /// Parses an `OTEL_PROPAGATORS` value: a comma-separated list of
    /// `tracecontext`, `baggage`, `b3` (single header), `b3multi`, `jaeger`
    /// or `none` (no propagation); an empty value is the default.
    // The B3 and Jaeger propagators are marked deprecated upstream (W3C is
    // the recommendation); they are what B3- and Jaeger-instrumented systems
    // speak, which is why they are offered.
    #[allow(deprecated)]
    pub fn parse(value: &str) -> Result<Propagators, ConfigError> {
        let value = if value.trim().is_empty() {
            DEFAULT_PROPAGATORS
        } else {
            value
        };
        let mut names = Vec::new();
        let mut parts: Vec<Box<dyn TextMapPropagator + Send + Sync>> = Vec::new();
        for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let (name, part): (&'static str, Box<dyn TextMapPropagator + Send + Sync>) = match name
            {
                "tracecontext" => ("tracecontext", Box::new(TraceContextPropagator::new())),
                "baggage" => ("baggage", Box::new(BaggagePropagator::new())),
                "b3" => (
                    "b3",
                    Box::new(opentelemetry_zipkin::Propagator::with_encoding(
                        opentelemetry_zipkin::B3Encoding::SingleHeader,
                    )),
                ),
                "b3multi" => (
                    "b3multi",
                    Box::new(opentelemetry_zipkin::Propagator::with_encoding(
                        opentelemetry_zipkin::B3Encoding::MultipleHeader,
                    )),
                ),
                "jaeger" => ("jaeger", Box::new(JaegerPropagator::new())),
                "none" => continue,
                other => {
                    return Err(ConfigError::Invalid {
                        name: "OTEL_PROPAGATORS".to_owned(),
                        value: other.to_owned(),
                        reason: "expected tracecontext, baggage, b3, b3multi, jaeger or none"
                            .to_owned(),
                    });
                }
            };
            if !names.contains(&name) {
                names.push(name);
                parts.push(part);
            }
        }
        Ok(Propagators {
            names,
            composite: TextMapCompositePropagator::new(parts),
        })
    }

    /// From the `OTEL_PROPAGATORS` environment variable.
    pub fn from_env() -> Result<Propagators, ConfigError> {
        Propagators::parse(&std::env::var("OTEL_PROPAGATORS").unwrap_or_default())
    }

    /// The remote context `headers` carry.
    pub fn extract(&self, headers: &HeaderMap) -> Context {
        self.composite.extract(&HeaderExtractor(headers))
    }

    /// Writes the headers of every listed format for `cx` into `headers`.
    pub fn inject(&self, cx: &Context, headers: &mut HeaderMap) {
        self.composite
            .inject_context(cx, &mut HeaderInjector(headers));
    }
}

impl fmt::Debug for Propagators {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Propagators({})", self.names.join(","))
    }
}

/// The process's propagators, from `OTEL_PROPAGATORS` (checked when the
/// services read their configuration, so an invalid value never gets here;
/// it would mean the default). Stateless, so one value serves every service
/// in the process.
static PROPAGATOR: LazyLock<Propagators> = LazyLock::new(|| {
    Propagators::from_env().unwrap_or_else(|_| {
        Propagators::parse(DEFAULT_PROPAGATORS)
            .unwrap_or_else(|_| unreachable!("the default propagators parse"))
    })
});

/// The remote context (span context and baggage) carried by `headers`, in
/// the formats `OTEL_PROPAGATORS` names. A missing or malformed header
/// yields a context without a span, so the server starts a new root trace.
pub fn extract_context(headers: &HeaderMap) -> Context {
    PROPAGATOR.extract(headers)
}

/// Writes the trace context (and baggage) headers for `cx` into `headers`.
pub fn inject_context(cx: &Context, headers: &mut HeaderMap) {
    PROPAGATOR.inject(cx, headers);
}

/// The `traceresponse` value for a server span: `00-<trace>-<span>-<flags>`.
/// `None` for an invalid span context (tracing disabled).
pub fn traceresponse_value(span: &SpanContext) -> Option<HeaderValue> {
    span.is_valid()
        .then(|| w3c_header_value(span.trace_id(), span.span_id(), span.is_sampled()))
}

/// `00-<trace>-<span>-<01|00>`, the shape of both `traceparent` and
/// `traceresponse`, written in place: this runs for every request.
pub fn w3c_header_value(trace_id: TraceId, span_id: SpanId, sampled: bool) -> HeaderValue {
    // 2 + 1 + 32 + 1 + 16 + 1 + 2 bytes.
    let mut value = [0_u8; 55];
    value[..3].copy_from_slice(b"00-");
    write_hex(&mut value[3..35], &trace_id.to_bytes());
    value[35] = b'-';
    write_hex(&mut value[36..52], &span_id.to_bytes());
    value[52..].copy_from_slice(if sampled { b"-01" } else { b"-00" });
    // Hex digits and dashes only: always a valid header value.
    HeaderValue::from_bytes(&value).unwrap_or(HeaderValue::from_static(""))
}

/// Lowercase hex of `bytes` into `out`, which must be twice as long (ids
/// in W3C headers and wherever else they are written per request).
pub fn write_hex(out: &mut [u8], bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
}

/// A parsed `traceresponse` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceResponse {
    /// The trace the server recorded the request in.
    pub trace_id: TraceId,
    /// The server span.
    pub span_id: SpanId,
    /// Whether the server sampled the trace.
    pub sampled: bool,
}

impl TraceResponse {
    /// Parses `00-<32 hex>-<16 hex>-<2 hex>`; `None` when malformed or when
    /// either id is all zeros.
    pub fn parse(value: &str) -> Option<TraceResponse> {
        let mut parts = value.trim().split('-');
        let (version, trace, span, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || version != "00" {
            return None;
        }
        let is_hex = |s: &str, n: usize| {
            s.len() == n && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        };
        if !is_hex(trace, 32) || !is_hex(span, 16) || !is_hex(flags, 2) {
            return None;
        }
        let trace_id = TraceId::from_hex(trace).ok()?;
        let span_id = SpanId::from_hex(span).ok()?;
        let flags = u8::from_str_radix(flags, 16).ok()?;
        if trace_id == TraceId::INVALID || span_id == SpanId::INVALID {
            return None;
        }
        Some(TraceResponse {
            trace_id,
            span_id,
            sampled: flags & 1 == 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::{
        baggage::BaggageExt,
        trace::{TraceContextExt, TraceFlags, TraceState},
    };

    fn span(sampled: bool) -> SpanContext {
        SpanContext::new(
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            if sampled {
                TraceFlags::SAMPLED
            } else {
                TraceFlags::default()
            },
            true,
            TraceState::default(),
        )
    }

    #[test]
    fn inject_then_extract_round_trips_span_and_baggage() {
        let cx = Context::new()
            .with_remote_span_context(span(true))
            .with_baggage(vec![opentelemetry::KeyValue::new(
                "loadgen.scenario",
                "fraud",
            )]);
        let mut headers = HeaderMap::new();
        inject_context(&cx, &mut headers);
        assert_eq!(
            headers["traceparent"],
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        );
        let back = extract_context(&headers);
        assert_eq!(back.span().span_context().trace_id(), span(true).trace_id());
        assert!(back.span().span_context().is_sampled());
        assert_eq!(
            back.baggage()
                .get("loadgen.scenario")
                .map(|v| v.to_string()),
            Some("fraud".to_string())
        );
    }

    #[test]
    fn malformed_traceparent_gives_no_parent() {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", HeaderValue::from_static("00-zzzz-1234-01"));
        let cx = extract_context(&headers);
        assert!(!cx.span().span_context().is_valid());
    }

    #[test]
    fn traceresponse_is_the_w3c_text() {
        let v = traceresponse_value(&span(true)).unwrap();
        assert_eq!(v, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        let v = traceresponse_value(&span(false)).unwrap();
        assert_eq!(v, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
    }

    #[test]
    fn hex_is_lowercase_and_covers_every_byte() {
        let bytes: Vec<u8> = (0..=255).collect();
        let mut out = vec![0; 512];
        write_hex(&mut out, &bytes);
        let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn traceresponse_round_trips() {
        for sampled in [true, false] {
            let v = traceresponse_value(&span(sampled)).unwrap();
            let parsed = TraceResponse::parse(v.to_str().unwrap()).unwrap();
            assert_eq!(parsed.trace_id, span(sampled).trace_id());
            assert_eq!(parsed.span_id, span(sampled).span_id());
            assert_eq!(parsed.sampled, sampled);
        }
        assert!(traceresponse_value(&SpanContext::empty_context()).is_none());
    }

    #[test]
    fn malformed_traceresponse_is_rejected() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
        ] {
            assert_eq!(TraceResponse::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn otel_propagators_compose_the_named_formats() {
        let cx = Context::new().with_remote_span_context(span(true));
        let names = |value: &str| {
            let mut headers = HeaderMap::new();
            Propagators::parse(value).unwrap().inject(&cx, &mut headers);
            let mut names: Vec<String> = headers.keys().map(|k| k.to_string()).collect();
            names.sort();
            names
        };
        assert_eq!(names(""), ["traceparent", "tracestate"]);
        assert_eq!(names("jaeger"), ["uber-trace-id"]);
        assert_eq!(
            names("b3multi"),
            ["x-b3-sampled", "x-b3-spanid", "x-b3-traceid"]
        );
        assert_eq!(
            names("jaeger,tracecontext"),
            ["traceparent", "tracestate", "uber-trace-id"]
        );
        assert!(names("none").is_empty());
        assert_eq!(
            format!(
                "{:?}",
                Propagators::parse(" b3multi , baggage,b3multi").unwrap()
            ),
            "Propagators(b3multi,baggage)"
        );
        let err = Propagators::parse("tracecontext,xray")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("OTEL_PROPAGATORS") && err.contains("\"xray\""),
            "{err}"
        );
    }

    #[test]
    fn the_jaeger_bridge_round_trips_both_sampled_ways_and_ignores_garbage() {
        let jaeger = Propagators::parse("jaeger").unwrap();
        for sampled in [true, false] {
            let mut headers = HeaderMap::new();
            jaeger.inject(
                &Context::new().with_remote_span_context(span(sampled)),
                &mut headers,
            );
            let flag = if sampled { 1 } else { 0 };
            assert_eq!(
                headers["uber-trace-id"],
                format!("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:{flag}")
            );
            let back = jaeger.extract(&headers);
            let sc = back.span().span_context().clone();
            assert_eq!(
                (sc.trace_id(), sc.span_id(), sc.is_sampled(), sc.is_remote()),
                (
                    span(sampled).trace_id(),
                    span(sampled).span_id(),
                    sampled,
                    true
                )
            );
        }
        let mut garbage = HeaderMap::new();
        garbage.insert("uber-trace-id", HeaderValue::from_static("not:a:trace"));
        assert!(!jaeger.extract(&garbage).span().span_context().is_valid());
    }
}

//! W3C Trace Context and Baggage over HTTP headers, and the level 2
//! `traceresponse` header.
//!
//! The propagators are the crate's own immutable values, not the SDK's
//! process-global (settable) one, so several services in one process never
//! interfere.

use std::sync::LazyLock;

use http::{HeaderMap, HeaderValue};
use opentelemetry::{
    Context,
    propagation::{TextMapCompositePropagator, TextMapPropagator},
    trace::{SpanContext, SpanId, TraceId},
};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};

/// The header a W3C Trace Context level 2 server answers with.
pub const TRACERESPONSE: &str = "traceresponse";

/// W3C Trace Context then Baggage. Stateless, so one value serves every
/// service in the process (it is not the SDK's mutable global propagator).
static PROPAGATOR: LazyLock<TextMapCompositePropagator> = LazyLock::new(|| {
    TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ])
});

/// The remote context (span context and baggage) carried by `headers`.
/// A missing or malformed `traceparent` yields a context without a span, so
/// the server starts a new root trace, as W3C Trace Context requires.
pub fn extract_context(headers: &HeaderMap) -> Context {
    PROPAGATOR.extract(&HeaderExtractor(headers))
}

/// Writes `traceparent`, `tracestate` and `baggage` for `cx` into `headers`.
pub fn inject_context(cx: &Context, headers: &mut HeaderMap) {
    PROPAGATOR.inject_context(cx, &mut HeaderInjector(headers));
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
}

//! The trace context header format the loadgen sends: W3C `traceparent`
//! (the default), B3 single (`b3`), B3 multi (`x-b3-*`) or Jaeger
//! (`uber-trace-id`), each carrying the run's sampling decision in its
//! sampled flag. Written by hand into a stack buffer, as `traceparent`
//! always was, since it runs for every request; golden tests hold each
//! value to the OpenTelemetry project's own injector for the format.

use std::{fmt, str::FromStr};

use http::{HeaderName, HeaderValue};

use crate::plan::TraceIds;

/// A trace context format (`--propagator`, or `OTEL_PROPAGATORS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Propagator {
    /// W3C Trace Context: `traceparent: 00-<trace>-<span>-<01|00>`.
    #[default]
    TraceContext,
    /// B3 single header: `b3: <trace>-<span>-<1|0>`.
    B3,
    /// B3 multiple headers: `x-b3-traceid`, `x-b3-spanid`, `x-b3-sampled`.
    B3Multi,
    /// Jaeger: `uber-trace-id: <trace>:<span>:0:<1|0>`.
    Jaeger,
}

/// The headers of one request's trace context (one to three).
pub(crate) type TraceHeaders = [Option<(HeaderName, HeaderValue)>; 3];

impl Propagator {
    /// The name as `OTEL_PROPAGATORS` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Propagator::TraceContext => "tracecontext",
            Propagator::B3 => "b3",
            Propagator::B3Multi => "b3multi",
            Propagator::Jaeger => "jaeger",
        }
    }

    /// The format from an `OTEL_PROPAGATORS` value (`tracecontext,baggage`):
    /// the first trace context format listed. `baggage` is always sent as
    /// W3C Baggage; `none` or no trace format is an error.
    pub fn from_otel_propagators(value: &str) -> Result<Propagator, PropagatorsError> {
        let mut first = None;
        for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "baggage" => {}
                other => {
                    let p: Propagator = other.parse().map_err(PropagatorsError::Unknown)?;
                    first.get_or_insert(p);
                }
            }
        }
        first.ok_or_else(|| PropagatorsError::NoTraceFormat(value.to_owned()))
    }

    /// The headers carrying `ids`.
    pub(crate) fn headers(self, ids: &TraceIds) -> TraceHeaders {
        let (trace, span) = (ids.trace_id.to_bytes(), ids.span_id.to_bytes());
        let flag = if ids.sampled { b'1' } else { b'0' };
        match self {
            Propagator::TraceContext => [
                Some((
                    HeaderName::from_static("traceparent"),
                    telemetry::w3c_header_value(ids.trace_id, ids.span_id, ids.sampled),
                )),
                None,
                None,
            ],
            Propagator::B3 => {
                let mut v = [0u8; 32 + 1 + 16 + 2];
                hex_into(&mut v[..32], &trace);
                v[32] = b'-';
                hex_into(&mut v[33..49], &span);
                v[49] = b'-';
                v[50] = flag;
                [Some((HeaderName::from_static("b3"), value(&v))), None, None]
            }
            Propagator::B3Multi => {
                let (mut t, mut s) = ([0u8; 32], [0u8; 16]);
                hex_into(&mut t, &trace);
                hex_into(&mut s, &span);
                [
                    Some((HeaderName::from_static("x-b3-traceid"), value(&t))),
                    Some((HeaderName::from_static("x-b3-spanid"), value(&s))),
                    Some((
                        HeaderName::from_static("x-b3-sampled"),
                        HeaderValue::from_static(if ids.sampled { "1" } else { "0" }),
                    )),
                ]
            }
            Propagator::Jaeger => {
                // The deprecated parent span id is always `0`; the flags
                // are `1` (sampled) or `0`, in hex.
                let mut v = [0u8; 32 + 1 + 16 + 4];
                hex_into(&mut v[..32], &trace);
                v[32] = b':';
                hex_into(&mut v[33..49], &span);
                v[49..52].copy_from_slice(b":0:");
                v[52] = flag;
                [
                    Some((HeaderName::from_static("uber-trace-id"), value(&v))),
                    None,
                    None,
                ]
            }
        }
    }
}

fn hex_into(out: &mut [u8], bytes: &[u8]) {
    telemetry::write_hex(out, bytes);
}

/// Hex digits and separators only: always a valid header value.
fn value(bytes: &[u8]) -> HeaderValue {
    HeaderValue::from_bytes(bytes).unwrap_or(HeaderValue::from_static(""))
}

impl fmt::Display for Propagator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Propagator {
    type Err = UnknownPropagator;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "tracecontext" => Ok(Propagator::TraceContext),
            "b3" => Ok(Propagator::B3),
            "b3multi" => Ok(Propagator::B3Multi),
            "jaeger" => Ok(Propagator::Jaeger),
            other => Err(UnknownPropagator(other.to_owned())),
        }
    }
}

/// A name that is none of the trace context formats the loadgen sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown propagator {0:?} (expected tracecontext, b3, b3multi or jaeger)")]
pub struct UnknownPropagator(String);

/// An `OTEL_PROPAGATORS` value the loadgen cannot send by.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PropagatorsError {
    /// It lists a format the loadgen does not know.
    #[error("OTEL_PROPAGATORS")]
    Unknown(#[source] UnknownPropagator),
    /// It lists no trace context format (only `baggage`, or `none`).
    #[error(
        "OTEL_PROPAGATORS={0:?} names no trace context format (tracecontext, b3, b3multi, jaeger)"
    )]
    NoTraceFormat(String),
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;
    use opentelemetry::{
        Context,
        trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState},
    };

    use super::*;

    const ALL: [Propagator; 4] = [
        Propagator::TraceContext,
        Propagator::B3,
        Propagator::B3Multi,
        Propagator::Jaeger,
    ];

    fn ids(sampled: bool) -> TraceIds {
        TraceIds {
            trace_id: TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            span_id: SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            sampled,
        }
    }

    fn written(p: Propagator, ids: &TraceIds) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in p.headers(ids).into_iter().flatten() {
            headers.insert(name, value);
        }
        headers
    }

    /// What the OpenTelemetry project's propagator for the format (through
    /// telemetry, as the services use it) writes for the same ids.
    fn maintained(p: Propagator, ids: &TraceIds) -> HeaderMap {
        let sc = SpanContext::new(
            ids.trace_id,
            ids.span_id,
            if ids.sampled {
                TraceFlags::SAMPLED
            } else {
                TraceFlags::default()
            },
            true,
            TraceState::default(),
        );
        let mut headers = HeaderMap::new();
        telemetry::Propagators::parse(p.name())
            .unwrap()
            .inject(&Context::new().with_remote_span_context(sc), &mut headers);
        // The W3C injector writes an empty `tracestate`, which means none.
        if headers.get("tracestate").is_some_and(|v| v.is_empty()) {
            headers.remove("tracestate");
        }
        if p == Propagator::B3 {
            // opentelemetry-zipkin 0.33 writes the multi headers too for the
            // single-header encoding (its `support` check of `UnSpecified`
            // is always true); `b3` is the format's own header.
            let single = headers.remove("b3");
            headers.clear();
            headers.extend(single.map(|v| (HeaderName::from_static("b3"), v)));
        }
        headers
    }

    #[test]
    fn headers_are_byte_for_byte_the_maintained_injectors() {
        for p in ALL {
            for sampled in [true, false] {
                let ids = ids(sampled);
                assert_eq!(
                    written(p, &ids),
                    maintained(p, &ids),
                    "{p} sampled={sampled}"
                );
            }
        }
    }

    #[test]
    fn golden_values_both_sampled_ways() {
        let (t, s) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
        for (sampled, flag) in [(true, "1"), (false, "0")] {
            let h = |p| written(p, &ids(sampled));
            assert_eq!(
                h(Propagator::TraceContext)["traceparent"],
                format!("00-{t}-{s}-0{flag}")
            );
            assert_eq!(h(Propagator::B3)["b3"], format!("{t}-{s}-{flag}"));
            let multi = h(Propagator::B3Multi);
            assert_eq!(
                (
                    &multi["x-b3-traceid"],
                    &multi["x-b3-spanid"],
                    &multi["x-b3-sampled"]
                ),
                (
                    &HeaderValue::from_static(t),
                    &HeaderValue::from_static(s),
                    &HeaderValue::from_str(flag).unwrap()
                )
            );
            assert_eq!(multi.len(), 3);
            assert_eq!(
                h(Propagator::Jaeger)["uber-trace-id"],
                format!("{t}:{s}:0:{flag}")
            );
        }
    }

    #[test]
    fn the_services_extractor_reads_back_the_ids_and_flag_and_only_its_own_format() {
        for p in ALL {
            for sampled in [true, false] {
                let ids = ids(sampled);
                let headers = written(p, &ids);
                let cx = telemetry::Propagators::parse(p.name())
                    .unwrap()
                    .extract(&headers);
                let span = cx.span();
                let sc = span.span_context();
                assert!(sc.is_valid() && sc.is_remote(), "{p}");
                assert_eq!(
                    (sc.trace_id(), sc.span_id(), sc.is_sampled()),
                    (ids.trace_id, ids.span_id, sampled),
                    "{p}"
                );
                // A service listening for another format sees no parent.
                for other in ALL.into_iter().filter(|&o| {
                    o != p && !(o.name().starts_with("b3") && p.name().starts_with("b3"))
                }) {
                    let cx = telemetry::Propagators::parse(other.name())
                        .unwrap()
                        .extract(&headers);
                    assert!(!cx.span().span_context().is_valid(), "{other} reads {p}");
                }
            }
        }
    }

    #[test]
    fn otel_propagators_picks_the_first_trace_format() {
        let first = |v: &str| Propagator::from_otel_propagators(v);
        assert_eq!(first("tracecontext,baggage"), Ok(Propagator::TraceContext));
        assert_eq!(first("baggage, b3multi ,jaeger"), Ok(Propagator::B3Multi));
        assert_eq!(first("jaeger"), Ok(Propagator::Jaeger));
        assert!(
            first("baggage")
                .unwrap_err()
                .to_string()
                .contains("no trace context format")
        );
        assert_eq!(
            cli_support::error_chain(&first("xray").unwrap_err()),
            "OTEL_PROPAGATORS: unknown propagator \"xray\" \
             (expected tracecontext, b3, b3multi or jaeger)"
        );
        for p in ALL {
            assert_eq!(p.name().parse::<Propagator>(), Ok(p));
        }
    }
}

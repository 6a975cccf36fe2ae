//! The SERVER span of every request: W3C context extraction, the stable HTTP
//! semantic-convention attributes, the allowlisted baggage, the status rule
//! (ERROR only for 5xx) and the W3C Trace Context level 2 `traceresponse`
//! header on every answer.
//!
//! Handlers find the request's [`Context`] (holding the SERVER span) in the
//! request extensions: `Extension(cx): Extension<Context>`.
//!
//! The attributes are computed only for a span that records: an unsampled
//! request pays for the span's ids and nothing else.

use std::{
    io::Write as _,
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use axum::{
    Router,
    extract::{ConnectInfo, MatchedPath, Request, State},
    middleware::{self, Next},
    response::Response,
};
use http::{HeaderMap, Method, StatusCode, Version, header, uri::Authority};
use opentelemetry::{
    Context, KeyValue,
    baggage::BaggageExt,
    trace::{Span, SpanKind, Status, TraceContextExt, Tracer},
};
use opentelemetry_sdk::trace::SdkTracer;

use crate::{
    interner::Interner,
    semconv::{
        CLIENT_ADDRESS, CLIENT_PORT, ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_REQUEST_METHOD_ORIGINAL,
        HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, LOADGEN_SCENARIO, NETWORK_PROTOCOL_VERSION,
        SERVER_ADDRESS, SERVER_PORT, URL_PATH, URL_SCHEME, USER_AGENT_ORIGINAL,
    },
};

/// Baggage keys copied onto the SERVER span as attributes; every other key is
/// ignored, since baggage can carry personal data.
pub const BAGGAGE_ALLOWLIST: &[&str] = &[LOADGEN_SCENARIO];

/// The method name the conventions use for a method outside the known set.
const OTHER_METHOD: &str = "_OTHER";

/// Wraps every route and the fallbacks of `router` in a SERVER span made by
/// `tracer`.
pub(crate) fn instrument(router: Router, tracer: SdkTracer) -> Router {
    let spans = Arc::new(ServerSpans {
        tracer,
        values: Interner::default(),
    });
    router.layer(middleware::from_fn_with_state(spans, trace_request))
}

/// A service's SERVER spans: its tracer and the attribute values its
/// requests repeat.
#[derive(Debug)]
struct ServerSpans {
    tracer: SdkTracer,
    values: Interner,
}

async fn trace_request(
    State(spans): State<Arc<ServerSpans>>,
    mut req: Request,
    next: Next,
) -> Response {
    let parent = telemetry::extract_context(req.headers());
    let span = spans.start(&req, &parent);
    let cx = parent.with_span(span);
    req.extensions_mut().insert(cx.clone());
    let mut response = next.run(req).await;
    finish(&cx, &mut response);
    response
}

impl ServerSpans {
    /// Starts the SERVER span of `req`, child of the remote `parent`, with
    /// the attributes known before the handler runs when it records.
    fn start(&self, req: &Request, parent: &Context) -> opentelemetry_sdk::trace::Span {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str);
        let method = static_method_name(req.method());
        let builder = self
            .tracer
            .span_builder(span_name(method, route))
            .with_kind(SpanKind::Server);
        let mut span = self.tracer.build_with_context(builder, parent);
        if span.is_recording() {
            self.record_request(&mut span, req, method, route, parent);
        }
        span
    }

    /// The request's attributes, in the conventions' order.
    fn record_request(
        &self,
        span: &mut impl Span,
        req: &Request,
        method: &'static str,
        route: Option<&str>,
        parent: &Context,
    ) {
        span.set_attribute(KeyValue::new(HTTP_REQUEST_METHOD, method));
        if method == OTHER_METHOD {
            span.set_attribute(KeyValue::new(
                HTTP_REQUEST_METHOD_ORIGINAL,
                req.method().as_str().to_owned(),
            ));
        }
        span.set_attribute(KeyValue::new(URL_PATH, self.values.value(req.uri().path())));
        span.set_attribute(KeyValue::new(URL_SCHEME, "http"));
        span.set_attribute(KeyValue::new(
            NETWORK_PROTOCOL_VERSION,
            protocol_version(req.version()),
        ));
        if let Some(route) = route {
            span.set_attribute(KeyValue::new(HTTP_ROUTE, self.values.value(route)));
        }
        if let Some(authority) = host_authority(req.headers()) {
            span.set_attribute(KeyValue::new(
                SERVER_ADDRESS,
                self.values.value(authority.host()),
            ));
            if let Some(port) = authority.port_u16() {
                span.set_attribute(KeyValue::new(SERVER_PORT, i64::from(port)));
            }
        }
        if let Some(agent) = header_str(req.headers(), header::USER_AGENT) {
            span.set_attribute(KeyValue::new(USER_AGENT_ORIGINAL, self.values.value(agent)));
        }
        if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
            let mut text = [0_u8; MAX_IP_TEXT];
            span.set_attribute(KeyValue::new(
                CLIENT_ADDRESS,
                self.values.value(ip_text(peer.ip(), &mut text)),
            ));
            span.set_attribute(KeyValue::new(CLIENT_PORT, i64::from(peer.port())));
        }
        let baggage = parent.baggage();
        for key in BAGGAGE_ALLOWLIST {
            if let Some(value) = baggage.get(*key) {
                span.set_attribute(KeyValue::new(*key, self.values.value(value.as_str())));
            }
        }
    }
}

/// The SERVER span's name: `{method} {route}`, or the method alone when no
/// route matched (`HTTP` for an unknown method).
fn span_name(method: &'static str, route: Option<&str>) -> std::borrow::Cow<'static, str> {
    match route {
        Some(route) => {
            let mut name = String::with_capacity(method.len() + 1 + route.len());
            name.push_str(method);
            name.push(' ');
            name.push_str(route);
            name.into()
        }
        None if method == OTHER_METHOD => "HTTP".into(),
        None => method.into(),
    }
}

/// Records the answer on the SERVER span (status code; ERROR for a 5xx),
/// adds `traceresponse` to the answer and ends the span.
fn finish(cx: &Context, response: &mut Response) {
    let span = cx.span();
    let status = response.status();
    if span.is_recording() {
        span.set_attribute(KeyValue::new(
            HTTP_RESPONSE_STATUS_CODE,
            i64::from(status.as_u16()),
        ));
        if status.is_server_error() {
            span.set_attribute(KeyValue::new(ERROR_TYPE, status.as_str().to_owned()));
            span.set_status(Status::error(status_text(status)));
        }
    }
    if let Some(value) = telemetry::traceresponse_value(span.span_context()) {
        response
            .headers_mut()
            .insert(telemetry::TRACERESPONSE, value);
    }
    span.end();
}

/// The known methods' names; `_OTHER` for any other.
fn static_method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::CONNECT => "CONNECT",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::PATCH => "PATCH",
        _ => OTHER_METHOD,
    }
}

fn protocol_version(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    }
}

/// The `Host` header, when it parses (`server.address`, `server.port`).
fn host_authority(headers: &HeaderMap) -> Option<Authority> {
    header_str(headers, header::HOST).and_then(|h| h.parse::<Authority>().ok())
}

/// The longest text of an IP address (an IPv4-mapped IPv6 one).
const MAX_IP_TEXT: usize = 45;

/// `ip` as text, written into `buf` (no allocation).
fn ip_text(ip: IpAddr, buf: &mut [u8; MAX_IP_TEXT]) -> &str {
    let mut rest = &mut buf[..];
    // An IP address always fits; on the impossible failure the text is empty.
    let written = match write!(rest, "{ip}") {
        Ok(()) => MAX_IP_TEXT - rest.len(),
        Err(_) => 0,
    };
    std::str::from_utf8(&buf[..written]).unwrap_or_default()
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `"502 Bad Gateway"`, the status description of an ERROR HTTP span.
pub(crate) fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_str()),
        None => status.as_str().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_become_other() {
        assert_eq!(
            static_method_name(&Method::from_bytes(b"PURGE").unwrap()),
            OTHER_METHOD
        );
        assert_eq!(static_method_name(&Method::PATCH), "PATCH");
        assert_eq!(span_name(OTHER_METHOD, None), "HTTP");
        assert_eq!(span_name("GET", None), "GET");
        assert_eq!(span_name("POST", Some("/orders")), "POST /orders");
    }

    #[test]
    fn host_header_gives_address_and_port() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8000".parse().unwrap());
        let authority = host_authority(&h).unwrap();
        assert_eq!(
            (authority.host(), authority.port_u16()),
            ("127.0.0.1", Some(8000))
        );
        h.insert(header::HOST, "bad host".parse().unwrap());
        assert!(host_authority(&h).is_none());
    }

    #[test]
    fn ip_addresses_are_written_without_allocating() {
        let mut buf = [0; MAX_IP_TEXT];
        for ip in [
            "127.0.0.1",
            "::1",
            "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
        ] {
            let parsed: IpAddr = ip.parse().unwrap();
            assert_eq!(ip_text(parsed, &mut buf), parsed.to_string());
        }
    }
}

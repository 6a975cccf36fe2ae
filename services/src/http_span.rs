//! The SERVER span of every request: W3C context extraction, the stable HTTP
//! semantic-convention attributes, the allowlisted baggage, the status rule
//! (ERROR only for 5xx) and the W3C Trace Context level 2 `traceresponse`
//! header on every answer.
//!
//! Handlers find the request's [`Context`] (holding the SERVER span) in the
//! request extensions: `Extension(cx): Extension<Context>`.

use std::net::SocketAddr;

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
    trace::{SpanKind, Status, TraceContextExt, Tracer},
};
use opentelemetry_sdk::trace::SdkTracer;

use crate::semconv::{
    CLIENT_ADDRESS, CLIENT_PORT, ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_REQUEST_METHOD_ORIGINAL,
    HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, LOADGEN_SCENARIO, NETWORK_PROTOCOL_VERSION,
    SERVER_ADDRESS, SERVER_PORT, URL_PATH, URL_SCHEME, USER_AGENT_ORIGINAL,
};

/// Baggage keys copied onto the SERVER span as attributes; every other key is
/// ignored, since baggage can carry personal data.
pub const BAGGAGE_ALLOWLIST: &[&str] = &[LOADGEN_SCENARIO];

/// Wraps every route and the fallbacks of `router` in a SERVER span made by
/// `tracer`.
pub fn instrument(router: Router, tracer: SdkTracer) -> Router {
    router.layer(middleware::from_fn_with_state(tracer, trace_request))
}

async fn trace_request(State(tracer): State<SdkTracer>, mut req: Request, next: Next) -> Response {
    let parent = telemetry::extract_context(req.headers());
    let (name, attributes) = span_start(&req, &parent);
    let span = tracer.build_with_context(
        tracer
            .span_builder(name)
            .with_kind(SpanKind::Server)
            .with_attributes(attributes),
        &parent,
    );
    let cx = parent.with_span(span);
    req.extensions_mut().insert(cx.clone());
    let mut response = next.run(req).await;
    finish(&cx, &mut response);
    response
}

/// The SERVER span's name (`{method} {route}`, or the method alone when no
/// route matched) and its attributes known before the handler runs.
fn span_start(req: &Request, parent: &Context) -> (String, Vec<KeyValue>) {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let (method, mut attributes) = method_attributes(req.method());
    let name = match route {
        Some(route) => format!("{method} {route}"),
        None if method == "_OTHER" => "HTTP".to_owned(),
        None => method.to_owned(),
    };
    attributes.extend([
        KeyValue::new(URL_PATH, req.uri().path().to_owned()),
        KeyValue::new(URL_SCHEME, "http"),
        KeyValue::new(NETWORK_PROTOCOL_VERSION, protocol_version(req.version())),
    ]);
    if let Some(route) = route {
        attributes.push(KeyValue::new(HTTP_ROUTE, route.to_owned()));
    }
    attributes.extend(host_attributes(req.headers()));
    if let Some(agent) = header_str(req.headers(), header::USER_AGENT) {
        attributes.push(KeyValue::new(USER_AGENT_ORIGINAL, agent.to_owned()));
    }
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
        attributes.push(KeyValue::new(CLIENT_ADDRESS, peer.ip().to_string()));
        attributes.push(KeyValue::new(CLIENT_PORT, i64::from(peer.port())));
    }
    attributes.extend(allowlisted_baggage(parent));
    (name, attributes)
}

/// Records the answer on the SERVER span (status code; ERROR for a 5xx),
/// adds `traceresponse` to the answer and ends the span.
fn finish(cx: &Context, response: &mut Response) {
    let span = cx.span();
    let status = response.status();
    span.set_attribute(KeyValue::new(
        HTTP_RESPONSE_STATUS_CODE,
        i64::from(status.as_u16()),
    ));
    if status.is_server_error() {
        span.set_attribute(KeyValue::new(ERROR_TYPE, status.as_str().to_owned()));
        span.set_status(Status::error(status_text(status)));
    }
    if let Some(value) = telemetry::traceresponse_value(span.span_context()) {
        response
            .headers_mut()
            .insert(telemetry::propagation::TRACERESPONSE, value);
    }
    span.end();
}

/// The method as the conventions want it (`_OTHER` plus the original for a
/// method outside the known set) and its attributes.
fn method_attributes(method: &Method) -> (&'static str, Vec<KeyValue>) {
    match static_method_name(method) {
        "_OTHER" => (
            "_OTHER",
            vec![
                KeyValue::new(HTTP_REQUEST_METHOD, "_OTHER"),
                KeyValue::new(HTTP_REQUEST_METHOD_ORIGINAL, method.as_str().to_owned()),
            ],
        ),
        name => (name, vec![KeyValue::new(HTTP_REQUEST_METHOD, name)]),
    }
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
        _ => "_OTHER",
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

/// `server.address` / `server.port` from the `Host` header, when it parses.
fn host_attributes(headers: &HeaderMap) -> Vec<KeyValue> {
    let Some(authority) =
        header_str(headers, header::HOST).and_then(|h| h.parse::<Authority>().ok())
    else {
        return Vec::new();
    };
    let mut attributes = vec![KeyValue::new(SERVER_ADDRESS, authority.host().to_owned())];
    if let Some(port) = authority.port_u16() {
        attributes.push(KeyValue::new(SERVER_PORT, i64::from(port)));
    }
    attributes
}

fn allowlisted_baggage(cx: &Context) -> Vec<KeyValue> {
    let baggage = cx.baggage();
    BAGGAGE_ALLOWLIST
        .iter()
        .filter_map(|key| {
            baggage
                .get(*key)
                .map(|value| KeyValue::new(*key, value.as_str().to_owned()))
        })
        .collect()
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
        let (name, attrs) = method_attributes(&Method::from_bytes(b"PURGE").unwrap());
        assert_eq!(name, "_OTHER");
        assert!(attrs.contains(&KeyValue::new(HTTP_REQUEST_METHOD_ORIGINAL, "PURGE")));
        let (name, _) = method_attributes(&Method::PATCH);
        assert_eq!(name, "PATCH");
    }

    #[test]
    fn host_header_gives_address_and_port() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8000".parse().unwrap());
        assert_eq!(
            host_attributes(&h),
            vec![
                KeyValue::new(SERVER_ADDRESS, "127.0.0.1"),
                KeyValue::new(SERVER_PORT, 8000_i64)
            ]
        );
        h.insert(header::HOST, "bad host".parse().unwrap());
        assert!(host_attributes(&h).is_empty());
    }
}

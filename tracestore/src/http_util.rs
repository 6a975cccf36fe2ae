//! Responses shaped like Go's `net/http` ones, which Jaeger's clients see.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};

/// Go's `http.Error`: the message plus a newline, as
/// `text/plain; charset=utf-8` with `X-Content-Type-Options: nosniff`.
pub(crate) fn go_error(status: StatusCode, message: &str) -> Response {
    let mut res = Response::new(Body::from(format!("{message}\n")));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

/// `http.ServeMux`'s answer for an unknown path.
pub(crate) async fn not_found() -> Response {
    go_error(StatusCode::NOT_FOUND, "404 page not found")
}

/// `http.ServeMux`'s answer for a known path and another method.
pub(crate) async fn method_not_allowed() -> Response {
    let mut res = go_error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    res
}

/// A body with a content type.
pub(crate) fn with_type(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Body>,
) -> Response {
    let mut res = Response::new(body.into());
    *res.status_mut() = status;
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

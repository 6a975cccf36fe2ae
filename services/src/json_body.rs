//! Reading a JSON request body the way both services need it: a JSON
//! `Content-Type` (else 415), at most a configured number of bytes (else
//! 413), and a document that decodes into the wanted type (else 400).

use axum::body::Body;
use http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The default request body limit: 64 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// Checks the content type, reads at most `limit` bytes of `body` and decodes
/// them as `T`, a struct: the body must be a JSON object.
pub(crate) async fn read_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<T, ApiError> {
    check_content_type(headers)?;
    if declared_length(headers).is_some_and(|len| len > limit as u64) {
        return Err(ApiError::payload_too_large(limit));
    }
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(ApiError::payload_too_large(limit));
        }
        Err(e) => {
            return Err(ApiError::malformed_json(format!(
                "could not read the request body: {e}"
            )));
        }
    };
    // serde would also read a struct from a JSON array of its fields in order.
    if bytes.trim_ascii_start().first() == Some(&b'[') {
        return Err(ApiError::malformed_json("the JSON body must be an object"));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::malformed_json(format!("invalid JSON body: {e}")))
}

/// Accepts `application/json` and `application/<anything>+json`, with any
/// parameters (`; charset=utf-8`).
fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(ApiError::unsupported_media_type(
            "missing Content-Type; expected application/json",
        ));
    };
    let essence = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let is_json = essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"));
    if is_json {
        Ok(())
    } else {
        Err(ApiError::unsupported_media_type(format!(
            "Content-Type {:?} is not supported; expected application/json",
            String::from_utf8_lossy(value.as_bytes())
        )))
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, StatusCode};
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Doc {
        n: i64,
    }

    fn headers(content_type: Option<&'static str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(ct) = content_type {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        h
    }

    async fn read(
        ct: Option<&'static str>,
        body: &'static str,
        limit: usize,
    ) -> Result<Doc, ApiError> {
        read_json(&headers(ct), Body::from(body), limit).await
    }

    #[tokio::test]
    async fn json_content_types_are_accepted() {
        for ct in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/vnd.orders+json",
        ] {
            assert_eq!(
                read(Some(ct), r#"{"n":1}"#, 100).await,
                Ok(Doc { n: 1 }),
                "{ct}"
            );
        }
    }

    #[tokio::test]
    async fn other_content_types_are_415() {
        for ct in [
            None,
            Some("text/plain"),
            Some("application/jsonx"),
            Some(""),
        ] {
            let err = read(ct, r#"{"n":1}"#, 100).await.unwrap_err();
            assert_eq!(err.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct:?}");
            assert_eq!(err.body.error.code, "unsupported_media_type");
        }
    }

    #[tokio::test]
    async fn bodies_over_the_limit_are_413_whether_declared_or_streamed() {
        let err = read(Some("application/json"), r#"{"n":12345}"#, 5)
            .await
            .unwrap_err();
        assert_eq!(err.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(err.body.error.code, "payload_too_large");

        let mut h = headers(Some("application/json"));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("1000"));
        let err = read_json::<Doc>(&h, Body::from("{}"), 10)
            .await
            .unwrap_err();
        assert_eq!(err.status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn syntax_and_type_errors_are_400() {
        for body in ["{", "", "[1]", r#"{"n":"one"}"#, r#"{"n":1.5}"#] {
            let err = read(Some("application/json"), body, 100).await.unwrap_err();
            assert_eq!(err.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(err.body.error.code, "malformed_json");
        }
    }
}

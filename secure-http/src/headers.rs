//! Request headers given on the command line (`--header 'Name: value'`) or in
//! an environment variable in `OTEL_EXPORTER_OTLP_HEADERS`'s format
//! (`name=value,name2=value2`, values percent-decoded), and basic auth from a
//! URL's user info. Values are credentials more often than not, so they are
//! marked sensitive and never appear in `Debug` output or in errors.

use std::fmt;

use base64::Engine as _;
use http::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

/// One header; its value is never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    /// The name (lower case).
    pub name: HeaderName,
    /// The value, marked sensitive.
    pub value: HeaderValue,
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: <redacted>", self.name)
    }
}

/// Headers sent with every request; values never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<Header>);

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.0).finish()
    }
}

impl Headers {
    /// Adds `header` (after those already there: a later one of the same
    /// name is sent as well).
    pub fn push(&mut self, header: Header) {
        self.0.push(header);
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether one has this name.
    pub fn contains(&self, name: &HeaderName) -> bool {
        self.0.iter().any(|h| h.name == *name)
    }

    /// As a map for an HTTP client's default headers.
    pub fn to_map(&self) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(self.0.len());
        for header in &self.0 {
            map.append(header.name.clone(), header.value.clone());
        }
        map
    }
}

impl FromIterator<Header> for Headers {
    fn from_iter<I: IntoIterator<Item = Header>>(iter: I) -> Self {
        Headers(iter.into_iter().collect())
    }
}

/// Why a header, a header list or a URL's user info was refused. No
/// variant holds a value: values are secrets more often than not.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HeaderError {
    /// The name is not an HTTP header name.
    #[error("`{0}` is not a header name")]
    Name(String),
    /// The value has bytes a header cannot carry.
    #[error("the value of `{0}` is not a valid header value")]
    Value(HeaderName),
    /// `--header` without the colon (the text is not repeated: it may be a
    /// bare token).
    #[error("expected `Name: value` (the text is not shown, it may be a secret)")]
    NoColon,
    /// An entry of a list without `=`.
    #[error("{variable}: entry {entry} is not name=value")]
    NotNameValue {
        /// Where the list came from (an environment variable's name).
        variable: String,
        /// The entry's position, from 1.
        entry: usize,
    },
    /// A list entry whose percent-decoded value is not UTF-8.
    #[error("{variable}: the value of `{name}` is not UTF-8")]
    NotUtf8 {
        /// Where the list came from.
        variable: String,
        /// The header's name.
        name: String,
    },
    /// A list entry that is not a header; the source says why.
    #[error("{variable}")]
    InList {
        /// Where the list came from.
        variable: String,
        /// The entry's error.
        #[source]
        source: Box<HeaderError>,
    },
    /// A URL's percent-decoded user info is not UTF-8.
    #[error("the user info of the URL is not UTF-8")]
    UserInfoNotUtf8,
}

/// A header and its sensitive value; the error names the header, never the value.
fn header(name: &str, value: &str) -> Result<Header, HeaderError> {
    let name = name.trim();
    let name = HeaderName::try_from(name).map_err(|_| HeaderError::Name(name.to_owned()))?;
    let mut value =
        HeaderValue::try_from(value.trim()).map_err(|_| HeaderError::Value(name.clone()))?;
    value.set_sensitive(true);
    Ok(Header { name, value })
}

/// Parses `--header 'Name: value'` (a clap value parser). The error does not
/// repeat the text, which may be a bare token.
pub fn parse_header(text: &str) -> Result<Header, HeaderError> {
    let (name, value) = text.split_once(':').ok_or(HeaderError::NoColon)?;
    header(name, value)
}

/// Parses a `name=value,name2=value2` list, values percent-decoded, as
/// OpenTelemetry's `OTEL_EXPORTER_OTLP_HEADERS`; `variable` names the source
/// in the error, which never holds a value.
pub fn parse_header_list(variable: &str, text: &str) -> Result<Headers, HeaderError> {
    text.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .enumerate()
        .map(|(index, pair)| {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| HeaderError::NotNameValue {
                    variable: variable.to_owned(),
                    entry: index + 1,
                })?;
            let value = percent_decode(value.trim()).map_err(|()| HeaderError::NotUtf8 {
                variable: variable.to_owned(),
                name: name.trim().to_owned(),
            })?;
            header(name, &value).map_err(|e| HeaderError::InList {
                variable: variable.to_owned(),
                source: Box::new(e),
            })
        })
        .collect()
}

/// `%XX` escapes decoded; anything else kept as it is.
fn percent_decode(text: &str) -> Result<String, ()> {
    let decoded: Vec<u8> =
        url::form_urlencoded::parse(format!("v={}", text.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned().into_bytes())
            .unwrap_or_default();
    String::from_utf8(decoded).map_err(|_| ())
}

/// Splits a URL's user info off: the URL without it (safe to print) and, when
/// it had some, the `Authorization: Basic` header it stands for (sensitive).
pub fn split_user_info(url: &str) -> Result<(String, Option<Header>), HeaderError> {
    let Ok(mut parsed) = Url::parse(url) else {
        return Ok((url.to_owned(), None));
    };
    if parsed.username().is_empty() && parsed.password().is_none() {
        return Ok((url.to_owned(), None));
    }
    let decode = |part: &str| percent_decode(part).map_err(|()| HeaderError::UserInfoNotUtf8);
    let credentials = format!(
        "{}:{}",
        decode(parsed.username())?,
        decode(parsed.password().unwrap_or(""))?
    );
    let value = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    );
    let authorization = header("authorization", &value)?;
    // Both setters only fail for URLs that cannot have user info, which
    // this one just had.
    let _ = parsed.set_password(None);
    let _ = parsed.set_username("");
    Ok((parsed.to_string(), Some(authorization)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_line_parses_and_its_value_is_not_printed() {
        let header = parse_header("Authorization: Bearer s3cret-token").unwrap();
        assert_eq!(header.name, "authorization");
        assert_eq!(header.value, "Bearer s3cret-token");
        assert!(header.value.is_sensitive());
        let shown = format!("{header:?} {:?}", Headers::from_iter([header.clone()]));
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("authorization"), "{shown}");
    }

    #[test]
    fn a_bad_header_line_is_refused_without_repeating_it() {
        let error = parse_header("Bearer s3cret-token").unwrap_err().to_string();
        assert!(!error.contains("s3cret"), "{error}");
        let error = parse_header("bad name: s3cret").unwrap_err().to_string();
        assert!(error.contains("bad name"), "{error}");
        assert!(!error.contains("s3cret"), "{error}");
        let error = parse_header("x-token: s3c\x01ret").unwrap_err().to_string();
        assert!(!error.contains("s3c"), "{error}");
    }

    #[test]
    fn a_header_list_parses_like_otel_exporter_otlp_headers() {
        let headers = parse_header_list(
            "JAEGER_QUERY_HEADERS",
            "authorization=Bearer%20abc%2Bd+e, x-tenant = blue ,",
        )
        .unwrap();
        let map = headers.to_map();
        assert_eq!(map["authorization"], "Bearer abc+d+e");
        assert_eq!(map["x-tenant"], "blue");
        let error = parse_header_list("JAEGER_QUERY_HEADERS", "x-a=1,s3cret").unwrap_err();
        assert_eq!(
            error.to_string(),
            "JAEGER_QUERY_HEADERS: entry 2 is not name=value"
        );
        // A bad entry's own error is the source, out of the list's message.
        let error = parse_header_list("JAEGER_QUERY_HEADERS", "bad name=s3cret").unwrap_err();
        let cause = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(error.to_string(), "JAEGER_QUERY_HEADERS");
        assert_eq!(cause.as_deref(), Some("`bad name` is not a header name"));
    }

    #[test]
    fn user_info_becomes_basic_auth_and_leaves_the_url() {
        let (url, auth) = split_user_info("https://ci:p%40ss@jaeger.example:16686/base").unwrap();
        assert_eq!(url, "https://jaeger.example:16686/base");
        let auth = auth.unwrap();
        assert_eq!(auth.name, "authorization");
        // base64("ci:p@ss")
        assert_eq!(auth.value, "Basic Y2k6cEBzcw==");
        let (url, auth) = split_user_info("http://127.0.0.1:16686").unwrap();
        assert_eq!(url, "http://127.0.0.1:16686");
        assert!(auth.is_none());
    }
}

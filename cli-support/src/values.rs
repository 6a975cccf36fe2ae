//! Value parsers that several binaries share: byte sizes and URLs.

/// The size flags' parser (`--body-limit`, `--max-bytes`,
/// `--max-response-size`, ...), with the `bytesize` crate's units:
/// `KiB`/`MiB`/`GiB` (also `Ki`, `Mi`, `Gi`) are powers of 1024,
/// `KB`/`MB`/`GB` (also `K`, `M`, `G`) powers of 1000, as IEC 80000-13 and
/// Kubernetes' quantities write them, so that each spelling has one meaning;
/// bare numbers are bytes; case and a space before the unit do not matter;
/// `1.5MiB` is allowed. Zero is refused: a limit of zero bytes would refuse
/// everything.
pub fn parse_size<T: TryFrom<u64>>(s: &str) -> Result<T, SizeError> {
    let size: bytesize::ByteSize = s.trim().parse().map_err(|reason| SizeError::NotASize {
        input: s.to_owned(),
        reason,
    })?;
    match size.as_u64() {
        0 => Err(SizeError::Zero(s.to_owned())),
        n => T::try_from(n).map_err(|_| SizeError::TooLarge(s.to_owned())),
    }
}

/// A size flag's value that [`parse_size`] refuses; clap prints it after
/// the flag's name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SizeError {
    /// Not a number with a known unit. `bytesize` says why in a `String`
    /// (it has no error type), so the reason is part of the message.
    #[error("{input:?} is not a size ({reason}; e.g. 1048576, 256MiB or 4MB)")]
    NotASize {
        /// The value given.
        input: String,
        /// `bytesize`'s reason.
        reason: String,
    },
    /// Zero bytes, which would refuse everything.
    #[error("{0:?}: the size must be above zero")]
    Zero(String),
    /// More than the flag's type holds.
    #[error("{0:?} is too large")]
    TooLarge(String),
}

/// The parser of URL flags that name an HTTP endpoint (`--target`,
/// `--jaeger`, `--otlp-endpoint`): an `http://` or `https://` URL with a
/// host and, if given, a port from 1 to 65535. The text is kept as given.
/// Refusing `http://127.0.0.1:99999` here names the flag at parse time,
/// before anything runs.
pub fn parse_http_url(s: &str) -> Result<String, UrlError> {
    let text = s.trim();
    let url = url::Url::parse(text).map_err(|source| UrlError::NotAUrl {
        input: text.to_owned(),
        source,
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlError::Scheme {
            input: text.to_owned(),
            scheme: url.scheme().to_owned(),
        });
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NoHost(text.to_owned()));
    }
    if url.port() == Some(0) {
        return Err(UrlError::PortZero(text.to_owned()));
    }
    Ok(text.to_owned())
}

/// A URL flag's value that [`parse_http_url`] refuses. The URL parser's
/// error is kept as the source: print it with [`crate::error_chain`] (clap
/// errors through [`crate::error_line`], which does).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UrlError {
    /// The text does not parse as a URL.
    #[error("{input:?} is not a URL")]
    NotAUrl {
        /// The value given.
        input: String,
        /// Why the URL parser refused it.
        #[source]
        source: url::ParseError,
    },
    /// A URL, but not `http` or `https`.
    #[error("{input:?}: the scheme must be http or https, not {scheme}")]
    Scheme {
        /// The value given.
        input: String,
        /// Its scheme.
        scheme: String,
    },
    /// No host to connect to.
    #[error("{0:?} has no host")]
    NoHost(String),
    /// Port 0, which names no server.
    #[error("{0:?}: port 0 is not a port to connect to")]
    PortZero(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_both_conventions_and_bare_bytes() {
        assert_eq!(parse_size::<u64>("65536"), Ok(65536));
        assert_eq!(parse_size::<u64>("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size::<u64>("1KiB"), Ok(1024));
        assert_eq!(parse_size::<u64>("4MB"), Ok(4_000_000));
        assert_eq!(parse_size::<u64>("2 gb"), Ok(2_000_000_000));
        assert_eq!(parse_size::<u64>(" 4 kib "), Ok(4096));
        assert_eq!(parse_size::<u64>("1.5MiB"), Ok(3 << 19));
        assert_eq!(parse_size::<usize>("64KiB"), Ok(65536));
        for bad in ["", "0", "0MiB", "-1", "12 parsecs", "MiB", "1e99GiB"] {
            assert!(parse_size::<u64>(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_size::<u8>("1KiB").map_err(|e| e.to_string()),
            Err("\"1KiB\" is too large".to_owned())
        );
    }

    #[test]
    fn urls_need_a_scheme_a_host_and_a_real_port() {
        for ok in [
            "http://127.0.0.1:8000",
            "https://jaeger.example:16686/base/",
            "http://[::1]:4317",
        ] {
            assert_eq!(parse_http_url(ok).as_deref(), Ok(ok));
        }
        for (bad, why) in [
            ("http://127.0.0.1:99999", "invalid port"),
            ("http://127.0.0.1:0", "port 0"),
            ("127.0.0.1:8000", "not a URL"),
            ("ftp://127.0.0.1", "scheme must be http"),
            ("http://", "host"),
            ("not a url", "not a URL"),
        ] {
            let err = crate::error_chain(&parse_http_url(bad).unwrap_err());
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}

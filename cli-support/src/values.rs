//! Value parsers that several binaries share: byte sizes and URLs.

/// The size flags' parser (`--body-limit`, `--max-bytes`,
/// `--max-response-size`, ...), with the `bytesize` crate's units:
/// `KiB`/`MiB`/`GiB` (also `Ki`, `Mi`, `Gi`) are powers of 1024,
/// `KB`/`MB`/`GB` (also `K`, `M`, `G`) powers of 1000, as IEC 80000-13 and
/// Kubernetes' quantities write them, so that each spelling has one meaning;
/// bare numbers are bytes; case and a space before the unit do not matter;
/// `1.5MiB` is allowed. Zero is refused: a limit of zero bytes would refuse
/// everything.
pub fn parse_size<T: TryFrom<u64>>(s: &str) -> Result<T, String> {
    let size: bytesize::ByteSize = s
        .trim()
        .parse()
        .map_err(|e| format!("{s:?} is not a size ({e}; e.g. 1048576, 256MiB or 4MB)"))?;
    match size.as_u64() {
        0 => Err(format!("{s:?}: the size must be above zero")),
        n => T::try_from(n).map_err(|_| format!("{s:?} is too large")),
    }
}

/// The parser of URL flags that name an HTTP endpoint (`--target`,
/// `--jaeger`, `--otlp-endpoint`): an `http://` or `https://` URL with a
/// host and, if given, a port from 1 to 65535. The text is kept as given.
/// Refusing `http://127.0.0.1:99999` here names the flag at parse time,
/// before anything runs.
pub fn parse_http_url(s: &str) -> Result<String, String> {
    let text = s.trim();
    let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{text:?}: the scheme must be http or https, not {}",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{text:?} has no host"));
    }
    if url.port() == Some(0) {
        return Err(format!("{text:?}: port 0 is not a port to connect to"));
    }
    Ok(text.to_owned())
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
            parse_size::<u8>("1KiB"),
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
            let err = parse_http_url(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}

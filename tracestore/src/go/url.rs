//! Go's `net/url`: query strings as `r.URL.Query()` reads them.

/// Go's `url.ParseQuery` as `r.URL.Query()` applies it (malformed pairs are
/// dropped): the values of each key in order of appearance.
#[derive(Debug, Default, Clone)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (without the `?`).
    pub(crate) fn parse(raw: &str) -> Self {
        let mut pairs = Vec::new();
        for part in raw.split('&') {
            if part.is_empty() || part.contains(';') {
                continue;
            }
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            if let (Some(k), Some(v)) = (unescape(k), unescape(v)) {
                pairs.push((k, v));
            }
        }
        Query { pairs }
    }

    /// The first value of `key`, or `""` (Go's `Values.Get`).
    pub(crate) fn get(&self, key: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub(crate) fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first non-empty value among a canonical name and its alias, with
    /// the name it came from (Jaeger's `getQueryParam`).
    pub(crate) fn get_either<'a>(
        &'a self,
        canonical: &'a str,
        alias: &'a str,
    ) -> (&'a str, &'a str) {
        let v = self.get(canonical);
        if v.is_empty() {
            (self.get(alias), alias)
        } else {
            (v, canonical)
        }
    }
}

/// Go's `url.QueryUnescape`: `+` is a space, `%XX` a byte; a bad escape
/// fails.
pub(crate) fn unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                let hi = (hex[0] as char).to_digit(16)?;
                let lo = (hex[1] as char).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_like_go() {
        let q = Query::parse("a=1&b=x+y&a=2&bad=%zz&semi=1;2&c=%41&&d");
        assert_eq!(q.get("a"), "1");
        assert_eq!(q.all("a").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(q.get("b"), "x y");
        assert_eq!(q.all("bad").count(), 0);
        assert_eq!(q.all("semi").count(), 0);
        assert_eq!(q.get("c"), "A");
        assert_eq!(q.all("d").collect::<Vec<_>>(), [""]);
        assert_eq!(q.get("missing"), "");
        assert_eq!(q.get_either("x", "c"), ("A", "c"));
        assert_eq!(unescape("a&b+c%21").as_deref(), Some("a&b c!"));
        assert_eq!(unescape("50%"), None);
    }
}

//! Identifiers the services hand out (`ord-…`, `pay-…`).

/// A new random identifier: `prefix`, a dash and 16 lowercase hex digits.
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}-{:016x}", rand::random::<u64>())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_have_the_prefix_and_differ() {
        let (a, b) = (super::new_id("ord"), super::new_id("ord"));
        assert!(a.starts_with("ord-") && a.len() == 20, "{a}");
        assert_ne!(a, b);
    }
}

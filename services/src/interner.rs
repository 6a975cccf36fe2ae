//! Attribute values that repeat from request to request (routes, paths,
//! host names, user agents, peer addresses, the scenario name), shared
//! instead of copied.
//!
//! A span's string attribute is copied three times on its way out: into the
//! span, into the exporter's copy of the batch (the OTLP/gRPC exporter
//! clones each batch before encoding it) and into the protobuf message. An
//! `Arc<str>` value makes the first two a reference count increment instead
//! of an allocation and a copy. The table is bounded: past its capacity new
//! values are copied as before, so a client sending endless distinct paths
//! costs nothing but the usual copies.

use std::{
    collections::HashSet,
    sync::{Arc, RwLock},
};

use opentelemetry::StringValue;

/// Distinct values kept; later ones are copied, not shared.
const CAPACITY: usize = 256;

/// A bounded set of shared attribute values.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    values: RwLock<HashSet<Arc<str>>>,
}

impl Interner {
    /// `value` as an attribute value: the shared copy when it was seen
    /// before (or there is room to keep it), a fresh copy otherwise.
    pub(crate) fn value(&self, value: &str) -> StringValue {
        if let Ok(values) = self.values.read() {
            if let Some(shared) = values.get(value) {
                return StringValue::from(shared.clone());
            }
            if values.len() >= CAPACITY {
                // Full: no write lock for values that will not be kept.
                return StringValue::from(value.to_owned());
            }
        }
        match self.values.write() {
            Ok(mut values) if values.len() < CAPACITY => {
                let shared: Arc<str> = Arc::from(value);
                values.insert(shared.clone());
                StringValue::from(shared)
            }
            _ => StringValue::from(value.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_values_are_shared_and_the_table_is_bounded() {
        let interner = Interner::default();
        let a = interner.value("/orders");
        let b = interner.value("/orders");
        assert_eq!(a.as_str(), "/orders");
        assert_eq!(a.as_str().as_ptr(), b.as_str().as_ptr(), "one shared copy");

        for i in 0..CAPACITY + 10 {
            assert_eq!(interner.value(&i.to_string()).as_str(), i.to_string());
        }
        assert_eq!(interner.values.read().unwrap().len(), CAPACITY);
        let late = CAPACITY + 5;
        let x = interner.value(&late.to_string());
        let y = interner.value(&late.to_string());
        assert_eq!(x, y);
        assert_ne!(
            x.as_str().as_ptr(),
            y.as_str().as_ptr(),
            "copied past capacity"
        );
    }
}

//! Shared strings: one allocation for a string that many spans hold.
//!
//! Attribute keys, span names and services repeat across the whole store
//! and come from a small set, so they are interned store-wide (up to
//! [`MAX_INTERNED`] distinct strings, so a sender of endless new keys cannot
//! grow the table without bound; past that, new strings are simply not
//! shared). Attribute values repeat within an export (`POST`, a route, a
//! scenario) but may be unique per span (ids), so they are shared only
//! within the export being stored.

use std::collections::HashSet;
use std::sync::Arc;

use parking_lot::RwLock;

use super::footprint;

/// Most distinct strings the store-wide table holds.
const MAX_INTERNED: usize = 1 << 16;

/// Longest string the store-wide table takes: longer ones are rarely
/// repeated names.
const MAX_INTERNED_LEN: usize = 256;

/// The store-wide table of names (attribute keys, span and event names,
/// services). Interned strings live as long as the store.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    names: RwLock<HashSet<Arc<str>>>,
}

impl Interner {
    /// The shared copy of `s`, if the table holds it or takes it now.
    fn name(&self, s: &str) -> Option<Arc<str>> {
        if let Some(found) = self.names.read().get(s) {
            return Some(found.clone());
        }
        if s.len() > MAX_INTERNED_LEN {
            return None;
        }
        let mut names = self.names.write();
        if let Some(found) = names.get(s) {
            return Some(found.clone());
        }
        if names.len() >= MAX_INTERNED {
            return None;
        }
        let shared: Arc<str> = Arc::from(s);
        names.insert(shared.clone());
        Some(shared)
    }
}

/// The strings of one export being prepared: names through the store-wide
/// table, values shared within the export. Counts the heap bytes of the
/// strings it newly allocates (interned names cost nothing per span).
#[derive(Debug)]
pub(crate) struct ExportStrings<'a> {
    store: &'a Interner,
    local: HashSet<Arc<str>>,
    /// Heap bytes allocated for strings not shared with anything stored
    /// before, since the last [`ExportStrings::take_bytes`].
    new_bytes: usize,
}

impl<'a> ExportStrings<'a> {
    /// An empty set for one export.
    pub(crate) fn new(store: &'a Interner) -> Self {
        ExportStrings {
            store,
            local: HashSet::new(),
            new_bytes: 0,
        }
    }

    /// A name: an attribute key, a span or event name, a service.
    pub(crate) fn name(&mut self, s: &str) -> Arc<str> {
        if let Some(found) = self.local.get(s) {
            return found.clone();
        }
        let shared = match self.store.name(s) {
            Some(shared) => shared,
            None => self.allocate(s),
        };
        self.local.insert(shared.clone());
        shared
    }

    /// An attribute value, shared with equal values of the same export.
    pub(crate) fn value(&mut self, s: &str) -> Arc<str> {
        if let Some(found) = self.local.get(s) {
            return found.clone();
        }
        let shared = self.allocate(s);
        self.local.insert(shared.clone());
        shared
    }

    fn allocate(&mut self, s: &str) -> Arc<str> {
        self.new_bytes += footprint::arc_str(s.len());
        Arc::from(s)
    }

    /// The bytes allocated since the last call, to charge to the trace
    /// that caused them.
    pub(crate) fn take_bytes(&mut self) -> usize {
        std::mem::take(&mut self.new_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shared_store_wide_and_values_within_an_export() {
        let table = Interner::default();
        let mut first = ExportStrings::new(&table);
        let a = first.name("http.route");
        let v = first.value("/orders");
        assert!(Arc::ptr_eq(&v, &first.value("/orders")));
        // The value was new: its allocation is charged once.
        assert_eq!(first.take_bytes(), footprint::arc_str("/orders".len()));
        assert_eq!(first.take_bytes(), 0);
        let mut second = ExportStrings::new(&table);
        assert!(Arc::ptr_eq(&a, &second.name("http.route")));
        assert_eq!(second.take_bytes(), 0);
        assert!(!Arc::ptr_eq(&v, &second.value("/orders")));
    }

    #[test]
    fn the_table_stops_growing_at_its_bound() {
        let table = Interner::default();
        for i in 0..MAX_INTERNED {
            assert!(table.name(&i.to_string()).is_some());
        }
        assert!(table.name("one too many").is_none());
        assert!(table.name("7").is_some(), "held names are still shared");
        assert!(table.name(&"x".repeat(MAX_INTERNED_LEN + 1)).is_none());
        let mut strings = ExportStrings::new(&table);
        assert_eq!(&*strings.name("one too many"), "one too many");
        assert_eq!(strings.take_bytes(), footprint::arc_str(12));
    }
}

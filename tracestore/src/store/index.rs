//! The services and operations seen so far. As in Jaeger's memory store
//! they outlive evicted traces.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use parking_lot::RwLock;

/// An operation: span name and kind name (`""` for unspecified).
pub(crate) type Operation = (String, &'static str);

/// Services and their operations.
#[derive(Debug, Default)]
pub(super) struct OperationIndex {
    services: RwLock<HashMap<Arc<str>, HashSet<Operation>>>,
}

impl OperationIndex {
    /// Records the operations of one export; takes the write lock only when
    /// something is new.
    pub(super) fn record(&self, seen: &[(Arc<str>, Operation)]) {
        let missing = {
            let services = self.services.read();
            seen.iter()
                .any(|(svc, op)| !services.get(svc).is_some_and(|ops| ops.contains(op)))
        };
        if missing {
            let mut services = self.services.write();
            for (svc, op) in seen {
                services.entry(svc.clone()).or_default().insert(op.clone());
            }
        }
    }

    /// Every service, sorted.
    pub(super) fn services(&self) -> Vec<String> {
        let mut out: Vec<String> = self.services.read().keys().map(|s| s.to_string()).collect();
        out.sort();
        out
    }

    /// The operations of a service, sorted; `kind` filters on the kind name
    /// when given (an exact match, as in Jaeger).
    pub(super) fn operations(&self, service: &str, kind: Option<&str>) -> Vec<Operation> {
        let mut out: Vec<Operation> = self
            .services
            .read()
            .get(service)
            .map(|ops| {
                ops.iter()
                    .filter(|(_, k)| kind.is_none_or(|want| want == *k))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }
}

//! Fault injection: switches that make the services emit traces breaking one
//! rule of the trace contract each (docs/CONTRACT.md, "Fault injection"), so
//! that a verifier can be shown to catch them. All are off by default.
//!
//! Both services accept the whole list (`FAULTS=a,b` or `--faults a,b`); each
//! applies the faults that concern it ([`Fault::applies_to`]).

use std::{fmt, str::FromStr, time::Duration};

/// How long `late-export` holds `save_order` back when not told otherwise
/// (`FAULT_LATE_EXPORT_DELAY`).
pub const DEFAULT_LATE_EXPORT_DELAY: Duration = Duration::from_secs(60);

/// How long after its parent `child-outlives-parent` ends `save_order`.
pub const CHILD_OVERRUN: Duration = Duration::from_millis(200);

/// `slow-save` delays one `save_order` in this many (the first, then every
/// 50th: exactly 2% of a run's valid orders, and at least one in a short run).
pub const SLOW_SAVE_EVERY: u64 = 50;

/// How long `slow-save` holds a delayed `save_order` (and its request).
pub const SLOW_SAVE_DELAY: Duration = Duration::from_millis(100);

/// Which of the two services a fault concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// The order API.
    OrderApi,
    /// The payment service.
    PaymentService,
}

/// One injectable fault, named as in docs/CONTRACT.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// order-api calls payment without `traceparent` (rule `span-tree`).
    DropPropagation,
    /// `validate_order` / `fraud_check` keep status UNSET where ERROR is due
    /// (rule `error-status`).
    NoErrorStatus,
    /// `save_order` gets a parent span id that is never exported (rule `orphan`).
    OrphanSpan,
    /// `save_order` is not emitted (rule `span-tree`).
    SkipSaveSpan,
    /// The order-api `POST /payments` span is INTERNAL, not CLIENT
    /// (rule `cross-service-edge`).
    WrongKind,
    /// `save_order` is exported long after the request ends (rule `incomplete`).
    LateExport,
    /// `save_order` ends 200 ms after its parent SERVER span
    /// (rule `child-within-parent`).
    ChildOutlivesParent,
    /// One `save_order` in [`SLOW_SAVE_EVERY`] takes [`SLOW_SAVE_DELAY`]
    /// longer: every trace still holds the contract, only a latency
    /// threshold (p99 of `save_order`) catches it.
    SlowSave,
}

impl Fault {
    /// Every fault, in the contract's order.
    pub const ALL: [Fault; 8] = [
        Fault::DropPropagation,
        Fault::NoErrorStatus,
        Fault::OrphanSpan,
        Fault::SkipSaveSpan,
        Fault::WrongKind,
        Fault::LateExport,
        Fault::ChildOutlivesParent,
        Fault::SlowSave,
    ];

    /// The fault's name in `FAULTS`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::DropPropagation => "drop-propagation",
            Fault::NoErrorStatus => "no-error-status",
            Fault::OrphanSpan => "orphan-span",
            Fault::SkipSaveSpan => "skip-save-span",
            Fault::WrongKind => "wrong-kind",
            Fault::LateExport => "late-export",
            Fault::ChildOutlivesParent => "child-outlives-parent",
            Fault::SlowSave => "slow-save",
        }
    }

    /// Whether `service` changes its behaviour for this fault.
    pub fn applies_to(self, service: Service) -> bool {
        match self {
            Fault::NoErrorStatus => true,
            _ => service == Service::OrderApi,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fault name that is not in the contract's list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {name:?}; known faults: {}", known_faults())]
pub struct UnknownFault {
    /// The name as given.
    pub name: String,
}

fn known_faults() -> String {
    Fault::ALL.map(Fault::name).join(", ")
}

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        Fault::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| UnknownFault {
                name: name.to_owned(),
            })
    }
}

/// The set of enabled faults and their parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Faults {
    enabled: Vec<Fault>,
    /// How long `late-export` holds `save_order` back.
    pub late_export_delay: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Faults::none()
    }
}

impl Faults {
    /// No fault: the services honour the contract.
    pub fn none() -> Self {
        Faults {
            enabled: Vec::new(),
            late_export_delay: DEFAULT_LATE_EXPORT_DELAY,
        }
    }

    /// The given faults, with default parameters.
    pub fn of(faults: impl IntoIterator<Item = Fault>) -> Self {
        let mut enabled: Vec<Fault> = faults.into_iter().collect();
        enabled.sort();
        enabled.dedup();
        Faults {
            enabled,
            ..Faults::none()
        }
    }

    /// Sets the `late-export` delay (builder style).
    pub fn with_late_export_delay(mut self, delay: Duration) -> Self {
        self.late_export_delay = delay;
        self
    }

    /// Whether `fault` is enabled.
    pub fn contains(&self, fault: Fault) -> bool {
        self.enabled.contains(&fault)
    }

    /// The enabled faults, sorted.
    pub fn iter(&self) -> impl Iterator<Item = Fault> + '_ {
        self.enabled.iter().copied()
    }

    /// Whether no fault is enabled.
    pub fn is_empty(&self) -> bool {
        self.enabled.is_empty()
    }
}

impl FromStr for Faults {
    type Err = UnknownFault;

    /// Parses a comma-separated list (`drop-propagation,wrong-kind`); blanks
    /// and empty items are ignored, so an empty string enables nothing.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let faults = s
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(Fault::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Faults::of(faults))
    }
}

impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Fault::name).collect();
        f.write_str(&names.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contract_name_parses_and_round_trips() {
        let all = Fault::ALL.map(Fault::name).join(",");
        let faults: Faults = all.parse().unwrap();
        assert_eq!(faults.iter().collect::<Vec<_>>(), Fault::ALL.to_vec());
        assert_eq!(faults.to_string(), all);
    }

    #[test]
    fn blanks_duplicates_and_empty_items_are_tolerated() {
        let faults: Faults = " wrong-kind , ,wrong-kind,orphan-span ".parse().unwrap();
        assert_eq!(
            faults.iter().collect::<Vec<_>>(),
            vec![Fault::OrphanSpan, Fault::WrongKind]
        );
        assert!("".parse::<Faults>().unwrap().is_empty());
    }

    #[test]
    fn unknown_name_is_a_clear_error() {
        let err = "wrong-kind,drop-spans".parse::<Faults>().unwrap_err();
        assert_eq!(err.name, "drop-spans");
        let text = err.to_string();
        assert!(text.contains("\"drop-spans\""), "{text}");
        assert!(text.contains("child-outlives-parent"), "{text}");
    }

    #[test]
    fn payment_service_applies_only_no_error_status() {
        let applied: Vec<Fault> = Fault::ALL
            .into_iter()
            .filter(|f| f.applies_to(Service::PaymentService))
            .collect();
        assert_eq!(applied, vec![Fault::NoErrorStatus]);
        assert!(
            Fault::ALL
                .into_iter()
                .all(|f| f.applies_to(Service::OrderApi))
        );
    }
}

//! The one way figures of the same kind combine: the shards of a run's
//! statistics while it goes (`stats.rs`) and the reports of several shards
//! or runs (`report/merge.rs`). Counts and rates add up,
//! histograms add up, counts by key add up per key, lists of the same shape
//! merge position by position; a struct merges field by field through
//! [`merge_by_field!`], whose pattern names every field, so a field added
//! later that nobody merges does not compile.

use std::collections::BTreeMap;

use hdrhistogram::{AdditionError, Histogram};

/// A figure that another shard's figure of the same kind adds into.
pub(crate) trait Merge {
    /// Adds `other` into `self`; only histograms can fail to add (a
    /// report read back may hold one whose range cannot be combined).
    fn merge(&mut self, other: &Self) -> Result<(), AdditionError>;
}

impl Merge for u64 {
    fn merge(&mut self, other: &u64) -> Result<(), AdditionError> {
        *self += other;
        Ok(())
    }
}

/// Rates: the shards' rates add up to the rate of all.
impl Merge for f64 {
    fn merge(&mut self, other: &f64) -> Result<(), AdditionError> {
        *self += other;
        Ok(())
    }
}

/// Answers by status code (or any key).
impl<K: Ord + Clone> Merge for BTreeMap<K, u64> {
    fn merge(&mut self, other: &Self) -> Result<(), AdditionError> {
        for (status, n) in other {
            *self.entry(status.clone()).or_default() += n;
        }
        Ok(())
    }
}

/// Latency histograms of the run's statistics (auto-resizing: adding does
/// not fail for them).
impl Merge for Histogram<u64> {
    fn merge(&mut self, other: &Self) -> Result<(), AdditionError> {
        self.add(other)
    }
}

/// Lists of the same shape (the stages of shards of one run, the scenarios
/// of a run's statistics) merge position by position; extra items of
/// `other` are left out.
impl<T: Merge> Merge for Vec<T> {
    fn merge(&mut self, other: &Self) -> Result<(), AdditionError> {
        for (mine, theirs) in self.iter_mut().zip(other) {
            mine.merge(theirs)?;
        }
        Ok(())
    }
}

/// Merges the listed fields of `$theirs` into `$mine`, each by its
/// [`Merge`]; `besides` lists the other fields (names and settings both
/// sides share, or what the caller merges itself), so that the pattern
/// names every field. The `impl` form makes that the type's whole
/// [`Merge`].
macro_rules! merge_by_field {
    ($mine:expr, $theirs:expr, $ty:ident { $($field:ident),* $(,)? } $(besides { $($besides:ident),* $(,)? })?) => {
        let $ty { $($field,)* $($($besides: _,)*)? } = $theirs;
        $( $crate::merge::Merge::merge(&mut $mine.$field, $field)?; )*
    };
    (impl $ty:ident { $($field:ident),* $(,)? } $(besides { $($besides:ident),* $(,)? })?) => {
        impl $crate::merge::Merge for $ty {
            fn merge(&mut self, other: &Self) -> Result<(), hdrhistogram::AdditionError> {
                merge_by_field!(self, other, $ty { $($field),* } $(besides { $($besides),* })?);
                Ok(())
            }
        }
    };
}
pub(crate) use merge_by_field;

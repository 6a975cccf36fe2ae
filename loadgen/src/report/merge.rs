//! Combining the reports of several shards (or runs) into one.
//!
//! Every figure merges in one of a few ways: counts and rates add up,
//! histograms add up and their percentiles are recomputed, status counts add
//! up per status, and exemplars are chosen again from both sides. [`Merge`]
//! is that one operation per kind of figure; a section of the report merges
//! field by field through [`merge_by_field!`], whose pattern names every
//! field of the section, so a field added later that nobody merges does not
//! compile.

use std::collections::BTreeMap;

use hdrhistogram::AdditionError;

use super::{
    ErrorCounts, Latency, REPORT_FORMAT, Report, ScenarioReport, ScheduleReport, StageReport,
    TracingReport,
};
use crate::{
    error::MergeError,
    exemplars::{Exemplar, at_percentiles, keep_slowest},
};

/// Combines the reports of several shards (or runs) into one: counts and
/// rates add up, histograms are added and the percentiles recomputed.
pub fn merge(reports: &[Report]) -> Result<Report, MergeError> {
    let (first, rest) = reports.split_first().ok_or(MergeError::Empty)?;
    for (index, r) in reports.iter().enumerate() {
        if r.format != REPORT_FORMAT {
            return Err(MergeError::Format {
                index,
                found: r.format.clone(),
                expected: REPORT_FORMAT,
            });
        }
    }
    let mut merged = first.clone();
    for (i, r) in rest.iter().enumerate() {
        merge_report(&mut merged, r).map_err(|e| MergeError::Histogram {
            index: i + 1,
            reason: format!("{e:?}"),
        })?;
    }
    Ok(merged)
}

/// Adds one more report into `merged`. Runs and problems are listed one
/// after the other, stages merge by position (shards of one run share
/// them), scenarios by name (a scenario only one side had is kept as is).
fn merge_report(merged: &mut Report, r: &Report) -> Result<(), AdditionError> {
    let Report {
        format: _,
        runs,
        schedule,
        stages,
        tracing,
        overall,
        scenarios,
        problems,
    } = r;
    merged.runs.extend(runs.iter().cloned());
    merged.schedule.merge(schedule)?;
    for (mine, theirs) in merged.stages.iter_mut().zip(stages) {
        mine.merge(theirs)?;
    }
    merged.tracing.merge(tracing)?;
    merged.overall.merge(overall)?;
    for theirs in scenarios {
        match merged
            .scenarios
            .iter_mut()
            .find(|m| m.scenario == theirs.scenario)
        {
            Some(mine) => mine.merge(theirs)?,
            None => merged.scenarios.push(theirs.clone()),
        }
    }
    merged.problems.extend(problems.iter().cloned());
    Ok(())
}

/// A figure that another shard's figure of the same kind adds into.
trait Merge {
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

/// Answers by status code.
impl Merge for BTreeMap<String, u64> {
    fn merge(&mut self, other: &Self) -> Result<(), AdditionError> {
        for (status, n) in other {
            *self.entry(status.clone()).or_default() += n;
        }
        Ok(())
    }
}

/// The histograms add up; the percentiles are those of the sum.
impl Merge for Latency {
    fn merge(&mut self, other: &Latency) -> Result<(), AdditionError> {
        let mut histogram = self.histogram.clone();
        histogram.add(&other.histogram)?;
        *self = Latency::from_histogram(histogram);
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
        $( Merge::merge(&mut $mine.$field, $field)?; )*
    };
    (impl $ty:ident { $($field:ident),* $(,)? } $(besides { $($besides:ident),* $(,)? })?) => {
        impl Merge for $ty {
            fn merge(&mut self, other: &Self) -> Result<(), AdditionError> {
                merge_by_field!(self, other, $ty { $($field),* } $(besides { $($besides),* })?);
                Ok(())
            }
        }
    };
}

merge_by_field!(impl ScheduleReport {
    sent, cancelled, intended_rps, achieved_rps, cap_hits, missed, start_lag,
});
merge_by_field!(impl StageReport {
    intended, sent, intended_rps, achieved_rps,
} besides { seconds, from_rps, to_rps });
merge_by_field!(impl TracingReport {
    sampled, not_sampled, unknown, root_spans_ended, root_spans_exported,
});
merge_by_field!(impl ErrorCounts { connect, timeout, io });

/// A scenario's figures add up as the others do. The slowest sampled
/// requests of the merge are the slowest of both; each percentile's
/// exemplar is the candidate (a shard's percentile exemplar or slowest
/// request) in the merged percentile's bucket, else the nearest to it.
impl Merge for ScenarioReport {
    fn merge(&mut self, other: &Self) -> Result<(), AdditionError> {
        let candidates: Vec<Exemplar> = [&*self, other]
            .into_iter()
            .flat_map(|s| s.exemplars.iter().map(|e| &e.exemplar).chain(&s.slowest))
            .cloned()
            .collect();
        merge_by_field!(self, other, ScenarioReport {
            count, ok, unexpected_status, errors, statuses, achieved_rps, latency,
        } besides { scenario, expected_status, slowest, exemplars });
        keep_slowest(&mut self.slowest, &other.slowest);
        let candidates: Vec<&Exemplar> = candidates.iter().collect();
        self.exemplars = at_percentiles(&self.latency.histogram, &candidates);
        Ok(())
    }
}

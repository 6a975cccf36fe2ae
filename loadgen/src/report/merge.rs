//! Combining the reports of several shards (or runs) into one, through
//! [`Merge`]: histograms add up and their percentiles are
//! recomputed, exemplars are chosen again from both sides, every other
//! figure merges as the run's statistics do.

use hdrhistogram::AdditionError;

use super::{
    ErrorCounts, Latency, REPORT_FORMAT, Report, ScenarioReport, ScheduleReport, StageReport,
    TracingReport,
};
use crate::{
    error::MergeError,
    exemplars::{Exemplar, at_percentiles, keep_slowest},
    merge::{Merge, merge_by_field},
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
        merge_report(&mut merged, r).map_err(|source| MergeError::Histogram {
            index: i + 1,
            source,
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
    merged.stages.merge(stages)?;
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

/// The histograms add up; the percentiles are those of the sum.
impl Merge for Latency {
    fn merge(&mut self, other: &Latency) -> Result<(), AdditionError> {
        let mut histogram = self.histogram.clone();
        histogram.add(&other.histogram)?;
        *self = Latency::from_histogram(histogram);
        Ok(())
    }
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

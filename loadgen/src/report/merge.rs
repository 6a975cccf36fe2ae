//! Combining the reports of several shards (or runs) into one.

use super::{ErrorCounts, Latency, REPORT_FORMAT, Report, ScenarioReport};
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
        let index = i + 1;
        let hist_err = |reason: String| MergeError::Histogram { index, reason };
        merged.runs.extend(r.runs.iter().cloned());
        let s = &mut merged.schedule;
        s.sent += r.schedule.sent;
        s.cancelled += r.schedule.cancelled;
        s.intended_rps += r.schedule.intended_rps;
        s.achieved_rps += r.schedule.achieved_rps;
        s.cap_hits += r.schedule.cap_hits;
        s.missed += r.schedule.missed;
        s.start_lag = s
            .start_lag
            .merged(&r.schedule.start_lag)
            .map_err(hist_err)?;
        for (mine, theirs) in merged.stages.iter_mut().zip(&r.stages) {
            mine.intended += theirs.intended;
            mine.sent += theirs.sent;
            mine.intended_rps += theirs.intended_rps;
            mine.achieved_rps += theirs.achieved_rps;
        }
        let t = &mut merged.tracing;
        t.sampled += r.tracing.sampled;
        t.not_sampled += r.tracing.not_sampled;
        t.unknown += r.tracing.unknown;
        t.root_spans_ended += r.tracing.root_spans_ended;
        t.root_spans_exported += r.tracing.root_spans_exported;
        merged.overall = merge_scenario(&merged.overall, &r.overall).map_err(hist_err)?;
        for theirs in &r.scenarios {
            match merged
                .scenarios
                .iter_mut()
                .find(|m| m.scenario == theirs.scenario)
            {
                Some(mine) => *mine = merge_scenario(mine, theirs).map_err(hist_err)?,
                None => merged.scenarios.push(theirs.clone()),
            }
        }
        merged.problems.extend(r.problems.iter().cloned());
    }
    Ok(merged)
}

/// Merges two shards' figures of a scenario. The slowest sampled requests
/// of the merge are the slowest of both; each percentile's exemplar is the
/// candidate (a shard's percentile exemplar or slowest request) in the
/// merged percentile's bucket, else the nearest to it.
fn merge_scenario(a: &ScenarioReport, b: &ScenarioReport) -> Result<ScenarioReport, String> {
    let latency = a.latency.merged(&b.latency)?;
    let mut slowest = a.slowest.clone();
    keep_slowest(&mut slowest, &b.slowest);
    let candidates: Vec<&Exemplar> = [a, b]
        .iter()
        .flat_map(|s| s.exemplars.iter().map(|e| &e.exemplar).chain(&s.slowest))
        .collect();
    let mut statuses = a.statuses.clone();
    for (k, v) in &b.statuses {
        *statuses.entry(k.clone()).or_default() += v;
    }
    Ok(ScenarioReport {
        scenario: a.scenario.clone(),
        expected_status: a.expected_status.clone(),
        count: a.count + b.count,
        ok: a.ok + b.ok,
        unexpected_status: a.unexpected_status + b.unexpected_status,
        errors: ErrorCounts {
            connect: a.errors.connect + b.errors.connect,
            timeout: a.errors.timeout + b.errors.timeout,
            io: a.errors.io + b.errors.io,
        },
        statuses,
        achieved_rps: a.achieved_rps + b.achieved_rps,
        latency: latency.clone(),
        slowest,
        exemplars: at_percentiles(&latency.histogram, &candidates),
    })
}

impl Latency {
    fn merged(&self, other: &Latency) -> Result<Latency, String> {
        let mut h = self.histogram.clone();
        h.add(&other.histogram).map_err(|e| format!("{e:?}"))?;
        Ok(Latency::from_histogram(h))
    }
}

//! Complete reads of a time window. A search returns at most `limit`
//! traces, so the window is read as parts expected to hold about half the
//! limit each, sized from the density seen (and, with a manifest, from its
//! requests' start times). A part whose search still hits the limit keeps
//! its answer and is split into as many parts as its density asks for, not
//! halved level by level. Parts are searched a few at a time and each
//! answer is handed on as it arrives, so memory is bounded by the parts in
//! flight, not by the window.

use std::collections::{HashSet, VecDeque};

use futures::stream::{self, FuturesUnordered, StreamExt, TryStreamExt};

use crate::error::CheckError;
use crate::jaeger::JaegerClient;
use crate::jaeger::v3::TraceSummary;
use crate::model::{Trace, TraceId};

/// The smallest window worth splitting: the v1 API counts in microseconds.
const MIN_WINDOW_NS: u64 = 2_000;

/// Searches in flight at once: enough to keep the backend busy while the
/// previous answer is parsed and checked; each holds at most `limit` traces.
const SEARCHES_IN_FLIGHT: usize = 4;

/// Most parts one full answer is split into.
const MAX_SPLIT: u64 = 4_096;

/// Least parts a full answer is split into when its own traces say little
/// about the density (a backend returning an arbitrary subset): a quarter
/// per level reads each trace about 1.3 times where halving reads it twice.
const MIN_SPLIT: u64 = 4;

/// A part's summaries asking for more than one trace in this many are
/// answered by searching the part for whole traces rather than by fetching
/// each by id (one request against one a trace).
const FETCH_SHARE: usize = 4;

/// How to cut the window before the first search.
#[derive(Debug, Default, Clone)]
pub(crate) struct ReadPlan {
    /// Expected start times of traces, ns since the epoch, sorted (the
    /// manifest's sampled requests); empty when unknown.
    pub expected_starts_ns: Vec<u64>,
}

impl ReadPlan {
    /// Parts of `[start_ns, end_ns]` holding at most `target` expected starts
    /// each (one part without expectations).
    fn parts(&self, start_ns: u64, end_ns: u64, target: usize) -> VecDeque<(u64, u64)> {
        let inside: Vec<u64> = self
            .expected_starts_ns
            .iter()
            .copied()
            .filter(|t| (start_ns..=end_ns).contains(t))
            .collect();
        let mut parts = VecDeque::new();
        let mut from = start_ns;
        for chunk in inside.chunks(target.max(1)).skip(1) {
            let cut = chunk[0];
            if cut > from {
                parts.push_back((from, cut));
                from = cut;
            }
        }
        parts.push_back((from, end_ns));
        parts
    }
}

/// Where a read hands its traces, and what it already holds of them.
pub(crate) trait TraceSink {
    /// Takes a trace read; the same trace may come again, fuller.
    fn take(&mut self, trace: Trace);
    /// Spans of the copy of `id` held, if any.
    fn spans_held(&self, id: TraceId) -> Option<usize>;
}

/// One request of a read.
#[derive(Clone, Copy)]
enum Job {
    /// Whole traces of the service in the part.
    Search(u64, u64),
    /// Summaries of the service's traces in the part.
    Summaries(u64, u64),
    /// One whole trace by id.
    Fetch(TraceId),
}

/// What a [`Job`] brought back.
enum Answer {
    Traces(Vec<Trace>),
    Summaries(Vec<TraceSummary>),
    /// The server has no trace-summaries route.
    NoSummaries,
}

impl Answer {
    /// The start of each trace answered (its earliest span).
    fn starts(&self) -> Vec<u64> {
        match self {
            Answer::Traces(traces) => traces
                .iter()
                .map(|t| t.spans.iter().map(|s| s.start_ns).min().unwrap_or(0))
                .collect(),
            Answer::Summaries(summaries) => summaries.iter().map(|s| s.start_ns).collect(),
            Answer::NoSummaries => Vec::new(),
        }
    }
}

impl Job {
    /// The same kind of job over another part.
    fn over(self, (start, end): (u64, u64)) -> Job {
        match self {
            Job::Summaries(..) => Job::Summaries(start, end),
            _ => Job::Search(start, end),
        }
    }

    async fn run(
        self,
        client: &JaegerClient,
        service: &str,
        limit: usize,
    ) -> Result<Answer, CheckError> {
        Ok(match self {
            Job::Search(start, end) => {
                Answer::Traces(client.search(service, start, end, limit).await?)
            }
            Job::Summaries(start, end) => match client.summaries(service, start, end, limit).await?
            {
                Some(summaries) => Answer::Summaries(summaries),
                None => Answer::NoSummaries,
            },
            Job::Fetch(id) => Answer::Traces(client.trace(id).await?.into_iter().collect()),
        })
    }
}

/// Hands `sink` every trace with a span of one of `services` starting in
/// `[start_ns, end_ns]`, at least once. The first service is searched for
/// whole traces; the others, when the server has trace summaries, only for
/// summaries, and a trace is read again only when it is new or its summary
/// counts more spans than the copy held (by id, or by searching the part
/// when most of its traces are wanted). So each trace is read about once,
/// not once per service; without summaries every service is searched.
pub(crate) async fn read_window(
    client: &JaegerClient,
    services: &[String],
    (start_ns, end_ns): (u64, u64),
    limit: usize,
    plan: &ReadPlan,
    sink: &mut dyn TraceSink,
) -> Result<(), CheckError> {
    let target = (limit / 2).max(1);
    // Traces asked for by id in this read (adjoining parts share a boundary).
    let mut fetching: HashSet<TraceId> = HashSet::new();
    for (index, service) in services.iter().enumerate() {
        let kind = if index == 0 {
            Job::Search(start_ns, end_ns)
        } else {
            Job::Summaries(start_ns, end_ns)
        };
        let mut pending: VecDeque<Job> = plan
            .parts(start_ns, end_ns, target)
            .into_iter()
            .map(|part| kind.over(part))
            .collect();
        // Traces per ns seen so far in this service's answers.
        let mut density = 0.0f64;
        let mut in_flight = FuturesUnordered::new();
        loop {
            while in_flight.len() < SEARCHES_IN_FLIGHT {
                let Some(job) = pending.pop_front() else {
                    break;
                };
                in_flight.push(async move { (job, job.run(client, service, limit).await) });
            }
            let Some((job, answer)) = in_flight.next().await else {
                break;
            };
            let answer = answer?;
            let (start, end) = match job {
                Job::Search(start, end) | Job::Summaries(start, end) => (start, end),
                Job::Fetch(_) => {
                    if let Answer::Traces(traces) = answer {
                        traces.into_iter().for_each(|t| sink.take(t));
                    }
                    continue;
                }
            };
            let width = end - start;
            let starts = answer.starts();
            if matches!(answer, Answer::NoSummaries) {
                pending.push_front(Job::Search(start, end));
                continue;
            } else if starts.len() >= limit {
                if width < MIN_WINDOW_NS {
                    return Err(CheckError::Window(format!(
                        "{} traces of `{service}` start within {width} ns; raise --max-traces above {limit}",
                        starts.len()
                    )));
                }
                let seen = estimate_count(&starts, start, end);
                density = density.max(seen / width as f64);
                let wanted = (density * width as f64 / target as f64).ceil() as u64;
                let parts = wanted
                    .clamp(MIN_SPLIT, MAX_SPLIT)
                    .min(width / (MIN_WINDOW_NS / 2));
                tracing::debug!(
                    service,
                    start,
                    end,
                    parts,
                    "search hit the limit of {limit}; splitting the window"
                );
                // Earlier parts first, ahead of the rest of the window. A
                // full answer of summaries says nothing the parts will not.
                for part in split(start, end, parts).into_iter().rev() {
                    pending.push_front(job.over(part));
                }
                if matches!(answer, Answer::Summaries(_)) {
                    continue;
                }
            } else if width > 0 {
                density = density.max(starts.len() as f64 / width as f64);
            }
            match answer {
                Answer::Traces(traces) => traces.into_iter().for_each(|t| sink.take(t)),
                Answer::Summaries(summaries) => {
                    let wanted: Vec<TraceId> = summaries
                        .iter()
                        .filter(|s| {
                            sink.spans_held(s.trace_id)
                                .is_none_or(|held| (held as u64) < s.span_count)
                        })
                        .map(|s| s.trace_id)
                        .filter(|id| !fetching.contains(id))
                        .collect();
                    if wanted.len() * FETCH_SHARE > summaries.len().max(FETCH_SHARE) {
                        pending.push_front(Job::Search(start, end));
                    } else {
                        fetching.extend(wanted.iter().copied());
                        pending.extend(wanted.into_iter().map(Job::Fetch));
                    }
                }
                Answer::NoSummaries => {}
            }
        }
    }
    Ok(())
}

/// How many traces a full answer's window likely holds: the answer covers
/// the spread of its traces' start times (within the window), so the
/// window holds about `len * width / spread` (a backend answering the
/// newest traces first shows their density exactly).
fn estimate_count(starts: &[u64], start: u64, end: u64) -> f64 {
    let (low, high) = starts
        .iter()
        .map(|t| (*t).clamp(start, end))
        .fold((u64::MAX, 0), |(lo, hi), t| (lo.min(t), hi.max(t)));
    let spread = high.saturating_sub(low).max(1);
    starts.len() as f64 * (end - start) as f64 / spread as f64
}

/// `[start, end]` in `parts` adjoining parts (sharing their boundaries).
fn split(start: u64, end: u64, parts: u64) -> Vec<(u64, u64)> {
    let parts = parts.max(1);
    let width = end - start;
    (0..parts)
        .map(|i| {
            let a = start + (u128::from(width) * u128::from(i) / u128::from(parts)) as u64;
            let b = start + (u128::from(width) * u128::from(i + 1) / u128::from(parts)) as u64;
            (a, b)
        })
        .collect()
}

/// Fetches whole traces by id, `concurrency` at a time; absent ones are left out.
pub(crate) async fn fetch_by_ids(
    client: &JaegerClient,
    ids: Vec<TraceId>,
    concurrency: usize,
) -> Result<Vec<Trace>, CheckError> {
    let found: Vec<Option<Trace>> = stream::iter(ids)
        .map(|id| client.trace(id))
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_the_window_with_shared_boundaries() {
        assert_eq!(split(0, 10, 3), [(0, 3), (3, 6), (6, 10)]);
        assert_eq!(split(5, 6, 1), [(5, 6)]);
    }

    #[test]
    fn the_plan_cuts_at_expected_starts() {
        let plan = ReadPlan {
            expected_starts_ns: vec![10, 11, 12, 13, 14, 50],
        };
        assert_eq!(
            Vec::from(plan.parts(0, 100, 2)),
            [(0, 12), (12, 14), (14, 100)]
        );
        assert_eq!(Vec::from(ReadPlan::default().parts(0, 100, 2)), [(0, 100)]);
    }
}

//! Complete reads of a time window: a search returns at most `limit` traces,
//! so a window whose search hits the limit is split in halves until every
//! part is under it; results are de-duplicated by trace id.

use std::collections::HashMap;

use futures::stream::{self, StreamExt, TryStreamExt};

use crate::error::CheckError;
use crate::jaeger::JaegerClient;
use crate::model::{Trace, TraceId};

/// The smallest window worth splitting: the v1 API counts in microseconds.
const MIN_WINDOW_NS: u64 = 2_000;

/// Every trace with a span of one of `services` starting in `[start_ns, end_ns]`.
pub(crate) async fn read_window(
    client: &JaegerClient,
    services: &[String],
    start_ns: u64,
    end_ns: u64,
    limit: usize,
) -> Result<HashMap<TraceId, Trace>, CheckError> {
    let mut traces: HashMap<TraceId, Trace> = HashMap::new();
    for service in services {
        let mut windows = vec![(start_ns, end_ns)];
        while let Some((start, end)) = windows.pop() {
            let found = client.search(service, start, end, limit).await?;
            if found.len() >= limit {
                if end - start < MIN_WINDOW_NS {
                    return Err(CheckError::Window(format!(
                        "{} traces of `{service}` start within {} ns; raise --max-traces above {limit}",
                        found.len(),
                        end - start
                    )));
                }
                let middle = start + (end - start) / 2;
                tracing::debug!(
                    service,
                    start,
                    end,
                    "search hit the limit of {limit}; splitting the window"
                );
                windows.push((middle, end));
                windows.push((start, middle));
                continue;
            }
            for trace in found {
                merge(&mut traces, trace);
            }
        }
    }
    Ok(traces)
}

/// Keeps the fuller of two copies of a trace.
pub(crate) fn merge(traces: &mut HashMap<TraceId, Trace>, trace: Trace) {
    match traces.get_mut(&trace.trace_id) {
        Some(existing) if existing.spans.len() >= trace.spans.len() => {}
        Some(existing) => *existing = trace,
        None => {
            traces.insert(trace.trace_id, trace);
        }
    }
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

//! The in-memory trace store: traces sharded by id so that ingest and
//! queries on different traces never wait for each other, a global
//! creation order for oldest-first eviction under a span or byte bound, and
//! the service / operation index.

pub(crate) mod footprint;
mod index;
mod intern;
pub(crate) mod search;
mod span;
mod time_blocks;
pub(crate) mod trace;

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

pub(crate) use index::Operation;
use index::OperationIndex;
pub(crate) use intern::ExportStrings;
use intern::Interner;
pub(crate) use search::TraceQuery;
pub(crate) use span::{SpanAttributes, StoredSpan};
use time_blocks::TimeBlocks;
pub(crate) use trace::TraceChunk;

use crate::ids::TraceId;
use crate::otlp::ResourceSpans;

/// Number of shards; a power of two.
const SHARDS: usize = 32;

/// What holding a trace costs (resident, see [`footprint::resident`]) besides its chunk's groups and spans: its
/// entry in the shard's creation-ordered B-tree (nodes of up to 11 entries,
/// about 60% full when filled in order and drained from the front) and in
/// the id map (a hashbrown table between half and 7/8 full).
const TRACE_BYTES: usize = footprint::resident(
    (std::mem::size_of::<(u64, TraceChunk)>() * 5) / 3
        + (std::mem::size_of::<(TraceId, u64)>() + 1) * 3 / 2,
);

/// How much the store may hold before it evicts its oldest traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Maximum number of spans held.
    pub max_spans: u64,
    /// Maximum estimated heap bytes of the spans held, if bounded.
    pub max_bytes: Option<u64>,
}

/// Spans of an export not stored because their trace would not fit within
/// the store's bounds even alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Overflow {
    /// How many spans were rejected.
    pub spans: u64,
    /// The first trace rejected and the bound it exceeds.
    pub first: String,
}

impl Overflow {
    /// The message for the sender (OTLP partial success).
    pub(crate) fn message(&self) -> String {
        format!(
            "{} span(s) rejected: a trace must fit within the store's bounds (first: {})",
            self.spans, self.first
        )
    }
}

/// Counters describing the store, as served on `/tracestore/stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreStats {
    /// Spans held now.
    pub spans: u64,
    /// Traces held now.
    pub traces: u64,
    /// Estimated heap bytes of the spans held now.
    pub bytes: u64,
    /// Spans accepted since start.
    pub received_spans: u64,
    /// Spans rejected since start (invalid ids, or a trace over the bounds;
    /// reported as OTLP partial success).
    pub rejected_spans: u64,
    /// Traces evicted to stay within the bound since start.
    pub evicted_traces: u64,
    /// Spans those evicted traces held.
    pub evicted_spans: u64,
    /// The span bound.
    pub max_spans: u64,
    /// The byte bound, if any.
    pub max_bytes: Option<u64>,
}

#[derive(Debug, Default)]
struct Counters {
    spans: AtomicU64,
    traces: AtomicU64,
    bytes: AtomicU64,
    received_spans: AtomicU64,
    rejected_spans: AtomicU64,
    evicted_traces: AtomicU64,
    evicted_spans: AtomicU64,
}

#[derive(Debug, Default)]
struct ShardData {
    /// Traces by creation sequence (oldest first).
    by_seq: BTreeMap<u64, TraceChunk>,
    /// Creation sequence of each trace id.
    seq_of: HashMap<TraceId, u64, BuildHasherDefault<IdHasher>>,
    /// Span-start bounds of blocks of sequence numbers, for searches.
    blocks: TimeBlocks,
}

#[derive(Debug)]
struct Shard {
    data: RwLock<ShardData>,
    /// Sequence number of this shard's oldest trace (`u64::MAX` if none),
    /// so the evictor finds the globally oldest trace without locking.
    oldest: AtomicU64,
}

/// The store. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub(crate) struct Store {
    shards: Box<[Shard]>,
    limits: Limits,
    next_seq: AtomicU64,
    counters: Counters,
    index: OperationIndex,
    names: Interner,
    evicting: Mutex<()>,
    last_eviction_log: AtomicU64,
}

/// One export, prepared for storing.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// Per-trace chunks, in order of first appearance.
    pub traces: Vec<TraceChunk>,
    /// Distinct (service, operation) pairs of the export.
    pub operations: Vec<(Arc<str>, Operation)>,
    /// Spans rejected while preparing.
    pub rejected: u64,
}

impl Store {
    /// An empty store with the given bounds.
    pub(crate) fn new(limits: Limits) -> Self {
        Store {
            shards: (0..SHARDS)
                .map(|_| Shard {
                    data: RwLock::new(ShardData::default()),
                    oldest: AtomicU64::new(u64::MAX),
                })
                .collect(),
            limits,
            next_seq: AtomicU64::new(0),
            counters: Counters::default(),
            index: OperationIndex::default(),
            names: Interner::default(),
            evicting: Mutex::new(()),
            last_eviction_log: AtomicU64::new(0),
        }
    }

    /// The strings of a new export, sharing names with the store.
    pub(crate) fn export_strings(&self) -> ExportStrings<'_> {
        ExportStrings::new(&self.names)
    }

    fn shard_of(id: &TraceId) -> usize {
        (fold(id).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 59) as usize % SHARDS
    }

    /// Stores a prepared export, then evicts the oldest traces while a bound
    /// is exceeded. A trace that would not fit within the bounds even alone
    /// (its spans so far plus this export's) is not stored: its spans of this
    /// export are rejected, so the sender hears of it (OTLP partial success)
    /// and nothing already stored is evicted for it. Every stored trace
    /// fitting alone, eviction stops as soon as the bounds hold again and
    /// never reaches the trace just written.
    pub(crate) fn insert(&self, batch: Batch) -> Option<Overflow> {
        let c = &self.counters;
        c.rejected_spans
            .fetch_add(batch.rejected, Ordering::Relaxed);
        self.index.record(&batch.operations);
        let mut by_shard: Vec<Vec<TraceChunk>> = (0..SHARDS).map(|_| Vec::new()).collect();
        for t in batch.traces {
            by_shard[Self::shard_of(&t.id)].push(t);
        }
        let mut overflow: Option<Overflow> = None;
        for (shard, chunks) in self.shards.iter().zip(by_shard) {
            if chunks.is_empty() {
                continue;
            }
            let (mut spans, mut bytes, mut new_traces) = (0u64, 0u64, 0u64);
            let mut guard = shard.data.write();
            let data = &mut *guard;
            for mut chunk in chunks {
                let seq = data.seq_of.get(&chunk.id).copied();
                if seq.is_none() {
                    chunk.bytes += TRACE_BYTES;
                }
                let stored = seq.and_then(|seq| data.by_seq.get(&seq));
                let (held_spans, held_bytes) =
                    stored.map_or((0, 0), |t| (t.span_count as u64, t.bytes as u64));
                let whole_spans = held_spans + chunk.span_count as u64;
                let whole_bytes = held_bytes + chunk.bytes as u64;
                if let Some(bound) = self.bound_exceeded(whole_spans, whole_bytes) {
                    overflow
                        .get_or_insert_with(|| Overflow {
                            spans: 0,
                            first: format!(
                                "trace {} would hold {whole_spans} spans ({whole_bytes} estimated bytes), over {bound}",
                                chunk.id.to_jaeger_string()
                            ),
                        })
                        .spans += chunk.span_count as u64;
                    continue;
                }
                spans += chunk.span_count as u64;
                bytes += chunk.bytes as u64;
                match seq.and_then(|seq| data.by_seq.get_mut(&seq).map(|t| (seq, t))) {
                    Some((seq, stored)) => {
                        stored.merge(chunk);
                        data.blocks.note(seq, stored.min_start, stored.max_start);
                    }
                    None => {
                        // Taken under the shard lock, so sequence numbers grow
                        // within a shard.
                        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
                        data.seq_of.insert(chunk.id, seq);
                        data.blocks.note(seq, chunk.min_start, chunk.max_start);
                        data.by_seq.insert(seq, chunk);
                        new_traces += 1;
                    }
                }
            }
            let oldest = data.by_seq.keys().next().copied().unwrap_or(u64::MAX);
            shard.oldest.store(oldest, Ordering::Relaxed);
            drop(guard);
            c.spans.fetch_add(spans, Ordering::Relaxed);
            c.bytes.fetch_add(bytes, Ordering::Relaxed);
            c.traces.fetch_add(new_traces, Ordering::Relaxed);
            c.received_spans.fetch_add(spans, Ordering::Relaxed);
        }
        if let Some(o) = &overflow {
            c.rejected_spans.fetch_add(o.spans, Ordering::Relaxed);
        }
        self.enforce_limits();
        overflow
    }

    /// The bound a trace of `spans` spans and `bytes` estimated bytes
    /// exceeds on its own, named as its flag.
    fn bound_exceeded(&self, spans: u64, bytes: u64) -> Option<String> {
        if spans > self.limits.max_spans {
            return Some(format!("--max-spans {}", self.limits.max_spans));
        }
        self.limits
            .max_bytes
            .filter(|max| bytes > *max)
            .map(|max| format!("--max-bytes {max}"))
    }

    /// Counts spans that were received and deliberately not stored (the
    /// discarding mode).
    pub(crate) fn count_discarded(&self, spans: u64) {
        self.counters
            .received_spans
            .fetch_add(spans, Ordering::Relaxed);
    }

    fn over_limit(&self) -> bool {
        let c = &self.counters;
        c.spans.load(Ordering::Relaxed) > self.limits.max_spans
            || self
                .limits
                .max_bytes
                .is_some_and(|max| c.bytes.load(Ordering::Relaxed) > max)
    }

    /// Evicts oldest-created traces until the bounds hold. One thread evicts
    /// at a time; others carry on ingesting (so the bound may be exceeded by
    /// the exports in flight, never for long).
    fn enforce_limits(&self) {
        while self.over_limit() {
            let Some(_guard) = self.evicting.try_lock() else {
                return;
            };
            let (mut traces, mut spans) = (0u64, 0u64);
            while self.over_limit() {
                // The shard holding the globally oldest trace, and the
                // oldest trace of any other shard.
                let mut best = (usize::MAX, u64::MAX);
                let mut runner_up = u64::MAX;
                for (i, shard) in self.shards.iter().enumerate() {
                    let seq = shard.oldest.load(Ordering::Relaxed);
                    if seq < best.1 {
                        runner_up = best.1;
                        best = (i, seq);
                    } else if seq < runner_up {
                        runner_up = seq;
                    }
                }
                let Some(shard) = self.shards.get(best.0) else {
                    break;
                };
                let mut evicted = Vec::new();
                {
                    let mut data = shard.data.write();
                    while let Some(entry) = data.by_seq.first_entry() {
                        if *entry.key() > runner_up || (!evicted.is_empty() && !self.over_limit()) {
                            break;
                        }
                        let stored = entry.remove();
                        data.seq_of.remove(&stored.id);
                        self.account_eviction(&stored);
                        evicted.push(stored);
                    }
                    let oldest = data.by_seq.keys().next().copied().unwrap_or(u64::MAX);
                    data.blocks.forget_before(oldest);
                    shard.oldest.store(oldest, Ordering::Relaxed);
                }
                traces += evicted.len() as u64;
                spans += evicted.iter().map(|s| s.span_count as u64).sum::<u64>();
                // The evicted data is freed here, outside the shard lock.
            }
            self.log_eviction(traces, spans);
        }
    }

    fn account_eviction(&self, t: &TraceChunk) {
        let c = &self.counters;
        c.spans.fetch_sub(t.span_count as u64, Ordering::Relaxed);
        c.bytes.fetch_sub(t.bytes as u64, Ordering::Relaxed);
        c.traces.fetch_sub(1, Ordering::Relaxed);
        c.evicted_traces.fetch_add(1, Ordering::Relaxed);
        c.evicted_spans
            .fetch_add(t.span_count as u64, Ordering::Relaxed);
    }

    /// Logs evictions at most once every ten seconds.
    fn log_eviction(&self, traces: u64, spans: u64) {
        if traces == 0 {
            return;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let last = self.last_eviction_log.load(Ordering::Relaxed);
        if now < last + 10
            || self
                .last_eviction_log
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let s = self.stats();
        tracing::warn!(
            evicted_now = traces,
            evicted_spans_now = spans,
            evicted_traces_total = s.evicted_traces,
            evicted_spans_total = s.evicted_spans,
            max_spans = s.max_spans,
            max_bytes = s.max_bytes,
            "memory bound reached: evicting the oldest traces"
        );
    }

    /// A copy of one trace, if held.
    pub(crate) fn get(&self, id: &TraceId) -> Option<Vec<ResourceSpans>> {
        self.with_trace(id, TraceChunk::to_resource_spans)
    }

    /// Runs `f` on one stored trace, if held, under its shard's read lock:
    /// answers are written from the stored form without copying it (ingest
    /// into that shard waits meanwhile).
    pub(crate) fn with_trace<R>(
        &self,
        id: &TraceId,
        f: impl FnOnce(&TraceChunk) -> R,
    ) -> Option<R> {
        let data = self.shards[Self::shard_of(id)].data.read();
        let seq = data.seq_of.get(id)?;
        data.by_seq.get(seq).map(f)
    }

    /// Copies of the newest-created traces matching the query, at most
    /// `query.limit`, newest first.
    pub(crate) fn find(&self, query: &TraceQuery) -> Vec<Vec<ResourceSpans>> {
        self.find_ids(query)
            .iter()
            .filter_map(|id| self.get(id))
            .collect()
    }

    /// The ids of the newest-created traces matching the query, at most
    /// `query.limit`, newest first.
    pub(crate) fn find_ids(&self, query: &TraceQuery) -> Vec<TraceId> {
        let mut hits: Vec<(u64, TraceId)> = Vec::new();
        for shard in self.shards.iter() {
            let data = shard.data.read();
            hits.extend(
                data.blocks
                    .ranges(query.start_min, query.start_max)
                    .flat_map(|range| data.by_seq.range(range).rev())
                    .filter(|(_, t)| query.matches(t))
                    .take(query.limit)
                    .map(|(seq, t)| (*seq, t.id)),
            );
        }
        hits.sort_unstable_by_key(|(seq, _)| std::cmp::Reverse(*seq));
        hits.truncate(query.limit);
        hits.into_iter().map(|(_, id)| id).collect()
    }

    /// Every service, sorted.
    pub(crate) fn services(&self) -> Vec<String> {
        self.index.services()
    }

    /// The operations of a service, sorted, optionally of one kind.
    pub(crate) fn operations(&self, service: &str, kind: Option<&str>) -> Vec<Operation> {
        self.index.operations(service, kind)
    }

    /// The current counters.
    pub(crate) fn stats(&self) -> StoreStats {
        let c = &self.counters;
        StoreStats {
            spans: c.spans.load(Ordering::Relaxed),
            traces: c.traces.load(Ordering::Relaxed),
            bytes: c.bytes.load(Ordering::Relaxed),
            received_spans: c.received_spans.load(Ordering::Relaxed),
            rejected_spans: c.rejected_spans.load(Ordering::Relaxed),
            evicted_traces: c.evicted_traces.load(Ordering::Relaxed),
            evicted_spans: c.evicted_spans.load(Ordering::Relaxed),
            max_spans: self.limits.max_spans,
            max_bytes: self.limits.max_bytes,
        }
    }
}

fn fold(id: &TraceId) -> u64 {
    let (hi, lo) = id.halves();
    hi ^ lo
}

/// Hashes trace ids (already random) with one multiply instead of SipHash.
#[derive(Debug, Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 =
                (self.0.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{InstrumentationScope, Resource, Span};
    use crate::store::span::StoredSpan;
    use crate::store::trace::{ResourceChunk, ScopeChunk};

    /// A trace of `spans` spans charged 100 bytes each (the store adds
    /// [`TRACE_BYTES`] when it holds it).
    fn chunk(id: u8, spans: usize, start: i64) -> TraceChunk {
        chunk_of(TraceId([id; 16]), spans, start)
    }

    fn chunk_of(id: TraceId, spans: usize, start: i64) -> TraceChunk {
        let names = Interner::default();
        let mut strings = ExportStrings::new(&names);
        let mut c = TraceChunk::new(id);
        c.resources.push(ResourceChunk {
            resource: Arc::new(Resource::default()),
            service: Arc::from("svc"),
            scopes: vec![ScopeChunk {
                scope: Arc::new(InstrumentationScope::default()),
                spans: (0..spans)
                    .map(|i| {
                        let span = Span {
                            trace_id: id.0.to_vec(),
                            span_id: vec![i as u8 + 1; 8],
                            name: "op".into(),
                            start_time_unix_nano: start as u64,
                            end_time_unix_nano: start as u64 + 10,
                            ..Default::default()
                        };
                        StoredSpan::from_otlp(span, &mut strings).0
                    })
                    .collect(),
            }],
        });
        for _ in 0..spans {
            c.note_span(start, 100);
        }
        c
    }

    fn batch(chunks: Vec<TraceChunk>) -> Batch {
        Batch {
            traces: chunks,
            ..Default::default()
        }
    }

    /// Searches skip the blocks of sequence numbers outside their window
    /// and find exactly what a walk over every trace finds: the
    /// newest-created matches, at most the limit; also for traces that
    /// gained spans far from their first ones, and after evictions.
    #[test]
    fn windowed_searches_find_what_a_walk_over_every_trace_finds() {
        let store = Store::new(Limits {
            max_spans: 11_000,
            max_bytes: None,
        });
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let id = |n: u64| {
            let mut bytes = [0u8; 16];
            bytes[8..].copy_from_slice(&(n + 1).to_be_bytes());
            TraceId(bytes)
        };
        // Starts roughly in creation order, with jitter; every tenth trace
        // later gains a span anywhere in the run.
        for n in 0..14_000u64 {
            let start = n as i64 * 1_000 + (next() % 50_000) as i64;
            store.insert(batch(vec![chunk_of(id(n), 1, start)]));
            if n % 10 == 0 && n >= 100 {
                let late = (next() % 14_000_000) as i64;
                store.insert(batch(vec![chunk_of(id(n - 100), 1, late)]));
            }
        }
        assert!(store.stats().evicted_traces > 0, "some traces evicted");
        let walk = |q: &TraceQuery| -> Vec<TraceId> {
            let mut hits: Vec<(u64, TraceId)> = Vec::new();
            for shard in store.shards.iter() {
                let data = shard.data.read();
                hits.extend(
                    data.by_seq
                        .iter()
                        .filter(|(_, t)| q.matches(t))
                        .map(|(seq, t)| (*seq, t.id)),
                );
            }
            hits.sort_unstable_by_key(|(seq, _)| std::cmp::Reverse(*seq));
            hits.truncate(q.limit);
            hits.into_iter().map(|(_, id)| id).collect()
        };
        let mut found = 0;
        for round in 0..300 {
            let min = (next() % 15_000_000) as i64;
            let q = TraceQuery {
                start_min: (round % 7 != 0).then_some(min),
                start_max: (round % 5 != 0).then_some(min + (next() % 2_000_000) as i64),
                limit: 1 + (next() % 1_500) as usize,
                ..Default::default()
            };
            let (ids, expected) = (store.find_ids(&q), walk(&q));
            assert!(
                ids == expected,
                "round {round}: {q:?}: found {} traces, a walk finds {}",
                ids.len(),
                expected.len()
            );
            found += ids.len();
        }
        assert!(found > 10_000, "the windows find traces: {found}");
    }

    #[test]
    fn evicts_oldest_traces_first() {
        let store = Store::new(Limits {
            max_spans: 10,
            max_bytes: None,
        });
        for id in 1..=5 {
            store.insert(batch(vec![chunk(id, 3, 0)]));
        }
        let s = store.stats();
        assert_eq!((s.spans, s.traces), (9, 3));
        assert_eq!((s.evicted_traces, s.evicted_spans), (2, 6));
        assert!(store.get(&TraceId([1; 16])).is_none());
        assert!(store.get(&TraceId([2; 16])).is_none());
        assert!(store.get(&TraceId([3; 16])).is_some());
        assert!(store.get(&TraceId([5; 16])).is_some());
    }

    #[test]
    fn byte_bound_applies_too() {
        let store = Store::new(Limits {
            max_spans: 1_000,
            max_bytes: Some(450 + 2 * TRACE_BYTES as u64),
        });
        for id in 1..=4 {
            store.insert(batch(vec![chunk(id, 2, 0)]));
        }
        let s = store.stats();
        let held = 400 + 2 * TRACE_BYTES as u64;
        assert_eq!((s.bytes, s.traces, s.evicted_traces), (held, 2, 2));
    }

    fn held(store: &Store) -> Vec<u8> {
        (1..=u8::MAX)
            .filter(|id| store.get(&TraceId([*id; 16])).is_some())
            .collect()
    }

    #[test]
    fn the_span_bound_is_exact_at_the_boundary() {
        let store = Store::new(Limits {
            max_spans: 10,
            max_bytes: None,
        });
        // 4 + 4 + 2 = 10 spans fit exactly: nothing evicted.
        for (id, spans) in [(1, 4), (2, 4), (3, 2)] {
            assert_eq!(store.insert(batch(vec![chunk(id, spans, 0)])), None);
        }
        assert_eq!((store.stats().spans, store.stats().evicted_traces), (10, 0));
        // One more span evicts the oldest trace only, not more than needed.
        store.insert(batch(vec![chunk(4, 1, 0)]));
        assert_eq!(held(&store), [2, 3, 4]);
        assert_eq!(store.stats().spans, 7);
        // A trace of 11 spans can never fit: rejected, nothing evicted for it.
        let overflow = store
            .insert(batch(vec![chunk(5, 11, 0)]))
            .expect("rejected");
        assert_eq!(overflow.spans, 11);
        assert_eq!(
            overflow.message(),
            format!(
                "11 span(s) rejected: a trace must fit within the store's bounds (first: trace {} \
                 would hold 11 spans ({} estimated bytes), over --max-spans 10)",
                TraceId([5; 16]).to_jaeger_string(),
                1100 + TRACE_BYTES
            )
        );
        assert_eq!(held(&store), [2, 3, 4]);
        assert_eq!(store.stats().rejected_spans, 11);
        // A trace of exactly 10 spans fits alone: everything older goes.
        assert_eq!(store.insert(batch(vec![chunk(6, 10, 0)])), None);
        assert_eq!(held(&store), [6]);
        assert_eq!(store.stats().spans, 10);
        // A held trace that would grow past the bound keeps what it has.
        assert!(store.insert(batch(vec![chunk(6, 1, 0)])).is_some());
        assert_eq!((held(&store), store.stats().spans), (vec![6], 10));
    }

    #[test]
    fn the_byte_bound_is_exact_at_the_boundary() {
        // A trace the store charges exactly `total` bytes, its entry included.
        let costing = |id: u8, spans: usize, total: usize| {
            let mut c = chunk(id, spans, 0);
            c.bytes = total - TRACE_BYTES;
            batch(vec![c])
        };
        let store = Store::new(Limits {
            max_spans: 1_000,
            max_bytes: Some(1_000),
        });
        store.insert(costing(1, 2, 400));
        store.insert(costing(2, 3, 600));
        assert_eq!((held(&store), store.stats().bytes), (vec![1, 2], 1_000));
        // 1,001 bytes cannot fit: rejected, the 1,000 held stay.
        let overflow = store.insert(costing(3, 6, 1_001)).expect("rejected");
        assert!(
            overflow
                .first
                .ends_with("(1001 estimated bytes), over --max-bytes 1000"),
            "{overflow:?}"
        );
        assert_eq!((held(&store), store.stats().bytes), (vec![1, 2], 1_000));
        // 1,000 bytes fit alone.
        assert_eq!(store.insert(costing(4, 5, 1_000)), None);
        assert_eq!((held(&store), store.stats().bytes), (vec![4], 1_000));
    }

    #[test]
    fn appended_spans_keep_the_creation_order() {
        let store = Store::new(Limits {
            max_spans: 4,
            max_bytes: None,
        });
        store.insert(batch(vec![chunk(1, 1, 0)]));
        store.insert(batch(vec![chunk(2, 1, 0)]));
        // More spans of trace 1 do not make it younger.
        store.insert(batch(vec![chunk(1, 2, 0)]));
        store.insert(batch(vec![chunk(3, 1, 0)]));
        assert!(store.get(&TraceId([1; 16])).is_none());
        assert!(store.get(&TraceId([2; 16])).is_some());
        assert_eq!(store.stats().spans, 2);
    }

    #[test]
    fn finds_newest_first_within_the_limit() {
        let store = Store::new(Limits {
            max_spans: 1_000,
            max_bytes: None,
        });
        for id in 1..=40 {
            store.insert(batch(vec![chunk(id, 1, i64::from(id))]));
        }
        let q = TraceQuery {
            limit: 3,
            ..Default::default()
        };
        let found: Vec<u8> = store
            .find(&q)
            .iter()
            .map(|t| t[0].scope_spans[0].spans[0].trace_id[0])
            .collect();
        assert_eq!(found, [40, 39, 38]);
        let q = TraceQuery {
            limit: 100,
            start_min: Some(10),
            start_max: Some(12),
            ..Default::default()
        };
        assert_eq!(store.find(&q).len(), 3);
    }
}

//! The run-wide counts the connections keep besides their statistics: the
//! live counters of the progress line, the latest actual start (the end of
//! the send window the achieved rate is taken over), the requests a stop
//! dropped, the CLIENT spans ended, and a staged run's starts per stage.
//! Plain atomics, added to without a lock by every connection.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{stages::RateCurve, stats::Live};

/// The counts of one run.
///
/// Aligned to a cache line of its own, apart from the [`SlotGate`] the
/// pacer writes and from the settings every request reads, since every
/// connection adds to these once or twice per request.
///
/// [`SlotGate`]: crate::gate::SlotGate
#[derive(Debug)]
#[repr(align(64))]
pub(crate) struct RunCounters {
    /// Started, completed, failed: the progress line's figures.
    pub(crate) live: Live,
    /// Requests due but dropped by a stop before a connection sent them.
    pub(crate) cancelled: AtomicU64,
    /// Latest actual start, ns after the clock's base.
    pub(crate) last_start_ns: AtomicU64,
    /// CLIENT spans handed to the exporter.
    pub(crate) spans_ended: AtomicU64,
    /// A staged run's rate curve and the requests started in each stage.
    pub(crate) stage_starts: Option<StageStarts>,
}

/// The requests started in each stage of a staged run, to compare with the
/// requests the stage was due.
#[derive(Debug)]
pub(crate) struct StageStarts {
    pub(crate) curve: RateCurve,
    /// One count per segment of `curve`.
    pub(crate) counts: Box<[AtomicU64]>,
}

impl RunCounters {
    /// Zeroed counters; `stages` is the curve of a staged run.
    pub(crate) fn new(stages: Option<RateCurve>) -> RunCounters {
        RunCounters {
            live: Live::default(),
            cancelled: AtomicU64::new(0),
            last_start_ns: AtomicU64::new(0),
            spans_ended: AtomicU64::new(0),
            stage_starts: stages.map(|curve| StageStarts {
                counts: (0..curve.segments().len())
                    .map(|_| AtomicU64::new(0))
                    .collect(),
                curve,
            }),
        }
    }

    /// Counts a request started `since_base_ns` after the run's start: in
    /// the progress line, the send window and (staged runs) its stage.
    pub(crate) fn count_start(&self, since_base_ns: u64) {
        self.live.started.fetch_add(1, Ordering::Relaxed);
        self.last_start_ns
            .fetch_max(since_base_ns, Ordering::Relaxed);
        if let Some(stages) = &self.stage_starts {
            let stage = stages.curve.segment_at(since_base_ns as f64 / 1e9);
            if let Some(count) = stages.counts.get(stage) {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Counts a finished request for the progress line.
    pub(crate) fn count_finish(&self, ok: bool) {
        self.live.completed.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.live.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

//! The open-loop pacer: a dedicated thread that releases each request at its
//! intended start, whatever the connections are doing. A thread sleeps with
//! tens of microseconds of precision; the async timer rounds up to a
//! millisecond, which would add up to a millisecond to every corrected
//! latency.
//!
//! It wakes at most once per [`TICK`] and then releases every request due
//! (as wrk2 does): at high rates one wake-up (a futex sleep, a context
//! switch, a wake of a connection's thread) serves several requests instead
//! of one each. Intended starts stay those of the schedule, so latencies
//! are still measured from them (the coordinated-omission correction) and a
//! request released up to a tick late has that lateness in its latency and
//! its start lag.

use std::{
    sync::atomic::Ordering,
    thread,
    time::{Duration, Instant},
};

use tokio::sync::mpsc::UnboundedSender;

use crate::{
    plan::{Planner, Schedule},
    worker::{Job, Shared},
};

/// What the pacer did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Paced {
    /// Requests handed to the connections.
    pub(crate) dispatched: u64,
    /// Times a due request found the in-flight cap reached.
    pub(crate) cap_hits: u64,
    /// Requests of a timed run never sent because the run fell so far
    /// behind that the duration (plus its grace) ran out first.
    pub(crate) missed: u64,
}

/// How long a timed run that fell behind may go on sending its backlog past
/// its duration: a tenth of it, at least a second (so a late last slot of a
/// busy machine is still sent and the counts stay exact).
fn grace(duration: Duration) -> Duration {
    (duration / 10).max(Duration::from_secs(1))
}

/// The shortest time between two wake-ups of the pacer: the resolution of
/// oha's (Tokio's) timer, and of wrk2's. Below 1,000 rps the requests are
/// further apart and each is released on time; above, a wake-up releases
/// the requests of the last millisecond (20 at 20,000 rps). The cost per
/// request of a wake-up (measured at 20,000 rps: 250 µs ticks cost 15%
/// more CPU than 1 ms ticks) is what this trades against the start lag it
/// adds (at most the tick, a half on average), which the latencies, taken
/// from the intended start, include.
pub(crate) const TICK: Duration = Duration::from_micros(1000);

/// The longest the pacer sleeps before it looks at the cap again, should a
/// wake-up be missed.
const CAP_RECHECK: Duration = Duration::from_millis(5);

/// Releases the schedule's requests until it ends, the wall-clock duration
/// runs out (when behind), or a stop is requested.
pub(crate) fn pace(
    shared: &Shared,
    schedule: Schedule,
    mut planner: Planner,
    jobs: UnboundedSender<Job>,
) -> Paced {
    let t0 = shared.clock.base();
    let deadline = schedule.duration().map(|d| t0 + d + grace(d));
    let mut paced = Paced::default();
    let mut woke = Instant::now();
    while let Some(offset) = schedule.offset(paced.dispatched) {
        let intended = t0 + offset;
        let plan = planner.next_plan();
        if shared.stopped() {
            break;
        }
        if Instant::now() < intended {
            if !sleep_until(shared, intended.max(woke + TICK)) {
                break;
            }
            woke = Instant::now();
        }
        if shared.in_flight.load(Ordering::SeqCst) >= shared.max_in_flight {
            paced.cap_hits += 1;
            if !wait_for_slot(shared) {
                break;
            }
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            paced.missed = schedule.len() - paced.dispatched;
            break;
        }
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
        if jobs.send(Job { plan, intended }).is_err() {
            shared.in_flight.fetch_sub(1, Ordering::SeqCst);
            break;
        }
        paced.dispatched += 1;
    }
    paced
}

/// Sleeps until `t`; `false` when a stop came first.
fn sleep_until(shared: &Shared, t: Instant) -> bool {
    loop {
        if shared.stopped() {
            return false;
        }
        let now = Instant::now();
        if now >= t {
            return true;
        }
        thread::park_timeout(t - now);
    }
}

/// Waits until the in-flight count is below the cap; `false` on a stop.
fn wait_for_slot(shared: &Shared) -> bool {
    shared.pacer_waiting.store(true, Ordering::SeqCst);
    while shared.in_flight.load(Ordering::SeqCst) >= shared.max_in_flight && !shared.stopped() {
        thread::park_timeout(CAP_RECHECK);
    }
    shared.pacer_waiting.store(false, Ordering::SeqCst);
    !shared.stopped()
}

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

use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use crate::{
    gate::SlotGate,
    plan::{Planner, Schedule},
    worker::Job,
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

/// Releases the schedule's requests, from `t0` on, until it ends, the
/// wall-clock duration runs out (when behind), or a stop is requested.
pub(crate) fn pace(
    gate: &SlotGate,
    t0: Instant,
    schedule: Schedule,
    mut planner: Planner,
    jobs: UnboundedSender<Job>,
) -> Paced {
    let deadline = schedule.duration().map(|d| t0 + d + grace(d));
    let mut paced = Paced::default();
    let mut woke = Instant::now();
    while let Some(offset) = schedule.offset(paced.dispatched) {
        let intended = t0 + offset;
        let plan = planner.next_plan();
        if gate.stopped() {
            break;
        }
        if Instant::now() < intended {
            if !gate.sleep_until(intended.max(woke + TICK)) {
                break;
            }
            woke = Instant::now();
        }
        if gate.full() {
            paced.cap_hits += 1;
            if !gate.wait_for_slot() {
                break;
            }
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            paced.missed = schedule.len() - paced.dispatched;
            break;
        }
        gate.take();
        if jobs.send(Job { plan, intended }).is_err() {
            gate.release();
            break;
        }
        paced.dispatched += 1;
    }
    paced
}

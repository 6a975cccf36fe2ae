//! The slot gate between the pacer and the connections: how many requests
//! are scheduled and not yet finished (the `--max-in-flight` cap), and the
//! stop flag. It is the only state the pacer and the connections both
//! change, so it is kept apart from what only the connections record.
//!
//! The pacer is one thread that parks between releases; the gate knows it
//! so that a stop, or slots freed under a full cap, wake it at once instead
//! of at its next timeout.

use std::{
    sync::{
        OnceLock,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    thread::{self, Thread},
    time::{Duration, Instant},
};

/// The longest the pacer sleeps before it looks at the cap again, should a
/// wake-up be missed.
const CAP_RECHECK: Duration = Duration::from_millis(5);

/// The in-flight cap and the stop flag of one run.
///
/// Aligned to a cache line of its own: the pacer and every connection
/// write `in_flight` once per request, and that must not evict the
/// read-only settings or the connections' counters from the other core.
#[derive(Debug)]
#[repr(align(64))]
pub(crate) struct SlotGate {
    max_in_flight: usize,
    /// Scheduled and not yet finished (queued or on the wire).
    in_flight: AtomicUsize,
    /// The pacer is parked until a slot frees (the cap is full).
    pacer_waiting: AtomicBool,
    /// The pacer's thread, to unpark it; set once it is spawned.
    pacer: OnceLock<Thread>,
    stop: AtomicBool,
}

impl SlotGate {
    /// An open gate of `max_in_flight` slots.
    pub(crate) fn new(max_in_flight: usize) -> SlotGate {
        SlotGate {
            max_in_flight,
            in_flight: AtomicUsize::new(0),
            pacer_waiting: AtomicBool::new(false),
            pacer: OnceLock::new(),
            stop: AtomicBool::new(false),
        }
    }

    /// Names the pacer's thread, which stops and freed slots wake.
    pub(crate) fn set_pacer(&self, pacer: Thread) {
        let _ = self.pacer.set(pacer);
    }

    /// Whether every slot is taken.
    pub(crate) fn full(&self) -> bool {
        self.in_flight.load(Ordering::SeqCst) >= self.max_in_flight
    }

    /// Takes a slot for a request about to be queued (the pacer has checked
    /// [`SlotGate::full`] first: it is the only one that takes).
    pub(crate) fn take(&self) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
    }

    /// A scheduled request is done (finished, dropped, or never queued).
    /// The waiting pacer is woken once a quarter of the cap is free, not per
    /// request, so a saturated run does not pay a thread wake-up per request.
    pub(crate) fn release(&self) {
        let now = self.in_flight.fetch_sub(1, Ordering::SeqCst) - 1;
        let resume_at = self.max_in_flight - (self.max_in_flight / 4).max(1);
        if now <= resume_at && self.pacer_waiting.load(Ordering::SeqCst) {
            self.wake_pacer();
        }
    }

    /// Parks the pacer until a slot is free; `false` on a stop.
    pub(crate) fn wait_for_slot(&self) -> bool {
        self.pacer_waiting.store(true, Ordering::SeqCst);
        while self.full() && !self.stopped() {
            thread::park_timeout(CAP_RECHECK);
        }
        self.pacer_waiting.store(false, Ordering::SeqCst);
        !self.stopped()
    }

    /// Parks the pacer until `t`; `false` when a stop came first.
    pub(crate) fn sleep_until(&self, t: Instant) -> bool {
        loop {
            if self.stopped() {
                return false;
            }
            let now = Instant::now();
            if now >= t {
                return true;
            }
            thread::park_timeout(t - now);
        }
    }

    /// Stop sending: the pacer schedules nothing more, queued requests are
    /// dropped, requests on the wire finish.
    pub(crate) fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake_pacer();
    }

    /// Whether a stop was requested.
    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn wake_pacer(&self) {
        if let Some(pacer) = self.pacer.get() {
            pacer.unpark();
        }
    }
}

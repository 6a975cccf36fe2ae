//! One mapping from the monotonic clock to wall-clock time per run, so every
//! timestamp of a run (manifest, spans) is consistent and cheap to take.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A monotonic instant paired with the wall-clock time it stands for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    base: Instant,
    base_wall: SystemTime,
}

impl Clock {
    /// Pairs the two clocks now.
    pub(crate) fn start() -> Clock {
        Clock {
            base: Instant::now(),
            base_wall: SystemTime::now(),
        }
    }

    /// The instant the clock was started.
    pub(crate) fn base(&self) -> Instant {
        self.base
    }

    /// The wall-clock time of `t`.
    pub(crate) fn wall(&self, t: Instant) -> SystemTime {
        self.base_wall + t.saturating_duration_since(self.base)
    }

    /// Nanoseconds since the Unix epoch at `t` (span timestamps).
    pub(crate) fn epoch_ns(&self, t: Instant) -> u64 {
        self.wall(t)
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_nanos() as u64
    }

    /// Microseconds since the Unix epoch at `t` (the manifest's).
    pub(crate) fn epoch_us(&self, t: Instant) -> u64 {
        self.epoch_ns(t) / 1_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_map_onto_wall_clock_microseconds() {
        let clock = Clock::start();
        let later = clock.base() + Duration::from_micros(1_500);
        assert_eq!(clock.epoch_us(later) - clock.epoch_us(clock.base()), 1_500);
        assert_eq!(
            clock.epoch_ns(later) - clock.epoch_ns(clock.base()),
            1_500_000
        );
        let now_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_micros() as u64;
        assert!(now_us.abs_diff(clock.epoch_us(clock.base())) < 5_000_000);
    }
}

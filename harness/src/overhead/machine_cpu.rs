//! How busy the rest of the machine is: the CPU time of every process
//! (`/proc/stat`) minus this one's (`/proc/self/stat`), over a phase.

use std::time::Instant;

/// USER_HZ, the unit of `/proc`'s CPU times: 100 on every Linux ABI.
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU use over an interval.
#[derive(Debug, Clone, Copy)]
pub(super) struct Usage {
    /// CPU time of this process, seconds.
    pub(super) own_seconds: f64,
    /// The share of all CPUs the other processes used (0 to 1).
    pub(super) others_share: f64,
}

/// CPU times at one moment, in clock ticks.
pub(super) struct Sample {
    at: Instant,
    machine_busy: u64,
    own: u64,
    cpus: u64,
}

impl Sample {
    /// Now; `None` where `/proc` cannot be read.
    pub(super) fn now() -> Option<Sample> {
        let (machine_busy, cpus) = machine_busy()?;
        Some(Sample {
            at: Instant::now(),
            machine_busy,
            own: own_ticks()?,
            cpus,
        })
    }

    /// The CPU use since this sample.
    pub(super) fn usage_since(&self) -> Option<Usage> {
        let later = Sample::now()?;
        let capacity =
            later.at.duration_since(self.at).as_secs_f64() * TICKS_PER_SECOND * self.cpus as f64;
        let own = later.own.saturating_sub(self.own);
        let others = (later.machine_busy.saturating_sub(self.machine_busy)).saturating_sub(own);
        (capacity > 0.0).then(|| Usage {
            own_seconds: own as f64 / TICKS_PER_SECOND,
            others_share: (others as f64 / capacity).min(1.0),
        })
    }
}

/// Busy ticks of all CPUs (everything but idle and iowait) and the
/// number of CPUs.
fn machine_busy() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let mut lines = stat.lines();
    let total: Vec<u64> = lines
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let cpus = lines
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count() as u64;
    // user nice system idle iowait irq softirq steal ...
    let idle = total.get(3)? + total.get(4)?;
    let busy = total.iter().take(8).sum::<u64>().checked_sub(idle)?;
    Some((busy, cpus.max(1)))
}

/// This process's user + system ticks.
fn own_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name: state is field 3,
    // utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

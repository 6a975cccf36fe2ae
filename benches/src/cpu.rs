//! The CPU time of the whole process: what a span or a request costs the
//! machine, background threads included (the batch processor's export
//! thread, the Tokio workers that encode and send, the in-process sink),
//! where wall time on the calling thread would count only its own share,
//! and any idle wait as if it were work.

use std::time::Duration;

/// CPU time used by every thread of this process so far.
pub fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a
    // constant every POSIX system defines.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_with_work() {
        let before = process_cpu_time();
        let mut x = 0_u64;
        while process_cpu_time() < before + Duration::from_millis(5) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(process_cpu_time() > before);
    }
}

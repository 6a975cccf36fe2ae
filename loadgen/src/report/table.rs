//! The human form of a [`Report`]: a header, the schedule and tracing lines,
//! and a table with one row per scenario.

use std::fmt;

use super::{Report, dedup};

fn ms(us: u64) -> String {
    format!("{:.2}ms", us as f64 / 1000.0)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let run = &self.runs[..];
        if let [r] = run {
            writeln!(
                f,
                "loadgen {} -> {}: seed {}, shard {}, scenarios {}, mix {}, sampler {}, propagator {}, root spans {}",
                r.loadgen_version,
                r.target,
                r.seed,
                r.shard,
                r.scenarios,
                r.mix,
                r.sampler,
                r.propagator,
                if r.root_spans { "on" } else { "off" }
            )?;
            if r.stopped_early {
                writeln!(f, "stopped early: the remaining schedule was not sent")?;
            }
        } else {
            let targets: Vec<&str> = run.iter().map(|r| r.target.as_str()).collect();
            writeln!(
                f,
                "loadgen: {} merged runs -> {}",
                run.len(),
                dedup(&targets)
            )?;
        }
        let elapsed = run.iter().map(|r| r.elapsed_s).fold(0.0, f64::max);
        let s = &self.schedule;
        writeln!(
            f,
            "schedule: {} sent in {:.2}s, intended {:.1} rps, achieved {:.1} rps; start lag p50 {} p99 {} max {}; in-flight cap hit {} times{}",
            s.sent,
            elapsed,
            s.intended_rps,
            s.achieved_rps,
            ms(s.start_lag.p50_us),
            ms(s.start_lag.p99_us),
            ms(s.start_lag.max_us),
            s.cap_hits,
            if s.cancelled > 0 {
                format!("; {} cancelled by the stop", s.cancelled)
            } else {
                String::new()
            }
        )?;
        let mut at = 0.0;
        for (i, st) in self.stages.iter().enumerate() {
            writeln!(
                f,
                "stage {}: {:.0}s-{:.0}s {}->{} rps: intended {:.1} rps ({}), achieved {:.1} rps ({})",
                i + 1,
                at,
                at + st.seconds,
                st.from_rps,
                st.to_rps,
                st.intended_rps,
                st.intended,
                st.achieved_rps,
                st.sent
            )?;
            at += st.seconds;
        }
        if s.missed > 0 {
            writeln!(
                f,
                "missed: {} scheduled requests were never sent (the run fell behind past its duration)",
                s.missed
            )?;
        }
        if self.behind_schedule() {
            writeln!(
                f,
                "WARNING: the load generator did not keep up with the schedule (latencies below include the wait)"
            )?;
        }
        let t = &self.tracing;
        let decided = t.sampled + t.not_sampled;
        write!(
            f,
            "tracing: {} sampled of {} ({:.2}%)",
            t.sampled,
            decided + t.unknown,
            if decided > 0 {
                100.0 * t.sampled as f64 / decided as f64
            } else {
                0.0
            }
        )?;
        if t.unknown > 0 {
            write!(f, ", {} without traceresponse", t.unknown)?;
        }
        if run.iter().any(|r| r.root_spans) {
            write!(
                f,
                "; root spans exported {} of {}",
                t.root_spans_exported, t.root_spans_ended
            )?;
        }
        writeln!(f)?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<9}{:>9}{:>10}{:>9}{:>11}{:>9}{:>9}{:>6}{:>10}{:>10}{:>10}{:>10}{:>10}",
            "scenario",
            "requests",
            "rate/s",
            "ok",
            "unexpected",
            "connect",
            "timeout",
            "io",
            "p50",
            "p90",
            "p99",
            "p99.9",
            "max"
        )?;
        for r in self.scenarios.iter().chain(std::iter::once(&self.overall)) {
            let l = &r.latency;
            writeln!(
                f,
                "{:<9}{:>9}{:>10.1}{:>9}{:>11}{:>9}{:>9}{:>6}{:>10}{:>10}{:>10}{:>10}{:>10}",
                r.scenario,
                r.count,
                r.achieved_rps,
                r.ok,
                r.unexpected_status,
                r.errors.connect,
                r.errors.timeout,
                r.errors.io,
                ms(l.p50_us),
                ms(l.p90_us),
                ms(l.p99_us),
                ms(l.p999_us),
                ms(l.max_us)
            )?;
        }
        write!(f, "statuses:")?;
        for r in &self.scenarios {
            let codes: Vec<String> = r.statuses.iter().map(|(k, v)| format!("{k}x{v}")).collect();
            let codes_expected: Vec<String> =
                r.expected_status.iter().map(u16::to_string).collect();
            let expected = if codes_expected.is_empty() {
                String::new()
            } else {
                format!(" (expect {})", codes_expected.join("|"))
            };
            write!(
                f,
                " {}{} {};",
                r.scenario,
                expected,
                if codes.is_empty() {
                    "-".to_owned()
                } else {
                    codes.join(" ")
                }
            )?;
        }
        writeln!(f)?;
        if self.scenarios.iter().any(|r| !r.exemplars.is_empty()) {
            writeln!(
                f,
                "exemplars (a sampled request at each percentile; `verifier --explain TRACE_ID`; the JSON lists the {} slowest):",
                crate::exemplars::SLOWEST_KEPT
            )?;
            for r in &self.scenarios {
                for e in &r.exemplars {
                    writeln!(
                        f,
                        "  {:<8} {:<6} {:>9}  {}  (HTTP {})",
                        r.scenario,
                        e.percentile,
                        ms(e.exemplar.latency_us),
                        e.exemplar.trace_id,
                        e.exemplar
                            .status
                            .map_or_else(|| "-".to_owned(), |s| s.to_string())
                    )?;
                }
            }
        }
        for p in &self.problems {
            writeln!(f, "PROBLEM: {p}")?;
        }
        Ok(())
    }
}

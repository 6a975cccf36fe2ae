//! Rate stages (`--stages 30s:100,60s:2000`): the rate ramps linearly from
//! where it was (the `--rps` given with the stages, else 0) to each stage's
//! rate over the stage's duration, as k6's ramping arrival rate does. The
//! open-loop schedule follows the curve: slot `k` is due when the integral
//! of the rate reaches `k`, so the intended start times, not the pacer,
//! carry the ramp.

use std::{fmt, str::FromStr, time::Duration};

/// One stage: reach `rps` at the end of `duration`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// How long the ramp to `rps` takes.
    pub duration: Duration,
    /// The rate at the end of the stage (all shards together).
    pub rps: f64,
}

/// Parses `30s:100,60s:2000` (durations as humantime reads them).
pub fn parse_stages(s: &str) -> Result<Vec<Stage>, StageError> {
    let mut stages = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (d, r) = part
            .split_once(':')
            .ok_or_else(|| StageError::Shape(part.to_owned()))?;
        let duration =
            humantime::parse_duration(d.trim()).map_err(|source| StageError::Duration {
                stage: part.to_owned(),
                duration: d.to_owned(),
                source,
            })?;
        let rps: f64 = r
            .trim()
            .parse()
            .ok()
            .filter(|r: &f64| r.is_finite() && *r >= 0.0)
            .ok_or_else(|| StageError::Rate {
                stage: part.to_owned(),
                rate: r.to_owned(),
            })?;
        if duration.is_zero() {
            return Err(StageError::ZeroDuration(part.to_owned()));
        }
        stages.push(Stage { duration, rps });
    }
    if stages.is_empty() {
        return Err(StageError::Empty);
    }
    Ok(stages)
}

/// A `--stages` value that is not a list of `DURATION:RATE` stages.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StageError {
    /// A stage without its colon.
    #[error("expected DURATION:RATE, got {0:?}")]
    Shape(String),
    /// A duration `humantime` cannot read; its error is the source.
    #[error("stage {stage:?}: bad duration {duration:?}")]
    Duration {
        /// The stage as given.
        stage: String,
        /// Its duration part.
        duration: String,
        /// Why it is not a duration.
        #[source]
        source: humantime::DurationError,
    },
    /// A rate that is not a finite number of zero or more.
    #[error("stage {stage:?}: the rate must be a number >= 0, got {rate:?}")]
    Rate {
        /// The stage as given.
        stage: String,
        /// Its rate part.
        rate: String,
    },
    /// A stage of no time.
    #[error("stage {0:?}: the duration must be positive")]
    ZeroDuration(String),
    /// No stage at all.
    #[error("expected at least one DURATION:RATE stage")]
    Empty,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            humantime::format_duration(self.duration),
            self.rps
        )
    }
}

/// The `--stages` value as one flag value.
#[derive(Debug, Clone, PartialEq)]
pub struct Stages(pub Vec<Stage>);

impl FromStr for Stages {
    type Err = StageError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_stages(s).map(Stages)
    }
}

/// A stretch of linear rate: from `from` to `to` requests per second over
/// `seconds` (unbounded for a flat rate without stages).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Segment {
    pub(crate) start_s: f64,
    pub(crate) seconds: f64,
    pub(crate) from: f64,
    pub(crate) to: f64,
    /// Slots (all shards) due before this segment starts.
    slots_before: f64,
}

impl Segment {
    /// Slots due in the whole segment.
    fn slots(&self) -> f64 {
        self.seconds * (self.from + self.to) / 2.0
    }

    /// Seconds into the segment at which `m` slots of it are due:
    /// the root of `from·τ + (to − from)·τ²/(2·seconds) = m`, in the form
    /// that stays exact when `from` is 0 or the rate is flat.
    fn time_of(&self, m: f64) -> f64 {
        let slope = (self.to - self.from) / self.seconds;
        if slope == 0.0 || !slope.is_finite() {
            return m / self.from;
        }
        2.0 * m / (self.from + (self.from * self.from + 2.0 * slope * m).max(0.0).sqrt())
    }
}

/// The rate over the run: one flat unbounded segment, or the stages.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RateCurve {
    segments: Vec<Segment>,
}

impl RateCurve {
    /// A constant `rps`, without end.
    pub(crate) fn flat(rps: f64) -> RateCurve {
        RateCurve {
            segments: vec![Segment {
                start_s: 0.0,
                seconds: f64::INFINITY,
                from: rps,
                to: rps,
                slots_before: 0.0,
            }],
        }
    }

    /// Ramps from `start_rps` through `stages`.
    pub(crate) fn staged(start_rps: f64, stages: &[Stage]) -> RateCurve {
        let (mut t, mut from, mut before) = (0.0, start_rps, 0.0);
        let segments = stages
            .iter()
            .map(|stage| {
                let seg = Segment {
                    start_s: t,
                    seconds: stage.duration.as_secs_f64(),
                    from,
                    to: stage.rps,
                    slots_before: before,
                };
                t += seg.seconds;
                from = stage.rps;
                before += seg.slots();
                seg
            })
            .collect();
        RateCurve { segments }
    }

    /// The segments (one per stage).
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// When slot `k` (counting all shards) is due, in seconds from the start;
    /// `None` when the curve ends first.
    pub(crate) fn time_of(&self, k: f64) -> Option<f64> {
        self.segments
            .iter()
            .find(|s| k < s.slots_before + s.slots())
            .map(|s| s.start_s + s.time_of(k - s.slots_before))
    }

    /// The rate at `t` seconds.
    pub(crate) fn rate_at(&self, t: f64) -> f64 {
        self.segments
            .iter()
            .find(|s| t < s.start_s + s.seconds)
            .or(self.segments.last())
            .map_or(0.0, |s| {
                let tau = (t - s.start_s).clamp(0.0, s.seconds);
                if s.seconds.is_finite() {
                    s.from + (s.to - s.from) * tau / s.seconds
                } else {
                    s.from
                }
            })
    }

    /// The index of the segment `t` seconds falls in (the last one after
    /// the end).
    pub(crate) fn segment_at(&self, t: f64) -> usize {
        self.segments
            .iter()
            .position(|s| t < s.start_s + s.seconds)
            .unwrap_or(self.segments.len().saturating_sub(1))
    }

    /// The total length, if bounded.
    pub(crate) fn duration(&self) -> Option<Duration> {
        let end: f64 = self.segments.iter().map(|s| s.seconds).sum();
        end.is_finite().then(|| Duration::from_secs_f64(end))
    }

    /// The average rate over the curve (the flat rate when unbounded).
    pub(crate) fn average_rps(&self) -> f64 {
        match self.duration() {
            Some(d) => {
                let slots: f64 = self.segments.iter().map(Segment::slots).sum();
                slots / d.as_secs_f64()
            }
            None => self.segments.first().map_or(0.0, |s| s.from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_parse_and_bad_ones_say_why() {
        let s = parse_stages("30s:100, 1m:2000,500ms:0").unwrap();
        assert_eq!(
            s,
            [
                Stage {
                    duration: Duration::from_secs(30),
                    rps: 100.0
                },
                Stage {
                    duration: Duration::from_secs(60),
                    rps: 2000.0
                },
                Stage {
                    duration: Duration::from_millis(500),
                    rps: 0.0
                },
            ]
        );
        for (bad, reason) in [
            ("30s", "DURATION:RATE"),
            ("soon:10", "bad duration"),
            ("10s:-1", ">= 0"),
            ("10s:fast", ">= 0"),
            ("0s:10", "positive"),
            ("", "at least one"),
        ] {
            let err = parse_stages(bad).unwrap_err().to_string();
            assert!(err.contains(reason), "{bad}: {err}");
        }
        // humantime's reason is the source, after the message on one line.
        assert_eq!(
            cli_support::error_chain(&parse_stages("soon:10").unwrap_err()),
            "stage \"soon:10\": bad duration \"soon\": expected number at 0"
        );
    }

    #[test]
    fn a_ramp_places_its_slots_on_the_integral_of_the_rate() {
        // 0 -> 100 rps over 10 s: 500 slots; slot k is due at sqrt(k / 5).
        let c = RateCurve::staged(0.0, &parse_stages("10s:100,10s:100").unwrap());
        for k in [1.0, 20.0, 125.0, 499.0] {
            let t = c.time_of(k).unwrap();
            assert!((t - (k / 5.0_f64).sqrt()).abs() < 1e-9, "{k}: {t}");
        }
        // Then flat at 100 rps: slot 500 + j at 10 + j/100.
        assert!((c.time_of(750.0).unwrap() - 12.5).abs() < 1e-9);
        assert_eq!(c.time_of(1500.0), None, "past the end");
        assert_eq!(c.duration(), Some(Duration::from_secs(20)));
        assert!((c.average_rps() - 75.0).abs() < 1e-9);
        assert!((c.rate_at(5.0) - 50.0).abs() < 1e-9);
        assert_eq!(c.segment_at(9.99), 0);
        assert_eq!(c.segment_at(10.0), 1);
        // Down ramps too: 200 -> 0 over 2 s is 200 slots, the last near the end.
        let down = RateCurve::staged(200.0, &parse_stages("2s:0").unwrap());
        assert!((down.time_of(0.0).unwrap()).abs() < 1e-12);
        let last = down.time_of(199.0).unwrap();
        assert!(last > 1.8 && last < 2.0, "{last}");
        assert_eq!(down.time_of(200.0), None);
    }

    #[test]
    fn the_flat_curve_is_the_plain_rate() {
        let c = RateCurve::flat(1000.0);
        assert_eq!(c.time_of(3.0), Some(0.003));
        assert_eq!(c.duration(), None);
        assert_eq!(c.average_rps(), 1000.0);
    }
}

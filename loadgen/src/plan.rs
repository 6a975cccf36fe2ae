//! What each request of a run will be: when it is due (the open-loop
//! [`Schedule`]) and what it sends (the seeded [`Planner`]).

use std::time::Duration;

use std::sync::Arc;

use opentelemetry::trace::{SpanId, SpanKind, TraceId};
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, ShouldSample};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{
    config::{LoadConfig, SamplerChoice, Shard, Target},
    error::LoadError,
    propagator::{Propagator, TraceHeaders},
    scenario::{
        Mix, ScenarioSet,
        render::{Rendered, Renderer},
    },
    stages::{RateCurve, Stage},
};

/// The fixed intended start times of one shard: shard `i` of `n` takes the
/// slots `i, i + n, i + 2n, ...` of a common schedule whose slots follow the
/// rate curve (a flat rate, or the stages), so shards started together
/// interleave evenly in every stage.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    curve: RateCurve,
    shard: Shard,
    requests: Option<u64>,
    duration: Option<Duration>,
}

impl Schedule {
    /// The schedule of a run's flags: a flat `rps` for `duration`, or the
    /// `stages` ramping from `rps` (they set the length).
    pub(crate) fn of_run(
        rps: f64,
        stages: &[Stage],
        shard: Shard,
        requests: Option<u64>,
        duration: Option<Duration>,
    ) -> Schedule {
        if stages.is_empty() {
            Schedule::new(RateCurve::flat(rps), shard, requests, duration)
        } else {
            Schedule::new(RateCurve::staged(rps, stages), shard, requests, None)
        }
    }

    /// `requests` counts all shards together; this shard gets its share.
    /// The run ends at `duration` or at the end of the curve, whichever
    /// comes first.
    pub(crate) fn new(
        curve: RateCurve,
        shard: Shard,
        requests: Option<u64>,
        duration: Option<Duration>,
    ) -> Schedule {
        let duration = match (duration, curve.duration()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Schedule {
            curve,
            shard,
            requests,
            duration,
        }
    }

    /// Offset of request `seq` from the start of the run, or `None` past the end.
    pub(crate) fn offset(&self, seq: u64) -> Option<Duration> {
        if self
            .requests
            .is_some_and(|total| seq >= self.shard_requests(total))
        {
            return None;
        }
        let slot = seq as f64 * f64::from(self.shard.count) + f64::from(self.shard.index);
        let offset = Duration::from_secs_f64(self.curve.time_of(slot)?);
        match self.duration {
            Some(d) if offset >= d => None,
            _ => Some(offset),
        }
    }

    /// This shard's number of requests, if bounded by a count.
    pub(crate) fn shard_total(&self) -> Option<u64> {
        self.requests.map(|total| self.shard_requests(total))
    }

    /// How many requests the whole schedule of this shard holds.
    pub(crate) fn len(&self) -> u64 {
        let by_time = self.duration.map_or(u64::MAX, |d| {
            self.slots_below(self.slots_by(d.as_secs_f64()))
                .min(u64::MAX as f64) as u64
        });
        let mut len = self.shard_total().unwrap_or(u64::MAX).min(by_time);
        // Settle the float estimate against `offset` itself.
        while len > 0 && self.offset(len - 1).is_none() {
            len -= 1;
        }
        while self.offset(len).is_some() {
            len += 1;
        }
        len
    }

    /// Slots (all shards) due before `t` seconds.
    fn slots_by(&self, t: f64) -> f64 {
        let mut slots = 0.0;
        for seg in self.curve.segments() {
            let tau = (t - seg.start_s).clamp(0.0, seg.seconds);
            if tau <= 0.0 {
                break;
            }
            let slope = if seg.seconds.is_finite() {
                (seg.to - seg.from) / seg.seconds
            } else {
                0.0
            };
            slots += seg.from * tau + slope * tau * tau / 2.0;
        }
        slots
    }

    /// How many of this shard's slots (`i, i + n, ...`) are below `x`.
    fn slots_below(&self, x: f64) -> f64 {
        let (i, n) = (f64::from(self.shard.index), f64::from(self.shard.count));
        ((x - i) / n).ceil().max(0.0)
    }

    /// This shard's share of `total` requests.
    fn shard_requests(&self, total: u64) -> u64 {
        let (i, n) = (u64::from(self.shard.index), u64::from(self.shard.count));
        if total > i {
            (total - i - 1) / n + 1
        } else {
            0
        }
    }

    /// This shard's intended rate on average.
    pub(crate) fn shard_rps(&self) -> f64 {
        self.curve.average_rps() / f64::from(self.shard.count)
    }

    /// The time between two requests of this shard at `offset` (zero where
    /// the rate is).
    pub(crate) fn interval_at(&self, offset: Duration) -> Duration {
        let rate = self.curve.rate_at(offset.as_secs_f64()) / f64::from(self.shard.count);
        if rate > 0.0 {
            Duration::from_secs_f64(1.0 / rate)
        } else {
            Duration::ZERO
        }
    }

    /// The wall-clock length of the run, if bounded by time.
    pub(crate) fn duration(&self) -> Option<Duration> {
        self.duration
    }

    /// The rate curve.
    pub(crate) fn curve(&self) -> &RateCurve {
        &self.curve
    }

    /// This shard's requests due in each stage of a staged run, given the
    /// run's length `len` (from [`Schedule::len`]).
    pub(crate) fn per_stage(&self, len: u64) -> Vec<u64> {
        let (i, n) = (self.shard.index, self.shard.count);
        // Slot k = seq·n + i of this shard exists for seq < len.
        let end = (len as f64) * f64::from(n) + f64::from(i);
        self.curve
            .segments()
            .iter()
            .map(|seg| {
                let from = self.slots_by(seg.start_s).min(end);
                let to = self.slots_by(seg.start_s + seg.seconds).min(end);
                (self.slots_below(to) - self.slots_below(from)) as u64
            })
            .collect()
    }
}

/// The trace ids of one request and the sampling decision on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TraceIds {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    pub(crate) sampled: bool,
}

/// One planned request.
#[derive(Debug, Clone)]
pub(crate) struct RequestPlan {
    /// The request's number in the run, all shards together (`{{seq}}`,
    /// the manifest's `seq`).
    pub(crate) seq: u64,
    /// Position of the scenario in the run's [`ScenarioSet`].
    pub(crate) scenario: usize,
    pub(crate) request: Rendered,
    /// `None` with `--sampler none`.
    pub(crate) ids: Option<TraceIds>,
    /// The trace context headers (none with `--sampler none`).
    pub(crate) trace_headers: TraceHeaders,
}

/// Draws each request's scenario, rendering and ids from generators seeded
/// by the seed and the shard, in sequence: the same seed and shard give the
/// same requests.
#[derive(Debug)]
pub(crate) struct Planner {
    choices: ChaCha8Rng,
    ids: ChaCha8Rng,
    scenarios: Arc<ScenarioSet>,
    renderer: Renderer,
    propagator: Propagator,
    sampler: Option<Sampler>,
    shard: Shard,
    seq: u64,
}

/// What a [`Planner`] draws from.
pub(crate) struct PlannerParts {
    pub(crate) seed: u64,
    pub(crate) shard: Shard,
    pub(crate) scenarios: Arc<ScenarioSet>,
    pub(crate) renderer: Renderer,
    pub(crate) propagator: Propagator,
    pub(crate) sampler: SamplerChoice,
}

impl Planner {
    pub(crate) fn new(p: PlannerParts) -> Planner {
        let PlannerParts {
            seed,
            shard,
            scenarios,
            renderer,
            propagator,
            sampler,
        } = p;
        let stream = |k: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(u64::from(shard.index) * 2 + k);
            rng
        };
        Planner {
            choices: stream(0),
            ids: stream(1),
            scenarios,
            renderer,
            propagator,
            shard,
            sampler: match sampler {
                SamplerChoice::Ratio(r) => Some(Sampler::TraceIdRatioBased(r)),
                SamplerChoice::None => None,
            },
            seq: 0,
        }
    }

    /// The next request.
    pub(crate) fn next_plan(&mut self) -> RequestPlan {
        let scenario = self
            .scenarios
            .pick(self.choices.random_range(0..self.scenarios.total_weight()));
        // The request's slot in the schedule all shards share: unique across
        // shards, so `{{seq}}` and the manifest's `seq` are the same number
        // (as k6's `exec.scenario.iterationInTest` is one count for every
        // instance).
        let seq = self.seq * u64::from(self.shard.count) + u64::from(self.shard.index);
        let request = self.renderer.render(scenario, &mut self.choices, seq);
        let span_name = self.scenarios.get(scenario).map_or("", |s| s.span_name());
        let ids = self.sampler.as_ref().map(|sampler| {
            let trace_id = TraceId::from(nonzero(|| self.ids.random::<u128>()));
            let span_id = SpanId::from(nonzero(|| self.ids.random::<u64>()));
            let decision = sampler
                .should_sample(None, trace_id, span_name, &SpanKind::Client, &[], &[])
                .decision;
            TraceIds {
                trace_id,
                span_id,
                sampled: decision == SamplingDecision::RecordAndSample,
            }
        });
        let plan = RequestPlan {
            seq,
            scenario,
            request,
            ids,
            trace_headers: ids.map_or_else(Default::default, |ids| self.propagator.headers(&ids)),
        };
        self.seq += 1;
        plan
    }
}

/// The scenarios a run draws from (the file's, with `--mix` applied) and
/// their renderer for `target`.
pub(crate) fn prepare_scenarios(
    scenarios: ScenarioSet,
    mix: Option<&Mix>,
    target: &Target,
) -> Result<(Arc<ScenarioSet>, Renderer), LoadError> {
    let scenarios = match mix {
        Some(mix) => scenarios.with_mix(mix)?,
        None => scenarios,
    };
    let renderer = Renderer::new(&scenarios, target)?;
    Ok((Arc::new(scenarios), renderer))
}

/// One request a shard will send, as [`plan_shard`] computes it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRequest {
    /// Its slot in the schedule all shards share (the manifest's `seq`,
    /// `{{seq}}`).
    pub seq: u64,
    /// Its intended start after the start of the run.
    pub offset: Duration,
    /// Its trace id (none with `--sampler none`).
    pub trace_id: Option<TraceId>,
}

/// What one shard of a configuration sends, computed by the code a run
/// uses, without sending anything: so a deployment of N shards (say a
/// Kubernetes Indexed Job) can be checked to add up to the load asked for
/// and to draw disjoint trace ids.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardPlan {
    /// This shard's intended rate on average (the report's `rps`).
    pub rps: f64,
    /// How many requests its schedule holds in all.
    pub len: u64,
    /// Its first requests, in order (at most the `limit` asked for).
    pub requests: Vec<PlannedRequest>,
}

/// The plan of `config`'s shard: its rate, its length and its first
/// `limit` requests, with the slots, intended starts and trace ids a run
/// of the same configuration (and seed) gives them.
pub fn plan_shard(config: &LoadConfig, limit: usize) -> Result<ShardPlan, LoadError> {
    config.validate()?;
    let (scenarios, renderer) = prepare_scenarios(
        config.scenarios.clone(),
        config.mix.as_ref(),
        &config.target,
    )?;
    let schedule = Schedule::of_run(
        config.rps,
        &config.stages,
        config.shard,
        config.requests,
        config.duration,
    );
    let mut planner = Planner::new(PlannerParts {
        seed: config.seed,
        shard: config.shard,
        scenarios,
        renderer,
        propagator: config.propagator,
        sampler: config.sampler,
    });
    let requests = (0..limit as u64)
        .map_while(|k| schedule.offset(k))
        .map(|offset| {
            let plan = planner.next_plan();
            PlannedRequest {
                seq: plan.seq,
                offset,
                trace_id: plan.ids.map(|ids| ids.trace_id),
            }
        })
        .collect();
    Ok(ShardPlan {
        rps: schedule.shard_rps(),
        len: schedule.len(),
        requests,
    })
}

fn nonzero<T: Default + PartialEq>(mut draw: impl FnMut() -> T) -> T {
    loop {
        let v = draw();
        if v != T::default() {
            return v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(index: u32, count: u32) -> Shard {
        Shard { index, count }
    }

    #[test]
    fn the_schedule_is_fixed_and_shards_interleave() {
        let s = Schedule::new(
            RateCurve::flat(1000.0),
            shard(0, 1),
            None,
            Some(Duration::from_millis(10)),
        );
        let offsets: Vec<_> = (0..11).map(|k| s.offset(k)).collect();
        assert_eq!(offsets[3], Some(Duration::from_millis(3)));
        assert_eq!(offsets[10], None, "the duration is exclusive");
        assert_eq!(s.len(), 10);
        let thirds = Schedule::new(
            RateCurve::flat(3.0),
            shard(2, 3),
            None,
            Some(Duration::from_secs(5)),
        );
        assert_eq!(thirds.len(), 5, "slots 2, 5, 8, 11, 14 of 0..15");
        let a = Schedule::new(RateCurve::flat(1000.0), shard(0, 2), None, None);
        let b = Schedule::new(RateCurve::flat(1000.0), shard(1, 2), None, None);
        assert_eq!(a.offset(1), Some(Duration::from_millis(2)));
        assert_eq!(b.offset(1), Some(Duration::from_millis(3)));
        assert_eq!(a.shard_rps(), 500.0);
    }

    #[test]
    fn shards_split_the_requests_exactly() {
        for total in [0u64, 1, 2, 7, 10, 1001] {
            let counts: Vec<u64> = (0..3)
                .map(|i| {
                    let s = Schedule::new(RateCurve::flat(10.0), shard(i, 3), Some(total), None);
                    (0..).take_while(|&k| s.offset(k).is_some()).count() as u64
                })
                .collect();
            assert_eq!(counts.iter().sum::<u64>(), total, "{counts:?}");
            let lens: Vec<u64> = (0..3)
                .map(|i| Schedule::new(RateCurve::flat(10.0), shard(i, 3), Some(total), None).len())
                .collect();
            assert_eq!(lens, counts);
            assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1);
        }
    }

    #[test]
    fn shards_split_every_stage() {
        let stages = crate::stages::parse_stages("2s:200,3s:2000").unwrap();
        let curve = RateCurve::staged(200.0, &stages);
        // 400 slots in the flat stage, 3,300 in the ramp.
        let whole = Schedule::new(curve.clone(), shard(0, 1), None, None);
        assert_eq!(whole.duration(), Some(Duration::from_secs(5)));
        assert_eq!(whole.per_stage(whole.len()), [400, 3300]);
        let mut sums = [0, 0];
        for i in 0..3 {
            let s = Schedule::new(curve.clone(), shard(i, 3), None, None);
            let per = s.per_stage(s.len());
            let counted: Vec<u64> = [0.0, 2.0, 5.0]
                .windows(2)
                .map(|w| {
                    (0..s.len())
                        .filter(|&k| {
                            let t = s.offset(k).unwrap().as_secs_f64();
                            t >= w[0] && t < w[1]
                        })
                        .count() as u64
                })
                .collect();
            assert_eq!(per, counted, "shard {i}");
            assert!(
                per[0].abs_diff(400 / 3) <= 1 && per[1].abs_diff(1100) <= 1,
                "{per:?}"
            );
            sums[0] += per[0];
            sums[1] += per[1];
        }
        assert_eq!(sums, [400, 3300]);
        // A count cuts the schedule inside a stage.
        let capped = Schedule::new(curve, shard(0, 1), Some(500), None);
        assert_eq!(capped.per_stage(capped.len()), [400, 100]);
    }

    fn plans(seed: u64, shard: Shard, sampler: SamplerChoice, n: usize) -> Vec<RequestPlan> {
        let scenarios = ScenarioSet::order_payment();
        let target = crate::Target::parse("http://127.0.0.1:1").unwrap();
        let mut p = Planner::new(PlannerParts {
            seed,
            shard,
            renderer: Renderer::new(&scenarios, &target).unwrap(),
            scenarios: Arc::new(scenarios),
            propagator: Propagator::TraceContext,
            sampler,
        });
        (0..n).map(|_| p.next_plan()).collect()
    }

    #[test]
    fn the_same_seed_and_shard_plan_the_same_requests() {
        let key = |p: &RequestPlan| (p.seq, p.scenario, p.request.body.clone(), p.ids);
        let a: Vec<_> = plans(5, shard(0, 1), SamplerChoice::Ratio(0.5), 50)
            .iter()
            .map(key)
            .collect();
        let b: Vec<_> = plans(5, shard(0, 1), SamplerChoice::Ratio(0.5), 50)
            .iter()
            .map(key)
            .collect();
        let c: Vec<_> = plans(6, shard(0, 1), SamplerChoice::Ratio(0.5), 50)
            .iter()
            .map(key)
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn shards_of_one_seed_never_share_trace_ids() {
        let ids = |i| -> std::collections::HashSet<TraceId> {
            plans(1, shard(i, 2), SamplerChoice::Ratio(1.0), 500)
                .iter()
                .map(|p| p.ids.unwrap().trace_id)
                .collect()
        };
        assert!(ids(0).is_disjoint(&ids(1)));
    }

    #[test]
    fn the_decision_is_the_sdk_ratio_sampler_on_the_trace_id() {
        let all = plans(3, shard(0, 1), SamplerChoice::Ratio(0.3), 2000);
        for plan in &all {
            let ids = plan.ids.unwrap();
            // TraceIdRatioBased: the low 63 bits against ratio * 2^63.
            let low = u64::from_be_bytes(ids.trace_id.to_bytes()[8..].try_into().unwrap()) >> 1;
            assert_eq!(ids.sampled, low < (0.3 * (1u64 << 63) as f64) as u64);
            let (name, tp) = plan.trace_headers[0].clone().unwrap();
            assert_eq!(name, "traceparent");
            let tp = tp.to_str().unwrap().to_owned();
            assert_eq!(
                tp,
                format!(
                    "00-{}-{}-0{}",
                    ids.trace_id,
                    ids.span_id,
                    u8::from(ids.sampled)
                )
            );
        }
        let sampled = all.iter().filter(|p| p.ids.unwrap().sampled).count();
        assert!((500..700).contains(&sampled), "{sampled}");
        assert!(
            plans(3, shard(0, 1), SamplerChoice::None, 5)
                .iter()
                .all(|p| p.ids.is_none())
        );
    }

    #[test]
    fn shard_plans_add_up_to_the_rate_and_never_share_a_slot_or_a_trace_id() {
        let mut config = LoadConfig::new(Target::parse("http://127.0.0.1:8000").unwrap(), 900.0);
        config.duration = Some(Duration::from_secs(2));
        config.seed = 7;
        let mut seqs = std::collections::HashSet::new();
        let mut ids = std::collections::HashSet::new();
        let (mut rate, mut len) = (0.0, 0);
        for index in 0..3 {
            config.shard = shard(index, 3);
            let plan = plan_shard(&config, usize::MAX).unwrap();
            rate += plan.rps;
            len += plan.len;
            assert_eq!(plan.requests.len() as u64, plan.len);
            for r in &plan.requests {
                assert_eq!(r.seq % 3, u64::from(index));
                assert!(seqs.insert(r.seq), "slot {} twice", r.seq);
                assert!(ids.insert(r.trace_id.unwrap()), "a trace id twice");
            }
        }
        assert!((rate - 900.0).abs() < 1e-9, "{rate}");
        assert_eq!(len, 1800, "2 s at 900 rps");
        assert_eq!(seqs.len(), 1800);
    }
}

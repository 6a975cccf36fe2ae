//! The state the pacer and the connections share, and the loop each
//! connection runs: take the next due request, send it, record it.

use std::{
    net::SocketAddr,
    sync::{
        Arc, OnceLock,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    thread::Thread,
    time::{Duration, Instant},
};

use parking_lot::Mutex;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::{
    client::{self, Connection, SendFailure, TargetAnswer, TargetTls},
    client_span::{ClientSpan, ClientSpanExporter},
    clock::Clock,
    config::Target,
    exemplars::Sampled,
    manifest::{ManifestLine, ManifestWriter, Outcome},
    plan::{RequestPlan, TraceIds},
    scenario::ScenarioSet,
    stages::RateCurve,
    stats::{Finished, Live, Stats},
};

/// A request handed to the connections at its intended start.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) plan: RequestPlan,
    pub(crate) intended: Instant,
}

/// The jobs, shared by all connections: whichever is free takes the next.
pub(crate) type JobQueue = Arc<tokio::sync::Mutex<UnboundedReceiver<Job>>>;

/// What the pacer and the connections of one run share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) target: Target,
    pub(crate) scenarios: Arc<ScenarioSet>,
    pub(crate) addr: SocketAddr,
    /// TLS of an `https://` target.
    pub(crate) tls: Option<TargetTls>,
    pub(crate) timeout: Duration,
    /// `--sampler none`: read `traceresponse` instead of sending `traceparent`.
    pub(crate) read_traceresponse: bool,
    pub(crate) clock: Clock,
    pub(crate) max_in_flight: usize,
    /// Scheduled and not yet finished (queued or on the wire).
    pub(crate) in_flight: AtomicUsize,
    pub(crate) pacer_waiting: AtomicBool,
    pub(crate) pacer: OnceLock<Thread>,
    stop: AtomicBool,
    pub(crate) live: Live,
    pub(crate) cancelled: AtomicU64,
    /// Latest actual start, ns after the clock's base.
    pub(crate) last_start_ns: AtomicU64,
    pub(crate) stats: Box<[Mutex<Stats>]>,
    pub(crate) manifest: Option<ManifestWriter>,
    pub(crate) spans: Option<ClientSpanExporter>,
    pub(crate) spans_ended: AtomicU64,
    /// A staged run's rate curve, and the requests started in each stage.
    pub(crate) stages: Option<RateCurve>,
    pub(crate) stage_starts: Box<[AtomicU64]>,
}

/// The parts of [`Shared`] a run sets up.
pub(crate) struct SharedParts {
    pub(crate) target: Target,
    pub(crate) scenarios: Arc<ScenarioSet>,
    pub(crate) addr: SocketAddr,
    pub(crate) tls: Option<TargetTls>,
    pub(crate) timeout: Duration,
    pub(crate) read_traceresponse: bool,
    pub(crate) clock: Clock,
    pub(crate) max_in_flight: usize,
    pub(crate) stat_shards: usize,
    pub(crate) manifest: Option<ManifestWriter>,
    pub(crate) spans: Option<ClientSpanExporter>,
    pub(crate) stages: Option<RateCurve>,
}

impl Shared {
    pub(crate) fn new(p: SharedParts) -> Shared {
        let scenario_count = p.scenarios.len();
        Shared {
            target: p.target,
            scenarios: p.scenarios,
            addr: p.addr,
            tls: p.tls,
            timeout: p.timeout,
            read_traceresponse: p.read_traceresponse,
            clock: p.clock,
            max_in_flight: p.max_in_flight,
            in_flight: AtomicUsize::new(0),
            pacer_waiting: AtomicBool::new(false),
            pacer: OnceLock::new(),
            stop: AtomicBool::new(false),
            live: Live::default(),
            cancelled: AtomicU64::new(0),
            last_start_ns: AtomicU64::new(0),
            stats: (0..p.stat_shards.max(1))
                .map(|_| Mutex::new(Stats::new(scenario_count)))
                .collect(),
            manifest: p.manifest,
            spans: p.spans,
            spans_ended: AtomicU64::new(0),
            stage_starts: (0..p.stages.as_ref().map_or(0, |c| c.segments().len()))
                .map(|_| AtomicU64::new(0))
                .collect(),
            stages: p.stages,
        }
    }

    /// Counts a request started `since_base_ns` after the start in the
    /// stage it falls in (a staged run only).
    fn count_stage_start(&self, since_base_ns: u64) {
        if let Some(curve) = &self.stages {
            let stage = curve.segment_at(since_base_ns as f64 / 1e9);
            if let Some(count) = self.stage_starts.get(stage) {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Stop sending: the pacer schedules nothing more, queued requests are
    /// dropped, requests on the wire finish.
    pub(crate) fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake_pacer();
    }

    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn wake_pacer(&self) {
        if let Some(pacer) = self.pacer.get() {
            pacer.unpark();
        }
    }

    /// A scheduled request is done (finished or dropped). The waiting pacer
    /// is woken once a quarter of the cap is free, not per request, so a
    /// saturated run does not pay a thread wake-up per request.
    fn release_slot(&self) {
        let now = self.in_flight.fetch_sub(1, Ordering::SeqCst) - 1;
        let resume_at = self.max_in_flight - (self.max_in_flight / 4).max(1);
        if now <= resume_at && self.pacer_waiting.load(Ordering::SeqCst) {
            self.wake_pacer();
        }
    }

    /// Records a finished request everywhere it goes.
    fn finish(
        &self,
        job: &Job,
        start: Instant,
        end: Instant,
        result: Result<TargetAnswer, SendFailure>,
        stats: &Mutex<Stats>,
    ) {
        let plan = &job.plan;
        let Some(scenario) = self.scenarios.get(plan.scenario) else {
            return;
        };
        let (status, outcome, failure) = match &result {
            Ok(a) if scenario.expects(a.status) => (Some(a.status), Outcome::Ok, None),
            Ok(a) => (Some(a.status), Outcome::UnexpectedStatus, None),
            Err(f) => (None, f.kind, Some(f.message.as_str())),
        };
        // The ids sent, or with `--sampler none` the ones the server reported.
        let ids = plan.ids.or_else(|| {
            let tr = result.as_ref().ok()?.traceresponse?;
            Some(TraceIds {
                trace_id: tr.trace_id,
                span_id: tr.span_id,
                sampled: tr.sampled,
            })
        });
        let root_span = match (&self.spans, plan.ids) {
            (Some(spans), Some(sent)) if sent.sampled => {
                spans.record(ClientSpan {
                    ids: sent,
                    scenario,
                    url_full: &plan.request.url_full,
                    start_unix_ns: self.clock.epoch_ns(start),
                    end_unix_ns: self.clock.epoch_ns(end),
                    status,
                    outcome,
                    failure,
                });
                self.spans_ended.fetch_add(1, Ordering::Relaxed);
                true
            }
            _ => false,
        };
        let latency_us = end.saturating_duration_since(job.intended).as_micros() as u64;
        let exemplar = ids.filter(|i| i.sampled).map(|i| Sampled {
            trace_id: i.trace_id,
            latency_us,
            status,
            intended_start_us: self.clock.epoch_us(job.intended),
        });
        stats.lock().record(&Finished {
            scenario: plan.scenario,
            outcome,
            status,
            latency_us,
            start_lag_us: start.saturating_duration_since(job.intended).as_micros() as u64,
            sampled: ids.map(|i| i.sampled),
            exemplar,
        });
        self.live.completed.fetch_add(1, Ordering::Relaxed);
        if outcome != Outcome::Ok {
            self.live.failed.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(manifest) = &self.manifest {
            let written = manifest.write(&ManifestLine {
                seq: plan.seq,
                ids,
                root_span,
                scenario: scenario.name(),
                intended_start_us: self.clock.epoch_us(job.intended),
                actual_start_us: self.clock.epoch_us(start),
                latency_us,
                status,
                // The status that matched, or the first expected one.
                expected_status: match status {
                    Some(s) if outcome == Outcome::Ok => s,
                    _ => scenario.expected_statuses()[0],
                },
                outcome,
            });
            if !written {
                // A run whose manifest is lost cannot be verified: stop it.
                self.request_stop();
            }
        }
    }
}

/// One connection's loop; ends when the pacer is done and the queue empty.
pub(crate) async fn work(index: usize, shared: Arc<Shared>, queue: JobQueue) {
    let mut connection = Connection::new(shared.addr, shared.tls.clone());
    let stats = &shared.stats[index % shared.stats.len()];
    loop {
        let job = {
            let mut queue = queue.lock().await;
            queue.recv().await
        };
        let Some(job) = job else { break };
        if shared.stopped() {
            shared.cancelled.fetch_add(1, Ordering::Relaxed);
            shared.release_slot();
            continue;
        }
        let start = Instant::now();
        shared.live.started.fetch_add(1, Ordering::Relaxed);
        let since_base = start
            .saturating_duration_since(shared.clock.base())
            .as_nanos() as u64;
        shared
            .last_start_ns
            .fetch_max(since_base, Ordering::Relaxed);
        shared.count_stage_start(since_base);
        let Some(scenario) = shared.scenarios.get(job.plan.scenario) else {
            shared.release_slot();
            continue;
        };
        let request = client::request(scenario, &job.plan, shared.target.host_header());
        let result = connection
            .exchange(request, shared.timeout, shared.read_traceresponse)
            .await;
        let end = Instant::now();
        shared.finish(&job, start, end, result, stats);
        shared.release_slot();
    }
}

//! The loop each connection runs (take the next due request, send it,
//! record it) and the state of a run its parts share, split by concern:
//! what every request is sent with ([`RequestSettings`], fixed for the
//! run), the in-flight cap and stop flag the pacer shares with the
//! connections ([`SlotGate`]), the run-wide counts ([`RunCounters`]) and
//! where finished requests go ([`RunOutputs`]).

use std::{
    net::SocketAddr,
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use parking_lot::Mutex;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::{
    client::{self, Connection, SendFailure, TargetAnswer, TargetTls},
    client_span::ClientSpan,
    clock::Clock,
    config::Target,
    counters::RunCounters,
    exemplars::Sampled,
    gate::SlotGate,
    manifest::{ManifestLine, Outcome},
    outputs::RunOutputs,
    plan::{RequestPlan, TraceIds},
    scenario::ScenarioSet,
    stats::{Finished, Stats},
};

/// A request handed to the connections at its intended start.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) plan: RequestPlan,
    pub(crate) intended: Instant,
}

/// The jobs, shared by all connections: whichever is free takes the next.
pub(crate) type JobQueue = Arc<tokio::sync::Mutex<UnboundedReceiver<Job>>>;

/// What every request of a run is sent with; fixed before the first.
#[derive(Debug)]
pub(crate) struct RequestSettings {
    pub(crate) target: Target,
    pub(crate) scenarios: Arc<ScenarioSet>,
    /// The target's address, resolved once.
    pub(crate) addr: SocketAddr,
    /// TLS of an `https://` target.
    pub(crate) tls: Option<TargetTls>,
    pub(crate) timeout: Duration,
    /// `--sampler none`: read `traceresponse` instead of sending `traceparent`.
    pub(crate) read_traceresponse: bool,
    /// The run's start and its wall-clock time, for every timestamp.
    pub(crate) clock: Clock,
}

/// What the connections, the pacer, the progress ticker and the run share,
/// one part per concern so each reads as what it is: the pacer touches
/// only `gate`, the ticker reads `counters` and flushes `outputs`.
#[derive(Debug)]
pub(crate) struct RunState {
    pub(crate) settings: RequestSettings,
    pub(crate) gate: SlotGate,
    pub(crate) counters: RunCounters,
    pub(crate) outputs: RunOutputs,
}

impl RunState {
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
        let settings = &self.settings;
        let Some(scenario) = settings.scenarios.get(plan.scenario) else {
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
        let root_span = match (&self.outputs.spans, plan.ids) {
            (Some(spans), Some(sent)) if sent.sampled => {
                spans.record(ClientSpan {
                    ids: sent,
                    scenario,
                    url_full: &plan.request.url_full,
                    start_unix_ns: settings.clock.epoch_ns(start),
                    end_unix_ns: settings.clock.epoch_ns(end),
                    status,
                    outcome,
                    failure,
                });
                self.counters.spans_ended.fetch_add(1, Ordering::Relaxed);
                true
            }
            _ => false,
        };
        let latency_us = end.saturating_duration_since(job.intended).as_micros() as u64;
        let exemplar = ids.filter(|i| i.sampled).map(|i| Sampled {
            trace_id: i.trace_id,
            latency_us,
            status,
            intended_start_us: settings.clock.epoch_us(job.intended),
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
        self.counters.count_finish(outcome == Outcome::Ok);
        if let Some(manifest) = &self.outputs.manifest {
            let written = manifest.write(&ManifestLine {
                seq: plan.seq,
                ids,
                root_span,
                scenario: scenario.name(),
                intended_start_us: settings.clock.epoch_us(job.intended),
                actual_start_us: settings.clock.epoch_us(start),
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
                self.gate.request_stop();
            }
        }
    }
}

/// One connection's loop; ends when the pacer is done and the queue empty.
pub(crate) async fn work(index: usize, state: Arc<RunState>, queue: JobQueue) {
    let settings = &state.settings;
    let mut connection = Connection::new(settings.addr, settings.tls.clone());
    let stats = state.outputs.stats_of(index);
    loop {
        let job = {
            let mut queue = queue.lock().await;
            queue.recv().await
        };
        let Some(job) = job else { break };
        if state.gate.stopped() {
            state.counters.cancelled.fetch_add(1, Ordering::Relaxed);
            state.gate.release();
            continue;
        }
        let start = Instant::now();
        state.counters.count_start(
            start
                .saturating_duration_since(settings.clock.base())
                .as_nanos() as u64,
        );
        let Some(scenario) = settings.scenarios.get(job.plan.scenario) else {
            state.gate.release();
            continue;
        };
        let request = client::request(scenario, &job.plan, settings.target.host_header());
        let result = connection
            .exchange(request, settings.timeout, settings.read_traceresponse)
            .await;
        let end = Instant::now();
        state.finish(&job, start, end, result, stats);
        state.gate.release();
    }
}

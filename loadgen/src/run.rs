//! One run from start to report: sets up the connections, the pacer and the
//! exporters, waits for the schedule to end (or the stop future), drains the
//! requests on the wire and gathers the figures.

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use tokio::sync::{mpsc, oneshot};

use crate::{
    client::TargetTls,
    client_span::ClientSpanExporter,
    clock::Clock,
    config::{LoadConfig, SamplerChoice, Target},
    counters::RunCounters,
    error::LoadError,
    gate::SlotGate,
    manifest::ManifestWriter,
    outputs::RunOutputs,
    pacer::{self, Paced},
    plan::{Planner, PlannerParts, Schedule, prepare_scenarios},
    progress::{self, Extent},
    report::{Report, RunFigures, RunInfo, StageFigures},
    worker::{self, RequestSettings, RunState},
};

/// Statistics shards at most (connections share them round-robin).
const MAX_STAT_SHARDS: usize = 16;

/// Runs the load `config` describes until its schedule ends or `stop`
/// completes; then waits for the requests on the wire, flushes the manifest
/// and the spans, and returns the report.
///
/// Must be called inside a multi-threaded Tokio runtime. Requests failing
/// (even all of them) is not an error: the report counts them.
pub async fn run(config: LoadConfig, stop: impl Future<Output = ()>) -> Result<Report, LoadError> {
    config.validate()?;
    let exports_root_spans = config.exports_root_spans();
    let LoadConfig {
        target,
        rps,
        stages,
        duration,
        requests,
        scenarios,
        mix,
        propagator,
        sampler,
        seed,
        max_in_flight,
        timeout,
        connections,
        target_tls,
        shard,
        manifest,
        root_spans,
        progress: show_progress,
    } = config;
    let (scenarios, renderer) = prepare_scenarios(scenarios, mix.as_ref(), &target)?;
    let addr = resolve(&target).await?;
    let tls = target_tls_of(&target, &target_tls, addr, timeout).await?;
    let manifest = manifest
        .as_deref()
        .map(ManifestWriter::create)
        .transpose()?;
    let spans = if exports_root_spans {
        ClientSpanExporter::build(&root_spans, &target)?
    } else {
        None
    };
    let schedule = Schedule::of_run(rps, &stages, shard, requests, duration);
    let duration = schedule.duration();
    let mut info = RunInfo {
        loadgen_version: env!("CARGO_PKG_VERSION").to_owned(),
        target: target.to_string(),
        started_at: String::new(),
        elapsed_s: 0.0,
        rps_total: schedule.shard_rps() * f64::from(shard.count),
        rps: schedule.shard_rps(),
        stages: stages.iter().map(ToString::to_string).collect(),
        duration_s: duration.map(|d| d.as_secs_f64()),
        requests,
        shard,
        seed,
        scenarios: scenarios.origin().to_owned(),
        mix: scenarios.mix().to_string(),
        propagator: propagator.name().to_owned(),
        sampler: sampler.to_string(),
        root_spans: spans.is_some(),
        connections,
        max_in_flight,
        timeout_ms: timeout.as_millis() as u64,
        stopped_early: false,
    };

    let planner = Planner::new(PlannerParts {
        seed,
        shard,
        scenarios: scenarios.clone(),
        renderer,
        propagator,
        sampler,
    });
    let clock = Clock::start();
    info.started_at = humantime::format_rfc3339_millis(clock.wall(clock.base())).to_string();
    let state = Arc::new(RunState {
        settings: RequestSettings {
            target,
            scenarios: scenarios.clone(),
            addr,
            tls,
            timeout,
            read_traceresponse: sampler == SamplerChoice::None,
            clock,
        },
        gate: SlotGate::new(max_in_flight),
        counters: RunCounters::new((!stages.is_empty()).then(|| schedule.curve().clone())),
        outputs: RunOutputs::new(
            connections.min(MAX_STAT_SHARDS),
            scenarios.len(),
            manifest,
            spans,
        ),
    });

    let (jobs, queue) = mpsc::unbounded_channel();
    let queue = Arc::new(tokio::sync::Mutex::new(queue));
    let workers: Vec<_> = (0..connections)
        .map(|i| tokio::spawn(worker::work(i, state.clone(), queue.clone())))
        .collect();
    let extent = duration.map_or_else(
        || Extent::Requests(schedule.shard_total().unwrap_or(0)),
        |d| Extent::Millis(d.as_millis() as u64),
    );
    let (done_tx, done_rx) = oneshot::channel();
    let pacer_state = state.clone();
    let pacer_schedule = schedule.clone();
    let pacer = std::thread::Builder::new()
        .name("loadgen-pacer".into())
        .spawn(move || {
            let paced = pacer::pace(
                &pacer_state.gate,
                pacer_state.settings.clock.base(),
                pacer_schedule,
                planner,
                jobs,
            );
            let _ = done_tx.send(paced);
        })
        .map_err(LoadError::Thread)?;
    state.gate.set_pacer(pacer.thread().clone());
    let bar = show_progress.then(|| progress::progress_bar(extent));
    let ticker = tokio::spawn(progress::tick(state.clone(), bar.clone(), extent));

    // The stop future is watched until the last request is back: a stop
    // while the backlog drains drops the requests still queued.
    let mut stop = std::pin::pin!(stop);
    let mut stop_fired = false;
    let mut done_rx = done_rx;
    let paced = tokio::select! {
        paced = &mut done_rx => paced,
        () = &mut stop => {
            stop_fired = true;
            state.gate.request_stop();
            done_rx.await
        }
    }
    // The pacer only ends by sending; a panic there is a bug, counted as nothing sent.
    .unwrap_or_default();
    let _ = pacer.join();
    let mut drained = std::pin::pin!(async {
        for w in workers {
            let _ = w.await;
        }
    });
    if !stop_fired {
        tokio::select! {
            () = &mut drained => {}
            () = &mut stop => {
                state.gate.request_stop();
                drained.as_mut().await;
            }
        }
    } else {
        drained.as_mut().await;
    }
    ticker.abort();
    let _ = ticker.await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    info.elapsed_s = clock.base().elapsed().as_secs_f64();
    info.stopped_early = state.gate.stopped();
    gather(state, info, &schedule, paced).await
}

/// The figures of a finished run.
async fn gather(
    state: Arc<RunState>,
    info: RunInfo,
    schedule: &Schedule,
    paced: Paced,
) -> Result<Report, LoadError> {
    let mut problems = Vec::new();
    let counters = &state.counters;
    let outputs = &state.outputs;
    if let Some(manifest) = &outputs.manifest
        && let Err(e) = manifest.finish()
    {
        problems.push(format!(
            "{}; the run was stopped",
            cli_support::error_chain(&e)
        ));
    }
    let spans_ended = counters.spans_ended.load(Ordering::Relaxed);
    let mut spans_exported = 0;
    if let Some(spans) = &outputs.spans {
        let (exported, shutdown_error) = spans.finish().await;
        spans_exported = exported;
        if let Some(e) = shutdown_error {
            problems.push(e);
        }
        if exported < spans_ended {
            problems.push(format!(
                "{} of {spans_ended} loadgen CLIENT spans were not exported (exporter failure or full queue)",
                spans_ended - exported
            ));
        }
    }
    let scenarios = state.settings.scenarios.clone();
    let stats = outputs.merged_stats(scenarios.len());
    let sent = counters.live.started.load(Ordering::Relaxed);
    let first = schedule.offset(0).unwrap_or(Duration::ZERO);
    let last = Duration::from_nanos(counters.last_start_ns.load(Ordering::Relaxed));
    let send_window_s = if sent == 0 {
        0.0
    } else {
        (last.saturating_sub(first) + schedule.interval_at(last)).as_secs_f64()
    };
    let stages = match &counters.stage_starts {
        None => Vec::new(),
        Some(starts) => {
            let due = schedule.per_stage(schedule.len());
            starts
                .curve
                .segments()
                .iter()
                .zip(due)
                .zip(starts.counts.iter())
                .map(|((seg, due), started)| StageFigures {
                    seconds: seg.seconds,
                    from_rps: seg.from,
                    to_rps: seg.to,
                    intended: due,
                    sent: started.load(Ordering::Relaxed),
                })
                .collect()
        }
    };
    Ok(Report::from_run(RunFigures {
        info,
        stats,
        sent,
        cancelled: counters.cancelled.load(Ordering::Relaxed),
        cap_hits: paced.cap_hits,
        missed: paced.missed,
        send_window_s,
        root_spans_ended: spans_ended,
        root_spans_exported: spans_exported,
        problems,
        scenarios,
        stages,
    }))
}

/// TLS for an `https://` target, checked by one handshake before the load:
/// a certificate the flags do not trust (or a client certificate the
/// target refuses) stops the run with the reason, instead of failing every
/// request. A target that does not answer is left to the run, which counts
/// connection failures.
async fn target_tls_of(
    target: &Target,
    tls: &secure_http::TlsArgs,
    addr: SocketAddr,
    timeout: std::time::Duration,
) -> Result<Option<TargetTls>, LoadError> {
    if !target.is_https() {
        return Ok(None);
    }
    let config = tls
        .client_config_named(&[b"h2", b"http/1.1"], &crate::cli::TARGET_TLS_NAMES)
        .map_err(|e| LoadError::Config(e.to_string()))?;
    let authority = target
        .host_header()
        .to_str()
        .ok()
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| LoadError::Config(format!("invalid host in {target}")))?;
    let tls = TargetTls::new(config, target.host(), authority)?;
    let handshake = async {
        let tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
        Some(
            tls.connector
                .connect(tls.server_name.clone(), tcp)
                .await
                .map(|_| ()),
        )
    };
    if let Ok(Some(Err(e))) = tokio::time::timeout(timeout, handshake).await {
        let text = e.to_string();
        let hint = secure_http::certificate_hint_named(&text, &crate::cli::TARGET_TLS_NAMES)
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        return Err(LoadError::Config(format!(
            "TLS handshake with {target} failed: {text}{hint}"
        )));
    }
    Ok(Some(tls))
}

/// The first address of the target host.
async fn resolve(target: &Target) -> Result<SocketAddr, LoadError> {
    let err = |reason: String| LoadError::Resolve {
        host: target.host().to_owned(),
        reason,
    };
    let mut addrs = tokio::net::lookup_host((target.host(), target.port()))
        .await
        .map_err(|e| err(e.to_string()))?;
    addrs.next().ok_or_else(|| err("no address".to_owned()))
}

//! One verification: connect, read the window until it settles, confirm
//! suspicious traces by id, check everything, and build the [`Verdict`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::check::{Checker, Finding, Rule, TraceContext, TraceOutcome};
use crate::config::{TimeWindow, VerifyConfig};
use crate::error::CheckError;
use crate::held::{Collected, Held};
use crate::jaeger::JaegerClient;
use crate::manifest::{Manifest, ManifestEntry};
use crate::model::{Trace, TraceId, nanos, rfc3339_ns};
use crate::read::{ReadPlan, TraceSink, fetch_by_ids, read_window};
use crate::sampling::sampling_test;
use crate::slowest::Slowest;
use crate::thresholds::{Measures, Thresholds, measure};
use crate::verdict::{FailedTrace, Failure, Settle, Summary, Verdict, Window, trace_detail};

/// Margin around a manifest's time span when it sets the window.
const MANIFEST_MARGIN: Duration = Duration::from_secs(30);

/// Bucket of traces that match no scenario.
const UNCLASSIFIED: &str = "(unclassified)";

/// Reads traces from Jaeger and checks them against the config's spec (and
/// manifest). `Ok` is a verdict, passed or not; `Err` means nothing could be
/// checked (exit code 2).
pub async fn verify(config: &VerifyConfig) -> Result<Verdict, CheckError> {
    validate(config)?;
    let started = Instant::now();
    let (start_ns, end_ns) = window_ns(config)?;
    let services = if config.services.is_empty() {
        config.spec.services.clone()
    } else {
        config.services.clone()
    };
    let client = JaegerClient::connect(&config.jaeger_url, config.client_options()).await?;
    let mut checker = Checker::new(&config.spec);
    if let Some(skew) = config.clock_skew {
        checker = checker.with_clock_skew(skew);
    }
    let run = Run {
        config,
        checker,
        manifest: config.manifest.as_ref(),
    };

    let (mut traces, settle) = run
        .settle(&client, &services, start_ns, end_ns, started)
        .await?;
    run.confirm_by_id(&client, &mut traces).await?;
    if traces.is_empty() && run.manifest.is_none() {
        return Err(CheckError::NothingToCheck(format!(
            "no traces of {} between {} and {} at {}",
            services.join(", "),
            rfc3339_ns(start_ns),
            rfc3339_ns(end_ns),
            config.jaeger_url
        )));
    }
    let missing_rule = if settle.quiet {
        Rule::SpanTree
    } else {
        Rule::Incomplete
    };
    let checker = run.checker.clone().with_missing_rule(missing_rule);
    let mut verdict = Verdict {
        passed: false,
        spec: config.spec.name.clone(),
        jaeger_url: config.jaeger_url.trim_end_matches('/').to_owned(),
        api: client.api(),
        services,
        window: Window {
            start: rfc3339_ns(start_ns),
            end: rfc3339_ns(end_ns),
        },
        settle,
        summary: Summary::default(),
        sampling: None,
        failures: Vec::new(),
        traces: Vec::new(),
        slowest: Vec::new(),
        thresholds: Vec::new(),
    };
    run.judge(&checker, &traces, &mut verdict);
    verdict.passed = verdict.failures.is_empty() && verdict.thresholds.iter().all(|t| t.passed);
    Ok(verdict)
}

fn validate(config: &VerifyConfig) -> Result<(), CheckError> {
    if let Some(ratio) = config.sampling_ratio {
        if !(0.0..=1.0).contains(&ratio) {
            return Err(CheckError::Config(format!(
                "the sampling ratio {ratio} is not within 0..=1"
            )));
        }
        if config.manifest.is_none() {
            return Err(CheckError::Config(
                "a sampling ratio needs a manifest to test against".into(),
            ));
        }
    }
    if config.poll_interval.is_zero() {
        return Err(CheckError::Config(
            "the poll interval must be above zero (it paces the reads of Jaeger)".into(),
        ));
    }
    if config.max_traces == 0 {
        return Err(CheckError::Config(
            "max traces per search must be at least 1".into(),
        ));
    }
    if let Some(manifest) = &config.manifest {
        manifest.check_scenarios(&config.spec)?;
    }
    if config
        .manifest
        .as_ref()
        .is_some_and(|m| m.entries().is_empty())
    {
        return Err(CheckError::NothingToCheck(
            "the manifest lists no requests".into(),
        ));
    }
    Ok(())
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, nanos)
}

fn system_ns(time: SystemTime) -> Result<u64, CheckError> {
    time.duration_since(UNIX_EPOCH)
        .map(nanos)
        .map_err(|_| CheckError::Config("the window starts before 1970".into()))
}

fn window_ns(config: &VerifyConfig) -> Result<(u64, u64), CheckError> {
    let (start, end) = match (config.window, &config.manifest) {
        (Some(TimeWindow::Since(since)), _) => {
            let end = now_ns();
            (end.saturating_sub(nanos(since)), end)
        }
        (Some(TimeWindow::Between { start, end }), _) => (system_ns(start)?, system_ns(end)?),
        (None, Some(manifest)) => {
            let (start_us, end_us) = manifest.time_span_us().unwrap_or((0, 0));
            let margin = nanos(MANIFEST_MARGIN);
            (
                start_us.saturating_mul(1000).saturating_sub(margin),
                end_us.saturating_mul(1000).saturating_add(margin),
            )
        }
        (None, None) => {
            let end = now_ns();
            (end.saturating_sub(300_000_000_000), end)
        }
    };
    if start >= end {
        return Err(CheckError::Config(format!(
            "the window is empty: {} is not before {}",
            rfc3339_ns(start),
            rfc3339_ns(end)
        )));
    }
    Ok((start, end))
}

/// Where one read of the window goes: each trace checked as it arrives
/// and held as far as the verdict needs it.
struct Reading<'r, 'a> {
    run: &'r Run<'a>,
    traces: &'r mut Collected,
}

impl TraceSink for Reading<'_, '_> {
    fn take(&mut self, trace: Trace) {
        self.run.hold(self.traces, trace);
    }

    fn spans_held(&self, id: TraceId) -> Option<usize> {
        self.traces.spans_of(id)
    }
}

struct Run<'a> {
    config: &'a VerifyConfig,
    checker: Checker<'a>,
    manifest: Option<&'a Manifest>,
}

impl Run<'_> {
    /// What the manifest says about a trace: `None` when it is not to be checked.
    fn context(&self, trace_id: TraceId) -> Option<TraceContext<'_>> {
        match self.manifest {
            None => Some(TraceContext::default()),
            Some(manifest) => manifest
                .entry(trace_id)
                .filter(|e| e.expects_trace())
                .map(|e| TraceContext {
                    scenario: Some(&e.scenario),
                    accepted_parent: e.accepted_parent(),
                }),
        }
    }

    fn check(&self, checker: &Checker<'_>, trace: &Trace) -> Option<TraceOutcome> {
        self.context(trace.trace_id)
            .map(|context| checker.check(trace, &context))
    }

    /// Where the traces are expected: the start times of the manifest's
    /// sampled requests.
    fn read_plan(&self) -> ReadPlan {
        let mut expected_starts_ns: Vec<u64> = self
            .manifest
            .map(|m| {
                m.entries()
                    .iter()
                    .filter(|e| e.expects_trace())
                    .map(|e| e.start_us.saturating_mul(1000))
                    .collect()
            })
            .unwrap_or_default();
        expected_starts_ns.sort_unstable();
        ReadPlan { expected_starts_ns }
    }

    /// Checks a trace as it is read and holds what the verdict needs of it
    /// (the fuller copy when it comes more than once).
    fn hold(&self, traces: &mut Collected, trace: Trace) {
        if !traces.wants(&trace) {
            return;
        }
        let entry = self.manifest.and_then(|m| m.entry(trace.trace_id));
        let outcome = self.check(&self.checker, &trace);
        let held = Held {
            spans: trace.spans.len(),
            start_ns: trace.spans.iter().map(|s| s.start_ns).min().unwrap_or(0),
            whole: outcome
                .as_ref()
                .is_none_or(|o| o.missing_spans == 0 && o.scenario.is_some()),
            suspicious: outcome.as_ref().is_some_and(|o| {
                o.missing_spans > 0
                    || o.findings
                        .iter()
                        .any(|f| matches!(f.rule, Rule::Orphan | Rule::OneRoot))
            }),
            measures: if outcome.is_some() {
                measure(&self.checker.spec().thresholds, &trace)
            } else {
                Measures::default()
            },
            passed: outcome.as_ref().filter(|o| o.passed()).map(|o| {
                (
                    scenario_of(entry, o),
                    entry.map_or_else(
                        || crate::slowest::extent_us(&trace),
                        |e| e.end_us.saturating_sub(e.start_us),
                    ),
                )
            }),
            trace: None,
        };
        let keep_whole =
            entry.is_some_and(|e| e.forbids_trace()) || outcome.is_some_and(|o| !o.passed());
        traces.hold(held, trace, keep_whole);
    }

    /// Whether every trace to check has all its spans and every sampled
    /// request of the manifest has a trace.
    fn complete(&self, traces: &Collected) -> bool {
        if traces.is_empty() && self.manifest.is_none() {
            return false;
        }
        traces.traces().values().all(|h| h.whole)
            && self.manifest.is_none_or(|m| {
                m.entries()
                    .iter()
                    .filter(|e| e.expects_trace())
                    .all(|e| e.trace_id.is_some_and(|id| traces.contains(&id)))
            })
    }

    /// Reads the window until two reads agree and nothing is missing, or `settle` runs out.
    async fn settle(
        &self,
        client: &JaegerClient,
        services: &[String],
        start_ns: u64,
        end_ns: u64,
        started: Instant,
    ) -> Result<(Collected, Settle), CheckError> {
        let config = self.config;
        let deadline = Instant::now() + config.settle;
        let quiet_needed = config.quiet_period.min(config.settle / 2);
        let mut previous: Option<Vec<(TraceId, usize)>> = None;
        let mut last_change = Instant::now();
        let mut polls = 0;
        let plan = self.read_plan();
        // A tracestore's counters, while the server has them.
        let mut counters = client.store_counters().await;
        loop {
            let mut traces = Collected::new(config.slowest, plan.expected_starts_ns.len());
            read_window(
                client,
                services,
                (start_ns, end_ns),
                config.max_traces,
                &plan,
                &mut Reading {
                    run: self,
                    traces: &mut traces,
                },
            )
            .await?;
            polls += 1;
            let fingerprint = traces.fingerprint();
            let now = Instant::now();
            let stable = previous.as_ref() == Some(&fingerprint);
            if !stable {
                last_change = now;
            }
            previous = Some(fingerprint);
            let complete = self.complete(&traces);
            let done = stable && complete;
            let settled = |traces: Collected, quiet: bool| {
                tracing::info!(polls, quiet, traces = traces.len(), "settled");
                let settle = Settle {
                    polls,
                    elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    quiet,
                };
                Ok((traces, settle))
            };
            let quiet = done || (polls >= 2 && now.duration_since(last_change) >= quiet_needed);
            let out_of_time = now >= deadline;
            if done || (out_of_time && (quiet || !complete || counters.is_none())) {
                return settled(traces, quiet);
            }
            tracing::debug!(polls, traces = traces.len(), "waiting for spans to settle");
            // Within --settle the wait ends at the deadline; a complete read
            // that outlasted it (a soak's can) still gets one poll interval
            // for the store's counters to prove it settled.
            let wait = if out_of_time {
                config.poll_interval
            } else {
                config.poll_interval.min(deadline - now)
            };
            tokio::time::sleep(wait).await;
            let before = counters;
            counters = match before {
                Some(_) => client.store_counters().await,
                None => None,
            };
            // Complete, and the store's counters did not move from before
            // this read to a poll interval after it: a second read would
            // agree with this one, so it is not made.
            if complete && before.is_some() && counters == before {
                return settled(traces, true);
            }
            if out_of_time {
                return settled(traces, false);
            }
        }
    }

    /// Fetches by id every trace a search may have cut short (missing spans,
    /// orphans, no single root) and every sampled request's trace the searches missed.
    async fn confirm_by_id(
        &self,
        client: &JaegerClient,
        traces: &mut Collected,
    ) -> Result<(), CheckError> {
        let mut ids: Vec<TraceId> = traces
            .traces()
            .iter()
            .filter(|(_, held)| held.suspicious)
            .map(|(id, _)| *id)
            .collect();
        if let Some(manifest) = self.manifest {
            ids.extend(
                manifest
                    .entries()
                    .iter()
                    .filter(|e| e.expects_trace())
                    .filter_map(|e| e.trace_id)
                    .filter(|id| !traces.contains(id)),
            );
        }
        if ids.is_empty() {
            return Ok(());
        }
        tracing::info!(count = ids.len(), "fetching traces by id to confirm");
        for trace in fetch_by_ids(client, ids, self.config.concurrency).await? {
            self.hold(traces, trace);
        }
        Ok(())
    }

    fn link(&self, trace_id: TraceId) -> String {
        format!(
            "{}/trace/{trace_id}",
            self.config.jaeger_url.trim_end_matches('/')
        )
    }

    /// Checks every trace and fills the verdict's summary, failures and trees.
    fn judge(&self, checker: &Checker<'_>, traces: &Collected, verdict: &mut Verdict) {
        let mut ordered: Vec<(&TraceId, &Held)> = traces.traces().iter().collect();
        ordered.sort_unstable_by_key(|(id, held)| (held.start_ns, **id));
        let summary = &mut verdict.summary;
        let mut slowest = Slowest::new(self.config.slowest);
        let mut thresholds = Thresholds::new(&checker.spec().thresholds);
        for (id, held) in ordered {
            let entry = self.manifest.and_then(|m| m.entry(*id));
            if self.manifest.is_some() {
                match entry {
                    None => {
                        summary.unlisted += 1;
                        continue;
                    }
                    Some(e) if e.forbids_trace() => {
                        summary.unsampled_stored += 1;
                        let Some(trace) = &held.trace else {
                            continue;
                        };
                        let finding = Finding {
                            rule: Rule::UnsampledTraceStored,
                            span_id: None,
                            message: format!(
                                "request {} ({}) was not sampled, but the store has {} spans of its trace",
                                e.seq,
                                e.scenario,
                                trace.spans.len()
                            ),
                        };
                        self.record(
                            trace,
                            Some(e.scenario.to_string()),
                            vec![finding],
                            (&mut verdict.failures, &mut verdict.traces),
                        );
                        continue;
                    }
                    Some(e) if !e.expects_trace() => continue,
                    Some(_) => {}
                }
            }
            let Some(trace) = &held.trace else {
                // Passed as read and not among the slowest: counted only.
                if let Some((scenario, _)) = &held.passed {
                    thresholds.add(*id, &held.measures, scenario, true);
                    let counts = summary.scenarios.entry(scenario.to_string()).or_default();
                    counts.checked += 1;
                    counts.passed += 1;
                    summary.checked += 1;
                    summary.passed += 1;
                }
                continue;
            };
            let Some(outcome) = self.check(checker, trace) else {
                continue;
            };
            let scenario = scenario_of(entry, &outcome);
            let counts = summary.scenarios.entry(scenario.to_string()).or_default();
            counts.checked += 1;
            summary.checked += 1;
            let latency_us = entry.map_or_else(
                || crate::slowest::extent_us(trace),
                |e| e.end_us.saturating_sub(e.start_us),
            );
            slowest.offer(&scenario, latency_us, || {
                let detail = trace_detail(
                    trace,
                    &outcome.findings,
                    self.link(trace.trace_id),
                    Some(scenario.to_string()),
                );
                // Without a manifest, the root span's HTTP status.
                let status = entry.and_then(|e| e.status).or_else(|| {
                    detail
                        .tree
                        .first()
                        .and_then(|l| l.http_status.as_deref()?.parse().ok())
                });
                (status, outcome.passed(), detail)
            });
            thresholds.add(*id, &held.measures, &scenario, outcome.passed());
            if outcome.passed() {
                counts.passed += 1;
                summary.passed += 1;
            } else {
                counts.failed += 1;
                summary.failed += 1;
                self.record(
                    trace,
                    Some(scenario.to_string()),
                    outcome.findings,
                    (&mut verdict.failures, &mut verdict.traces),
                );
            }
        }
        if let Some(manifest) = self.manifest {
            let (mut known, mut sampled) = (0, 0);
            let summary = &mut verdict.summary;
            for entry in manifest.entries() {
                summary.skipped += u64::from(!entry.expects_trace() && !entry.forbids_trace());
                if let Some(s) = entry.sampled {
                    known += 1;
                    sampled += u64::from(s);
                }
                let Some(id) = entry
                    .trace_id
                    .filter(|id| entry.expects_trace() && !traces.contains(id))
                else {
                    continue;
                };
                summary.missing += 1;
                summary
                    .scenarios
                    .entry(entry.scenario.to_string())
                    .or_default()
                    .missing += 1;
                verdict.failures.push(Failure {
                    rule: Rule::MissingTrace,
                    trace_id: Some(id),
                    link: Some(self.link(id)),
                    span_id: None,
                    scenario: Some(entry.scenario.to_string()),
                    message: format!(
                        "request {} ({}, HTTP {}) was sampled, but the store has no trace {id}",
                        entry.seq,
                        entry.scenario,
                        entry.status.unwrap_or(0)
                    ),
                });
            }
            let test = sampling_test(known, sampled, self.config.sampling_ratio);
            if !test.passed {
                verdict.failures.push(Failure {
                    rule: Rule::SamplingRatio,
                    trace_id: None,
                    link: None,
                    span_id: None,
                    scenario: None,
                    message: format!(
                        "{sampled} of {known} requests sampled ({:.2}%), expected {:.2}%: binomial test p = {:.3e} < {}",
                        test.observed_ratio * 100.0,
                        test.expected_ratio.unwrap_or(0.0) * 100.0,
                        test.p_value.unwrap_or(0.0),
                        crate::sampling::SIGNIFICANCE
                    ),
                });
            }
            verdict.sampling = Some(test);
        }
        verdict.slowest = slowest.into_sorted();
        verdict.thresholds = thresholds.finish(|id| self.link(id));
        let mut rules: BTreeMap<String, u64> = BTreeMap::new();
        for failure in &verdict.failures {
            *rules.entry(failure.rule.name().to_owned()).or_default() += 1;
        }
        verdict.summary.rules = rules;
    }

    fn record(
        &self,
        trace: &Trace,
        scenario: Option<String>,
        findings: Vec<Finding>,
        (failures, trees): (&mut Vec<Failure>, &mut Vec<FailedTrace>),
    ) {
        let link = self.link(trace.trace_id);
        trees.push(trace_detail(
            trace,
            &findings,
            link.clone(),
            scenario.clone(),
        ));
        failures.extend(findings.into_iter().map(|f| Failure {
            rule: f.rule,
            trace_id: Some(trace.trace_id),
            link: Some(link.clone()),
            span_id: f.span_id,
            scenario: scenario.clone(),
            message: f.message,
        }));
    }
}

/// The scenario a checked trace counts under: the manifest's, else its
/// classification.
fn scenario_of(entry: Option<&ManifestEntry>, outcome: &TraceOutcome) -> Arc<str> {
    entry
        .map(|e| e.scenario.clone())
        .or_else(|| outcome.scenario.as_deref().map(Arc::from))
        .unwrap_or_else(|| Arc::from(UNCLASSIFIED))
}

//! Run-wide thresholds, accumulated trace by trace: each checked trace is
//! measured as it is read ([`measure`]: a few numbers per threshold, held
//! instead of its spans) and added once when judged ([`Thresholds::add`]);
//! what accumulates is an HDR histogram of durations (3 significant digits, as the loadgen's), counts,
//! and at most [`WORST`] offenders per threshold. [`Thresholds::finish`] turns
//! them into plain [`ThresholdResult`]s that every report format renders.

use hdrhistogram::Histogram;

use crate::check::assertions::format_ns;
use crate::model::{SpanId, Trace, TraceId};
use crate::spec::{Metric, Op, Stat, Threshold, TraceView};

/// Offenders kept (and reported) per threshold.
pub(crate) const WORST: usize = 5;

/// One threshold's outcome, as reports show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ThresholdResult {
    /// The threshold as written (`p99(duration of span[name="save_order"]) < 50ms`).
    pub threshold: String,
    /// The scenario it is about (`None`: every checked trace).
    pub scenario: Option<String>,
    /// Whether it held (also when there was nothing to measure, as in k6).
    pub passed: bool,
    /// The measured value: nanoseconds, a fraction or a count; `None` when
    /// no span or trace was measured.
    pub observed: Option<f64>,
    /// The measured value in words (`61.204ms`, `0.9983`, `12`, `no data`).
    pub observed_text: String,
    /// How many values were measured (spans for durations, traces for rates, traces for counts).
    pub samples: u64,
    /// The worst offenders of a breached threshold (at most 5),
    /// worst first: the slowest spans over an upper bound on durations (the
    /// fastest under a lower one), the first failed traces for a pass rate,
    /// the traces with most (or fewest) selected spans for a count.
    pub offenders: Vec<Offender>,
}

/// A trace that contributed most to a breach.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Offender {
    /// The trace.
    pub trace_id: TraceId,
    /// The trace in Jaeger's UI.
    pub link: String,
    /// The span measured, for durations.
    pub span_id: Option<SpanId>,
    /// Its value in words (`73.214ms`, `failed`, `3 spans`).
    pub value: String,
}

/// At most [`WORST`] entries, worst (largest key) first, one per trace:
/// (key, the value itself, trace, span, the value in words).
#[derive(Default)]
struct Worst {
    entries: Vec<(u64, u64, TraceId, Option<SpanId>, String)>,
}

impl Worst {
    fn offer(
        &mut self,
        (key, raw): (u64, u64),
        trace: TraceId,
        span: Option<SpanId>,
        value: impl FnOnce() -> String,
    ) {
        let full = self.entries.len() >= WORST;
        if full && self.entries.last().is_some_and(|e| e.0 >= key) {
            return;
        }
        if let Some(i) = self.entries.iter().position(|e| e.2 == trace) {
            if self.entries[i].0 >= key {
                return;
            }
            self.entries.remove(i);
        } else if full {
            self.entries.pop();
        }
        let at = self.entries.partition_point(|e| e.0 >= key);
        self.entries.insert(at, (key, raw, trace, span, value()));
    }
}

/// What one threshold measured in one trace.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Measure {
    /// Nothing to measure (a pass rate needs only the verdict).
    Nothing,
    /// How many spans the selector selected.
    Count(u64),
    /// The selected spans' durations, ns.
    Durations(Box<[(u64, SpanId)]>),
}

/// What every threshold of a spec measured in one trace: a few numbers,
/// kept (instead of the trace's spans) until the trace is judged, since a
/// trace read again while the store settles must count once, in its final form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measures(Vec<Measure>);

/// Measures a trace for every threshold, whatever its scenario.
pub(crate) fn measure(thresholds: &[Threshold], trace: &Trace) -> Measures {
    if thresholds.is_empty() {
        return Measures::default();
    }
    let view = TraceView::new(trace);
    Measures(
        thresholds
            .iter()
            .map(|t| match &t.metric {
                Metric::PassRate => Measure::Nothing,
                Metric::Count(selector) => Measure::Count(selector.select(&view).count() as u64),
                Metric::Duration(_, selector) => Measure::Durations(
                    selector
                        .select(&view)
                        .map(|i| (trace.spans[i].duration_ns(), trace.spans[i].span_id))
                        .collect(),
                ),
            })
            .collect(),
    )
}

/// One threshold's running state.
struct Running<'a> {
    threshold: &'a Threshold,
    durations: Histogram<u64>,
    /// Exact extremes (the histogram's are rounded to its precision).
    min_ns: u64,
    max_ns: u64,
    /// Traces seen, and passed among them (rates); selected spans (counts).
    traces: u64,
    passed: u64,
    count: u64,
    worst: Worst,
}

/// The thresholds of a spec, fed one checked trace at a time.
pub struct Thresholds<'a> {
    thresholds: &'a [Threshold],
    running: Vec<Running<'a>>,
}

impl<'a> Thresholds<'a> {
    /// Empty accumulators for these thresholds.
    pub fn new(thresholds: &'a [Threshold]) -> Self {
        Thresholds {
            thresholds,
            running: thresholds
                .iter()
                .map(|threshold| Running {
                    threshold,
                    // 3 significant digits is within the supported 0..=5: never fails.
                    durations: Histogram::new(3)
                        .unwrap_or_else(|_| unreachable!("3 significant digits are supported")),
                    min_ns: u64::MAX,
                    max_ns: 0,
                    traces: 0,
                    passed: 0,
                    count: 0,
                    worst: Worst::default(),
                })
                .collect(),
        }
    }

    /// Adds one checked trace of `scenario` that passed (or not) every check.
    pub fn observe(&mut self, trace: &Trace, scenario: &str, passed: bool) {
        let measures = measure(self.thresholds, trace);
        self.add(trace.trace_id, &measures, scenario, passed);
    }

    /// Adds what `measure` took of one checked trace of `scenario` that
    /// passed (or not) every check.
    pub fn add(&mut self, trace_id: TraceId, measures: &Measures, scenario: &str, passed: bool) {
        for (run, measure) in self.running.iter_mut().zip(&measures.0) {
            let t = run.threshold;
            if t.scenario.as_deref().is_some_and(|s| s != scenario) {
                continue;
            }
            run.traces += 1;
            // A lower bound's offenders are the smallest values.
            let upper = !matches!(t.op, Op::Gt | Op::Ge);
            let key = |v: u64| (if upper { v } else { u64::MAX - v }, v);
            match (&t.metric, measure) {
                (Metric::PassRate, _) => {
                    run.passed += u64::from(passed);
                    if !passed {
                        // Failed traces, earliest first.
                        let order = u64::MAX - run.traces;
                        run.worst
                            .offer((order, 0), trace_id, None, || "failed".into());
                    }
                }
                (Metric::Count(_), Measure::Count(n)) => {
                    run.count += n;
                    run.worst
                        .offer(key(*n), trace_id, None, || format!("{n} spans"));
                }
                (Metric::Duration(..), Measure::Durations(spans)) => {
                    for &(ns, span_id) in spans.iter() {
                        // An auto-resizing histogram grows on `record`; only a
                        // value past its largest possible bound is clamped.
                        if run.durations.record(ns).is_err() {
                            run.durations.saturating_record(ns);
                        }
                        run.min_ns = run.min_ns.min(ns);
                        run.max_ns = run.max_ns.max(ns);
                        run.worst
                            .offer(key(ns), trace_id, Some(span_id), || format_ns(ns as f64));
                    }
                }
                _ => {}
            }
        }
    }

    /// The results; `link` makes a trace's Jaeger UI link.
    pub fn finish(self, link: impl Fn(TraceId) -> String) -> Vec<ThresholdResult> {
        self.running
            .into_iter()
            .map(|run| {
                let t = run.threshold;
                let (observed, samples) = match &t.metric {
                    Metric::PassRate => (
                        (run.traces > 0).then(|| run.passed as f64 / run.traces as f64),
                        run.traces,
                    ),
                    Metric::Count(_) => (Some(run.count as f64), run.traces),
                    Metric::Duration(stat, _) => {
                        let h = &run.durations;
                        let value = match stat {
                            _ if h.is_empty() => None,
                            Stat::Quantile(q) => Some(h.value_at_quantile(*q) as f64),
                            Stat::Min => Some(run.min_ns as f64),
                            Stat::Max => Some(run.max_ns as f64),
                            Stat::Mean => Some(h.mean()),
                        };
                        (value, h.len())
                    }
                };
                let observed_text = match (observed, &t.metric) {
                    (None, _) => "no data".to_owned(),
                    (Some(v), Metric::Duration(..)) => format_ns(v),
                    (Some(v), Metric::PassRate) => format!("{v:.4}"),
                    (Some(v), Metric::Count(_)) => format!("{v}"),
                };
                let passed = observed.is_none_or(|v| t.op.holds(v, t.bound));
                let offenders = if passed {
                    Vec::new()
                } else {
                    // A span within the bound is no offender, however slow.
                    let offends = |raw: u64| {
                        !matches!(t.metric, Metric::Duration(..))
                            || !t.op.holds(raw as f64, t.bound)
                    };
                    run.worst
                        .entries
                        .into_iter()
                        .filter(|e| offends(e.1))
                        .map(|(_, _, trace_id, span_id, value)| Offender {
                            trace_id,
                            link: link(trace_id),
                            span_id,
                            value,
                        })
                        .collect()
                };
                ThresholdResult {
                    threshold: t.source.clone(),
                    scenario: t.scenario.clone(),
                    passed,
                    observed,
                    observed_text,
                    samples,
                    offenders,
                }
            })
            .collect()
    }
}

impl ThresholdResult {
    /// `p99(...) < 50ms [valid]: observed 61.204ms over 1200`: the threshold
    /// with its scenario and what was measured.
    pub fn describe(&self) -> String {
        let scope = self
            .scenario
            .as_deref()
            .map(|s| format!(" [{s}]"))
            .unwrap_or_default();
        format!(
            "{}{scope}: observed {} over {} samples",
            self.threshold, self.observed_text, self.samples
        )
    }
}

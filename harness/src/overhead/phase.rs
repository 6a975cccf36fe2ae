//! One load phase against a fresh stack, and the spans its requests should have made.

use loadgen::{LoadConfig, RootSpans, SamplerChoice, Target};
use verifier::spec::Spec;

use super::{Mode, OverheadConfig, SATURATING_RPS, Sink, machine_cpu, sink::start_discard_sink};
use crate::{
    error::HarnessError,
    stack::{RunningStack, StackConfig},
};

/// Spans the contract makes for one answered request of a scenario: the
/// scenario's expected tree in the shipped spec, without the loadgen's CLIENT
/// root, which these phases do not export.
fn contract_spans(spec: &Spec, scenario: &str) -> Option<u64> {
    let s = spec.scenario(scenario)?;
    let loadgen_root = s.optional_root && s.spans.first().is_some_and(|r| r.service == "loadgen");
    Some((s.spans.len() - usize::from(loadgen_root)) as u64)
}

/// The spans a phase's requests made, when every request was sampled and
/// answered as its scenario expects (`None` otherwise, or for a scenario the
/// spec does not know).
pub(super) fn expected_spans(spec: &Spec, report: &loadgen::Report) -> Option<u64> {
    let all_sampled = report.tracing.sampled == report.overall.count;
    if !all_sampled || report.failed_requests() > 0 {
        return None;
    }
    report
        .scenarios
        .iter()
        .map(|r| Some(r.ok * contract_spans(spec, &r.scenario)?))
        .sum()
}

/// What one phase measured.
pub(super) struct PhaseOutcome {
    pub(super) report: loadgen::Report,
    pub(super) spans_received: Option<u64>,
    pub(super) cpu: Option<machine_cpu::Usage>,
}

impl PhaseOutcome {
    pub(super) fn cpu_us_per_request(&self) -> Option<f64> {
        let requests = self.report.overall.count;
        let cpu = self.cpu.as_ref()?;
        (requests > 0).then(|| cpu.own_seconds * 1e6 / requests as f64)
    }
}

/// One load phase against a fresh stack (and a fresh sink): saturating when
/// `rps` is `None`.
pub(super) async fn phase(
    config: &OverheadConfig,
    sink: &Sink,
    mode: Mode,
    rps: Option<f64>,
) -> Result<PhaseOutcome, HarnessError> {
    let discard = match sink {
        Sink::Discard => Some(start_discard_sink().await?),
        _ => None,
    };
    let otlp_endpoint = match (sink, &discard) {
        (_, Some(d)) => Some(d.otlp_grpc_endpoint()),
        (Sink::Endpoint(url), _) => Some(url.clone()),
        _ => None,
    };
    let stack = RunningStack::start(StackConfig {
        tracing: mode.service_tracing(),
        otlp_endpoint,
        ..StackConfig::default()
    })
    .await?;
    let target = Target::parse(&stack.order_api_url()).map_err(|source| HarnessError::Target {
        url: stack.order_api_url(),
        source,
    })?;
    let mut load = LoadConfig::new(target, rps.unwrap_or(SATURATING_RPS));
    load.duration = Some(config.duration);
    load.mix = config.mix.clone();
    load.seed = config.seed;
    load.sampler = SamplerChoice::Ratio(mode.loadgen_ratio());
    load.root_spans = RootSpans::Off;
    load.connections = config.connections;
    if rps.is_none() {
        load.max_in_flight = config.connections;
    }
    let cpu = machine_cpu::Sample::now();
    let report = loadgen::run(load, std::future::pending()).await;
    let cpu = cpu.and_then(|c| c.usage_since());
    stack.flush().await?;
    let in_stack_store = stack.store().map(|s| s.stats().received_spans);
    stack.shutdown().await?;
    let spans_received = match discard {
        Some(d) => {
            let spans = d.stats().received_spans;
            d.shutdown().await;
            Some(spans)
        }
        None => in_stack_store,
    };
    Ok(PhaseOutcome {
        report: report?,
        spans_received,
        cpu,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counts docs/CONTRACT.md gives: valid is SERVER, validate_order,
    /// CLIENT, SERVER, fraud_check, charge_payment, save_order; invalid is
    /// SERVER, validate_order; fraud stops after fraud_check; health is SERVER.
    #[test]
    fn the_spans_per_request_come_from_the_shipped_contract() {
        let spec = Spec::contract();
        let counts: Vec<Option<u64>> = ["valid", "invalid", "fraud", "health", "unknown"]
            .into_iter()
            .map(|s| contract_spans(&spec, s))
            .collect();
        assert_eq!(counts, [Some(7), Some(2), Some(5), Some(1), None]);
    }
}

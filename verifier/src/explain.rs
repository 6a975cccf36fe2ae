//! `verifier --explain TRACE_ID`: one trace fetched by id, checked against
//! the spec, with its critical path and the span that dominated it.

use crate::check::{Checker, TraceContext};
use crate::config::VerifyConfig;
use crate::error::CheckError;
use crate::jaeger::JaegerClient;
use crate::model::TraceId;
use crate::verdict::{FailedTrace, trace_detail};

/// Fetches `trace_id` from the config's Jaeger and explains it. A trace the
/// store does not have is [`CheckError::NothingToCheck`].
pub(crate) async fn explain(
    config: &VerifyConfig,
    trace_id: TraceId,
) -> Result<FailedTrace, CheckError> {
    let client = JaegerClient::connect(&config.jaeger_url, config.client_options()).await?;
    let base = config.jaeger_url.trim_end_matches('/');
    let Some(trace) = client.trace(trace_id).await? else {
        return Err(CheckError::NothingToCheck(format!(
            "{base} has no trace {trace_id}"
        )));
    };
    let mut checker = Checker::new(&config.spec);
    if let Some(skew) = config.clock_skew {
        checker = checker.with_clock_skew(skew);
    }
    let context = config
        .manifest
        .as_ref()
        .and_then(|m| m.entry(trace_id))
        .map(|e| TraceContext {
            scenario: Some(&e.scenario),
            accepted_parent: e.accepted_parent(),
        })
        .unwrap_or_default();
    let outcome = checker.check(&trace, &context);
    Ok(trace_detail(
        &trace,
        &outcome.findings,
        format!("{base}/trace/{trace_id}"),
        outcome.scenario,
    ))
}

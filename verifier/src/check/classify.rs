//! Which scenario a trace is: the manifest's word, else the scenario
//! attribute its spans carry, else the first scenario whose `when` rules match.

use crate::model::{AttrValue, Trace};
use crate::spec::{Scenario, Spec, When};

/// Why a trace is no scenario of the spec (a `classification` finding).
#[derive(Debug, thiserror::Error)]
pub(super) enum ClassifyError {
    /// Two spans carry different values of the scenario attribute.
    #[error("its spans disagree on {key}: `{first}` and `{second}`")]
    Disagree {
        key: String,
        first: String,
        second: String,
    },
    /// The manifest or a span names a scenario the spec lacks.
    #[error("{source_name} names scenario `{name}`, which spec `{spec}` does not define")]
    Unknown {
        /// `the manifest` or the scenario attribute's key.
        source_name: String,
        name: String,
        spec: String,
    },
    /// The manifest and the spans name different scenarios.
    #[error("the manifest sent it as `{sent}` but its spans say `{said}`")]
    ManifestDisagrees { sent: String, said: String },
    /// Nothing names a scenario and no `when` rule applies.
    #[error("it matches no scenario: {}no `when` rule applies", key.as_ref().map(|k| format!("no span carries {k} and ")).unwrap_or_default())]
    NoMatch { key: Option<String> },
}

pub(super) fn classify<'s>(
    spec: &'s Spec,
    trace: &Trace,
    from_manifest: Option<&str>,
) -> Result<&'s Scenario, ClassifyError> {
    let mut named: Option<&str> = None;
    if let Some(key) = &spec.scenario_attribute {
        for span in &trace.spans {
            match (span.attr(key), named) {
                (Some(AttrValue::Str(value)), None) => named = Some(value),
                (Some(AttrValue::Str(value)), Some(first)) if value != first => {
                    return Err(ClassifyError::Disagree {
                        key: key.clone(),
                        first: first.to_owned(),
                        second: value.clone(),
                    });
                }
                _ => {}
            }
        }
    }
    let lookup = |name: &str, source: &str| {
        spec.scenario(name).ok_or_else(|| ClassifyError::Unknown {
            source_name: source.to_owned(),
            name: name.to_owned(),
            spec: spec.name.clone(),
        })
    };
    match (from_manifest, named) {
        (Some(sent), Some(said)) if sent != said => Err(ClassifyError::ManifestDisagrees {
            sent: sent.to_owned(),
            said: said.to_owned(),
        }),
        (Some(sent), _) => lookup(sent, "the manifest"),
        (None, Some(said)) => lookup(
            said,
            spec.scenario_attribute
                .as_deref()
                .unwrap_or("the scenario attribute"),
        ),
        (None, None) => spec
            .scenarios
            .iter()
            .find(|scenario| scenario.when.iter().any(|when| holds(when, trace)))
            .ok_or_else(|| ClassifyError::NoMatch {
                key: spec.scenario_attribute.clone(),
            }),
    }
}

fn holds(when: &When, trace: &Trace) -> bool {
    trace.spans.iter().any(|span| {
        when.selector.matches(span)
            && when
                .conditions
                .iter()
                .all(|(key, c)| c.holds(span.attr(key)))
    })
}

//! Which scenario a trace is: the manifest's word, else the scenario
//! attribute its spans carry, else the first scenario whose `when` rules match.

use crate::model::{AttrValue, Trace};
use crate::spec::{Scenario, Spec, When};

pub(super) fn classify<'s>(
    spec: &'s Spec,
    trace: &Trace,
    from_manifest: Option<&str>,
) -> Result<&'s Scenario, String> {
    let mut named: Option<&str> = None;
    if let Some(key) = &spec.scenario_attribute {
        for span in &trace.spans {
            match (span.attr(key), named) {
                (Some(AttrValue::Str(value)), None) => named = Some(value),
                (Some(AttrValue::Str(value)), Some(first)) if value != first => {
                    return Err(format!(
                        "its spans disagree on {key}: `{first}` and `{value}`"
                    ));
                }
                _ => {}
            }
        }
    }
    let lookup = |name: &str, source: &str| {
        spec.scenario(name).ok_or_else(|| {
            format!(
                "{source} names scenario `{name}`, which spec `{}` does not define",
                spec.name
            )
        })
    };
    match (from_manifest, named) {
        (Some(sent), Some(said)) if sent != said => Err(format!(
            "the manifest sent it as `{sent}` but its spans say `{said}`"
        )),
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
            .ok_or_else(|| match &spec.scenario_attribute {
                Some(key) => format!(
                    "it matches no scenario: no span carries {key} and no `when` rule applies"
                ),
                None => "it matches no scenario: no `when` rule applies".to_owned(),
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

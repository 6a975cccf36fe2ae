//! JUnit XML: one test suite per scenario with one test case per rule, so
//! test names stay stable from run to run and CI can track their history; a
//! `run` suite holds the run-wide sampling test.

use std::collections::BTreeSet;
use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::check::Rule;
use crate::thresholds::ThresholdResult;
use crate::verdict::{Failure, Verdict};

/// Failures listed in one test case's body at most.
const LISTED: usize = 50;

/// Renders the verdict as JUnit XML.
pub(crate) fn render(verdict: &Verdict) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail.
    let _ = write(&mut writer, verdict);
    let mut xml = String::from_utf8_lossy(&writer.into_inner()).into_owned();
    xml.push('\n');
    xml
}

fn write(w: &mut Writer<Vec<u8>>, verdict: &Verdict) -> io::Result<()> {
    let per_trace: Vec<Rule> = Rule::ALL
        .iter()
        .copied()
        .filter(|r| *r != Rule::SamplingRatio)
        .collect();
    let breached = verdict.thresholds.iter().filter(|t| !t.passed).count();
    let mut scenarios: BTreeSet<&str> = verdict
        .summary
        .scenarios
        .keys()
        .map(String::as_str)
        .collect();
    scenarios.extend(
        verdict
            .failures
            .iter()
            .filter_map(|f| f.scenario.as_deref()),
    );
    let run_failures: Vec<&Failure> = verdict
        .failures
        .iter()
        .filter(|f| f.rule == Rule::SamplingRatio)
        .collect();
    let tests = scenarios.len() * per_trace.len() + 1 + verdict.thresholds.len();
    let failed_cases = scenarios
        .iter()
        .map(|s| {
            per_trace
                .iter()
                .filter(|r| {
                    verdict
                        .failures
                        .iter()
                        .any(|f| f.rule == **r && f.scenario.as_deref() == Some(s))
                })
                .count()
        })
        .sum::<usize>()
        + usize::from(!run_failures.is_empty())
        + breached;
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("testsuites")
        .with_attribute(("name", format!("verifier {}", verdict.spec).as_str()))
        .with_attribute(("tests", tests.to_string().as_str()))
        .with_attribute(("failures", failed_cases.to_string().as_str()))
        .write_inner_content(|w| {
            for scenario in &scenarios {
                let failures: Vec<&Failure> = verdict
                    .failures
                    .iter()
                    .filter(|f| f.scenario.as_deref() == Some(scenario))
                    .collect();
                suite(w, scenario, &per_trace, &failures)?;
            }
            suite(w, "run", &[Rule::SamplingRatio], &run_failures)?;
            if verdict.thresholds.is_empty() {
                return Ok(());
            }
            thresholds_suite(w, &verdict.thresholds, breached)
        })?;
    Ok(())
}

/// A `thresholds` suite with one test case per threshold, named by the
/// threshold as written (and its scenario): stable from run to run.
fn thresholds_suite(
    w: &mut Writer<Vec<u8>>,
    thresholds: &[ThresholdResult],
    breached: usize,
) -> io::Result<()> {
    w.create_element("testsuite")
        .with_attribute(("name", "thresholds"))
        .with_attribute(("tests", thresholds.len().to_string().as_str()))
        .with_attribute(("failures", breached.to_string().as_str()))
        .write_inner_content(|w| {
            for t in thresholds {
                let name = match &t.scenario {
                    Some(s) => format!("{} [{s}]", t.threshold),
                    None => t.threshold.clone(),
                };
                let case = w
                    .create_element("testcase")
                    .with_attribute(("classname", "verifier.thresholds"))
                    .with_attribute(("name", name.as_str()));
                if t.passed {
                    case.write_empty()?;
                    continue;
                }
                case.write_inner_content(|w| {
                    let mut body = String::new();
                    for o in &t.offenders {
                        body.push_str(&format!("trace {}: {} ({})\n", o.trace_id, o.value, o.link));
                    }
                    w.create_element("failure")
                        .with_attribute(("type", "threshold"))
                        .with_attribute(("message", format!("breached: {}", t.describe()).as_str()))
                        .write_text_content(BytesText::new(&body))?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(())
}

fn suite(
    w: &mut Writer<Vec<u8>>,
    name: &str,
    rules: &[Rule],
    failures: &[&Failure],
) -> io::Result<()> {
    let failed = rules
        .iter()
        .filter(|r| failures.iter().any(|f| f.rule == **r))
        .count();
    w.create_element("testsuite")
        .with_attribute(("name", name))
        .with_attribute(("tests", rules.len().to_string().as_str()))
        .with_attribute(("failures", failed.to_string().as_str()))
        .write_inner_content(|w| {
            for rule in rules {
                let broken: Vec<&&Failure> = failures.iter().filter(|f| f.rule == *rule).collect();
                let case = w
                    .create_element("testcase")
                    .with_attribute(("classname", format!("verifier.{name}").as_str()))
                    .with_attribute(("name", rule.name()));
                if broken.is_empty() {
                    case.write_empty()?;
                    continue;
                }
                case.write_inner_content(|w| {
                    let mut body = String::new();
                    for f in broken.iter().take(LISTED) {
                        let trace = f
                            .trace_id
                            .map(|t| format!("trace {t}: "))
                            .unwrap_or_default();
                        let link = f
                            .link
                            .as_deref()
                            .map(|l| format!(" ({l})"))
                            .unwrap_or_default();
                        body.push_str(&format!("{trace}{}{link}\n", f.message));
                    }
                    if broken.len() > LISTED {
                        body.push_str(&format!("… and {} more\n", broken.len() - LISTED));
                    }
                    w.create_element("failure")
                        .with_attribute(("type", rule.name()))
                        .with_attribute((
                            "message",
                            format!("{} failures: {}", broken.len(), broken[0].message).as_str(),
                        ))
                        .write_text_content(BytesText::new(&body))?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(())
}

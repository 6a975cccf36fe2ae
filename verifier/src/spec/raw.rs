//! The TOML shape of a spec, as written. [`super::Spec`] is its validated form.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::AttrType;
use crate::model::SpanKind;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSpec {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub services: Spanned<Vec<String>>,
    #[serde(default)]
    pub clock_skew: Option<Spanned<String>>,
    #[serde(default)]
    pub scenario_attribute: Option<String>,
    #[serde(default, rename = "span_rule")]
    pub span_rules: Vec<RawSpanRule>,
    #[serde(default, rename = "scenario")]
    pub scenarios: Vec<RawScenario>,
    #[serde(default, rename = "assertion")]
    pub assertions: Vec<RawAssertion>,
    #[serde(default, rename = "threshold")]
    pub thresholds: Vec<RawThreshold>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAssertion {
    pub selector: Spanned<String>,
    #[serde(default)]
    pub scenario: Option<Spanned<String>>,
    pub checks: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawThreshold {
    pub check: Spanned<String>,
    #[serde(default)]
    pub scenario: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSpanRule {
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub kind: Option<SpanKind>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub error: Option<bool>,
    #[serde(default)]
    pub attributes: BTreeMap<String, AttrType>,
    #[serde(default)]
    pub values: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    pub status_message: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub name: Spanned<String>,
    #[serde(default)]
    pub when: Vec<RawWhen>,
    #[serde(default)]
    pub span: Vec<RawSpan>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWhen {
    pub span: String,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub kind: Option<SpanKind>,
    #[serde(default, rename = "where")]
    pub conditions: BTreeMap<String, Spanned<RawCondition>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCondition {
    #[serde(default)]
    pub exists: Option<bool>,
    #[serde(default)]
    pub eq: Option<toml::Value>,
    #[serde(default)]
    pub ne: Option<toml::Value>,
    #[serde(default)]
    pub lt: Option<f64>,
    #[serde(default)]
    pub le: Option<f64>,
    #[serde(default)]
    pub gt: Option<f64>,
    #[serde(default)]
    pub ge: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSpan {
    pub id: Spanned<String>,
    #[serde(default)]
    pub parent: Option<Spanned<String>>,
    pub service: String,
    pub kind: SpanKind,
    pub name: String,
    #[serde(default)]
    pub optional: Option<Spanned<bool>>,
    #[serde(default)]
    pub error: bool,
    #[serde(default)]
    pub http_status: Option<i64>,
    #[serde(default)]
    pub attributes: BTreeMap<String, AttrType>,
    #[serde(default)]
    pub optional_attributes: BTreeMap<String, AttrType>,
    #[serde(default)]
    pub values: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    pub event: Vec<RawEvent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEvent {
    pub name: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, AttrType>,
    #[serde(default)]
    pub values: BTreeMap<String, Spanned<toml::Value>>,
}

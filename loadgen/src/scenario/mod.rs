//! The requests a run sends: named scenarios read from a TOML file (the
//! order/payment system's own are the shipped `scenarios/order-payment.toml`),
//! their weights, and `--mix`, which re-weights them by name.

mod file;
pub(crate) mod render;
mod template;

use std::{fmt, path::Path, str::FromStr};

use http::{HeaderName, HeaderValue, Method};

pub use file::ScenarioFileError;
use template::Template;

/// The shipped scenarios of this project's order/payment system
/// (`loadgen --print-scenarios` prints them).
pub const ORDER_PAYMENT: &str = include_str!("../../scenarios/order-payment.toml");

/// One kind of request: what to send and which answer to expect.
#[derive(Debug, Clone)]
pub struct Scenario {
    name: String,
    weight: u32,
    method: Method,
    path: Template,
    headers: Vec<(HeaderName, Template)>,
    bodies: Vec<Template>,
    expect: Vec<u16>,
    span_name: String,
    baggage: HeaderValue,
}

impl Scenario {
    /// The name used in `--mix`, baggage, the manifest and reports.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its share of the requests relative to the others' weights.
    pub fn weight(&self) -> u32 {
        self.weight
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The statuses that count as the expected answer (at least one).
    pub fn expected_statuses(&self) -> &[u16] {
        &self.expect
    }

    /// Whether `status` is an expected answer.
    pub fn expects(&self, status: u16) -> bool {
        self.expect.contains(&status)
    }

    /// The name of the loadgen CLIENT span: the method and the path as
    /// written, without its query (`POST /orders`).
    pub fn span_name(&self) -> &str {
        &self.span_name
    }

    /// The `baggage` header value that carries the scenario name.
    pub(crate) fn baggage(&self) -> &HeaderValue {
        &self.baggage
    }

    /// One request of this scenario, rendered from `seed` (the path, the
    /// headers and one of the bodies, picked and filled in as a run
    /// would): for callers that send one scenario's request many times,
    /// such as the per-request benches.
    pub fn sample(&self, seed: u64) -> SampleRequest {
        use rand::{Rng as _, SeedableRng as _};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let pick = (!self.bodies.is_empty()).then(|| rng.random_range(0..self.bodies.len()));
        let mut render = |template: &Template| {
            let mut text = String::new();
            template.render(&mut rng, 0, &mut text);
            text
        };
        let path = render(&self.path);
        let headers = self
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), render(value)))
            .collect();
        let body = pick.map_or_else(String::new, |i| render(&self.bodies[i]));
        SampleRequest {
            method: self.method.clone(),
            path,
            headers,
            body,
        }
    }

    /// The expected statuses as written in reports: `201` or `200|204`.
    pub fn expected_text(&self) -> String {
        let codes: Vec<String> = self.expect.iter().map(u16::to_string).collect();
        codes.join("|")
    }
}

/// One rendered request of a scenario ([`Scenario::sample`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRequest {
    /// The method.
    pub method: Method,
    /// The path with its query, relative to the target.
    pub path: String,
    /// The headers, rendered.
    pub headers: Vec<(HeaderName, String)>,
    /// The body (empty when the scenario has none).
    pub body: String,
}

/// The scenarios of a run, in file order.
#[derive(Debug, Clone)]
pub struct ScenarioSet {
    scenarios: Vec<Scenario>,
    origin: String,
}

impl ScenarioSet {
    /// The shipped order/payment scenarios ([`ORDER_PAYMENT`]).
    pub fn order_payment() -> ScenarioSet {
        // The shipped file is part of the source; a test parses it.
        ScenarioSet::parse(ORDER_PAYMENT, "order-payment.toml", None)
            .unwrap_or_else(|e| unreachable!("the shipped scenarios parse: {e}"))
    }

    /// Reads a scenarios file; a `body_file` is relative to its folder.
    pub fn load(path: &Path) -> Result<ScenarioSet, ScenarioFileError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioFileError {
            origin: origin.clone(),
            line: None,
            message: format!("cannot read it: {e}"),
        })?;
        ScenarioSet::parse(&text, &origin, path.parent())
    }

    /// Parses the text of a scenarios file named `origin` (for errors);
    /// `body_file` paths are relative to `dir` (the current directory when
    /// `None`).
    pub fn parse(
        text: &str,
        origin: &str,
        dir: Option<&Path>,
    ) -> Result<ScenarioSet, ScenarioFileError> {
        let scenarios = file::parse(text, origin, dir)?;
        Ok(ScenarioSet {
            scenarios,
            origin: origin.to_owned(),
        })
    }

    /// The file the scenarios came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Every scenario, in file order.
    pub fn iter(&self) -> std::slice::Iter<'_, Scenario> {
        self.scenarios.iter()
    }

    /// How many scenarios there are.
    pub fn len(&self) -> usize {
        self.scenarios.len()
    }

    /// Whether there is none (never, for a parsed file).
    pub fn is_empty(&self) -> bool {
        self.scenarios.is_empty()
    }

    /// The scenario at `index` (file order).
    pub fn get(&self, index: usize) -> Option<&Scenario> {
        self.scenarios.get(index)
    }

    /// The position of the scenario called `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.scenarios.iter().position(|s| s.name == name)
    }

    /// The sum of the weights.
    pub fn total_weight(&self) -> u64 {
        self.scenarios.iter().map(|s| u64::from(s.weight)).sum()
    }

    /// The share of requests that go to the scenario at `index`, in `0..=1`.
    pub fn fraction(&self, index: usize) -> f64 {
        self.get(index).map_or(0.0, |s| f64::from(s.weight)) / self.total_weight() as f64
    }

    /// The same scenarios with the weights of `mix`; a scenario the mix does
    /// not name gets weight 0.
    pub fn with_mix(&self, mix: &Mix) -> Result<ScenarioSet, ScenarioError> {
        let mut set = self.clone();
        for scenario in &mut set.scenarios {
            scenario.weight = 0;
        }
        for (name, weight) in &mix.weights {
            let index = self.position(name).ok_or_else(|| ScenarioError::NotInMix {
                name: name.clone(),
                origin: self.origin.clone(),
                names: self
                    .iter()
                    .map(Scenario::name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
            set.scenarios[index].weight = *weight;
        }
        if set.total_weight() == 0 {
            return Err(ScenarioError::NoWeight);
        }
        Ok(set)
    }

    /// The weights as a mix (`valid=80,invalid=10,fraud=10`; weight-0
    /// scenarios left out).
    pub fn mix(&self) -> Mix {
        Mix {
            weights: self
                .iter()
                .filter(|s| s.weight > 0)
                .map(|s| (s.name.clone(), s.weight))
                .collect(),
        }
    }

    /// The scenario a uniform draw `r` in `0..total_weight()` falls on.
    pub(crate) fn pick(&self, r: u64) -> usize {
        let mut acc = 0u64;
        for (i, scenario) in self.scenarios.iter().enumerate() {
            acc += u64::from(scenario.weight);
            if r < acc {
                return i;
            }
        }
        // `r < total_weight()`, so the loop returned; keep the last weighted one anyway.
        self.scenarios
            .iter()
            .rposition(|s| s.weight > 0)
            .unwrap_or_default()
    }
}

/// Scenarios that cannot serve a run: a `--mix` that does not fit them, or
/// a path or header that is no valid request on the target.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// `--mix` names a scenario the set lacks.
    #[error("--mix names {name:?}, which {origin} does not define (it has {names})")]
    NotInMix {
        /// The name in the mix.
        name: String,
        /// The scenarios' file (or the built-in set).
        origin: String,
        /// The names the set has, comma-separated.
        names: String,
    },
    /// Every weight is zero after the mix.
    #[error("the mix needs at least one positive weight")]
    NoWeight,
    /// A path joined to the target's base is not a request target.
    #[error("scenario {scenario}: path {path:?} on {base}")]
    Path {
        /// The scenario's name.
        scenario: String,
        /// The path (a sample rendering when it is templated).
        path: String,
        /// The target's base URL.
        base: String,
        /// The URI parser's reason.
        #[source]
        source: http::uri::InvalidUri,
    },
    /// A fixed header value has bytes a header cannot carry.
    #[error("scenario {scenario}")]
    Header {
        /// The scenario's name.
        scenario: String,
        /// The header parser's reason.
        #[source]
        source: http::header::InvalidHeaderValue,
    },
}

/// Integer weights by scenario name (`--mix valid=80,invalid=10,fraud=10`),
/// applied to a [`ScenarioSet`] with [`ScenarioSet::with_mix`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mix {
    weights: Vec<(String, u32)>,
}

impl Mix {
    /// The weight given to `name`, if named.
    pub fn weight(&self, name: &str) -> Option<u32> {
        self.weights
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, w)| w)
    }
}

impl FromStr for Mix {
    type Err = MixError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut weights: Vec<(String, u32)> = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part
                .split_once('=')
                .ok_or_else(|| MixError::Shape(part.to_owned()))?;
            let name = name.trim();
            if weights.iter().any(|(n, _)| n == name) {
                return Err(MixError::Twice(name.to_owned()));
            }
            let weight: u32 = weight.trim().parse().map_err(|_| MixError::Weight {
                name: name.to_owned(),
                weight: weight.to_owned(),
            })?;
            weights.push((name.to_owned(), weight));
        }
        if weights.iter().all(|&(_, w)| w == 0) {
            return Err(MixError::NoWeight);
        }
        Ok(Mix { weights })
    }
}

/// A `--mix` value that is not `scenario=weight,...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MixError {
    /// An entry without `=`.
    #[error("expected scenario=weight, got {0:?}")]
    Shape(String),
    /// A scenario named twice.
    #[error("scenario {0} is given twice")]
    Twice(String),
    /// A weight that is not a whole number.
    #[error("weight of {name} must be a whole number, got {weight:?}")]
    Weight {
        /// The scenario.
        name: String,
        /// The weight as given.
        weight: String,
    },
    /// Every weight zero.
    #[error("the mix needs at least one positive weight")]
    NoWeight,
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .weights
            .iter()
            .filter(|(_, w)| *w > 0)
            .map(|(n, w)| format!("{n}={w}"))
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_sample_is_one_request_rendered_from_the_seed() {
        let set = super::ScenarioSet::order_payment();
        let valid = set.get(set.position("valid").unwrap()).unwrap();
        let one = valid.sample(7);
        assert_eq!(one, valid.sample(7), "the same seed, the same request");
        assert_eq!(
            (one.method.as_str(), one.path.as_str()),
            ("POST", "/orders")
        );
        assert_eq!(one.headers.len(), 1);
        assert_eq!(one.headers[0].1, "application/json");
        let body: serde_json::Value = serde_json::from_str(&one.body).unwrap();
        assert!(body["amount"].as_f64().unwrap() <= 10_000.0, "{body}");
        let health = set.get(set.position("health").unwrap()).unwrap().sample(7);
        assert!(health.body.is_empty() && health.path == "/health");
    }

    use super::*;

    #[test]
    fn the_shipped_file_holds_the_contract_scenarios() {
        let set = ScenarioSet::order_payment();
        let summary: Vec<(&str, u32, &str, &[u16])> = set
            .iter()
            .map(|s| (s.name(), s.weight(), s.span_name(), s.expected_statuses()))
            .collect();
        assert_eq!(
            summary,
            [
                ("valid", 80, "POST /orders", &[201][..]),
                ("invalid", 10, "POST /orders", &[422][..]),
                ("fraud", 10, "POST /orders", &[402][..]),
                ("health", 0, "GET /health", &[200][..]),
            ]
        );
        assert_eq!(set.mix().to_string(), "valid=80,invalid=10,fraud=10");
    }

    #[test]
    fn mix_reweights_by_name() {
        let set = ScenarioSet::order_payment();
        let mixed = set
            .with_mix(&"valid=70, invalid=20,fraud=5,health=5".parse().unwrap())
            .unwrap();
        assert_eq!(mixed.total_weight(), 100);
        assert_eq!(mixed.get(3).unwrap().weight(), 5);
        assert_eq!(
            mixed.mix().to_string(),
            "valid=70,invalid=20,fraud=5,health=5"
        );
        let only_health = set.with_mix(&"health=1".parse().unwrap()).unwrap();
        assert_eq!(only_health.mix().to_string(), "health=1");
        let err = set
            .with_mix(&"bogus=1".parse().unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"bogus\"") && err.contains("valid, invalid, fraud, health"),
            "{err}"
        );
    }

    #[test]
    fn bad_mixes_are_rejected_with_a_reason() {
        for (bad, reason) in [
            ("valid", "scenario=weight"),
            ("valid=x", "whole number"),
            ("valid=-1", "whole number"),
            ("valid=1,valid=2", "twice"),
            ("valid=0", "positive weight"),
            ("", "positive weight"),
        ] {
            let err = bad.parse::<Mix>().unwrap_err().to_string();
            assert!(err.contains(reason), "{bad}: {err}");
        }
    }

    #[test]
    fn pick_covers_each_weight_exactly() {
        let set = ScenarioSet::order_payment()
            .with_mix(&"valid=2,fraud=1,health=3".parse().unwrap())
            .unwrap();
        let picks: Vec<usize> = (0..set.total_weight()).map(|r| set.pick(r)).collect();
        assert_eq!(picks, [0, 0, 2, 3, 3, 3]);
    }
}

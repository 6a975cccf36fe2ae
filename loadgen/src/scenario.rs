//! The request scenarios of the trace contract and the weighted mix of them.

use std::{fmt, str::FromStr};

use http::Method;

/// One kind of request, as named by the trace contract (`docs/CONTRACT.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scenario {
    /// `POST /orders` with a valid order: 201.
    Valid,
    /// `POST /orders` with an invalid order: 422.
    Invalid,
    /// `POST /orders` with an amount above the fraud threshold: 402.
    Fraud,
    /// `GET /health`: 200.
    Health,
}

impl Scenario {
    /// Every scenario, in report order.
    pub const ALL: [Scenario; 4] = [
        Scenario::Valid,
        Scenario::Invalid,
        Scenario::Fraud,
        Scenario::Health,
    ];

    /// The name used in flags, baggage, the manifest and reports.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Valid => "valid",
            Scenario::Invalid => "invalid",
            Scenario::Fraud => "fraud",
            Scenario::Health => "health",
        }
    }

    /// The position of the scenario in [`Scenario::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The HTTP status the contract promises for this scenario.
    pub fn expected_status(self) -> u16 {
        match self {
            Scenario::Valid => 201,
            Scenario::Invalid => 422,
            Scenario::Fraud => 402,
            Scenario::Health => 200,
        }
    }

    /// The request method.
    pub fn method(self) -> Method {
        match self {
            Scenario::Health => Method::GET,
            _ => Method::POST,
        }
    }

    /// The request method's name (`http.request.method`).
    pub fn method_name(self) -> &'static str {
        match self {
            Scenario::Health => "GET",
            _ => "POST",
        }
    }

    /// The request path below the target's base path.
    pub fn path(self) -> &'static str {
        match self {
            Scenario::Health => "/health",
            _ => "/orders",
        }
    }

    /// The name of the loadgen CLIENT span (`<METHOD> <route>`).
    pub fn span_name(self) -> &'static str {
        match self {
            Scenario::Health => "GET /health",
            _ => "POST /orders",
        }
    }

    /// The `baggage` header value that carries the scenario name.
    pub fn baggage(self) -> &'static str {
        match self {
            Scenario::Valid => "loadgen.scenario=valid",
            Scenario::Invalid => "loadgen.scenario=invalid",
            Scenario::Fraud => "loadgen.scenario=fraud",
            Scenario::Health => "loadgen.scenario=health",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scenario::ALL
            .into_iter()
            .find(|sc| sc.name() == s)
            .ok_or_else(|| {
                format!("unknown scenario {s:?} (expected valid, invalid, fraud or health)")
            })
    }
}

/// Integer weights of the scenarios, e.g. `valid=80,invalid=10,fraud=10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    weights: [u32; 4],
}

impl Mix {
    /// A mix with the given weights; at least one must be positive.
    pub fn new(weights: &[(Scenario, u32)]) -> Result<Mix, String> {
        let mut mix = Mix { weights: [0; 4] };
        for &(scenario, weight) in weights {
            mix.weights[scenario.index()] = weight;
        }
        if mix.total() == 0 {
            return Err("the mix needs at least one positive weight".to_owned());
        }
        Ok(mix)
    }

    /// The weight of one scenario.
    pub fn weight(&self, scenario: Scenario) -> u32 {
        self.weights[scenario.index()]
    }

    /// The sum of the weights.
    pub fn total(&self) -> u64 {
        self.weights.iter().map(|&w| u64::from(w)).sum()
    }

    /// The share of requests that go to `scenario`, in `0..=1`.
    pub fn fraction(&self, scenario: Scenario) -> f64 {
        self.weight(scenario) as f64 / self.total() as f64
    }

    /// The scenario a uniform draw `r` in `0..total()` falls on.
    pub(crate) fn pick(&self, r: u64) -> Scenario {
        let mut acc = 0u64;
        for scenario in Scenario::ALL {
            acc += u64::from(self.weight(scenario));
            if r < acc {
                return scenario;
            }
        }
        // `r < total()`, so the loop returned; keep the last weighted one anyway.
        Scenario::ALL
            .into_iter()
            .rev()
            .find(|&s| self.weight(s) > 0)
            .unwrap_or(Scenario::Valid)
    }
}

impl Default for Mix {
    /// `valid=80,invalid=10,fraud=10`.
    fn default() -> Self {
        Mix {
            weights: [80, 10, 10, 0],
        }
    }
}

impl FromStr for Mix {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut weights = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part
                .split_once('=')
                .ok_or_else(|| format!("expected scenario=weight, got {part:?}"))?;
            let scenario: Scenario = name.trim().parse()?;
            if weights.iter().any(|&(s, _)| s == scenario) {
                return Err(format!("scenario {scenario} is given twice"));
            }
            let weight: u32 = weight.trim().parse().map_err(|_| {
                format!("weight of {scenario} must be a whole number, got {weight:?}")
            })?;
            weights.push((scenario, weight));
        }
        Mix::new(&weights)
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for scenario in Scenario::ALL.into_iter().filter(|&s| self.weight(s) > 0) {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{}={}", scenario, self.weight(scenario))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_parses_and_prints_back() {
        let mix: Mix = "valid=70, invalid=20,fraud=5,health=5".parse().unwrap();
        assert_eq!(mix.total(), 100);
        assert_eq!(mix.weight(Scenario::Health), 5);
        assert_eq!(mix.to_string(), "valid=70,invalid=20,fraud=5,health=5");
        assert_eq!(Mix::default().to_string(), "valid=80,invalid=10,fraud=10");
    }

    #[test]
    fn bad_mixes_are_rejected_with_a_reason() {
        for (bad, reason) in [
            ("valid", "scenario=weight"),
            ("valid=x", "whole number"),
            ("valid=-1", "whole number"),
            ("bogus=1", "unknown scenario"),
            ("valid=1,valid=2", "twice"),
            ("valid=0", "positive weight"),
            ("", "positive weight"),
        ] {
            let err = bad.parse::<Mix>().unwrap_err();
            assert!(err.contains(reason), "{bad}: {err}");
        }
    }

    #[test]
    fn pick_covers_each_weight_exactly() {
        let mix: Mix = "valid=2,fraud=1,health=3".parse().unwrap();
        let picks: Vec<Scenario> = (0..mix.total()).map(|r| mix.pick(r)).collect();
        use Scenario::*;
        assert_eq!(picks, [Valid, Valid, Fraud, Health, Health, Health]);
    }
}

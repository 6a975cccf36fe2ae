//! Run-wide thresholds, k6-style: a statistic over every checked trace (of
//! one scenario, when given) against a bound. A breached threshold fails the run.
//!
//! ```text
//! threshold = stat "(" "duration" "of" selector ")" op duration
//!           | "rate" "(" "passed" ")" op number       fraction of checked traces that passed
//!           | "count" "(" selector ")" op integer      selected spans over all traces
//! stat      = "p50" | "p90" | "p95" | "p99" | "p999" | "min" | "max" | "mean"
//! ```

use std::fmt;

use super::assertion::operator;
use super::selector::{Cursor, ExprError, Op, Selector};

/// A statistic of a duration distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    /// A percentile, as a quantile in 0..=1 (`p99` is 0.99).
    Quantile(f64),
    /// The shortest.
    Min,
    /// The longest.
    Max,
    /// The mean.
    Mean,
}

/// What a threshold measures.
#[derive(Debug, Clone, PartialEq)]
pub enum Metric {
    /// A statistic of the selected spans' durations (nanoseconds).
    Duration(Stat, Selector),
    /// The fraction of checked traces that passed every check.
    PassRate,
    /// How many spans the selector selects over all traces.
    Count(Selector),
}

/// `[[threshold]]`: one bound on a run-wide statistic.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The threshold as written (how reports name it).
    pub source: String,
    /// Only traces of this scenario.
    pub scenario: Option<String>,
    /// What is measured.
    pub metric: Metric,
    /// How it compares to the bound.
    pub op: Op,
    /// The bound: nanoseconds for durations, a fraction for rates, a number for counts.
    pub bound: f64,
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)?;
        match &self.scenario {
            Some(s) => write!(f, " [{s}]"),
            None => Ok(()),
        }
    }
}

impl Threshold {
    /// Parses a threshold expression.
    pub fn parse(text: &str, scenario: Option<String>) -> Result<Threshold, ExprError> {
        let mut cursor = Cursor::new(text);
        cursor.blanks();
        let start = cursor.error("");
        let word = cursor.word().unwrap_or_default();
        let stat = match word {
            "p50" => Some(Stat::Quantile(0.50)),
            "p90" => Some(Stat::Quantile(0.90)),
            "p95" => Some(Stat::Quantile(0.95)),
            "p99" => Some(Stat::Quantile(0.99)),
            "p999" => Some(Stat::Quantile(0.999)),
            "min" => Some(Stat::Min),
            "max" => Some(Stat::Max),
            "mean" => Some(Stat::Mean),
            _ => None,
        };
        let (metric, op, bound) = if let Some(stat) = stat {
            cursor.expect("(")?;
            if !(cursor.eat_word("duration") && cursor.eat_word("of")) {
                cursor.blanks();
                return Err(cursor.error(format!(
                    "expected `duration of SELECTOR`, found {}",
                    cursor.found()
                )));
            }
            let selector = Selector::parse_at(&mut cursor)?;
            cursor.expect(")")?;
            let op = operator(&mut cursor)?;
            (Metric::Duration(stat, selector), op, cursor.duration_ns()?)
        } else if word == "rate" {
            cursor.expect("(")?;
            if !cursor.eat_word("passed") {
                cursor.blanks();
                return Err(cursor.error(format!("expected `passed`, found {}", cursor.found())));
            }
            cursor.expect(")")?;
            let op = operator(&mut cursor)?;
            cursor.blanks();
            let at = cursor.error("");
            let rate = cursor.number()?;
            if !(0.0..=1.0).contains(&rate) {
                return Err(ExprError {
                    message: "a rate is within 0..=1".into(),
                    ..at
                });
            }
            (Metric::PassRate, op, rate)
        } else if word == "count" {
            cursor.expect("(")?;
            let selector = Selector::parse_at(&mut cursor)?;
            cursor.expect(")")?;
            let op = operator(&mut cursor)?;
            (Metric::Count(selector), op, cursor.number()?)
        } else {
            return Err(ExprError {
                message: format!(
                    "expected p50, p90, p95, p99, p999, min, max, mean, rate or count, found `{word}`"
                ),
                ..start
            });
        };
        cursor.end()?;
        Ok(Threshold {
            source: text.trim().to_owned(),
            scenario,
            metric,
            op,
            bound,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_and_errors_name_the_column() {
        let t = Threshold::parse(
            "p99(duration of span[name=\"save_order\"]) < 50ms",
            Some("valid".into()),
        )
        .unwrap();
        assert!(matches!(t.metric, Metric::Duration(Stat::Quantile(q), _) if q == 0.99));
        assert_eq!((t.op, t.bound), (Op::Lt, 50e6));
        assert_eq!(
            Threshold::parse("rate(passed) >= 0.999", None)
                .unwrap()
                .metric,
            Metric::PassRate
        );
        let count = Threshold::parse("count(span[kind=server] > span) = 0", None).unwrap();
        assert!(matches!(count.metric, Metric::Count(ref s) if s.steps.len() == 2));
        for (text, column, words) in [
            ("p98(duration of span) < 1ms", 1, "expected p50"),
            ("p99(span) < 1ms", 5, "duration of"),
            ("p99(duration of span < 1ms", 22, "expected `)`"),
            ("rate(passed) >= 2", 17, "within 0..=1"),
            ("max(duration of span) < 5", 25, "expected a duration"),
            ("count(span[name=\"a\") > 1", 20, "field"),
        ] {
            let err = Threshold::parse(text, None).unwrap_err();
            assert_eq!(err.column(text), column, "{text}: {err:?}");
            assert!(err.message.contains(words), "{text}: {err:?}");
        }
    }
}

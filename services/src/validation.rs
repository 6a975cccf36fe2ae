//! Field checks shared by both services' request validation: each failed
//! check names its field, and all failures are reported at once (422).

use std::fmt;

use crate::error::ApiError;

/// The fields of a request that failed validation, with what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    problems: Vec<(&'static str, &'static str)>,
}

impl ValidationError {
    /// The offending field names, in check order.
    pub fn fields(&self) -> Vec<String> {
        self.problems.iter().map(|(f, _)| (*f).to_owned()).collect()
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (field, problem)) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{field} {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        ApiError::validation_failed(err.to_string(), err.fields())
    }
}

/// Collects failed checks; each check returns the value when it passes.
#[derive(Debug, Default)]
pub(crate) struct Checker {
    problems: Vec<(&'static str, &'static str)>,
}

impl Checker {
    /// A required, non-blank string.
    pub(crate) fn text<'a>(
        &mut self,
        field: &'static str,
        value: Option<&'a str>,
    ) -> Option<&'a str> {
        match value {
            None => self.fail(field, "is required"),
            Some(v) if v.trim().is_empty() => self.fail(field, "must not be empty"),
            Some(v) => Some(v),
        }
    }

    /// A required integer greater than zero.
    pub(crate) fn positive_int(&mut self, field: &'static str, value: Option<i64>) -> Option<i64> {
        match value {
            None => self.fail(field, "is required"),
            Some(v) if v <= 0 => self.fail(field, "must be greater than 0"),
            Some(v) => Some(v),
        }
    }

    /// A required finite number greater than zero.
    pub(crate) fn positive_number(
        &mut self,
        field: &'static str,
        value: Option<f64>,
    ) -> Option<f64> {
        match value {
            None => self.fail(field, "is required"),
            Some(v) if !(v.is_finite() && v > 0.0) => self.fail(field, "must be greater than 0"),
            Some(v) => Some(v),
        }
    }

    /// The collected failures (call when a check returned `None`).
    pub(crate) fn into_error(self) -> ValidationError {
        ValidationError {
            problems: self.problems,
        }
    }

    fn fail<T>(&mut self, field: &'static str, problem: &'static str) -> Option<T> {
        self.problems.push((field, problem));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_is_reported_with_its_field() {
        let mut check = Checker::default();
        assert_eq!(check.text("customer_id", Some("  ")), None);
        assert_eq!(check.text("item", None), None);
        assert_eq!(check.positive_int("quantity", Some(0)), None);
        assert_eq!(check.positive_number("amount", Some(-1.0)), None);
        assert_eq!(check.positive_number("amount", Some(2.5)), Some(2.5));
        let err = check.into_error();
        assert_eq!(err.fields(), ["customer_id", "item", "quantity", "amount"]);
        assert_eq!(
            err.to_string(),
            "customer_id must not be empty; item is required; quantity must be greater than 0; \
             amount must be greater than 0"
        );
        let api: ApiError = err.into();
        assert_eq!(api.status.as_u16(), 422);
        assert_eq!(api.body.error.fields.len(), 4);
    }
}

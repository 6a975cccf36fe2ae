//! Why the query API refused a request's parameters, in Jaeger's words.
//!
//! Jaeger writes these as `fmt.Errorf("...: %w", err)`; here the message
//! names the parameter and the parser's reason is the error's source, and
//! [`ParamError::message`] joins them into the body text Jaeger gives.

use std::error::Error;

/// Go's `json.Unmarshal` into `map[string]string` refusing its input
/// (the type-error texts are Go's, the syntax-error texts close to Go's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum JsonMapError {
    /// The text ends inside a value.
    #[error("unexpected end of JSON input")]
    Eof,
    /// A character no JSON value starts with.
    #[error("invalid character {0:?} looking for beginning of value")]
    Syntax(char),
    /// A map value that is not a string or `null` (its JSON kind).
    #[error("json: cannot unmarshal {0} into Go value of type string")]
    NotAString(&'static str),
    /// A document that is not an object or `null` (its JSON kind).
    #[error("json: cannot unmarshal {0} into Go value of type map[string]string")]
    NotAMap(&'static str),
}

/// A parameter the query API answers 400 for.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ParamError {
    /// `/api/v3`: a parameter its parser refused.
    #[error("malformed parameter {name}")]
    Malformed {
        /// The parameter as the request spelled it.
        name: String,
        /// The parser's reason.
        #[source]
        source: Box<dyn Error + Send + Sync>,
    },
    /// `/api`: a parameter its parser refused.
    #[error("unable to parse param '{name}'")]
    Unparsable {
        /// The parameter's name.
        name: String,
        /// The parser's reason.
        #[source]
        source: Box<dyn Error + Send + Sync>,
    },
    /// `/api`: a `tag` without a colon (the value as received).
    #[error("malformed 'tag' parameter, expecting key:value, received: {0}")]
    Tag(String),
    /// `/api`: a `tags` value that is not a JSON string map.
    #[error("malformed 'tags' parameter, cannot unmarshal JSON")]
    Tags(#[source] JsonMapError),
    /// `/api`: a `traceID` that is not a trace id.
    #[error("cannot parse traceID param")]
    TraceId(#[source] crate::ids::TraceIdError),
    /// `/api`: a `limit` that is not a 32-bit integer (Go's text alone).
    #[error(transparent)]
    Limit(crate::go::strconv::NumError),
    /// A rule between parameters (a missing one, an inverted range).
    #[error("{0}")]
    Rule(&'static str),
}

impl ParamError {
    /// `/api/v3`'s error for parameter `name` refused by its parser.
    pub(crate) fn malformed(name: &str, source: impl Error + Send + Sync + 'static) -> Self {
        ParamError::Malformed {
            name: name.to_owned(),
            source: Box::new(source),
        }
    }

    /// `/api`'s error for parameter `name` refused by its parser.
    pub(crate) fn unparsable(name: &str, source: impl Error + Send + Sync + 'static) -> Self {
        ParamError::Unparsable {
            name: name.to_owned(),
            source: Box::new(source),
        }
    }

    /// The error answer's message: this error and its causes joined by
    /// `": "`, byte for byte (not `cli_support::error_chain`, which folds
    /// whitespace for a terminal line; a quoted input must stay as sent).
    pub(crate) fn message(&self) -> String {
        let mut text = self.to_string();
        let mut cause = self.source();
        while let Some(source) = cause {
            text.push_str(": ");
            text.push_str(&source.to_string());
            cause = source.source();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::go::strconv;

    #[test]
    fn the_message_joins_the_causes_keeping_the_input_as_sent() {
        let Err(e) = strconv::parse_int("1  2", 64) else {
            panic!("\"1  2\" is not an integer");
        };
        assert_eq!(
            ParamError::unparsable("start", e).message(),
            "unable to parse param 'start': strconv.ParseInt: parsing \"1  2\": invalid syntax"
        );
        assert_eq!(
            ParamError::Tags(JsonMapError::Syntax('x')).message(),
            "malformed 'tags' parameter, cannot unmarshal JSON: \
             invalid character 'x' looking for beginning of value"
        );
    }
}

//! An error and its causes as the one line a binary prints.

use std::error::Error;

/// `error` and each of its [`Error::source`]s, joined by `: ` on one line
/// (`cannot start tracestore: cannot bind 127.0.0.1:4317: Address in use`).
/// A cause whose text the message before it already ends with (an error
/// that writes its source into its own message) is not repeated; line
/// breaks inside a message become spaces.
pub fn error_chain(error: &(dyn Error + 'static)) -> String {
    let mut line = one_line(&error.to_string());
    if let Some(cause) = error.source() {
        push_causes(&mut line, cause);
    }
    line
}

/// Appends `cause` and its sources to `line` as [`error_chain`] does.
pub(crate) fn push_causes(line: &mut String, cause: &(dyn Error + 'static)) {
    let mut cause = Some(cause);
    while let Some(source) = cause {
        let text = one_line(&source.to_string());
        if !text.is_empty() && !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = source.source();
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer {
        message: &'static str,
        source: Option<Box<Layer>>,
    }

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.message)
        }
    }

    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.source.as_deref().map(|s| s as &(dyn Error + 'static))
        }
    }

    fn layer(message: &'static str, source: Option<Layer>) -> Layer {
        Layer {
            message,
            source: source.map(Box::new),
        }
    }

    #[test]
    fn every_cause_on_one_line() {
        let error = layer(
            "cannot start tracestore",
            Some(layer(
                "cannot bind 127.0.0.1:4317",
                Some(layer("Address\nin use", None)),
            )),
        );
        assert_eq!(
            error_chain(&error),
            "cannot start tracestore: cannot bind 127.0.0.1:4317: Address in use"
        );
    }

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let error = layer("flush: timed out", Some(layer("timed out", None)));
        assert_eq!(error_chain(&error), "flush: timed out");
    }
}

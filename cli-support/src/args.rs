//! Command lines: clap with one-line errors and values that may be negative.

use std::{error::Error as _, ffi::OsString, process::ExitCode, time::Duration};

use clap::{Arg, Command, Parser};

use crate::{EXIT_OK, EXIT_USAGE};

/// Parses the process's arguments for `tool`; on a bad command line prints
/// one line `tool: message` on stderr and gives exit code 2, on `--help` or
/// `--version` prints them on stdout and gives exit code 0.
pub fn parse<P: Parser>(tool: &str) -> Result<P, ExitCode> {
    try_parse_from(std::env::args_os()).map_err(|e| {
        if !e.use_stderr() {
            print!("{e}");
            ExitCode::from(EXIT_OK)
        } else {
            eprintln!("{tool}: {}", error_line(&e));
            ExitCode::from(EXIT_USAGE)
        }
    })
}

/// Parses `args` (the program name first) as [`parse`] does, returning
/// clap's error.
pub fn try_parse_from<P, I, T>(args: I) -> Result<P, clap::Error>
where
    P: Parser,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut cmd = P::command();
    let args = negative_values_attached(&cmd, args.into_iter().map(Into::into).collect());
    let matches = cmd.try_get_matches_from_mut(args)?;
    P::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

/// `args` with every value that starts with `-` and a digit or `.` (`-5`,
/// `-0.1`, `-1s`) attached to the flag before it when that flag takes a
/// value (`--rps -5` becomes `--rps=-5`), so that it reaches the flag's
/// parser and is refused as a bad value of that flag rather than as clap's
/// "unexpected argument '-5'". A following flag (`--settle --verbose`) is
/// left a flag: clap's `allow_hyphen_values` would take it as the value.
/// The walk follows clap's reading: a value flag's value is its value even
/// when it is spelled like a subcommand (`--scenarios run`), and the global
/// flags of the commands entered so far count in their subcommands.
fn negative_values_attached(cmd: &Command, args: Vec<OsString>) -> Vec<OsString> {
    let mut entered = vec![cmd];
    let mut out = Vec::with_capacity(args.len());
    let mut rest = args.into_iter();
    out.extend(rest.next());
    let mut rest = rest.peekable();
    while let Some(arg) = rest.next() {
        let Some(text) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if text == "--" {
            out.push(arg);
            out.extend(rest);
            break;
        }
        let current = entered[entered.len() - 1];
        if value_flag(&entered, text) {
            let next = rest.peek().and_then(|next| next.to_str());
            let is_value = next.is_some_and(|v| !v.starts_with('-') || looks_negative(v));
            let negative = next.is_some_and(looks_negative);
            match rest.next_if(|_| is_value) {
                Some(value) if negative => {
                    let mut joined = arg;
                    joined.push("=");
                    joined.push(value);
                    out.push(joined);
                }
                Some(value) => out.extend([arg, value]),
                None => out.push(arg),
            }
            continue;
        }
        if let Some(sub) = current.find_subcommand(text) {
            entered.push(sub);
        }
        out.push(arg);
    }
    out
}

/// Whether `token` is a flag (`--name` or `-n`, without a value attached)
/// that takes a value: one of the innermost command entered, or a global
/// one of a command around it.
fn value_flag(entered: &[&Command], token: &str) -> bool {
    let Some((innermost, around)) = entered.split_last() else {
        return false;
    };
    let matches = |arg: &Arg| {
        if !arg.get_action().takes_values() {
            return false;
        }
        if let Some(long) = token.strip_prefix("--") {
            return !long.contains('=') && arg.get_long() == Some(long);
        }
        let mut chars = token.strip_prefix('-').unwrap_or("").chars();
        matches!((chars.next(), chars.next()), (Some(c), None) if arg.get_short() == Some(c))
    };
    innermost.get_arguments().any(matches)
        || around
            .iter()
            .flat_map(|cmd| cmd.get_arguments())
            .any(|arg| arg.is_global_set() && matches(arg))
}

/// `-5`, `-0.1`, `-.5`, `-1s`: a value meant as a negative number or
/// duration, never a flag (no flag of this workspace starts with a digit).
fn looks_negative(token: &str) -> bool {
    token
        .strip_prefix('-')
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| c.is_ascii_digit() || c == '.')
}

/// A clap error as one line, without its `error: ` and usage: the first
/// paragraph, its lines joined (`invalid value 'v4' for '--api <API>'
/// [possible values: auto, v3, v1]`).
/// A value parser's error that keeps its cause as a source (a URL flag's
/// [`crate::UrlError`]) has the cause added as [`crate::error_chain`] adds
/// it: clap itself prints only the parser's own message.
pub fn error_line(error: &clap::Error) -> String {
    let text = error.to_string();
    let paragraph: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let line = paragraph.join(" ");
    let mut line = line.strip_prefix("error: ").unwrap_or(&line).to_owned();
    if let Some(causes) = error.source().and_then(std::error::Error::source) {
        crate::chain::push_causes(&mut line, causes);
    }
    line
}

/// The duration flags' parser: `humantime` syntax (`500ms`, `30s`, `5m`,
/// `1h 30m`), and a negative duration named as such.
pub fn parse_duration(s: &str) -> Result<Duration, DurationError> {
    let s = s.trim();
    if s.starts_with('-') {
        return Err(DurationError::Negative);
    }
    humantime::parse_duration(s).map_err(DurationError::NotADuration)
}

/// A duration flag's value that [`parse_duration`] refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DurationError {
    /// `-1s`: spelled as a negative duration.
    #[error("a duration cannot be negative")]
    Negative,
    /// Not `humantime` syntax. Its error is the message, with the syntax
    /// shown after it; it is not also a source, so nothing prints it twice.
    #[error("{0} (expected e.g. 500ms, 30s, 5m)")]
    NotADuration(humantime::DurationError),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command line with the kinds of flags the binaries have.
    #[derive(Debug, Parser)]
    #[command(name = "tool")]
    struct Cli {
        #[arg(long, value_parser = parse_positive)]
        rate: Option<f64>,
        #[arg(long, value_parser = parse_duration)]
        settle: Option<Duration>,
        #[arg(long)]
        verbose: bool,
        #[arg(long, value_enum)]
        api: Option<Api>,
        #[arg(long, requires = "end")]
        start: Option<u64>,
        #[arg(long)]
        end: Option<u64>,
        #[arg(long, global = true, value_parser = parse_positive)]
        weight: Option<f64>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_parser = crate::parse_http_url)]
        url: Option<String>,
        #[command(subcommand)]
        sub: Option<Sub>,
    }

    #[derive(Debug, Clone, Copy, clap::ValueEnum)]
    enum Api {
        V3,
        V1,
    }

    #[derive(Debug, clap::Subcommand)]
    enum Sub {
        Run {
            #[arg(long, value_parser = parse_positive)]
            rate: Option<f64>,
        },
    }

    fn parse_positive(s: &str) -> Result<f64, String> {
        match s.parse::<f64>() {
            Ok(v) if v > 0.0 => Ok(v),
            _ => Err(format!("expected a positive number, got {s:?}")),
        }
    }

    fn error(args: &[&str]) -> String {
        let e = try_parse_from::<Cli, _, _>(std::iter::once("tool").chain(args.iter().copied()))
            .unwrap_err();
        error_line(&e)
    }

    #[test]
    fn negative_values_reach_their_parser_and_name_the_flag() {
        assert_eq!(
            error(&["--rate", "-5"]),
            "invalid value '-5' for '--rate <RATE>': expected a positive number, got \"-5\""
        );
        assert_eq!(
            error(&["run", "--rate", "-0.1"]),
            "invalid value '-0.1' for '--rate <RATE>': expected a positive number, got \"-0.1\""
        );
        assert_eq!(
            error(&["--settle", "-1s"]),
            "invalid value '-1s' for '--settle <SETTLE>': a duration cannot be negative"
        );
        assert_eq!(
            error(&["--rate=-5"]),
            "invalid value '-5' for '--rate <RATE>': expected a positive number, got \"-5\""
        );
        // A flag is still a flag where no value is taken.
        assert!(error(&["-x"]).contains("unexpected argument '-x'"));
    }

    #[test]
    fn a_value_parsers_cause_follows_its_message() {
        // UrlError keeps the URL parser's error as its source, out of its
        // own message; clap alone would print only the message.
        assert_eq!(
            error(&["--url", "http://127.0.0.1:99999"]),
            "invalid value 'http://127.0.0.1:99999' for '--url <URL>': \
             \"http://127.0.0.1:99999\" is not a URL: invalid port number"
        );
    }

    #[test]
    fn a_flag_after_a_value_flag_is_not_taken_as_its_value() {
        // Before, `allow_hyphen_values` on duration flags read `--verbose`
        // as the (invalid) duration of --settle.
        assert_eq!(
            error(&["--settle", "--verbose"]),
            "a value is required for '--settle <SETTLE>' but none was supplied"
        );
        assert!(
            error(&["--rate", "--verbose"]).contains("a value is required for '--rate <RATE>'")
        );
        let ok = try_parse_from::<Cli, _, _>(["tool", "--verbose", "run", "--rate", "3"]).unwrap();
        assert!(ok.verbose);
        assert!(matches!(ok.sub, Some(Sub::Run { rate: Some(r) }) if r == 3.0));
    }

    #[test]
    fn a_value_spelled_like_a_subcommand_is_the_flags_value() {
        // Before, `run` entered the subcommand, which has no --end: `-5`
        // stayed apart and was an unexpected argument.
        let ok = try_parse_from::<Cli, _, _>(["tool", "--name", "run"]).unwrap();
        assert_eq!(ok.name.as_deref(), Some("run"));
        assert!(ok.sub.is_none());
        let err = error(&["--name", "run", "--end", "-5"]);
        assert!(
            err.starts_with("invalid value '-5' for '--end <END>'"),
            "{err}"
        );
    }

    #[test]
    fn a_global_flag_after_a_subcommand_gets_its_negative_value() {
        assert_eq!(
            error(&["run", "--weight", "-2"]),
            "invalid value '-2' for '--weight <WEIGHT>': expected a positive number, got \"-2\""
        );
        let ok = try_parse_from::<Cli, _, _>(["tool", "run", "--weight", "2"]).unwrap();
        assert_eq!(ok.weight, Some(2.0));
    }

    #[test]
    fn every_error_is_one_line_without_the_usage() {
        for (args, expected) in [
            (
                &["--api", "v4"][..],
                "invalid value 'v4' for '--api <API>' [possible values: v3, v1]",
            ),
            (
                &["--start", "1"][..],
                "the following required arguments were not provided: --end <END>",
            ),
            (
                &["--settle", "soon"][..],
                "invalid value 'soon' for '--settle <SETTLE>': expected number at 0 (expected e.g. 500ms, 30s, 5m)",
            ),
        ] {
            assert_eq!(error(args), expected, "{args:?}");
        }
        let ok = try_parse_from::<Cli, _, _>(["tool", "--settle", "1m", "--rate", "2"]).unwrap();
        assert_eq!(ok.settle, Some(Duration::from_secs(60)));
        assert_eq!(ok.rate, Some(2.0));
        assert!(!ok.verbose);
    }
}

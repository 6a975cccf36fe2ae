//! Command lines: clap with one-line errors and values that may be negative.

use std::{any::TypeId, ffi::OsString, process::ExitCode, time::Duration};

use clap::{Arg, Command, CommandFactory, Parser};

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
    let mut cmd = command::<P>();
    let matches = cmd.try_get_matches_from_mut(args)?;
    P::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

/// `P`'s command, every subcommand included, with values allowed to start
/// with `-` where they can be meant as a value: a negative number for any
/// flag, any text for a duration flag. The value's parser then says what is
/// wrong with it, naming the flag.
pub fn command<P: CommandFactory>() -> Command {
    with_hyphen_values(P::command())
}

fn with_hyphen_values(cmd: Command) -> Command {
    cmd.mut_args(|arg: Arg| {
        if !arg.get_action().takes_values() {
            return arg;
        }
        let duration = arg.get_value_parser().type_id() == TypeId::of::<Duration>();
        arg.allow_negative_numbers(true)
            .allow_hyphen_values(duration)
    })
    .mut_subcommands(with_hyphen_values)
}

/// A clap error as one line, without its `error: ` and usage: the first
/// paragraph, its lines joined (`invalid value 'v4' for '--api <API>'
/// [possible values: auto, v3, v1]`).
pub fn error_line(error: &clap::Error) -> String {
    let text = error.to_string();
    let paragraph: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let line = paragraph.join(" ");
    line.strip_prefix("error: ").unwrap_or(&line).to_owned()
}

/// The duration flags' parser: `humantime` syntax (`500ms`, `30s`, `5m`,
/// `1h 30m`), and a negative duration named as such.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.starts_with('-') {
        return Err("a duration cannot be negative".to_owned());
    }
    humantime::parse_duration(s).map_err(|e| format!("{e} (expected e.g. 500ms, 30s, 5m)"))
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
        // A flag is still a flag where no value is taken.
        assert!(error(&["-x"]).contains("unexpected argument '-x'"));
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

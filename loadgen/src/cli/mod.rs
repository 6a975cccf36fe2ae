//! The command line: `loadgen [run flags]` and `loadgen merge a.json b.json`.
//!
//! Exit codes ([`cli_support`]'s): 0 every request got its expected status,
//! 1 some did not (or the manifest or root spans were lost), 2 the run could
//! not be done as asked (bad flags, unreadable files, unusable telemetry
//! settings).

mod load_args;
mod shard_args;

pub(crate) use load_args::TARGET_TLS_NAMES;
pub use load_args::{LoadArgs, LoadFlagsError, RateError, TargetTlsArgs, parse_rps};
pub use shard_args::{JOB_INDEX_VAR, ShardArgs, ShardError};

use std::{future::Future, path::PathBuf, process::ExitCode};

use clap::{Args, Parser, Subcommand};
use telemetry::{OtelConfig, Protocol, SamplerConfig};

use crate::{
    config::{LoadConfig, Target},
    report::{Report, merge},
    scenario::ORDER_PAYMENT,
};

use cli_support::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

/// Open-loop HTTP load for any HTTP system, with scenarios from a file, a
/// sampling ratio, HDR latency (coordinated-omission corrected) and a trace
/// manifest.
#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    version,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    /// A subcommand instead of a run.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Print the shipped order/payment scenarios file (a start for your own
    /// --scenarios) and exit.
    #[arg(long, exclusive = true)]
    pub print_scenarios: bool,
    /// The run's flags.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Merge the JSON reports of several shards into one report.
    Merge(MergeArgs),
}

/// `loadgen merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON reports written with --json.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Write the merged report as JSON here.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
}

/// The flags of a run: the target, the load, and what only the loadgen
/// binary does (shards, its JSON report, its OTLP endpoint).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Base URL of the system under load; scenario paths are joined to it.
    #[arg(long, env = "LOADGEN_TARGET", default_value = "http://127.0.0.1:8000", value_parser = Target::parse)]
    pub target: Target,
    /// The load.
    #[command(flatten)]
    pub load: LoadArgs,
    /// This instance's share of the load.
    #[command(flatten)]
    pub sharding: ShardArgs,
    /// Write the report as JSON (with HDR histograms, for `loadgen merge`).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// OTLP endpoint for the loadgen's spans (overrides OTEL_EXPORTER_OTLP_ENDPOINT).
    #[arg(long, value_name = "URL", value_parser = cli_support::parse_http_url)]
    pub otlp_endpoint: Option<String>,
    /// OTLP protocol: grpc, http/protobuf or http/json (overrides OTEL_EXPORTER_OTLP_PROTOCOL).
    #[arg(long, value_name = "PROTOCOL", value_parser = str::parse::<Protocol>)]
    pub otlp_protocol: Option<Protocol>,
}

/// Runs the parsed command line; `stop` ends a run early (Ctrl-C).
pub async fn execute(cli: Cli, stop: impl Future<Output = ()>) -> ExitCode {
    if cli.print_scenarios {
        print!("{ORDER_PAYMENT}");
        return ExitCode::from(EXIT_OK);
    }
    match cli.command {
        Some(Command::Merge(args)) => merge_reports(args),
        None => run_load(cli.run, stop).await,
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("loadgen: {message}");
    ExitCode::from(EXIT_USAGE)
}

/// The configuration the flags and the `OTEL_*` variables describe.
pub(crate) fn load_config(args: RunArgs) -> Result<LoadConfig, LoadFlagsError> {
    let mut otel = OtelConfig::from_env("loadgen", SamplerConfig::TraceIdRatio(1.0))?;
    if let Some(endpoint) = args.otlp_endpoint {
        otel = otel.with_endpoint(endpoint);
    }
    if let Some(protocol) = args.otlp_protocol {
        otel.protocol = protocol;
    }
    let shard = args
        .sharding
        .shard(std::env::var(JOB_INDEX_VAR).ok().as_deref())?;
    let mut config = args.load.load_config(args.target, otel)?;
    config.shard = shard;
    config.validate()?;
    Ok(config)
}

async fn run_load(args: RunArgs, stop: impl Future<Output = ()>) -> ExitCode {
    let files = args
        .load
        .files(cli_support::RunFiles::new())
        .output("--json", args.json.as_deref());
    if let Err(e) = files.check() {
        return fail(cli_support::error_chain(&e));
    }
    let json = args.json.clone();
    let config = match load_config(args) {
        Ok(c) => c,
        Err(e) => return fail(cli_support::error_chain(&e)),
    };
    let report = match crate::run(config, stop).await {
        Ok(r) => r,
        Err(e) => return fail(cli_support::error_chain(&e)),
    };
    finish(&report, json)
}

fn merge_reports(args: MergeArgs) -> ExitCode {
    let files = cli_support::RunFiles::new()
        .output("--json", args.json.as_deref())
        .inputs("a report", args.reports.iter().map(PathBuf::as_path));
    if let Err(e) = files.check() {
        return fail(cli_support::error_chain(&e));
    }
    let mut reports = Vec::with_capacity(args.reports.len());
    for path in &args.reports {
        let parsed = match std::fs::read_to_string(path) {
            Ok(text) => Report::from_json(&text).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match parsed {
            Ok(r) => reports.push(r),
            Err(e) => return fail(format!("cannot read the report {}: {e}", path.display())),
        }
    }
    match merge(&reports) {
        Ok(merged) => finish(&merged, args.json),
        Err(e) => fail(cli_support::error_chain(&e)),
    }
}

/// Prints the table, writes the JSON, and maps the result to an exit code.
fn finish(report: &Report, json: Option<PathBuf>) -> ExitCode {
    print!("{report}");
    if let Some(path) = json
        && let Err(e) = std::fs::write(&path, report.to_json())
    {
        return fail(format!(
            "cannot write the JSON report {}: {e}",
            path.display()
        ));
    }
    if report.passed() {
        ExitCode::from(EXIT_OK)
    } else {
        eprintln!("loadgen: {}", report.summary_line());
        ExitCode::from(EXIT_FAILED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::load_args::DEFAULT_DURATION;
    use crate::config::{RootSpans, SamplerChoice, Shard};

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        cli_support::try_parse_from(std::iter::once("loadgen").chain(args.iter().copied()))
    }

    #[test]
    fn flags_become_a_configuration() {
        let cli = parse(&[
            "--rps",
            "500",
            "--sampler",
            "0.1",
            "--requests",
            "100",
            "--shard",
            "1/4",
            "--seed",
            "7",
            "--mix",
            "valid=1,health=1",
            "--no-root-span",
        ])
        .unwrap();
        let c = load_config(cli.run).unwrap();
        assert_eq!(c.rps, 500.0);
        assert_eq!(c.sampler, SamplerChoice::Ratio(0.1));
        assert_eq!(
            (c.duration, c.requests),
            (None, Some(100)),
            "a count alone is not timed"
        );
        assert_eq!(c.shard, Shard { index: 1, count: 4 });
        assert_eq!(c.seed, 7);
        assert!(matches!(c.root_spans, RootSpans::Off));
        let c = load_config(parse(&["--rps", "1"]).unwrap().run).unwrap();
        assert_eq!(c.duration, Some(DEFAULT_DURATION));
    }

    #[test]
    fn bad_flags_give_one_line() {
        for (args, needle) in [
            (&["--rps", "abc"][..], "--rps"),
            (&[][..], "--rps"),
            (&["--rps", "0"][..], "positive"),
            (&["--rps", "1", "--mix", "valid=x"][..], "whole number"),
            (&["--rps", "1", "--shard", "2/2"][..], "i/n"),
            (&["--rps", "1", "--sampler", "2"][..], "between 0 and 1"),
            (
                &["--rps", "1", "--target", "ftp://x"][..],
                "expected http or https",
            ),
            (&["--rps", "1", "--bogus"][..], "--bogus"),
            (&["--rps", "-5"][..], "invalid value '-5' for '--rps <RPS>'"),
            (
                &["--rps", "1", "--sampler", "-0.1"][..],
                "for '--sampler <SAMPLER>'",
            ),
            (
                &["--rps", "1", "--timeout", "-1s"][..],
                "cannot be negative",
            ),
            (&["--rps", "1", "--connections", "0"][..], "--connections"),
            (
                &["--rps", "1", "--shard", "0/2", "--shard-count", "2"][..],
                "cannot be used with",
            ),
            (&["--rps", "1", "--shard-count", "0"][..], "--shard-count"),
        ] {
            let err = parse(args).unwrap_err();
            let line = cli_support::error_line(&err);
            assert!(line.contains(needle), "{args:?}: {line}");
            assert!(!line.contains('\n') && !line.starts_with("error"), "{line}");
        }
        assert!(
            parse(&["merge", "a.json"]).is_ok(),
            "a subcommand needs no --rps"
        );
    }
}

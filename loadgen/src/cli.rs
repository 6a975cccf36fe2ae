//! The command line: `loadgen [run flags]` and `loadgen merge a.json b.json`.
//!
//! Exit codes: 0 every request got its expected status, 1 some did not (or
//! the manifest or root spans were lost), 2 the run could not be done as
//! asked (bad flags, unreadable files, unusable telemetry settings).

use std::{future::Future, path::PathBuf, process::ExitCode, time::Duration};

use clap::{Args, Parser, Subcommand};
use telemetry::{OtelConfig, Protocol, SamplerConfig};

use crate::{
    config::{LoadConfig, RootSpans, SamplerChoice, Shard, Target},
    report::{Report, merge},
    scenario::Mix,
};

/// Every request got its expected status.
pub const EXIT_OK: u8 = 0;
/// Some requests failed, or the manifest or root spans were lost.
pub const EXIT_FAILED: u8 = 1;
/// Bad usage or a run that could not be done.
pub const EXIT_USAGE: u8 = 2;

/// Open-loop HTTP load for the order API, with a scenario mix, a sampling
/// ratio, HDR latency (coordinated-omission corrected) and a trace manifest.
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

/// The flags of a run.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Base URL of the order API.
    #[arg(long, env = "LOADGEN_TARGET", default_value = "http://127.0.0.1:8000", value_parser = Target::parse)]
    pub target: Target,
    /// Requests per second of all shards together (open loop: requests are
    /// sent at fixed intended start times whatever the answers do).
    #[arg(long, required = true, value_parser = parse_rps)]
    pub rps: Option<f64>,
    /// How long to send (e.g. 30s, 5m); default 30s unless --requests is given.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// How many requests to send in all (all shards together).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub requests: Option<u64>,
    /// Scenario weights, from valid, invalid, fraud, health.
    #[arg(long, default_value = "valid=80,invalid=10,fraud=10", value_parser = str::parse::<Mix>)]
    pub mix: Mix,
    /// Sampling ratio of the traces the loadgen roots (0..1), or `none` to send
    /// no traceparent and read the service's traceresponse. Default: the
    /// ratio of OTEL_TRACES_SAMPLER/OTEL_TRACES_SAMPLER_ARG, else 1.
    #[arg(long, value_parser = str::parse::<SamplerChoice>)]
    pub sampler: Option<SamplerChoice>,
    /// Seed of the scenario sequence, payloads and trace ids (default: random, printed in the report).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Requests scheduled but not finished at most; when reached the schedule
    /// waits and the report counts a cap hit.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_in_flight: u64,
    /// Per-request timeout.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    /// Keep-alive HTTP/1 connections.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub connections: u64,
    /// This instance's share, i/n: every n-th slot of the schedule from slot i,
    /// and its own stream of trace ids.
    #[arg(long, default_value = "0/1", value_parser = str::parse::<Shard>)]
    pub shard: Shard,
    /// Write the report as JSON (with HDR histograms, for `loadgen merge`).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Stream one JSON line per request (trace id, scenario, timing, status).
    #[arg(long, value_name = "PATH")]
    pub manifest: Option<PathBuf>,
    /// Do not export the loadgen CLIENT span (the traceparent still carries its id).
    #[arg(long)]
    pub no_root_span: bool,
    /// OTLP endpoint for the loadgen's spans (overrides OTEL_EXPORTER_OTLP_ENDPOINT).
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,
    /// OTLP protocol: grpc, http/protobuf or http/json (overrides OTEL_EXPORTER_OTLP_PROTOCOL).
    #[arg(long, value_name = "PROTOCOL", value_parser = str::parse::<Protocol>)]
    pub otlp_protocol: Option<Protocol>,
}

fn parse_rps(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!(
            "expected a positive number of requests per second, got {s:?}"
        )),
    }
}

/// Prints a parse error as one line and gives exit code 2; help and version
/// go to stdout with exit code 0.
pub fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        print!("{error}");
        return ExitCode::from(EXIT_OK);
    }
    eprintln!("loadgen: {}", one_line(&error.to_string()));
    ExitCode::from(EXIT_USAGE)
}

/// The first paragraph of a clap message on one line, without its `error: `.
fn one_line(message: &str) -> String {
    let paragraph: Vec<&str> = message
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let line = paragraph.join(" ");
    line.strip_prefix("error: ").unwrap_or(&line).to_owned()
}

/// Runs the parsed command line; `stop` ends a run early (Ctrl-C).
pub async fn execute(cli: Cli, stop: impl Future<Output = ()>) -> ExitCode {
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
pub fn load_config(args: RunArgs) -> Result<LoadConfig, String> {
    let mut otel = OtelConfig::from_env("loadgen", SamplerConfig::TraceIdRatio(1.0))
        .map_err(|e| e.to_string())?;
    if let Some(endpoint) = args.otlp_endpoint {
        otel = otel.with_endpoint(endpoint);
    }
    if let Some(protocol) = args.otlp_protocol {
        otel.protocol = protocol;
    }
    let sampler = args
        .sampler
        .unwrap_or(SamplerChoice::Ratio(match otel.sampler {
            SamplerConfig::AlwaysOn | SamplerConfig::ParentBasedAlwaysOn => 1.0,
            SamplerConfig::AlwaysOff | SamplerConfig::ParentBasedAlwaysOff => 0.0,
            SamplerConfig::TraceIdRatio(r) | SamplerConfig::ParentBasedTraceIdRatio(r) => r,
        }));
    let rps = args.rps.ok_or("--rps is required")?;
    let mut config = LoadConfig::new(args.target, rps);
    config.duration = match (args.duration, args.requests) {
        (None, Some(_)) => None,
        (d, _) => Some(d.unwrap_or(Duration::from_secs(30))),
    };
    config.requests = args.requests;
    config.mix = args.mix;
    config.sampler = sampler;
    config.seed = args.seed.unwrap_or_else(rand::random);
    config.max_in_flight = usize::try_from(args.max_in_flight).unwrap_or(usize::MAX);
    config.timeout = args.timeout;
    config.connections = usize::try_from(args.connections).unwrap_or(usize::MAX);
    config.shard = args.shard;
    config.manifest = args.manifest;
    config.root_spans = if args.no_root_span {
        RootSpans::Off
    } else {
        RootSpans::otlp(otel)
    };
    config.progress = true;
    config.validate().map_err(|e| e.to_string())?;
    Ok(config)
}

async fn run_load(args: RunArgs, stop: impl Future<Output = ()>) -> ExitCode {
    let json = args.json.clone();
    let config = match load_config(args) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let report = match crate::run(config, stop).await {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    finish(&report, json)
}

fn merge_reports(args: MergeArgs) -> ExitCode {
    let mut reports = Vec::with_capacity(args.reports.len());
    for path in &args.reports {
        let parsed = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| Report::from_json(&text));
        match parsed {
            Ok(r) => reports.push(r),
            Err(e) => return fail(format!("cannot read the report {}: {e}", path.display())),
        }
    }
    match merge(&reports) {
        Ok(merged) => finish(&merged, args.json),
        Err(e) => fail(e),
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

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("loadgen").chain(args.iter().copied()))
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
        assert_eq!(c.duration, Some(Duration::from_secs(30)));
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
            (&["--rps", "1", "--target", "https://x"][..], "only http"),
            (&["--rps", "1", "--bogus"][..], "--bogus"),
        ] {
            let err = parse(args).unwrap_err();
            let line = one_line(&err.to_string());
            assert!(line.contains(needle), "{args:?}: {line}");
            assert!(!line.contains('\n') && !line.starts_with("error"), "{line}");
        }
        assert!(
            parse(&["merge", "a.json"]).is_ok(),
            "a subcommand needs no --rps"
        );
    }
}

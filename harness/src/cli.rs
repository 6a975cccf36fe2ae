//! The command line: `harness run`, `harness up`.

use std::{
    future::Future,
    io,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use clap::{Args, Parser, Subcommand};
use cli_support::RunFiles;
use loadgen::{Mix, Target, cli::LoadArgs};
use services::faults::Faults;
use telemetry::{OtelConfig, SamplerConfig};
use verifier::{ApiChoice, VerifyConfig, spec::Spec};

use crate::{
    job::{Backend, JobConfig, run_job},
    overhead::{OverheadConfig, measure_overhead},
    report::JobReport,
    stack::{Ports, RunningStack, StackConfig},
};

/// The one-command main job: tracestore and both services in one process,
/// loadgen, settle, verifier, one report.
#[derive(Debug, Parser)]
#[command(name = "harness", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Load the services, let the spans settle, verify every trace, report.
    /// Exit 0 pass, 1 fail, 2 could not run or check.
    Run(Box<RunArgs>),
    /// Start tracestore and both services on the default ports and stay up
    /// until Ctrl-C, for loadgen and verifier by hand.
    Up(UpArgs),
    /// Measure what tracing costs the whole system: maximum throughput and
    /// latency at a fixed rate with tracing off, at sampler 0.1 and 1.0.
    Overhead(OverheadArgs),
    /// Build the one-file HTML report from the JSON outputs of a run
    /// (`harness run --json`, or `loadgen --json` and `verifier --format json`).
    Report(ReportArgs),
}

/// `harness report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The JSON of `harness run --json` (load, verdict and timeline).
    #[arg(long, conflicts_with_all = ["load", "verdict"], required_unless_present = "load")]
    pub(crate) job: Option<PathBuf>,
    /// A `loadgen --json` report (repeatable: one per shard, merged).
    #[arg(long, requires = "verdict")]
    pub(crate) load: Vec<PathBuf>,
    /// A `verifier --format json` report.
    #[arg(long, requires = "load")]
    pub(crate) verdict: Option<PathBuf>,
    /// The loadgen's manifest(s), for the rate and latency over time.
    #[arg(long)]
    pub(crate) manifest: Vec<PathBuf>,
    /// Where to write the page.
    #[arg(long, short)]
    pub(crate) output: PathBuf,
}

/// `harness run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The load (the loadgen's flags, with the loadgen's defaults).
    #[command(flatten)]
    pub(crate) load: LoadArgs,
    /// Verify through this Jaeger query API instead of the embedded store
    /// (the services still run in process, exporting to --otlp-endpoint).
    #[arg(long, value_name = "URL", conflicts_with_all = ["max_spans", "max_bytes"])]
    pub(crate) jaeger: Option<String>,
    /// The embedded store's bounds: a run of more spans than they hold
    /// loses its oldest traces (the report says so).
    #[command(flatten)]
    pub(crate) bounds: tracestore::cli::BoundArgs,
    /// TLS and credentials for the --jaeger query API (the verifier's flags).
    #[command(flatten)]
    pub(crate) access: verifier::cli::JaegerAccess,
    /// OTLP/gRPC endpoint to export to with --jaeger (default: the Jaeger host, port 4317).
    #[arg(long, value_name = "URL", requires = "jaeger", value_parser = cli_support::parse_http_url)]
    pub(crate) otlp_endpoint: Option<String>,
    /// Load a system that already runs (exporting to the --jaeger backend)
    /// instead of starting the services: this project's order-api, or any
    /// HTTP system with --scenarios and --spec.
    /// Services that already run take their faults from FAULTS, hence the
    /// conflict with --faults and --late-export-delay.
    #[arg(long, value_name = "URL", requires = "jaeger", value_parser = parse_target,
          conflicts_with_all = ["faults", "late_export_delay"])]
    pub(crate) target: Option<String>,
    /// Faults to inject into the embedded services.
    #[command(flatten)]
    pub(crate) faults: FaultArgs,
    /// How long the verifier waits for late spans.
    #[arg(long, default_value = "15s", value_parser = cli_support::parse_duration)]
    pub(crate) settle: Duration,
    /// Contract file (TOML) instead of the built-in order/payment contract.
    #[arg(long)]
    pub(crate) spec: Option<PathBuf>,
    /// Query API generation.
    #[arg(long, value_enum, default_value_t = ApiChoice::Auto)]
    pub(crate) api: ApiChoice,
    /// Write the whole report as JSON here.
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
    /// Write the verification as JUnit XML here.
    #[arg(long)]
    pub(crate) junit: Option<PathBuf>,
    /// Write the one-file HTML report here (charts, failures by rule, the
    /// failing and slowest traces as waterfalls; opens with no network).
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// When the run fails, write the embedded store's traces of the run here
    /// as OTLP JSON (files Jaeger's OTLP/HTTP port takes as they are) and
    /// print how to load them.
    #[arg(long, value_name = "DIR", conflicts_with = "jaeger")]
    pub(crate) keep_traces: Option<PathBuf>,
}

/// `harness up`.
#[derive(Debug, Args)]
pub(crate) struct UpArgs {
    /// Faults to inject into the services.
    #[command(flatten)]
    pub(crate) faults: FaultArgs,
    /// The store's bounds: a soak of more spans than they hold loses its
    /// oldest traces.
    #[command(flatten)]
    pub(crate) bounds: tracestore::cli::BoundArgs,
}

/// The faults of the services the harness starts (`run` and `up`): one
/// definition of the flags, so both subcommands take the same spelling.
#[derive(Debug, Args)]
pub(crate) struct FaultArgs {
    /// Faults to inject into the embedded services (see docs/CONTRACT.md).
    #[arg(long, default_value = "", value_parser = str::parse::<Faults>)]
    pub(crate) faults: Faults,
    /// How long the `late-export` fault holds each save_order span before
    /// it ends (the services' FAULT_LATE_EXPORT_DELAY): a --settle longer
    /// than this passes, a shorter one fails `span-tree`.
    #[arg(long, value_name = "DURATION", value_parser = cli_support::parse_duration)]
    pub(crate) late_export_delay: Option<Duration>,
}

impl FaultArgs {
    /// The faults with the delay applied (the services' default without one).
    fn faults(self) -> Faults {
        match self.late_export_delay {
            Some(delay) => self.faults.with_late_export_delay(delay),
            None => self.faults,
        }
    }
}

/// `harness overhead`.
#[derive(Debug, Args)]
pub(crate) struct OverheadArgs {
    /// Length of every load phase.
    #[arg(long, default_value = "10s", value_parser = cli_support::parse_duration)]
    pub(crate) duration: Duration,
    /// Measurements per mode (interleaved); the medians are reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) rounds: u32,
    /// Connections (and requests in flight) of the saturating phase.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub(crate) connections: u64,
    /// Rate of the latency phase (default: half the tracing-off maximum).
    #[arg(long, value_parser = loadgen::cli::parse_rps)]
    pub(crate) latency_rps: Option<f64>,
    /// Scenario weights, from valid, invalid, fraud, health.
    #[arg(long, default_value = "valid=80,invalid=10,fraud=10", value_parser = str::parse::<Mix>)]
    pub(crate) mix: Mix,
    /// Seed of the scenario sequence.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Write the figures as JSON here.
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
}

/// Runs a parsed command line; `stop` is Ctrl-C or SIGTERM.
pub async fn execute(cli: Cli, stop: impl Future<Output = ()>) -> ExitCode {
    match cli.command {
        Command::Run(args) => run(*args, stop).await,
        Command::Up(args) => up(args, stop).await,
        Command::Overhead(args) => overhead(args, stop).await,
        Command::Report(args) => match build_report(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => error(&cli_support::error_chain(&e)),
        },
    }
}

/// Why a harness command could not do what was asked (exit 2). The binary
/// prints it with its causes on one line ([`cli_support::error_chain`]).
#[derive(Debug, thiserror::Error)]
pub(crate) enum CommandError {
    /// An output path is unusable, or names another output or an input.
    #[error(transparent)]
    OutputPath(#[from] cli_support::OutputPathError),
    /// An input file cannot be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: io::Error,
    },
    /// An input file is not the JSON it should be.
    #[error("{}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The JSON parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The `--load` reports cannot be merged.
    #[error("--load")]
    Merge(#[source] loadgen::MergeError),
    /// `harness report` without its inputs.
    #[error("give --job, or --load and --verdict")]
    NoInput,
    /// A `--manifest` cannot be read.
    #[error("manifest {}", path.display())]
    Manifest {
        /// The file.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: io::Error,
    },
    /// Stdout is closed.
    #[error("cannot write to stdout")]
    Stdout(#[source] io::Error),
    /// An output file cannot be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: io::Error,
    },
    /// The Jaeger flags are unusable (URL, TLS files, headers), or the
    /// GitHub step summary cannot be written.
    #[error(transparent)]
    Verifier(#[from] verifier::CheckError),
    /// `--jaeger` is not an http(s) URL.
    #[error("--jaeger must be an http(s) URL, got {0:?}")]
    JaegerScheme(String),
    /// `--jaeger` has no host.
    #[error("--jaeger has no host: {0:?}")]
    JaegerHost(String),
    /// The load flags do not make a load.
    #[error(transparent)]
    Load(#[from] loadgen::cli::LoadFlagsError),
    /// A target URL the loadgen cannot load.
    #[error(transparent)]
    Target(#[from] loadgen::TargetError),
    /// The `OTEL_*` variables of the loadgen's spans are unusable.
    #[error(transparent)]
    Otel(#[from] telemetry::ConfigError),
    /// The `--spec` file is unusable.
    #[error(transparent)]
    Spec(#[from] verifier::spec::SpecError),
}

async fn overhead(args: OverheadArgs, stop: impl Future<Output = ()>) -> ExitCode {
    if let Err(e) = RunFiles::new()
        .output("--json", args.json.as_deref())
        .check()
    {
        return error(&cli_support::error_chain(&e));
    }
    let config = OverheadConfig {
        duration: args.duration,
        rounds: args.rounds,
        connections: usize::try_from(args.connections).unwrap_or(usize::MAX),
        latency_rps: args.latency_rps,
        mix: Some(args.mix),
        seed: args.seed,
    };
    let report = tokio::select! {
        report = measure_overhead(&config) => report,
        () = stop => return error("interrupted"),
    };
    let report = match report {
        Ok(r) => r,
        Err(e) => return error(&cli_support::error_chain(&e)),
    };
    let written = write_stdout(&report.to_string())
        .and_then(|()| write_file(args.json.as_deref(), &report.to_json()));
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => error(&cli_support::error_chain(&e)),
    }
}

/// `harness report`: reads the JSON outputs and writes the page.
fn build_report(args: &ReportArgs) -> Result<(), CommandError> {
    RunFiles::new()
        .output("--output", Some(&args.output))
        .inputs("--job", args.job.as_deref())
        .inputs("--load", args.load.iter().map(PathBuf::as_path))
        .inputs("--verdict", args.verdict.as_deref())
        .inputs("--manifest", args.manifest.iter().map(PathBuf::as_path))
        .check()?;
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|source| CommandError::Read {
            path: path.to_owned(),
            source,
        })
    };
    let json = |path: &Path, source| CommandError::Json {
        path: path.to_owned(),
        source,
    };
    let mut report: JobReport = match (&args.job, &args.verdict) {
        (Some(path), _) => serde_json::from_str(&read(path)?).map_err(|e| json(path, e))?,
        (None, Some(verdict_path)) => {
            let loads = args
                .load
                .iter()
                .map(|p| loadgen::Report::from_json(&read(p)?).map_err(|e| json(p, e)))
                .collect::<Result<Vec<_>, _>>()?;
            let load = loadgen::merge(&loads).map_err(CommandError::Merge)?;
            let verdict =
                serde_json::from_str(&read(verdict_path)?).map_err(|e| json(verdict_path, e))?;
            JobReport {
                load,
                verdict,
                timeline: Vec::new(),
                kept_traces: None,
                store: None,
            }
        }
        (None, None) => return Err(CommandError::NoInput),
    };
    if !args.manifest.is_empty() {
        let mut records = Vec::new();
        for path in &args.manifest {
            records.extend(loadgen::read_manifest(path).map_err(|source| {
                CommandError::Manifest {
                    path: path.clone(),
                    source,
                }
            })?);
        }
        report.timeline = crate::timeline::timeline(&records);
    }
    write_file(Some(&args.output), &report.to_html())
}

async fn run(args: RunArgs, stop: impl Future<Output = ()>) -> ExitCode {
    // Reports that cannot be written, or would overwrite another output or
    // an input, are refused before any service starts.
    let files = args
        .load
        .files(RunFiles::new())
        .output("--json", args.json.as_deref())
        .output("--junit", args.junit.as_deref())
        .output("--report", args.report.as_deref())
        .directory("--keep-traces", args.keep_traces.as_deref())
        .inputs("--spec", args.spec.as_deref());
    if let Err(e) = files.check() {
        return error(&cli_support::error_chain(&e));
    }
    let json = args.json.clone();
    let junit = args.junit.clone();
    let html = args.report.clone();
    let config = match job_config(args) {
        Ok(c) => c,
        Err(e) => return error(&cli_support::error_chain(&e)),
    };
    let report = match run_job(config, stop).await {
        Ok(r) => r,
        Err(e) => return error(&cli_support::error_chain(&e)),
    };
    // Every output is attempted: a closed stdout still leaves the files.
    let problems: Vec<String> = [
        write_stdout(&report.to_string()),
        write_file(json.as_deref(), &report.to_json()),
        write_file(
            junit.as_deref(),
            &verifier::render(&report.verdict, verifier::Format::Junit, Default::default()),
        ),
        write_file(html.as_deref(), &report.to_html()),
        verifier::cli::append_step_summary(&report.to_markdown()).map_err(CommandError::from),
    ]
    .into_iter()
    .filter_map(Result::err)
    .map(|e| cli_support::error_chain(&e))
    .collect();
    if !problems.is_empty() {
        return error(&problems.join("; "));
    }
    if let Some(kept) = &report.kept_traces {
        eprint!("harness: {}", kept.instructions());
    }
    if !report.passed() {
        eprintln!("harness: {}", report.summary_line());
    }
    ExitCode::from(report.exit_code())
}

/// Maps the flags to a job.
pub(crate) fn job_config(args: RunArgs) -> Result<JobConfig, CommandError> {
    let mut verify = VerifyConfig::new(String::new());
    let otel = OtelConfig::from_env("loadgen", SamplerConfig::TraceIdRatio(1.0))?;
    let backend = match (args.jaeger, args.target) {
        (None, _) => Backend::Embedded,
        (Some(jaeger_url), target) => {
            // Refused before any load is sent, not found out afterwards; the
            // URL's user info becomes a header and leaves the URL.
            args.access.apply(&jaeger_url, &mut verify)?;
            let jaeger_url = verify.jaeger_url.clone();
            let (otlp_endpoint, otlp_tls) =
                otlp_export(args.otlp_endpoint, &jaeger_url, &verify.tls, &otel.tls)?;
            match target {
                None => Backend::ExternalJaeger {
                    jaeger_url,
                    otlp_endpoint,
                    otlp_tls,
                },
                Some(target) => Backend::External {
                    jaeger_url,
                    otlp_endpoint,
                    otlp_tls,
                    target,
                },
            }
        }
    };
    // The real target, and where the CLIENT spans go, are known once the
    // services are up.
    let placeholder = Target::parse("http://127.0.0.1:8000")?;
    let mut load = args.load.load_config(placeholder, otel)?;
    let manifest = load.manifest.take();

    verify.settle = args.settle;
    verify.api = args.api;
    if let Some(path) = &args.spec {
        verify.spec = Spec::from_file(path)?;
    }
    Ok(JobConfig {
        load,
        verify,
        backend,
        stack: StackConfig {
            faults: args.faults.faults(),
            bounds: args.bounds,
            ..StackConfig::default()
        },
        manifest,
        keep_traces: args.keep_traces,
    })
}

/// `--target`: a URL the loadgen can load, refused at parse time otherwise.
fn parse_target(url: &str) -> Result<String, loadgen::TargetError> {
    Target::parse(url).map(|_| url.trim().to_owned())
}

/// Where the services and the loadgen export with `--jaeger`, and with
/// which TLS: the one place that derives both. The derived endpoint (the
/// Jaeger host, port 4317) is the same server as the query API, so it takes
/// the `--jaeger` TLS flags (`--ca-cert`, client certificate,
/// `--insecure-skip-verify`) unless `OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE`
/// / `CLIENT_*` set the OTLP's own; an `--otlp-endpoint` given takes only
/// those variables.
fn otlp_export(
    given: Option<String>,
    jaeger_url: &str,
    jaeger_tls: &secure_http::TlsArgs,
    env_tls: &secure_http::TlsArgs,
) -> Result<(String, secure_http::TlsArgs), CommandError> {
    match given {
        Some(endpoint) => Ok((endpoint, env_tls.clone())),
        None if *env_tls != secure_http::TlsArgs::default() => {
            Ok((default_otlp_endpoint(jaeger_url)?, env_tls.clone()))
        }
        None => Ok((default_otlp_endpoint(jaeger_url)?, jaeger_tls.clone())),
    }
}

/// `<scheme>://<jaeger host>:4317`: where a Jaeger all-in-one takes OTLP/gRPC.
fn default_otlp_endpoint(jaeger_url: &str) -> Result<String, CommandError> {
    let (scheme, rest) = jaeger_url
        .split_once("://")
        .filter(|(scheme, _)| matches!(*scheme, "http" | "https"))
        .ok_or_else(|| CommandError::JaegerScheme(jaeger_url.to_owned()))?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    };
    if host.is_empty() {
        return Err(CommandError::JaegerHost(jaeger_url.to_owned()));
    }
    Ok(format!("{scheme}://{host}:4317"))
}

async fn up(args: UpArgs, stop: impl Future<Output = ()>) -> ExitCode {
    let stack = match RunningStack::start(StackConfig {
        ports: Ports::Defaults,
        faults: args.faults.faults(),
        bounds: args.bounds,
        ..StackConfig::default()
    })
    .await
    {
        Ok(s) => s,
        Err(e) => return error(&cli_support::error_chain(&e)),
    };
    let mut banner = format!(
        "order-api        {}\npayment-service  {}\nOTLP/gRPC        {}\n",
        stack.order_api_url(),
        stack.payment_url(),
        stack.otlp_endpoint()
    );
    if let Some(store) = stack.store() {
        let stats = store.stats();
        let bytes = stats
            .max_bytes
            .map_or(String::new(), |b| format!(" and {b} bytes"));
        banner.push_str(&format!(
            "OTLP/HTTP        {}\nJaeger query API {}\n\
             tracestore holds at most {} spans{bytes}, then evicts its oldest traces \
             (--max-spans, --max-bytes)\n",
            store.otlp_http_endpoint(),
            store.query_url(),
            stats.max_spans,
        ));
    }
    banner.push_str(
        "\nTry, in another terminal:\n  \
         cargo run --release -p loadgen -- --rps 500 --sampler 0.1 --duration 30s --manifest run.jsonl\n  \
         cargo run --release -p verifier -- --since 5m --manifest run.jsonl\n\
         Ctrl-C stops (in-flight requests finish, every span is flushed).\n",
    );
    let shown = write_stdout(&banner);
    if shown.is_ok() {
        stop.await;
    }
    if let Some(lost) = stack
        .store()
        .and_then(|store| crate::report::store_losses(&store.stats()))
    {
        eprintln!("harness: {lost}");
    }
    let shown = shown.map_err(|e| cli_support::error_chain(&e));
    let stopped = stack
        .shutdown()
        .await
        .map_err(|e| cli_support::error_chain(&e));
    match shown.and(stopped) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => error(&e),
    }
}

/// Writes to stdout; a closed stdout is an error, not a panic as with `print!`.
fn write_stdout(text: &str) -> Result<(), CommandError> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CommandError::Stdout)
}

/// Writes `text` to `path`, when one is given.
fn write_file(path: Option<&Path>, text: &str) -> Result<(), CommandError> {
    match path {
        Some(path) => std::fs::write(path, text).map_err(|source| CommandError::Write {
            path: path.to_owned(),
            source,
        }),
        None => Ok(()),
    }
}

fn error(message: &str) -> ExitCode {
    eprintln!("harness: {message}");
    ExitCode::from(cli_support::EXIT_USAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otlp_endpoint_defaults_to_the_jaeger_host() {
        assert_eq!(
            default_otlp_endpoint("http://jaeger:16686").unwrap(),
            "http://jaeger:4317"
        );
        assert_eq!(
            default_otlp_endpoint("http://127.0.0.1:16686/jaeger/").unwrap(),
            "http://127.0.0.1:4317"
        );
        assert!(default_otlp_endpoint("jaeger:16686").is_err());
        assert!(default_otlp_endpoint("http://:16686").is_err());
    }

    fn run_args(extra: &[&str]) -> RunArgs {
        let argv = ["harness", "run", "--rps", "1"]
            .into_iter()
            .chain(extra.iter().copied());
        let Ok(Cli {
            command: Command::Run(args),
        }) = cli_support::try_parse_from(argv)
        else {
            panic!("the flags parse");
        };
        *args
    }

    #[test]
    fn an_https_jaeger_with_user_info_is_verified_with_basic_auth_and_a_clean_url() {
        let job = job_config(run_args(&[
            "--jaeger",
            "https://ci:s3cret@jaeger:16686",
            "--insecure-skip-verify",
            "--header",
            "X-Tenant: blue",
        ]))
        .unwrap();
        let Backend::ExternalJaeger {
            jaeger_url,
            otlp_endpoint,
            otlp_tls,
        } = &job.backend
        else {
            panic!("an external Jaeger");
        };
        assert_eq!(jaeger_url, "https://jaeger:16686");
        assert_eq!(otlp_endpoint, "https://jaeger:4317");
        assert!(otlp_tls.insecure_skip_verify, "the derived endpoint's TLS");
        assert_eq!(job.verify.jaeger_url, "https://jaeger:16686");
        let headers = job.verify.headers.to_map();
        assert_eq!(headers["x-tenant"], "blue");
        // base64("ci:s3cret")
        assert_eq!(headers["authorization"], "Basic Y2k6czNjcmV0");
        assert!(job.verify.tls.insecure_skip_verify);
        let shown = format!("{:?}", job.verify);
        assert!(
            !shown.contains("s3cret") && !shown.contains("Y2k6czNjcmV0"),
            "{shown}"
        );
    }

    /// The derived https OTLP endpoint trusts the --ca-cert given for the
    /// Jaeger (same server); an --otlp-endpoint given does not take it.
    #[test]
    fn the_derived_https_otlp_endpoint_takes_the_jaegers_ca() {
        let pki = secure_http::test_pki::TestPki::new();
        let ca = pki.ca_cert.display().to_string();
        let flags = ["--jaeger", "https://127.0.0.1:16686", "--ca-cert", &ca];
        let job = job_config(run_args(&flags)).unwrap();
        let Backend::ExternalJaeger {
            otlp_endpoint,
            otlp_tls,
            ..
        } = &job.backend
        else {
            panic!("an external Jaeger");
        };
        assert_eq!(otlp_endpoint, "https://127.0.0.1:4317");
        assert_eq!(otlp_tls.ca_cert.as_ref(), Some(&pki.ca_cert));
        assert_eq!(otlp_tls, &job.verify.tls);

        let given = ["--otlp-endpoint", "https://127.0.0.1:4317"];
        let job = job_config(run_args(&[&flags[..], &given[..]].concat())).unwrap();
        let Backend::ExternalJaeger { otlp_tls, .. } = &job.backend else {
            panic!("an external Jaeger");
        };
        assert_eq!(otlp_tls.ca_cert, None);
    }

    #[test]
    fn a_bad_jaeger_url_or_ca_file_is_refused_before_the_load() {
        let err = job_config(run_args(&["--jaeger", "ftp://jaeger:16686"]))
            .map(drop)
            .unwrap_err();
        let err = cli_support::error_chain(&err);
        assert!(
            err.contains("--jaeger: \"ftp://jaeger:16686\": the scheme must be http or https"),
            "{err}"
        );
        let err = job_config(run_args(&[
            "--jaeger",
            "https://jaeger:16686",
            "--ca-cert",
            "/nonexistent/ca.pem",
        ]))
        .map(drop)
        .unwrap_err();
        let err = cli_support::error_chain(&err);
        assert!(err.contains("--ca-cert /nonexistent/ca.pem"), "{err}");
    }
}

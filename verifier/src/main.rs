//! `verifier`: reads traces from Jaeger and checks them against the trace
//! contract. Exit codes: 0 pass, 1 fail, 2 could not check.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::{Parser, ValueEnum};
use verifier::{
    ApiChoice, CheckError, Format, Manifest, RetryPolicy, Spec, TextOptions, TimeWindow,
    VerifyConfig,
};

/// Reads traces back through Jaeger's HTTP query API and proves the trace
/// contract: span trees, statuses, attributes, events, cross-service parentage,
/// and (with --manifest) that every sampled request was stored and nothing else.
/// Exit codes: 0 pass, 1 fail, 2 could not check.
#[derive(Parser, Debug)]
#[command(name = "verifier", version)]
struct Args {
    /// Jaeger query service base URL.
    #[arg(
        long,
        env = "JAEGER_QUERY_URL",
        default_value = "http://127.0.0.1:16686"
    )]
    jaeger: String,
    /// Query API generation: v3 first with fallback to v1 (auto), or only one.
    #[arg(long, value_enum, default_value_t = Api::Auto)]
    api: Api,
    /// Check traces of the last DURATION (e.g. 5m). Default: the manifest's time span, else 5m.
    #[arg(long, value_parser = humantime::parse_duration, conflicts_with_all = ["start", "end"])]
    since: Option<Duration>,
    /// Window start, RFC 3339 (e.g. 2026-01-02T15:04:05Z).
    #[arg(long, value_parser = parse_time, requires = "end")]
    start: Option<SystemTime>,
    /// Window end, RFC 3339.
    #[arg(long, value_parser = parse_time, requires = "start")]
    end: Option<SystemTime>,
    /// Service to search (repeatable). Default: the spec's services.
    #[arg(long = "service")]
    services: Vec<String>,
    /// Loadgen manifest (JSON lines; repeatable, one per shard).
    #[arg(long)]
    manifest: Vec<PathBuf>,
    /// Sampling ratio of the run, for the binomial test of the manifest's sampled fraction.
    #[arg(long)]
    sampling_ratio: Option<f64>,
    /// Contract file (TOML). Default: the built-in order/payment contract.
    #[arg(long)]
    spec: Option<PathBuf>,
    /// Print the built-in contract and exit.
    #[arg(long)]
    print_spec: bool,
    /// How long to wait for late spans.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "15s")]
    settle: Duration,
    /// Time between reads while settling.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "500ms")]
    poll_interval: Duration,
    /// No change for this long before --settle runs out means the store settled
    /// (missing spans then break span-tree, else incomplete).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "5s")]
    quiet_period: Duration,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Write the report here (the text summary still goes to stdout).
    #[arg(long)]
    output: Option<PathBuf>,
    /// At most this many traces per search (Jaeger's limit); busier windows are split.
    #[arg(long, default_value_t = 1000)]
    max_traces: usize,
    /// Override the spec's clock-skew allowance (e.g. 50ms).
    #[arg(long, value_parser = humantime::parse_duration)]
    clock_skew: Option<Duration>,
    /// Ask Jaeger for raw traces (no query-time adjusters such as clock-skew correction).
    #[arg(long)]
    raw: bool,
    /// Attempts per request to Jaeger (transient errors are retried with backoff).
    #[arg(long, default_value_t = 5)]
    retries: u32,
    /// Timeout of one request to Jaeger.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "30s")]
    request_timeout: Duration,
    /// Failing traces printed with their span trees in the text format.
    #[arg(long, default_value_t = 20)]
    show: usize,
    /// Log progress to stderr (RUST_LOG overrides).
    #[arg(short, long)]
    verbose: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Api {
    Auto,
    V3,
    V1,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Junit,
}

fn parse_time(text: &str) -> Result<SystemTime, String> {
    let time = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("`{text}` is not an RFC 3339 time: {e}"))?;
    Ok(SystemTime::from(time))
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.print_spec {
        print!("{}", verifier::spec::CONTRACT_TOML);
        return ExitCode::SUCCESS;
    }
    let default_level = if args.verbose { "info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return could_not_check(&format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => could_not_check(&e.to_string()),
    }
}

fn could_not_check(reason: &str) -> ExitCode {
    eprintln!("verifier: could not check: {reason}");
    ExitCode::from(2)
}

/// Runs a verification; `Ok(passed)`.
async fn run(args: Args) -> Result<bool, CheckError> {
    let mut config = VerifyConfig::new(args.jaeger);
    if let Some(path) = &args.spec {
        config.spec = Spec::from_file(path)?;
    }
    if !args.manifest.is_empty() {
        config.manifest = Some(Manifest::from_paths(&args.manifest)?);
    }
    config.api = match args.api {
        Api::Auto => ApiChoice::Auto,
        Api::V3 => ApiChoice::V3,
        Api::V1 => ApiChoice::V1,
    };
    config.window = match (args.since, args.start, args.end) {
        (Some(since), _, _) => Some(TimeWindow::Since(since)),
        (None, Some(start), Some(end)) => Some(TimeWindow::Between { start, end }),
        _ => None,
    };
    config.services = args.services;
    config.sampling_ratio = args.sampling_ratio;
    config.settle = args.settle;
    config.poll_interval = args.poll_interval;
    config.quiet_period = args.quiet_period;
    config.max_traces = args.max_traces;
    config.clock_skew = args.clock_skew;
    config.raw_traces = args.raw;
    config.retry = RetryPolicy {
        attempts: args.retries.max(1),
        ..RetryPolicy::default()
    };
    config.request_timeout = args.request_timeout;

    let verdict = verifier::verify(&config).await?;
    let format = match args.format {
        OutputFormat::Text => Format::Text,
        OutputFormat::Json => Format::Json,
        OutputFormat::Junit => Format::Junit,
    };
    let text_options = TextOptions {
        max_traces: args.show,
    };
    let report = verifier::render(&verdict, format, text_options);
    match &args.output {
        None => print!("{report}"),
        Some(path) => {
            std::fs::write(path, &report).map_err(|e| {
                CheckError::Config(format!("cannot write --output {}: {e}", path.display()))
            })?;
            print!("{}", verifier::render(&verdict, Format::Text, text_options));
        }
    }
    Ok(verdict.passed())
}

//! The command line of the `verifier` binary: its flags ([`Args`]) and
//! [`run`], which the thin `main.rs` calls. Exit codes: 0 pass, 1 fail, 2
//! could not check.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::Parser;

use crate::model::TraceId;
use crate::{
    ApiChoice, CheckError, Format, Manifest, RetryPolicy, TextOptions, TimeWindow, VerifyConfig,
    spec::Spec,
};

/// Where GitHub Actions reads a job's Markdown summary from.
pub const STEP_SUMMARY_VAR: &str = "GITHUB_STEP_SUMMARY";

/// Reads traces back through Jaeger's HTTP query API and proves the trace
/// contract: span trees, statuses, attributes, events, cross-service parentage,
/// and (with --manifest) that every sampled request was stored and nothing else.
/// Exit codes: 0 pass, 1 fail, 2 could not check.
#[derive(Parser, Debug)]
#[command(name = "verifier", version)]
pub struct Args {
    /// Jaeger query service base URL.
    #[arg(
        long,
        env = "JAEGER_QUERY_URL",
        hide_env_values = true,
        default_value = "http://127.0.0.1:16686"
    )]
    pub jaeger: String,
    /// TLS and credentials for the query API.
    #[command(flatten)]
    pub access: JaegerAccess,
    /// Query API generation: v3 first with fallback to v1 (auto), or only one.
    #[arg(long, value_enum, default_value_t = ApiChoice::Auto)]
    pub api: ApiChoice,
    /// Check traces of the last DURATION (e.g. 5m). Default: the manifest's time span, else 5m.
    #[arg(long, value_parser = cli_support::parse_duration, conflicts_with_all = ["start", "end"])]
    pub since: Option<Duration>,
    /// Window start, RFC 3339 (e.g. 2026-01-02T15:04:05Z).
    #[arg(long, value_parser = parse_time, requires = "end")]
    pub start: Option<SystemTime>,
    /// Window end, RFC 3339.
    #[arg(long, value_parser = parse_time, requires = "start")]
    pub end: Option<SystemTime>,
    /// Service to search (repeatable). Default: the spec's services.
    #[arg(long = "service")]
    pub services: Vec<String>,
    /// Loadgen manifest (JSON lines; repeatable, one per shard).
    #[arg(long)]
    pub manifest: Vec<PathBuf>,
    /// Sampling ratio of the run, for the binomial test of the manifest's sampled fraction.
    #[arg(long)]
    pub sampling_ratio: Option<f64>,
    /// Contract file (TOML). Default: the built-in order/payment contract.
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// Print the built-in contract and exit.
    #[arg(long)]
    pub print_spec: bool,
    /// How long to wait for late spans.
    #[arg(long, value_parser = cli_support::parse_duration, default_value = "15s")]
    pub settle: Duration,
    /// Time between reads while settling.
    #[arg(long, value_parser = cli_support::parse_duration, default_value = "500ms")]
    pub poll_interval: Duration,
    /// No change for this long before --settle runs out means the store settled
    /// (missing spans then break span-tree, else incomplete).
    #[arg(long, value_parser = cli_support::parse_duration, default_value = "5s")]
    pub quiet_period: Duration,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report here (the text summary still goes to stdout).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// At most this many traces per search (Jaeger's limit); busier windows are split.
    #[arg(long, default_value_t = 1000)]
    pub max_traces: usize,
    /// Override the spec's clock-skew allowance (e.g. 50ms).
    #[arg(long, value_parser = cli_support::parse_duration)]
    pub clock_skew: Option<Duration>,
    /// Ask Jaeger for raw traces (no query-time adjusters such as clock-skew correction).
    #[arg(long)]
    pub raw: bool,
    /// Attempts per request to Jaeger (transient errors are retried with backoff).
    #[arg(long, default_value_t = 5)]
    pub retries: u32,
    /// Timeout of one request to Jaeger, its body included.
    #[arg(long, value_parser = cli_support::parse_duration, default_value = "10s")]
    pub request_timeout: Duration,
    /// Bound on one whole read from Jaeger: all tries of a request and the
    /// waits between them. A hung Jaeger fails the check (exit 2) after this.
    #[arg(long, value_parser = cli_support::parse_duration, default_value = "30s")]
    pub read_deadline: Duration,
    /// Largest answer read from Jaeger (after decompression), e.g. 64MiB or
    /// 1GB; a longer one is exit 2, not retried.
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = cli_support::parse_size::<u64>)]
    pub max_response_size: u64,
    /// Failing traces printed with their span trees (and missing traces
    /// listed) in the text format; JSON and JUnit hold them all.
    #[arg(long, default_value_t = 20)]
    pub show: usize,
    /// The slowest traces kept per scenario, with their critical paths
    /// (text, Markdown and JSON reports).
    #[arg(long, default_value_t = 5)]
    pub slowest: usize,
    /// Fetch this one trace by id and print its critical path, the span that
    /// dominated it, and every span's self time, instead of verifying a window.
    #[arg(long, value_name = "TRACE_ID", value_parser = str::parse::<TraceId>)]
    pub explain: Option<TraceId>,
    /// Log progress to stderr (RUST_LOG overrides).
    #[arg(short, long)]
    pub verbose: bool,
}

/// The environment variable of headers for the query API, in
/// `OTEL_EXPORTER_OTLP_HEADERS`'s format (`name=value,...`, percent-decoded).
pub const QUERY_HEADERS_VAR: &str = "JAEGER_QUERY_HEADERS";

/// How to reach a Jaeger behind TLS and a proxy that wants credentials: the
/// flags the verifier and `harness run` share.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct JaegerAccess {
    /// Header sent with every request to Jaeger, e.g. 'Authorization: Bearer
    /// TOKEN' (repeatable; after those of JAEGER_QUERY_HEADERS, which holds
    /// name=value,... as OTEL_EXPORTER_OTLP_HEADERS does). Never printed.
    #[arg(long = "header", value_name = "NAME: VALUE", value_parser = secure_http::parse_header)]
    pub headers: Vec<secure_http::Header>,
    /// Trust and client certificate for an https:// Jaeger.
    #[command(flatten)]
    pub tls: secure_http::TlsArgs,
}

impl JaegerAccess {
    /// Sets `config`'s URL (without its user info), TLS and headers (an
    /// unusable TLS file is an error now):
    /// `JAEGER_QUERY_HEADERS`, then `--header`, then basic auth from the
    /// URL's user info unless an `Authorization` header was given.
    pub fn apply(self, jaeger_url: &str, config: &mut VerifyConfig) -> Result<(), CheckError> {
        let (url, basic) = crate::jaeger::parse_base_url(jaeger_url)?;
        let mut headers = match std::env::var(QUERY_HEADERS_VAR) {
            Ok(list) => secure_http::parse_header_list(QUERY_HEADERS_VAR, &list)
                .map_err(|e| CheckError::Config(cli_support::error_chain(&e)))?,
            Err(_) => secure_http::Headers::default(),
        };
        for header in self.headers {
            headers.push(header);
        }
        if let Some(basic) = basic
            && !headers.contains(&reqwest::header::AUTHORIZATION)
        {
            headers.push(basic);
        }
        if url.starts_with("https:") && !self.tls.insecure_skip_verify {
            // A CA or key file that cannot be used is found out now, before
            // any work (the harness's load), not at the first request.
            self.tls
                .client_config(&[])
                .map_err(|e| CheckError::Config(e.to_string()))?;
        }
        config.jaeger_url = url;
        config.headers = headers;
        config.tls = self.tls;
        Ok(())
    }
}

/// Parses an RFC 3339 time for `--start` / `--end`.
pub fn parse_time(text: &str) -> Result<SystemTime, TimeError> {
    let time = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|source| TimeError {
            text: text.to_owned(),
            source,
        })?;
    Ok(SystemTime::from(time))
}

/// A `--start` / `--end` that is not an RFC 3339 time; the parser's error
/// is the source (clap's line through [`cli_support::error_line`] shows it).
#[derive(Debug, thiserror::Error)]
#[error("`{text}` is not an RFC 3339 time")]
pub struct TimeError {
    text: String,
    #[source]
    source: time::error::Parse,
}

/// Runs a verification (or prints the built-in spec); `Ok(passed)`.
pub async fn run(args: Args) -> Result<bool, CheckError> {
    if args.print_spec {
        write_stdout(crate::spec::CONTRACT_TOML)?;
        return Ok(true);
    }
    // A report that cannot be written, or would overwrite an input, is
    // refused before Jaeger is read.
    cli_support::RunFiles::new()
        .output("--output", args.output.as_deref())
        .inputs("--manifest", args.manifest.iter().map(PathBuf::as_path))
        .inputs("--spec", args.spec.as_deref())
        .check()?;
    let mut config = VerifyConfig::new(String::new());
    args.access.apply(&args.jaeger, &mut config)?;
    if let Some(path) = &args.spec {
        config.spec = Spec::from_file(path)?;
    }
    if !args.manifest.is_empty() {
        config.manifest = Some(Manifest::from_paths(&args.manifest)?);
    }
    config.api = args.api;
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
    config.read_deadline = args.read_deadline;
    config.max_response_bytes = args.max_response_size;
    config.slowest = args.slowest;

    if let Some(trace_id) = args.explain {
        let trace = crate::explain::explain(&config, trace_id).await?;
        write_stdout(&crate::render::explain::render(&trace))?;
        return Ok(true);
    }
    let verdict = crate::verify(&config).await?;
    let format = args.format;
    let text_options = TextOptions {
        max_traces: args.show,
        ..TextOptions::default()
    };
    let report = crate::render(&verdict, format, text_options);
    match &args.output {
        None => write_stdout(&report)?,
        Some(path) => {
            std::fs::write(path, &report)
                .map_err(|e| CheckError::Output(format!("--output {}: {e}", path.display())))?;
            write_stdout(&crate::render(&verdict, Format::Text, text_options))?;
        }
    }
    append_step_summary(&crate::render(&verdict, Format::Markdown, text_options))?;
    Ok(verdict.passed())
}

/// Appends Markdown to the file `$GITHUB_STEP_SUMMARY` names, when it is set.
pub fn append_step_summary(markdown: &str) -> Result<(), CheckError> {
    use std::io::Write as _;
    let Some(path) = std::env::var_os(STEP_SUMMARY_VAR).filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(markdown.as_bytes()))
        .map_err(|e| {
            CheckError::Output(format!(
                "{STEP_SUMMARY_VAR}={}: {e}",
                PathBuf::from(&path).display()
            ))
        })
}

/// Writes to stdout; a closed or full stdout is an error, not a panic as
/// with `print!`.
fn write_stdout(text: &str) -> Result<(), CheckError> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CheckError::Output(format!("stdout: {e}")))
}

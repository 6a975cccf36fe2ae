//! The main job: load the system, let the spans settle, verify, report.

use std::{future::Future, path::PathBuf};

use loadgen::{LoadConfig, RootSpans, SamplerChoice, Target};
use telemetry::{OtelConfig, SamplerConfig};
use verifier::{Manifest, VerifyConfig};

use crate::{
    error::HarnessError,
    report::JobReport,
    stack::{RunningStack, StackConfig},
};

/// Where the job sends load and reads traces back.
#[derive(Debug, Clone, Default)]
pub enum Backend {
    /// Start tracestore and both services in this process on free ports.
    #[default]
    Embedded,
    /// Start both services in this process, exporting to an external OTLP
    /// endpoint, and verify through an external Jaeger query API.
    ExternalJaeger {
        /// Jaeger's query API base URL (e.g. http://127.0.0.1:16686).
        jaeger_url: String,
        /// Where the services and the loadgen export (OTLP/gRPC).
        otlp_endpoint: String,
        /// TLS of an `https://` OTLP endpoint.
        otlp_tls: secure_http::TlsArgs,
    },
    /// Load services that already run, exporting to a Jaeger that already
    /// runs: nothing is started.
    External {
        /// Jaeger's query API base URL.
        jaeger_url: String,
        /// Where the loadgen exports its own spans (OTLP/gRPC).
        otlp_endpoint: String,
        /// TLS of an `https://` OTLP endpoint.
        otlp_tls: secure_http::TlsArgs,
        /// order-api's base URL.
        target: String,
    },
}

/// Everything the main job needs.
pub struct JobConfig {
    /// The load: rate, duration, mix, seed, sampler, connections... Its
    /// target and root-span export are set by the job from `backend`, unless
    /// root spans are [`RootSpans::Off`].
    pub load: LoadConfig,
    /// The verification: settle, spec, API generation... Its Jaeger URL and
    /// manifest are set by the job.
    pub verify: VerifyConfig,
    /// What to run against.
    pub backend: Backend,
    /// The embedded services' configuration (faults, span bound); unused
    /// with [`Backend::External`].
    pub stack: StackConfig,
    /// Keep the manifest here (default: a temporary file, removed after).
    pub manifest: Option<PathBuf>,
    /// When the job fails, write the embedded store's traces of the run
    /// here as OTLP JSON before the store goes away.
    pub keep_traces: Option<PathBuf>,
}

/// Runs the main job. `stop` (Ctrl-C in the binary) ends the load early; the
/// job still verifies what was sent.
pub async fn run_job(
    config: JobConfig,
    stop: impl Future<Output = ()>,
) -> Result<JobReport, HarnessError> {
    let JobConfig {
        load,
        verify,
        backend,
        stack: stack_config,
        manifest,
        keep_traces,
    } = config;
    let (stack, endpoints) = match backend {
        Backend::Embedded => {
            let stack = RunningStack::start(stack_config).await?;
            let endpoints = Endpoints {
                jaeger_url: stack.jaeger_url().unwrap_or_default(),
                otlp_endpoint: stack.otlp_endpoint().to_owned(),
                otlp_tls: secure_http::TlsArgs::default(),
                target: stack.order_api_url(),
            };
            (Some(stack), endpoints)
        }
        Backend::ExternalJaeger {
            jaeger_url,
            otlp_endpoint,
            otlp_tls,
        } => {
            let stack = RunningStack::start(StackConfig {
                otlp_endpoint: Some(otlp_endpoint.clone()),
                otlp_tls: otlp_tls.clone(),
                ..stack_config
            })
            .await?;
            let target = stack.order_api_url();
            let endpoints = Endpoints {
                jaeger_url,
                otlp_endpoint,
                otlp_tls,
                target,
            };
            (Some(stack), endpoints)
        }
        Backend::External {
            jaeger_url,
            otlp_endpoint,
            otlp_tls,
            target,
        } => (
            None,
            Endpoints {
                jaeger_url,
                otlp_endpoint,
                otlp_tls,
                target,
            },
        ),
    };
    let files = Files {
        manifest,
        keep_traces,
    };
    let result = load_and_verify(load, verify, files, &endpoints, stack.as_ref(), stop).await;
    if let Some(stack) = stack {
        let stopped = stack.shutdown().await;
        if result.is_ok() {
            stopped?;
        }
    }
    result
}

/// The three addresses a job needs, whoever runs the components.
struct Endpoints {
    jaeger_url: String,
    otlp_endpoint: String,
    otlp_tls: secure_http::TlsArgs,
    target: String,
}

/// Where the job keeps what outlives it.
struct Files {
    manifest: Option<PathBuf>,
    keep_traces: Option<PathBuf>,
}

async fn load_and_verify(
    mut load: LoadConfig,
    mut verify: VerifyConfig,
    files: Files,
    endpoints: &Endpoints,
    stack: Option<&RunningStack>,
    stop: impl Future<Output = ()>,
) -> Result<JobReport, HarnessError> {
    let _manifest_dir;
    let manifest_path = match files.manifest {
        Some(path) => path,
        None => {
            let dir = tempfile::tempdir().map_err(|source| HarnessError::File {
                what: "cannot create a temporary directory in",
                path: std::env::temp_dir(),
                source,
            })?;
            let path = dir.path().join("run.jsonl");
            _manifest_dir = dir;
            path
        }
    };

    load.target = Target::parse(&endpoints.target).map_err(|source| HarnessError::Target {
        url: endpoints.target.clone(),
        source,
    })?;
    load.manifest = Some(manifest_path.clone());
    if !matches!(load.root_spans, RootSpans::Off) {
        let mut otel = OtelConfig::new("loadgen", SamplerConfig::AlwaysOn)
            .with_endpoint(endpoints.otlp_endpoint.clone());
        otel.tls = endpoints.otlp_tls.clone();
        load.root_spans = RootSpans::otlp(otel);
    }
    if verify.sampling_ratio.is_none()
        && let SamplerChoice::Ratio(r) = load.sampler
    {
        verify.sampling_ratio = Some(r);
    }
    let load_report = loadgen::run(load, stop).await?;

    if let Some(stack) = stack {
        // In process the job need not wait for the next batch tick.
        stack.flush().await?;
    }

    verify.jaeger_url = endpoints.jaeger_url.clone();
    verify.manifest = Some(Manifest::from_paths(&[&manifest_path])?);
    let verdict = verifier::verify(&verify).await?;
    let records = loadgen::read_manifest(&manifest_path).map_err(|source| HarnessError::File {
        what: "manifest",
        path: manifest_path.clone(),
        source,
    })?;
    let mut report = JobReport {
        load: load_report,
        verdict,
        timeline: crate::timeline::timeline(&records),
        kept_traces: None,
        store: stack.and_then(RunningStack::store).map(|s| s.stats()),
    };
    if let (Some(dir), Some(store)) = (&files.keep_traces, stack.and_then(|s| s.store()))
        && !report.passed()
    {
        let sampled: Vec<String> = records
            .into_iter()
            .filter(|r| r.sampled == Some(true))
            .filter_map(|r| r.trace_id)
            .collect();
        report.kept_traces =
            Some(crate::keep::keep_traces(&store.query_url(), &sampled, dir).await?);
    }
    Ok(report)
}

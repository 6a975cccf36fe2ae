//! The tracer configurations the span benches compare.

use std::time::{Duration, Instant};

use opentelemetry::trace::{TracerProvider, noop::NoopTracer};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use telemetry::{BatchOptions, OtlpExporter, Protocol, SamplerConfig};

use crate::{cpu::process_cpu_time, env::BenchEnv, workload::record_span};

/// Spans recorded between two flushes of a batch processor: the queue holds
/// them all, so a measurement never counts dropped spans as cheap ones.
const CHUNK: u64 = 8_192;

/// One tracer configuration under measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// No SDK at all: the API's no-op tracer.
    NoProvider,
    /// SDK with the AlwaysOff sampler: every span unsampled.
    AlwaysOff,
    /// SDK with TraceIdRatioBased(0.1), batch-exporting the sampled tenth over gRPC.
    Ratio01,
    /// AlwaysOn, BatchSpanProcessor, OTLP/gRPC (`otlp-export`'s exporter,
    /// the services' default).
    BatchGrpc,
    /// AlwaysOn, BatchSpanProcessor, OTLP/HTTP protobuf (`otlp-export`).
    BatchHttp,
    /// [`Setup::BatchGrpc`] with `opentelemetry-otlp`'s exporter.
    BatchGrpcOtel,
    /// [`Setup::BatchHttp`] with `opentelemetry-otlp`'s exporter.
    BatchHttpOtel,
    /// AlwaysOn, SimpleSpanProcessor (one export per span), OTLP/gRPC
    /// (`opentelemetry-otlp`).
    SimpleGrpc,
    /// AlwaysOn, SimpleSpanProcessor, OTLP/HTTP protobuf.
    SimpleHttp,
}

impl Setup {
    /// Every setup, in report order.
    pub const ALL: [Setup; 9] = [
        Setup::NoProvider,
        Setup::AlwaysOff,
        Setup::Ratio01,
        Setup::BatchGrpc,
        Setup::BatchGrpcOtel,
        Setup::BatchHttp,
        Setup::BatchHttpOtel,
        Setup::SimpleGrpc,
        Setup::SimpleHttp,
    ];

    /// The setup's bench id.
    pub fn name(self) -> &'static str {
        match self {
            Setup::NoProvider => "no_provider",
            Setup::AlwaysOff => "always_off",
            Setup::Ratio01 => "ratio_0.1_batch_grpc",
            Setup::BatchGrpc => "always_on_batch_grpc",
            Setup::BatchHttp => "always_on_batch_http",
            Setup::BatchGrpcOtel => "always_on_batch_grpc_opentelemetry_otlp",
            Setup::BatchHttpOtel => "always_on_batch_http_opentelemetry_otlp",
            Setup::SimpleGrpc => "always_on_simple_grpc",
            Setup::SimpleHttp => "always_on_simple_http",
        }
    }
}

/// A tracer built for one [`Setup`].
pub enum BenchTracer {
    /// The API's no-op tracer.
    Noop(NoopTracer),
    /// An SDK tracer and the provider that owns its processor.
    Sdk {
        /// The provider, flushed between chunks and shut down at the end.
        provider: SdkTracerProvider,
        /// The tracer spans are started with.
        tracer: SdkTracer,
    },
}

impl BenchTracer {
    /// Builds the tracer of `setup`, exporting (if at all) to the env's sink.
    pub fn build(setup: Setup, env: &BenchEnv) -> anyhow::Result<Self> {
        let _rt = env.runtime().enter();
        let (sampler, protocol) = match setup {
            Setup::NoProvider => return Ok(BenchTracer::Noop(NoopTracer::new())),
            Setup::AlwaysOff => (SamplerConfig::AlwaysOff, Protocol::Grpc),
            Setup::Ratio01 => (SamplerConfig::TraceIdRatio(0.1), Protocol::Grpc),
            Setup::BatchGrpc | Setup::BatchGrpcOtel | Setup::SimpleGrpc => {
                (SamplerConfig::AlwaysOn, Protocol::Grpc)
            }
            Setup::BatchHttp | Setup::BatchHttpOtel | Setup::SimpleHttp => {
                (SamplerConfig::AlwaysOn, Protocol::HttpProtobuf)
            }
        };
        let mut cfg = env.otel_config("bench", sampler, protocol);
        cfg.batch = BatchOptions {
            max_queue_size: Some(2 * CHUNK as usize),
            ..BatchOptions::default()
        };
        if matches!(setup, Setup::BatchGrpcOtel | Setup::BatchHttpOtel) {
            cfg.otlp_exporter = OtlpExporter::OpentelemetryOtlp;
        }
        let provider = match setup {
            Setup::SimpleGrpc | Setup::SimpleHttp => {
                let exporter = telemetry::build_exporter(&cfg)?
                    .ok_or_else(|| anyhow::anyhow!("the bench config has no exporter"))?;
                telemetry::base_builder(&cfg)
                    .with_simple_exporter(exporter)
                    .build()
            }
            _ => telemetry::build_provider(&cfg)?,
        };
        let tracer = provider.tracer("bench");
        Ok(BenchTracer::Sdk { provider, tracer })
    }

    /// Records `iters` spans and flushes them to the sink, and returns the
    /// CPU time the whole process spent on both (the export thread, the
    /// gRPC or HTTP client tasks and the in-process sink included): the
    /// whole cost of a span to the machine.
    pub fn cpu_time_spans_with_export(&self, iters: u64) -> anyhow::Result<Duration> {
        let mut spent = Duration::ZERO;
        for n in chunks(iters) {
            let start = process_cpu_time();
            for _ in 0..n {
                self.record();
            }
            self.flush()?;
            spent += process_cpu_time().saturating_sub(start);
        }
        Ok(spent)
    }

    /// Records `iters` spans and returns the time spent recording them on
    /// this thread. Between chunks the batch queue is flushed, untimed, so
    /// it never overflows (an overflowing queue drops spans, which is cheap
    /// and would flatter the figure).
    pub fn time_spans(&self, iters: u64) -> anyhow::Result<Duration> {
        let mut spent = Duration::ZERO;
        for n in chunks(iters) {
            let start = Instant::now();
            for _ in 0..n {
                self.record();
            }
            spent += start.elapsed();
            self.flush()?;
        }
        Ok(spent)
    }

    fn record(&self) {
        match self {
            BenchTracer::Noop(t) => record_span(t),
            BenchTracer::Sdk { tracer, .. } => record_span(tracer),
        }
    }

    fn flush(&self) -> anyhow::Result<()> {
        if let BenchTracer::Sdk { provider, .. } = self {
            provider.force_flush()?;
        }
        Ok(())
    }

    /// Shuts the provider down (flushing what is left).
    pub fn shutdown(self, env: &BenchEnv) -> anyhow::Result<()> {
        match self {
            BenchTracer::Noop(_) => Ok(()),
            BenchTracer::Sdk { provider, .. } => env.shutdown(provider),
        }
    }
}

/// `iters` cut into chunks of at most [`CHUNK`] spans.
fn chunks(iters: u64) -> impl Iterator<Item = u64> {
    (0..iters.div_ceil(CHUNK)).map(move |i| (iters - i * CHUNK).min(CHUNK))
}

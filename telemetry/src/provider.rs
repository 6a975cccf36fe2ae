//! Building and shutting down one component's tracer provider.

use opentelemetry::KeyValue;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::{
    Resource,
    trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider, SpanExporter},
};

use otlp_export::DirectSpanExporter;

use crate::config::{Compression, ExporterKind, OtelConfig, OtlpExporter, Protocol};

pub use otlp_export::DEFAULT_EXPORT_TIMEOUT;

/// A tracer provider that could not be built or shut down cleanly.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The OTLP exporter rejected its configuration.
    #[error("cannot build the OTLP {protocol} exporter for {endpoint}")]
    Exporter {
        /// The protocol asked for.
        protocol: Protocol,
        /// The resolved endpoint.
        endpoint: String,
        /// The exporter's own error.
        source: opentelemetry_otlp::ExporterBuildError,
    },
    /// The direct exporter cannot send to its destination.
    #[error(transparent)]
    Endpoint(#[from] otlp_export::EndpointError),
    /// The blocking HTTP client of opentelemetry-otlp's HTTP exporter
    /// could not be built with the TLS configuration.
    #[error("cannot build the HTTP client for {endpoint}")]
    HttpClient {
        /// The resolved endpoint.
        endpoint: String,
        /// reqwest's error.
        #[source]
        source: reqwest::Error,
    },
    /// The thread that builds that client panicked.
    #[error("the HTTP client's thread panicked (building the client for {0})")]
    HttpClientThread(String),
    /// Flushing or shutting down the provider failed (spans may be lost).
    #[error("tracer provider shutdown failed")]
    Shutdown(#[source] opentelemetry_sdk::error::OTelSdkError),
    /// The blocking task that flushes and shuts down panicked or was
    /// cancelled (spans may be lost).
    #[error("tracer provider shutdown failed")]
    ShutdownTask(#[source] tokio::task::JoinError),
}

/// The resource of a component: `service.name` plus the configured attributes
/// and the SDK's `telemetry.sdk.*` attributes.
pub fn resource(cfg: &OtelConfig) -> Resource {
    Resource::builder()
        .with_service_name(cfg.service_name.clone())
        .with_attributes(
            cfg.resource_attributes
                .iter()
                .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
        )
        .build()
}

/// Builds the provider a configuration describes: the sampler, the resource
/// and (unless the exporter is `none`) a `BatchSpanProcessor` feeding an OTLP
/// exporter, the one `cfg.otlp_exporter` names.
///
/// Call it inside a Tokio runtime, which must outlive the provider (the
/// direct exporter sends, and the gRPC channel runs, on it).
pub fn build_provider(cfg: &OtelConfig) -> Result<SdkTracerProvider, TelemetryError> {
    if cfg.exporter == ExporterKind::None {
        return Ok(base_builder(cfg).build());
    }
    Ok(match cfg.otlp_exporter {
        OtlpExporter::Direct => provider_with_exporter(cfg, build_direct_exporter(cfg)?),
        OtlpExporter::OpentelemetryOtlp => match build_exporter(cfg)? {
            Some(exporter) => provider_with_exporter(cfg, exporter),
            None => base_builder(cfg).build(),
        },
    })
}

/// `otlp-export`'s exporter (`SpanData` written straight into protobuf) to
/// the configured destination. Call it inside a Tokio runtime.
pub fn build_direct_exporter(cfg: &OtelConfig) -> Result<DirectSpanExporter, TelemetryError> {
    Ok(DirectSpanExporter::new(&cfg.destination())?)
}

/// `opentelemetry-otlp`'s exporter a configuration describes, or `None`
/// when its exporter is `none`. With gRPC, call it inside a Tokio runtime.
pub fn build_exporter(
    cfg: &OtelConfig,
) -> Result<Option<opentelemetry_otlp::SpanExporter>, TelemetryError> {
    if cfg.exporter == ExporterKind::None {
        return Ok(None);
    }
    let endpoint = cfg.resolved_endpoint();
    let timeout = cfg.timeout.unwrap_or(DEFAULT_EXPORT_TIMEOUT);
    let built = match cfg.protocol {
        Protocol::Grpc => {
            let metadata = opentelemetry_otlp::tonic_types::metadata::MetadataMap::from_headers(
                cfg.header_map(),
            );
            let mut builder = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint.clone())
                .with_timeout(timeout)
                .with_metadata(metadata);
            if cfg.compression == Compression::Gzip {
                builder = builder.with_compression(opentelemetry_otlp::Compression::Gzip);
            }
            if endpoint.starts_with("https:") {
                // HTTP/2 over rustls (ring) with the OTel variables' CA and
                // client certificate: otlp-export's channel (tonic's own TLS
                // features stay off, see otlp_export::tls).
                builder = builder.with_channel(otlp_export::grpc_channel(&cfg.destination())?);
            }
            builder.build()
        }
        Protocol::HttpProtobuf | Protocol::HttpJson => {
            let protocol = if cfg.protocol == Protocol::HttpJson {
                opentelemetry_otlp::Protocol::HttpJson
            } else {
                opentelemetry_otlp::Protocol::HttpBinary
            };
            let mut builder = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_protocol(protocol)
                .with_endpoint(endpoint.clone())
                .with_timeout(timeout)
                .with_headers(cfg.headers.iter().cloned().collect());
            if cfg.compression == Compression::Gzip {
                builder = builder.with_compression(opentelemetry_otlp::Compression::Gzip);
            }
            if let Some(tls) =
                otlp_export::http_tls_config(&cfg.destination(), &[b"h2", b"http/1.1"])?
            {
                builder = builder.with_http_client(blocking_client(tls, timeout, &endpoint)?);
            }
            builder.build()
        }
    };
    built.map(Some).map_err(|source| TelemetryError::Exporter {
        protocol: cfg.protocol,
        endpoint,
        source,
    })
}

/// The blocking reqwest client opentelemetry-otlp's HTTP exporter uses,
/// with our rustls configuration. Built on its own thread, as
/// opentelemetry-otlp builds its default one: a blocking client owns a
/// runtime, which cannot be made inside the caller's.
fn blocking_client(
    tls: rustls::ClientConfig,
    timeout: std::time::Duration,
    endpoint: &str,
) -> Result<reqwest::blocking::Client, TelemetryError> {
    std::thread::spawn(move || {
        reqwest::blocking::Client::builder()
            .timeout(timeout)
            .tls_backend_preconfigured(tls)
            .build()
    })
    .join()
    .map_err(|_| TelemetryError::HttpClientThread(endpoint.to_owned()))?
    .map_err(|source| TelemetryError::HttpClient {
        endpoint: endpoint.to_owned(),
        source,
    })
}

/// Builds a provider with the configuration's sampler and resource and a
/// `BatchSpanProcessor` around the given exporter (an in-memory exporter in
/// tests, a custom sink in benches).
pub fn provider_with_exporter<E>(cfg: &OtelConfig, exporter: E) -> SdkTracerProvider
where
    E: SpanExporter + 'static,
{
    let mut batch = BatchConfigBuilder::default();
    if let Some(n) = cfg.batch.max_queue_size {
        batch = batch.with_max_queue_size(n);
    }
    if let Some(d) = cfg.batch.scheduled_delay {
        batch = batch.with_scheduled_delay(d);
    }
    if let Some(n) = cfg.batch.max_export_batch_size {
        batch = batch.with_max_export_batch_size(n);
    }
    let processor = BatchSpanProcessor::builder(exporter)
        .with_batch_config(batch.build())
        .build();
    base_builder(cfg).with_span_processor(processor).build()
}

/// A provider builder with the configuration's sampler and resource and no
/// span processor yet.
pub fn base_builder(cfg: &OtelConfig) -> opentelemetry_sdk::trace::TracerProviderBuilder {
    SdkTracerProvider::builder()
        .with_sampler(cfg.sampler.to_sampler())
        .with_resource(resource(cfg))
}

/// Flushes every pending span and shuts the provider down, off the async
/// worker threads (the SDK's shutdown blocks, and would deadlock a
/// current-thread runtime that also drives the gRPC channel).
pub async fn shutdown_provider(provider: SdkTracerProvider) -> Result<(), TelemetryError> {
    let joined = tokio::task::spawn_blocking(move || {
        let flushed = provider.force_flush();
        let shut = provider.shutdown();
        flushed.and(shut)
    })
    .await;
    match joined {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(TelemetryError::Shutdown(e)),
        Err(e) => Err(TelemetryError::ShutdownTask(e)),
    }
}

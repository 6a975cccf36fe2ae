//! [`DirectSpanExporter`]: the SDK's `SpanExporter` over this crate's
//! encoder and transport, for services written against the OpenTelemetry
//! API and SDK (their `BatchSpanProcessor` hands it batches of `SpanData`).

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use bytes::Bytes;
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::{
    Resource,
    error::{OTelSdkError, OTelSdkResult},
    trace::{SpanData, SpanExporter},
};
use parking_lot::Mutex;
use tokio::runtime::Handle;

use crate::{
    destination::{Destination, EndpointError},
    encode::{EncodedResource, EncodedScope, request},
    span_data,
    transport::Transport,
};

/// Encodes each batch of `SpanData` straight into one OTLP
/// `ExportTraceServiceRequest` (the resource encoded once, each scope once,
/// attribute keys and values copied from the spans without a `String`
/// each) and sends it with the crate's transport, on the Tokio runtime it
/// was built in. What a receiver decodes is what `opentelemetry-otlp`
/// sends for the same spans (tested).
#[derive(Debug)]
pub struct DirectSpanExporter {
    transport: Arc<Transport>,
    runtime: Handle,
    resource: EncodedResource,
    /// The scopes seen so far, encoded (a service has one or two).
    scopes: Mutex<Vec<(InstrumentationScope, EncodedScope)>>,
    /// The size of the last request's spans, to size the next buffer.
    last_size: AtomicUsize,
    shut_down: AtomicBool,
}

impl DirectSpanExporter {
    /// An exporter to `destination`. Call inside a Tokio runtime, which
    /// must outlive the exporter: requests are sent on it.
    pub fn new(destination: &Destination) -> Result<DirectSpanExporter, EndpointError> {
        let runtime = Handle::try_current().map_err(|_| EndpointError {
            endpoint: destination.endpoint.clone(),
            reason: "the exporter must be built inside a Tokio runtime".into(),
        })?;
        Ok(DirectSpanExporter {
            transport: Arc::new(Transport::new(destination)?),
            runtime,
            resource: EncodedResource::new(&Resource::builder_empty().build()),
            scopes: Mutex::new(Vec::new()),
            last_size: AtomicUsize::new(0),
            shut_down: AtomicBool::new(false),
        })
    }

    /// The request carrying `batch`: a `ScopeSpans` per scope, in the order
    /// the scopes first appear in the batch (as the SDK's exporter groups).
    pub fn encode(&self, batch: &[SpanData]) -> Vec<u8> {
        let mut known = self.scopes.lock();
        // (index into `known`, that scope's encoded spans)
        let mut groups: Vec<(usize, Vec<u8>)> = Vec::with_capacity(1);
        let size_hint = self.last_size.load(Ordering::Relaxed);
        for span in batch {
            let scope = &span.instrumentation_scope;
            let at = match known.iter().position(|(s, _)| s == scope) {
                Some(at) => at,
                None => {
                    known.push((scope.clone(), EncodedScope::new(scope)));
                    known.len() - 1
                }
            };
            let group = match groups.iter().position(|(i, _)| *i == at) {
                Some(g) => g,
                None => {
                    groups.push((at, Vec::with_capacity(size_hint)));
                    groups.len() - 1
                }
            };
            span_data::append(&mut groups[group].1, span);
        }
        let sizes = groups.iter().map(|(_, spans)| spans.len()).max();
        self.last_size.store(sizes.unwrap_or(0), Ordering::Relaxed);
        let scopes: Vec<(&EncodedScope, &[u8])> = groups
            .iter()
            .map(|(at, spans)| (&known[*at].1, &spans[..]))
            .collect();
        request(&self.resource, &scopes)
    }
}

impl SpanExporter for DirectSpanExporter {
    /// Encodes on the calling thread (the batch processor's), sends on the
    /// runtime; a partial success is not an error (OTLP says not to retry
    /// it), as with `opentelemetry-otlp`.
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        let sent = if self.shut_down.load(Ordering::Acquire) {
            None
        } else {
            let request = Bytes::from(self.encode(&batch));
            drop(batch);
            let transport = self.transport.clone();
            Some(
                self.runtime
                    .spawn(async move { transport.export(request).await }),
            )
        };
        async move {
            let Some(sent) = sent else {
                return Err(OTelSdkError::AlreadyShutdown);
            };
            match sent.await {
                Ok(Ok(_accepted)) => Ok(()),
                Ok(Err(e)) => Err(OTelSdkError::InternalFailure(e.to_string())),
                Err(e) => Err(OTelSdkError::InternalFailure(format!(
                    "the export task did not finish: {e}"
                ))),
            }
        }
    }

    fn shutdown_with_timeout(&self, _timeout: std::time::Duration) -> OTelSdkResult {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = EncodedResource::new(resource);
    }
}

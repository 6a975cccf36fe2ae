//! OTLP/gRPC: opentelemetry-proto's generated `TraceServiceServer` over the
//! store.
//!
//! tonic (like grpc-go) reports a body it cannot decode or decompress as
//! `INTERNAL`; the OTLP spec asks for the non-retryable `INVALID_ARGUMENT`,
//! so [`fix_status_codes`] rewrites that status, and tonic's `OUT_OF_RANGE`
//! for an oversized message to grpc-go's `RESOURCE_EXHAUSTED`.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use tonic::codec::CompressionEncoding;
use tonic::{Code, Request, Response, Status};

use crate::ingest;
use crate::otlp::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use crate::store::Store;

/// The gRPC trace service.
#[derive(Debug, Clone)]
pub struct TraceReceiver {
    store: Arc<Store>,
}

#[tonic::async_trait]
impl TraceService for TraceReceiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let (batch, partial) =
            ingest::prepare(request.into_inner()).map_err(|e| Status::invalid_argument(e.0))?;
        self.store.insert(batch);
        let partial_success = (partial != ExportTracePartialSuccess::default()).then_some(partial);
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success,
        }))
    }
}

/// The service, accepting gzip and zstd and messages up to `max_message`.
pub fn service(store: Arc<Store>, max_message: usize) -> TraceServiceServer<TraceReceiver> {
    TraceServiceServer::new(TraceReceiver { store })
        .accept_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Zstd)
        .max_decoding_message_size(max_message)
}

/// Rewrites the status of a trailers-only error response: `INTERNAL`
/// (undecodable body) to `INVALID_ARGUMENT`, `OUT_OF_RANGE` (message too
/// large) to `RESOURCE_EXHAUSTED`. The receiver itself never answers
/// `INTERNAL`.
pub fn fix_status_codes<B>(mut res: http::Response<B>) -> http::Response<B> {
    let rewrite = match res.headers().get("grpc-status").map(|v| v.as_bytes()) {
        Some(b"13") => Some(Code::InvalidArgument),
        Some(b"11") => Some(Code::ResourceExhausted),
        _ => None,
    };
    if let Some(code) = rewrite {
        res.headers_mut()
            .insert("grpc-status", http::HeaderValue::from(code as i32));
    }
    res
}

//! OTLP/gRPC: opentelemetry-proto's generated `TraceServiceServer` over the
//! store, and a discarding service that only counts spans.
//!
//! tonic (like grpc-go) reports a body it cannot decode or decompress as
//! `INTERNAL`; the OTLP spec asks for the non-retryable `INVALID_ARGUMENT`,
//! so [`fix_status_codes`] rewrites that status, and tonic's `OUT_OF_RANGE`
//! for an oversized message to grpc-go's `RESOURCE_EXHAUSTED`.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Buf;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    SERVICE_NAME, TraceService, TraceServiceServer,
};
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::{Body, BoxFuture, Service, StdError};
use tonic::server::NamedService;
use tonic::{Code, Request, Response, Status};

use crate::ingest;
use crate::otlp::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse, wire,
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
        let (batch, partial) = ingest::prepare(&self.store, request.into_inner())
            .map_err(|e| Status::invalid_argument(e.0))?;
        let partial = ingest::store(&self.store, batch, partial);
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

/// The discarding mode's gRPC trace service: each export's spans are
/// counted by a walk over the protobuf framing ([`wire::count_spans`]);
/// nothing is decoded or kept, and the answer is the empty
/// `ExportTraceServiceResponse`.
#[derive(Debug, Clone)]
pub struct DiscardService {
    store: Arc<Store>,
    max_message: usize,
}

/// The discarding service, accepting gzip and zstd and messages up to
/// `max_message`.
pub fn discard_service(store: Arc<Store>, max_message: usize) -> DiscardService {
    DiscardService { store, max_message }
}

impl NamedService for DiscardService {
    const NAME: &'static str = SERVICE_NAME;
}

impl<B> Service<http::Request<B>> for DiscardService
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        if req.uri().path() != EXPORT_PATH {
            return Box::pin(async { Ok(Status::unimplemented("").into_http()) });
        }
        let count = CountSpans(self.store.clone());
        let mut grpc = tonic::server::Grpc::new(SpanCountCodec)
            .accept_compressed(CompressionEncoding::Gzip)
            .accept_compressed(CompressionEncoding::Zstd)
            .max_decoding_message_size(self.max_message);
        Box::pin(async move { Ok(grpc.unary(count, req).await) })
    }
}

/// The one method of the trace service.
const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// Adds an export's span count to the store's counters.
struct CountSpans(Arc<Store>);

impl Service<Request<u64>> for CountSpans {
    type Response = Response<()>;
    type Error = Status;
    type Future = std::future::Ready<Result<Response<()>, Status>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<u64>) -> Self::Future {
        self.0.count_discarded(request.into_inner());
        std::future::ready(Ok(Response::new(())))
    }
}

/// Decodes a request into its span count; encodes the (empty) answer.
#[derive(Debug, Clone, Copy, Default)]
struct SpanCountCodec;

impl Codec for SpanCountCodec {
    type Encode = ();
    type Decode = u64;
    type Encoder = SpanCountCodec;
    type Decoder = SpanCountCodec;

    fn encoder(&mut self) -> Self::Encoder {
        *self
    }

    fn decoder(&mut self) -> Self::Decoder {
        *self
    }
}

impl Encoder for SpanCountCodec {
    type Item = ();
    type Error = Status;

    /// An `ExportTraceServiceResponse` without a partial success is empty.
    fn encode(&mut self, _item: (), _dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        Ok(())
    }
}

impl Decoder for SpanCountCodec {
    type Item = u64;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<u64>, Status> {
        let len = src.remaining();
        // The buffer is one contiguous message; copy only if it ever is not.
        let copied;
        let message = if src.chunk().len() == len {
            src.chunk()
        } else {
            copied = src.copy_to_bytes(len);
            &copied[..]
        };
        let spans = wire::count_spans(message).map_err(Status::invalid_argument)?;
        src.advance(src.remaining());
        Ok(Some(spans))
    }
}

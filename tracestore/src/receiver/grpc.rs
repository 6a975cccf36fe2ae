//! OTLP/gRPC: the trace service over the store and a discarding service
//! that only counts spans, both tonic's unary plumbing around a codec that
//! hands the request's bytes to our own reading (so that an export is not
//! first built as prost's generated types).
//!
//! tonic (like grpc-go) reports a body it cannot decompress as
//! `INTERNAL`; the OTLP spec asks for the non-retryable `INVALID_ARGUMENT`,
//! so [`fix_status_codes`] rewrites that status, and tonic's `OUT_OF_RANGE`
//! for an oversized message to grpc-go's `RESOURCE_EXHAUSTED`.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::SERVICE_NAME;
use prost::Message;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::{Body, BoxFuture, Service, StdError};
use tonic::server::NamedService;
use tonic::{Code, Request, Response, Status};

use crate::ingest;
use crate::otlp::{ExportTracePartialSuccess, ExportTraceServiceResponse, wire};
use crate::store::Store;

/// tonic's unary plumbing for the one `Export` method (gzip and zstd, the
/// size limit, status trailers): `C` reads the request, `H` answers it.
#[derive(Debug, Clone)]
pub(crate) struct ExportService<C, H> {
    codec: C,
    handler: H,
    max_message: usize,
}

/// The gRPC trace service: [`ingest::prepare_encoded`] reads the request's
/// bytes itself rather than through prost's generated types.
pub(crate) type TraceReceiver = ExportService<RequestBytesCodec, Export>;

/// The service, accepting gzip and zstd and messages up to `max_message`.
pub(crate) fn service(store: Arc<Store>, max_message: usize) -> TraceReceiver {
    ExportService {
        codec: RequestBytesCodec,
        handler: Export(store),
        max_message,
    }
}

impl<C, H> NamedService for ExportService<C, H> {
    const NAME: &'static str = SERVICE_NAME;
}

impl<B, C, H> Service<http::Request<B>> for ExportService<C, H>
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
    C: Codec + Clone + Send + 'static,
    C::Encode: Send + 'static,
    C::Decode: Send + 'static,
    H: Service<Request<C::Decode>, Response = Response<C::Encode>, Error = Status>
        + Clone
        + Send
        + 'static,
    H::Future: Send + 'static,
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
        let handler = self.handler.clone();
        let mut grpc = tonic::server::Grpc::new(self.codec.clone())
            .accept_compressed(CompressionEncoding::Gzip)
            .accept_compressed(CompressionEncoding::Zstd)
            .max_decoding_message_size(self.max_message);
        Box::pin(async move { Ok(grpc.unary(handler, req).await) })
    }
}

/// Stores one export's bytes.
#[derive(Debug, Clone)]
pub(crate) struct Export(Arc<Store>);

impl Service<Request<Bytes>> for Export {
    type Response = Response<ExportTraceServiceResponse>;
    type Error = Status;
    type Future = std::future::Ready<Result<Self::Response, Status>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let answer = ingest::prepare_encoded(&self.0, request.into_inner())
            .map_err(|refused| Status::invalid_argument(cli_support::error_chain(&refused)))
            .map(|(batch, partial)| {
                let partial = ingest::store(&self.0, batch, partial);
                let partial_success =
                    (partial != ExportTracePartialSuccess::default()).then_some(partial);
                Response::new(ExportTraceServiceResponse { partial_success })
            });
        std::future::ready(answer)
    }
}

/// Hands over a request's bytes undecoded; encodes the export response.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RequestBytesCodec;

impl Codec for RequestBytesCodec {
    type Encode = ExportTraceServiceResponse;
    type Decode = Bytes;
    type Encoder = RequestBytesCodec;
    type Decoder = RequestBytesCodec;

    fn encoder(&mut self) -> Self::Encoder {
        *self
    }

    fn decoder(&mut self) -> Self::Decoder {
        *self
    }
}

impl Encoder for RequestBytesCodec {
    type Item = ExportTraceServiceResponse;
    type Error = Status;

    fn encode(
        &mut self,
        item: ExportTraceServiceResponse,
        dst: &mut EncodeBuf<'_>,
    ) -> Result<(), Status> {
        item.encode(dst)
            .map_err(|e| Status::internal(format!("encoding the answer: {e}")))
    }
}

impl Decoder for RequestBytesCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

/// Rewrites the status of a trailers-only error response: `INTERNAL`
/// (undecodable body) to `INVALID_ARGUMENT`, `OUT_OF_RANGE` (message too
/// large) to `RESOURCE_EXHAUSTED`. The receiver itself never answers
/// `INTERNAL`.
pub(crate) fn fix_status_codes<B>(mut res: http::Response<B>) -> http::Response<B> {
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
pub(crate) type DiscardService = ExportService<SpanCountCodec, CountSpans>;

/// The discarding service, accepting gzip and zstd and messages up to
/// `max_message`.
pub(crate) fn discard_service(store: Arc<Store>, max_message: usize) -> DiscardService {
    ExportService {
        codec: SpanCountCodec,
        handler: CountSpans(store),
        max_message,
    }
}

/// The one method of the trace service.
const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// Adds an export's span count to the store's counters.
#[derive(Debug, Clone)]
pub(crate) struct CountSpans(Arc<Store>);

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
pub(crate) struct SpanCountCodec;

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
        let spans = wire::count_spans(message)
            .map_err(|e| Status::invalid_argument(cli_support::error_chain(&e)))?;
        src.advance(src.remaining());
        Ok(Some(spans))
    }
}

//! An OTLP/gRPC client that sends pre-encoded (or deliberately broken)
//! request bytes, for malformed-input tests and the ingest bench.

use bytes::{Buf, BufMut, Bytes};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;
use tonic::{Response, Status};

/// Encodes `Bytes` verbatim; decodes the export response.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RawCodec;

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RawEncoder;

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ResponseDecoder;

impl Encoder for RawEncoder {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for ResponseDecoder {
    type Item = ExportTraceServiceResponse;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Self::Item>, Status> {
        let bytes = src.copy_to_bytes(src.remaining());
        ExportTraceServiceResponse::decode(bytes)
            .map(Some)
            .map_err(|e| Status::internal(e.to_string()))
    }
}

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = ExportTraceServiceResponse;
    type Encoder = RawEncoder;
    type Decoder = ResponseDecoder;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> ResponseDecoder {
        ResponseDecoder
    }
}

/// A connected raw client.
#[derive(Debug, Clone)]
pub(crate) struct RawClient {
    grpc: tonic::client::Grpc<Channel>,
}

impl RawClient {
    /// Connects to `endpoint` (`http://host:port`).
    pub(crate) async fn connect(endpoint: String) -> Self {
        let channel = Channel::from_shared(endpoint)
            .expect("endpoint")
            .connect()
            .await
            .expect("connect");
        RawClient {
            grpc: tonic::client::Grpc::new(channel),
        }
    }

    /// The same client, gzip-compressing requests.
    pub(crate) fn gzip(mut self) -> Self {
        self.grpc = self.grpc.send_compressed(CompressionEncoding::Gzip);
        self
    }

    /// Sends one `Export` call with `body` as the message bytes.
    pub(crate) async fn export(
        &mut self,
        body: Bytes,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.grpc
            .ready()
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let path = http::uri::PathAndQuery::from_static(
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        );
        self.grpc
            .unary(tonic::Request::new(body), path, RawCodec)
            .await
    }
}

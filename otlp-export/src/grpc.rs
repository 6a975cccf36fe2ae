//! The OTLP/gRPC trace export call as this crate makes it: the method's
//! path and a tonic codec that sends an already encoded
//! `ExportTraceServiceRequest` as it is (no generated message structs on
//! the way) and decodes the receiver's answer.
//!
//! Public so that a client sending hand-made, or deliberately broken,
//! request bytes (tracestore's malformed-input tests and benches) makes the
//! same call the exporter makes, not a copy of it.

use bytes::{BufMut as _, Bytes};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message as _;
use tonic::{
    Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
};

/// The gRPC method of trace export (`TraceService/Export`).
pub const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// Passes already encoded request bytes through (tonic adds the gRPC
/// length prefix and compression); decodes the `ExportTraceServiceResponse`.
#[derive(Debug, Clone, Copy, Default)]
pub struct EncodedExportCodec;

impl Codec for EncodedExportCodec {
    type Encode = Bytes;
    type Decode = ExportTraceServiceResponse;
    type Encoder = EncodedExportCodec;
    type Decoder = EncodedExportCodec;

    fn encoder(&mut self) -> EncodedExportCodec {
        EncodedExportCodec
    }

    fn decoder(&mut self) -> EncodedExportCodec {
        EncodedExportCodec
    }
}

impl Encoder for EncodedExportCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for EncodedExportCodec {
    type Item = ExportTraceServiceResponse;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Self::Item>, Status> {
        ExportTraceServiceResponse::decode(src)
            .map(Some)
            .map_err(|e| Status::internal(format!("undecodable export response: {e}")))
    }
}

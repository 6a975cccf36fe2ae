//! An OTLP/gRPC client that sends pre-encoded (or deliberately broken)
//! request bytes, for malformed-input tests and the ingest bench. The call
//! itself (method path, codec passing the bytes through) is otlp-export's,
//! the one the services' exporter makes.

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use otlp_export::grpc::{EXPORT_PATH, EncodedExportCodec};
use tonic::codec::CompressionEncoding;
use tonic::transport::Channel;
use tonic::{Response, Status};

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
        let path = http::uri::PathAndQuery::from_static(EXPORT_PATH);
        self.grpc
            .unary(tonic::Request::new(body), path, EncodedExportCodec)
            .await
    }
}

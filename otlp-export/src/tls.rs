//! TLS for an `https://` OTLP endpoint: the rustls configuration the OTel
//! variables describe (through `secure-http`, ring provider, system roots
//! unless a CA file is named), a gRPC channel that speaks HTTP/2 over it,
//! and the configuration handed to reqwest for OTLP/HTTP.
//!
//! tonic is built without its own TLS features: its `tls-ring` would only
//! take a CA and an identity (no shared configuration with the rest of the
//! workspace) and, once enabled anywhere in the build, makes every
//! custom-connector channel to an `https://` URI fail. The channel instead
//! connects through [`tokio_rustls`] with the same `ClientConfig` as every
//! other client of the workspace.

use std::{io, sync::Arc, time::Duration};

use http::Uri;
use hyper_util::rt::TokioIo;
use rustls::{ClientConfig, pki_types::ServerName};
use tokio::net::TcpStream;
use tokio_rustls::{TlsConnector, client::TlsStream};
use tonic::transport::{Channel, Endpoint};

use crate::destination::{Destination, EndpointError, OTLP_TLS_NAMES};

/// The rustls configuration of `destination` when its endpoint is
/// `https://` (offering `alpn`), `None` for `http://`; an error for any other
/// scheme or an unusable certificate or key file (named by its variable).
pub fn http_tls_config(
    destination: &Destination,
    alpn: &[&[u8]],
) -> Result<Option<ClientConfig>, EndpointError> {
    let invalid = |reason: String| EndpointError {
        endpoint: destination.endpoint.clone(),
        reason,
    };
    let uri: Uri = destination
        .endpoint
        .parse()
        .map_err(|e: http::uri::InvalidUri| invalid(e.to_string()))?;
    match uri.scheme_str() {
        Some("http") => Ok(None),
        Some("https") => destination
            .tls
            .client_config_named(alpn, &OTLP_TLS_NAMES)
            .map(Some)
            .map_err(|e| invalid(e.to_string())),
        _ => Err(invalid("expected an http:// or https:// URL".to_owned())),
    }
}

/// A lazily connecting gRPC channel to `destination` (HTTP/2 over TLS for
/// `https://`, offered as `h2` by ALPN), with its timeout as the connect
/// and request limit. Call inside a Tokio runtime.
pub fn grpc_channel(destination: &Destination) -> Result<Channel, EndpointError> {
    let invalid = |reason: String| EndpointError {
        endpoint: destination.endpoint.clone(),
        reason,
    };
    let tls = http_tls_config(destination, &[b"h2"])?;
    let endpoint = Endpoint::from_shared(destination.endpoint.clone())
        .map_err(|e| invalid(e.to_string()))?
        .connect_timeout(destination.timeout)
        .timeout(destination.timeout);
    Ok(match tls {
        None => endpoint.connect_lazy(),
        Some(config) => {
            let connector = TlsConnector::from(Arc::new(config));
            let timeout = destination.timeout;
            endpoint.connect_with_connector_lazy(tower::service_fn(move |uri: Uri| {
                connect(connector.clone(), uri, timeout)
            }))
        }
    })
}

/// TCP then the TLS handshake to the host and port of `uri` (443 by default).
async fn connect(
    connector: TlsConnector,
    uri: Uri,
    timeout: Duration,
) -> io::Result<TokioIo<TlsStream<TcpStream>>> {
    let host = uri
        .host()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no host in the endpoint"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri.port_u16().unwrap_or(443);
    let name = ServerName::try_from(host.clone())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let handshake = async {
        let tcp = TcpStream::connect((host.as_str(), port)).await?;
        tcp.set_nodelay(true)?;
        connector.connect(name, tcp).await
    };
    let tls = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS connect timed out"))??;
    Ok(TokioIo::new(tls))
}

//! A rustls [`ClientConfig`] from the TLS flags every tool shares.
//!
//! rustls with the `ring` provider: no OpenSSL to link, no aws-lc-rs (and its
//! C/CMake build) to compile. Trust comes from the system's store through
//! `rustls-native-certs` (so a CA an operator added to the machine or the
//! container image is trusted, which a compiled-in list such as
//! `webpki-roots` would ignore), or from `--ca-cert FILE` instead.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The TLS flags of a tool that connects to `https://` URLs.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct TlsArgs {
    /// PEM file of the CA certificates to trust for https:// URLs, instead of
    /// the system's roots.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// PEM client certificate (chain) for servers that ask for one (mutual TLS).
    #[arg(long, value_name = "FILE", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// PEM private key of --client-cert.
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// Accept any server certificate, for self-signed test setups only (warns):
    /// anyone on the path can then read and change the traffic.
    #[arg(long)]
    pub insecure_skip_verify: bool,
}

/// What the TLS settings are called where the user gave them (flags or
/// environment variables), so that an error names the one to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsNames {
    /// The CA file's name (`--ca-cert`).
    pub ca_cert: &'static str,
    /// The client certificate's name (`--client-cert`).
    pub client_cert: &'static str,
    /// The client key's name (`--client-key`).
    pub client_key: &'static str,
    /// The switch that turns verification off (`--insecure-skip-verify`).
    pub insecure_skip_verify: &'static str,
}

impl TlsNames {
    /// The flags of [`TlsArgs`] (the Jaeger query API's in the verifier and harness).
    pub const FLAGS: TlsNames = TlsNames {
        ca_cert: "--ca-cert",
        client_cert: "--client-cert",
        client_key: "--client-key",
        insecure_skip_verify: "--insecure-skip-verify",
    };
}

/// A TLS setting that cannot be used, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate or key file that cannot be read or holds nothing usable.
    #[error("{what} {}: {reason}", path.display())]
    File {
        /// Which setting named the file (`--ca-cert`, `OTEL_EXPORTER_OTLP_CERTIFICATE`, ...).
        what: &'static str,
        /// Its path.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// The system has no CA certificates and no CA file was given.
    #[error(
        "no CA certificates in the system's store ({reason}); install the ca-certificates \
         package or set {ca_cert} FILE"
    )]
    NoSystemRoots {
        /// Why none were found.
        reason: String,
        /// The setting that names a CA file instead.
        ca_cert: &'static str,
    },
    /// rustls refused the combination (e.g. a key that does not match the certificate).
    #[error("TLS configuration: {0}")]
    Config(String),
}

impl TlsArgs {
    /// The client configuration these flags ask for, offering `alpn` (e.g.
    /// `[b"h2", b"http/1.1"]`) to the server. Warns once per call when
    /// verification is off.
    pub fn client_config(&self, alpn: &[&[u8]]) -> Result<ClientConfig, TlsError> {
        self.client_config_named(alpn, &TlsNames::FLAGS)
    }

    /// Like [`TlsArgs::client_config`], for settings the user gave under
    /// other `names` (the loadgen's `--target-*` flags, the OTLP variables),
    /// which errors and the warning then use.
    pub fn client_config_named(
        &self,
        alpn: &[&[u8]],
        names: &TlsNames,
    ) -> Result<ClientConfig, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let builder = if self.insecure_skip_verify {
            tracing::warn!(
                "{}: server certificates are not checked; anyone on the path can read and \
                 change this traffic",
                names.insecure_skip_verify
            );
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(
                    provider.signature_verification_algorithms,
                )))
        } else {
            builder.with_root_certificates(self.roots(names)?)
        };
        let mut config = match (&self.client_cert, &self.client_key) {
            (Some(cert), Some(key)) => {
                let chain = read_certificates(names.client_cert, cert)?;
                let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::File {
                    what: names.client_key,
                    path: key.clone(),
                    reason: format!("no PEM private key ({e})"),
                })?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    TlsError::Config(format!("{}/{}: {e}", names.client_cert, names.client_key))
                })?
            }
            (None, None) => builder.with_no_client_auth(),
            _ => {
                return Err(TlsError::Config(format!(
                    "{} and {} go together",
                    names.client_cert, names.client_key
                )));
            }
        };
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(config)
    }

    fn roots(&self, names: &TlsNames) -> Result<RootCertStore, TlsError> {
        let mut roots = RootCertStore::empty();
        if let Some(path) = &self.ca_cert {
            for certificate in read_certificates(names.ca_cert, path)? {
                roots.add(certificate).map_err(|e| TlsError::File {
                    what: names.ca_cert,
                    path: path.clone(),
                    reason: format!("not a CA certificate rustls accepts: {e}"),
                })?;
            }
            return Ok(roots);
        }
        let found = rustls_native_certs::load_native_certs();
        for error in &found.errors {
            tracing::debug!("system CA store: {error}");
        }
        let (added, _ignored) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            let why = found
                .errors
                .first()
                .map_or_else(|| "none found".to_owned(), ToString::to_string);
            return Err(TlsError::NoSystemRoots {
                reason: why,
                ca_cert: names.ca_cert,
            });
        }
        Ok(roots)
    }
}

/// Every certificate of a PEM file; an error when there is none.
fn read_certificates(
    what: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let error = |reason: String| TlsError::File {
        what,
        path: path.to_owned(),
        reason,
    };
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| error(e.to_string()))?;
    if certificates.is_empty() {
        return Err(error("no PEM certificate in it".to_owned()));
    }
    Ok(certificates)
}

/// A hint for a transport error that comes from certificate verification,
/// which rustls words in its own terms (`invalid peer certificate:
/// UnknownIssuer`), naming the flags of [`TlsArgs`].
pub fn certificate_hint(error_text: &str) -> Option<String> {
    certificate_hint_named(error_text, &TlsNames::FLAGS)
}

/// Like [`certificate_hint`], naming the settings `names` (a setting that
/// cannot turn verification off, such as the OTLP variables', has an
/// empty `insecure_skip_verify`).
pub fn certificate_hint_named(error_text: &str, names: &TlsNames) -> Option<String> {
    if !error_text.contains("invalid peer certificate") {
        return None;
    }
    let ca = if names.ca_cert.starts_with("--") {
        format!("pass {} FILE", names.ca_cert)
    } else {
        format!("set {}=FILE", names.ca_cert)
    };
    let mut hint =
        format!("the server's certificate is not trusted: {ca} with the CA that signed it");
    if !names.insecure_skip_verify.is_empty() {
        hint.push_str(&format!(
            " (or {} for a throw-away test setup)",
            names.insecure_skip_verify
        ));
    }
    Some(hint)
}

/// The verifier of `--insecure-skip-verify`: any certificate for any name,
/// but handshake signatures still checked so the connection works.
struct AcceptAnyCertificate(WebPkiSupportedAlgorithms);

impl fmt::Debug for AcceptAnyCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AcceptAnyCertificate")
    }
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "ca.pem", "not a certificate\n");
        let args = TlsArgs {
            ca_cert: Some(path.clone()),
            ..TlsArgs::default()
        };
        let error = args.client_config(&[]).unwrap_err().to_string();
        assert!(error.starts_with("--ca-cert "), "{error}");
        assert!(error.contains(&path.display().to_string()), "{error}");
        assert!(error.contains("no PEM certificate"), "{error}");
    }

    #[test]
    fn a_missing_ca_file_is_refused_naming_it() {
        let args = TlsArgs {
            ca_cert: Some(PathBuf::from("/nonexistent/ca.pem")),
            ..TlsArgs::default()
        };
        let error = args.client_config(&[]).unwrap_err().to_string();
        assert!(error.contains("/nonexistent/ca.pem"), "{error}");
    }

    /// A self-signed `localhost` certificate and its key, serving as CA and client identity.
    fn self_signed() -> (rcgen::Certificate, rcgen::KeyPair) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert, key)
    }

    #[test]
    fn a_generated_ca_and_client_identity_configure_alpn() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed();
        let args = TlsArgs {
            ca_cert: Some(write(&dir, "ca.pem", &cert.pem())),
            client_cert: Some(write(&dir, "client.pem", &cert.pem())),
            client_key: Some(write(&dir, "client.key", &key.serialize_pem())),
            insecure_skip_verify: false,
        };
        let config = args.client_config(&[b"h2", b"http/1.1"]).unwrap();
        assert_eq!(
            config.alpn_protocols,
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        assert!(config.client_auth_cert_resolver.has_certs());
    }

    #[test]
    fn a_key_that_is_not_pem_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, _key) = self_signed();
        let args = TlsArgs {
            ca_cert: Some(write(&dir, "ca.pem", &cert.pem())),
            client_cert: Some(write(&dir, "client.pem", &cert.pem())),
            client_key: Some(write(&dir, "client.key", "secret garbage")),
            insecure_skip_verify: false,
        };
        let error = args.client_config(&[]).unwrap_err().to_string();
        assert!(error.starts_with("--client-key "), "{error}");
        assert!(!error.contains("secret garbage"), "{error}");
    }
}

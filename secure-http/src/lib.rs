//! What every HTTP client of the workspace needs to reach a real deployment
//! rather than a loopback port: TLS through rustls ([`TlsArgs`]) and request
//! headers that carry credentials ([`Header`], [`Headers`], basic auth from a
//! URL's user info), with every secret kept out of logs, reports and errors.

mod headers;
#[cfg(feature = "test-pki")]
pub mod test_pki;
mod tls;

pub use headers::{Header, HeaderError, Headers, parse_header, parse_header_list, split_user_info};
pub use tls::{TlsArgs, TlsError, TlsNames, certificate_hint, certificate_hint_named};

//! The verifier binary against Jaeger behind a TLS proxy that wants
//! credentials, with certificates made at test time: trust from --ca-cert or
//! the system's store, a wrong CA, --insecure-skip-verify, bearer headers
//! from --header and JAEGER_QUERY_HEADERS, basic auth from the URL, mutual
//! TLS; secrets never in the output.

mod common;

use std::process::Output;

use common::mock::{Api, MockJaeger};
use common::tls_proxy::TlsProxy;
use common::traces;
use secure_http::test_pki::TestPki;

const TOKEN: &str = "s3cret-token-42";

/// Runs the verifier with `env` set and the rest of the environment's
/// settings for it removed.
async fn verifier(url: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = common::cli_args(url, "300ms", &["--since", "10m", "--retries", "2"]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_verifier"))
            .args(&args)
            .env_remove("RUST_LOG")
            .env_remove("JAEGER_QUERY_URL")
            .env_remove("JAEGER_QUERY_HEADERS")
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR")
            .envs(env)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn both(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "{}", both(out));
}

/// The one reason line of an exit 2.
fn reason(out: &Output) -> String {
    assert_exit(out, 2);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("verifier: could not check: "))
        .collect();
    assert_eq!(lines.len(), 1, "one reason line: {err}");
    lines[0].to_owned()
}

async fn jaeger() -> MockJaeger {
    let t0 = traces::seconds_ago(60);
    MockJaeger::start(
        Api::Both,
        vec![traces::valid(1, t0), traces::fraud(2, t0 + 1_000_000)],
    )
    .await
}

async fn proxy(pki: &TestPki, jaeger: &MockJaeger, authorization: Option<String>) -> TlsProxy {
    TlsProxy::start(
        &jaeger.url,
        pki.server_config(&[b"h2", b"http/1.1"], false),
        authorization,
    )
    .await
}

#[tokio::test]
async fn a_ca_file_and_a_bearer_header_read_through_the_proxy_over_http2() {
    let (pki, jaeger) = (TestPki::new(), jaeger().await);
    let proxy = proxy(&pki, &jaeger, Some(format!("Bearer {TOKEN}"))).await;
    let ca = pki.ca_cert.to_str().unwrap();
    let header = format!("Authorization: Bearer {TOKEN}");
    let out = verifier(
        &proxy.url,
        &["--ca-cert", ca, "--header", &header, "-v"],
        &[],
    )
    .await;
    assert_exit(&out, 0);
    assert!(!both(&out).contains(TOKEN), "{}", both(&out));
    let protocols = proxy.protocols.lock().unwrap().clone();
    assert!(!protocols.is_empty());
    assert!(
        protocols.iter().all(|p| p.as_deref() == Some(&b"h2"[..])),
        "{protocols:?}"
    );
}

#[tokio::test]
async fn jaeger_query_headers_carry_the_token_too() {
    let (pki, jaeger) = (TestPki::new(), jaeger().await);
    let proxy = proxy(&pki, &jaeger, Some(format!("Bearer {TOKEN}"))).await;
    let ca = pki.ca_cert.to_str().unwrap();
    let list = format!("x-tenant=blue,authorization=Bearer%20{TOKEN}");
    let out = verifier(
        &proxy.url,
        &["--ca-cert", ca],
        &[("JAEGER_QUERY_HEADERS", &list)],
    )
    .await;
    assert_exit(&out, 0);
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_401_and_exit_2_naming_the_cause_without_the_token() {
    let (pki, jaeger) = (TestPki::new(), jaeger().await);
    let proxy = proxy(&pki, &jaeger, Some(format!("Bearer {TOKEN}"))).await;
    let ca = pki.ca_cert.to_str().unwrap();
    let out = verifier(&proxy.url, &["--ca-cert", ca], &[]).await;
    let line = reason(&out);
    assert!(line.contains("HTTP 401"), "{line}");
    assert!(line.contains("--header 'Authorization: Bearer"), "{line}");
    let wrong = "Authorization: Bearer wrong-s3cret-99";
    let out = verifier(&proxy.url, &["--ca-cert", ca, "--header", wrong, "-v"], &[]).await;
    assert!(reason(&out).contains("HTTP 401"));
    assert!(!both(&out).contains("wrong-s3cret-99"), "{}", both(&out));
}

#[tokio::test]
async fn basic_auth_from_the_url_user_info_never_printed() {
    let (pki, jaeger) = (TestPki::new(), jaeger().await);
    // base64("ci:pa ss@1")
    let proxy = proxy(&pki, &jaeger, Some("Basic Y2k6cGEgc3NAMQ==".to_owned())).await;
    let ca = pki.ca_cert.to_str().unwrap();
    let with = |password: &str| {
        proxy
            .url
            .replace("https://", &format!("https://ci:{password}@"))
    };
    let out = verifier(
        &with("pa%20ss%401"),
        &["--ca-cert", ca, "--format", "json"],
        &[],
    )
    .await;
    assert_exit(&out, 0);
    assert!(!both(&out).contains("pa%20ss"), "{}", both(&out));
    let out = verifier(&with("wr0ngpass"), &["--ca-cert", ca, "-v"], &[]).await;
    let line = reason(&out);
    assert!(
        line.contains("HTTP 401") && line.contains(&proxy.url),
        "{line}"
    );
    assert!(!both(&out).contains("wr0ngpass"), "{}", both(&out));
}

#[tokio::test]
async fn without_a_ca_file_the_system_store_decides() {
    let (pki, jaeger) = (TestPki::new(), jaeger().await);
    let proxy = proxy(&pki, &jaeger, None).await;
    // The system's store as rustls-native-certs reads it: SSL_CERT_FILE.
    let ca = pki.ca_cert.to_str().unwrap();
    let out = verifier(&proxy.url, &[], &[("SSL_CERT_FILE", ca)]).await;
    assert_exit(&out, 0);
    // The machine's own roots do not know the test CA.
    let out = verifier(&proxy.url, &[], &[]).await;
    let line = reason(&out);
    assert!(line.contains("pass --ca-cert FILE"), "{line}");
}

#[tokio::test]
async fn a_wrong_ca_fails_with_a_clear_message_and_insecure_skip_verify_warns() {
    let (pki, jaeger) = (TestPki::new(), jaeger().await);
    let proxy = proxy(&pki, &jaeger, None).await;
    let other = pki.other_ca_cert.to_str().unwrap();
    let out = verifier(&proxy.url, &["--ca-cert", other], &[]).await;
    let line = reason(&out);
    assert!(line.contains("invalid peer certificate"), "{line}");
    assert!(line.contains("not trusted: pass --ca-cert FILE"), "{line}");
    let out = verifier(&proxy.url, &["--insecure-skip-verify"], &[]).await;
    assert_exit(&out, 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--insecure-skip-verify: server certificates are not checked"),
        "{err}"
    );
}

#[tokio::test]
async fn mutual_tls_with_a_client_certificate() {
    let (pki, jaeger) = (TestPki::new(), jaeger().await);
    let config = pki.server_config(&[b"http/1.1"], true);
    let proxy = TlsProxy::start(&jaeger.url, config, None).await;
    let (ca, cert, key) = (
        pki.ca_cert.to_str().unwrap(),
        pki.client_cert.to_str().unwrap(),
        pki.client_key.to_str().unwrap(),
    );
    let out = verifier(
        &proxy.url,
        &["--ca-cert", ca, "--client-cert", cert, "--client-key", key],
        &[],
    )
    .await;
    assert_exit(&out, 0);
    let out = verifier(&proxy.url, &["--ca-cert", ca], &[]).await;
    assert!(reason(&out).contains(&proxy.url));
}

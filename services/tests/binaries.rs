//! The binaries' handling of bad configuration: a clear message and a
//! non-zero exit, never a panic or a half-started service; and their trace
//! context format from `OTEL_PROPAGATORS`, end to end with the loadgen and
//! the verifier.

#[cfg(unix)]
mod binary;

use std::process::{Command, Output};
use std::time::Duration;

const ORDER_API: &str = env!("CARGO_BIN_EXE_order-api");
const PAYMENT: &str = env!("CARGO_BIN_EXE_payment-service");

fn run(bin: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env_remove("FAULTS")
        .env_remove("OTEL_TRACES_SAMPLER")
        .env_remove("OTEL_TRACES_SAMPLER_ARG")
        .env_remove("OTEL_EXPORTER_OTLP_PROTOCOL")
        .env("RUST_LOG", "off");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_fails_with(out: &Output, needle: &str) {
    let text = stderr(out);
    assert!(!out.status.success(), "must fail: {text}");
    assert!(!text.contains("panicked"), "no panic: {text}");
    assert!(text.contains(needle), "{needle:?} in {text:?}");
}

#[test]
fn unknown_fault_is_rejected_from_flag_and_env_with_the_known_names() {
    for bin in [ORDER_API, PAYMENT] {
        let out = run(bin, &["--faults", "wrong-kind,drop-spans"], &[]);
        assert_fails_with(&out, "unknown fault \"drop-spans\"");
        assert_fails_with(&out, "child-outlives-parent");
        let out = run(bin, &[], &[("FAULTS", "bogus")]);
        assert_fails_with(&out, "unknown fault \"bogus\"");
    }
}

#[test]
fn bad_otel_environment_is_one_line_and_exit_1() {
    for (key, value) in [
        ("OTEL_TRACES_SAMPLER", "sometimes"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "udp"),
        ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
    ] {
        let out = run(ORDER_API, &["--listen", "127.0.0.1:0"], &[(key, value)]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{key}={value}: {}",
            stderr(&out)
        );
        let text = stderr(&out);
        assert_eq!(text.trim_end().lines().count(), 1, "one line: {text:?}");
        assert!(text.starts_with("order-api: error: "), "{text:?}");
        assert!(text.contains(key), "{text:?} names {key}");
    }
}

#[test]
fn bad_flags_are_rejected() {
    let cases: [(&str, &[&str], &str); 5] = [
        (ORDER_API, &["--payment-url", "not a url"], "--payment-url"),
        (
            ORDER_API,
            &["--payment-timeout", "soon"],
            "--payment-timeout",
        ),
        (PAYMENT, &["--body-limit", "12 parsecs"], "is not a size"),
        (PAYMENT, &["--listen", "localhost"], "--listen"),
        (
            ORDER_API,
            &["--sampler", "sometimes", "--listen", "127.0.0.1:0"],
            "--sampler",
        ),
    ];
    for (bin, args, needle) in cases {
        assert_fails_with(&run(bin, args, &[]), needle);
    }
}

#[test]
fn settings_that_break_the_contract_are_refused_at_start() {
    let cases: [(&str, &[&str], &str); 11] = [
        (PAYMENT, &["--fraud-threshold", "NaN"], "--fraud-threshold"),
        (
            PAYMENT,
            &["--fraud-threshold", "inf"],
            "not a finite amount",
        ),
        (PAYMENT, &["--fraud-threshold", "-5"], "--fraud-threshold"),
        (
            ORDER_API,
            &["--payment-timeout", "0s"],
            "a timeout must be above zero",
        ),
        (
            ORDER_API,
            &["--payment-timeout", "0ms"],
            "--payment-timeout",
        ),
        (
            ORDER_API,
            &["--payment-url", "ftp://127.0.0.1:8001"],
            "the scheme must be http or https, not ftp",
        ),
        (
            ORDER_API,
            &["--payment-url", "https://127.0.0.1:8001"],
            "https is not supported",
        ),
        (
            ORDER_API,
            &["--payment-url", "unix:/tmp/pay.sock"],
            "--payment-url",
        ),
        (ORDER_API, &["--payment-url", "http://"], "--payment-url"),
        (
            ORDER_API,
            &["--payment-url", "http://127.0.0.1:0"],
            "port 0 is not a port to connect to",
        ),
        // The URL parser's reason is a source, not in the message: the
        // line carries it all the same.
        (
            ORDER_API,
            &["--payment-url", "http://127.0.0.1:99999"],
            "for '--payment-url <URL>': \"http://127.0.0.1:99999\" is not a URL: invalid port number",
        ),
    ];
    for (bin, args, needle) in cases {
        let text = refused_at_start(bin, args, &[]);
        assert!(text.contains(needle), "{needle:?} in {text:?}");
        assert_eq!(text.trim_end().lines().count(), 1, "one line: {text:?}");
    }
    // The environment variable is checked the same way.
    let text = refused_at_start(ORDER_API, &[], &[("PAYMENT_URL", "ftp://pay")]);
    assert!(
        text.contains("the scheme must be http or https, not ftp"),
        "{text}"
    );
}

/// Starts `bin` on a free port and returns its stderr once it exits
/// non-zero. A service that starts instead (it logs `serving`) is stopped
/// and the test fails: the setting was accepted.
fn refused_at_start(bin: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(bin)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .envs(env.iter().copied())
        .env_remove("FAULTS")
        .env("OTEL_TRACES_EXPORTER", "none")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut text = String::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.contains("serving") {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{bin} {args:?} started: {text}{line}");
        }
        text.push_str(&line);
        text.push('\n');
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "{bin} {args:?} must fail: {text}");
    assert!(!text.contains("panicked"), "no panic: {text}");
    text
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(
        PAYMENT,
        &["--listen", &addr],
        &[("OTEL_TRACES_EXPORTER", "none")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_fails_with(&out, &format!("cannot listen on {addr}"));
}

#[test]
fn help_documents_the_flags() {
    let out = run(ORDER_API, &["--help"], &[]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--payment-url",
        "--payment-timeout",
        "--body-limit",
        "--faults",
        "--otlp-endpoint",
        "--otlp-protocol",
        "--sampler",
        "--sampler-arg",
    ] {
        assert!(help.contains(flag), "{flag} in --help");
    }
}

/// The real binaries under `OTEL_PROPAGATORS=b3multi`, exporting to an
/// in-process tracestore: load with B3 multi-header context gives whole
/// traces that hold the contract, load with W3C `traceparent` or Jaeger's
/// `uber-trace-id` (which they no longer read) breaks every trace, and the
/// verifier fails on `span-tree`.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_otel_propagators_b3multi_b3multi_load_gives_whole_traces_and_w3c_or_jaeger_load_breaks_them()
 {
    use loadgen::{LoadConfig, Propagator, RootSpans, SamplerChoice, Target};
    use telemetry::{OtelConfig, SamplerConfig};
    use verifier::{Manifest, Rule, VerifyConfig};

    let store = tracestore::TraceStore::start(tracestore::TraceStoreConfig::ephemeral())
        .await
        .unwrap();
    let otlp = store.otlp_grpc_endpoint();
    let env = [
        ("OTEL_PROPAGATORS", "b3multi,baggage"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let mut payment = binary::Service::spawn(PAYMENT, &[], &env);
    let payment_url = format!("http://{}", payment.addr);
    let mut order = binary::Service::spawn(ORDER_API, &["--payment-url", &payment_url], &env);

    // A seed per run: one store holds them all, and a trace id must not
    // come back.
    for (seed, propagator, whole) in [
        (21, Propagator::B3Multi, true),
        (22, Propagator::TraceContext, false),
        (23, Propagator::Jaeger, false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("run.jsonl");
        let target = Target::parse(&format!("http://{}", order.addr)).unwrap();
        let mut load = LoadConfig::new(target, 300.0);
        load.requests = Some(120);
        load.duration = None;
        load.mix = Some("valid=5,invalid=2,fraud=2,health=1".parse().unwrap());
        load.propagator = propagator;
        load.sampler = SamplerChoice::Ratio(0.5);
        load.seed = seed;
        load.connections = 4;
        load.manifest = Some(manifest.clone());
        load.root_spans = RootSpans::otlp(
            OtelConfig::new("loadgen", SamplerConfig::AlwaysOn).with_endpoint(otlp.clone()),
        );
        let report = loadgen::run(load, std::future::pending()).await.unwrap();
        assert_eq!(report.overall.ok, 120, "{propagator:?}: {report}");

        let mut verify = VerifyConfig::new(store.query_url());
        verify.manifest = Some(Manifest::from_paths(&[&manifest]).unwrap());
        verify.sampling_ratio = Some(0.5);
        // Whole traces end the settle at the first complete read; broken
        // ones wait it out, and need only a quiet store at its end.
        (verify.settle, verify.quiet_period) = if whole {
            (Duration::from_secs(4), Duration::from_secs(1))
        } else {
            (Duration::from_millis(1500), Duration::from_millis(500))
        };
        verify.poll_interval = Duration::from_millis(200);
        let verdict = verifier::verify(&verify).await.unwrap();
        let text = verifier::render(&verdict, verifier::Format::Text, Default::default());
        let sampled = verdict.sampling.as_ref().expect("a sampling test").sampled;
        assert!(sampled > 20, "{propagator:?}: {text}");
        if whole {
            assert!(verdict.passed(), "{propagator:?}: {text}");
            assert_eq!(verdict.summary.checked, sampled, "{text}");
            assert_eq!(verdict.summary.passed, sampled, "{text}");
            assert_eq!(verdict.summary.unsampled_stored, 0, "{text}");
        } else {
            assert!(!verdict.passed(), "{propagator:?} must fail: {text}");
            assert_eq!(verdict.summary.passed, 0, "{propagator:?}: {text}");
            let broken: std::collections::HashSet<_> = verdict
                .failures_of(Rule::SpanTree)
                .filter_map(|f| f.trace_id)
                .collect();
            assert_eq!(broken.len() as u64, sampled, "{propagator:?}: {text}");
        }
    }

    order.sigterm();
    payment.sigterm();
    assert!(order.wait().await.success());
    assert!(payment.wait().await.success());
    store.shutdown().await;
}

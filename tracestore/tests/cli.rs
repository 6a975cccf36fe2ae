//! The `tracestore` binary: flags, a port in use, graceful SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tracestore");

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN).args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_flags_give_one_line_and_exit_2() {
    for args in [
        &["--max-spans", "lots"][..],
        &["--query-addr", "localhost"][..],
        &["--max-bytes", "12 parsecs"][..],
        &["--max-clock-skew-adjust", "soon"][..],
        &["--no-such-flag"][..],
        &["--log-level", "[[["][..],
    ] {
        let (code, stderr) = run(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("tracestore: "), "{args:?}: {stderr}");
    }
    let (code, _) = run(&["--help"]);
    assert_eq!(code, 0);
}

/// A refused value whose parser keeps the reason as the error's source
/// (not in its message) still shows the reason on the line.
#[test]
fn a_refused_log_filter_says_why() {
    let (code, stderr) = run(&["--log-level", "[[["]);
    assert_eq!(code, 2, "{stderr}");
    let (message, reason) = stderr
        .trim_end()
        .split_once("not a log level or filter: ")
        .unwrap_or_else(|| panic!("the parser's reason follows: {stderr}"));
    assert!(
        message.starts_with("tracestore: invalid value '[[[' for '--log-level <LEVEL>': "),
        "{stderr}"
    );
    assert!(!reason.is_empty(), "{stderr}");
}

#[test]
fn a_port_in_use_is_one_line_and_exit_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, stderr) = run(&[
        "--otlp-grpc-addr",
        &addr,
        "--otlp-http-addr",
        "127.0.0.1:0",
        "--query-addr",
        "127.0.0.1:0",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let line = stderr.lines().last().unwrap_or_default();
    assert!(
        line.starts_with(&format!(
            "tracestore: cannot listen for OTLP/gRPC on {addr}: "
        )),
        "{stderr}"
    );
}

/// Reads stderr until the "listening" line and returns the query address.
fn query_addr(child: &mut Child) -> String {
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(rest) = line.split("query=").nth(1) {
            let addr = rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
            // Keep draining stderr so the child never blocks on it.
            std::thread::spawn(move || for _ in lines {});
            return addr;
        }
    }
    panic!("tracestore did not report its listeners");
}

#[test]
fn sigterm_stops_it_gracefully() {
    let mut child = Command::new(BIN)
        .args([
            "--otlp-grpc-addr",
            "127.0.0.1:0",
            "--otlp-http-addr",
            "127.0.0.1:0",
            "--query-addr",
            "127.0.0.1:0",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let addr = query_addr(&mut child);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stats = rt.block_on(async {
        reqwest::get(format!("http://{addr}/tracestore/stats"))
            .await
            .expect("stats")
            .text()
            .await
            .expect("body")
    });
    assert!(stats.contains("\"spans\":0"), "{stats}");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert_eq!(status.code(), Some(0));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "tracestore did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

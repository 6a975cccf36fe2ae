//! The `verifier` binary: exit codes (0 pass, 1 fail, 2 could not check with a
//! one-line reason), formats, output files, specs and manifests.

mod common;

use std::process::Output;

use common::mock::{Api, Fault, MockJaeger};
use common::scripted::{Script, Scripted};
use common::traces::{self, TTrace};

const BASE: u128 = 0x5eed_0000_0000_0000_0000_0000_0000_0000;

fn t0(n: u64) -> u64 {
    traces::seconds_ago(90) + n * 3_000_000
}

async fn verifier(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_verifier"))
            .args(&args)
            .env_remove("RUST_LOG")
            .env_remove("JAEGER_QUERY_URL")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn args(url: &str, extra: &[&str]) -> Vec<String> {
    let mut all = common::cli_args(url, "500ms", &["--since", "10m", "--retries", "2"]);
    all.extend(extra.iter().map(|s| s.to_string()));
    all
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The exit code, with both outputs shown when it is not the one expected.
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(out),
        stderr(out)
    );
}

fn assert_could_not_check(out: &Output, needle: &str) {
    assert_exit(out, 2);
    let err = stderr(out);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("verifier: could not check: "))
        .collect();
    assert_eq!(lines.len(), 1, "one reason line: {err}");
    assert!(lines[0].contains(needle), "{needle:?} not in {err}");
}

fn broken() -> TTrace {
    let mut trace = traces::valid(BASE + 2, t0(2));
    trace.span("save_order").parent = Some(0x0bad);
    trace
}

#[tokio::test]
async fn passing_traces_exit_0() {
    let mock = MockJaeger::start(
        Api::Both,
        vec![
            traces::valid(BASE + 1, t0(1)),
            traces::fraud(BASE + 3, t0(3)),
        ],
    )
    .await;
    let out = verifier(args(&mock.url, &[])).await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out).starts_with("verifier: PASS: 2 traces checked, 2 passed"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn failing_traces_exit_1_with_the_rule_link_and_tree() {
    let mock = MockJaeger::start(Api::V1, vec![traces::valid(BASE + 1, t0(1)), broken()]).await;
    let out = verifier(args(&mock.url, &[])).await;
    assert_exit(&out, 1);
    let text = stdout(&out);
    let id = format!("{:032x}", BASE + 2);
    assert!(
        text.contains(&format!("FAIL trace {id} (valid)  {}/trace/{id}", mock.url)),
        "{text}"
    );
    assert!(
        text.contains(
            "[orphan] order-api INTERNAL save_order: parent 0000000000000bad is not in the trace"
        ),
        "{text}"
    );
    assert!(text.contains("  > order-api INTERNAL save_order"), "{text}");
    assert!(
        text.contains("        order-api INTERNAL validate_order"),
        "tree indented: {text}"
    );
}

#[tokio::test]
async fn json_and_junit_reports() {
    let mock = MockJaeger::start(Api::V3, vec![traces::valid(BASE + 1, t0(1)), broken()]).await;
    let out = verifier(args(&mock.url, &["--format", "json"])).await;
    assert_exit(&out, 1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["passed"], false);
    assert_eq!(json["failures"][0]["rule"], "orphan");
    assert_eq!(
        json["failures"][0]["trace_id"],
        format!("{:032x}", BASE + 2)
    );
    assert_eq!(json["summary"]["scenarios"]["valid"]["failed"], 1);
    assert_eq!(json["traces"][0]["tree"].as_array().unwrap().len(), 8);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xml");
    let out = verifier(args(
        &mock.url,
        &["--format", "junit", "--output", path.to_str().unwrap()],
    ))
    .await;
    assert_exit(&out, 1);
    assert!(
        stdout(&out).starts_with("verifier: FAIL"),
        "the text summary still goes to stdout"
    );
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<testsuite name="valid" tests="15" failures="1">"#),
        "{xml}"
    );
    // One test case per threshold of the spec; only the pass rate is breached.
    assert!(
        xml.contains(r#"<testsuite name="thresholds" tests="3" failures="1">"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<failure type="threshold" message="breached: rate(passed) = 1: observed 0.5000 over 2 samples">"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<testcase classname="verifier.valid" name="orphan">"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<testcase classname="verifier.valid" name="span-tree"/>"#),
        "{xml}"
    );
    assert!(xml.contains(r#"<failure type="orphan""#), "{xml}");
}

#[tokio::test]
async fn unreachable_jaeger_exits_2() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let out = verifier(args(&url, &[])).await;
    assert_could_not_check(&out, "cannot reach Jaeger");
    assert!(stdout(&out).is_empty());
    // The retry is logged; stderr is a pipe here, so without colour codes.
    let err = stderr(&out);
    assert!(
        err.lines()
            .any(|l| l.contains("WARN") && l.contains("retrying")),
        "{err}"
    );
    assert!(
        !err.contains('\x1b'),
        "no ANSI codes off a terminal: {err:?}"
    );
}

/// clap's errors are one line with the tool's prefix, exit 2; a negative
/// value is refused as a value of its flag, not taken for an unknown flag.
#[tokio::test]
async fn usage_errors_are_one_line_naming_the_flag() {
    for (bad, expected) in [
        (
            &["--since", "garbage"][..],
            "verifier: invalid value 'garbage' for '--since <SINCE>': ",
        ),
        (
            &["--api", "v4"],
            "verifier: invalid value 'v4' for '--api <API>' [possible values: auto, v3, v1]\n",
        ),
        (
            &["--start", "2026-01-02T15:04:05Z"],
            "verifier: the following required arguments were not provided: --end <END>\n",
        ),
        (
            &["--settle", "-1s"],
            "verifier: invalid value '-1s' for '--settle <SETTLE>': a duration cannot be negative\n",
        ),
        (
            &["--retries", "-3"],
            "verifier: invalid value '-3' for '--retries <RETRIES>': ",
        ),
    ] {
        let out = verifier(bad.iter().map(|a| a.to_string()).collect()).await;
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(err.starts_with(expected), "{bad:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{bad:?}: {err}");
        assert!(stdout(&out).is_empty());
    }
}

#[tokio::test]
async fn misbehaving_jaeger_exits_2() {
    for (fault, needle) in [
        (Fault::Status(500), "answered HTTP 500: storage is on fire"),
        (Fault::Status(502), "answered HTTP 502"),
        (Fault::NotJson, "did not answer with Jaeger JSON"),
        (Fault::WrongJson, "did not answer with Jaeger JSON"),
    ] {
        let mock = MockJaeger::start(Api::Both, vec![traces::valid(BASE + 1, t0(1))]).await;
        mock.set_fault(fault);
        assert_could_not_check(&verifier(args(&mock.url, &[])).await, needle);
    }
}

#[tokio::test]
async fn an_answer_over_max_response_size_exits_2_naming_the_limit() {
    let backend = Scripted::start(Script::Chunked { total: 64 << 20 }).await;
    let out = verifier(args(&backend.url, &["--max-response-size", "2MiB"])).await;
    assert_could_not_check(
        &out,
        "answered more than 2.0 MiB, the size limit (--max-response-size)",
    );
    backend.served(1).await;
    assert_eq!(backend.connections(), 1, "not retried");
    assert!(
        backend.sent() < 32 << 20,
        "{} bytes went out",
        backend.sent()
    );
    let out = verifier(args(&backend.url, &["--max-response-size", "lots"])).await;
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("--max-response-size"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_hung_jaeger_exits_2_at_the_read_deadline() {
    let backend = Scripted::start(Script::Silent).await;
    let flags = [
        "--jaeger",
        &backend.url,
        "--since",
        "10m",
        "--request-timeout",
        "100ms",
        "--read-deadline",
        "500ms",
        "--retries",
        "1000",
    ];
    let out = verifier(flags.into_iter().map(String::from).collect()).await;
    assert_could_not_check(
        &out,
        "gave no complete answer within 500ms, the read deadline (--read-deadline)",
    );
    assert!(backend.connections() >= 2, "retried within the deadline");
    backend.release();
}

#[tokio::test]
async fn malformed_spec_exits_2_naming_the_line() {
    let mock = MockJaeger::start(Api::Both, vec![traces::valid(BASE + 1, t0(1))]).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "name = \"x\"\nservices = [\"a\"]\n\n[[scenario]]\nname = \"s\"\n[[scenario.span]]\nid = \"r\"\nservice = \"a\"\nkind = \"clinet\"\nname = \"GET /\"\n").unwrap();
    let out = verifier(args(&mock.url, &["--spec", path.to_str().unwrap()])).await;
    assert_could_not_check(
        &out,
        &format!("spec {}, line 9: unknown variant `clinet`", path.display()),
    );
    let out = verifier(args(&mock.url, &["--spec", "/nonexistent/spec.toml"])).await;
    assert_could_not_check(&out, "cannot read");
    assert_eq!(mock.counters().0, 0, "a bad spec stops before any request");
}

#[tokio::test]
async fn bad_flags_and_manifests_exit_2() {
    let out = verifier(vec!["--since".into(), "soon".into()]).await;
    assert_exit(&out, 2);
    let out = verifier(vec!["--format".into(), "yaml".into()]).await;
    assert_exit(&out, 2);
    let mock = MockJaeger::start(Api::Both, vec![traces::valid(BASE + 1, t0(1))]).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.jsonl");
    std::fs::write(&path, "{\"seq\":0}\n").unwrap();
    assert_could_not_check(
        &verifier(args(&mock.url, &["--manifest", path.to_str().unwrap()])).await,
        "line 1",
    );
    assert_could_not_check(
        &verifier(args(&mock.url, &["--sampling-ratio", "0.5"])).await,
        "needs a manifest",
    );
    let no_pause = [
        "--jaeger",
        &mock.url,
        "--since",
        "10m",
        "--poll-interval",
        "0s",
    ];
    assert_could_not_check(
        &verifier(no_pause.iter().map(|a| a.to_string()).collect()).await,
        "poll interval must be above zero",
    );
    // A URL without its scheme, or with a port out of range, is named at
    // once, not retried as unreachable.
    let bare = mock.url.trim_start_matches("http://").to_owned();
    for (url, why) in [
        (bare.clone(), "is not a URL"),
        (
            bare.replace("127.0.0.1", "localhost"),
            "scheme must be http",
        ),
        ("http://127.0.0.1:99999".to_owned(), "invalid port number"),
    ] {
        assert_could_not_check(&verifier(args(&url, &[])).await, why);
    }
    // https to a plain-HTTP server: the TLS handshake fails, named as such.
    let https = mock.url.replace("http://", "https://");
    assert_could_not_check(
        &verifier(args(&https, &[])).await,
        "cannot reach Jaeger at https://",
    );
    assert_eq!(mock.counters().0, 0, "no request was made");
}

#[tokio::test]
async fn a_contradictory_manifest_exits_2_naming_the_file_and_line() {
    let mock = MockJaeger::start(Api::Both, vec![traces::valid(BASE + 1, t0(1))]).await;
    let dir = tempfile::tempdir().unwrap();
    let line = |trace_id: &str, scenario: &str| {
        format!(
            r#"{{"seq":0,"trace_id":"{trace_id}","span_id":"00f067aa0ba902b7","sampled":true,"root_span":true,"scenario":"{scenario}","intended_start_us":{},"latency_us":1000,"status":201}}"#,
            t0(1) / 1000
        )
    };
    let good = line(&format!("{:032x}", BASE + 1), "valid");
    let other = format!("{:032x}", BASE + 9);
    for (name, text, needle) in [
        (
            "short.jsonl",
            format!("{good}\n{}\n", line("abc", "valid")),
            "short.jsonl, line 2: trace_id `abc` is not 32 hex digits",
        ),
        (
            "zero.jsonl",
            format!("{}\n", line(&"0".repeat(32), "valid")),
            "zero.jsonl, line 1: trace_id `00000000000000000000000000000000` is all zeros",
        ),
        (
            "unknown.jsonl",
            format!("{good}\n\n{}\n", line(&other, "refund")),
            "unknown.jsonl, line 3: scenario `refund` is not one of spec `order-payment`'s (health, invalid, fraud, valid)",
        ),
        (
            "twice.jsonl",
            format!("{good}\n{}\n", line(&format!("{:032x}", BASE + 1), "fraud")),
            "twice.jsonl, line 2: trace_id 5eed0000000000000000000000000001 is listed as scenario `fraud`, but",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = verifier(args(&mock.url, &["--manifest", path.to_str().unwrap()])).await;
        assert_could_not_check(&out, needle);
    }
    // The same trace id in two shards under different scenarios names both places.
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    std::fs::write(&a, format!("{good}\n")).unwrap();
    std::fs::write(
        &b,
        format!("{}\n", line(&format!("{:032x}", BASE + 1), "health")),
    )
    .unwrap();
    let out = verifier(args(
        &mock.url,
        &[
            "--manifest",
            a.to_str().unwrap(),
            "--manifest",
            b.to_str().unwrap(),
        ],
    ))
    .await;
    assert_could_not_check(
        &out,
        &format!(
            "b.jsonl, line 1: trace_id {:032x} is listed as scenario `health`, but {} line 1 lists it as `valid`",
            BASE + 1,
            a.display()
        ),
    );
    assert_eq!(mock.counters().0, 0, "refused before reading Jaeger");
}

#[tokio::test]
async fn manifest_and_sampling_ratio_from_the_command_line() {
    let stored = traces::valid(BASE + 1, t0(1));
    let start_us = stored.spans[0].start_ns / 1000;
    let line = |seq: u64, id: u128, sampled: bool| {
        format!(
            r#"{{"seq":{seq},"trace_id":"{id:032x}","span_id":"{:016x}","sampled":{sampled},"root_span":{sampled},"scenario":"valid","intended_start_us":{start_us},"actual_start_us":{start_us},"latency_us":2000,"status":201,"expected_status":201,"outcome":"ok"}}"#,
            stored.spans[0].span_id
        )
    };
    let text = [
        line(0, stored.trace_id, true),
        line(1, BASE + 9, false),
        line(2, BASE + 10, false),
        line(3, BASE + 11, false),
    ]
    .join("\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.jsonl");
    std::fs::write(&path, text).unwrap();
    let mock = MockJaeger::start(Api::V3, vec![stored]).await;
    let manifest = path.to_str().unwrap();
    let base = [
        "--jaeger",
        &mock.url,
        "--manifest",
        manifest,
        "--settle",
        "300ms",
        "--poll-interval",
        "50ms",
    ];
    let run = |extra: &[&str]| verifier(base.iter().chain(extra).map(|s| s.to_string()).collect());
    let out = run(&["--sampling-ratio", "0.25"]).await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("sampling: 1 of 4 requests sampled (25.00%), expected 25.00%"),
        "{}",
        stdout(&out)
    );
    let out = run(&["--sampling-ratio", "0.0"]).await;
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("[sampling-ratio]"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn a_spec_for_another_system() {
    // A two-service web app: a browser CLIENT span over a web SERVER span.
    let mut trace = traces::health(BASE + 20, t0(20)).rooted_at_server();
    trace.spans[0].service = "web".into();
    trace.spans[0].name = "GET /".into();
    let spec = r#"
name = "web"
services = ["web"]
[[span_rule]]
kind = "server"
attributes = { "http.response.status_code" = "int" }
[[scenario]]
name = "home"
[[scenario.when]]
span = "GET /"
[[scenario.span]]
id = "page"
service = "web"
kind = "server"
name = "GET /"
http_status = 200
"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("web.toml");
    std::fs::write(&path, spec).unwrap();
    let mock = MockJaeger::start(Api::V3, vec![trace]).await;
    let out = verifier(args(
        &mock.url,
        &["--spec", path.to_str().unwrap(), "--service", "web"],
    ))
    .await;
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("home"), "{}", stdout(&out));
    // The order/payment contract does not know this trace.
    let out = verifier(args(&mock.url, &["--service", "web"])).await;
    assert_exit(&out, 1);
    assert!(stdout(&out).contains("[classification]"));
}

#[tokio::test]
async fn a_closed_stdout_exits_2_without_a_panic() {
    let mock = MockJaeger::start(Api::V3, vec![traces::valid(BASE + 1, t0(1))]).await;
    let args = args(&mock.url, &[]);
    let out = tokio::task::spawn_blocking(move || {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_verifier"))
            .args(&args)
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Nobody reads the report: writing it fails with a broken pipe.
        drop(child.stdout.take());
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert_could_not_check(&out, "cannot write the report: stdout");
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

#[tokio::test]
async fn print_spec_prints_the_built_in_contract() {
    let out = verifier(vec!["--print-spec".into()]).await;
    assert_exit(&out, 0);
    let printed = stdout(&out);
    assert_eq!(
        verifier::spec::Spec::from_toml(&printed, "printed").unwrap(),
        verifier::spec::Spec::contract()
    );
}

/// `--output` is checked before Jaeger is read: a missing directory, a
/// directory, and the run's own `--manifest` or `--spec` (however spelled)
/// are exit 2 naming the flag, no request made, the input intact.
#[tokio::test]
async fn output_paths_are_refused_before_jaeger_is_read() {
    let mock = MockJaeger::start(Api::Both, vec![traces::valid(BASE + 1, t0(1))]).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let manifest = dir.path().join("run.jsonl");
    std::fs::write(&manifest, "").unwrap();
    let spec = dir.path().join("spec.toml");
    let printed = verifier(vec!["--print-spec".into()]).await;
    std::fs::write(&spec, &printed.stdout).unwrap();
    let m = manifest.display().to_string();
    let s = spec.display().to_string();
    for (extra, expected) in [
        (
            vec!["--output", "/nonexistent/v.json"],
            "--output /nonexistent/v.json: the directory /nonexistent does not exist".to_owned(),
        ),
        (
            vec!["--output", &d],
            format!("--output {d}: is a directory"),
        ),
        (
            vec!["--manifest", &m, "--output", &format!("{d}/./run.jsonl")],
            format!("--output {d}/./run.jsonl is the input of --manifest {m}"),
        ),
        (
            vec!["--spec", &s, "--output", &s],
            format!("--output {s} is the input of --spec {s}"),
        ),
    ] {
        let out = verifier(args(&mock.url, &extra)).await;
        assert_could_not_check(&out, &expected);
    }
    assert_eq!(mock.counters().0, 0, "no request was made");
    assert_eq!(std::fs::read(&spec).unwrap(), printed.stdout);
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), "");
}

//! Evidence a person can look at: the slowest traces with their critical
//! path and dominant span, `--explain`, and the Markdown job summary
//! (golden file, and appended to `$GITHUB_STEP_SUMMARY`).

mod common;

use std::process::Output;
use std::time::{Duration, UNIX_EPOCH};

use common::mock::{Api, MockJaeger};
use common::traces::{self, TTrace};
use verifier::{Manifest, TimeWindow, Verdict, verify};

const BASE: u128 = 0xe71d_0000_0000_0000_0000_0000_0000_0000;

/// A fixed start, so the golden file does not change with the clock.
const T0: u64 = 1_764_000_000_000_000_000;

/// The trace with every span's offset from the trace's start times `factor`
/// (a slower copy of the same request).
fn slowed(mut trace: TTrace, factor: u64) -> TTrace {
    let t0 = trace.spans.iter().map(|s| s.start_ns).min().unwrap();
    for span in &mut trace.spans {
        span.start_ns = t0 + (span.start_ns - t0) * factor;
        span.end_ns = t0 + (span.end_ns - t0) * factor;
    }
    trace
}

fn fixed_window(config: &mut verifier::VerifyConfig) {
    config.window = Some(TimeWindow::Between {
        start: UNIX_EPOCH + Duration::from_nanos(T0 - 60_000_000_000),
        end: UNIX_EPOCH + Duration::from_nanos(T0 + 60_000_000_000),
    });
}

#[tokio::test]
async fn the_slowest_traces_are_the_slowest_and_name_their_dominant_span() {
    // Eight valid requests, slowed by these factors, in an order that is not sorted.
    let factors = [3, 7, 1, 8, 2, 6, 4, 5];
    let all: Vec<TTrace> = factors
        .iter()
        .enumerate()
        .map(|(i, &f)| {
            slowed(
                traces::valid(BASE + i as u128, T0 + i as u64 * 50_000_000),
                f,
            )
        })
        .collect();
    let mock = MockJaeger::start(Api::V3, all.clone()).await;
    let mut config = common::config(&mock.url);
    fixed_window(&mut config);
    config.slowest = 3;
    let verdict = verify(&config).await.unwrap();
    assert!(verdict.passed());
    let latencies: Vec<u64> = verdict.slowest.iter().map(|s| s.latency_us).collect();
    // A valid trace lasts 2000 µs unslowed.
    assert_eq!(latencies, vec![16_000, 14_000, 12_000]);
    let ids: Vec<String> = verdict
        .slowest
        .iter()
        .map(|s| s.trace.trace_id.to_string())
        .collect();
    assert_eq!(
        ids,
        [3, 1, 5].map(|i| all[i].trace_id_hex()).to_vec(),
        "factors 8, 7 and 6"
    );
    let slowest = &verdict.slowest[0];
    let dominant = slowest.trace.dominant.as_ref().unwrap();
    // charge_payment runs 650 µs of the 2000 on the path (x8), more than any other span.
    assert_eq!(
        (dominant.service.as_str(), dominant.name.as_str()),
        ("payment-service", "charge_payment")
    );
    assert_eq!(dominant.critical_us, 5_200);
    assert_eq!(slowest.trace.duration_us, 16_000);
    let on_path: u64 = slowest
        .trace
        .critical_path
        .iter()
        .map(|s| s.duration_us)
        .sum();
    assert_eq!(on_path, 16_000, "the path covers the root end to end");
    assert!(
        slowest
            .trace
            .tree
            .iter()
            .all(|l| l.self_us <= l.duration_us)
    );
}

#[tokio::test]
async fn with_a_manifest_the_loadgens_latency_ranks_the_traces() {
    // Equal traces; the manifest says the second request waited longest.
    let all: Vec<TTrace> = (0..3)
        .map(|i| traces::valid(BASE + 0x100 + i as u128, T0 + i as u64 * 50_000_000))
        .collect();
    let lines: Vec<String> = all
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let start_us = t.spans[0].start_ns / 1000;
            let latency_us = [2_500, 9_000, 4_000][i];
            serde_json::json!({
                "seq": i, "trace_id": t.trace_id_hex(), "span_id": format!("{:016x}", t.spans[0].span_id),
                "sampled": true, "root_span": true, "scenario": "valid",
                "intended_start_us": start_us, "actual_start_us": start_us,
                "latency_us": latency_us, "status": 201, "expected_status": 201, "outcome": "ok"
            })
            .to_string()
        })
        .collect();
    let mock = MockJaeger::start(Api::V3, all.clone()).await;
    let mut config = common::config(&mock.url);
    config.window = None;
    config.manifest = Some(Manifest::parse(&lines.join("\n"), "manifest").unwrap());
    config.slowest = 2;
    let verdict = verify(&config).await.unwrap();
    let ranked: Vec<(u64, String, Option<u16>)> = verdict
        .slowest
        .iter()
        .map(|s| (s.latency_us, s.trace.trace_id.to_string(), s.status))
        .collect();
    assert_eq!(
        ranked,
        vec![
            (9_000, all[1].trace_id_hex(), Some(201)),
            (4_000, all[2].trace_id_hex(), Some(201))
        ]
    );
}

/// The traces of the golden summary: two valid ones (one slow), a fraud
/// order, and two traces breaking `orphan`.
fn golden_traces() -> Vec<TTrace> {
    let mut orphans: Vec<TTrace> = (0..2)
        .map(|i| traces::valid(BASE + 0x200 + i, T0 + (10 + i as u64) * 50_000_000))
        .collect();
    for trace in &mut orphans {
        trace.span("save_order").parent = Some(0x0bad);
    }
    let mut all = vec![
        traces::valid(BASE + 0x201 + 10, T0),
        slowed(traces::valid(BASE + 0x202 + 10, T0 + 50_000_000), 3),
        traces::fraud(BASE + 0x203 + 10, T0 + 100_000_000),
    ];
    all.extend(orphans);
    all
}

fn markdown_of(verdict: &Verdict, url: &str) -> String {
    verifier::render(verdict, verifier::Format::Markdown, Default::default())
        .replace(url, "http://jaeger.example:16686")
}

#[tokio::test]
async fn the_markdown_summary_matches_the_golden_file() {
    let mock = MockJaeger::start(Api::V3, golden_traces()).await;
    let mut config = common::config(&mock.url);
    fixed_window(&mut config);
    config.slowest = 2;
    let verdict = verify(&config).await.unwrap();
    let markdown = markdown_of(&verdict, &mock.url);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/summary.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &markdown).unwrap();
    }
    let golden = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        markdown, golden,
        "the Markdown summary changed (UPDATE_GOLDEN=1 rewrites {path} after a deliberate change)"
    );
    // And it says what it must, whatever the golden file holds.
    for needle in [
        "### Trace verification: ❌ FAIL",
        "| `orphan` | 2 |",
        "| fraud | 1 | 1 | 0 | 0 |",
        "#### Slowest traces",
        "payment-service `charge_payment`",
    ] {
        assert!(markdown.contains(needle), "{needle:?} not in\n{markdown}");
    }
    // The verdict survives its own JSON (the HTML report is built from it).
    let json = verifier::render(&verdict, verifier::Format::Json, Default::default());
    let back: Verdict = serde_json::from_str(&json).unwrap();
    assert_eq!(markdown_of(&back, &mock.url), markdown);
}

#[tokio::test]
async fn failing_rules_list_at_most_five_trace_links() {
    let many: Vec<TTrace> = (0..7)
        .map(|i| {
            let mut t = traces::valid(BASE + 0x300 + i, T0 + i as u64 * 50_000_000);
            t.span("save_order").parent = Some(0x0bad);
            t
        })
        .collect();
    let mock = MockJaeger::start(Api::V3, many).await;
    let mut config = common::config(&mock.url);
    fixed_window(&mut config);
    let verdict = verify(&config).await.unwrap();
    let markdown = verifier::render(&verdict, verifier::Format::Markdown, Default::default());
    let row = markdown
        .lines()
        .find(|l| l.starts_with("| `orphan`"))
        .unwrap();
    assert_eq!(row.matches("/trace/").count(), 5, "{row}");
    assert!(row.ends_with("and 2 more |"), "{row}");
}

async fn verifier_bin(args: Vec<String>, summary: Option<&std::path::Path>) -> Output {
    let summary = summary.map(|p| p.to_owned());
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_verifier"));
        command
            .args(&args)
            .env_remove("RUST_LOG")
            .env_remove("JAEGER_QUERY_URL")
            .env_remove("GITHUB_STEP_SUMMARY");
        if let Some(path) = summary {
            command.env("GITHUB_STEP_SUMMARY", path);
        }
        command.output().unwrap()
    })
    .await
    .unwrap()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn explain_prints_the_critical_path_of_one_trace() {
    let slow = slowed(traces::valid(BASE + 0x400, T0), 2);
    let mock = MockJaeger::start(Api::V1, vec![slow.clone()]).await;
    let out = verifier_bin(
        strings(&["--jaeger", &mock.url, "--explain", &slow.trace_id_hex()]),
        None,
    )
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with(&format!("trace {} (valid)", slow.trace_id_hex())),
        "{text}"
    );
    assert!(text.contains("end-to-end 4.000ms"), "{text}");
    assert!(
        text.contains("dominated by payment-service charge_payment: 1.300ms of 4.000ms on the critical path (32%)"),
        "{text}"
    );
    // charge_payment's line: starts at +1.300ms, lasts 1.300ms, all of it self time and on the path.
    assert!(
        text.lines().any(|l| l.contains("charge_payment")
            && l.trim_start().starts_with("* ")
            && l.contains("+1.300ms     1.300ms     1.300ms     1.300ms")),
        "{text}"
    );
    // The parallel-free fraud_check is on the path too, save_order after the payment.
    let path: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("critical path"))
        .skip(2)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(path.len(), 15, "{text}");
    assert!(path[0].ends_with("loadgen CLIENT POST /orders"), "{text}");
    assert!(
        path[8].ends_with("payment-service INTERNAL charge_payment"),
        "{text}"
    );

    let unknown = verifier_bin(
        strings(&[
            "--jaeger",
            &mock.url,
            "--explain",
            "00000000000000000000000000abcdef",
        ]),
        None,
    )
    .await;
    assert_eq!(unknown.status.code(), Some(2));
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        err.contains("has no trace 00000000000000000000000000abcdef"),
        "{err}"
    );

    let bad = verifier_bin(strings(&["--explain", "not-hex"]), None).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--explain"));
}

/// Flags verifying the golden traces' window quickly.
fn golden_window_args(url: &str) -> Vec<String> {
    common::cli_args(
        url,
        "300ms",
        &[
            "--start",
            "2025-11-24T15:59:00Z",
            "--end",
            "2025-11-24T16:01:00Z",
        ],
    )
}

#[tokio::test]
async fn the_summary_is_appended_to_github_step_summary() {
    let mock = MockJaeger::start(Api::V3, golden_traces()).await;
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "# earlier step\n").unwrap();
    let out = verifier_bin(golden_window_args(&mock.url), Some(&summary)).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("# earlier step\n### Trace verification: ❌ FAIL"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("verifier: FAIL"));

    // An unwritable summary path is a could-not-check with the variable named.
    let out = verifier_bin(
        golden_window_args(&mock.url),
        Some(&dir.path().join("no-such-dir").join("summary.md")),
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GITHUB_STEP_SUMMARY="));
}

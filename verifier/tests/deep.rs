//! One malformed trace as deep as it is long (a parent->child chain of
//! tens of thousands of spans): checked and printed in time linear in its
//! spans, on an ordinary thread's stack (no recursion), with a printed tree
//! capped in depth and lines and a note saying what was cut.

mod common;

use std::time::Duration;

use common::mock::{Api, MockJaeger};
use common::traces;
use verifier::{Rule, verify};

const BASE: u128 = 0xdee9_0000_0000_0000_0000_0000_0000_0000;

#[test]
fn a_100000_span_chain_is_checked_on_a_2_mib_stack() {
    const DEPTH: usize = 100_000;
    // A recursive walk would need a frame per level: far more than 2 MiB.
    let run = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let chain = traces::chain(BASE + 1, traces::seconds_ago(60), DEPTH);
                let mock = MockJaeger::start(Api::V3, vec![chain]).await;
                let mut config = common::config(&mock.url);
                config.request_timeout = Duration::from_secs(60);
                config.read_deadline = Duration::from_secs(120);
                verify(&config).await.unwrap()
            })
        })
        .unwrap();
    let verdict = run.join().expect("no stack overflow");
    assert!(!verdict.passed());
    assert_eq!(
        verdict.failures_of(Rule::SpanTree).count(),
        DEPTH,
        "each span of the chain is unexpected in a health trace"
    );
    let tree = &verdict.traces[0].tree;
    assert_eq!(tree.len(), DEPTH + 2, "the whole tree is kept for JSON");
    assert_eq!(tree.iter().map(|l| l.depth).max(), Some(DEPTH + 1));

    let text = verifier::render(&verdict, verifier::Format::Text, Default::default());
    assert!(text.lines().count() < 500, "{} lines", text.lines().count());
    assert!(
        text.contains(&format!(
            "  … and {} more findings of this trace (--format json lists them all)",
            DEPTH - 200
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "  … tree cut: {} spans nested deeper than 32 levels not shown ({} of them marked; --format json has the whole tree)",
            DEPTH + 2 - 33,
            DEPTH + 2 - 33
        )),
        "{text}"
    );
}

#[tokio::test]
async fn a_deep_trace_prints_a_capped_tree_from_the_binary() {
    const DEPTH: usize = 20_000;
    let chain = traces::chain(BASE + 2, traces::seconds_ago(60), DEPTH);
    let mock = MockJaeger::start(Api::V3, vec![chain]).await;
    let url = mock.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_verifier"))
            .args(["--jaeger", &url, "--since", "10m", "--settle", "5s"])
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        out.stdout.len() < 64 * 1024,
        "{} bytes printed",
        out.stdout.len()
    );
    assert!(
        text.contains(
            "[span-tree] unexpected span order-api INTERNAL step under order-api SERVER GET /health"
        ),
        "{text}"
    );
    assert!(
        text.contains("  … and 19800 more findings of this trace"),
        "{text}"
    );
    assert!(
        text.contains("  … tree cut: 19969 spans nested deeper than 32 levels not shown"),
        "{text}"
    );
}

#[test]
fn a_100000_span_flat_trace_is_explained_with_a_capped_critical_path() {
    const WIDTH: usize = 100_000;
    let wide = traces::wide(BASE + 3, traces::seconds_ago(60), WIDTH);
    let json = traces::v3_answer(&[&wide]).to_string().into_bytes();
    let trace = verifier::jaeger::v3::parse_traces(&json).unwrap().remove(0);
    let spec = verifier::spec::Spec::contract();
    let outcome = verifier::Checker::new(&spec).check(&trace, &Default::default());
    assert_eq!(outcome.findings.len(), WIDTH, "each sibling is unexpected");
    let detail = verifier::trace_detail(
        &trace,
        &outcome.findings,
        String::new(),
        outcome.scenario.clone(),
    );
    // The path runs through every sibling, the last first: one return to
    // the parent per child.
    assert!(
        detail.critical_path.len() > WIDTH,
        "{}",
        detail.critical_path.len()
    );
    let text = verifier::render_explain(&detail);
    assert!(text.lines().count() < 500, "{} lines", text.lines().count());
    assert!(
        text.contains("more steps (--format json lists them all)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "… tree cut: {} more spans past 200 lines not shown",
            WIDTH + 2 - 200
        )),
        "{text}"
    );
}

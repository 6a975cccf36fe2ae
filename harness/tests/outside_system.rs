//! `harness run --target URL --scenarios F --spec S --jaeger URL` against a
//! system the harness did not start: testkit's gateway + inventory (B3
//! multi-header) exporting to a tracestore the test runs, loaded with the
//! system's own scenarios file and checked against its own spec. It passes
//! when the spec holds, and fails naming the broken rule when it does not.

use std::{path::Path, process::Output, time::Duration};

use testkit::ExampleSystem;
use tokio::process::Command;
use tracestore::RunningTraceStore;

/// Runs `harness run` against the running system and store with `spec`.
/// Each run gets its own `seed`: both share one store, and a trace id
/// must not come back.
async fn harness_run(
    store: &RunningTraceStore,
    system: &ExampleSystem,
    spec: &Path,
    seed: &str,
) -> Output {
    let mut harness = Command::new(env!("CARGO_BIN_EXE_harness"));
    for (k, _) in std::env::vars() {
        if k.starts_with("OTEL_") || k == "RUST_LOG" {
            harness.env_remove(k);
        }
    }
    harness
        .arg("run")
        .args(["--target", &system.gateway_url()])
        .args(["--jaeger", &store.query_url()])
        .args(["--otlp-endpoint", &store.otlp_grpc_endpoint()])
        .args(["--scenarios", ExampleSystem::SCENARIOS_FILE])
        .arg("--spec")
        .arg(spec)
        .args(["--propagator", "b3multi"])
        .args(["--rps", "200", "--requests", "120", "--sampler", "0.5"])
        .args(["--seed", seed, "--connections", "4", "--settle", "5s"])
        .kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(90), harness.output())
        .await
        .expect("harness run ends by itself")
        .unwrap()
}

fn explain(out: &Output) -> String {
    format!(
        "exit {:?}\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_run_loads_and_verifies_a_system_that_already_runs() {
    let (store, system) = ExampleSystem::start_b3multi_with_store().await.unwrap();

    // The system's own spec holds.
    let out = harness_run(&store, &system, Path::new(ExampleSystem::SPEC_FILE), "5").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(stdout.contains("verifier: PASS"), "{}", explain(&out));
    assert!(stdout.contains("spec quote-shop"), "{}", explain(&out));
    for scenario in ["quote", "unknown-sku", "no-tenant"] {
        assert!(
            stdout.lines().any(|l| l.starts_with(scenario)),
            "{scenario} in {stdout}"
        );
    }

    // A spec the system does not hold: the price is a whole number of cents
    // there, a double in the spans. The run fails (exit 1) on `attributes`.
    let dir = tempfile::tempdir().unwrap();
    let spec = std::fs::read_to_string(ExampleSystem::SPEC_FILE).unwrap();
    let wrong = spec.replace(
        r#"attributes = { "quote.total" = "double" }"#,
        r#"attributes = { "quote.total" = "int" }"#,
    );
    assert_ne!(spec, wrong, "the spec line to break is there");
    let path = dir.path().join("wrong.toml");
    std::fs::write(&path, wrong).unwrap();
    let out = harness_run(&store, &system, &path, "6").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
    assert!(stdout.contains("verifier: FAIL"), "{}", explain(&out));
    assert!(stdout.contains("attributes"), "{}", explain(&out));
    assert!(stdout.contains("quote.total"), "{}", explain(&out));
    let rules = stdout
        .lines()
        .find_map(|l| l.strip_prefix("failures by rule: "))
        .unwrap_or_default();
    assert!(
        rules
            .strip_prefix("attributes ")
            .is_some_and(|n| n.parse::<u64>().is_ok()),
        "attributes alone: {}",
        explain(&out)
    );

    system.shutdown().await;
    store.shutdown().await;
}

//! The loadgen binary and the verifier against a system that is not
//! order/payment: testkit's gateway + inventory, which speaks B3 (multiple
//! headers), driven by a scenarios file and checked by a spec written from
//! the READMEs alone (`testkit/example-system/`), spans into an in-process
//! tracestore. With `--propagator b3multi` every sampled trace is whole;
//! with a format the system does not read, every trace breaks and the
//! verifier says so.

use std::{path::Path, process::Output, time::Duration};

use testkit::ExampleSystem;
use tokio::process::Command;
use tracestore::RunningTraceStore;
use verifier::{Manifest, Rule, Verdict, VerifyConfig, spec::Spec};

/// Runs the loadgen binary against the system with `--propagator
/// propagator`, the example scenarios file and a manifest in `dir`.
async fn load(
    store: &RunningTraceStore,
    system: &ExampleSystem,
    propagator: &str,
    sampler: &str,
    dir: &Path,
) -> Output {
    load_file(
        store,
        system,
        Path::new(ExampleSystem::SCENARIOS_FILE),
        propagator,
        sampler,
        dir,
    )
    .await
}

/// [`load`] with the scenarios of `scenarios`.
async fn load_file(
    store: &RunningTraceStore,
    system: &ExampleSystem,
    scenarios: &Path,
    propagator: &str,
    sampler: &str,
    dir: &Path,
) -> Output {
    let mut loadgen = Command::new(env!("CARGO_BIN_EXE_loadgen"));
    for (k, _) in std::env::vars() {
        if k.starts_with("OTEL_") {
            loadgen.env_remove(k);
        }
    }
    loadgen
        .args(["--target", &system.gateway_url()])
        .arg("--scenarios")
        .arg(scenarios)
        .args(["--propagator", propagator])
        .args(["--rps", "200", "--requests", "150", "--seed", "12"])
        .args(["--sampler", sampler, "--connections", "4"])
        .args(["--otlp-endpoint", &store.otlp_grpc_endpoint()])
        .arg("--manifest")
        .arg(dir.join("run.jsonl"))
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(60), loadgen.output())
        .await
        .expect("loadgen ends by itself")
        .unwrap();
    system.flush().await;
    out
}

/// What the verifier is to find, which sets how long it settles: whole
/// traces end the settle at the first complete read, so it is long for
/// safety; broken ones wait it out and need only a quiet store at its end
/// (every span is flushed before the verifier starts).
#[derive(Clone, Copy)]
enum Expect {
    Whole,
    Broken,
}

/// The verifier over the store with the example spec and the run's manifest.
async fn verify(store: &RunningTraceStore, dir: &Path, ratio: f64, expect: Expect) -> Verdict {
    verify_with(
        store,
        Path::new(ExampleSystem::SPEC_FILE),
        dir,
        ratio,
        expect,
    )
    .await
}

/// [`verify`] with the spec in `spec`.
async fn verify_with(
    store: &RunningTraceStore,
    spec: &Path,
    dir: &Path,
    ratio: f64,
    expect: Expect,
) -> Verdict {
    let mut config = VerifyConfig::new(store.query_url());
    config.spec = Spec::from_file(spec).unwrap();
    config.manifest = Some(Manifest::from_paths(&[dir.join("run.jsonl")]).unwrap());
    config.sampling_ratio = Some(ratio);
    (config.settle, config.quiet_period) = match expect {
        Expect::Whole => (Duration::from_secs(4), Duration::from_secs(1)),
        Expect::Broken => (Duration::from_millis(1500), Duration::from_millis(500)),
    };
    config.poll_interval = Duration::from_millis(200);
    verifier::verify(&config).await.unwrap()
}

fn text(verdict: &Verdict) -> String {
    verifier::render(verdict, verifier::Format::Text, Default::default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b3multi_load_on_a_b3multi_system_passes_its_spec_with_every_trace_whole() {
    let (store, system) = ExampleSystem::start_b3multi_with_store().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = load(&store, &system, "b3multi", "0.5", dir.path()).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("propagator b3multi"), "{stdout}");

    let verdict = verify(&store, dir.path(), 0.5, Expect::Whole).await;
    assert!(verdict.passed(), "{}", text(&verdict));
    let sampling = verdict.sampling.as_ref().expect("a sampling test");
    assert_eq!(sampling.requests, 150);
    assert!(sampling.sampled > 40, "{}", text(&verdict));
    // Every sampled request's trace found whole; none of the unsampled ones
    // stored (the sampled flag crossed both hops in x-b3-sampled).
    assert_eq!(
        verdict.summary.checked,
        sampling.sampled,
        "{}",
        text(&verdict)
    );
    assert_eq!(verdict.summary.passed, sampling.sampled);
    assert_eq!(verdict.summary.unsampled_stored, 0);
    assert_eq!(verdict.summary.unlisted, 0, "{}", text(&verdict));
    for scenario in ["quote", "unknown-sku", "no-tenant"] {
        assert!(
            verdict
                .summary
                .scenarios
                .get(scenario)
                .is_some_and(|s| s.passed > 0 && s.failed == 0),
            "{scenario}: {}",
            text(&verdict)
        );
    }
    system.shutdown().await;
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_propagator_the_system_does_not_read_breaks_every_trace_and_fails_the_verifier() {
    for propagator in ["tracecontext", "jaeger"] {
        let (store, system) = ExampleSystem::start_b3multi_with_store().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = load(&store, &system, propagator, "1", dir.path()).await;
        // The requests themselves succeed: only the traces are broken.
        assert_eq!(
            out.status.code(),
            Some(0),
            "{propagator}: {}",
            String::from_utf8_lossy(&out.stderr)
        );

        let verdict = verify(&store, dir.path(), 1.0, Expect::Broken).await;
        let report = text(&verdict);
        assert!(!verdict.passed(), "{propagator} must fail: {report}");
        // The gateway found no B3 headers, so each request's trace holds the
        // loadgen's CLIENT span alone: the expected gateway SERVER span is
        // missing under it, in every one of the 150 sampled traces...
        let broken: std::collections::HashSet<_> = verdict
            .failures_of(Rule::SpanTree)
            .filter_map(|f| f.trace_id)
            .collect();
        assert_eq!(broken.len(), 150, "{propagator}: {report}");
        assert_eq!(verdict.summary.passed, 0, "{propagator}: {report}");
        assert!(report.contains("span-tree"), "{report}");
        // ... and the gateway started traces of its own the manifest never
        // named.
        assert!(verdict.summary.unlisted >= 150, "{propagator}: {report}");
        system.shutdown().await;
        store.shutdown().await;
    }
}

/// The root README's "Test your own system" shows a scenarios file and a
/// spec for this system (its first two TOML blocks): as printed there, they
/// drive it and pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_readme_example_files_pass_against_the_example_system() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = readme
        .split("## Test your own system")
        .nth(1)
        .expect("the README has the section");
    let blocks: Vec<&str> = section
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .take(2)
        .collect();
    assert_eq!(blocks.len(), 2, "a scenarios file and a spec");
    let dir = tempfile::tempdir().unwrap();
    let (scenarios, spec) = (dir.path().join("quote.toml"), dir.path().join("spec.toml"));
    std::fs::write(&scenarios, blocks[0]).unwrap();
    std::fs::write(&spec, blocks[1]).unwrap();

    let (store, system) = ExampleSystem::start_b3multi_with_store().await.unwrap();
    let out = load_file(&store, &system, &scenarios, "b3multi", "1", dir.path()).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdict = verify_with(&store, &spec, dir.path(), 1.0, Expect::Whole).await;
    assert!(verdict.passed(), "{}", text(&verdict));
    assert_eq!(verdict.summary.checked, 150, "{}", text(&verdict));
    for scenario in ["quote", "unknown-sku"] {
        assert!(
            verdict
                .summary
                .scenarios
                .get(scenario)
                .is_some_and(|s| s.passed > 0),
            "{scenario}: {}",
            text(&verdict)
        );
    }
    system.shutdown().await;
    store.shutdown().await;
}

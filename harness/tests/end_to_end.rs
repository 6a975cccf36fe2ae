//! The whole chain through the harness library: embedded tracestore and both
//! services, real loadgen with root spans and manifest, real OTLP export, the
//! verifier over the store's Jaeger API (v3, and v1 with split search
//! windows). Correct services pass with every sampled trace found complete,
//! with or without the loadgen's exported CLIENT spans; each injected fault
//! fails with its rule; an unreachable exporter endpoint fails on missing
//! traces. (The one end-to-end test of the project: the verifier's own
//! tests read scripted Jaeger answers.)

use std::time::Duration;

use harness::{Backend, JobConfig, JobReport, StackConfig, run_job};
use loadgen::{LoadConfig, RootSpans, SamplerChoice, Target};
use services::faults::Faults;
use telemetry::{OtelConfig, SamplerConfig};
use tracestore::{TraceStore, TraceStoreConfig};
use verifier::{ApiChoice, Rule, VerifyConfig};

/// A short load at sampler 0.5 with every scenario.
fn job(faults: &str, requests: u64) -> JobConfig {
    let mut load = LoadConfig::new(Target::parse("http://127.0.0.1:1").unwrap(), 300.0);
    load.requests = Some(requests);
    load.duration = None;
    load.mix = Some("valid=5,invalid=2,fraud=2,health=1".parse().unwrap());
    load.sampler = SamplerChoice::Ratio(0.5);
    load.seed = 11;
    load.connections = 4;
    load.root_spans = RootSpans::otlp(OtelConfig::new("loadgen", SamplerConfig::AlwaysOn));
    let mut verify = VerifyConfig::new("");
    verify.settle = Duration::from_secs(4);
    verify.quiet_period = Duration::from_secs(1);
    verify.poll_interval = Duration::from_millis(200);
    JobConfig {
        load,
        verify,
        backend: Backend::Embedded,
        stack: StackConfig {
            faults: faults.parse::<Faults>().unwrap(),
            ..StackConfig::default()
        },
        manifest: None,
        keep_traces: None,
    }
}

fn explain(report: &JobReport) -> String {
    report.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_services_pass_with_every_sampled_trace_complete() {
    let report = run_job(job("", 600), std::future::pending()).await.unwrap();
    assert!(report.passed(), "{}", explain(&report));
    assert_eq!(report.exit_code(), 0);
    assert_eq!(report.load.overall.count, 600, "{}", explain(&report));

    let verdict = &report.verdict;
    let sampling = verdict.sampling.as_ref().expect("a sampling test");
    assert_eq!(sampling.requests, 600);
    assert!(
        (200..=400).contains(&sampling.sampled),
        "about half sampled: {}",
        sampling.sampled
    );
    // 100% of the sampled traces found, checked and complete; no unsampled
    // trace stored.
    assert_eq!(
        verdict.summary.checked,
        sampling.sampled,
        "{}",
        explain(&report)
    );
    assert_eq!(verdict.summary.passed, sampling.sampled);
    assert_eq!(verdict.summary.missing, 0);
    assert_eq!(verdict.summary.unsampled_stored, 0);
    for scenario in ["valid", "invalid", "fraud", "health"] {
        assert!(
            verdict
                .summary
                .scenarios
                .get(scenario)
                .is_some_and(|s| s.passed > 0),
            "{scenario} checked: {}",
            explain(&report)
        );
    }
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["passed"], true);
    assert_eq!(json["load"]["overall"]["count"], 600);
    // The store's counters travel with the report; it lost nothing.
    assert_eq!(json["store"]["evicted_traces"], 0);
    assert!(!report.summary_line().contains("max-spans"));
}

/// A run of more spans than the embedded store holds loses its oldest
/// traces: the verifier fails `complete`, and the report says why and
/// which flag keeps them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_bigger_than_the_stores_bounds_fails_naming_the_flag() {
    let mut config = job("", 120);
    config.stack.bounds.max_spans = 60;
    let report = run_job(config, std::future::pending()).await.unwrap();
    assert!(!report.passed(), "{}", explain(&report));
    let store = report.store.expect("the embedded store's counters");
    assert!(store.evicted_traces > 0, "{store:?}");
    assert!(store.spans <= 60, "{store:?}");
    assert!(
        report.verdict.failures_of(Rule::MissingTrace).count() > 0,
        "{}",
        explain(&report)
    );
    let line = report.summary_line();
    assert!(
        line.contains(&format!(
            "tracestore evicted {} trace(s)",
            store.evicted_traces
        )) && line.contains("--max-spans 60")
            && line.ends_with("raise --max-spans or --max-bytes"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_v1_api_and_unexported_loadgen_spans_pass() {
    let mut over_v1 = job("", 80);
    over_v1.verify.api = ApiChoice::V1;
    over_v1.verify.max_traces = 16; // forces window splitting against a real store
    let mut without_root_spans = job("", 40);
    without_root_spans.load.root_spans = RootSpans::Off;
    for config in [over_v1, without_root_spans] {
        let report = run_job(config, std::future::pending()).await.unwrap();
        assert!(report.passed(), "{}", explain(&report));
        let sampling = report.verdict.sampling.as_ref().unwrap();
        assert!(sampling.sampled > 5, "{}", explain(&report));
        assert_eq!(
            report.verdict.summary.checked,
            sampling.sampled,
            "every sampled request checked: {}",
            explain(&report)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_injected_fault_fails_with_its_rule() {
    for (fault, rule) in [
        ("drop-propagation", Rule::SpanTree),
        ("no-error-status", Rule::ErrorStatus),
        ("orphan-span", Rule::Orphan),
        ("skip-save-span", Rule::SpanTree),
        ("wrong-kind", Rule::CrossServiceEdge),
        // The store is quiet when the settle runs out: the late spans are missing.
        ("late-export", Rule::SpanTree),
        ("child-outlives-parent", Rule::ChildWithinParent),
    ] {
        let mut config = job(fault, 60);
        // The faults that leave spans missing wait the whole settle out (the
        // verifier waits for late spans while a trace is incomplete); the
        // harness has flushed every other span by then, so a short settle
        // still finds the store quiet and reports `span-tree`, not
        // `incomplete`.
        config.verify.settle = Duration::from_millis(1500);
        config.verify.quiet_period = Duration::from_millis(500);
        let report = run_job(config, std::future::pending()).await.unwrap();
        assert!(!report.passed(), "{fault} passed:\n{}", explain(&report));
        assert_eq!(report.exit_code(), 1);
        assert!(
            report.load.passed(),
            "{fault} changes no answer: {}",
            report.load.summary_line()
        );
        assert!(
            report.verdict.failures_of(rule).count() > 0,
            "{fault} should break {}:\n{}",
            rule.name(),
            explain(&report)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_save_is_caught_only_by_the_p99_threshold() {
    // A known latency distribution: `slow-save` delays the first save_order
    // and every 50th after it by 100 ms, so with every trace sampled
    // ceil(valid / 50) of the valid orders' save_order spans are slow: 2 of
    // about 100 here (2%), above 1% (p99 breached), below 5% (p95 holds).
    let mut config = job("slow-save", 200);
    config.load.sampler = SamplerChoice::Ratio(1.0);
    let toml = format!(
        "{}\n[[threshold]]\nscenario = \"valid\"\ncheck = 'p95(duration of span[name=\"save_order\"]) < 50ms'\n",
        verifier::spec::CONTRACT_TOML
    );
    config.verify.spec = verifier::spec::Spec::from_toml(&toml, "test").unwrap();
    let report = run_job(config, std::future::pending()).await.unwrap();
    assert!(!report.passed(), "{}", explain(&report));
    assert_eq!(report.exit_code(), 1);
    assert!(report.load.passed(), "{}", report.load.summary_line());
    let verdict = &report.verdict;
    assert!(
        verdict.failures.is_empty(),
        "no per-trace rule catches a slow tail:\n{}",
        explain(&report)
    );
    let valid = verdict.summary.scenarios["valid"].checked;
    let slow = valid.div_ceil(services::faults::SLOW_SAVE_EVERY);
    let share = slow as f64 / valid as f64;
    assert!(share > 0.01 && share < 0.05, "{slow} of {valid}");
    let breached: Vec<&str> = verdict
        .thresholds
        .iter()
        .filter(|t| !t.passed)
        .map(|t| t.threshold.as_str())
        .collect();
    assert_eq!(
        breached,
        vec![r#"p99(duration of span[name="save_order"]) < 50ms"#],
        "{}",
        explain(&report)
    );
    let p99 = verdict.thresholds.iter().find(|t| !t.passed).unwrap();
    assert!(p99.observed.unwrap() >= 100e6, "{p99:?}");
    assert_eq!(p99.samples, valid);
    // Exactly the slow spans are the offenders, each with its trace's link.
    assert_eq!(p99.offenders.len() as u64, slow.min(5), "{p99:?}");
    for offender in &p99.offenders {
        assert!(
            offender
                .link
                .ends_with(&format!("/trace/{}", offender.trace_id))
        );
    }
    let p95 = verdict
        .thresholds
        .iter()
        .find(|t| t.threshold.starts_with("p95("))
        .unwrap();
    assert!(p95.passed && p95.observed.unwrap() < 50e6, "{p95:?}");
    let text = explain(&report);
    assert!(
        text.contains(r#"FAIL  p99(duration of span[name="save_order"]) < 50ms [valid]: observed"#),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_spans_within_the_settle_pass() {
    let mut config = job("", 60);
    config.stack.faults = "late-export"
        .parse::<Faults>()
        .unwrap()
        .with_late_export_delay(Duration::from_secs(2));
    config.verify.settle = Duration::from_secs(20);
    let report = run_job(config, std::future::pending()).await.unwrap();
    assert!(report.passed(), "{}", explain(&report));
    // Each save_order span ends 2 s after its request's save, and the last
    // requests were saved just before the verifier started (the load lasts
    // 0.2 s): it cannot have found every trace complete much sooner.
    assert!(
        report.verdict.settle.elapsed_ms >= 1_000,
        "the verifier waited for the late spans: {:?}",
        report.verdict.settle
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampler_none_traces_rooted_at_the_services_pass() {
    // No traceparent: the services sample every trace (their ratio is 1.0),
    // the manifest reads trace ids from traceresponse, nothing roots at the loadgen.
    let mut config = job("", 40);
    config.load.sampler = SamplerChoice::None;
    let report = run_job(config, std::future::pending()).await.unwrap();
    assert!(report.passed(), "{}", explain(&report));
    assert_eq!(report.verdict.summary.checked, 40, "{}", explain(&report));
    let sampling = report.verdict.sampling.as_ref().unwrap();
    assert_eq!((sampling.requests, sampling.sampled), (40, 40));
    assert_eq!(sampling.expected_ratio, None, "no ratio to test against");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exporter_down_keeps_answers_and_fails_on_missing_traces() {
    // An endpoint nothing listens on: bind a port, then free it.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    // The verifier reads an empty store.
    let empty = TraceStore::start(TraceStoreConfig::ephemeral())
        .await
        .unwrap();
    let mut config = job("", 80);
    config.backend = Backend::ExternalJaeger {
        jaeger_url: empty.query_url(),
        otlp_endpoint: dead,
        otlp_tls: Default::default(),
    };
    // Nothing can arrive: the settle only has to let the verifier read twice.
    config.verify.settle = Duration::from_secs(1);
    let report = run_job(config, std::future::pending()).await.unwrap();

    // Every request got its expected answer; the loadgen reports the root
    // spans it could not export as a problem of the run.
    assert_eq!(
        report.load.failed_requests(),
        0,
        "the services answer as usual: {}",
        report.load.summary_line()
    );
    assert_eq!(report.load.overall.count, 80);
    assert!(
        report
            .load
            .problems
            .iter()
            .any(|p| p.contains("not exported")),
        "{:?}",
        report.load.problems
    );
    assert!(!report.passed(), "{}", explain(&report));
    let sampled = report.verdict.sampling.as_ref().unwrap().sampled;
    assert!(sampled > 0);
    assert_eq!(
        report.verdict.failures_of(Rule::MissingTrace).count() as u64,
        sampled,
        "{}",
        explain(&report)
    );
    assert_eq!(report.verdict.summary.checked, 0);
    assert_eq!(empty.span_count(), 0);
    empty.shutdown().await;
}

/// A Chromium to open the HTML report with: `$CHROMIUM`, else the usual
/// install paths.
fn chromium() -> Option<std::path::PathBuf> {
    std::env::var_os("CHROMIUM")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain(
            [
                "/usr/bin/chromium",
                "/usr/bin/chromium-browser",
                "/usr/bin/google-chrome",
            ]
            .map(std::path::PathBuf::from),
        )
        .find(|p| p.is_file())
}

/// Opens a page in headless Chromium: its DOM after the scripts ran, and
/// every console message (errors included) it logged.
fn open_in_chromium(browser: &std::path::Path, page: &std::path::Path) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--log-level=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_of_a_failing_run_renders_in_chromium() {
    let kept_dir = tempfile::tempdir().unwrap();
    let mut config = job("child-outlives-parent", 200);
    config.keep_traces = Some(kept_dir.path().join("traces"));
    let report = run_job(config, std::future::pending()).await.unwrap();
    assert!(!report.passed(), "{}", explain(&report));

    // --keep-traces: every sampled trace written as OTLP JSON, which an OTLP
    // receiver (a fresh store here, Jaeger in the instructions) takes as is.
    let kept = report
        .kept_traces
        .clone()
        .expect("traces kept for a failing run");
    let sampled = report.verdict.sampling.as_ref().unwrap().sampled;
    assert_eq!(kept.traces, sampled);
    assert!(
        kept.instructions()
            .contains("http://127.0.0.1:4318/v1/traces")
    );
    let fresh = TraceStore::start(TraceStoreConfig::ephemeral())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    for file in &kept.files {
        let answer = http
            .post(format!("{}/v1/traces", fresh.otlp_http_endpoint()))
            .header("content-type", "application/json")
            .body(std::fs::read(file).unwrap())
            .send()
            .await
            .unwrap();
        assert!(
            answer.status().is_success(),
            "{}",
            answer.text().await.unwrap()
        );
    }
    assert_eq!(fresh.trace_count(), sampled);
    assert_eq!(fresh.span_count(), kept.spans);
    fresh.shutdown().await;

    // The Markdown job summary: verdict, latency table, failing rule with links.
    let markdown = report.to_markdown();
    assert!(
        markdown.starts_with("## tracing-proof: ❌ FAIL"),
        "{markdown}"
    );
    let valid = &report.load.scenarios[0];
    assert!(
        markdown.contains(&format!("| valid | {} |", valid.count)),
        "{markdown}"
    );
    assert!(markdown.contains("| `child-within-parent` |"), "{markdown}");
    assert!(markdown.contains("#### Slowest traces"), "{markdown}");
    let html = report.to_html();
    // One file: nothing is fetched (no external script, style, image or font).
    for outside in ["<script src", "<link", "<img", "@import", "url("] {
        assert!(!html.contains(outside), "the page loads {outside}");
    }
    let failing = report.verdict.traces.len().min(harness::FAILING_DRAWN);
    let waterfalls = failing + report.verdict.slowest.len();
    assert!(failing >= 1, "{}", explain(&report));
    assert_eq!(html.matches("<svg class=\"waterfall\"").count(), waterfalls);

    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED opening the report in a browser: no Chromium at $CHROMIUM, /usr/bin/chromium, \
             /usr/bin/chromium-browser or /usr/bin/google-chrome (apt-get install -y chromium)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();
    let (dom, console) = tokio::task::spawn_blocking({
        let (browser, page) = (browser.clone(), page.clone());
        move || open_in_chromium(&browser, &page)
    })
    .await
    .unwrap();
    assert!(console.is_empty(), "console messages: {console:#?}");
    // The page's script ran and counted the waterfalls it shows.
    assert!(
        dom.contains(&format!("data-waterfalls=\"{waterfalls}\"")),
        "{waterfalls} waterfalls expected"
    );
    assert!(dom.contains("id=\"verdict\">FAIL</span>"));
    for (scenario, counts) in &report.verdict.summary.scenarios {
        let row = format!("<tr data-scenario=\"{scenario}\">");
        let at = dom.find(&row).unwrap_or_else(|| panic!("no row {row}"));
        let row = &dom[at..at + dom[at..].find("</tr>").unwrap()];
        assert!(
            row.contains(&format!("<td class=\"checked\">{}</td>", counts.checked))
                && row.contains(&format!("<td class=\"failed\">{}</td>", counts.failed)),
            "{row}"
        );
    }
    assert!(dom.contains("data-rule=\"child-within-parent\""));

    // `harness report` builds the same page from the run's JSON, and a
    // missing input is one line naming it, exit 2.
    let json = dir.path().join("run.json");
    std::fs::write(&json, report.to_json()).unwrap();
    let rebuilt = dir.path().join("rebuilt.html");
    let harness = |args: &[&std::path::Path]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_harness"))
            .arg("report")
            .args([
                "--job",
                args[0].to_str().unwrap(),
                "--output",
                args[1].to_str().unwrap(),
            ])
            .output()
            .unwrap()
    };
    let out = harness(&[&json, &rebuilt]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&rebuilt).unwrap(), html);
    let missing = dir.path().join("nope.json");
    let out = harness(&[&missing, &rebuilt]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("nope.json"), "{err}");

    // The console check catches a broken page.
    let broken = dir.path().join("broken.html");
    std::fs::write(
        &broken,
        "<!DOCTYPE html><body><script>notDefined()</script></body>",
    )
    .unwrap();
    let (_, console) = tokio::task::spawn_blocking(move || open_in_chromium(&browser, &broken))
        .await
        .unwrap();
    assert!(
        console.iter().any(|l| l.contains("notDefined")),
        "{console:#?}"
    );
}

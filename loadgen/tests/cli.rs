//! The `loadgen` binary: exit codes, one-line errors, Ctrl-C, `merge`, and
//! OTLP settings from the `OTEL_*` variables.

mod common;

use std::{path::Path, process::Output, time::Duration};

use common::{Behaviour, TestTarget, closed_port};
use loadgen::{Report, read_manifest};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_loadgen");

fn loadgen() -> Command {
    let mut c = Command::new(BIN);
    // A clean telemetry environment, whatever the caller's shell holds.
    for (k, _) in std::env::vars() {
        if k.starts_with("OTEL_") {
            c.env_remove(k);
        }
    }
    c.kill_on_drop(true);
    c
}

async fn output(c: &mut Command) -> Output {
    tokio::time::timeout(Duration::from_secs(60), c.output())
        .await
        .expect("loadgen ends by itself")
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn report(path: &Path) -> Report {
    Report::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn bad_flags_are_one_line_and_exit_2() {
    for args in [
        &["--rps", "abc"][..],
        &[][..],
        &["--rps", "10", "--mix", "valid=1,bogus=2"][..],
        &["--rps", "10", "--shard", "4/4"][..],
        &["--rps", "10", "--sampler", "1.5"][..],
        &["--rps", "10", "--duration", "forever"][..],
        &["--rps", "10", "--target", "https://secure:443"][..],
        &["--rps", "10", "--connections", "0"][..],
        &["--stages", "5s"][..],
        &["--stages", "5s:10", "--duration", "3s"][..],
        &["--stages", "5s:0"][..],
    ] {
        let o = output(loadgen().args(args)).await;
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("loadgen: "), "{err}");
        assert!(o.stdout.is_empty());
    }
    let o = output(loadgen().arg("--help")).await;
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("--no-root-span"));
}

/// A negative number is a bad value of its flag, not an unknown flag `-5`.
#[tokio::test]
async fn negative_values_are_range_errors_naming_the_flag() {
    for (args, expected) in [
        (
            &["--rps", "-5"][..],
            "loadgen: invalid value '-5' for '--rps <RPS>': expected a positive number of requests per second, got \"-5\"\n",
        ),
        (
            &["--rps", "10", "--sampler", "-0.1"][..],
            "loadgen: invalid value '-0.1' for '--sampler <SAMPLER>': ",
        ),
        (
            &["--rps", "10", "--duration", "-1s"][..],
            "loadgen: invalid value '-1s' for '--duration <DURATION>': a duration cannot be negative\n",
        ),
        // A value spelled like the subcommand `merge` is still the value
        // of its flag: the run's flags after it keep their meaning.
        (
            &["--scenarios", "merge", "--rps", "-5"][..],
            "loadgen: invalid value '-5' for '--rps <RPS>': ",
        ),
    ] {
        let o = output(loadgen().args(args)).await;
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.starts_with(expected), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}

#[tokio::test]
async fn unusable_settings_are_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = output(
        loadgen()
            .args([
                "--rps",
                "10",
                "--requests",
                "1",
                "--no-root-span",
                "--manifest",
            ])
            .arg(dir.path().join("missing/run.jsonl")),
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--manifest") && stderr(&o).contains("does not exist"),
        "{}",
        stderr(&o)
    );
    let o = output(
        loadgen()
            .args(["--rps", "10", "--requests", "1"])
            .env("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"),
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("OTEL_EXPORTER_OTLP_PROTOCOL"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stderr(&o).lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_is_down_exits_1_with_a_one_line_summary_and_full_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let (json, manifest) = (dir.path().join("r.json"), dir.path().join("m.jsonl"));
    let o = output(
        loadgen()
            .args(["--rps", "500", "--requests", "50", "--no-root-span"])
            .arg("--target")
            .arg(format!("http://{}", closed_port()))
            .arg("--json")
            .arg(&json)
            .arg("--manifest")
            .arg(&manifest),
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with("loadgen: 50 of 50 requests failed") && last.contains("connect 50"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("connect"));
    assert_eq!(report(&json).overall.errors.connect, 50);
    assert_eq!(read_manifest(&manifest).unwrap().len(), 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_sending_and_still_writes_report_and_manifest() {
    let target = TestTarget::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (json, manifest) = (dir.path().join("r.json"), dir.path().join("m.jsonl"));
    let child = loadgen()
        .args([
            "--rps",
            "200",
            "--duration",
            "60s",
            "--no-root-span",
            "--target",
            &target.url(),
        ])
        .arg("--json")
        .arg(&json)
        .arg("--manifest")
        .arg(&manifest)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    target.wait_for(30).await;
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("Ctrl-C ends the run")
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = report(&json);
    assert!(r.runs[0].stopped_early);
    assert!(r.schedule.sent >= 30 && r.schedule.sent < 12_000);
    assert_eq!(
        read_manifest(&manifest).unwrap().len() as u64,
        r.schedule.sent
    );
    assert_eq!(target.count(), r.schedule.sent);
    assert!(String::from_utf8_lossy(&o.stdout).contains("stopped early"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shard_reports_merge_on_the_command_line() {
    let target = TestTarget::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = (0..2)
        .map(|i| dir.path().join(format!("shard{i}.json")))
        .collect();
    for (i, path) in paths.iter().enumerate() {
        let o = output(
            loadgen()
                .args([
                    "--rps",
                    "1000",
                    "--requests",
                    "200",
                    "--no-root-span",
                    "--seed",
                    "9",
                ])
                .args(["--target", &target.url(), "--shard", &format!("{i}/2")])
                .arg("--json")
                .arg(path),
        )
        .await;
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let merged = dir.path().join("merged.json");
    let o = output(
        loadgen()
            .arg("merge")
            .args(&paths)
            .arg("--json")
            .arg(&merged),
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("2 merged runs"));
    let m = report(&merged);
    assert_eq!((m.runs.len(), m.overall.count), (2, 200));
    assert_eq!(m.overall.latency.histogram.len(), 200);

    std::fs::write(dir.path().join("bad.json"), "{not json").unwrap();
    let o = output(
        loadgen()
            .arg("merge")
            .arg(&paths[0])
            .arg(dir.path().join("bad.json")),
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad.json") && stderr(&o).lines().count() == 1,
        "{}",
        stderr(&o)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otel_variables_send_the_root_spans_over_otlp_http() {
    let store = tracestore::TraceStore::start(tracestore::TraceStoreConfig::ephemeral())
        .await
        .unwrap();
    let target = TestTarget::start(Behaviour::default()).await;
    let o = output(
        loadgen()
            .args([
                "--rps",
                "500",
                "--requests",
                "50",
                "--target",
                &target.url(),
            ])
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", store.otlp_http_endpoint())
            .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
            .env("OTEL_SERVICE_NAME", "loadgen-ci")
            .env("OTEL_TRACES_SAMPLER_ARG", "1"),
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("root spans exported 50 of 50"));
    assert!(store.wait_for_spans(50, Duration::from_secs(10)).await);
    let services: serde_json::Value =
        reqwest::get(format!("{}/api/v3/services", store.query_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(services["services"], serde_json::json!(["loadgen-ci"]));
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_scenarios_file_runs_as_the_built_in_one() {
    let o = output(loadgen().arg("--print-scenarios")).await;
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout), loadgen::ORDER_PAYMENT);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.toml");
    std::fs::write(&file, &o.stdout).unwrap();
    let target = TestTarget::start(Behaviour::default()).await;
    let json = dir.path().join("r.json");
    let o = output(
        loadgen()
            .args(["--rps", "1000", "--requests", "200", "--no-root-span"])
            .args(["--mix", "valid=2,invalid=1,fraud=1,health=1"])
            .arg("--target")
            .arg(target.url())
            .arg("--scenarios")
            .arg(&file)
            .arg("--json")
            .arg(&json),
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = report(&json);
    assert_eq!(r.overall.ok, 200);
    assert_eq!(r.runs[0].scenarios, file.display().to_string());
    assert_eq!(r.scenarios.len(), 4);
}

#[tokio::test]
async fn a_bad_scenarios_file_names_the_file_and_line_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "[[scenario]]\nname = \"a\"\npath = \"/\"\n\n[[scenario]]\nname = \"b\"\npath = \"/b?n={{int 3..x}}\"\n",
    )
    .unwrap();
    let missing = dir.path().join("missing.toml");
    for (args, needle) in [
        (
            vec![
                "--rps".into(),
                "10".into(),
                "--scenarios".into(),
                file.display().to_string(),
            ],
            format!(
                "scenarios {}, line 7: path: `{{{{int 3..x}}}}` needs a range",
                file.display()
            ),
        ),
        (
            vec![
                "--rps".into(),
                "10".into(),
                "--scenarios".into(),
                missing.display().to_string(),
            ],
            format!("scenarios {}: cannot read it", missing.display()),
        ),
        (
            vec![
                "--rps".into(),
                "10".into(),
                "--propagator".into(),
                "xray".into(),
            ],
            "unknown propagator \"xray\"".into(),
        ),
    ] {
        let o = output(loadgen().args(&args)).await;
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&needle), "{err}");
    }
    let o = output(
        loadgen()
            .args(["--rps", "10", "--requests", "1"])
            .env("OTEL_PROPAGATORS", "baggage,ottrace"),
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("OTEL_PROPAGATORS"), "{}", stderr(&o));
}

/// Output paths are checked before the first request: a missing directory,
/// a directory, two flags naming one file (however spelled) and an output
/// that is the run's input are one line naming the flag, exit 2, and the
/// target sees nothing. A port out of range is refused at parse time.
#[tokio::test]
async fn output_paths_are_refused_before_any_request() {
    let target = TestTarget::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let scenarios = dir.path().join("scenarios.toml");
    let shipped = output(loadgen().arg("--print-scenarios")).await;
    std::fs::write(&scenarios, &shipped.stdout).unwrap();
    let s = scenarios.display().to_string();
    let url = target.url();
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec!["--json".into(), "/nonexistent/x.json".into()],
            "loadgen: --json /nonexistent/x.json: the directory /nonexistent does not exist".into(),
        ),
        (
            vec!["--json".into(), d.clone()],
            format!("loadgen: --json {d}: is a directory"),
        ),
        (
            vec![
                "--manifest".into(),
                format!("{d}/run.jsonl"),
                "--json".into(),
                format!("{d}/./run.jsonl"),
            ],
            format!(
                "loadgen: --json {d}/./run.jsonl and --manifest {d}/run.jsonl are the same file"
            ),
        ),
        (
            vec![
                "--scenarios".into(),
                s.clone(),
                "--manifest".into(),
                s.clone(),
            ],
            format!("loadgen: --manifest {s} is the input of --scenarios {s}"),
        ),
    ];
    for (extra, expected) in cases {
        let o = output(
            loadgen()
                .args([
                    "--rps",
                    "50",
                    "--requests",
                    "5",
                    "--no-root-span",
                    "--target",
                    &url,
                ])
                .args(&extra),
        )
        .await;
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.starts_with(&expected), "{extra:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{extra:?}: {err}");
    }
    assert_eq!(target.count(), 0, "no request was sent");
    assert_eq!(
        std::fs::read(&scenarios).unwrap(),
        shipped.stdout,
        "the input is intact"
    );
    assert!(!dir.path().join("run.jsonl").exists());

    // `merge --json` onto one of the reports it reads.
    let report = dir.path().join("a.json");
    std::fs::write(&report, "{}").unwrap();
    let o = output(
        loadgen()
            .arg("merge")
            .arg(&report)
            .arg("--json")
            .arg(&report),
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is the input of a report"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "{}");

    let o = output(loadgen().args(["--rps", "10", "--target", "http://127.0.0.1:99999"])).await;
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with("loadgen: invalid value 'http://127.0.0.1:99999' for '--target <TARGET>'")
            && err.contains("invalid port number"),
        "{err}"
    );
}

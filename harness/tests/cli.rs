//! The `harness` binary: `harness run` exit codes (0 pass, 1 fail, 2 could
//! not run), its report on stdout, and the JSON and JUnit files.

use std::process::{Command, Output, Stdio};

/// A short run: 40 requests of every scenario, half of the traces sampled.
fn run_args(extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "run",
        "--rps",
        "200",
        "--requests",
        "40",
        "--mix",
        "valid=5,invalid=2,fraud=2,health=1",
        "--sampler",
        "0.5",
        "--seed",
        "3",
        "--connections",
        "4",
        "--settle",
        "5s",
    ];
    args.extend_from_slice(extra);
    args.into_iter().map(String::from).collect()
}

fn harness(args: Vec<String>, read_stdout: bool) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(&args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if !read_stdout {
        // Nobody reads the report: writing it fails with a broken pipe.
        drop(child.stdout.take());
    }
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn explain(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    )
}

#[test]
fn a_correct_run_exits_0_and_writes_its_reports() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let junit = dir.path().join("verifier.xml");
    let out = harness(
        run_args(&[
            "--json",
            json.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ]),
        true,
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("== load"), "{stdout}");
    assert!(stdout.contains("verifier: PASS"), "{stdout}");
    assert!(
        stdout
            .trim_end()
            .ends_with("every request answered as expected"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["passed"], true);
    assert_eq!(report["load"]["overall"]["count"], 40);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"<testsuites name="verifier order-payment""#),
        "{xml}"
    );
    assert!(xml.contains(r#"failures="0""#), "{xml}");
}

#[test]
fn a_broken_contract_exits_1_naming_the_rule() {
    let out = harness(run_args(&["--faults", "orphan-span"]), true);
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
    assert!(text(&out.stdout).contains("[orphan]"), "{}", explain(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.lines().any(|l| l.starts_with("harness: FAIL: ")),
        "{stderr}"
    );
}

/// `--late-export-delay` reaches the embedded services: a settle longer
/// than the delay waits the late spans in (exit 0), a shorter one gives up
/// before they end and fails `span-tree` (exit 1).
#[test]
fn the_late_export_delay_is_set_by_its_flag_and_weighed_against_the_settle() {
    let run = |delay: &str, settle: &str| {
        let mut args = run_args(&["--faults", "late-export", "--late-export-delay", delay]);
        let at = args.iter().position(|a| a == "--settle").unwrap();
        args[at + 1] = settle.to_owned();
        harness(args, true)
    };
    let waited = run("1s", "10s");
    assert_eq!(waited.status.code(), Some(0), "{}", explain(&waited));
    let gave_up = run("30s", "3s");
    assert_eq!(gave_up.status.code(), Some(1), "{}", explain(&gave_up));
    assert!(
        text(&gave_up.stdout).contains("[span-tree]"),
        "{}",
        explain(&gave_up)
    );
}

/// clap's errors as one line with the tool's prefix, and a negative number
/// as a bad value of its flag rather than an unknown flag.
#[test]
fn usage_errors_are_one_line_naming_the_flag() {
    for (bad, expected) in [
        (
            &["run", "--rps", "-5"][..],
            "harness: invalid value '-5' for '--rps <RPS>': expected a positive number of requests per second, got \"-5\"\n",
        ),
        (
            &["run", "--rps", "10", "--sampler", "-0.1"],
            "harness: invalid value '-0.1' for '--sampler <SAMPLER>': ",
        ),
        (
            &["run", "--rps", "10", "--settle", "-1s"],
            "harness: invalid value '-1s' for '--settle <SETTLE>': a duration cannot be negative\n",
        ),
        (
            &["run", "--rps", "10", "--api", "v4"],
            "harness: invalid value 'v4' for '--api <API>' [possible values: ",
        ),
        (
            &["run", "--rps", "10", "--connections", "0"],
            "harness: invalid value '0' for '--connections <CONNECTIONS>': ",
        ),
        (
            &["overhead", "--connections", "0"],
            "harness: invalid value '0' for '--connections <CONNECTIONS>': ",
        ),
        (
            &["run", "--rps", "10", "--max-spans", "0"],
            "harness: invalid value '0' for '--max-spans <N>': ",
        ),
        (
            &["up", "--max-bytes", "lots"],
            "harness: invalid value 'lots' for '--max-bytes <SIZE>': ",
        ),
        // No embedded store to bound when verifying through a Jaeger.
        (
            &[
                "run",
                "--rps",
                "10",
                "--jaeger",
                "http://127.0.0.1:9",
                "--max-spans",
                "10",
            ],
            "harness: the argument '--jaeger <URL>' cannot be used with '--max-spans <N>'\n",
        ),
    ] {
        let out = harness(bad.iter().map(|a| a.to_string()).collect(), true);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", explain(&out));
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with(expected), "{bad:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    }
}

#[test]
fn bad_flags_and_a_closed_stdout_exit_2() {
    // --faults cannot reach services the harness does not start.
    let elsewhere = [
        "run",
        "--rps",
        "10",
        "--jaeger",
        "http://127.0.0.1:9",
        "--target",
        "http://127.0.0.1:9",
        "--faults",
        "orphan-span",
    ];
    for bad in [
        &["run", "--rps", "fast"][..],
        &["run", "--rps", "10", "--faults", "gremlins"],
        &elsewhere,
    ] {
        let out = harness(bad.iter().map(|a| a.to_string()).collect(), true);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", explain(&out));
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with("harness: "), "{stderr}");
    }
    // The report cannot reach stdout: exit 2, no panic, the file still written.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let out = harness(run_args(&["--json", json.to_str().unwrap()]), false);
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("harness: cannot write to stdout"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(json.exists(), "the JSON report is written all the same");
}

/// Every output path of `run`, `overhead` and `report` is checked before
/// anything starts: one line naming the flag, exit 2, no report written.
#[test]
fn output_paths_are_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let f = format!("{d}/run.jsonl");
    let same = format!("{d}/./run.jsonl");
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            run_args(&["--json", "/nonexistent/x.json"]),
            "harness: --json /nonexistent/x.json: the directory /nonexistent does not exist".into(),
        ),
        (
            run_args(&["--junit", &d]),
            format!("harness: --junit {d}: is a directory"),
        ),
        (
            run_args(&["--manifest", &f, "--report", &same]),
            format!("harness: --report {same} and --manifest {f} are the same file"),
        ),
        (
            run_args(&["--keep-traces", &f]),
            format!("harness: --keep-traces {f}: {f} is not a directory"),
        ),
        (
            run_args(&["--keep-traces", &format!("{f}/traces")]),
            format!("harness: --keep-traces {f}/traces: {f} is not a directory"),
        ),
        // No file can be created in /proc, even by root.
        (
            run_args(&["--keep-traces", "/proc/kept"]),
            "harness: --keep-traces /proc/kept: cannot create files in /proc: ".into(),
        ),
        (
            ["overhead", "--json", "/nonexistent/o.json"]
                .map(String::from)
                .to_vec(),
            "harness: --json /nonexistent/o.json: the directory /nonexistent does not exist".into(),
        ),
        (
            ["report", "--job", &f, "--output", &same]
                .map(String::from)
                .to_vec(),
            format!("harness: --output {same} is the input of --job {f}"),
        ),
    ];
    std::fs::write(&f, "{}").unwrap();
    for (args, expected) in cases {
        let out = harness(args.clone(), true);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", explain(&out));
        let err = text(&out.stderr);
        assert!(err.starts_with(&expected), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing ran");
    }
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        "{}",
        "the input is intact"
    );

    let out = harness(
        run_args(&[
            "--jaeger",
            "http://127.0.0.1:16686",
            "--target",
            "http://127.0.0.1:99999",
        ]),
        true,
    );
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("harness: invalid value 'http://127.0.0.1:99999' for '--target <URL>'"),
        "{err}"
    );
    // The URL parser's reason is the error's source, not in its message:
    // the line carries it all the same.
    assert!(
        err.trim_end()
            .ends_with("\"http://127.0.0.1:99999\" is not a URL: invalid port number"),
        "{err}"
    );
}

/// An error that keeps its cause as its source (not in its own message)
/// still shows the cause on the one line the binary prints.
#[test]
fn an_unreadable_input_names_the_file_and_the_parsers_reason() {
    let dir = tempfile::tempdir().unwrap();
    let load = dir.path().join("load.json");
    let verdict = dir.path().join("verdict.json");
    std::fs::write(&load, "not json").unwrap();
    std::fs::write(&verdict, "{}").unwrap();
    let args = [
        "report",
        "--load",
        &load.display().to_string(),
        "--verdict",
        &verdict.display().to_string(),
        "--output",
        &dir.path().join("report.html").display().to_string(),
    ]
    .map(String::from)
    .to_vec();
    let out = harness(args, true);
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    let err = text(&out.stderr);
    assert_eq!(
        err.trim_end(),
        format!(
            "harness: {}: expected ident at line 1 column 2",
            load.display()
        )
    );
}

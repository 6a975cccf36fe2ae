//! The commands the README and the example CI workflow tell users to run
//! must parse with the real command lines of harness, loadgen and verifier,
//! so the documentation cannot drift from the flags.

use std::path::Path;

use clap::Parser;

fn repo_file(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The program a command runs (`harness`, `loadgen`, `verifier`) and its
/// arguments, for `cargo run [--release] -p X -- args` and
/// `./target/release/X args`; `None` for any other command.
fn invocation(command: &str) -> Option<(String, Vec<String>)> {
    assert!(
        !command.contains(['"', '\'']),
        "quoted arguments are not split here: {command}"
    );
    let words: Vec<&str> = command
        .split_whitespace()
        .skip_while(|w| w.contains('=') && !w.starts_with('-'))
        .collect();
    let (program, args) = match words.as_slice() {
        ["cargo", "run", rest @ ..] => {
            let p = rest.iter().position(|w| *w == "-p")?;
            let dashes = rest.iter().position(|w| *w == "--")?;
            (rest.get(p + 1)?.to_string(), &rest[dashes + 1..])
        }
        [path, rest @ ..] if path.starts_with("./target/release/") => (
            path.trim_start_matches("./target/release/").to_owned(),
            rest,
        ),
        _ => return None,
    };
    let known = ["harness", "loadgen", "verifier"];
    known.contains(&program.as_str()).then(|| {
        let mut argv = vec![program.clone()];
        argv.extend(args.iter().map(|a| a.to_string()));
        (program, argv)
    })
}

fn check_parses(program: &str, argv: &[String], origin: &str) {
    let parsed = match program {
        "harness" => cli_support::try_parse_from::<harness::Cli, _, _>(argv).map(drop),
        "loadgen" => cli_support::try_parse_from::<loadgen::cli::Cli, _, _>(argv).map(drop),
        "verifier" => verifier::cli::Args::try_parse_from(argv).map(drop),
        other => panic!("no parser for {other}"),
    };
    if let Err(e) = parsed {
        panic!("{origin}: `{}` does not parse:\n{e}", argv.join(" "));
    }
}

/// The shell commands of the README's ```sh blocks, continuation lines joined.
fn readme_commands() -> Vec<String> {
    let readme = repo_file("README.md");
    let mut commands = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = !in_sh && line.trim() == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let line = line.split(" # ").next().unwrap_or(line).trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => pending.push_str(head),
            None => {
                pending.push_str(line);
                commands.push(std::mem::take(&mut pending));
            }
        }
    }
    commands
}

#[test]
fn readme_commands_parse() {
    let mut checked = Vec::new();
    for command in readme_commands() {
        if let Some((program, argv)) = invocation(&command) {
            check_parses(&program, &argv, "README.md");
            checked.push(program);
        }
    }
    for program in ["harness", "loadgen", "verifier"] {
        assert!(
            checked.iter().any(|p| p == program),
            "the README shows no {program} command: {checked:?}"
        );
    }
}

#[test]
fn example_ci_workflow_commands_parse() {
    let text = repo_file("examples/ci/github-actions.yml");
    let workflow: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let steps = workflow["jobs"]["traces"]["steps"].as_sequence().unwrap();
    let mut checked = Vec::new();
    for step in steps {
        let Some(run) = step["run"].as_str() else {
            continue;
        };
        if let Some((program, argv)) = invocation(&run.replace('\n', " ")) {
            check_parses(&program, &argv, "examples/ci/github-actions.yml");
            checked.push(program);
        }
    }
    assert_eq!(
        checked,
        ["loadgen", "verifier"],
        "the workflow loads, then verifies"
    );
    let verify = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|r| r.starts_with("./target/release/verifier"))
        .unwrap();
    for flag in [
        "--since 5m",
        "--manifest run.jsonl",
        "--format junit",
        "--output verifier.xml",
    ] {
        assert!(verify.contains(flag), "the verifier step lacks {flag}");
    }
}

#[test]
fn invocations_are_recognised() {
    let (program, argv) = invocation("OTEL_X=1 cargo run --release -p loadgen -- --rps 5").unwrap();
    assert_eq!(program, "loadgen");
    assert_eq!(argv, ["loadgen", "--rps", "5"]);
    let (program, argv) = invocation("./target/release/verifier --since 5m").unwrap();
    assert_eq!((program.as_str(), argv.len()), ("verifier", 3));
    assert!(invocation("docker compose up").is_none());
    assert!(invocation("curl -s localhost:16686/api/v3/services").is_none());
}

//! deploy/k8s (no cluster here): every YAML file parses; every container
//! runs one of this workspace's binaries with flags its real clap parser
//! accepts and only environment variables the binary reads; the loadgen
//! shards add up to the asked rate and never share a slot or a trace id
//! (the loadgen's own planning code, per Job index); the verify Job reads
//! exactly the shards' files; URLs name a Service and its port; every Job
//! and container has what a shared CI cluster expects. Each check is shown
//! to fail on a mutated copy of the manifests.

use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    path::{Path, PathBuf},
    sync::Mutex,
};

use clap::{CommandFactory, Parser};
use serde_yaml_ng::Value;
use telemetry::{OtelConfig, SamplerConfig};

/// Where the manifests live, relative to the repository.
const DEPLOY_DIR: &str = "deploy/k8s";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.yaml` file under deploy/k8s: (path relative to it, text).
fn manifest_files() -> BTreeMap<String, String> {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let name = path.strip_prefix(base).unwrap().display().to_string();
                out.insert(name, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let base = repo().join(DEPLOY_DIR);
    let mut out = BTreeMap::new();
    walk(&base, &base, &mut out);
    out
}

/// One Kubernetes object, with the file it came from.
struct Object {
    file: String,
    doc: Value,
}

impl Object {
    fn kind(&self) -> &str {
        self.doc["kind"].as_str().unwrap_or("")
    }
    fn name(&self) -> &str {
        self.doc["metadata"]["name"].as_str().unwrap_or("")
    }
    fn at(&self) -> String {
        format!("{} {}/{}", self.file, self.kind(), self.name())
    }
}

/// One container of a workload, its command (command + args) and env.
struct Container {
    at: String,
    command: Vec<String>,
    env: Vec<(String, Option<String>)>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| {
            s.iter()
                .map(|a| match a {
                    Value::String(s) => s.clone(),
                    other => serde_yaml_ng::to_string(other).unwrap().trim().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn containers(o: &Object) -> Vec<Container> {
    let pod = &o.doc["spec"]["template"]["spec"];
    ["initContainers", "containers"]
        .iter()
        .flat_map(|k| pod[*k].as_sequence().cloned().unwrap_or_default())
        .map(|c| {
            let mut command = strings(&c["command"]);
            command.extend(strings(&c["args"]));
            let env = c["env"]
                .as_sequence()
                .map(|e| {
                    e.iter()
                        .map(|v| {
                            (
                                v["name"].as_str().unwrap_or("").to_owned(),
                                v["value"].as_str().map(str::to_owned),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            Container {
                at: format!("{} container {}", o.at(), c["name"].as_str().unwrap_or("?")),
                command,
                env,
            }
        })
        .collect()
}

/// `$(NAME)` in a command expanded as the kubelet does, from `vars`.
fn expand(arg: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = arg.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("$({k})"), v);
    }
    out
}

/// The environment variables a binary reads: its clap `env` attributes,
/// the `OTEL_*` ones `OtelConfig` asks for (where it exports spans), and
/// the ones read outside clap.
fn variables_read(binary: &str) -> BTreeSet<String> {
    fn clap_env<P: CommandFactory>() -> BTreeSet<String> {
        fn walk(cmd: &clap::Command, out: &mut BTreeSet<String>) {
            for arg in cmd.get_arguments() {
                if let Some(env) = arg.get_env() {
                    out.insert(env.to_string_lossy().into_owned());
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, out);
            }
        }
        let mut out = BTreeSet::new();
        walk(&P::command(), &mut out);
        out
    }
    let otel = || {
        let asked = Mutex::new(BTreeSet::new());
        OtelConfig::from_lookup("x", SamplerConfig::AlwaysOn, |k| {
            asked.lock().unwrap().insert(k.to_owned());
            None
        })
        .unwrap();
        asked.into_inner().unwrap()
    };
    let mut vars = match binary {
        "loadgen" => {
            let mut v = clap_env::<loadgen::cli::Cli>();
            v.extend(otel());
            v.insert(loadgen::cli::JOB_INDEX_VAR.to_owned());
            v
        }
        "verifier" => {
            let mut v = clap_env::<verifier::cli::Args>();
            v.insert(verifier::cli::QUERY_HEADERS_VAR.to_owned());
            v
        }
        "harness" => clap_env::<harness::Cli>(),
        "tracestore" => clap_env::<tracestore::cli::Args>(),
        "order-api" => {
            let mut v = clap_env::<services::order_api::OrderApiArgs>();
            v.extend(otel());
            v
        }
        "payment-service" => {
            let mut v = clap_env::<services::payment_service::PaymentServiceArgs>();
            v.extend(otel());
            v
        }
        _ => BTreeSet::new(),
    };
    // cli_support::init_logging's filter, for every binary.
    vars.insert("RUST_LOG".to_owned());
    vars
}

fn parse<P: Parser>(command: &[String]) -> Result<P, String> {
    cli_support::try_parse_from::<P, _, _>(command).map_err(|e| cli_support::error_line(&e))
}

/// Parses a command with the real parser of the binary it names.
fn check_command(command: &[String]) -> Result<(), String> {
    let Some(binary) = command.first() else {
        return Err("no command".into());
    };
    match binary.as_str() {
        "loadgen" => parse::<loadgen::cli::Cli>(command).map(drop),
        "verifier" => parse::<verifier::cli::Args>(command).map(drop),
        "harness" => parse::<harness::Cli>(command).map(drop),
        "tracestore" => parse::<tracestore::cli::Args>(command).map(drop),
        "order-api" => parse::<services::order_api::OrderApiArgs>(command).map(drop),
        "payment-service" => {
            parse::<services::payment_service::PaymentServiceArgs>(command).map(drop)
        }
        other => Err(format!("{other} is not a binary of this workspace")),
    }
}

/// The values following `flag` in a command.
fn flag_values<'a>(command: &'a [String], flag: &str) -> Vec<&'a str> {
    command
        .windows(2)
        .filter(|w| w[0] == flag)
        .map(|w| w[1].as_str())
        .collect()
}

/// Everything wrong with a set of manifests, one line each.
fn problems(files: &BTreeMap<String, String>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut objects = Vec::new();
    for (file, text) in files {
        for doc in serde_yaml_ng::Deserializer::from_str(text) {
            match Value::deserialize(doc) {
                Ok(Value::Null) => {}
                Ok(doc) => objects.push(Object {
                    file: file.clone(),
                    doc,
                }),
                Err(e) => {
                    // The document stream cannot go on after an error.
                    problems.push(format!("{file}: {e}"));
                    break;
                }
            }
        }
    }
    for o in &objects {
        if o.doc["apiVersion"].as_str().is_none() || o.kind().is_empty() {
            problems.push(format!("{}: no apiVersion or kind", o.file));
        }
        if o.kind() != "Kustomization" && o.name().is_empty() {
            problems.push(format!("{}: no metadata.name", o.at()));
        }
        if o.doc["metadata"]["namespace"].as_str().is_some() {
            problems.push(format!("{}: sets a namespace (keep them neutral)", o.at()));
        }
    }
    check_kustomization(files, &objects, &mut problems);
    check_workloads(&objects, &mut problems);
    check_urls(&objects, &mut problems);
    check_config_maps(&objects, &mut problems);
    check_shards(&objects, &mut problems);
    problems
}

use serde::Deserialize as _;

fn check_kustomization(
    files: &BTreeMap<String, String>,
    objects: &[Object],
    problems: &mut Vec<String>,
) {
    let Some(k) = objects.iter().find(|o| o.kind() == "Kustomization") else {
        problems.push("no kustomization.yaml".into());
        return;
    };
    for resource in strings(&k.doc["resources"]) {
        if !files.contains_key(&resource) {
            problems.push(format!(
                "kustomization names {resource}, which is not there"
            ));
        }
    }
}

fn check_workloads(objects: &[Object], problems: &mut Vec<String>) {
    for o in objects {
        if !matches!(o.kind(), "Deployment" | "Job") {
            continue;
        }
        let pod = &o.doc["spec"]["template"]["spec"];
        if pod["securityContext"]["runAsNonRoot"].as_bool() != Some(true) {
            problems.push(format!("{}: not runAsNonRoot", o.at()));
        }
        if o.kind() == "Job" {
            for key in [
                "backoffLimit",
                "ttlSecondsAfterFinished",
                "activeDeadlineSeconds",
            ] {
                if o.doc["spec"][key].as_u64().is_none() {
                    problems.push(format!("{}: no {key}", o.at()));
                }
            }
        }
        for c in containers(o) {
            check_container(o, &c, problems);
        }
    }
}

fn check_container(o: &Object, c: &Container, problems: &mut Vec<String>) {
    let spec = o.doc["spec"]["template"]["spec"]["containers"]
        .as_sequence()
        .into_iter()
        .flatten()
        .chain(
            o.doc["spec"]["template"]["spec"]["initContainers"]
                .as_sequence()
                .into_iter()
                .flatten(),
        )
        .find(|s| {
            c.at.ends_with(&format!(" {}", s["name"].as_str().unwrap_or("")))
        });
    if let Some(spec) = spec {
        for key in ["requests", "limits"] {
            for what in ["cpu", "memory"] {
                if spec["resources"][key][what].is_null() {
                    problems.push(format!("{}: no resources.{key}.{what}", c.at));
                }
            }
        }
        if spec["securityContext"]["allowPrivilegeEscalation"].as_bool() != Some(false) {
            problems.push(format!("{}: allowPrivilegeEscalation not false", c.at));
        }
    }
    let binary = c.command.first().cloned().unwrap_or_default();
    if binary == "cat" && o.name() == "tracing-proof-results" {
        // The results Job prints the verifier's JUnit file (checked below).
        return;
    }
    if binary == "jaeger" || (c.command.is_empty() && o.name() == "jaeger") {
        return;
    }
    // $(JOB_COMPLETION_INDEX) and the other variables, as pod 0 sees them.
    let mut vars: BTreeMap<String, String> = c
        .env
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
        .collect();
    vars.insert(loadgen::cli::JOB_INDEX_VAR.to_owned(), "0".to_owned());
    let command: Vec<String> = c.command.iter().map(|a| expand(a, &vars)).collect();
    if let Err(e) = check_command(&command) {
        problems.push(format!("{}: {e}", c.at));
    }
    let read = variables_read(&binary);
    for (name, _) in &c.env {
        if !read.contains(name) {
            problems.push(format!(
                "{}: sets {name}, which {binary} does not read",
                c.at
            ));
        }
    }
}

/// `http://host:port` values name a Service of the manifests and its port.
fn check_urls(objects: &[Object], problems: &mut Vec<String>) {
    let mut ports: BTreeMap<String, HashSet<u64>> = BTreeMap::new();
    for o in objects.iter().filter(|o| o.kind() == "Service") {
        let set = ports.entry(o.name().to_owned()).or_default();
        for p in o.doc["spec"]["ports"].as_sequence().into_iter().flatten() {
            set.extend(p["port"].as_u64());
        }
    }
    for o in objects {
        for c in containers(o) {
            let values = c
                .command
                .iter()
                .cloned()
                .chain(c.env.iter().filter_map(|(_, v)| v.clone()));
            for value in values {
                let Ok(url) = reqwest::Url::parse(&value) else {
                    continue;
                };
                if !matches!(url.scheme(), "http" | "https") {
                    continue;
                }
                let host = url.host_str().unwrap_or("");
                let port = u64::from(url.port_or_known_default().unwrap_or(0));
                if !ports.get(host).is_some_and(|p| p.contains(&port)) {
                    problems.push(format!("{}: {value} is no Service port here", c.at));
                }
            }
        }
    }
}

/// The ConfigMaps hold the repository's scenarios and spec byte for byte.
fn check_config_maps(objects: &[Object], problems: &mut Vec<String>) {
    for (name, key, expected) in [
        (
            "tracing-proof-scenarios",
            "scenarios.toml",
            loadgen::ORDER_PAYMENT,
        ),
        (
            "tracing-proof-spec",
            "spec.toml",
            verifier::spec::CONTRACT_TOML,
        ),
    ] {
        let found = objects
            .iter()
            .find(|o| o.kind() == "ConfigMap" && o.name() == name)
            .and_then(|o| o.doc["data"][key].as_str().map(str::to_owned));
        if found.as_deref() != Some(expected) {
            problems.push(format!(
                "ConfigMap {name} {key} differs from the repository's"
            ));
        }
    }
}

fn job<'a>(objects: &'a [Object], name: &str) -> Option<&'a Object> {
    objects
        .iter()
        .find(|o| o.kind() == "Job" && o.name() == name)
}

/// The shard arithmetic and the verify Job's inputs.
fn check_shards(objects: &[Object], problems: &mut Vec<String>) {
    let Some(load) = job(objects, "tracing-proof-loadgen") else {
        problems.push("no tracing-proof-loadgen Job".into());
        return;
    };
    let spec = &load.doc["spec"];
    if spec["completionMode"].as_str() != Some("Indexed") {
        problems.push("the loadgen Job is not Indexed".into());
    }
    let completions = spec["completions"].as_u64().unwrap_or(0) as u32;
    let Some(c) = containers(load)
        .into_iter()
        .find(|c| c.command.first().is_some_and(|b| b == "loadgen"))
    else {
        problems.push("the loadgen Job runs no loadgen".into());
        return;
    };
    let by_index = c
        .env
        .iter()
        .any(|(k, v)| k == loadgen::cli::JOB_INDEX_VAR && v.is_none());
    if !by_index {
        problems.push(format!(
            "{}: {} not taken from the pod's annotation (needed to expand $({}))",
            c.at,
            loadgen::cli::JOB_INDEX_VAR,
            loadgen::cli::JOB_INDEX_VAR
        ));
    }
    if flag_values(&c.command, "--seed").is_empty() {
        problems.push(format!(
            "{}: no --seed: the shards need one common seed",
            c.at
        ));
    }
    let (mut rate, mut total) = (0.0, 0u64);
    let (mut seqs, mut ids) = (HashSet::new(), HashSet::new());
    let (mut manifests, mut reports) = (BTreeSet::new(), BTreeSet::new());
    let (mut asked_rps, mut asked_total, mut sampler) = (0.0, 0u64, String::new());
    for index in 0..completions {
        let vars = BTreeMap::from([(loadgen::cli::JOB_INDEX_VAR.to_owned(), index.to_string())]);
        let command: Vec<String> = c.command.iter().map(|a| expand(a, &vars)).collect();
        let cli = match parse::<loadgen::cli::Cli>(&command) {
            Ok(cli) => cli,
            Err(e) => {
                problems.push(format!("{}: {e}", c.at));
                return;
            }
        };
        manifests.extend(cli.run.load.manifest.clone());
        reports.extend(cli.run.json.clone());
        sampler = flag_values(&command, "--sampler").concat();
        let shard = match cli.run.sharding.shard(Some(&index.to_string())) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("{} pod {index}: {e}", c.at));
                return;
            }
        };
        let mut load = cli.run.load.clone();
        load.scenarios = None; // /config/... exists only in the pod; the ConfigMap is the default file.
        let mut config = match load.load_config(
            cli.run.target.clone(),
            OtelConfig::new("loadgen", SamplerConfig::AlwaysOn),
        ) {
            Ok(config) => config,
            Err(e) => {
                problems.push(format!("{}: {e}", c.at));
                return;
            }
        };
        config.shard = shard;
        asked_rps = config.rps;
        asked_total =
            (config.rps * config.duration.map_or(0.0, |d| d.as_secs_f64())).round() as u64;
        // The first requests of each pod (the length counts them all).
        let plan = loadgen::plan_shard(&config, 2_000).unwrap();
        rate += plan.rps;
        total += plan.len;
        for r in &plan.requests {
            if !seqs.insert(r.seq) {
                problems.push(format!("pod {index}: slot {} planned by two pods", r.seq));
                return;
            }
            if let Some(id) = r.trace_id
                && !ids.insert(id)
            {
                problems.push(format!("pod {index}: trace id {id} planned by two pods"));
                return;
            }
        }
    }
    if (rate - asked_rps).abs() > 1e-6 {
        problems.push(format!(
            "{completions} pods x their rate = {rate} rps, not the asked {asked_rps}"
        ));
    }
    if total != asked_total {
        problems.push(format!("the pods plan {total} requests, not {asked_total}"));
    }
    if manifests.len() != completions as usize || reports.len() != completions as usize {
        problems.push(format!(
            "{} manifests and {} reports for {completions} pods: each pod needs its own",
            manifests.len(),
            reports.len()
        ));
    }
    check_verify(objects, &manifests, &reports, &sampler, problems);
}

fn check_verify(
    objects: &[Object],
    manifests: &BTreeSet<PathBuf>,
    reports: &BTreeSet<PathBuf>,
    sampler: &str,
    problems: &mut Vec<String>,
) {
    let Some(verify) = job(objects, "tracing-proof-verify") else {
        problems.push("no tracing-proof-verify Job".into());
        return;
    };
    let all = containers(verify);
    let merge = all
        .iter()
        .find(|c| c.command.get(1).is_some_and(|a| a == "merge"));
    let verifier = all
        .iter()
        .find(|c| c.command.first().is_some_and(|a| a == "verifier"));
    match merge.and_then(|m| {
        parse::<loadgen::cli::Cli>(&m.command)
            .ok()
            .and_then(|cli| match cli.command {
                Some(loadgen::cli::Command::Merge(args)) => Some(args.reports),
                None => None,
            })
    }) {
        Some(merged) if merged.iter().cloned().collect::<BTreeSet<_>>() == *reports => {}
        other => problems.push(format!(
            "loadgen merge reads {other:?}, not the shards' {reports:?}"
        )),
    }
    let Some(verifier) = verifier.and_then(|v| parse::<verifier::cli::Args>(&v.command).ok())
    else {
        problems.push("the verify Job runs no verifier".into());
        return;
    };
    if verifier.manifest.iter().cloned().collect::<BTreeSet<_>>() != *manifests {
        problems.push(format!(
            "the verifier reads {:?}, not the shards' manifests {manifests:?}",
            verifier.manifest
        ));
    }
    if verifier.sampling_ratio.map(|r| r.to_string())
        != sampler.parse::<f64>().ok().map(|r| r.to_string())
    {
        problems.push(format!(
            "the verifier's --sampling-ratio {:?} is not the loadgen's --sampler {sampler}",
            verifier.sampling_ratio
        ));
    }
    let junit = verifier.output.clone().unwrap_or_default();
    let printed = job(objects, "tracing-proof-results")
        .and_then(|o| containers(o).into_iter().next())
        .map(|c| c.command);
    if printed != Some(vec!["cat".to_owned(), junit.display().to_string()]) {
        problems.push(format!(
            "the results Job does not print {}",
            junit.display()
        ));
    }
}

#[test]
fn the_manifests_hold_together() {
    let files = manifest_files();
    assert!(files.len() >= 6, "{files:?}");
    let problems = problems(&files);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_tools_image_builds_every_binary_the_manifests_run() {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    for bin in [
        "loadgen",
        "verifier",
        "harness",
        "tracestore",
        "order-api",
        "payment-service",
    ] {
        assert!(
            dockerfile.contains(&format!("--bin {bin}")),
            "Dockerfile builds {bin}"
        );
        assert!(
            dockerfile.contains(&format!("target/release/{bin} ")),
            "Dockerfile installs {bin}"
        );
    }
}

/// Each check fails on a copy of the manifests broken in its way.
#[test]
fn every_check_catches_its_breakage() {
    let files = manifest_files();
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "jobs/loadgen.yaml",
            "kind: Job",
            "kind: [Job",
            "jobs/loadgen.yaml",
        ),
        (
            "jobs/loadgen.yaml",
            "- --sampler\n",
            "- --sampler-ratio\n",
            "--sampler-ratio",
        ),
        (
            "jobs/loadgen.yaml",
            "completions: 4",
            "completions: 5",
            "not below --shard-count 4",
        ),
        (
            "jobs/loadgen.yaml",
            "- --shard-count\n            - \"4\"",
            "- --shard\n            - \"0/4\"",
            "planned by two pods",
        ),
        (
            "jobs/loadgen.yaml",
            "- \"2000\"",
            "- \"2000\"\n            - --rps\n            - \"3000\"",
            "cannot be used multiple times",
        ),
        (
            "jobs/loadgen.yaml",
            "            - --seed\n            - \"20261128\"\n",
            "",
            "no --seed",
        ),
        (
            "jobs/loadgen.yaml",
            "shard-$(JOB_COMPLETION_INDEX).jsonl",
            "shard.jsonl",
            "each pod needs its own",
        ),
        (
            "jobs/loadgen.yaml",
            "name: OTEL_EXPORTER_OTLP_PROTOCOL",
            "name: OTEL_EXPORTER_OTLP_PROTOCOLS",
            "does not read",
        ),
        (
            "jobs/loadgen.yaml",
            "http://order-api:8000",
            "http://order-api:9000",
            "no Service port",
        ),
        (
            "jobs/loadgen.yaml",
            "completionMode: Indexed",
            "completionMode: NonIndexed",
            "not Indexed",
        ),
        (
            "jobs/loadgen.yaml",
            "  backoffLimit: 0\n",
            "",
            "no backoffLimit",
        ),
        (
            "jobs/verify.yaml",
            "  ttlSecondsAfterFinished: 3600\n",
            "",
            "no ttlSecondsAfterFinished",
        ),
        (
            "jobs/verify.yaml",
            "  activeDeadlineSeconds: 600\n",
            "",
            "no activeDeadlineSeconds",
        ),
        (
            "jobs/verify.yaml",
            "            - /results/shard-3.json\n",
            "",
            "loadgen merge reads",
        ),
        (
            "jobs/verify.yaml",
            "            - --manifest\n            - /results/shard-3.jsonl\n",
            "",
            "not the shards' manifests",
        ),
        (
            "jobs/verify.yaml",
            "- \"0.1\"",
            "- \"0.2\"",
            "--sampling-ratio",
        ),
        (
            "jobs/results.yaml",
            "/results/verifier.xml",
            "/results/junit.xml",
            "does not print",
        ),
        (
            "services.yaml",
            "runAsNonRoot: true",
            "runAsNonRoot: false",
            "not runAsNonRoot",
        ),
        (
            "services.yaml",
            "memory: 512Mi",
            "memroy: 512Mi",
            "no resources.limits.memory",
        ),
        (
            "services.yaml",
            "- --payment-timeout\n            - 2s",
            "- --payment-timeout\n            - 0s",
            "above zero",
        ),
        (
            "services.yaml",
            "- order-api\n",
            "- order-apy\n",
            "not a binary",
        ),
        (
            "config.yaml",
            "weight = ",
            "weight  = ",
            "differs from the repository's",
        ),
        (
            "kustomization.yaml",
            "  - jaeger.yaml\n",
            "  - jaeger.yml\n",
            "not there",
        ),
        (
            "results-pvc.yaml",
            "metadata:\n",
            "metadata:\n  namespace: ci\n",
            "sets a namespace",
        ),
    ];
    for (file, from, to, needle) in cases {
        let mut broken = files.clone();
        let text = broken.get_mut(*file).unwrap_or_else(|| panic!("{file}"));
        assert!(text.contains(from), "{file} holds {from:?}");
        *text = text.replacen(from, to, 1);
        let problems = problems(&broken);
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "{file}: {from:?} -> {to:?} should give {needle:?}, got {problems:#?}"
        );
    }
}

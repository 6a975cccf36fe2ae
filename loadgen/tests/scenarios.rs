//! Scenarios from a file against an API that is not the order API: the
//! templates reach the wire, weights and `--mix` pick among the file's
//! names, a seed replays the same requests, and each propagator's headers
//! carry the manifest's ids and sampled flag.

mod common;

use std::{collections::HashSet, future::pending};

use common::{Behaviour, TestTarget, within_binomial};
use loadgen::{ManifestRecord, Propagator, SamplerChoice, ScenarioSet, read_manifest};

/// A made-up shop: the stand-in target answers 404 for these paths, which
/// the file expects.
const SHOP: &str = r#"
[[scenario]]
name = "search"
weight = 3
path = "/search?q={{choice hat|coat|red%20scarf}}&page={{int 1..5}}"
headers = { x-request-id = "{{uuid}}", x-tenant = "acme" }
expect_status = 404

[[scenario]]
name = "put-item"
method = "PUT"
path = "/items/{{seq}}"
headers = { content-type = "application/json" }
body = '{"price":{{float 1..2}},"colour":"{{choice red|blue}}"}'
expect_status = [404, 405]

[[scenario]]
name = "never"
weight = 0
path = "/never"
"#;

fn shop() -> ScenarioSet {
    ScenarioSet::parse(SHOP, "shop.toml", None).unwrap()
}

async fn run(
    target: &TestTarget,
    n: u64,
    seed: u64,
    adjust: impl FnOnce(&mut loadgen::LoadConfig),
) -> (loadgen::Report, Vec<ManifestRecord>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.jsonl");
    let mut config = target.config(2000.0, n);
    config.scenarios = shop();
    config.seed = seed;
    config.manifest = Some(path.clone());
    adjust(&mut config);
    let report = loadgen::run(config, pending()).await.unwrap();
    (report, read_manifest(&path).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenarios_file_drives_another_api_with_rendered_requests() {
    let target = TestTarget::start(Behaviour::default()).await;
    let n = 800;
    let (report, manifest) = run(&target, n, 5, |_| {}).await;
    assert_eq!(report.overall.ok, n, "{report}");
    let searches = manifest.iter().filter(|r| r.scenario == "search").count() as u64;
    assert!(within_binomial(searches, n, 0.75, 4.5), "{searches} of {n}");
    assert!(manifest.iter().all(|r| r.scenario != "never"));
    let names: Vec<&str> = report
        .scenarios
        .iter()
        .map(|s| s.scenario.as_str())
        .collect();
    assert_eq!(
        names,
        ["search", "put-item"],
        "weight-0 scenarios are not listed"
    );
    assert_eq!(report.scenarios[1].expected_status, [404, 405]);
    assert_eq!(report.runs[0].scenarios, "shop.toml");

    let seen = target.seen();
    let mut seqs = HashSet::new();
    for s in &seen {
        if s.method == "GET" {
            let q = s.uri.strip_prefix("/search?q=").unwrap();
            let (term, page) = q.split_once("&page=").unwrap();
            assert!(["hat", "coat", "red%20scarf"].contains(&term), "{}", s.uri);
            assert!((1..=5).contains(&page.parse::<u32>().unwrap()), "{}", s.uri);
            assert_eq!(s.headers["x-tenant"], "acme");
            let id = s.headers["x-request-id"].to_str().unwrap();
            assert_eq!(id.len(), 36, "{id}");
            assert!(s.body.is_empty());
        } else {
            assert_eq!(s.method, "PUT");
            seqs.insert(
                s.path
                    .strip_prefix("/items/")
                    .unwrap()
                    .parse::<u64>()
                    .unwrap(),
            );
            let body: serde_json::Value = serde_json::from_slice(&s.body).unwrap();
            let price = body["price"].as_f64().unwrap();
            assert!((1.0..=2.0).contains(&price), "{body}");
            assert!(["red", "blue"].contains(&body["colour"].as_str().unwrap()));
            assert_eq!(s.headers["content-type"], "application/json");
        }
        assert_eq!(
            s.baggage.as_deref(),
            Some(if s.method == "GET" {
                "loadgen.scenario=search"
            } else {
                "loadgen.scenario=put-item"
            })
        );
    }
    assert_eq!(
        seqs.len() as u64,
        n - searches,
        "{{seq}} is the request's number: unique"
    );
    assert!(seqs.iter().all(|&q| q < n));

    // The same seed sends the same requests; another seed does not.
    let sent = |t: &TestTarget| -> Vec<(String, String, Vec<u8>)> {
        let mut v: Vec<_> = t
            .seen()
            .into_iter()
            .map(|s| {
                let tenant = s
                    .headers
                    .get("x-request-id")
                    .map_or(String::new(), |v| v.to_str().unwrap().to_owned());
                (s.uri, tenant, s.body.to_vec())
            })
            .collect();
        v.sort();
        v
    };
    let again = TestTarget::start(Behaviour::default()).await;
    run(&again, n, 5, |_| {}).await;
    assert_eq!(sent(&again), sent(&target));
    let other = TestTarget::start(Behaviour::default()).await;
    run(&other, n, 6, |_| {}).await;
    assert_ne!(sent(&other), sent(&target));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mix_reweights_the_file_by_name() {
    let target = TestTarget::start(Behaviour::default()).await;
    let (report, manifest) = run(&target, 300, 1, |c| {
        c.mix = Some("never=1,put-item=1".parse().unwrap());
    })
    .await;
    let never = manifest.iter().filter(|r| r.scenario == "never").count() as u64;
    assert!(within_binomial(never, 300, 0.5, 4.5), "{never}");
    assert!(manifest.iter().all(|r| r.scenario != "search"));
    // `/never` gets a 404 where the file expects 200: counted, not hidden.
    let row = report
        .scenarios
        .iter()
        .find(|s| s.scenario == "never")
        .unwrap();
    assert_eq!(
        (row.unexpected_status, row.expected_status.as_slice()),
        (never, &[200][..])
    );
    assert_eq!(report.runs[0].mix, "put-item=1,never=1");

    let mut config = target.config(100.0, 10);
    config.scenarios = shop();
    config.mix = Some("search=1,checkout=2".parse().unwrap());
    let err = loadgen::run(config, pending())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"checkout\"") && err.contains("shop.toml"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_propagator_carries_the_ids_and_the_sampled_flag() {
    for propagator in [
        Propagator::TraceContext,
        Propagator::B3,
        Propagator::B3Multi,
        Propagator::Jaeger,
    ] {
        let target = TestTarget::start(Behaviour::default()).await;
        let (_, manifest) = run(&target, 200, 3, |c| {
            c.propagator = propagator;
            c.sampler = SamplerChoice::Ratio(0.5);
            c.mix = Some("put-item=1".parse().unwrap());
        })
        .await;
        let sampled = manifest.iter().filter(|r| r.sampled == Some(true)).count();
        assert!((60..140).contains(&sampled), "{propagator}: {sampled}");
        // Each PUT's path names its request number; the manifest's seq is
        // the same number.
        let by_seq: std::collections::HashMap<u64, &ManifestRecord> =
            manifest.iter().map(|r| (r.seq, r)).collect();
        for s in target.seen() {
            let seq: u64 = s.path.strip_prefix("/items/").unwrap().parse().unwrap();
            let r = by_seq[&seq];
            let (trace, span) = (r.trace_id.clone().unwrap(), r.span_id.clone().unwrap());
            let flag = u8::from(r.sampled.unwrap());
            let h = |name: &str| s.headers.get(name).map(|v| v.to_str().unwrap().to_owned());
            let expected: Vec<(&str, String)> = match propagator {
                Propagator::TraceContext => {
                    vec![("traceparent", format!("00-{trace}-{span}-0{flag}"))]
                }
                Propagator::B3 => vec![("b3", format!("{trace}-{span}-{flag}"))],
                Propagator::B3Multi => vec![
                    ("x-b3-traceid", trace.clone()),
                    ("x-b3-spanid", span.clone()),
                    ("x-b3-sampled", flag.to_string()),
                ],
                Propagator::Jaeger => vec![("uber-trace-id", format!("{trace}:{span}:0:{flag}"))],
            };
            for (name, value) in &expected {
                assert_eq!(h(name).as_ref(), Some(value), "{propagator} {name}");
            }
            for other in ["traceparent", "b3", "x-b3-traceid", "uber-trace-id"] {
                if !expected.iter().any(|(n, _)| n == &other) {
                    assert_eq!(h(other), None, "{propagator} sends no {other}");
                }
            }
            assert_eq!(h("baggage").as_deref(), Some("loadgen.scenario=put-item"));
        }
    }
}

//! For every rule of the contract's table: a trace (or manifest) that breaks
//! it, served as Jaeger JSON (v3 and v1) by a real HTTP server, and the
//! verifier failing with that rule named; and correct traces passing.

mod common;

use common::mock::{Api, MockJaeger};
use common::traces::{self, TTrace, Val, s};
use verifier::{Manifest, Rule, Verdict, VerifyConfig, verify};

const BASE: u128 = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_0000;

fn t0(n: u64) -> u64 {
    traces::seconds_ago(60) + n * 5_000_000
}

fn all_scenarios() -> Vec<TTrace> {
    vec![
        traces::valid(BASE + 1, t0(1)),
        traces::invalid(BASE + 2, t0(2)),
        traces::fraud(BASE + 3, t0(3)),
        traces::health(BASE + 4, t0(4)),
        // A 64-bit-wide id: v1 answers it as 16 hex digits.
        traces::valid(0x1234_5678, t0(5)),
    ]
}

async fn run(api: Api, traces: &[TTrace], tweak: &dyn Fn(&mut VerifyConfig)) -> Verdict {
    let mock = MockJaeger::start(api, traces.to_vec()).await;
    let mut config = common::config(&mock.url);
    tweak(&mut config);
    verify(&config)
        .await
        .unwrap_or_else(|e| panic!("{api:?}: could not check: {e}"))
}

fn rules_of(verdict: &Verdict) -> Vec<Rule> {
    let mut rules: Vec<Rule> = verdict.failures.iter().map(|f| f.rule).collect();
    rules.sort();
    rules.dedup();
    rules
}

/// Serves the traces over v3 and over v1; the verifier must fail with exactly `rule`.
async fn assert_breaks_only(
    rule: Rule,
    traces: Vec<TTrace>,
    tweak: &dyn Fn(&mut VerifyConfig),
) -> Verdict {
    let mut last = None;
    for api in [Api::V3, Api::V1] {
        let verdict = run(api, &traces, tweak).await;
        let text = verifier::render(&verdict, verifier::Format::Text, Default::default());
        assert!(
            !verdict.passed(),
            "{api:?}: expected a failure of {rule}\n{text}"
        );
        assert_eq!(
            rules_of(&verdict),
            vec![rule],
            "{api:?}: expected only {rule}\n{text}"
        );
        let failure = verdict.failures_of(rule).next().unwrap();
        if let Some(id) = failure.trace_id {
            assert_eq!(
                failure.link.as_deref(),
                Some(format!("{}/trace/{id}", verdict.jaeger_url).as_str())
            );
            assert!(text.contains(&format!("[{rule}]")), "{text}");
        }
        last = Some(verdict);
    }
    last.unwrap()
}

fn no_tweak(_: &mut VerifyConfig) {}

#[tokio::test]
async fn correct_traces_of_every_scenario_pass_over_v3_and_v1() {
    for api in [Api::V3, Api::V1] {
        let verdict = run(api, &all_scenarios(), &no_tweak).await;
        let text = verifier::render(&verdict, verifier::Format::Text, Default::default());
        assert!(verdict.passed(), "{api:?}\n{text}");
        assert_eq!(verdict.summary.checked, 5);
        for scenario in ["valid", "invalid", "fraud", "health"] {
            assert!(
                verdict.summary.scenarios[scenario].passed >= 1,
                "{scenario}: {text}"
            );
        }
        assert_eq!(verdict.summary.scenarios["valid"].passed, 2);
        assert!(verdict.settle.quiet);
    }
}

#[tokio::test]
async fn classification_falls_back_to_request_attributes() {
    let mut traces = all_scenarios();
    for trace in &mut traces {
        for span in &mut trace.spans {
            span.unset("loadgen.scenario");
        }
    }
    // The loadgen requires loadgen.scenario on its own span: drop those spans too.
    let traces: Vec<TTrace> = traces.into_iter().map(TTrace::rooted_at_server).collect();
    let verdict = run(Api::V3, &traces, &no_tweak).await;
    assert!(
        verdict.passed(),
        "{}",
        verifier::render(&verdict, verifier::Format::Text, Default::default())
    );
    for scenario in ["valid", "invalid", "fraud", "health"] {
        assert!(verdict.summary.scenarios[scenario].passed >= 1);
    }
}

#[tokio::test]
async fn traces_rooted_at_the_order_server_span_pass() {
    let traces: Vec<TTrace> = all_scenarios()
        .into_iter()
        .map(TTrace::rooted_at_server)
        .collect();
    let verdict = run(Api::V1, &traces, &no_tweak).await;
    assert!(
        verdict.passed(),
        "{}",
        verifier::render(&verdict, verifier::Format::Text, Default::default())
    );
}

fn manifest_line(
    trace: &TTrace,
    seq: u64,
    scenario: &str,
    sampled: bool,
    root_span: bool,
    status: Option<u16>,
) -> serde_json::Value {
    let start_us = trace.spans.iter().map(|s| s.start_ns).min().unwrap() / 1000;
    serde_json::json!({
        "seq": seq, "trace_id": trace.trace_id_hex(), "span_id": format!("{:016x}", ((trace.trace_id as u64) & 0xffff_ffff) << 8 | 1),
        "sampled": sampled, "root_span": root_span, "scenario": scenario,
        "intended_start_us": start_us, "actual_start_us": start_us + 3, "latency_us": 2000,
        "status": status, "expected_status": status, "outcome": "ok"
    })
}

fn manifest(lines: &[serde_json::Value]) -> Manifest {
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    Manifest::parse(&text.join("\n"), "test manifest").unwrap()
}

/// Manifest lines for [`all_scenarios`]' traces: every request sampled and
/// answered, the loadgen's span not exported, `span_id` as `span_id` says.
fn unexported_root_lines(
    traces: &[TTrace],
    span_id: impl Fn(&TTrace) -> u64,
) -> Vec<serde_json::Value> {
    let scenarios = ["valid", "invalid", "fraud", "health", "valid"];
    let codes = [201, 422, 402, 200, 201];
    traces
        .iter()
        .zip(scenarios.iter().zip(codes))
        .enumerate()
        .map(|(i, (t, (sc, code)))| {
            let mut line = manifest_line(t, i as u64, sc, true, false, Some(code));
            line["span_id"] = format!("{:016x}", span_id(t)).into();
            line
        })
        .collect()
}

/// The traces pass over v3 and v1 with this manifest, every one checked.
async fn pass_with_manifest(traces: &[TTrace], lines: &[serde_json::Value]) -> Verdict {
    let with_manifest = manifest(lines);
    let mut last = None;
    for api in [Api::V3, Api::V1] {
        let verdict = run(api, traces, &|c| {
            c.manifest = Some(with_manifest.clone());
            c.window = None;
        })
        .await;
        assert!(
            verdict.passed(),
            "{api:?}: {}",
            verifier::render(&verdict, verifier::Format::Text, Default::default())
        );
        assert_eq!(verdict.summary.checked, traces.len() as u64, "{api:?}");
        last = Some(verdict);
    }
    last.unwrap()
}

#[tokio::test]
async fn unexported_loadgen_span_is_the_accepted_root_with_a_manifest_only() {
    let traces: Vec<TTrace> = all_scenarios()
        .into_iter()
        .map(TTrace::without_root_span)
        .collect();
    // The span_id sent in traceparent: the loadgen's span, never exported.
    let lines = unexported_root_lines(&traces, |t| t.spans[0].parent.unwrap());
    pass_with_manifest(&traces, &lines).await;
    // Without the manifest nothing says the parent was never exported: orphans.
    let verdict = run(Api::V3, &traces, &no_tweak).await;
    assert_eq!(rules_of(&verdict), vec![Rule::Orphan]);
}

#[tokio::test]
async fn sampler_none_manifests_name_the_server_span_and_pass() {
    // `loadgen --sampler none` sends no traceparent: order-api's SERVER span is
    // the root, and the manifest's span_id is that span (from traceresponse),
    // with root_span false. Its children must not become extra roots.
    let traces: Vec<TTrace> = all_scenarios()
        .into_iter()
        .map(TTrace::rooted_at_server)
        .collect();
    let mut lines = unexported_root_lines(&traces, TTrace::root_span_id);
    // An answer without traceresponse: trace id and sampling unknown.
    lines.push(serde_json::json!({
        "seq": 5, "trace_id": null, "span_id": null, "sampled": null, "root_span": false,
        "scenario": "health", "intended_start_us": t0(6) / 1000, "actual_start_us": t0(6) / 1000,
        "latency_us": 900, "status": 200, "expected_status": 200, "outcome": "ok"
    }));
    let verdict = pass_with_manifest(&traces, &lines).await;
    assert_eq!(verdict.summary.skipped, 1, "the line without a trace id");
}

#[tokio::test]
async fn one_root() {
    let mut trace = traces::valid(BASE + 10, t0(10));
    trace.span("save_order").parent = None;
    let verdict = assert_breaks_only(Rule::OneRoot, vec![trace], &no_tweak).await;
    assert!(
        verdict.failures[0].message.contains("2 roots"),
        "{}",
        verdict.failures[0].message
    );
}

#[tokio::test]
async fn orphan() {
    let mut trace = traces::valid(BASE + 11, t0(11));
    trace.span("save_order").parent = Some(0xdead_beef);
    let verdict = assert_breaks_only(Rule::Orphan, vec![trace.clone()], &no_tweak).await;
    assert_eq!(
        verdict.failures[0].span_id.map(|s| s.0),
        Some(trace.span_id("save_order"))
    );
    let text = verifier::render(&verdict, verifier::Format::Text, Default::default());
    assert!(
        text.contains("> order-api INTERNAL save_order"),
        "the offending span is marked:\n{text}"
    );
}

#[tokio::test]
async fn cross_service_edge() {
    // The `wrong-kind` fault: order-api's POST /payments span is INTERNAL.
    let mut trace = traces::fraud(BASE + 12, t0(12));
    trace.span("order-api:POST /payments").kind = traces::Kind::Internal;
    assert_breaks_only(Rule::CrossServiceEdge, vec![trace], &no_tweak).await;
}

#[tokio::test]
async fn child_within_parent() {
    // The `child-outlives-parent` fault: save_order ends 200 ms after its parent.
    let mut trace = traces::valid(BASE + 13, t0(13));
    let parent_end = trace.span("order-api:POST /orders").end_ns;
    trace.span("save_order").end_ns = parent_end + 200_000_000;
    let verdict = assert_breaks_only(Rule::ChildWithinParent, vec![trace], &no_tweak).await;
    assert!(
        verdict.failures[0].message.contains("ends 200.0 ms after"),
        "{}",
        verdict.failures[0].message
    );
}

#[tokio::test]
async fn duplicate_span_id() {
    let mut trace = traces::valid(BASE + 14, t0(14));
    let id = trace.span_id("fraud_check");
    trace.span("charge_payment").span_id = id;
    assert_breaks_only(Rule::DuplicateSpanId, vec![trace], &no_tweak).await;
}

#[tokio::test]
async fn error_status_missing_where_due() {
    // The `no-error-status` fault: validate_order keeps UNSET in an invalid order.
    let mut trace = traces::invalid(BASE + 15, t0(15));
    let span = trace.span("validate_order");
    span.status = 0;
    span.status_message.clear();
    assert_breaks_only(Rule::ErrorStatus, vec![trace], &no_tweak).await;
}

#[tokio::test]
async fn error_status_where_none_is_due() {
    let mut trace = traces::valid(BASE + 16, t0(16));
    trace.span("save_order").error("disk full");
    assert_breaks_only(Rule::ErrorStatus, vec![trace], &no_tweak).await;
}

#[tokio::test]
async fn span_tree_missing_span() {
    // The `skip-save-span` fault, once the store has settled.
    let mut trace = traces::valid(BASE + 17, t0(17));
    trace.remove("save_order");
    let verdict = assert_breaks_only(Rule::SpanTree, vec![trace], &no_tweak).await;
    assert!(
        verdict.failures[0]
            .message
            .contains("order-api INTERNAL save_order is missing"),
        "{}",
        verdict.failures[0].message
    );
    assert!(verdict.settle.quiet);
}

#[tokio::test]
async fn span_tree_when_propagation_is_dropped() {
    // The `drop-propagation` fault: payment spans start a trace of their own.
    let mut trace = traces::valid(BASE + 18, t0(18));
    let mut stray = TTrace {
        trace_id: BASE + 19,
        spans: Vec::new(),
    };
    for name in [
        "payment-service:POST /payments",
        "fraud_check",
        "charge_payment",
    ] {
        stray.spans.push(trace.remove(name));
    }
    stray.spans[0].parent = None;
    let lines = vec![manifest_line(&trace, 0, "valid", true, true, Some(201))];
    let m = manifest(&lines);
    let verdict = assert_breaks_only(Rule::SpanTree, vec![trace, stray], &|c| {
        c.manifest = Some(m.clone());
        c.window = None;
    })
    .await;
    assert!(verdict.failures[0].message.contains("payment-service SERVER POST /payments is missing under order-api CLIENT POST /payments (and below it:"));
    assert_eq!(
        verdict.summary.unlisted, 1,
        "the stray trace is not in the manifest"
    );
}

#[tokio::test]
async fn span_tree_unexpected_span() {
    let mut trace = traces::health(BASE + 20, t0(20));
    let mut extra = trace.spans[1].clone();
    extra.span_id += 100;
    extra.parent = Some(trace.spans[1].span_id);
    extra.kind = traces::Kind::Internal;
    extra.name = "cache_lookup".into();
    extra.attrs.clear();
    trace.spans.push(extra);
    let verdict = assert_breaks_only(Rule::SpanTree, vec![trace], &no_tweak).await;
    assert!(
        verdict.failures[0]
            .message
            .contains("unexpected span order-api INTERNAL cache_lookup")
    );
}

#[tokio::test]
async fn attributes_missing_or_mistyped() {
    let mut missing = traces::valid(BASE + 21, t0(21));
    missing.span("save_order").unset("order.id");
    assert_breaks_only(Rule::Attributes, vec![missing], &no_tweak).await;
    let mut mistyped = traces::valid(BASE + 22, t0(22));
    mistyped
        .span("validate_order")
        .set("order.quantity", s("2"));
    let verdict = assert_breaks_only(Rule::Attributes, vec![mistyped], &no_tweak).await;
    assert!(
        verdict.failures[0]
            .message
            .contains("of type string, expected int"),
        "{}",
        verdict.failures[0].message
    );
    let mut wrong_value = traces::fraud(BASE + 23, t0(23));
    wrong_value
        .span("order-api:POST /payments")
        .set("error.type", s("timeout"));
    assert_breaks_only(Rule::Attributes, vec![wrong_value], &no_tweak).await;
}

#[tokio::test]
async fn events_missing() {
    let mut trace = traces::valid(BASE + 24, t0(24));
    trace.span("save_order").events.clear();
    assert_breaks_only(Rule::Events, vec![trace], &no_tweak).await;
    let mut wrong = traces::invalid(BASE + 25, t0(25));
    wrong.span("validate_order").events[0].attrs[0].1 = s("TypeError");
    assert_breaks_only(Rule::Events, vec![wrong], &no_tweak).await;
}

#[tokio::test]
async fn assertion() {
    // The contract's assertion on save_order's id: a string (so `attributes`
    // holds) that order-api did not issue.
    let mut trace = traces::valid(BASE + 40, t0(40));
    trace.span("save_order").set("order.id", s("order-1"));
    let verdict = assert_breaks_only(Rule::Assertion, vec![trace], &no_tweak).await;
    let message = &verdict.failures[0].message;
    assert!(
        message.contains(r#"`attr:order.id glob "ord-*"` on `span[service.name="order-api""#)
            && message
                .contains(r#"observed order.id = "order-1" on order-api INTERNAL save_order"#),
        "{message}"
    );
}

#[tokio::test]
async fn http_status() {
    let mut trace = traces::valid(BASE + 26, t0(26));
    trace
        .span("order-api:POST /orders")
        .set("http.response.status_code", Val::I(500));
    let verdict = assert_breaks_only(Rule::HttpStatus, vec![trace], &no_tweak).await;
    assert!(verdict.failures[0].message.contains("= 500, expected 201"));
}

#[tokio::test]
async fn classification() {
    let mut bogus = traces::health(BASE + 27, t0(27));
    for span in &mut bogus.spans {
        span.set("loadgen.scenario", s("bogus"));
    }
    assert_breaks_only(Rule::Classification, vec![bogus], &no_tweak).await;
    let mut unknown = traces::health(BASE + 28, t0(28)).rooted_at_server();
    unknown.spans[0].name = "GET /metrics".into();
    unknown.spans[0]
        .set("http.route", s("/metrics"))
        .set("url.path", s("/metrics"));
    let verdict = assert_breaks_only(Rule::Classification, vec![unknown], &no_tweak).await;
    assert_eq!(verdict.summary.scenarios["(unclassified)"].failed, 1);
}

#[tokio::test]
async fn incomplete_when_settle_runs_out_before_the_store_settles() {
    let mut trace = traces::valid(BASE + 29, t0(29));
    trace.remove("save_order");
    // One read and no time to settle.
    let verdict = assert_breaks_only(Rule::Incomplete, vec![trace.clone()], &|c| {
        c.settle = std::time::Duration::ZERO
    })
    .await;
    assert!(!verdict.settle.quiet);
    assert!(
        verdict.failures[0]
            .message
            .contains("save_order is missing")
    );
    // A store that keeps changing (new traces keep arriving) until settle runs out.
    for api in [Api::V3, Api::V1] {
        let mock = MockJaeger::start(api, vec![trace.clone()]).await;
        mock.churn(|n| traces::health(BASE + 0x1000 + n as u128, t0(30)));
        let mut config = common::config(&mock.url);
        config.settle = std::time::Duration::from_millis(400);
        let verdict = verify(&config).await.unwrap();
        assert_eq!(rules_of(&verdict), vec![Rule::Incomplete], "{api:?}");
        assert!(!verdict.settle.quiet);
        assert!(verdict.summary.scenarios["health"].passed > 1);
    }
}

#[tokio::test]
async fn missing_trace() {
    let stored = traces::valid(BASE + 31, t0(31));
    let lost = traces::fraud(BASE + 32, t0(32));
    let also_lost = traces::health(BASE + 30, t0(30));
    let lines = vec![
        manifest_line(&stored, 0, "valid", true, true, Some(201)),
        manifest_line(&lost, 1, "fraud", true, true, Some(402)),
        manifest_line(&also_lost, 2, "health", true, true, Some(200)),
    ];
    let m = manifest(&lines);
    let verdict = assert_breaks_only(Rule::MissingTrace, vec![stored], &|c| {
        c.manifest = Some(m.clone());
        c.window = None;
    })
    .await;
    assert_eq!(verdict.failures[0].trace_id.map(|t| t.0), Some(BASE + 32));
    assert_eq!(verdict.summary.scenarios["fraud"].missing, 1);
    assert_eq!(verdict.summary.missing, 2);
    // The text report lists missing traces up to --show, like trees.
    let text = verifier::render(
        &verdict,
        verifier::Format::Text,
        verifier::TextOptions {
            max_traces: 1,
            ..Default::default()
        },
    );
    assert_eq!(text.matches("FAIL [missing-trace]").count(), 1, "{text}");
    assert!(
        text.contains("… and 1 more failures of traces the store does not hold"),
        "{text}"
    );
}

#[tokio::test]
async fn missing_from_search_but_present_by_id_is_not_missing() {
    let hidden = traces::valid(BASE + 33, t0(33));
    let lines = vec![manifest_line(&hidden, 0, "valid", true, true, Some(201))];
    let mock = MockJaeger::start(Api::V3, vec![hidden.clone()]).await;
    mock.hide_from_search(hidden.trace_id);
    let mut config = common::config(&mock.url);
    config.manifest = Some(manifest(&lines));
    config.window = None;
    let verdict = verify(&config).await.unwrap();
    assert!(
        verdict.passed(),
        "{}",
        verifier::render(&verdict, verifier::Format::Text, Default::default())
    );
    assert!(mock.counters().2 >= 1, "fetched by id");
}

#[tokio::test]
async fn unsampled_trace_stored() {
    let sampled = traces::valid(BASE + 34, t0(34));
    let unsampled = traces::health(BASE + 35, t0(35));
    let lines = vec![
        manifest_line(&sampled, 0, "valid", true, true, Some(201)),
        manifest_line(&unsampled, 1, "health", false, false, Some(200)),
    ];
    let m = manifest(&lines);
    let verdict = assert_breaks_only(Rule::UnsampledTraceStored, vec![sampled, unsampled], &|c| {
        c.manifest = Some(m.clone());
        c.window = None;
    })
    .await;
    assert_eq!(verdict.summary.unsampled_stored, 1);
    assert_eq!(verdict.traces.len(), 1, "its span tree is shown");
}

#[tokio::test]
async fn sampling_ratio() {
    let stored = traces::valid(BASE + 36, t0(36));
    let mut lines = vec![manifest_line(&stored, 0, "valid", true, true, Some(201))];
    // 399 more requests, half of them sampled (but without an answer, so no trace is due).
    for i in 1..400u64 {
        let ghost = traces::health(BASE + 0x2000 + i as u128, t0(36));
        lines.push(manifest_line(
            &ghost,
            i,
            "health",
            i % 2 == 0,
            false,
            if i % 2 == 0 { None } else { Some(200) },
        ));
    }
    let m = manifest(&lines);
    let verdict = assert_breaks_only(Rule::SamplingRatio, vec![stored.clone()], &|c| {
        c.manifest = Some(m.clone());
        c.window = None;
        c.sampling_ratio = Some(0.1);
    })
    .await;
    let test = verdict.sampling.as_ref().unwrap();
    assert_eq!((test.requests, test.sampled), (400, 200));
    assert!(test.p_value.unwrap() < 1e-6);
    // The same run is consistent with a ratio of one half.
    let verdict = run(Api::V3, &[stored], &|c| {
        c.manifest = Some(m.clone());
        c.window = None;
        c.sampling_ratio = Some(0.5);
    })
    .await;
    assert!(
        verdict.passed(),
        "{}",
        verifier::render(&verdict, verifier::Format::Text, Default::default())
    );
    assert!(verdict.sampling.unwrap().p_value.unwrap() > 0.5);
}

#[tokio::test]
async fn every_rule_of_the_contract_is_covered_here() {
    // Keeps this file honest: a rule added to the table needs a test above.
    let source = include_str!("rules.rs");
    for rule in Rule::ALL {
        let variant = format!("Rule::{rule:?}");
        assert!(
            source.contains(&variant),
            "no test breaks {rule} ({variant})"
        );
    }
}

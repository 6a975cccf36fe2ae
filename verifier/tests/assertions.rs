//! Every selector form and every assertion check, against tracestore: a
//! conforming and a broken contract trace are exported over OTLP/HTTP into a
//! real store, the verifier reads them back over the Jaeger API, and the
//! assertion holds on the first and fails on the second, naming the
//! selector, the check and what it observed.

mod common;

use std::time::{Duration, UNIX_EPOCH};

use common::traces::{TSpan, TTrace, Val, s, seconds_ago, valid};
use tracestore::{RunningTraceStore, TraceStore, TraceStoreConfig};
use verifier::spec::CONTRACT_TOML;
use verifier::{Rule, TimeWindow, Verdict, spec::Spec};

/// Exports traces into the store as an OTLP/HTTP JSON request.
async fn export(store: &RunningTraceStore, traces: &[&TTrace]) {
    let spans: Vec<serde_json::Value> = traces
        .iter()
        .flat_map(|t| common::traces::v3_resource_spans(t))
        .collect();
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/traces", store.otlp_http_endpoint()))
        .json(&serde_json::json!({ "resourceSpans": spans }))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
}

/// The conforming trace: the contract's valid order, with two extra
/// attributes on `save_order` for the attribute predicates.
fn conforming(trace_id: u128, t0: u64) -> TTrace {
    let mut t = valid(trace_id, t0);
    t.span("save_order")
        .set("test.weight", Val::I(5))
        .set("test.label", s("alpha"))
        .event("test.mark", vec![]);
    t
}

/// A copy of span `of` named `name` with a fresh id, under span `under`.
fn extra(t: &mut TTrace, of: &str, name: &str, under: &str) {
    let parent = t.span_id(under);
    let mut span: TSpan = t.span(of).clone();
    span.span_id = 0xe77a_0000 + t.spans.len() as u64;
    span.parent = Some(parent);
    span.name = name.to_owned();
    t.spans.push(span);
}

struct Case {
    selector: &'static str,
    check: &'static str,
    /// What the failure on the broken trace must say it observed.
    observed: &'static str,
    breaks: fn(&mut TTrace),
}

fn cases() -> Vec<Case> {
    vec![
        // Selector forms, each counted, broken by one more span it selects.
        Case {
            selector: r#"span[service.name="payment-service" kind=internal]"#,
            check: "count = 2",
            observed: "count 3",
            breaks: |t| {
                extra(
                    t,
                    "charge_payment",
                    "audit",
                    "payment-service:POST /payments",
                )
            },
        },
        Case {
            selector: r#"span[name="save_order"]"#,
            check: "count = 1",
            observed: "count 2",
            breaks: |t| extra(t, "save_order", "save_order", "order-api:POST /orders"),
        },
        Case {
            selector: r#"span[name glob "save_*"]"#,
            check: "count = 1",
            observed: "count 2",
            breaks: |t| {
                extra(
                    t,
                    "save_order",
                    "save_order_retry",
                    "order-api:POST /orders",
                )
            },
        },
        Case {
            selector: r#"span[kind=client]"#,
            check: "count = 2",
            observed: "count 3",
            breaks: |t| {
                extra(
                    t,
                    "order-api:POST /payments",
                    "GET /stock",
                    "order-api:POST /orders",
                )
            },
        },
        Case {
            selector: r#"span[status=error]"#,
            check: "count = 0",
            observed: "count 1",
            breaks: |t| {
                t.span("save_order").error("disk full");
            },
        },
        Case {
            selector: r#"span[service.name="order-api" kind=server] > span[name="save_order"]"#,
            check: "count = 1",
            observed: "count 2",
            breaks: |t| extra(t, "save_order", "save_order", "order-api:POST /orders"),
        },
        // A save_order below validate_order is a descendant of the SERVER
        // span, not its child: the child selector above would still count 1.
        Case {
            selector: r#"span[service.name="order-api" kind=server] span[name="save_order"]"#,
            check: "count = 1",
            observed: "count 2",
            breaks: |t| extra(t, "save_order", "save_order", "validate_order"),
        },
        Case {
            selector: "span[test.weight=5]",
            check: "count = 1",
            observed: "count 0",
            breaks: |t| set_weight(t, 6),
        },
        Case {
            selector: "span[test.weight!=6]",
            check: "count = 1",
            observed: "count 0",
            breaks: |t| set_weight(t, 6),
        },
        Case {
            selector: "span[test.weight<6]",
            check: "count = 1",
            observed: "count 0",
            breaks: |t| set_weight(t, 6),
        },
        Case {
            selector: "span[test.weight<=5]",
            check: "count = 1",
            observed: "count 0",
            breaks: |t| set_weight(t, 6),
        },
        Case {
            selector: "span[test.weight>4]",
            check: "count = 1",
            observed: "count 0",
            breaks: |t| set_weight(t, 4),
        },
        Case {
            selector: "span[test.weight>=5]",
            check: "count = 1",
            observed: "count 0",
            breaks: |t| set_weight(t, 4),
        },
        Case {
            selector: "span[test.label exists]",
            check: "count = 1",
            observed: "count 0",
            breaks: |t| {
                t.span("save_order").unset("test.label");
            },
        },
        Case {
            selector: r#"span[test.label matches "^al.*a$"]"#,
            check: "count = 1",
            observed: "count 0",
            breaks: |t| set_label(t, "beta"),
        },
        // Checks on what a selector selects.
        Case {
            selector: r#"span[name="save_order"]"#,
            check: "duration < 300us",
            observed: "duration 340.000us on order-api INTERNAL save_order",
            breaks: |t| {
                // Still within its parent (which ends 350 us after it starts).
                let span = t.span("save_order");
                span.end_ns = span.start_ns + 340_000;
            },
        },
        Case {
            selector: r#"span[name="save_order"]"#,
            check: r#"attr:test.label = "alpha""#,
            observed: r#"test.label = "beta" on order-api INTERNAL save_order"#,
            breaks: |t| set_label(t, "beta"),
        },
        Case {
            selector: r#"span[name="save_order"]"#,
            check: "attr:test.weight != 6",
            observed: "test.weight = 6",
            breaks: |t| set_weight(t, 6),
        },
        Case {
            selector: r#"span[name="save_order"]"#,
            check: "attr:test.weight < 6",
            observed: "test.weight = 7",
            breaks: |t| set_weight(t, 7),
        },
        Case {
            selector: r#"span[name="save_order"]"#,
            check: "attr:test.weight <= 5",
            observed: "test.weight = 6",
            breaks: |t| set_weight(t, 6),
        },
        Case {
            selector: r#"span[name="save_order"]"#,
            check: "attr:test.weight > 4",
            observed: "test.weight = 4",
            breaks: |t| set_weight(t, 4),
        },
        Case {
            selector: r#"span[name="save_order"]"#,
            check: "attr:test.weight >= 5",
            observed: "test.weight = 4",
            breaks: |t| set_weight(t, 4),
        },
        Case {
            selector: r#"span[name="save_order"]"#,
            check: "attr:test.label exists",
            observed: "test.label absent",
            breaks: |t| {
                t.span("save_order").unset("test.label");
            },
        },
        Case {
            selector: r#"span[name="save_order"]"#,
            check: "attr:test.secret not exists",
            observed: r#"test.secret = "x""#,
            breaks: |t| {
                t.span("save_order").set("test.secret", s("x"));
            },
        },
        Case {
            selector: r#"span[name="save_order"]"#,
            check: r#"attr:order.id matches "^ord-[0-9]+$""#,
            observed: r#"order.id = "ORD-1""#,
            breaks: |t| {
                t.span("save_order").set("order.id", s("ORD-1"));
            },
        },
        Case {
            selector: r#"span[name="save_order"]"#,
            check: r#"attr:order.id glob "ord-?""#,
            observed: r#"order.id = "ord-12""#,
            breaks: |t| {
                t.span("save_order").set("order.id", s("ord-12"));
            },
        },
        Case {
            selector: r#"span[name="save_order"]"#,
            check: "status = unset",
            observed: r#"status = "ok""#,
            breaks: |t| t.span("save_order").status = 1,
        },
        Case {
            selector: r#"span[name="save_order"]"#,
            check: "event:test.mark exists",
            observed: "events [order.saved] on order-api INTERNAL save_order",
            breaks: |t| {
                t.span("save_order")
                    .events
                    .retain(|e| e.name != "test.mark")
            },
        },
        Case {
            selector: r#"span[name="save_order"]"#,
            check: "event:order.lost not exists",
            observed: "order.lost",
            breaks: |t| {
                t.span("save_order").event("order.lost", vec![]);
            },
        },
        Case {
            selector: r#"span[name="no_such_span"]"#,
            check: "count = 0",
            observed: "count 1",
            breaks: |t| extra(t, "save_order", "no_such_span", "order-api:POST /orders"),
        },
    ]
}

fn set_weight(t: &mut TTrace, weight: i64) {
    t.span("save_order").set("test.weight", Val::I(weight));
}

fn set_label(t: &mut TTrace, label: &str) {
    t.span("save_order").set("test.label", s(label));
}

fn explain(verdict: &Verdict) -> String {
    verifier::render(verdict, verifier::Format::Text, Default::default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_selector_and_check_holds_on_a_conforming_trace_and_fails_on_a_broken_one() {
    let store = TraceStore::start(TraceStoreConfig::ephemeral())
        .await
        .unwrap();
    let base = seconds_ago(1000);
    for (i, case) in cases().into_iter().enumerate() {
        // Each case in its own 10 s of the store, read through its own window.
        let t0 = base + i as u64 * 10_000_000_000;
        let good = conforming(0xa000 + 2 * i as u128, t0);
        let mut bad = conforming(0xa001 + 2 * i as u128, t0 + 1_000_000);
        (case.breaks)(&mut bad);
        export(&store, &[&good, &bad]).await;

        let toml = format!(
            "{CONTRACT_TOML}\n[[assertion]]\nscenario = \"valid\"\nselector = '{}'\nchecks = ['{}']\n",
            case.selector, case.check
        );
        let mut config = common::config(&store.query_url());
        config.spec = Spec::from_toml(&toml, "test").unwrap();
        config.window = Some(TimeWindow::Between {
            start: UNIX_EPOCH + Duration::from_nanos(t0 - 1_000_000_000),
            end: UNIX_EPOCH + Duration::from_nanos(t0 + 5_000_000_000),
        });
        let verdict = verifier::verify(&config).await.unwrap();
        let context = format!("{} `{}`:\n{}", case.selector, case.check, explain(&verdict));
        assert_eq!(verdict.summary.checked, 2, "{context}");
        let ours = |trace: u128| {
            verdict
                .failures_of(Rule::Assertion)
                .filter(move |f| f.trace_id.is_some_and(|id| id.0 == trace))
                .filter(|f| f.message.contains(&format!("on `{}`", case.selector)))
                .collect::<Vec<_>>()
        };
        assert!(
            verdict
                .failures
                .iter()
                .all(|f| f.trace_id.is_some_and(|id| id.0 == bad.trace_id)),
            "the conforming trace passes: {context}"
        );
        let failed = ours(bad.trace_id);
        assert_eq!(failed.len(), 1, "the broken trace fails once: {context}");
        let message = &failed[0].message;
        assert!(
            message.contains(&format!("`{}`", case.check)) && message.contains(case.observed),
            "{message} names the check and `{}`",
            case.observed
        );
        assert!(!verdict.passed(), "{context}");
    }
    store.shutdown().await;
}

#[test]
fn spec_errors_in_selectors_checks_and_thresholds_name_line_and_column() {
    for (extra, line, column, words) in [
        (
            "[[assertion]]\nselector = 'span[name=\"a\"'\nchecks = ['count = 1']\n",
            2,
            Some(26),
            "`]`",
        ),
        (
            "[[assertion]]\nselector = 'span'\nchecks = ['count = 1', 'durationx < 1ms']\n",
            3,
            Some(25),
            "expected count",
        ),
        (
            "[[threshold]]\ncheck = 'p99(duration of span[kind=sever]) < 1ms'\n",
            2,
            Some(36),
            "not one of",
        ),
        (
            "[[threshold]]\nscenario = \"nope\"\ncheck = 'rate(passed) = 1'\n",
            2,
            None,
            "not defined",
        ),
    ] {
        let toml = format!("{CONTRACT_TOML}\n{extra}");
        let offset = CONTRACT_TOML.lines().count() + 1;
        let err = Spec::from_toml(&toml, "x.toml").unwrap_err();
        assert_eq!(err.line, Some(offset + line), "{extra}: {err}");
        assert_eq!(err.column, column, "{extra}: {err}");
        assert!(err.to_string().contains(words), "{err}");
    }
}

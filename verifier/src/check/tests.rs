use super::*;
use crate::model::{AttrValue, SpanKind, StatusCode, TraceId};

/// A span with no attributes, status or events (also built by other modules' tests).
pub(crate) fn span(
    id: u64,
    parent: Option<u64>,
    service: &str,
    kind: SpanKind,
    name: &str,
    start: u64,
    end: u64,
) -> Span {
    Span {
        span_id: SpanId(id),
        parent: parent.map(SpanId),
        name: name.to_owned(),
        kind,
        service: service.to_owned(),
        start_ns: start,
        end_ns: end,
        status: StatusCode::Unset,
        status_message: String::new(),
        attributes: Vec::new(),
        events: Vec::new(),
    }
}

fn server_attrs(route: &str, code: i64) -> Vec<(String, AttrValue)> {
    vec![
        ("http.request.method".into(), AttrValue::Str("GET".into())),
        ("http.route".into(), AttrValue::Str(route.into())),
        ("url.path".into(), AttrValue::Str(route.into())),
        ("url.scheme".into(), AttrValue::Str("http".into())),
        ("http.response.status_code".into(), AttrValue::Int(code)),
    ]
}

/// A health check as order-api alone records it (no loadgen span).
fn health(parent: Option<u64>) -> Trace {
    let mut server = span(
        2,
        parent,
        "order-api",
        SpanKind::Server,
        "GET /health",
        1_000,
        2_000,
    );
    server.attributes = server_attrs("/health", 200);
    Trace {
        trace_id: TraceId(7),
        spans: vec![server],
        warnings: Vec::new(),
    }
}

#[test]
fn an_absent_optional_root_is_accepted() {
    let spec = Spec::contract();
    let outcome = Checker::new(&spec).check(&health(None), &TraceContext::default());
    assert!(outcome.passed(), "{:?}", outcome.findings);
    assert_eq!(outcome.scenario.as_deref(), Some("health"));
}

#[test]
fn the_accepted_parent_makes_a_root_and_only_it_does() {
    let spec = Spec::contract();
    let checker = Checker::new(&spec);
    let context = TraceContext {
        scenario: Some("health"),
        accepted_parent: Some(SpanId(1)),
    };
    assert!(checker.check(&health(Some(1)), &context).passed());
    let outcome = checker.check(&health(Some(1)), &TraceContext::default());
    assert_eq!(
        outcome.findings.iter().map(|f| f.rule).collect::<Vec<_>>(),
        vec![Rule::Orphan]
    );
}

#[test]
fn missing_spans_break_the_chosen_rule_and_are_counted() {
    let spec = Spec::contract();
    let mut trace = health(None);
    trace.spans[0].name = "POST /orders".into();
    trace.spans[0].attributes = server_attrs("/orders", 201);
    let context = TraceContext {
        scenario: Some("valid"),
        accepted_parent: None,
    };
    let outcome = Checker::new(&spec)
        .with_missing_rule(Rule::Incomplete)
        .check(&trace, &context);
    assert_eq!(outcome.missing_spans, 6);
    let rules: Vec<Rule> = outcome.findings.iter().map(|f| f.rule).collect();
    // validate_order, POST /payments (with its subtree named in the message), save_order.
    assert_eq!(rules, vec![Rule::Incomplete; 3], "{:?}", outcome.findings);
    assert!(
        outcome.findings[1].message.contains(
            "order-api CLIENT POST /payments is missing under order-api SERVER POST /orders \
             (and below it: payment-service SERVER POST /payments, \
             payment-service INTERNAL fraud_check, payment-service INTERNAL charge_payment)"
        ),
        "{}",
        outcome.findings[1].message
    );
}

/// Two missing spans of one name (a CLIENT span and the SERVER span it
/// calls) are told apart by service and kind in the message.
#[test]
fn missing_spans_of_one_name_are_named_with_service_and_kind() {
    let spec = Spec::from_toml(
        r#"
name = "two-of-a-name"
services = ["gateway", "inventory"]

[[scenario]]
name = "quote"

[[scenario.span]]
id = "gateway"
service = "gateway"
kind = "server"
name = "GET /quote"

[[scenario.span]]
id = "stock"
parent = "gateway"
service = "gateway"
kind = "client"
name = "GET /stock"

[[scenario.span]]
id = "inventory"
parent = "stock"
service = "inventory"
kind = "server"
name = "GET /stock"

[[scenario.span]]
id = "server"
parent = "gateway"
service = "gateway"
kind = "internal"
name = "price"

[[scenario.span]]
id = "below-price"
parent = "server"
service = "gateway"
kind = "internal"
name = "GET /stock"
"#,
        "test spec",
    )
    .expect("test spec");
    let trace = Trace {
        trace_id: TraceId(9),
        spans: vec![span(
            1,
            None,
            "gateway",
            SpanKind::Server,
            "GET /quote",
            0,
            10,
        )],
        warnings: Vec::new(),
    };
    let context = TraceContext {
        scenario: Some("quote"),
        accepted_parent: None,
    };
    let outcome = Checker::new(&spec).check(&trace, &context);
    let messages: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        messages,
        vec![
            "gateway CLIENT GET /stock is missing under gateway SERVER GET /quote \
             (and below it: inventory SERVER GET /stock)",
            "gateway INTERNAL price is missing under gateway SERVER GET /quote \
             (and below it: gateway INTERNAL GET /stock)",
        ],
        "{:?}",
        outcome.findings
    );
    assert!(outcome.findings.iter().all(|f| f.rule == Rule::SpanTree));
}

#[test]
fn the_clock_skew_allowance_is_honoured() {
    let spec = Spec::contract();
    let mut trace = health(None);
    let mut child = span(
        3,
        Some(2),
        "order-api",
        SpanKind::Internal,
        "x",
        1_000,
        2_000 + 15_000_000,
    );
    child.attributes.clear();
    trace.spans.push(child);
    let strict = Checker::new(&spec).check(&trace, &TraceContext::default());
    assert!(
        strict
            .findings
            .iter()
            .any(|f| f.rule == Rule::ChildWithinParent)
    );
    let lenient = Checker::new(&spec)
        .with_clock_skew(Duration::from_millis(20))
        .check(&trace, &TraceContext::default());
    assert!(
        !lenient
            .findings
            .iter()
            .any(|f| f.rule == Rule::ChildWithinParent)
    );
}

#[test]
fn rule_names_are_the_contracts() {
    let names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
    assert_eq!(names.len(), 16);
    for rule in Rule::ALL {
        assert_eq!(serde_json::to_value(rule).unwrap(), rule.name());
    }
}

#[test]
fn a_parent_cycle_beside_the_root_breaks_one_root() {
    let spec = Spec::contract();
    let mut trace = health(None);
    // Two spans that name each other as parent: reachable from no root.
    for (id, parent) in [(10, 11), (11, 10)] {
        trace.spans.push(span(
            id,
            Some(parent),
            "order-api",
            SpanKind::Internal,
            "loop",
            1_200,
            1_800,
        ));
    }
    let outcome = Checker::new(&spec).check(&trace, &TraceContext::default());
    let cycles: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| f.rule == Rule::OneRoot)
        .collect();
    assert_eq!(cycles.len(), 1, "{:?}", outcome.findings);
    assert!(
        cycles[0].message.contains("form a cycle"),
        "{}",
        cycles[0].message
    );
    assert!(!cycles[0].message.starts_with("no root"));
    // The spans in the cycle are flagged: the tree match does not report them again.
    assert!(
        outcome.findings.iter().all(|f| f.rule == Rule::OneRoot),
        "{:?}",
        outcome.findings
    );

    // A trace that is nothing but a cycle has no root at all.
    trace.spans.remove(0);
    let outcome = Checker::new(&spec).check(&trace, &TraceContext::default());
    assert!(
        outcome
            .findings
            .iter()
            .any(|f| f.rule == Rule::OneRoot && f.message.starts_with("no root: ")),
        "{:?}",
        outcome.findings
    );
}

#[test]
fn a_hand_built_scenario_without_spans_does_not_panic() {
    // Spec's fields are public: a library user can build what from_toml refuses.
    let mut spec = Spec::contract();
    for scenario in &mut spec.scenarios {
        scenario.spans.clear();
    }
    let outcome = Checker::new(&spec).check(&health(None), &TraceContext::default());
    assert_eq!(outcome.scenario.as_deref(), Some("health"));
    assert!(
        outcome.findings.iter().all(|f| f.rule == Rule::SpanTree),
        "every span is unexpected: {:?}",
        outcome.findings
    );
    assert!(!outcome.passed());
}

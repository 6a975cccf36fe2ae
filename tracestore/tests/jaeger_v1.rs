//! The Jaeger v1 JSON API, read over HTTP after real OTLP exports.

mod common;

use common::*;
use serde_json::{Value, json};
use tracestore::{RunningTraceStore, TraceStore, TraceStoreConfig};

async fn store() -> RunningTraceStore {
    TraceStore::start(TraceStoreConfig::ephemeral())
        .await
        .expect("store starts")
}

fn s(key: &str, value: &str) -> Value {
    json!({"key": key, "type": "string", "value": value})
}
fn i(key: &str, value: i64) -> Value {
    json!({"key": key, "type": "int64", "value": value})
}
/// A float64 tag; `value` is the number as Go writes it (`25000`, `0.25`).
fn f(key: &str, value: &str) -> Value {
    let number: Value = serde_json::from_str(value).expect("a JSON number");
    json!({"key": key, "type": "float64", "value": number})
}
fn b(key: &str, value: bool) -> Value {
    json!({"key": key, "type": "bool", "value": value})
}
fn child_of(span: u64) -> Value {
    json!({"refType": "CHILD_OF", "traceID": TRACE_HEX, "spanID": sid(span)})
}
fn order_scope() -> Vec<Value> {
    vec![
        s("otel.scope.name", "order-api"),
        s("otel.scope.version", "1.2.3"),
    ]
}
fn error_tags(description: Option<&str>) -> Vec<Value> {
    let mut t = vec![s("otel.status_code", "ERROR"), b("error", true)];
    t.extend(description.map(|d| s("otel.status_description", d)));
    t
}

#[allow(clippy::too_many_arguments)]
fn span(
    id: u64,
    name: &str,
    refs: Vec<Value>,
    start_ns: u64,
    end_ns: u64,
    tags: Vec<Vec<Value>>,
    logs: Value,
    process: &str,
    warnings: Value,
) -> Value {
    json!({
        "traceID": TRACE_HEX,
        "spanID": sid(id),
        "operationName": name,
        "references": refs,
        "startTime": T0_US + start_ns / 1000,
        "duration": (end_ns - start_ns) / 1000,
        "tags": tags.concat(),
        "logs": logs,
        "processID": process,
        "warnings": warnings,
    })
}

/// The fraud-order trace as Jaeger's v1 API shows it (adjusted).
fn expected_fraud_trace() -> Value {
    let ts = vec![s("w3c.tracestate", "vendor=abc")];
    let validate = span(
        VALIDATE,
        "validate_order",
        vec![child_of(ORDER_SERVER)],
        1_234_567,
        2_345_678,
        vec![
            order_scope(),
            vec![
                f("order.amount", "25000"),
                s("order.customer_id", "CUST-SHADY"),
                s("order.item", "Watch"),
                i("order.quantity", 1),
                s("span.kind", "internal"),
            ],
            error_tags(Some("amount must be positive")),
            ts.clone(),
        ],
        json!([{"timestamp": T0_US + 1500, "fields": [
            s("event", "exception"),
            s("exception.message", "amount must be positive"),
            s("exception.type", "ValidationError"),
        ]}]),
        "p1",
        Value::Null,
    );
    let client = span(
        ORDER_CLIENT,
        "POST /payments",
        vec![
            child_of(ORDER_SERVER),
            json!({"refType": "FOLLOWS_FROM", "traceID": format!("{LINKED_TRACE:032x}"), "spanID": sid(LINKED_SPAN)}),
            child_of(VALIDATE),
        ],
        3_000_000,
        40_000_000,
        vec![
            order_scope(),
            vec![
                s("error.type", "402"),
                s("http.request.method", "POST"),
                i("http.response.status_code", 402),
                s("server.address", "127.0.0.1"),
                i("server.port", 8001),
                s("url.full", "http://127.0.0.1:8001/payments"),
                s("span.kind", "client"),
            ],
            error_tags(None),
            ts.clone(),
        ],
        json!([]),
        "p1",
        Value::Null,
    );
    let server = span(
        ORDER_SERVER,
        "POST /orders",
        vec![child_of(REMOTE_PARENT)],
        0,
        50_000_000,
        vec![
            order_scope(),
            vec![
                // Past 2^53: a string.
                json!({"key": "big.count", "type": "int64", "value": "9007199254740993"}),
                b("cache.hit", true),
                s("http.request.method", "POST"),
                i("http.response.status_code", 402),
                s("http.route", "/orders"),
                s("loadgen.scenario", "fraud"),
                s("order.tags", r#"["a","b"]"#),
                f("sample.ratio", "0.25"),
                s("url.path", "/orders"),
                s("url.scheme", "http"),
                s("span.kind", "server"),
            ],
            ts.clone(),
        ],
        json!([]),
        "p1",
        json!([
            "parent span ID=00f067aa0ba902b7 is not in the trace; skipping clock skew adjustment"
        ]),
    );
    let pay_scope = vec![s("otel.scope.name", "payment-service")];
    let fraud = span(
        FRAUD,
        "fraud_check",
        vec![child_of(PAY_SERVER)],
        6_000_000,
        8_000_000,
        vec![
            pay_scope.clone(),
            vec![f("payment.amount", "25000.5"), s("span.kind", "internal")],
            error_tags(Some("fraud suspected")),
            ts.clone(),
        ],
        // Events sorted by name: the unnamed one first, without an `event`.
        json!([
            {"timestamp": T0_US + 7000, "fields": [s("note", "unnamed")]},
            {"timestamp": T0_US + 6500, "fields": [
                s("event", "fraud.detected"),
                i("fraud.threshold", 10000),
                f("payment.amount", "25000.5"),
            ]},
        ]),
        "p2",
        Value::Null,
    );
    let publish = span(
        PUBLISH,
        "payment.events publish",
        vec![child_of(PAY_SERVER)],
        8_500_000,
        9_000_000,
        vec![
            pay_scope.clone(),
            vec![s("messaging.system", "kafka"), s("span.kind", "producer")],
            ts.clone(),
        ],
        json!([]),
        "p2",
        Value::Null,
    );
    let pay_server = span(
        PAY_SERVER,
        "POST /payments",
        vec![child_of(ORDER_CLIENT)],
        5_000_000,
        38_000_000,
        vec![
            pay_scope,
            vec![
                s("http.request.method", "POST"),
                i("http.response.status_code", 402),
                s("http.route", "/payments"),
                s("span.kind", "server"),
                s("otel.status_code", "OK"),
            ],
            ts,
        ],
        json!([]),
        "p2",
        Value::Null,
    );
    json!({
        "traceID": TRACE_HEX,
        "spans": [validate, client, server, fraud, publish, pay_server],
        "processes": {
            "p1": {"serviceName": "order-api", "tags": [
                s("deployment.environment", "test"),
                s("host.name", "host-a"),
            ]},
            "p2": {"serviceName": "payment-service", "tags": [
                s("host.name", "host-b"),
                i("process.pid", 4242),
            ]},
        },
        "warnings": null,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_reads_back_with_every_field() {
    let store = store().await;
    export_fraud_order(
        &store,
        Transport::Grpc { gzip: true },
        Transport::HttpProtobuf { gzip: false },
    )
    .await;
    let base = store.query_url();

    let res = get(&format!("{base}/api/traces/{TRACE_HEX}")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.content_type, "application/json");
    let expected = json!({
        "data": [expected_fraud_trace()],
        "total": 0, "limit": 0, "offset": 0, "errors": null,
    });
    assert_json_eq(&res.json(), &expected);
    // Go's field order and compact layout.
    let prefix = format!(
        r#"{{"data":[{{"traceID":"{TRACE_HEX}","spans":[{{"traceID":"{TRACE_HEX}","spanID":"00000000000000a2","operationName":"validate_order","references":[{{"refType":"CHILD_OF","#
    );
    assert!(res.body.starts_with(&prefix), "{}", res.body);
    assert!(
        res.body
            .ends_with(r#""warnings":null}],"total":0,"limit":0,"offset":0,"errors":null}"#)
    );

    // The same trace found by a search.
    let window = format!("start={}&end={}", T0_US, T0_US + 60_000_000);
    let res = get(&format!(
        "{base}/api/traces?service=payment-service&{window}"
    ))
    .await;
    assert_eq!(res.json()["data"], json!([expected_fraud_trace()]));

    // Raw: no adjusters, so attributes keep their order and nothing warns.
    let raw = get(&format!("{base}/api/traces/{TRACE_HEX}?raw=true"))
        .await
        .json();
    let server = &raw["data"][0]["spans"][2];
    assert_eq!(server["spanID"], sid(ORDER_SERVER));
    assert_eq!(server["tags"][2], s("http.request.method", "POST"));
    assert_eq!(server["warnings"], Value::Null);

    // prettyPrint indents by four spaces.
    let pretty = get(&format!("{base}/api/traces/{TRACE_HEX}?prettyPrint=true")).await;
    assert!(
        pretty
            .body
            .starts_with("{\n    \"data\": [\n        {\n            \"traceID\"")
    );
    assert_eq!(pretty.json(), expected);
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_and_operations() {
    let store = store().await;
    let base = store.query_url();
    let empty = get(&format!("{base}/api/services")).await;
    assert_eq!(
        empty.body,
        r#"{"data":[],"total":0,"limit":0,"offset":0,"errors":null}"#
    );
    export_fraud_order(
        &store,
        Transport::HttpJson { gzip: false },
        Transport::Grpc { gzip: false },
    )
    .await;
    let res = get(&format!("{base}/api/services")).await;
    assert_eq!(
        res.body,
        r#"{"data":["order-api","payment-service"],"total":2,"limit":0,"offset":0,"errors":null}"#
    );
    let res = get(&format!("{base}/api/services/order-api/operations")).await;
    assert_eq!(
        res.body,
        r#"{"data":["POST /orders","POST /payments","validate_order"],"total":3,"limit":0,"offset":0,"errors":null}"#
    );
    // Jaeger answers `null` data for an unknown service here.
    let res = get(&format!("{base}/api/services/nope/operations")).await;
    assert_eq!(
        res.body,
        r#"{"data":null,"total":0,"limit":0,"offset":0,"errors":null}"#
    );
    let res = get(&format!("{base}/api/operations?service=payment-service")).await;
    assert_eq!(
        res.json()["data"],
        json!([
            {"name": "POST /payments", "spanKind": "server"},
            {"name": "fraud_check", "spanKind": "internal"},
            {"name": "payment.events publish", "spanKind": "producer"},
        ])
    );
    assert_eq!(res.json()["total"], 3);
    let res = get(&format!(
        "{base}/api/operations?service=payment-service&spanKind=producer"
    ))
    .await;
    assert_eq!(
        res.json()["data"],
        json!([{"name": "payment.events publish", "spanKind": "producer"}])
    );
    let res = get(&format!("{base}/api/operations")).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.content_type, "text/plain; charset=utf-8");
    assert_eq!(
        res.body,
        "{\"data\":null,\"total\":0,\"limit\":0,\"offset\":0,\"errors\":[{\"code\":400,\"msg\":\"parameter 'service' is required\"}]}\n"
    );
    store.shutdown().await;
}

/// The v1 trace ids of a search, in answer order.
async fn search(base: &str, params: &str) -> Vec<String> {
    let res = get(&format!("{base}/api/traces?{params}")).await;
    assert_eq!(res.status, 200, "{params}: {}", res.body);
    res.json()["data"]
        .as_array()
        .expect("data array")
        .iter()
        .map(|t| t["traceID"].as_str().expect("traceID").to_owned())
        .collect()
}

/// v1 rendering of the fixture ids.
fn v1(id: &str) -> String {
    id.trim_start_matches("0000000000000000").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_search_parameter() {
    let store = store().await;
    ingest_search_fixture(&store).await;
    let base = store.query_url();
    let window = format!("start={}&end={}", T0_US, T0_US + 10_000_000);
    let ids = |v: &[&str]| v.iter().map(|id| v1(id)).collect::<Vec<_>>();

    assert_eq!(
        search(&base, &format!("service=svc-a&{window}")).await,
        ids(&[C, B, A])
    );
    assert_eq!(
        search(&base, &format!("service=svc-b&{window}")).await,
        ids(&[D])
    );
    // `end` defaults to now.
    assert_eq!(
        search(&base, "service=svc-a&start=0").await,
        ids(&[E, C, B, A])
    );
    assert_eq!(
        search(
            &base,
            &format!(
                "service=svc-a&start={}&end={}",
                T0_US,
                T0_US + 7_200_000_000
            )
        )
        .await,
        ids(&[E, C, B, A])
    );
    assert_eq!(
        search(&base, &format!("service=svc-a&operation=GET%20/a&{window}")).await,
        ids(&[C, A])
    );
    let tags = "tags=%7B%22http.status%22%3A%22500%22%7D";
    assert_eq!(
        search(&base, &format!("service=svc-a&{tags}&{window}")).await,
        ids(&[B])
    );
    assert_eq!(
        search(
            &base,
            &format!("service=svc-a&tag=http.status:500&{window}")
        )
        .await,
        ids(&[B])
    );
    assert_eq!(
        search(&base, &format!("service=svc-a&tag=route:x:y&{window}")).await,
        ids(&[B])
    );
    assert_eq!(
        search(&base, &format!("service=svc-a&tag=error:true&{window}")).await,
        ids(&[B])
    );
    assert_eq!(
        search(&base, &format!("service=svc-a&tag=error:false&{window}")).await,
        ids(&[C, A])
    );
    assert_eq!(
        search(&base, &format!("service=svc-a&minDuration=50ms&{window}")).await,
        ids(&[C, B])
    );
    assert_eq!(
        search(&base, &format!("service=svc-a&maxDuration=50ms&{window}")).await,
        ids(&[A])
    );
    assert_eq!(
        search(
            &base,
            &format!("service=svc-a&minDuration=50ms&maxDuration=0.5s&{window}")
        )
        .await,
        ids(&[B])
    );
    assert_eq!(
        search(&base, &format!("service=svc-a&limit=2&{window}")).await,
        ids(&[C, B])
    );
    // `lookback` is ignored by the search, as in Jaeger.
    assert_eq!(
        search(&base, &format!("service=svc-a&lookback=1h&{window}")).await,
        ids(&[C, B, A])
    );
    assert_eq!(
        search(&base, &format!("service=nobody&{window}")).await,
        Vec::<String>::new()
    );

    // traceID: the named traces, missing ones reported in `errors`.
    let res = get(&format!("{base}/api/traces?traceID={}&traceID=ffff", v1(A))).await;
    assert_eq!(res.status, 200);
    let body = res.json();
    assert_eq!(body["data"][0]["traceID"], v1(A));
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        body["errors"],
        json!([{"msg": "trace not found", "traceID": "000000000000ffff"}])
    );

    // raw=true skips the sorting adjuster.
    let raw = get(&format!(
        "{base}/api/traces?service=svc-a&raw=true&tag=route:x:y&{window}"
    ))
    .await
    .json();
    let keys: Vec<&str> = raw["data"][0]["spans"][0]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert_eq!(&keys[1..5], ["http.status", "route", "z", "a"]);
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_search_window_is_the_last_two_days() {
    let store = store().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let recent = TestSpan {
        trace: A,
        span: "0000000000000001",
        name: "recent",
        kind: 1,
        start: now - 3600 * SEC,
        duration: MS,
        attrs: vec![],
        status: 0,
    };
    let old = TestSpan {
        trace: B,
        name: "old",
        start: now - 72 * 3600 * SEC,
        ..recent.clone()
    };
    post_otlp_json(&store, otlp_json("svc", &[recent, old])).await;
    assert_eq!(search(&store.query_url(), "service=svc").await, vec![v1(A)]);
    store.shutdown().await;
}

/// An error answer: status, Go's text/plain label, the envelope.
async fn expect_error(url: &str, status: u16, msg: &str) {
    let res = get(url).await;
    assert_eq!(res.status, status, "{url}: {}", res.body);
    assert_eq!(res.content_type, "text/plain; charset=utf-8");
    let expected = json!({"data": null, "total": 0, "limit": 0, "offset": 0, "errors": [{"code": status, "msg": msg}]});
    assert_eq!(res.json(), expected, "{url}");
    assert!(res.body.ends_with("}]}\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_parameters_get_jaegers_errors() {
    let store = store().await;
    ingest_search_fixture(&store).await;
    let base = store.query_url();
    let t = format!("{base}/api/traces");
    expect_error(
        &format!("{t}?start=0"),
        400,
        "parameter 'service' is required",
    )
    .await;
    expect_error(
        &format!("{t}?service=s&start=yesterday"),
        400,
        "unable to parse param 'start': strconv.ParseInt: parsing \"yesterday\": invalid syntax",
    )
    .await;
    expect_error(
        &format!("{t}?service=s&end=1.5"),
        400,
        "unable to parse param 'end': strconv.ParseInt: parsing \"1.5\": invalid syntax",
    )
    .await;
    expect_error(
        &format!("{t}?service=s&limit=ten"),
        400,
        "strconv.ParseInt: parsing \"ten\": invalid syntax",
    )
    .await;
    expect_error(
        &format!("{t}?service=s&limit=9999999999"),
        400,
        "strconv.ParseInt: parsing \"9999999999\": value out of range",
    )
    .await;
    expect_error(
        &format!("{t}?service=s&minDuration=fast"),
        400,
        "unable to parse param 'minDuration': time: invalid duration \"fast\"",
    )
    .await;
    expect_error(
        &format!("{t}?service=s&maxDuration=10"),
        400,
        "unable to parse param 'maxDuration': time: missing unit in duration \"10\"",
    )
    .await;
    expect_error(
        &format!("{t}?service=s&minDuration=2s&maxDuration=1s"),
        400,
        "'maxDuration' should be greater than 'minDuration'",
    )
    .await;
    expect_error(
        &format!("{t}?service=s&tag=nocolon"),
        400,
        "malformed 'tag' parameter, expecting key:value, received: nocolon",
    )
    .await;
    expect_error(
        &format!("{t}?service=s&tags=%7B%22a%22%3A1%7D"),
        400,
        "malformed 'tags' parameter, cannot unmarshal JSON: json: cannot unmarshal number into Go value of type string",
    )
    .await;
    expect_error(
        &format!("{t}?service=s&tags=%7B"),
        400,
        "malformed 'tags' parameter, cannot unmarshal JSON: unexpected end of JSON input",
    )
    .await;
    expect_error(
        &format!("{t}?traceID=xyz"),
        400,
        "cannot parse traceID param: strconv.ParseUint: parsing \"xyz\": invalid syntax",
    )
    .await;
    expect_error(
        &format!("{t}?service=s&raw=maybe"),
        400,
        "unable to parse param 'raw': strconv.ParseBool: parsing \"maybe\": invalid syntax",
    )
    .await;
    expect_error(
        &format!("{t}?service=s&limit=0"),
        500,
        "search depth must be greater than 0 and less than max traces",
    )
    .await;

    // GET /api/traces/{id}
    expect_error(&format!("{t}/ffffffffffffffff"), 404, "trace not found").await;
    expect_error(
        &format!("{t}/g!"),
        400,
        "strconv.ParseUint: parsing \"g!\": invalid syntax",
    )
    .await;
    // Not hex, but raw base64 of two bytes: Jaeger reports the length.
    expect_error(&format!("{t}/xyz"), 400, "invalid length for TraceID").await;
    expect_error(
        &format!("{t}/{}", "f".repeat(33)),
        400,
        &format!(
            "TraceID cannot be longer than 32 hex characters: {}",
            "f".repeat(33)
        ),
    )
    .await;
    expect_error(
        &format!("{t}/{}?start=soon", v1(A)),
        400,
        "unable to parse param 'start': strconv.ParseInt: parsing \"soon\": invalid syntax",
    )
    .await;
    // Leading zeros are optional; base64 is accepted too.
    assert_eq!(get(&format!("{t}/a")).await.status, 200);
    assert_eq!(get(&format!("{t}/{A}")).await.status, 200);
    let b64 = "AAAAAAAAAAsAAAAAAAAACw=="; // trace B
    let res = get(&format!("{t}/{}", b64.replace('=', "%3D"))).await;
    assert_eq!(res.json()["data"][0]["traceID"], B);

    // Routing: Go's ServeMux answers.
    let res = get(&format!("{base}/api/nothing")).await;
    assert_eq!(
        (res.status, res.body.as_str()),
        (404, "404 page not found\n")
    );
    let res = post(&t, &[], Vec::new()).await;
    assert_eq!(
        (res.status, res.body.as_str()),
        (405, "Method Not Allowed\n")
    );
    store.shutdown().await;
}

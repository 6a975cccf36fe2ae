//! The Jaeger `/api/v3` API (OTLP JSON), read over HTTP after real OTLP
//! exports.

mod common;

use common::*;
use serde_json::{Value, json};
use tracestore::{RunningTraceStore, TraceStore, TraceStoreConfig};

async fn store() -> RunningTraceStore {
    TraceStore::start(TraceStoreConfig::ephemeral())
        .await
        .expect("store starts")
}

fn kv(key: &str, value: Value) -> Value {
    json!({"key": key, "value": value})
}
fn s(key: &str, v: &str) -> Value {
    kv(key, json!({"stringValue": v}))
}
fn int(key: &str, v: i64) -> Value {
    kv(key, json!({"intValue": v.to_string()}))
}
/// A double; `v` is the number as Go writes it (`25000`, `0.25`).
fn dbl(key: &str, v: &str) -> Value {
    let number: Value = serde_json::from_str(v).expect("a JSON number");
    kv(key, json!({"doubleValue": number}))
}
fn ns(offset: u64) -> String {
    (T0_NS + offset).to_string()
}

/// The fraud-order trace as Jaeger's v3 API shows it (adjusted: sorted
/// attributes and events, the orphan warning on the root).
fn expected_result() -> Value {
    let base = |id: u64, parent: u64, flags: u32, name: &str, kind: u8, start: u64, end: u64| {
        json!({
            "traceId": TRACE_HEX,
            "spanId": sid(id),
            "traceState": "vendor=abc",
            "parentSpanId": sid(parent),
            "flags": flags,
            "name": name,
            "kind": kind,
            "startTimeUnixNano": ns(start),
            "endTimeUnixNano": ns(end),
        })
    };
    let with = |mut span: Value, extra: Value| {
        for (k, v) in extra.as_object().unwrap() {
            span[k] = v.clone();
        }
        span
    };
    let validate = with(
        base(
            VALIDATE,
            ORDER_SERVER,
            257,
            "validate_order",
            1,
            1_234_567,
            2_345_678,
        ),
        json!({
            "attributes": [
                dbl("order.amount", "25000"),
                s("order.customer_id", "CUST-SHADY"),
                s("order.item", "Watch"),
                int("order.quantity", 1),
            ],
            "events": [{
                "timeUnixNano": ns(1_500_000),
                "name": "exception",
                "attributes": [
                    s("exception.message", "amount must be positive"),
                    s("exception.type", "ValidationError"),
                ],
            }],
            "status": {"message": "amount must be positive", "code": 2},
        }),
    );
    let client = with(
        base(
            ORDER_CLIENT,
            ORDER_SERVER,
            257,
            "POST /payments",
            3,
            3_000_000,
            40_000_000,
        ),
        json!({
            "attributes": [
                s("error.type", "402"),
                s("http.request.method", "POST"),
                int("http.response.status_code", 402),
                s("server.address", "127.0.0.1"),
                int("server.port", 8001),
                s("url.full", "http://127.0.0.1:8001/payments"),
            ],
            "links": [
                {
                    "traceId": format!("{LINKED_TRACE:032x}"),
                    "spanId": sid(LINKED_SPAN),
                    "attributes": [s("link.reason", "retry")],
                    "flags": 769,
                },
                {
                    "traceId": TRACE_HEX,
                    "spanId": sid(VALIDATE),
                    "traceState": "vendor=abc",
                    "attributes": [s("opentracing.ref_type", "child_of")],
                    "flags": 257,
                },
            ],
            "status": {"code": 2},
        }),
    );
    let server = with(
        base(
            ORDER_SERVER,
            REMOTE_PARENT,
            769,
            "POST /orders",
            2,
            0,
            50_000_000,
        ),
        json!({
            "attributes": [
                int("big.count", 9_007_199_254_740_993),
                kv("cache.hit", json!({"boolValue": true})),
                s("http.request.method", "POST"),
                int("http.response.status_code", 402),
                s("http.route", "/orders"),
                s("loadgen.scenario", "fraud"),
                kv("order.tags", json!({"arrayValue": {"values": [{"stringValue": "a"}, {"stringValue": "b"}]}})),
                dbl("sample.ratio", "0.25"),
                s("url.path", "/orders"),
                s("url.scheme", "http"),
                kv("@jaeger@warnings", json!({"arrayValue": {"values": [
                    {"stringValue": "parent span ID=00f067aa0ba902b7 is not in the trace; skipping clock skew adjustment"}
                ]}})),
            ],
            "status": {},
        }),
    );
    let fraud = with(
        base(
            FRAUD,
            PAY_SERVER,
            257,
            "fraud_check",
            1,
            6_000_000,
            8_000_000,
        ),
        json!({
            "attributes": [dbl("payment.amount", "25000.5")],
            "events": [
                {"timeUnixNano": ns(7_000_000), "attributes": [s("note", "unnamed")]},
                {
                    "timeUnixNano": ns(6_500_000),
                    "name": "fraud.detected",
                    "attributes": [int("fraud.threshold", 10000), dbl("payment.amount", "25000.5")],
                },
            ],
            "status": {"message": "fraud suspected", "code": 2},
        }),
    );
    let publish = with(
        base(
            PUBLISH,
            PAY_SERVER,
            257,
            "payment.events publish",
            4,
            8_500_000,
            9_000_000,
        ),
        json!({"attributes": [s("messaging.system", "kafka")], "status": {}}),
    );
    let pay_server = with(
        base(
            PAY_SERVER,
            ORDER_CLIENT,
            769,
            "POST /payments",
            2,
            5_000_000,
            38_000_000,
        ),
        json!({
            "attributes": [
                s("http.request.method", "POST"),
                int("http.response.status_code", 402),
                s("http.route", "/payments"),
            ],
            "status": {"code": 1},
        }),
    );
    json!({"resourceSpans": [
        {
            "resource": {"attributes": [
                s("deployment.environment", "test"),
                s("host.name", "host-a"),
                s("service.name", "order-api"),
            ]},
            "scopeSpans": [{
                "scope": {"name": "order-api", "version": "1.2.3"},
                "spans": [validate, client, server],
            }],
        },
        {
            "resource": {"attributes": [
                s("host.name", "host-b"),
                int("process.pid", 4242),
                s("service.name", "payment-service"),
            ]},
            "scopeSpans": [{
                "scope": {"name": "payment-service"},
                "spans": [fraud, publish, pay_server],
            }],
        },
    ]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_reads_back_as_otlp_json() {
    let store = store().await;
    export_fraud_order(
        &store,
        Transport::HttpJson { gzip: true },
        Transport::Grpc { gzip: false },
    )
    .await;
    let base = store.query_url();
    let res = get(&format!("{base}/api/v3/traces/{TRACE_HEX}")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.content_type, "application/json");
    assert_json_eq(&res.json(), &json!({"result": expected_result()}));
    // pdata's field order, no whitespace, defaults omitted.
    let server = format!(
        r#"{{"traceId":"{TRACE_HEX}","spanId":"00000000000000a1","traceState":"vendor=abc","parentSpanId":"00f067aa0ba902b7","flags":769,"name":"POST /orders","kind":2,"startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{{"key":"big.count","value":{{"intValue":"9007199254740993"}}}}"#,
        ns(0),
        ns(50_000_000)
    );
    assert!(res.body.contains(&server), "{}", res.body);
    assert!(res.body.starts_with(r#"{"result":{"resourceSpans":[{"resource":{"attributes":[{"key":"deployment.environment","value":{"stringValue":"test"}}"#));
    assert!(res.body.contains(r#""status":{}}]}]},{"resource""#));

    // Found by a search: the same result.
    let window =
        "query.start_time_min=2026-01-02T03:04:05Z&query.start_time_max=2026-01-02T03:05:05Z";
    let res = get(&format!(
        "{base}/api/v3/traces?query.service_name=payment-service&{window}"
    ))
    .await;
    assert_json_eq(&res.json(), &json!({"result": expected_result()}));

    // Raw traces keep the warning-free, unsorted data.
    let raw = get(&format!("{base}/api/v3/traces/{TRACE_HEX}?raw_traces=true"))
        .await
        .json();
    let server_attrs =
        &raw["result"]["resourceSpans"][0]["scopeSpans"][0]["spans"][2]["attributes"];
    assert_eq!(server_attrs[0], s("http.request.method", "POST"));
    assert_eq!(server_attrs.as_array().map(Vec::len), Some(10));
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_and_operations() {
    let store = store().await;
    let base = store.query_url();
    assert_eq!(
        get(&format!("{base}/api/v3/services")).await.body,
        r#"{"services":[]}"#
    );
    export_fraud_order(
        &store,
        Transport::Grpc { gzip: false },
        Transport::HttpProtobuf { gzip: true },
    )
    .await;
    let res = get(&format!("{base}/api/v3/services")).await;
    assert_eq!(res.content_type, "application/json");
    assert_eq!(res.body, r#"{"services":["order-api","payment-service"]}"#);
    let res = get(&format!("{base}/api/v3/operations?service=order-api")).await;
    assert_eq!(
        res.body,
        r#"{"operations":[{"name":"POST /orders","spanKind":"server"},{"name":"POST /payments","spanKind":"client"},{"name":"validate_order","spanKind":"internal"}]}"#
    );
    for kind in ["spanKind=client", "span_kind=client"] {
        let res = get(&format!(
            "{base}/api/v3/operations?service=order-api&{kind}"
        ))
        .await;
        assert_eq!(
            res.body,
            r#"{"operations":[{"name":"POST /payments","spanKind":"client"}]}"#
        );
    }
    let res = get(&format!("{base}/api/v3/operations")).await;
    assert_eq!(res.body, r#"{"operations":[]}"#);
    store.shutdown().await;
}

/// Trace ids in a v3 search answer, in order (empty on 404).
async fn find(base: &str, params: &str) -> Vec<String> {
    let res = get(&format!("{base}/api/v3/traces?{params}")).await;
    if res.status == 404 {
        assert_eq!(
            res.json(),
            json!({"error": {"httpCode": 404, "message": "No traces found"}})
        );
        return Vec::new();
    }
    assert_eq!(res.status, 200, "{params}: {}", res.body);
    let mut ids = Vec::new();
    for rs in res.json()["result"]["resourceSpans"].as_array().unwrap() {
        for ss in rs["scopeSpans"].as_array().unwrap() {
            for span in ss["spans"].as_array().unwrap() {
                ids.push(span["traceId"].as_str().unwrap().to_owned());
            }
        }
    }
    ids
}

const WINDOW: &str =
    "query.start_time_min=2026-01-02T03:04:05Z&query.start_time_max=2026-01-02T03:04:15Z";
const WINDOW_CAMEL: &str =
    "query.startTimeMin=2026-01-02T03:04:05.000Z&query.startTimeMax=2026-01-02T04:04:15%2B01:00";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_search_parameter() {
    let store = store().await;
    ingest_search_fixture(&store).await;
    let base = store.query_url();
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    assert_eq!(
        find(&base, WINDOW).await,
        ids(&[D, C, B, A]),
        "service is optional"
    );
    assert_eq!(find(&base, WINDOW_CAMEL).await, ids(&[D, C, B, A]));
    assert_eq!(
        find(&base, &format!("query.service_name=svc-a&{WINDOW}")).await,
        ids(&[C, B, A])
    );
    assert_eq!(
        find(&base, &format!("query.serviceName=svc-b&{WINDOW}")).await,
        ids(&[D])
    );
    assert_eq!(
        find(
            &base,
            &format!("query.serviceName=svc-a&query.operation_name=GET%20/a&{WINDOW}")
        )
        .await,
        ids(&[C, A])
    );
    assert_eq!(
        find(
            &base,
            &format!("query.serviceName=svc-a&query.operationName=GET%20/b&{WINDOW}")
        )
        .await,
        ids(&[B])
    );
    assert_eq!(
        find(
            &base,
            "query.start_time_min=2026-01-02T03:04:05Z&query.start_time_max=2026-01-02T05:00:00Z"
        )
        .await,
        ids(&[E, D, C, B, A])
    );
    for depth in [
        "query.search_depth=2",
        "query.searchDepth=2",
        "query.num_traces=2",
    ] {
        assert_eq!(
            find(&base, &format!("{depth}&{WINDOW}")).await,
            ids(&[D, C]),
            "{depth}"
        );
    }
    assert_eq!(
        find(&base, &format!("query.duration_min=50ms&{WINDOW}")).await,
        ids(&[C, B])
    );
    assert_eq!(
        find(&base, &format!("query.durationMax=50ms&{WINDOW}")).await,
        ids(&[D, A])
    );
    assert_eq!(
        find(
            &base,
            &format!("query.durationMin=50ms&query.duration_max=500ms&{WINDOW}")
        )
        .await,
        ids(&[B])
    );
    let attrs = |json: &str| {
        format!(
            "query.attributes={}&{WINDOW}",
            json.replace('"', "%22").replace(' ', "%20")
        )
    };
    assert_eq!(
        find(&base, &attrs(r#"{"http.status":"500"}"#)).await,
        ids(&[B])
    );
    assert_eq!(find(&base, &attrs(r#"{"error":"true"}"#)).await, ids(&[B]));
    assert_eq!(
        find(&base, &attrs(r#"{"span.status":"ok"}"#)).await,
        ids(&[C])
    );
    assert_eq!(
        find(&base, &attrs(r#"{"resource.service.name":"svc-b"}"#)).await,
        ids(&[D])
    );
    assert_eq!(
        find(
            &base,
            &attrs(r#"{"scope.name":"search-test","route":"x:y"}"#)
        )
        .await,
        ids(&[B])
    );
    assert_eq!(
        find(&base, &attrs(r#"{"span.kind":"client"}"#)).await,
        ids(&[])
    );
    assert_eq!(
        find(&base, &format!("query.service_name=nobody&{WINDOW}")).await,
        ids(&[])
    );

    // Raw traces: attributes in arrival order, no adjusters.
    let res = get(&format!(
        "{base}/api/v3/traces?query.raw_traces=true&query.operation_name=GET%20/b&{WINDOW}"
    ))
    .await;
    let attrs =
        &res.json()["result"]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"];
    assert_eq!(attrs[3], s("a", "2"));
    store.shutdown().await;
}

/// A gateway error answer.
async fn expect_error(url: &str, status: u16, message: &str) {
    let res = get(url).await;
    assert_eq!(res.status, status, "{url}: {}", res.body);
    assert_eq!(res.content_type, "text/plain; charset=utf-8");
    assert_eq!(
        res.json(),
        json!({"error": {"httpCode": status, "message": message}}),
        "{url}"
    );
    assert!(res.body.ends_with("}}\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_parameters_get_jaegers_errors() {
    let store = store().await;
    ingest_search_fixture(&store).await;
    let base = store.query_url();
    // A search and a summary search check their parameters alike.
    for endpoint in ["traces", "trace-summaries"] {
        let t = format!("{base}/api/v3/{endpoint}");
        expect_error(
            &t,
            400,
            "query.startTimeMin and query.startTimeMax are required",
        )
        .await;
        expect_error(
            &format!("{t}?query.start_time_min=2026-01-02T03:04:05Z"),
            400,
            "query.startTimeMin and query.startTimeMax are required",
        )
        .await;
        expect_error(
            &format!("{t}?query.start_time_min=yesterday&query.start_time_max=2026-01-02T03:04:05Z"),
            400,
            "malformed parameter query.start_time_min: parsing time \"yesterday\" as \"2006-01-02T15:04:05.999999999Z07:00\": cannot parse \"yesterday\" as \"2006\"",
        )
        .await;
        expect_error(
            &format!("{t}?query.startTimeMin=2026-01-02T03:04:05Z&query.startTimeMax=2026-01-02"),
            400,
            "malformed parameter query.startTimeMax: parsing time \"2026-01-02\" as \"2006-01-02T15:04:05.999999999Z07:00\": cannot parse \"\" as \"T\"",
        )
        .await;
        expect_error(
            &format!("{t}?query.start_time_min=2026-01-02T03:04:05Z&query.start_time_max=2026-01-02T03:04:05Z"),
            400,
            "query.startTimeMin must be before query.startTimeMax",
        )
        .await;
        expect_error(
            &format!("{t}?query.search_depth=many&{WINDOW}"),
            400,
            "malformed parameter query.search_depth: strconv.Atoi: parsing \"many\": invalid syntax",
        )
        .await;
        expect_error(
            &format!("{t}?query.duration_min=1parsec&{WINDOW}"),
            400,
            "malformed parameter query.duration_min: time: unknown unit \"parsec\" in duration \"1parsec\"",
        )
        .await;
        expect_error(
            &format!("{t}?query.durationMax=x&{WINDOW}"),
            400,
            "malformed parameter query.durationMax: time: invalid duration \"x\"",
        )
        .await;
        expect_error(
            &format!("{t}?query.attributes=%5B%5D&{WINDOW}"),
            400,
            "malformed parameter query.attributes: json: cannot unmarshal array into Go value of type map[string]string",
        )
        .await;
        expect_error(
            &format!("{t}?query.raw_traces=perhaps&{WINDOW}"),
            400,
            "malformed parameter query.raw_traces: strconv.ParseBool: parsing \"perhaps\": invalid syntax",
        )
        .await;
        expect_error(
            &format!("{t}?query.searchDepth=0&{WINDOW}"),
            500,
            "search depth must be greater than 0 and less than max traces",
        )
        .await;
    }
    let t = format!("{base}/api/v3/traces");
    expect_error(
        &format!("{t}?query.service_name=nobody&{WINDOW}"),
        404,
        "No traces found",
    )
    .await;

    // GET /api/v3/traces/{trace_id}
    expect_error(&format!("{t}/ffff"), 404, "No traces found").await;
    expect_error(
        &format!("{t}/g!"),
        400,
        "malformed parameter trace_id: strconv.ParseUint: parsing \"g!\": invalid syntax",
    )
    .await;
    expect_error(
        &format!("{t}/{A}?startTime=noon"),
        400,
        "malformed parameter startTime: parsing time \"noon\" as \"2006-01-02T15:04:05.999999999Z07:00\": cannot parse \"noon\" as \"2006\"",
    )
    .await;
    expect_error(
        &format!("{t}/{A}?end_time=2026-13-01T00:00:00Z"),
        400,
        "malformed parameter end_time: parsing time \"2026-13-01T00:00:00Z\": month out of range",
    )
    .await;
    expect_error(
        &format!("{t}/{A}?rawTraces=sure"),
        400,
        "malformed parameter rawTraces: strconv.ParseBool: parsing \"sure\": invalid syntax",
    )
    .await;
    let ok = get(&format!(
        "{t}/{A}?startTime=2026-01-02T03:04:05Z&endTime=2026-01-02T03:04:06Z"
    ))
    .await;
    assert_eq!(ok.status, 200);
    store.shutdown().await;
}

/// `GET /api/v3/trace-summaries?{params}`: status and body.
async fn summaries(base: &str, params: &str) -> (u16, String) {
    let res = get(&format!("{base}/api/v3/trace-summaries?{params}")).await;
    if res.status == 200 {
        assert_eq!(res.content_type, "application/json");
    }
    (res.status, res.body)
}

/// One summary of the search fixture as Jaeger's jsonpb writes it: its one
/// span is the root, zero counts are left out.
fn fixture_summary(trace: &str, service: &str, op: &str, start: u64, duration: u64) -> String {
    let error = if trace == B {
        r#""errorSpanCount":1,"#
    } else {
        ""
    };
    format!(
        concat!(
            r#"{{"traceId":"{trace}","rootServiceName":"{service}","rootOperationName":"{op}","#,
            r#""minStartTimeUnixNano":"{start}","maxEndTimeUnixNano":"{end}","spanCount":1,{error}"#,
            r#""services":[{{"name":"{service}","spanCount":1{service_error}}}]}}"#
        ),
        trace = trace,
        service = service,
        op = op,
        start = T0_NS + start,
        end = T0_NS + start + duration,
        error = error,
        service_error = if error.is_empty() {
            ""
        } else {
            r#","errorSpanCount":1"#
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_summaries_as_jaeger_writes_them() {
    let store = store().await;
    let base = store.query_url();
    assert_eq!(
        summaries(&base, WINDOW).await,
        (200, "{}".to_owned()),
        "nothing found is an empty response, not a 404"
    );
    ingest_search_fixture(&store).await;
    let a = fixture_summary(A, "svc-a", "GET /a", SEC, 10 * MS);
    let b = fixture_summary(B, "svc-a", "GET /b", 2 * SEC, 100 * MS);
    let c = fixture_summary(C, "svc-a", "GET /a", 3 * SEC, SEC);
    let d = fixture_summary(D, "svc-b", "GET /a", 4 * SEC, 10 * MS);
    let body = |s: &[&String]| {
        let joined: Vec<&str> = s.iter().map(|s| s.as_str()).collect();
        format!(r#"{{"summaries":[{}]}}"#, joined.join(","))
    };
    for window in [WINDOW, WINDOW_CAMEL] {
        assert_eq!(
            summaries(&base, window).await,
            (200, body(&[&d, &c, &b, &a])),
            "newest first, as the search"
        );
    }
    for service in ["query.service_name=svc-a", "query.serviceName=svc-a"] {
        for depth in [
            "query.search_depth=2",
            "query.searchDepth=2",
            "query.num_traces=2",
        ] {
            assert_eq!(
                summaries(&base, &format!("{service}&{depth}&{WINDOW}")).await,
                (200, body(&[&c, &b])),
                "{service} {depth}"
            );
        }
    }
    assert_eq!(
        summaries(
            &base,
            &format!("query.duration_min=50ms&query.duration_max=500ms&{WINDOW}")
        )
        .await,
        (200, body(&[&b]))
    );
    assert_eq!(
        summaries(&base, &format!("query.service_name=nobody&{WINDOW}")).await,
        (200, "{}".to_owned())
    );

    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_summaries_count_services_errors_and_orphans_of_the_adjusted_trace() {
    let store = store().await;
    export_fraud_order(
        &store,
        Transport::Grpc { gzip: false },
        Transport::HttpJson { gzip: false },
    )
    .await;
    let base = store.query_url();
    let window =
        "query.start_time_min=2026-01-02T03:04:05Z&query.start_time_max=2026-01-02T03:05:05Z";
    // The order server's parent is remote: no root, one orphan.
    let expected = format!(
        concat!(
            r#"{{"summaries":[{{"traceId":"{}","minStartTimeUnixNano":"{}","#,
            r#""maxEndTimeUnixNano":"{}","spanCount":6,"errorSpanCount":3,"orphanSpanCount":1,"#,
            r#""services":[{{"name":"order-api","spanCount":3,"errorSpanCount":2}},"#,
            r#"{{"name":"payment-service","spanCount":3,"errorSpanCount":1}}]}}]}}"#
        ),
        TRACE_HEX,
        ns(0),
        ns(50_000_000),
    );
    for params in [
        format!("query.service_name=payment-service&{window}"),
        format!("query.operation_name=fraud_check&query.raw_traces=true&{window}"),
    ] {
        assert_eq!(
            summaries(&base, &params).await,
            (200, expected.clone()),
            "{params}"
        );
    }

    // A span sent twice is stored twice, but Jaeger's adjusters drop the
    // copy, and summaries are always of the adjusted trace.
    let root = TestSpan {
        trace: A,
        span: "00000000000000a1",
        name: "GET /twice",
        kind: 2,
        start: T0_NS + SEC,
        duration: 10 * MS,
        attrs: vec![],
        status: 0,
    };
    for _ in 0..2 {
        post_otlp_json(&store, otlp_json("svc-a", std::slice::from_ref(&root))).await;
    }
    let raw = find(
        &base,
        &format!("query.raw_traces=true&query.service_name=svc-a&{WINDOW}"),
    )
    .await;
    assert_eq!(raw, [A, A], "stored twice");
    let (status, body) = summaries(
        &base,
        &format!("query.raw_traces=true&query.service_name=svc-a&{WINDOW}"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body.contains(r#""rootOperationName":"GET /twice","#) && body.contains(r#""spanCount":1,"#),
        "{body}"
    );
    store.shutdown().await;
}

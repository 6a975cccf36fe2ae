//! Contract-shaped test traces, built independently of the verifier's model,
//! and their Jaeger JSON (v3 OTLP JSON and v1), written the way Jaeger writes it.

#![allow(dead_code)]

use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Internal,
    Server,
    Client,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val {
    S(String),
    I(i64),
    D(f64),
    B(bool),
}

pub(crate) fn s(v: &str) -> Val {
    Val::S(v.to_owned())
}

#[derive(Clone, Debug)]
pub(crate) struct TEvent {
    pub name: String,
    pub time_ns: u64,
    pub attrs: Vec<(String, Val)>,
}

#[derive(Clone, Debug)]
pub(crate) struct TSpan {
    pub span_id: u64,
    pub parent: Option<u64>,
    pub service: String,
    pub kind: Kind,
    pub name: String,
    pub start_ns: u64,
    pub end_ns: u64,
    /// 0 unset, 1 ok, 2 error.
    pub status: u8,
    pub status_message: String,
    pub attrs: Vec<(String, Val)>,
    pub events: Vec<TEvent>,
}

impl TSpan {
    pub(crate) fn set(&mut self, key: &str, value: Val) -> &mut Self {
        self.attrs.retain(|(k, _)| k != key);
        self.attrs.push((key.to_owned(), value));
        self
    }

    pub(crate) fn unset(&mut self, key: &str) -> &mut Self {
        self.attrs.retain(|(k, _)| k != key);
        self
    }

    pub(crate) fn error(&mut self, message: &str) -> &mut Self {
        self.status = 2;
        self.status_message = message.to_owned();
        self
    }

    pub(crate) fn event(&mut self, name: &str, attrs: Vec<(&str, Val)>) -> &mut Self {
        self.events.push(TEvent {
            name: name.to_owned(),
            time_ns: self.start_ns + 1_000,
            attrs: attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        });
        self
    }
}

#[derive(Clone, Debug)]
pub(crate) struct TTrace {
    pub trace_id: u128,
    pub spans: Vec<TSpan>,
}

impl TTrace {
    /// The span of that name (and service, when names repeat: "svc:name").
    pub(crate) fn span(&mut self, key: &str) -> &mut TSpan {
        let (service, name) = key
            .split_once(':')
            .map_or((None, key), |(s, n)| (Some(s), n));
        self.spans
            .iter_mut()
            .find(|sp| sp.name == name && service.is_none_or(|s| sp.service == s))
            .unwrap_or_else(|| panic!("no span {key}"))
    }

    pub(crate) fn span_id(&self, key: &str) -> u64 {
        self.clone().span(key).span_id
    }

    pub(crate) fn remove(&mut self, key: &str) -> TSpan {
        let id = self.span_id(key);
        let index = self.spans.iter().position(|s| s.span_id == id).unwrap();
        self.spans.remove(index)
    }

    /// Drops the loadgen span; its child then names it as parent (root_span: false).
    pub(crate) fn without_root_span(mut self) -> Self {
        self.spans.retain(|s| s.service != "loadgen");
        self
    }

    /// Drops the loadgen span and makes order-api's SERVER span a true root (`--sampler none`).
    pub(crate) fn rooted_at_server(mut self) -> Self {
        self.spans.retain(|s| s.service != "loadgen");
        self.spans[0].parent = None;
        self
    }

    pub(crate) fn trace_id_hex(&self) -> String {
        format!("{:032x}", self.trace_id)
    }

    pub(crate) fn root_span_id(&self) -> u64 {
        self.spans[0].span_id
    }
}

struct Builder {
    trace: TTrace,
    t0: u64,
}

impl Builder {
    fn new(trace_id: u128, t0: u64) -> Self {
        Builder {
            trace: TTrace {
                trace_id,
                spans: Vec::new(),
            },
            t0,
        }
    }

    /// Adds a span; `parent` indexes an earlier span; times in µs after t0.
    fn span(
        &mut self,
        service: &str,
        kind: Kind,
        name: &str,
        parent: Option<usize>,
        start_us: u64,
        end_us: u64,
    ) -> &mut TSpan {
        let span_id =
            ((self.trace.trace_id as u64) & 0xffff_ffff) << 8 | (self.trace.spans.len() as u64 + 1);
        let parent = parent.map(|p| self.trace.spans[p].span_id);
        self.trace.spans.push(TSpan {
            span_id,
            parent,
            service: service.to_owned(),
            kind,
            name: name.to_owned(),
            start_ns: self.t0 + start_us * 1000,
            end_ns: self.t0 + end_us * 1000,
            status: 0,
            status_message: String::new(),
            attrs: Vec::new(),
            events: Vec::new(),
        });
        self.trace.spans.last_mut().unwrap()
    }

    fn client(
        &mut self,
        service: &str,
        name: &str,
        parent: Option<usize>,
        times: (u64, u64),
        port: i64,
        code: i64,
    ) -> &mut TSpan {
        let (method, path) = name.split_once(' ').unwrap();
        let span = self.span(service, Kind::Client, name, parent, times.0, times.1);
        span.set("http.request.method", s(method))
            .set("url.full", s(&format!("http://127.0.0.1:{port}{path}")))
            .set("server.address", s("127.0.0.1"))
            .set("server.port", Val::I(port))
            .set("http.response.status_code", Val::I(code));
        span
    }

    fn server(
        &mut self,
        service: &str,
        name: &str,
        parent: Option<usize>,
        times: (u64, u64),
        code: i64,
    ) -> &mut TSpan {
        let (method, path) = name.split_once(' ').unwrap();
        let span = self.span(service, Kind::Server, name, parent, times.0, times.1);
        span.set("http.request.method", s(method))
            .set("http.route", s(path))
            .set("url.path", s(path))
            .set("url.scheme", s("http"))
            .set("http.response.status_code", Val::I(code));
        span
    }

    fn order_front(&mut self, scenario: &str, code: i64, amount: f64) {
        let client = self.client("loadgen", "POST /orders", None, (0, 2000), 8000, code);
        client.set("loadgen.scenario", s(scenario));
        if code >= 400 {
            client
                .error(&format!("HTTP {code}"))
                .set("error.type", s(&code.to_string()));
        }
        self.server("order-api", "POST /orders", Some(0), (100, 1900), code)
            .set("loadgen.scenario", s(scenario));
        self.span(
            "order-api",
            Kind::Internal,
            "validate_order",
            Some(1),
            150,
            250,
        )
        .set(
            "order.customer_id",
            s(if amount > 10000.0 {
                "CUST-SHADY"
            } else {
                "CUST-42"
            }),
        )
        .set(
            "order.item",
            s(if amount > 10000.0 {
                "Watch"
            } else {
                "Keyboard"
            }),
        )
        .set("order.quantity", Val::I(2))
        .set("order.amount", Val::D(amount));
    }

    /// Spans 3-5: order-api's CLIENT POST /payments, payment-service's SERVER
    /// POST /payments answering `code`, and its fraud_check.
    fn payment_front(&mut self, code: i64, amount: f64) {
        self.client(
            "order-api",
            "POST /payments",
            Some(1),
            (300, 1500),
            8001,
            code,
        );
        self.server(
            "payment-service",
            "POST /payments",
            Some(3),
            (400, 1400),
            code,
        );
        self.span(
            "payment-service",
            Kind::Internal,
            "fraud_check",
            Some(4),
            450,
            600,
        )
        .set("payment.amount", Val::D(amount));
    }
}

/// A valid order: 8 spans, 201.
pub(crate) fn valid(trace_id: u128, t0: u64) -> TTrace {
    let mut b = Builder::new(trace_id, t0);
    b.order_front("valid", 201, 149.99);
    b.payment_front(200, 149.99);
    b.span(
        "payment-service",
        Kind::Internal,
        "charge_payment",
        Some(4),
        650,
        1300,
    )
    .set("payment.id", s("pay-1"))
    .event("payment.charged", vec![("payment.id", s("pay-1"))]);
    b.span(
        "order-api",
        Kind::Internal,
        "save_order",
        Some(1),
        1550,
        1800,
    )
    .set("order.id", s("ord-1"))
    .set("db.rows.total", Val::I(9_007_199_254_740_993))
    .event("order.saved", vec![("order.id", s("ord-1"))]);
    b.trace
}

/// An invalid order (amount <= 0): 3 spans, 422.
pub(crate) fn invalid(trace_id: u128, t0: u64) -> TTrace {
    let mut b = Builder::new(trace_id, t0);
    b.order_front("invalid", 422, -5.0);
    b.trace.spans[2].error("amount must be positive").event(
        "exception",
        vec![
            ("exception.type", s("ValidationError")),
            ("exception.message", s("amount must be positive")),
        ],
    );
    b.trace
}

/// A fraud order (amount > 10000): 6 spans, 402.
pub(crate) fn fraud(trace_id: u128, t0: u64) -> TTrace {
    let mut b = Builder::new(trace_id, t0);
    b.order_front("fraud", 402, 25000.0);
    b.payment_front(402, 25000.0);
    b.trace.spans[3]
        .error("HTTP 402")
        .set("error.type", s("402"));
    b.trace.spans[5]
        .error("amount over the fraud threshold")
        .event(
            "fraud.detected",
            vec![
                ("payment.amount", Val::D(25000.0)),
                ("fraud.threshold", Val::D(10000.0)),
            ],
        );
    b.trace
}

/// A health check: 2 spans, 200.
pub(crate) fn health(trace_id: u128, t0: u64) -> TTrace {
    let mut b = Builder::new(trace_id, t0);
    b.client("loadgen", "GET /health", None, (0, 500), 8000, 200)
        .set("loadgen.scenario", s("health"));
    b.server("order-api", "GET /health", Some(0), (50, 450), 200);
    b.trace
}

/// `n` contract traces in the loadgen's default mix (70 % valid, 10 % each
/// invalid, fraud and health), ids from `base`, one every `gap_ns` from `t0`.
pub(crate) fn mix(base: u128, n: u64, t0: u64, gap_ns: u64) -> Vec<TTrace> {
    (0..n)
        .map(|i| {
            let (id, start) = (base + u128::from(i), t0 + i * gap_ns);
            match i % 10 {
                0 => invalid(id, start),
                1 => fraud(id, start),
                2 => health(id, start),
                _ => valid(id, start),
            }
        })
        .collect()
}

/// Nanoseconds since the epoch, `ago` seconds before now.
pub(crate) fn seconds_ago(ago: u64) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    now - ago * 1_000_000_000
}

// ---- v3: OTLP JSON as Jaeger's ptrace.JSONMarshaler writes it ----

fn v3_value(v: &Val) -> Value {
    match v {
        Val::S(x) => json!({"stringValue": x}),
        Val::I(x) => json!({"intValue": x.to_string()}),
        Val::D(x) => json!({"doubleValue": x}),
        Val::B(x) => json!({"boolValue": x}),
    }
}

fn v3_attrs(attrs: &[(String, Val)]) -> Value {
    Value::Array(
        attrs
            .iter()
            .map(|(k, v)| json!({"key": k, "value": v3_value(v)}))
            .collect(),
    )
}

fn v3_span(trace_id: u128, span: &TSpan) -> Value {
    let kind = match span.kind {
        Kind::Internal => 1,
        Kind::Server => 2,
        Kind::Client => 3,
    };
    let mut out = json!({
        "traceId": format!("{trace_id:032x}"),
        "spanId": format!("{:016x}", span.span_id),
        "name": span.name,
        "kind": kind,
        "startTimeUnixNano": span.start_ns.to_string(),
        "endTimeUnixNano": span.end_ns.to_string(),
        "attributes": v3_attrs(&span.attrs),
        "status": {},
    });
    if let Some(p) = span.parent {
        out["parentSpanId"] = json!(format!("{p:016x}"));
    }
    if span.status != 0 {
        out["status"] = json!({"code": span.status});
        if !span.status_message.is_empty() {
            out["status"]["message"] = json!(span.status_message);
        }
    }
    if !span.events.is_empty() {
        out["events"] = Value::Array(
            span.events
                .iter()
                .map(|e| json!({"timeUnixNano": e.time_ns.to_string(), "name": e.name, "attributes": v3_attrs(&e.attrs)}))
                .collect(),
        );
    }
    out
}

/// The `resourceSpans` of one trace: one per service, spans in order.
pub(crate) fn v3_resource_spans(trace: &TTrace) -> Vec<Value> {
    let mut services: Vec<&str> = Vec::new();
    for span in &trace.spans {
        if !services.contains(&span.service.as_str()) {
            services.push(&span.service);
        }
    }
    services
        .iter()
        .map(|service| {
            let spans: Vec<Value> = trace.spans.iter().filter(|s| s.service == *service).map(|s| v3_span(trace.trace_id, s)).collect();
            json!({
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                "scopeSpans": [{"scope": {"name": service, "version": "0.1.0"}, "spans": spans}],
            })
        })
        .collect()
}

/// Exports `traces` to an OTLP/HTTP receiver (`endpoint`, e.g. tracestore's
/// `otlp_http_endpoint()`) as OTLP JSON, `per_request` traces a request,
/// each answered 200 (the tests' and the read bench's store load).
pub(crate) async fn export(endpoint: &str, traces: &[TTrace], per_request: usize) {
    let client = reqwest::Client::new();
    for chunk in traces.chunks(per_request) {
        let spans: Vec<Value> = chunk.iter().flat_map(v3_resource_spans).collect();
        let res = client
            .post(format!("{endpoint}/v1/traces"))
            .header("content-type", "application/json")
            .body(json!({ "resourceSpans": spans }).to_string())
            .send()
            .await
            .expect("the receiver takes the export");
        assert_eq!(res.status(), 200);
    }
}

/// A v3 answer: every trace's resourceSpans merged into one `result`.
pub(crate) fn v3_answer(traces: &[&TTrace]) -> Value {
    let merged: Vec<Value> = traces.iter().flat_map(|t| v3_resource_spans(t)).collect();
    json!({"result": {"resourceSpans": merged}})
}

// ---- v1: the UI JSON model ----

/// Jaeger prints 64-bit-wide trace ids as 16 hex digits.
pub(crate) fn v1_trace_id(trace_id: u128) -> String {
    if trace_id >> 64 == 0 {
        format!("{:016x}", trace_id)
    } else {
        format!("{trace_id:032x}")
    }
}

fn v1_tag(key: &str, v: &Val) -> Value {
    match v {
        Val::S(x) => json!({"key": key, "type": "string", "value": x}),
        Val::I(x) if x.unsigned_abs() > (1u64 << 53) - 1 => {
            json!({"key": key, "type": "int64", "value": x.to_string()})
        }
        Val::I(x) => json!({"key": key, "type": "int64", "value": x}),
        Val::D(x) => json!({"key": key, "type": "float64", "value": x}),
        Val::B(x) => json!({"key": key, "type": "bool", "value": x}),
    }
}

pub(crate) fn v1_trace(trace: &TTrace) -> Value {
    let mut processes = serde_json::Map::new();
    let mut ids: Vec<(String, String)> = Vec::new();
    for span in &trace.spans {
        if !ids.iter().any(|(s, _)| *s == span.service) {
            let id = format!("p{}", ids.len() + 1);
            processes.insert(id.clone(), json!({"serviceName": span.service, "tags": [{"key": "telemetry.sdk.language", "type": "string", "value": "rust"}]}));
            ids.push((span.service.clone(), id));
        }
    }
    let tid = v1_trace_id(trace.trace_id);
    let spans: Vec<Value> = trace
        .spans
        .iter()
        .map(|span| {
            let mut tags = vec![json!({"key": "otel.scope.name", "type": "string", "value": span.service}),
                                json!({"key": "otel.scope.version", "type": "string", "value": "0.1.0"})];
            tags.extend(span.attrs.iter().map(|(k, v)| v1_tag(k, v)));
            let kind = match span.kind {
                Kind::Internal => "internal",
                Kind::Server => "server",
                Kind::Client => "client",
            };
            tags.push(json!({"key": "span.kind", "type": "string", "value": kind}));
            match span.status {
                2 => {
                    tags.push(json!({"key": "otel.status_code", "type": "string", "value": "ERROR"}));
                    tags.push(json!({"key": "error", "type": "bool", "value": true}));
                }
                1 => tags.push(json!({"key": "otel.status_code", "type": "string", "value": "OK"})),
                _ => {}
            }
            if !span.status_message.is_empty() {
                tags.push(json!({"key": "otel.status_description", "type": "string", "value": span.status_message}));
            }
            let references: Vec<Value> = span
                .parent
                .iter()
                .map(|p| json!({"refType": "CHILD_OF", "traceID": tid, "spanID": format!("{p:016x}")}))
                .collect();
            let logs: Vec<Value> = span
                .events
                .iter()
                .map(|e| {
                    let mut fields = vec![json!({"key": "event", "type": "string", "value": e.name})];
                    fields.extend(e.attrs.iter().map(|(k, v)| v1_tag(k, v)));
                    json!({"timestamp": e.time_ns / 1000, "fields": fields})
                })
                .collect();
            json!({
                "traceID": tid,
                "spanID": format!("{:016x}", span.span_id),
                "operationName": span.name,
                "references": references,
                "startTime": span.start_ns / 1000,
                "duration": (span.end_ns - span.start_ns) / 1000,
                "tags": tags,
                "logs": logs,
                "processID": ids.iter().find(|(s, _)| *s == span.service).unwrap().1,
                "warnings": null,
            })
        })
        .collect();
    json!({"traceID": tid, "spans": spans, "processes": processes, "warnings": null})
}

pub(crate) fn v1_answer(traces: &[&TTrace]) -> Value {
    json!({"data": traces.iter().map(|t| v1_trace(t)).collect::<Vec<_>>(), "total": 0, "limit": 0, "offset": 0, "errors": null})
}

/// A health trace whose order-api SERVER span has a parent->child chain of
/// `depth` (at most 199,999) INTERNAL spans below it, each 1 ns inside its
/// parent: one malformed trace as deep as a trace can be.
pub(crate) fn chain(trace_id: u128, t0: u64, depth: usize) -> TTrace {
    let mut trace = health(trace_id, t0);
    let server = trace.spans[1].clone();
    let mut parent = server.span_id;
    for step in 1..=depth as u64 {
        let span_id = 0x0c00_0000_0000_0000 | step;
        trace.spans.push(TSpan {
            span_id,
            parent: Some(parent),
            service: server.service.clone(),
            kind: Kind::Internal,
            name: "step".to_owned(),
            start_ns: server.start_ns + step,
            end_ns: server.end_ns - step,
            status: 0,
            status_message: String::new(),
            attrs: Vec::new(),
            events: Vec::new(),
        });
        parent = span_id;
    }
    trace
}

/// A health trace whose order-api SERVER span has `width` (at most 199,999)
/// INTERNAL children one after the other, 1 ns each: the widest flat trace,
/// whose critical path returns to the parent once per child.
pub(crate) fn wide(trace_id: u128, t0: u64, width: usize) -> TTrace {
    let mut trace = health(trace_id, t0);
    let server = trace.spans[1].clone();
    for step in 1..=width as u64 {
        trace.spans.push(TSpan {
            span_id: 0x0d00_0000_0000_0000 | step,
            parent: Some(server.span_id),
            service: server.service.clone(),
            kind: Kind::Internal,
            name: "step".to_owned(),
            start_ns: server.start_ns + 2 * step - 1,
            end_ns: server.start_ns + 2 * step,
            status: 0,
            status_message: String::new(),
            attrs: Vec::new(),
            events: Vec::new(),
        });
    }
    trace
}

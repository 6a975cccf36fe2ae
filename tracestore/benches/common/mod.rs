//! What the tracestore benches send: export requests of contract-shaped
//! traces, and a client that sends them over OTLP/gRPC.

#[allow(dead_code)]
#[path = "../../tests/common/raw_grpc.rs"]
pub(crate) mod raw_grpc;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span::Event};

/// Spans in one export request (the OpenTelemetry SDKs' default batch).
pub(crate) const SPANS_PER_BATCH: usize = 512;
/// Spans in one trace.
pub(crate) const SPANS_PER_TRACE: usize = 8;
/// Traces in one export request.
pub(crate) const TRACES_PER_BATCH: usize = SPANS_PER_BATCH / SPANS_PER_TRACE;

fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        key_strindex: 0,
    }
}

fn s(key: &str, v: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(v.into()))
}

/// Trace `t`'s id: a marker (client number included) then the index.
pub(crate) fn trace_id(client: u8, t: u64) -> Vec<u8> {
    let mut id = vec![0xA5, 0x5A, 0xC3, 0x3C, client, 0x7E, 0xE7, 0x99];
    id.extend_from_slice(&t.to_be_bytes());
    id
}

/// One export request: traces `first..first + 64` of 8 spans shaped like
/// the contract's valid order (its span names and kinds, the SERVER span
/// attributes, an event on `charge_payment` and `save_order` carrying the
/// trace's own payment or order id).
pub(crate) fn contract_batch(client: u8, first: u64) -> ExportTraceServiceRequest {
    let names = [
        ("POST /orders", 2),
        ("validate_order", 1),
        ("POST /payments", 3),
        ("POST /payments", 2),
        ("fraud_check", 1),
        ("charge_payment", 1),
        ("save_order", 1),
        ("GET /health", 2),
    ];
    let t0: u64 = 1_767_323_045_000_000_000;
    let mut spans = Vec::with_capacity(SPANS_PER_BATCH);
    for t in first..first + TRACES_PER_BATCH as u64 {
        for (i, (name, kind)) in names.iter().enumerate() {
            let start = t0 + t * 10_000_000 + i as u64 * 100_000;
            let span_no = t * SPANS_PER_TRACE as u64 + i as u64 + 1;
            let event = |name: &str, key: &str, prefix: &str| Event {
                time_unix_nano: start + 10_000,
                name: name.into(),
                attributes: vec![s(key, &format!("{prefix}-{t:010}"))],
                dropped_attributes_count: 0,
            };
            spans.push(Span {
                trace_id: trace_id(client, t),
                span_id: span_no.to_be_bytes().to_vec(),
                parent_span_id: if i == 0 {
                    Vec::new()
                } else {
                    (t * SPANS_PER_TRACE as u64 + 1).to_be_bytes().to_vec()
                },
                flags: 0x101,
                name: (*name).into(),
                kind: *kind,
                start_time_unix_nano: start,
                end_time_unix_nano: start + 50_000,
                attributes: vec![
                    s("http.request.method", "POST"),
                    s("http.route", "/orders"),
                    s("url.path", "/orders"),
                    s("url.scheme", "http"),
                    kv("http.response.status_code", any_value::Value::IntValue(201)),
                    s("loadgen.scenario", "valid"),
                ],
                events: match i {
                    5 => vec![event("payment.charged", "payment.id", "pay")],
                    6 => vec![event("order.saved", "order.id", "ord")],
                    _ => Vec::new(),
                },
                status: Some(Status::default()),
                ..Default::default()
            });
        }
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    s("service.name", "order-api"),
                    s("telemetry.sdk.language", "rust"),
                    s("telemetry.sdk.name", "opentelemetry"),
                    s("telemetry.sdk.version", "0.33.1"),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "order-api".into(),
                    version: "0.1.0".into(),
                    ..Default::default()
                }),
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// The runtime every bench drives its store and clients on: two workers,
/// one per core of the development machine.
#[allow(dead_code)]
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The process's resident memory, bytes (Linux), from `/proc/self/status`.
#[allow(dead_code)]
pub(crate) fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

/// The bytes glibc's malloc has handed out and not taken back (its
/// `mallinfo2().uordblks`, all arenas), to tell the store's own heap from
/// the allocator's free but resident memory; `None` on other allocators.
#[allow(dead_code)]
pub(crate) fn malloc_in_use() -> Option<u64> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        /// glibc's `struct mallinfo2`: ten `size_t` fields.
        #[repr(C)]
        struct MallInfo2 {
            arena: usize,
            ordblks: usize,
            smblks: usize,
            hblks: usize,
            hblkhd: usize,
            usmblks: usize,
            fsmblks: usize,
            uordblks: usize,
            fordblks: usize,
            keepcost: usize,
        }
        unsafe extern "C" {
            fn mallinfo2() -> MallInfo2;
        }
        // SAFETY: mallinfo2 takes no arguments and returns a plain struct
        // by value (glibc >= 2.33).
        let info = unsafe { mallinfo2() };
        Some((info.uordblks + info.hblkhd) as u64)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        None
    }
}

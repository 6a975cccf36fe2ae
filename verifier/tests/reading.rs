//! Reading Jaeger completely and robustly: paging past the search limit, late
//! spans while settling, API detection and fallback, retries, and every way a
//! server can fail to be a working Jaeger (which must never pass or fail, only
//! be "could not check").

mod common;

use std::time::Duration;

use common::mock::{Api, Fault, MockJaeger, Summaries};
use common::scripted::{Script, Scripted};
use common::traces::{self, TTrace};
use verifier::{ApiChoice, CheckError, VerifyConfig, jaeger::ApiVersion, verify};

const BASE: u128 = 0x00af_7651_916c_d43d_d848_4ad7_a5c0_0000;

fn t0(n: u64) -> u64 {
    traces::seconds_ago(120) + n * 1_000_000
}

#[tokio::test]
async fn reads_every_trace_when_the_window_holds_more_than_the_limit() {
    let many: Vec<TTrace> = (0..57u64)
        .map(|n| traces::health(BASE + n as u128, t0(n)))
        .collect();
    for api in [Api::V3, Api::V1] {
        let mock = MockJaeger::start(api, many.clone()).await;
        let mut config = common::config(&mock.url);
        config.max_traces = 10;
        let verdict = verify(&config).await.unwrap();
        assert!(verdict.passed(), "{api:?}");
        assert_eq!(
            verdict.summary.checked, 57,
            "{api:?}: every trace read despite a limit of 10"
        );
        let (_, searches, _) = mock.counters();
        assert!(
            searches > 2 * 6,
            "{api:?}: the window was split ({searches} searches)"
        );
    }
}

#[tokio::test]
async fn a_window_that_cannot_be_split_under_the_limit_is_could_not_check() {
    // Three traces starting in the same microsecond, a limit of two.
    let start = t0(0);
    let same: Vec<TTrace> = (0..3u64)
        .map(|n| traces::health(BASE + 0x100 + n as u128, start))
        .collect();
    let mock = MockJaeger::start(Api::V3, same).await;
    let mut config = common::config(&mock.url);
    config.max_traces = 2;
    let err = verify(&config).await.unwrap_err();
    assert!(matches!(err, CheckError::Window(_)), "{err}");
    assert!(err.to_string().contains("raise --max-traces"), "{err}");
}

/// 1,500 contract traces over 15 s from a v3 or v1 Jaeger answering at most
/// 40 a search, its choice of which in shuffled order (`seed`), with
/// `summaries`, read with `services` searched (all the spec's when empty):
/// the verdict, asserted passing with all 1,500 checked, and the mock.
async fn read_shuffled(
    api: Api,
    seed: u64,
    summaries: Summaries,
    services: &[&str],
) -> (verifier::Verdict, MockJaeger) {
    let many = traces::mix(
        BASE + 0x10_0000,
        1_500,
        traces::seconds_ago(100),
        10_000_000,
    );
    let mock = MockJaeger::start(api, many).await;
    mock.shuffle(seed);
    mock.summaries(summaries);
    let mut config = common::config(&mock.url);
    config.max_traces = 40;
    config.services = services.iter().map(|s| s.to_string()).collect();
    let verdict = verify(&config).await.unwrap();
    assert!(
        verdict.passed(),
        "{api:?} {summaries:?}: {:?}",
        verdict.failures
    );
    assert_eq!(verdict.summary.checked, 1_500, "{api:?} {summaries:?}");
    (verdict, mock)
}

#[tokio::test]
async fn a_jaeger_answering_any_limit_traces_shuffled_is_read_completely_and_about_once() {
    // The window is cut by the density the answers show and full answers
    // are kept, so each trace is read about once per service searched
    // (halving level by level read each 2.6 times).
    for api in [Api::V3, Api::V1] {
        let (verdict, mock) = read_shuffled(api, 7, Summaries::Absent, &["order-api"]).await;
        let per_read = mock.returned() as f64 / f64::from(verdict.settle.polls);
        // Measured: v3 1.54, v1 1.65 (its microsecond times cut the
        // parts coarser); halving level by level reads 2.6.
        assert!(
            per_read < 1.8 * 1_500.0,
            "{api:?}: {per_read} traces returned per read of 1,500"
        );
    }
}

#[tokio::test]
async fn a_shuffling_jaeger_with_more_traces_than_the_limit_in_one_microsecond_is_could_not_check()
{
    let start = t0(0);
    let mut same: Vec<TTrace> = (0..5u64)
        .map(|n| traces::health(BASE + 0x200 + n as u128, start))
        .collect();
    same.extend(traces::mix(BASE + 0x300, 200, t0(1), 1_000_000));
    let mock = MockJaeger::start(Api::V3, same).await;
    mock.shuffle(3);
    let mut config = common::config(&mock.url);
    config.max_traces = 4;
    let err = verify(&config).await.unwrap_err();
    assert!(matches!(err, CheckError::Window(_)), "{err}");
    assert!(
        err.to_string().contains("raise --max-traces above 4"),
        "{err}"
    );
}

#[tokio::test]
async fn with_trace_summaries_each_trace_is_read_about_once_however_many_services_are_searched() {
    // All three services searched. Without summaries each trace is read
    // once per service that has it; with them the first service is
    // searched for whole traces and the others only for summaries.
    let mut per_read = Vec::new();
    for summaries in [Summaries::Absent, Summaries::Honest] {
        let (verdict, mock) = read_shuffled(Api::V3, 11, summaries, &[]).await;
        let (_, _, gets) = mock.counters();
        let read = (mock.returned() + gets) as f64 / f64::from(verdict.settle.polls);
        per_read.push((read, mock.summary_searches()));
    }
    let [(without, no_summaries), (with, summary_searches)] = per_read[..] else {
        unreachable!()
    };
    assert_eq!(
        no_summaries, 0,
        "no summaries are asked of a server without them"
    );
    assert!(summary_searches > 0);
    // Measured: 6,490 traces a read without summaries, 2,540 with (the
    // first service's shuffled full answers read each trace about 1.7 times).
    assert!(
        without > 3.0 * 1_500.0,
        "{without} traces read a read without summaries"
    );
    assert!(
        with < 2.0 * 1_500.0,
        "{with} traces read a read with summaries"
    );
}

#[tokio::test]
async fn a_span_that_arrives_after_the_first_service_was_searched_is_fetched_by_its_summary() {
    let mut trace = traces::valid(BASE + 0x400, t0(3));
    let late = trace.remove("save_order");
    let mock = MockJaeger::start(Api::V3, vec![trace.clone()]).await;
    mock.summaries(Summaries::Honest);
    // The order-api span lands right after the loadgen search of the
    // first read: order-api's summary counts 8 spans against 7 held.
    mock.add_late_span(1, trace.trace_id, late.clone());
    let verdict = verify(&common::config(&mock.url)).await.unwrap();
    assert!(verdict.passed(), "{:?}", verdict.failures);
    assert_eq!(
        verdict.settle.polls, 2,
        "complete at the first read, confirmed by the second"
    );
    let (_, searches, gets) = mock.counters();
    assert_eq!(
        (searches, gets),
        (2, 1),
        "one search a read, one fetch by id"
    );
    assert_eq!(mock.summary_searches(), 4);

    // Summaries that undercount: the copy held stays short in the first
    // read, so it is incomplete and read again; the next whole search
    // brings the span.
    let mock = MockJaeger::start(Api::V3, vec![trace.clone()]).await;
    mock.summaries(Summaries::OneSpanEach);
    mock.add_late_span(1, trace.trace_id, late);
    let verdict = verify(&common::config(&mock.url)).await.unwrap();
    assert!(verdict.passed(), "{:?}", verdict.failures);
    assert_eq!(verdict.settle.polls, 3, "incomplete, complete, agreeing");
}

#[tokio::test]
async fn a_broken_trace_only_other_services_find_fails_whatever_the_summaries_say() {
    // Its loadgen span is missing, so the first service's search never
    // returns it: only the other services' summaries (or searches) do.
    let broken = traces::valid(BASE + 0x500, t0(4)).without_root_span();
    let fine = traces::valid(BASE + 0x501, t0(5));
    for summaries in [Summaries::Absent, Summaries::Honest, Summaries::OneSpanEach] {
        let mock = MockJaeger::start(Api::V3, vec![broken.clone(), fine.clone()]).await;
        mock.summaries(summaries);
        let verdict = verify(&common::config(&mock.url)).await.unwrap();
        assert!(!verdict.passed(), "{summaries:?}");
        assert_eq!(verdict.summary.checked, 2, "{summaries:?}");
        assert_eq!(verdict.summary.failed, 1, "{summaries:?}");
        assert!(
            verdict
                .failures
                .iter()
                .all(|f| f.trace_id.map(|id| id.0) == Some(broken.trace_id)),
            "{summaries:?}: {:?}",
            verdict.failures
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracestore_with_more_traces_than_the_limit_is_read_completely() {
    let store = tracestore::TraceStore::start(tracestore::TraceStoreConfig::ephemeral())
        .await
        .unwrap();
    let many = traces::mix(BASE + 0x20_0000, 600, traces::seconds_ago(100), 50_000_000);
    traces::export(&store.otlp_http_endpoint(), &many, 100).await;
    for api in [ApiChoice::V3, ApiChoice::V1] {
        let mut config = common::config(&store.query_url());
        config.api = api;
        config.max_traces = 25;
        let verdict = verify(&config).await.unwrap();
        assert!(verdict.passed(), "{api:?}: {:?}", verdict.failures);
        assert_eq!(verdict.summary.checked, 600, "{api:?}");
    }
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_tracestore_settles_after_one_read_and_a_changing_one_is_read_again() {
    let (store, mut config) = store_of_200(BASE + 0x30_0000).await;
    config.settle = Duration::from_secs(30);
    // Complete, and the store's counters unchanged a poll interval after
    // the read: settled without a second read.
    let verdict = verify(&config).await.unwrap();
    assert!(verdict.passed(), "{:?}", verdict.failures);
    assert_eq!(verdict.summary.checked, 200);
    assert_eq!((verdict.settle.polls, verdict.settle.quiet), (1, true));

    // Spans keep arriving (outside the window): the counters move, so the
    // window is read again and settles when two reads agree.
    let feeder = Feeder::start(store.otlp_http_endpoint(), BASE + 0x40_0000);
    let verdict = verify(&config).await.unwrap();
    assert!(feeder.stop().await > 0);
    assert!(verdict.passed(), "{:?}", verdict.failures);
    assert_eq!(verdict.summary.checked, 200);
    assert_eq!((verdict.settle.polls, verdict.settle.quiet), (2, true));
    store.shutdown().await;
}

/// A soak's read can take longer than --settle: against a tracestore whose
/// counters did not move across the read it is still settled (one read),
/// and against one whose counters moved it is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_longer_than_the_settle_is_settled_by_the_stores_counters() {
    let (store, mut config) = store_of_200(BASE + 0x50_0000).await;
    config.settle = Duration::from_millis(1);
    config.poll_interval = Duration::from_millis(50);
    let verdict = verify(&config).await.unwrap();
    assert!(verdict.passed(), "{:?}", verdict.failures);
    assert_eq!(verdict.summary.checked, 200);
    assert_eq!((verdict.settle.polls, verdict.settle.quiet), (1, true));

    // Spans keep arriving (outside the window) across the read: the
    // counters moved, so the store is not known to be settled.
    let feeder = Feeder::start(store.otlp_http_endpoint(), BASE + 0x60_0000);
    let verdict = verify(&config).await.unwrap();
    assert!(feeder.stop().await > 0);
    assert_eq!(verdict.summary.checked, 200);
    assert_eq!((verdict.settle.polls, verdict.settle.quiet), (1, false));
    store.shutdown().await;
}

/// A tracestore holding 200 contract traces of ids from `first_id`, and
/// the verifier's configuration for it.
async fn store_of_200(first_id: u128) -> (tracestore::RunningTraceStore, VerifyConfig) {
    let store = tracestore::TraceStore::start(tracestore::TraceStoreConfig::ephemeral())
        .await
        .unwrap();
    let loaded = traces::mix(first_id, 200, traces::seconds_ago(100), 50_000_000);
    traces::export(&store.otlp_http_endpoint(), &loaded, 100).await;
    let config = common::config(&store.query_url());
    (store, config)
}

/// Exports one health trace an hour old (outside any test's window) after
/// another until stopped, so the store's counters keep moving.
struct Feeder {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<u128>,
}

impl Feeder {
    fn start(endpoint: String, first_id: u128) -> Feeder {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let task = tokio::spawn({
            let stop = stop.clone();
            async move {
                let client = reqwest::Client::new();
                let mut n = 0u128;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let old = traces::health(first_id + n, traces::seconds_ago(3_600));
                    let body =
                        serde_json::json!({ "resourceSpans": traces::v3_resource_spans(&old) });
                    let sent = client
                        .post(format!("{endpoint}/v1/traces"))
                        .header("content-type", "application/json")
                        .body(body.to_string())
                        .send()
                        .await;
                    assert_eq!(sent.map(|r| r.status().as_u16()).ok(), Some(200));
                    n += 1;
                }
                n
            }
        });
        Feeder { stop, task }
    }

    /// Stops it; how many traces it sent.
    async fn stop(self) -> u128 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.task.await.unwrap()
    }
}

#[tokio::test]
async fn late_spans_arriving_during_settle_are_waited_for() {
    for api in [Api::V3, Api::V1] {
        let mut trace = traces::valid(BASE + 0x200, t0(1));
        let late = trace.remove("save_order");
        let mock = MockJaeger::start(api, vec![trace.clone()]).await;
        // Each read of the window is three searches (one per service): the span lands on the 4th read.
        mock.add_late_span(3 * 3, trace.trace_id, late);
        let mut config = common::config(&mock.url);
        config.settle = Duration::from_secs(10);
        let verdict = verify(&config).await.unwrap();
        assert!(
            verdict.passed(),
            "{api:?}: {}",
            verifier::render(&verdict, verifier::Format::Text, Default::default())
        );
        // Reads 1-3 lack the span, read 4 brings it, read 5 agrees: it waited
        // for the span and stopped at once, long before --settle ran out.
        assert_eq!(verdict.settle.polls, 5, "{api:?}");
        assert!(verdict.settle.quiet, "{api:?}");
    }
}

#[tokio::test]
async fn auto_prefers_v3_and_falls_back_to_v1() {
    let trace = traces::health(BASE + 0x300, t0(2));
    for (api, expected) in [
        (Api::Both, ApiVersion::V3),
        (Api::V3, ApiVersion::V3),
        (Api::V1, ApiVersion::V1),
    ] {
        let mock = MockJaeger::start(api, vec![trace.clone()]).await;
        let verdict = verify(&common::config(&mock.url)).await.unwrap();
        assert_eq!(verdict.api, expected, "{api:?}");
        assert!(verdict.passed());
    }
    let mock = MockJaeger::start(Api::Both, vec![trace.clone()]).await;
    let mut config = common::config(&mock.url);
    config.api = ApiChoice::V1;
    assert_eq!(verify(&config).await.unwrap().api, ApiVersion::V1);
    let mock = MockJaeger::start(Api::V1, vec![trace.clone()]).await;
    forcing_v3_is_could_not_check(&mock.url).await;
}

/// Forcing v3 on a server without it is could-not-check, with a hint.
async fn forcing_v3_is_could_not_check(url: &str) {
    let mut config = common::config(url);
    config.api = ApiChoice::V3;
    let err = verify(&config).await.unwrap_err();
    assert!(matches!(err, CheckError::NotJaeger { .. }), "{err}");
    assert!(err.to_string().contains("--api v1"), "{err}");
}

#[tokio::test]
async fn auto_falls_back_to_v1_when_v3_paths_serve_the_ui() {
    // Jaeger builds without /api/v3 answer unknown paths with 200 index.html.
    let trace = traces::health(BASE + 0x310, t0(2));
    let mock = MockJaeger::start(Api::V1, vec![trace]).await;
    mock.set_fault(Fault::UiCatchAll);
    let verdict = verify(&common::config(&mock.url)).await.unwrap();
    assert_eq!(verdict.api, ApiVersion::V1);
    assert!(verdict.passed());
    forcing_v3_is_could_not_check(&mock.url).await;
}

#[tokio::test]
async fn transient_errors_are_retried() {
    let mock = MockJaeger::start(Api::V3, vec![traces::health(BASE + 0x400, t0(3))]).await;
    mock.set_fault(Fault::Transient(2));
    let verdict = verify(&common::config(&mock.url)).await.unwrap();
    assert!(verdict.passed());
}

/// A proxy in front of `upstream` whose first `cut` connections answer 200
/// with a body that stops short: the connection closes mid-body.
async fn cutting_proxy(upstream: &str, cut: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        let mut accepted = 0;
        while let Ok((mut client, _)) = listener.accept().await {
            accepted += 1;
            let upstream = upstream.clone();
            let cut_this = accepted <= cut;
            tokio::spawn(async move {
                if cut_this {
                    let mut head = [0u8; 4096];
                    let _ = client.read(&mut head).await;
                    let _ = client
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"serv")
                        .await;
                } else if let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    url
}

#[tokio::test]
async fn an_answer_cut_short_is_retried() {
    let mock = MockJaeger::start(Api::V3, vec![traces::health(BASE + 0x410, t0(3))]).await;
    let proxy = cutting_proxy(&mock.url, 1).await;
    let verdict = verify(&common::config(&proxy)).await.unwrap();
    assert!(verdict.passed());
    // Cut short on every attempt: could not check, naming the transport error.
    let proxy = cutting_proxy(&mock.url, usize::MAX).await;
    let err = verify(&common::config(&proxy)).await.unwrap_err();
    assert!(matches!(err, CheckError::Unreachable { .. }), "{err}");
}

#[tokio::test]
async fn unreachable_jaeger_is_could_not_check() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = verify(&common::config(&url)).await.unwrap_err();
    assert!(matches!(err, CheckError::Unreachable { .. }), "{err}");
    assert!(!err.to_string().contains('\n'));
}

#[tokio::test]
async fn misbehaving_jaeger_is_could_not_check() {
    let trace = traces::health(BASE + 0x500, t0(4));
    for (fault, check) in [
        (
            Fault::Status(500),
            (|e: &CheckError| {
                matches!(e, CheckError::Http { status: 500, .. })
                    && e.to_string().contains("storage is on fire")
            }) as fn(&CheckError) -> bool,
        ),
        (Fault::Status(503), |e| {
            matches!(e, CheckError::Http { status: 503, .. })
        }),
        (Fault::Status(401), |e| {
            matches!(e, CheckError::Http { status: 401, .. })
        }),
        (Fault::NotJson, |e| {
            matches!(e, CheckError::NotJaeger { .. })
        }),
        (Fault::WrongJson, |e| {
            matches!(e, CheckError::NotJaeger { .. })
        }),
    ] {
        for api in [Api::V3, Api::V1] {
            let mock = MockJaeger::start(api, vec![trace.clone()]).await;
            mock.set_fault(fault);
            let err = verify(&common::config(&mock.url)).await.unwrap_err();
            assert!(check(&err), "{fault:?} {api:?}: {err}");
            assert!(!err.to_string().contains('\n'), "one line: {err}");
        }
    }
}

#[tokio::test]
async fn a_server_that_is_not_jaeger_at_all_is_could_not_check() {
    let router = axum::Router::new()
        .fallback(|| async { (axum::http::StatusCode::NOT_FOUND, "nothing here") });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    let err = verify(&common::config(&url)).await.unwrap_err();
    assert!(matches!(err, CheckError::Http { status: 404, .. }), "{err}");
}

#[tokio::test]
async fn an_empty_window_is_nothing_to_check() {
    let mock = MockJaeger::start(Api::V3, Vec::new()).await;
    let mut config = common::config(&mock.url);
    config.settle = Duration::from_millis(200);
    let err = verify(&config).await.unwrap_err();
    assert!(matches!(err, CheckError::NothingToCheck(_)), "{err}");
}

#[tokio::test]
async fn an_answer_over_the_size_limit_is_could_not_check_unread_and_not_retried() {
    let limit = 1 << 20;
    let too_large = |err: &CheckError| {
        matches!(err, CheckError::TooLarge { limit: l, .. } if *l == limit)
            && err.to_string().contains("more than 1.0 MiB")
            && err.to_string().contains("--max-response-size")
    };
    // A chunked body that would go on for 64 MiB.
    let backend = Scripted::start(Script::Chunked { total: 64 << 20 }).await;
    let mut config = common::config(&backend.url);
    config.max_response_bytes = limit;
    let err = verify(&config).await.unwrap_err();
    assert!(too_large(&err), "{err}");
    backend.served(1).await;
    assert_eq!(
        backend.connections(),
        1,
        "an answer too large is not retried"
    );
    assert!(
        backend.sent() < 32 << 20,
        "the verifier stopped reading near the limit, yet {} bytes went out",
        backend.sent()
    );

    // A Content-Length over the limit is refused before any of the body comes.
    let backend = Scripted::start(Script::Announce {
        length: 10_000_000_000,
    })
    .await;
    let mut config = common::config(&backend.url);
    config.max_response_bytes = limit;
    let err = verify(&config).await.unwrap_err();
    assert!(too_large(&err), "{err}");
    assert_eq!(backend.connections(), 1);
    backend.release();

    // The limit holds after decompression: a small gzip body that inflates to 16 MiB.
    let backend = Scripted::start(Script::GzipBomb { inflated: 16 << 20 }).await;
    let mut config = common::config(&backend.url);
    config.max_response_bytes = limit;
    let err = verify(&config).await.unwrap_err();
    assert!(too_large(&err), "{err}");
    assert!(backend.sent() < 1 << 20, "the compressed body is small");
}

#[tokio::test]
async fn a_hung_jaeger_is_could_not_check_at_the_read_deadline() {
    // Never answers: every try ends at the request timeout, and all of them
    // together at the read deadline, long before 1,000 tries.
    let backend = Scripted::start(Script::Silent).await;
    let mut config = common::config(&backend.url);
    config.request_timeout = Duration::from_millis(100);
    config.read_deadline = Duration::from_millis(600);
    config.retry.attempts = 1000;
    let err = verify(&config).await.unwrap_err();
    assert!(
        matches!(err, CheckError::Hung { deadline, .. } if deadline == config.read_deadline),
        "{err}"
    );
    assert!(err.to_string().contains("within 600ms"), "{err}");
    assert!(
        (2..1000).contains(&backend.connections()),
        "tried again after each request timeout, then gave up: {} tries",
        backend.connections()
    );
    backend.release();

    // Sends the start of an answer and stalls: the request timeout covers the body.
    let backend = Scripted::start(Script::StallBody).await;
    let mut config = common::config(&backend.url);
    config.request_timeout = Duration::from_millis(200);
    config.retry.attempts = 1;
    let err = verify(&config).await.unwrap_err();
    assert!(matches!(err, CheckError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
    backend.release();
}

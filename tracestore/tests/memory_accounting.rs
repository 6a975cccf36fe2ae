//! The store's byte estimate (what `--max-bytes` bounds) against the heap
//! its spans really hold. A counting allocator charges every allocation
//! the block glibc's malloc would use for it (8-byte header, 16-byte
//! rounding, 32 at least); the store's estimate is that heap plus a tenth
//! for the allocator's free memory, so divided by 1.1 it must match what
//! the counter saw the store take, after filling and after evicting.

#[path = "../benches/common/mod.rs"]
mod contract;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};

use bytes::Bytes;
use contract::raw_grpc::RawClient;
use contract::{SPANS_PER_BATCH, TRACES_PER_BATCH, contract_batch};
use prost::Message;
use tracestore::{RunningTraceStore, TraceStore, TraceStoreConfig};

/// Heap blocks in use, in glibc's block sizes.
static LIVE: AtomicI64 = AtomicI64::new(0);

fn block(size: usize) -> i64 {
    let b = (size + 8 + 15) & !15;
    b.max(32) as i64
}

struct Counting;

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(block(layout.size()), Ordering::Relaxed);
        // SAFETY: the caller's layout, as GlobalAlloc requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(block(layout.size()), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(block(layout.size()), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(block(new_size) - block(layout.size()), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Sends `exports` exports of new contract traces, from trace `*next` on.
async fn send(client: &mut RawClient, next: &mut u64, exports: u64) {
    for _ in 0..exports {
        let body = contract_batch(0, *next).encode_to_vec();
        *next += TRACES_PER_BATCH as u64;
        client
            .export(Bytes::from(body))
            .await
            .expect("export accepted");
    }
}

/// The store's estimate over the heap it holds beyond `base` (the counter
/// and the estimate when it held only the warm-up export).
fn ratio(store: &RunningTraceStore, base: (i64, u64)) -> f64 {
    let heap = LIVE.load(Ordering::Relaxed) - base.0;
    let estimate = store.stats().bytes - base.1;
    estimate as f64 / 1.1 / heap as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_byte_estimate_is_the_heap_the_spans_hold() {
    const EXPORTS: u64 = 40;
    let store = TraceStore::start(TraceStoreConfig {
        max_spans: (EXPORTS + 1) * SPANS_PER_BATCH as u64,
        ..TraceStoreConfig::ephemeral()
    })
    .await
    .expect("store starts");
    let mut client = RawClient::connect(store.otlp_grpc_endpoint()).await;
    let mut next = 0;
    // A first export sets up the connection's and the runtime's buffers.
    send(&mut client, &mut next, 1).await;
    let base = (LIVE.load(Ordering::Relaxed), store.stats().bytes);

    send(&mut client, &mut next, EXPORTS).await;
    assert_eq!(store.stats().evicted_traces, 0);
    let filled = ratio(&store, base);
    eprintln!("estimate / 1.1 over the heap held: {filled:.3} filled");
    assert!((0.95..=1.05).contains(&filled), "filled: {filled:.3}");

    // As many again: every older trace evicted, the warm-up's too.
    send(&mut client, &mut next, EXPORTS + 1).await;
    let s = store.stats();
    assert_eq!(s.evicted_traces, (EXPORTS + 1) * TRACES_PER_BATCH as u64);
    let evicting = ratio(&store, base);
    eprintln!("estimate / 1.1 over the heap held: {evicting:.3} evicting");
    assert!((0.95..=1.05).contains(&evicting), "evicting: {evicting:.3}");
    store.shutdown().await;
}

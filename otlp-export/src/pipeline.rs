//! A batching span pipeline for callers that hold their spans' figures
//! rather than SDK spans (the loadgen's CLIENT spans): each span is encoded
//! into OTLP protobuf as it ends, appended to the open batch, and one task
//! sends the batches. It does what the SDK's batch processor and OTLP
//! exporter do (batch size, schedule delay, bounded queue, retries, a
//! drained queue at the end) for a fraction of their cost per span: a
//! generator ends spans as fast as it sends requests.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use opentelemetry_sdk::Resource;
use parking_lot::Mutex;
use tokio::{sync::mpsc, task::JoinHandle};

use crate::{
    destination::{Destination, EndpointError},
    encode::{self, SpanRecord},
    transport::Transport,
};

/// How long the end of a run waits for the queue to drain (the SDK's
/// default export timeout); what is still queued then is lost and counted.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);

/// Batch tuning (the `OTEL_BSP_*` variables); the default is the SDK's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    /// Spans queued at most; more are dropped and counted.
    pub max_queue_size: usize,
    /// Spans per export request.
    pub max_export_batch_size: usize,
    /// Longest wait for a partial batch.
    pub scheduled_delay: Duration,
}

impl Default for Batching {
    fn default() -> Batching {
        Batching {
            max_queue_size: 2048,
            max_export_batch_size: 512,
            scheduled_delay: Duration::from_secs(5),
        }
    }
}

/// Encoded spans waiting for their export request.
#[derive(Debug, Default)]
struct Batch {
    spans: Vec<u8>,
    count: u64,
}

impl Batch {
    /// Takes the batch out, leaving an empty one as large (batches are
    /// alike, so the buffer does not grow again from nothing).
    fn take(&mut self) -> Batch {
        let room = Vec::with_capacity(self.spans.len());
        Batch {
            spans: std::mem::replace(&mut self.spans, room),
            count: std::mem::take(&mut self.count),
        }
    }
}

#[derive(Debug)]
struct Open {
    batch: Batch,
    /// `None` once the run has ended.
    queue: Option<mpsc::Sender<Batch>>,
}

/// What became of the spans handed over.
#[derive(Debug, Default)]
struct Delivery {
    exported: AtomicU64,
    /// The last export error, or why spans were dropped.
    error: Mutex<Option<String>>,
}

impl Delivery {
    fn lost(&self, message: String) {
        *self.error.lock() = Some(message);
    }
}

/// Batches CLIENT spans and exports them in the background.
#[derive(Debug)]
pub struct SpanPipeline {
    open: Mutex<Open>,
    max_batch: u64,
    delivery: Arc<Delivery>,
    sender: Mutex<Option<JoinHandle<()>>>,
    ticker: JoinHandle<()>,
}

impl SpanPipeline {
    /// Starts the sender (and the schedule-delay ticker) for `destination`;
    /// every request carries `resource` and the scope `scope_name`,
    /// `scope_version`. Call inside a Tokio runtime.
    pub fn start(
        destination: &Destination,
        resource: &Resource,
        scope_name: &str,
        scope_version: &str,
        batching: Batching,
    ) -> Result<Arc<SpanPipeline>, EndpointError> {
        let transport = Transport::new(destination)?;
        let envelope = encode::Envelope::new(resource, scope_name, scope_version);
        let max_batch = batching.max_export_batch_size.max(1);
        let max_queue = batching.max_queue_size;
        let (queue, batches) = mpsc::channel((max_queue / max_batch).max(1));
        let delivery = Arc::new(Delivery::default());
        let sender = tokio::spawn(send_batches(batches, transport, envelope, delivery.clone()));
        let pipeline = Arc::new_cyclic(|me: &std::sync::Weak<SpanPipeline>| {
            let delay = batching.scheduled_delay;
            let me = me.clone();
            let ticker = tokio::spawn(async move {
                let mut every = tokio::time::interval(delay.max(Duration::from_millis(1)));
                every.tick().await;
                loop {
                    every.tick().await;
                    let Some(pipeline) = me.upgrade() else { return };
                    pipeline.flush_open();
                }
            });
            SpanPipeline {
                open: Mutex::new(Open {
                    batch: Batch::default(),
                    queue: Some(queue),
                }),
                max_batch: max_batch as u64,
                delivery,
                sender: Mutex::new(Some(sender)),
                ticker,
            }
        });
        Ok(pipeline)
    }

    /// Adds one ended span; a full batch goes to the sender.
    pub fn push(&self, span: &SpanRecord<'_>) {
        let mut open = self.open.lock();
        encode::append_span(&mut open.batch.spans, span);
        open.batch.count += 1;
        if open.batch.count >= self.max_batch {
            let full = open.batch.take();
            self.hand_over(&open, full);
        }
    }

    /// Queues the open batch, however small (the schedule delay is up).
    fn flush_open(&self) {
        let mut open = self.open.lock();
        let batch = open.batch.take();
        self.hand_over(&open, batch);
    }

    /// Queues `batch` without waiting: a full queue (the receiver is
    /// behind or down) drops it, and the loss is counted.
    fn hand_over(&self, open: &Open, batch: Batch) {
        if batch.count == 0 {
            return;
        }
        if let Some(queue) = &open.queue
            && queue.try_send(batch).is_err()
        {
            self.delivery.lost(
                "spans were dropped: the export queue was full (the receiver is too slow or down)"
                    .into(),
            );
        }
    }

    /// Sends what is left and waits (up to 30 s) for every
    /// queued export; the number of spans the receiver accepted and the
    /// last error, if any.
    pub async fn finish(&self) -> (u64, Option<String>) {
        self.ticker.abort();
        let (last, queue) = {
            let mut open = self.open.lock();
            (std::mem::take(&mut open.batch), open.queue.take())
        };
        let sender = self.sender.lock().take();
        if let Some(mut sender) = sender {
            let drain = async {
                // Queued behind the others; then the queue closes and the
                // sender ends once it is empty.
                if let Some(queue) = queue
                    && last.count > 0
                    && queue.send(last).await.is_err()
                {
                    self.delivery.lost("the span sender stopped early".into());
                }
                let _ = (&mut sender).await;
            };
            if tokio::time::timeout(DRAIN_LIMIT, drain).await.is_err() {
                sender.abort();
                self.delivery.lost(format!(
                    "gave up exporting the queued spans after {}s",
                    DRAIN_LIMIT.as_secs()
                ));
            }
        }
        (
            self.delivery.exported.load(Ordering::Relaxed),
            self.delivery.error.lock().clone(),
        )
    }
}

/// The sender: one export request at a time, in order.
async fn send_batches(
    mut batches: mpsc::Receiver<Batch>,
    transport: Transport,
    envelope: encode::Envelope,
    delivery: Arc<Delivery>,
) {
    while let Some(batch) = batches.recv().await {
        let request = Bytes::from(envelope.request(&batch.spans));
        match transport.export(request).await {
            Ok(accepted) => {
                let taken = batch.count.saturating_sub(accepted.rejected);
                delivery.exported.fetch_add(taken, Ordering::Relaxed);
                if accepted.rejected > 0 {
                    delivery.lost(format!(
                        "the receiver rejected {} loadgen spans: {}",
                        accepted.rejected, accepted.message
                    ));
                }
            }
            Err(e) => delivery.lost(e.to_string()),
        }
    }
}

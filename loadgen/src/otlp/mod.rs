//! The loadgen's own span pipeline: CLIENT spans encoded into OTLP
//! protobuf as they end, gathered into batches, and sent by one task to the
//! configured receiver. It does what the SDK's batch processor and OTLP
//! exporter do (batch size, schedule delay, bounded queue, retries, a
//! drained queue at the end) for a fraction of their cost per span: a
//! generator ends spans as fast as it sends requests.

mod encode;
mod transport;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use parking_lot::Mutex;
use telemetry::OtelConfig;
use tokio::{sync::mpsc, task::JoinHandle};

pub(crate) use encode::{AttrValue, SpanRecord};

use crate::error::LoadError;

/// Spans queued at most unless configured: a dropped root span fails a
/// trace, and a generator ends spans much faster than a service.
const DEFAULT_MAX_QUEUE_SIZE: usize = 65_536;
/// Spans per export request unless configured (the SDK's default).
const DEFAULT_MAX_BATCH: usize = 512;
/// Longest wait for a partial batch unless configured (the SDK's default).
const DEFAULT_SCHEDULE_DELAY: Duration = Duration::from_secs(5);
/// How long the end of a run waits for the queue to drain (the SDK's
/// default export timeout); what is still queued then is lost and counted.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);

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
pub(crate) struct SpanPipeline {
    open: Mutex<Open>,
    max_batch: u64,
    delivery: Arc<Delivery>,
    sender: Mutex<Option<JoinHandle<()>>>,
    ticker: JoinHandle<()>,
}

impl SpanPipeline {
    /// Starts the sender (and the schedule-delay ticker) for the receiver,
    /// resource and batch tuning `cfg` describes. Call inside a Tokio runtime.
    pub(crate) fn start(cfg: &OtelConfig) -> Result<Arc<SpanPipeline>, LoadError> {
        let transport = transport::Transport::new(cfg)?;
        let envelope = encode::Envelope::new(
            &telemetry::resource(cfg),
            "loadgen",
            env!("CARGO_PKG_VERSION"),
        );
        let max_batch = cfg.batch.max_export_batch_size.unwrap_or(DEFAULT_MAX_BATCH);
        let max_queue = cfg.batch.max_queue_size.unwrap_or(DEFAULT_MAX_QUEUE_SIZE);
        let (queue, batches) = mpsc::channel((max_queue / max_batch).max(1));
        let delivery = Arc::new(Delivery::default());
        let sender = tokio::spawn(send_batches(batches, transport, envelope, delivery.clone()));
        let pipeline = Arc::new_cyclic(|me: &std::sync::Weak<SpanPipeline>| {
            let delay = cfg.batch.scheduled_delay.unwrap_or(DEFAULT_SCHEDULE_DELAY);
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
    pub(crate) fn push(&self, span: &SpanRecord<'_>) {
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

    /// Sends what is left and waits (up to [`DRAIN_LIMIT`]) for every
    /// queued export; the number of spans the receiver accepted and the
    /// last error, if any.
    pub(crate) async fn finish(&self) -> (u64, Option<String>) {
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
    transport: transport::Transport,
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
            Err(e) => delivery.lost(e),
        }
    }
}

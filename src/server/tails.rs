//! Live tails: `kafka/records/tail` starts one; each has a reader on a blocking thread of its own
//! and a forwarding task that sends its `kafka/records` batches to the client.
//!
//! Flow control: the reader hands a batch (at most 500 records or about 1 MiB, or what 100 ms
//! brought) to a channel that holds two; the forwarder sends at most ten batches a second. When the
//! editor is slower than the topic, the reader waits on the channel, stops polling, and librdkafka
//! stops fetching once its bounded prefetch is full: the tail falls behind in Kafka, never in the
//! sidecar's memory.
//!
//! A tail on a Confluent Cloud cluster is a task that polls pages through Kafka REST instead of a
//! reader; its batches go through the same channel and forwarder.
//!
//! A tail ends with `kafka/records/untail`, with its connection (deleted or changed), when its
//! topic is deleted, when reading fails, and with the session (the state's `Drop` stops every
//! reader). Every end but the session's is announced with `kafka/tail/ended` and its reason.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tower_lsp_server::Client;

use super::ccloud_records::{CloudTail, TAIL_IDLE};
use super::Lsp;
use crate::backends::kafka::records::{Shaper, TailReader, TailStop};
use crate::backends::schemas::shown::Shown;
use crate::protocol::methods::{TailBatch, TailStopped};
use crate::protocol::records::{Record, RecordsBatch, TailEndReason, TailEnded};

/// The most tails one session runs at once.
pub const MAX_TAILS: usize = 16;
/// The shortest time between two batches of one tail.
const BATCH_INTERVAL: Duration = Duration::from_millis(100);

/// The session's tails. Cheap to clone; every clone sees the same tails.
#[derive(Clone)]
pub(super) struct Tails {
    state: Arc<Mutex<State>>,
    client: Client,
}

#[derive(Default)]
struct State {
    next_id: u64,
    tails: HashMap<String, Tail>,
}

struct Tail {
    connection_id: String,
    topic: String,
    stop: Arc<AtomicBool>,
    /// Why the tail was told to stop, when it was.
    reason: Option<(TailEndReason, String)>,
    /// The reader's thread, awaited when the topic is about to be deleted.
    reader: Option<JoinHandle<()>>,
}

impl Drop for State {
    fn drop(&mut self) {
        for tail in self.tails.values() {
            tail.stop.store(true, Ordering::SeqCst);
        }
    }
}

enum Event {
    Batch(Vec<Record>, u64),
    End(TailStop),
}

/// What a new tail reads.
pub(super) struct TailPlan {
    pub connection_id: String,
    pub topic: String,
    pub not_before: Option<i64>,
    pub shown: Shown,
    pub message_max_bytes: usize,
}

impl Tails {
    pub fn new(client: Client) -> Self {
        Self { state: Arc::default(), client }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether the session may start another tail.
    pub fn room(&self) -> bool {
        self.lock().tails.len() < MAX_TAILS
    }

    /// Starts a tail on a reader already assigned to its starts. Returns its id.
    pub fn start(&self, plan: TailPlan, reader: TailReader) -> Option<String> {
        let TailPlan { connection_id, topic, .. } = &plan;
        self.launch(connection_id.clone(), topic.clone(), move |stop, events| {
            tokio::task::spawn_blocking(move || {
                let shaper = Shaper { shown: &plan.shown, message_max_bytes: plan.message_max_bytes };
                let ended = reader.run(&shaper, plan.not_before, &stop, |records, scanned| {
                    events.blocking_send(Event::Batch(records, scanned)).is_ok()
                });
                let _ = events.blocking_send(Event::End(ended));
            })
        })
    }

    /// Starts a tail that polls a Confluent Cloud cluster: each poll's records are a batch; a poll
    /// that brings nothing waits [`TAIL_IDLE`] before the next. Returns its id.
    pub fn start_polled(&self, connection_id: String, mut source: CloudTail) -> Option<String> {
        let topic = source.topic.clone();
        self.launch(connection_id, topic, move |stop, events| {
            tokio::spawn(async move {
                let ended = loop {
                    if stop.load(Ordering::SeqCst) {
                        break TailStop::Stopped;
                    }
                    match source.next().await {
                        Ok((records, _)) if records.is_empty() => tokio::time::sleep(TAIL_IDLE).await,
                        Ok((records, scanned)) => {
                            if events.send(Event::Batch(records, scanned)).await.is_err() {
                                return;
                            }
                        }
                        Err(ended) => break ended,
                    }
                };
                let _ = events.send(Event::End(ended)).await;
            })
        })
    }

    /// Registers a tail whose reader `spawn` starts, given the tail's stop flag and the sender of
    /// its events, and forwards those events to the client. `None` past [`MAX_TAILS`]; else its id.
    fn launch(
        &self,
        connection_id: String,
        topic: String,
        spawn: impl FnOnce(Arc<AtomicBool>, mpsc::Sender<Event>) -> tokio::task::JoinHandle<()>,
    ) -> Option<String> {
        let mut state = self.lock();
        if state.tails.len() >= MAX_TAILS {
            return None;
        }
        state.next_id += 1;
        let id = format!("tail-{}", state.next_id);
        let stop = Arc::new(AtomicBool::new(false));
        let (events, received) = mpsc::channel(2);
        let reader = spawn(stop.clone(), events);
        tokio::spawn(forward(Arc::downgrade(&self.state), self.client.clone(), id.clone(), received));
        state.tails.insert(id.clone(), Tail { connection_id, topic, stop, reason: None, reader: Some(reader) });
        Some(id)
    }

    /// Stops a tail; false when no tail has this id.
    pub fn untail(&self, id: &str) -> bool {
        !self.end(|tid, _| tid == id, TailEndReason::Untail, "Stopped by kafka/records/untail").is_empty()
    }

    /// The connection was deleted or changed: its tails end.
    pub fn connection_ended(&self, connection_id: &str, deleted: bool) {
        let (reason, message) = if deleted {
            (TailEndReason::ConnectionDeleted, "The connection was deleted")
        } else {
            (
                TailEndReason::ConnectionUpdated,
                "The connection's spec changed: tail again to read with the new settings",
            )
        };
        self.end(|_, tail| tail.connection_id == connection_id, reason, message);
    }

    /// The topic is about to be deleted through this sidecar: its tails end first, and this waits
    /// (a few seconds at most) until their readers are closed.
    pub async fn topic_deleted(&self, connection_id: &str, topic: &str) {
        let readers = self.end(
            |_, tail| tail.connection_id == connection_id && tail.topic == topic,
            TailEndReason::TopicDeleted,
            "The topic was deleted",
        );
        for reader in readers {
            let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
        }
    }

    /// Tells the tails that `which` picks to stop, for `reason`; returns their readers' threads.
    fn end(&self, which: impl Fn(&str, &Tail) -> bool, reason: TailEndReason, message: &str) -> Vec<JoinHandle<()>> {
        let mut state = self.lock();
        let mut readers = Vec::new();
        for (id, tail) in state.tails.iter_mut() {
            if which(id, tail) && tail.reason.is_none() {
                tail.reason = Some((reason, message.to_string()));
                tail.stop.store(true, Ordering::SeqCst);
                readers.extend(tail.reader.take());
            }
        }
        readers
    }
}

/// Sends a tail's batches, at most one per [`BATCH_INTERVAL`], then its end.
async fn forward(state: std::sync::Weak<Mutex<State>>, client: Client, id: String, mut events: mpsc::Receiver<Event>) {
    while let Some(event) = events.recv().await {
        match event {
            Event::Batch(records, scanned) => {
                if !records.is_empty() {
                    let batch = RecordsBatch { subscription_id: id.clone(), records, scanned };
                    client.send_notification::<Lsp<TailBatch>>(batch).await;
                    tokio::time::sleep(BATCH_INTERVAL).await;
                }
            }
            Event::End(stopped) => {
                let Some(state) = state.upgrade() else { return };
                let told = {
                    let mut state = state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    state.tails.remove(&id).and_then(|tail| tail.reason)
                };
                let (reason, message) = match (told, stopped) {
                    (Some(told), _) => told,
                    (None, TailStop::TopicDeleted) => {
                        (TailEndReason::TopicDeleted, "The topic was deleted".to_string())
                    }
                    (None, TailStop::Failed(message)) => (TailEndReason::Error, message),
                    (None, TailStop::Stopped) => (TailEndReason::Untail, "Stopped".to_string()),
                };
                client
                    .send_notification::<Lsp<TailStopped>>(TailEnded { subscription_id: id.clone(), reason, message })
                    .await;
                return;
            }
        }
    }
}

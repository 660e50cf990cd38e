//! Live consumer-group lag: `kafka/lag/watch` registers a watch; every connection with watches has
//! one poll task, which reads the lag of every group its watches name (each group once, however many
//! watches name it) at the shortest of their intervals, and sends `kafka/lag` to a watch only when
//! one of its groups' lag changed since the last one it was sent.
//!
//! "Changed" means a partition's lag changed, or partitions came or went: offsets that move together
//! (a consumer keeping up with its producer) are no news. The first reading is always sent, and a
//! group that does not exist (or no longer does) is sent once with `gone: true`.
//!
//! Watches end with `kafka/lag/unwatch`, with their connection (deleted, or its spec changed: then
//! `kafka/lag/ended` says so) and with the session: the state is dropped with the server, and its
//! `Drop` stops the poll tasks, which only hold it weakly.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tower_lsp_server::Client;

use super::ccloud_data::CloudKafka;
use super::kafka::KafkaRequest;
use super::Lsp;
use crate::backends::kafka::data::{self, GroupLags as Lags};
use crate::protocol::kafka::{LagEnded, LagEvent, LagWatchParams};
use crate::protocol::methods::{LagChanged, LagWatchEnded};

/// The shortest interval a watch may ask for.
pub const MIN_INTERVAL_MS: u64 = 500;
/// The longest.
pub const MAX_INTERVAL_MS: u64 = 3_600_000;
/// The interval of a watch that names none.
pub const DEFAULT_INTERVAL_MS: u64 = 5_000;
/// The most groups one watch may name.
pub const MAX_GROUPS: usize = 100;

/// Where a connection's poll reads lag: the native client, or a Confluent Cloud cluster's REST API.
pub(super) enum LagSource {
    Native(Box<KafkaRequest>),
    Cloud(Box<CloudKafka>),
}

impl LagSource {
    async fn read(&self, groups: BTreeSet<String>) -> Result<Lags, String> {
        match self {
            Self::Native(kafka) => kafka
                .run(move |shared, timeout| data::lag_of_groups(shared, &groups, timeout))
                .await
                .map_err(|error| error.message.to_string()),
            Self::Cloud(cloud) => cloud.lag_of_groups(&groups).await,
        }
    }
}

/// The session's lag watches. Cheap to clone; every clone sees the same watches.
#[derive(Clone)]
pub(super) struct LagWatches {
    state: Arc<Mutex<State>>,
    client: Client,
}

#[derive(Default)]
struct State {
    next_id: u64,
    watches: HashMap<String, Watch>,
    /// One poll per connection with watches.
    polls: HashMap<String, Poll>,
}

struct Watch {
    connection_id: String,
    groups: Vec<String>,
    interval: Duration,
    /// What this watch was last sent, per group.
    sent: HashMap<String, Seen>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    /// The lag per partition: what decides whether there is news.
    Lag(Vec<(String, i32, i64)>),
    Gone,
}

struct Poll {
    /// The spec generation the poll's client was made for.
    generation: u64,
    /// Wakes the poll at once (a new watch wants its first reading).
    wake: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Drop for State {
    fn drop(&mut self) {
        for poll in self.polls.values() {
            poll.task.abort();
        }
    }
}

impl LagWatches {
    pub fn new(client: Client) -> Self {
        Self { state: Arc::default(), client }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Starts a watch on the connection `source` reads, at its spec `generation`. Returns its id.
    pub fn watch(&self, params: &LagWatchParams, source: LagSource, generation: u64) -> String {
        let interval = Duration::from_millis(params.interval_ms.unwrap_or(DEFAULT_INTERVAL_MS));
        let mut groups = params.group_ids.clone();
        groups.sort();
        groups.dedup();
        let mut state = self.lock();
        state.next_id += 1;
        let watch_id = format!("lag-{}", state.next_id);
        let connection_id = params.connection_id.clone();
        state.watches.insert(
            watch_id.clone(),
            Watch { connection_id: connection_id.clone(), groups, interval, sent: HashMap::new() },
        );
        match state.polls.get(&connection_id) {
            Some(poll) if poll.generation == generation && !poll.task.is_finished() => poll.wake.notify_one(),
            _ => {
                let wake = Arc::new(Notify::new());
                let task = tokio::spawn(poll(
                    Arc::downgrade(&self.state),
                    self.client.clone(),
                    connection_id.clone(),
                    source,
                    wake.clone(),
                ));
                if let Some(old) = state.polls.insert(connection_id, Poll { generation, wake, task }) {
                    old.task.abort();
                }
            }
        }
        watch_id
    }

    /// Stops a watch; false when no watch has this id.
    pub fn unwatch(&self, watch_id: &str) -> bool {
        self.lock().watches.remove(watch_id).is_some()
    }

    /// The connection was deleted or its spec changed: its watches end, and each says why.
    pub async fn connection_ended(&self, connection_id: &str, reason: &str) {
        let ended: Vec<String> = {
            let mut state = self.lock();
            if let Some(poll) = state.polls.remove(connection_id) {
                poll.task.abort();
            }
            let ids: Vec<String> = state
                .watches
                .iter()
                .filter(|(_, watch)| watch.connection_id == connection_id)
                .map(|(id, _)| id.clone())
                .collect();
            for id in &ids {
                state.watches.remove(id);
            }
            ids
        };
        for watch_id in ended {
            let notice = LagEnded { watch_id, reason: reason.to_string() };
            self.client.send_notification::<Lsp<LagWatchEnded>>(notice).await;
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One connection's poll: reads every watched group's lag, sends what changed, sleeps the shortest
/// interval, until the connection has no watches left (or the session ends).
async fn poll(state: Weak<Mutex<State>>, client: Client, connection_id: String, source: LagSource, wake: Arc<Notify>) {
    loop {
        // What to read: every group some watch of this connection names, at the shortest interval.
        let wanted = {
            let Some(state) = state.upgrade() else { return };
            let mut state = lock(&state);
            let watches = state.watches.values().filter(|watch| watch.connection_id == connection_id);
            let groups: BTreeSet<String> = watches.clone().flat_map(|watch| watch.groups.iter().cloned()).collect();
            let interval = watches.map(|watch| watch.interval).min();
            match interval {
                Some(interval) => Some((groups, interval)),
                None => {
                    state.polls.remove(&connection_id);
                    None
                }
            }
        };
        let Some((groups, interval)) = wanted else { return };
        tracing::debug!(connection = %connection_id, groups = groups.len(), "lag poll");
        let read = source.read(groups).await;
        match read {
            Ok(lags) => {
                let events = {
                    let Some(state) = state.upgrade() else { return };
                    let mut state = lock(&state);
                    news(&mut state, &connection_id, &lags)
                };
                for event in events {
                    client.send_notification::<Lsp<LagChanged>>(event).await;
                }
            }
            Err(error) => tracing::debug!(connection = %connection_id, %error, "could not read consumer lag"),
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = wake.notified() => {}
        }
    }
}

/// The events this reading makes: for each watch of the connection, each group whose lag differs
/// from what the watch was last sent.
fn news(state: &mut State, connection_id: &str, lags: &Lags) -> Vec<LagEvent> {
    let mut events = Vec::new();
    for (watch_id, watch) in state.watches.iter_mut().filter(|(_, watch)| watch.connection_id == connection_id) {
        for group_id in &watch.groups {
            let Some(reading) = lags.get(group_id) else { continue };
            let seen = match reading {
                Some((_, partitions)) => {
                    Seen::Lag(partitions.iter().map(|p| (p.topic.clone(), p.partition, p.lag)).collect())
                }
                None => Seen::Gone,
            };
            if watch.sent.get(group_id) == Some(&seen) {
                continue;
            }
            watch.sent.insert(group_id.clone(), seen);
            let (state, partitions) = match reading {
                Some((state, partitions)) => (state.clone(), partitions.clone()),
                None => ("Dead".to_string(), Vec::new()),
            };
            events.push(LagEvent {
                watch_id: watch_id.clone(),
                connection_id: connection_id.to_string(),
                group_id: group_id.clone(),
                state,
                total_lag: partitions.iter().map(|p| p.lag).sum(),
                gone: reading.is_none(),
                partitions,
            });
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::kafka::PartitionLag;

    fn lag(topic: &str, partition: i32, committed: i64, latest: i64) -> PartitionLag {
        PartitionLag {
            topic: topic.into(),
            partition,
            committed_offset: Some(committed),
            latest_offset: latest,
            lag: latest - committed,
            member_id: None,
        }
    }

    fn state_with(watches: &[(&str, &[&str])]) -> State {
        let mut state = State::default();
        for (id, groups) in watches {
            state.watches.insert(
                id.to_string(),
                Watch {
                    connection_id: "c".into(),
                    groups: groups.iter().map(|g| g.to_string()).collect(),
                    interval: Duration::from_secs(1),
                    sent: HashMap::new(),
                },
            );
        }
        state
    }

    #[test]
    fn only_changes_in_lag_are_news() {
        let mut state = state_with(&[("w1", &["g"]), ("w2", &["g", "h"])]);
        let reading = |committed, latest| -> Lags {
            [
                ("g".to_string(), Some(("Empty".to_string(), vec![lag("t", 0, committed, latest)]))),
                ("h".to_string(), None),
            ]
            .into_iter()
            .collect()
        };
        let first = news(&mut state, "c", &reading(5, 10));
        // Every watch gets its first reading of every group, and the missing group once, as gone.
        assert_eq!(first.len(), 3, "{first:?}");
        assert!(first.iter().any(|e| e.group_id == "h" && e.gone && e.watch_id == "w2"));
        assert!(first.iter().all(|e| e.group_id != "g" || e.total_lag == 5));
        // Nothing changed: nothing is sent.
        assert!(news(&mut state, "c", &reading(5, 10)).is_empty());
        // Offsets moved together: the lag is the same, so no news.
        assert!(news(&mut state, "c", &reading(15, 20)).is_empty());
        // The producer wrote more: both watches of g hear of it; h is still gone and stays quiet.
        let more = news(&mut state, "c", &reading(15, 27));
        assert_eq!(more.len(), 2);
        assert!(more.iter().all(|e| e.group_id == "g" && e.total_lag == 12 && !e.gone));
        // Another connection's reading is not these watches' news.
        assert!(news(&mut state, "other", &reading(0, 100)).is_empty());
    }
}

//! Reading and writing records on a connection's cluster: pages (`kafka/records/consume`), tails
//! (`kafka/records/tail`) and produce (`kafka/records/produce`).
//!
//! Pages are read by [`Reader`]s: consumers without a group, assigned to explicit offsets, made from
//! the shared client's configuration. A page's reader goes back to the [`Readers`] pool with the
//! positions it stopped at, so the next page of the same scan finds it there ("warm") and keeps
//! reading what it already fetched, without asking the cluster where to start. Readers nothing used
//! for [`READER_IDLE`] are closed. Each reader prefetches at most [`PREFETCH_KBYTES`] per partition,
//! which bounds memory whatever the topic holds.
//!
//! Every function here blocks; callers run them off the runtime.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer, DefaultConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer};
use rdkafka::{Offset, Timestamp, TopicPartitionList};

use super::admin::AdminError;
use super::clients::SharedClient;
use super::data::{fail_kafka, KafkaDataError, Op, Refusal};
use crate::backends::schemas::shown::{self, Shown};
use crate::protocol::records::*;

type Result<T> = std::result::Result<T, KafkaDataError>;

/// How long an unused reader stays open.
pub const READER_IDLE: Duration = Duration::from_secs(30);
/// The most idle readers kept per cluster and topic.
const READERS_KEPT: usize = 4;
/// How much a reader fetches ahead per partition.
pub const PREFETCH_KBYTES: u32 = 8 * 1024;
/// A page gives up waiting for a partition the watermarks say has more after this long without a
/// record (compacted or transactional offsets leave gaps no record fills).
const IDLE_GIVE_UP: Duration = Duration::from_millis(1500);
/// A filtered page scans at most this long, then answers with the matches so far and its cursor.
pub const FILTER_SCAN_LIMIT: Duration = Duration::from_secs(5);

const READ: Op = Op { name: "Fetch", doing: "read the records of topic" };

/// A page's limits, checked by the server.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_records: usize,
    pub max_bytes: usize,
    pub message_max_bytes: usize,
}

/// Where a page starts in one partition, worked out from a start or a cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionStart {
    pub partition: i32,
    pub offset: i64,
    pub not_before: Option<i64>,
    pub clamped_from: Option<i64>,
    pub low: i64,
    pub high: i64,
    /// A timestamp start with nothing at or after it (the lookup said so).
    pub nothing_after: bool,
}

/// Where a read begins: a start (first page) or a cursor (the next ones).
pub enum Begin<'a> {
    Start { partitions: Option<&'a [i32]>, start: Option<&'a Start> },
    Cursor(&'a Cursor),
}

/// A consumer for pages and tails, and the offset each of its partitions continues at.
pub struct Reader {
    consumer: BaseConsumer<DefaultConsumerContext>,
    topic: String,
    positions: BTreeMap<i32, i64>,
    last_used: Instant,
}

impl Reader {
    fn new(client: &SharedClient, topic: &str) -> Result<Self> {
        let mut config = client.config().clone();
        config
            // librdkafka assigns partitions only to a consumer with a group; this one never joins it
            // (no subscribe) and never commits, so no group appears on the cluster.
            .set("group.id", "ide-sidecar-reader")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "true")
            .set("auto.offset.reset", "earliest")
            // Some brokers hold a fetch for its whole wait when there is little to send; a page
            // wants what is there now.
            .set("fetch.wait.max.ms", "10")
            .set("fetch.queue.backoff.ms", "10")
            .set("queued.max.messages.kbytes", PREFETCH_KBYTES.to_string())
            .set("check.crcs", "false");
        config.remove("partitioner");
        let consumer: BaseConsumer = config.create().map_err(|error| fail_kafka(client, READ, topic, error))?;
        // An OAUTHBEARER cluster: the reader authenticates with the shared client's current token.
        if let Err(reason) = client.share_token(consumer.client().native_ptr()) {
            tracing::warn!(topic, "the OAuth token could not be handed to a reader: {reason}");
        }
        Ok(Self { consumer, topic: topic.to_string(), positions: BTreeMap::new(), last_used: Instant::now() })
    }

    fn assign(&mut self, client: &SharedClient, starts: &[PartitionStart]) -> Result<()> {
        let mut list = TopicPartitionList::new();
        for start in starts {
            list.add_partition_offset(&self.topic, start.partition, Offset::Offset(start.offset))
                .map_err(|error| fail_kafka(client, READ, &self.topic, error))?;
        }
        self.consumer.assign(&list).map_err(|error| fail_kafka(client, READ, &self.topic, error))?;
        self.positions = starts.iter().map(|start| (start.partition, start.offset)).collect();
        Ok(())
    }

    /// Whether the reader continues exactly where these starts are.
    fn continues(&self, starts: &[PartitionStart]) -> bool {
        self.positions.len() == starts.len()
            && starts.iter().all(|start| self.positions.get(&start.partition) == Some(&start.offset))
    }
}

/// Idle readers, by cluster (the shared client's configuration) and topic.
#[derive(Default)]
pub struct Readers {
    idle: Mutex<HashMap<(String, String), Vec<Reader>>>,
}

impl Readers {
    fn key(client: &SharedClient, topic: &str) -> (String, String) {
        (client.key().to_string(), topic.to_string())
    }

    /// A reader positioned at `starts`: a warm one that continues there, or any idle one of the
    /// topic (re-assigned), or a new one. The flag says whether it was warm.
    fn take(&self, client: &SharedClient, topic: &str, starts: &[PartitionStart]) -> Result<(Reader, bool)> {
        let found = {
            let mut idle = lock(&self.idle);
            idle.retain(|_, readers| {
                readers.retain(|reader| reader.last_used.elapsed() < READER_IDLE);
                !readers.is_empty()
            });
            idle.get_mut(&Self::key(client, topic)).and_then(|readers| {
                let warm = readers.iter().position(|reader| reader.continues(starts));
                match warm {
                    Some(index) => Some((readers.swap_remove(index), true)),
                    None => readers.pop().map(|reader| (reader, false)),
                }
            })
        };
        match found {
            Some((reader, true)) => Ok((reader, true)),
            Some((mut reader, false)) => {
                reader.assign(client, starts)?;
                Ok((reader, false))
            }
            None => {
                let mut reader = Reader::new(client, topic)?;
                reader.assign(client, starts)?;
                Ok((reader, false))
            }
        }
    }

    fn put(&self, client: &SharedClient, mut reader: Reader) {
        reader.last_used = Instant::now();
        let mut idle = lock(&self.idle);
        let readers = idle.entry(Self::key(client, &reader.topic)).or_default();
        if readers.len() < READERS_KEPT {
            readers.push(reader);
        }
    }

    /// Where a page continuing `cursor` starts when a kept reader stopped exactly there: from the
    /// reader's cached watermarks, without asking the cluster anything (the next page of a scan).
    /// None when no such reader is kept, or a partition's cursor is before its log start or at its
    /// cached end (the next page of a scan that is not done needs no request).
    pub fn warm_starts(&self, client: &SharedClient, cursor: &Cursor) -> Option<Vec<PartitionStart>> {
        let idle = lock(&self.idle);
        let readers = idle.get(&Self::key(client, &cursor.topic))?;
        let reader = readers.iter().find(|reader| {
            reader.positions.len() == cursor.partitions.len()
                && cursor.partitions.iter().all(|at| reader.positions.get(&at.partition) == Some(&at.offset))
        })?;
        cursor
            .partitions
            .iter()
            .map(|at| {
                let (low, high) = cached_watermarks(reader, &cursor.topic, at.partition)?;
                // At the cached end, only the cluster knows whether more came since: plan afresh.
                (low <= at.offset && at.offset < high).then_some(PartitionStart {
                    partition: at.partition,
                    offset: at.offset,
                    not_before: at.not_before,
                    clamped_from: None,
                    low,
                    high: high.max(at.offset),
                    nothing_after: false,
                })
            })
            .collect()
    }

    /// Closes the idle readers of a topic (before it is deleted: some brokers' metadata for a
    /// deleted topic crashes librdkafka consumers still assigned to it).
    pub fn close_topic(&self, topic: &str) {
        let closed: Vec<Reader> = {
            let mut idle = lock(&self.idle);
            let keys: Vec<_> = idle.keys().filter(|(_, t)| t == topic).cloned().collect();
            keys.into_iter().flat_map(|key| idle.remove(&key).unwrap_or_default()).collect()
        };
        drop(closed);
    }

    /// How many readers are idle, for tests and benchmarks.
    pub fn idle_count(&self) -> usize {
        lock(&self.idle).values().map(Vec::len).sum()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The partitions of `topic`, or `TopicNotFound`.
pub fn partitions_of(client: &SharedClient, topic: &str, timeout: Duration) -> Result<Vec<i32>> {
    let metadata = client.metadata(timeout).map_err(|error| fail_kafka(client, READ, topic, error))?;
    let found = metadata.topics().iter().find(|t| t.name() == topic);
    match found.map(|found| (found, found.error().map(RDKafkaErrorCode::from))) {
        Some((found, None)) => {
            let mut partitions: Vec<i32> = found.partitions().iter().map(|p| p.id()).collect();
            partitions.sort_unstable();
            Ok(partitions)
        }
        None | Some((_, Some(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic))) => {
            Err(not_found(topic))
        }
        // Denied (TOPIC_AUTHORIZATION_FAILED) and the rest, each in Kafka's words.
        Some((_, Some(code))) => Err(fail_kafka(client, READ, topic, KafkaError::MetadataFetch(code))),
    }
}

fn not_found(topic: &str) -> KafkaDataError {
    KafkaDataError::Refused {
        kind: Refusal::TopicNotFound,
        message: format!("Cannot read topic '{topic}': the topic does not exist"),
        error: AdminError {
            code: RDKafkaErrorCode::UnknownTopicOrPartition,
            name: "UNKNOWN_TOPIC_OR_PART".into(),
            message: "Unknown topic or partition".into(),
        },
        operation: READ.name,
    }
}

/// A refusal for a partition the topic does not have (the server turns it into invalid params).
pub fn missing_partitions(topic: &str, asked: &[i32], partitions: &[i32]) -> Option<String> {
    let missing: Vec<String> = asked.iter().filter(|p| !partitions.contains(p)).map(|p| p.to_string()).collect();
    (!missing.is_empty()).then(|| {
        format!(
            "Topic '{topic}' has partitions 0 to {}; it has no partition {}",
            partitions.len().saturating_sub(1),
            missing.join(", ")
        )
    })
}

/// Works out where each partition starts. Blocking: asks the cluster for watermarks (and for a
/// timestamp start, for the offsets of that time).
pub fn plan_starts(
    client: &SharedClient,
    topic: &str,
    partitions: &[i32],
    begin: &Begin<'_>,
    max_records: usize,
    timeout: Duration,
) -> Result<Vec<PartitionStart>> {
    let mut starts = Vec::with_capacity(partitions.len());
    let by_time = match begin {
        Begin::Start { start: Some(Start { from: StartFrom::Timestamp, timestamp: Some(at), .. }), .. } => {
            Some(offsets_for_time(client, topic, partitions, *at, timeout)?)
        }
        _ => None,
    };
    for &partition in partitions {
        let (low, high) = client
            .producer()
            .client()
            .fetch_watermarks(topic, partition, timeout)
            .map_err(|error| fail_kafka(client, READ, topic, error))?;
        starts.push(start_at(begin, partition, (low, high), by_time.as_ref(), max_records));
    }
    Ok(starts)
}

/// Where a partition with these watermarks starts: a start before the log start is clamped to it
/// (and says so), one past the end starts at the end. `by_time`: the cluster's answer to a timestamp
/// start (None in a partition: nothing at or after the time).
pub fn start_at(
    begin: &Begin<'_>,
    partition: i32,
    (low, high): (i64, i64),
    by_time: Option<&HashMap<i32, Option<i64>>>,
    max_records: usize,
) -> PartitionStart {
    let mut start = PartitionStart {
        partition,
        offset: high,
        not_before: None,
        clamped_from: None,
        low,
        high,
        nothing_after: false,
    };
    let wanted = match begin {
        Begin::Cursor(cursor) => {
            let at = cursor.partitions.iter().find(|p| p.partition == partition);
            start.not_before = at.and_then(|p| p.not_before);
            at.map_or(high, |p| p.offset)
        }
        Begin::Start { start: None, .. } => (high - max_records as i64).max(low),
        Begin::Start { start: Some(given), .. } => match given.from {
            StartFrom::Beginning => low,
            StartFrom::End => high,
            StartFrom::Offsets => {
                given.offsets.iter().flatten().find(|o| o.partition == partition).map_or(high, |o| o.offset)
            }
            StartFrom::Timestamp => {
                start.not_before = given.timestamp;
                match by_time.and_then(|found| found.get(&partition)) {
                    Some(Some(offset)) => *offset,
                    _ => {
                        start.nothing_after = true;
                        high
                    }
                }
            }
        },
    };
    start.offset = wanted.min(high);
    if wanted < low {
        start.clamped_from = Some(wanted);
        start.offset = low;
    }
    start
}

/// The first offset at or after `at` per partition (None: nothing there), as the cluster says.
fn offsets_for_time(
    client: &SharedClient,
    topic: &str,
    partitions: &[i32],
    at: i64,
    timeout: Duration,
) -> Result<HashMap<i32, Option<i64>>> {
    let reader = Reader::new(client, topic)?;
    let mut list = TopicPartitionList::new();
    for &partition in partitions {
        list.add_partition_offset(topic, partition, Offset::Offset(at))
            .map_err(|error| fail_kafka(client, READ, topic, error))?;
    }
    let found =
        reader.consumer.offsets_for_times(list, timeout).map_err(|error| fail_kafka(client, READ, topic, error))?;
    Ok(found
        .elements()
        .iter()
        .map(|element| {
            let offset = match element.offset() {
                Offset::Offset(offset) if offset >= 0 => Some(offset),
                _ => None,
            };
            (element.partition(), offset)
        })
        .collect())
}

/// What a page or tail does with each record: decode it, test the filter, keep it.
pub struct Shaper<'a> {
    pub shown: &'a Shown,
    pub message_max_bytes: usize,
}

/// Reads one page. `cancelled` is set when the request was cancelled; the page then ends at once.
#[allow(clippy::too_many_arguments)]
pub fn read_page(
    client: &SharedClient,
    readers: &Readers,
    topic: &str,
    starts: Vec<PartitionStart>,
    limits: Limits,
    shaper: &Shaper<'_>,
    deadline: Instant,
    cancelled: &AtomicBool,
) -> Result<ConsumePage> {
    struct State {
        next: i64,
        high: i64,
        low: i64,
        not_before: Option<i64>,
        done: bool,
    }
    let started = Instant::now();
    let (mut reader, warm) = readers.take(client, topic, &starts)?;
    let mut states: BTreeMap<i32, State> = starts
        .iter()
        .map(|s| {
            // A kept reader kept fetching: its cached high watermark may be newer than the plan's.
            let cached = if warm { cached_watermarks(&reader, topic, s.partition) } else { None };
            let high = cached.map_or(s.high, |(_, cached)| cached.max(s.high));
            (s.partition, State { next: s.offset, high, low: s.low, not_before: s.not_before, done: s.offset >= high })
        })
        .collect();
    let filtered = shaper.shown.filters();
    let scan_deadline = if filtered { deadline.min(started + FILTER_SCAN_LIMIT) } else { deadline };
    let mut records: Vec<Record> = Vec::new();
    let mut bytes = 0usize;
    let mut scanned = 0u64;
    let mut last_record: Option<Instant> = None;
    let mut failure = None;
    loop {
        if cancelled.load(Ordering::Relaxed) || states.values().all(|s| s.done) {
            break;
        }
        if records.len() >= limits.max_records || (bytes >= limits.max_bytes && !records.is_empty()) {
            break;
        }
        let now = Instant::now();
        // Until the first record the wait is the request's (a cold reader connects first).
        if now >= scan_deadline || last_record.is_some_and(|at| now.duration_since(at) >= IDLE_GIVE_UP) {
            break;
        }
        let wait = scan_deadline.duration_since(now).min(Duration::from_millis(100));
        match reader.consumer.poll(wait) {
            None => {}
            Some(Err(KafkaError::PartitionEOF(partition))) => {
                last_record.get_or_insert_with(Instant::now);
                // A kept reader may hold an end-of-partition event from before records it has not
                // delivered yet were written: only an end at or past the known high watermark counts.
                if let Some(state) = states.get_mut(&partition).filter(|state| state.next >= state.high) {
                    state.done = true;
                }
            }
            Some(Err(error)) => {
                if fatal(&error) {
                    failure = Some(error);
                    break;
                }
                tracing::debug!(%error, topic, "reading a page");
            }
            Some(Ok(message)) => {
                let Some(state) = states.get_mut(&message.partition()) else { continue };
                let offset = message.offset();
                if offset < state.next {
                    continue;
                }
                last_record = Some(Instant::now());
                state.next = offset + 1;
                // The end is librdkafka's end-of-partition event, not the watermark read before the
                // page: a broker's high watermark can lag the records it serves (tansu reports the last
                // batch's first offset + 1), and a page must not stop inside a batch.
                state.high = state.high.max(offset + 1);
                scanned += 1;
                let timestamp = message.timestamp().to_millis().unwrap_or(-1);
                if let Some(not_before) = state.not_before {
                    if timestamp < not_before {
                        continue;
                    }
                    state.not_before = None;
                }
                if let Some(record) = shaper.shape(&message) {
                    bytes += record_size(&message);
                    records.push(record);
                }
            }
        }
    }
    if let Some(error) = failure {
        return Err(match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic) => not_found(topic),
            _ => fail_kafka(client, READ, topic, error),
        });
    }
    records.sort_by_key(|record| (record.partition, record.offset));
    reader.positions = states.iter().map(|(partition, state)| (*partition, state.next)).collect();
    let cursor = Cursor {
        topic: topic.to_string(),
        partitions: states
            .iter()
            .map(|(partition, state)| CursorPartition {
                partition: *partition,
                offset: state.next,
                not_before: state.not_before,
            })
            .collect(),
    };
    let partitions = starts
        .iter()
        .map(|start| {
            let state = &states[&start.partition];
            let at_end = state.next >= state.high;
            PagePartition {
                partition: start.partition,
                next_offset: state.next,
                low_watermark: state.low,
                high_watermark: state.high,
                at_end,
                clamped_from: start.clamped_from,
                nothing_at_or_after_timestamp: start.nothing_after || (at_end && state.not_before.is_some()),
            }
        })
        .collect();
    if !cancelled.load(Ordering::Relaxed) {
        readers.put(client, reader);
    }
    tracing::debug!(topic, warm, records = records.len(), scanned, elapsed = ?started.elapsed(), "records page");
    Ok(ConsumePage { records, cursor, partitions, scanned })
}

/// The watermarks the reader last saw in a fetch answer (no request to the cluster), when it has
/// seen both.
fn cached_watermarks(reader: &Reader, topic: &str, partition: i32) -> Option<(i64, i64)> {
    let topic = std::ffi::CString::new(topic).ok()?;
    let (mut low, mut high) = (-1i64, -1i64);
    // SAFETY: the handle lives as long as the reader, the topic is NUL-terminated, and librdkafka
    // only writes the two offsets.
    let code = unsafe {
        rdkafka::bindings::rd_kafka_get_watermark_offsets(
            reader.consumer.client().native_ptr(),
            topic.as_ptr(),
            partition,
            &mut low,
            &mut high,
        )
    };
    let known = code == rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && low >= 0 && high >= 0;
    known.then_some((low, high))
}

/// Errors after which reading cannot go on.
fn fatal(error: &KafkaError) -> bool {
    matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::UnknownTopicOrPartition
                | RDKafkaErrorCode::UnknownTopic
                | RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::Authentication
                | RDKafkaErrorCode::SSL
        )
    )
}

fn record_size(message: &BorrowedMessage<'_>) -> usize {
    let headers = message
        .headers()
        .map_or(0, |headers| headers.iter().map(|h| h.key.len() + h.value.map_or(0, <[u8]>::len)).sum());
    message.key_len() + message.payload_len() + headers
}

impl Shaper<'_> {
    /// The record as shown, or None when the filter does not match.
    pub fn shape(&self, message: &BorrowedMessage<'_>) -> Option<Record> {
        let headers: Vec<Header> = message
            .headers()
            .map(|headers| headers.iter().map(|h| shown::header(h.key, h.value)).collect())
            .unwrap_or_default();
        let key = self.shown.data(message.key(), self.message_max_bytes);
        let value = self.shown.data(message.payload(), self.message_max_bytes);
        if !self.shown.matches(&key, &value, &headers) {
            return None;
        }
        let (timestamp, timestamp_type) = match message.timestamp() {
            Timestamp::NotAvailable => (-1, TimestampType::None),
            Timestamp::CreateTime(at) => (at, TimestampType::CreateTime),
            Timestamp::LogAppendTime(at) => (at, TimestampType::LogAppendTime),
        };
        Some(Record {
            partition: message.partition(),
            offset: message.offset(),
            timestamp,
            timestamp_type,
            headers,
            key,
            value,
        })
    }
}

/// A live tail: a reader of its own on a thread of its own, handing batches to `send` until told
/// to stop or reading fails.
pub struct TailReader {
    reader: Reader,
    /// The connection's shared client: an OAUTHBEARER cluster's renewed tokens come from it.
    client: Arc<SharedClient>,
}

/// Why a tail's reading ended.
pub enum TailStop {
    Stopped,
    TopicDeleted,
    Failed(String),
}

/// A batch is sent when it holds this many records, this many bytes, or is this old.
pub const TAIL_BATCH_RECORDS: usize = 500;
pub const TAIL_BATCH_BYTES: usize = 1024 * 1024;
pub const TAIL_BATCH_AGE: Duration = Duration::from_millis(100);
/// How often a tail takes the shared client's current OAuth token.
const TOKEN_SHARING: Duration = Duration::from_secs(30);

impl TailReader {
    pub fn start(client: Arc<SharedClient>, topic: &str, starts: &[PartitionStart]) -> Result<Self> {
        let mut reader = Reader::new(&client, topic)?;
        reader.assign(&client, starts)?;
        Ok(Self { reader, client })
    }

    /// Reads until `stop` is set or `send` refuses a batch (the receiver is gone). `send` blocks
    /// while the editor is behind: the tail then falls behind in Kafka, not in memory.
    pub fn run(
        self,
        shaper: &Shaper<'_>,
        not_before: Option<i64>,
        stop: &AtomicBool,
        mut send: impl FnMut(Vec<Record>, u64) -> bool,
    ) -> TailStop {
        let topic = self.reader.topic.clone();
        let mut batch: Vec<Record> = Vec::new();
        let (mut bytes, mut scanned) = (0usize, 0u64);
        let mut first_at = Instant::now();
        let mut waiting: HashMap<i32, bool> = HashMap::new();
        let mut token_handed = Instant::now();
        loop {
            if stop.load(Ordering::Relaxed) {
                return TailStop::Stopped;
            }
            // A tail outlives tokens: hand it the shared client's current one now and then (the
            // connection's checks renew it there).
            if token_handed.elapsed() >= TOKEN_SHARING {
                token_handed = Instant::now();
                if let Err(reason) = self.client.share_token(self.reader.consumer.client().native_ptr()) {
                    tracing::warn!(topic, "the OAuth token could not be handed to a tail: {reason}");
                }
            }
            let due = scanned > 0
                && (batch.len() >= TAIL_BATCH_RECORDS
                    || bytes >= TAIL_BATCH_BYTES
                    || first_at.elapsed() >= TAIL_BATCH_AGE);
            if due {
                if !send(std::mem::take(&mut batch), std::mem::take(&mut scanned)) {
                    return TailStop::Stopped;
                }
                bytes = 0;
            }
            match self.reader.consumer.poll(Duration::from_millis(50)) {
                None | Some(Err(KafkaError::PartitionEOF(_))) => {}
                Some(Err(error)) => match error.rdkafka_error_code() {
                    Some(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic) => {
                        return TailStop::TopicDeleted
                    }
                    _ if fatal(&error) => return TailStop::Failed(format!("Reading topic '{topic}' failed: {error}")),
                    _ => tracing::debug!(%error, topic, "tail"),
                },
                Some(Ok(message)) => {
                    if scanned == 0 {
                        first_at = Instant::now();
                    }
                    scanned += 1;
                    if let Some(at) = not_before {
                        let before = message.timestamp().to_millis().unwrap_or(-1) < at;
                        let partition_waits = waiting.entry(message.partition()).or_insert(true);
                        if *partition_waits && before {
                            continue;
                        }
                        *partition_waits = false;
                    }
                    if let Some(record) = shaper.shape(&message) {
                        bytes += record_size(&message);
                        batch.push(record);
                    }
                }
            }
        }
    }
}

/// A record ready to write.
pub struct Outgoing {
    pub partition: Option<i32>,
    pub timestamp: Option<i64>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

/// Where Kafka wrote a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
}

/// A record's delivery: where it was written, or why it was not.
pub type Delivered = std::result::Result<Written, String>;

/// Where a produced record's delivery report goes: its slot in its batch.
pub struct Delivery {
    batch: Arc<Batch>,
    index: usize,
}

struct Batch {
    results: Mutex<Vec<Option<Delivered>>>,
    pending: AtomicUsize,
    done: Condvar,
}

impl Delivery {
    /// Called on the client's polling thread with the broker's answer.
    pub fn report(&self, result: &DeliveryResult<'_>) {
        let outcome = match result {
            Ok(message) => Ok(Written {
                partition: message.partition(),
                offset: message.offset(),
                timestamp: message.timestamp().to_millis().unwrap_or(-1),
            }),
            Err((error, _)) => Err(error.to_string()),
        };
        let mut results = lock(&self.batch.results);
        results[self.index] = Some(outcome);
        if self.batch.pending.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.batch.done.notify_all();
        }
    }
}

/// Writes records on the shared client's producer and waits for their delivery reports (until
/// `deadline`). One result per record, in order: where it was written, or why not.
pub fn produce(
    client: &SharedClient,
    topic: &str,
    records: Vec<Outgoing>,
    deadline: Instant,
) -> Result<Vec<Delivered>> {
    let count = records.len();
    let batch = Arc::new(Batch {
        results: Mutex::new(vec![None; count]),
        pending: AtomicUsize::new(count),
        done: Condvar::new(),
    });
    let producer = client.producer();
    for (index, record) in records.into_iter().enumerate() {
        let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
        for (key, value) in &record.headers {
            headers = headers.insert(rdkafka::message::Header { key, value: value.as_deref() });
        }
        let mut outgoing: BaseRecord<'_, [u8], [u8], Box<Delivery>> =
            BaseRecord::with_opaque_to(topic, Box::new(Delivery { batch: batch.clone(), index })).headers(headers);
        if let Some(key) = record.key.as_deref() {
            outgoing = outgoing.key(key);
        }
        if let Some(value) = record.value.as_deref() {
            outgoing = outgoing.payload(value);
        }
        if let Some(partition) = record.partition {
            outgoing = outgoing.partition(partition);
        }
        if let Some(timestamp) = record.timestamp {
            outgoing = outgoing.timestamp(timestamp);
        }
        let mut next = outgoing;
        loop {
            match producer.send(next) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    if Instant::now() >= deadline {
                        drop(back);
                        return Err(KafkaDataError::Unavailable(format!(
                            "Cannot write to topic '{topic}': the producer's queue stayed full; the cluster is not taking records"
                        )));
                    }
                    // The client's own thread polls for delivery reports, which makes room.
                    std::thread::sleep(Duration::from_millis(5));
                    next = back;
                }
                Err((error, back)) => {
                    let message = match error.rdkafka_error_code() {
                        Some(RDKafkaErrorCode::UnknownPartition) => {
                            format!("Topic '{topic}' has no partition {}", record.partition.unwrap_or(-1))
                        }
                        Some(RDKafkaErrorCode::MessageSizeTooLarge) => {
                            "The record is larger than the producer may send (message.max.bytes)".to_string()
                        }
                        _ => format!("The record could not be queued: {error}"),
                    };
                    // The opaque comes back with the record: report through it.
                    let delivery = back.delivery_opaque;
                    let mut results = lock(&delivery.batch.results);
                    results[delivery.index] = Some(Err(message));
                    delivery.batch.pending.fetch_sub(1, Ordering::SeqCst);
                    break;
                }
            }
        }
    }
    let mut results = lock(&batch.results);
    while batch.pending.load(Ordering::SeqCst) > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        results = batch
            .done
            .wait_timeout(results, left.min(Duration::from_millis(100)))
            .map(|(r, _)| r)
            .unwrap_or_else(|poisoned| poisoned.into_inner().0);
    }
    let answered: Vec<_> = results
        .iter()
        .map(|result| {
            result.clone().unwrap_or_else(|| {
                Err(match client.failure() {
                    Some(crate::connections::Outcome::Failed { message, .. }) => message,
                    _ => {
                        format!("Kafka did not confirm the record in time; it may still be written to topic '{topic}'")
                    }
                })
            })
        })
        .collect();
    Ok(answered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::kafka::PartitionOffset;

    fn from(start: Start) -> PartitionStart {
        let times = HashMap::from([(0, Some(42)), (1, None)]);
        start_at(&Begin::Start { partitions: None, start: Some(&start) }, 0, (10, 100), Some(&times), 500)
    }

    fn plain(from: StartFrom) -> Start {
        Start { from, timestamp: None, offsets: None }
    }

    #[test]
    fn starts_are_clamped_to_what_the_partition_holds() {
        assert_eq!(from(plain(StartFrom::Beginning)).offset, 10);
        assert_eq!(from(plain(StartFrom::End)).offset, 100);
        let offsets = |offset| Start {
            offsets: Some(vec![PartitionOffset { partition: 0, offset }]),
            ..plain(StartFrom::Offsets)
        };
        let before = from(offsets(3));
        assert_eq!((before.offset, before.clamped_from), (10, Some(3)), "deleted by retention: clamped, and said");
        let past = from(offsets(1000));
        assert_eq!((past.offset, past.clamped_from), (100, None), "past the end: the end");
        assert_eq!(from(offsets(50)).offset, 50);
        let unnamed =
            Start { offsets: Some(vec![PartitionOffset { partition: 7, offset: 1 }]), ..plain(StartFrom::Offsets) };
        assert_eq!(from(unnamed).offset, 100, "a partition not named starts at its end");
    }

    #[test]
    fn the_default_is_the_last_records_of_each_partition() {
        let last = |max, (low, high)| {
            start_at(&Begin::Start { partitions: None, start: None }, 0, (low, high), None, max).offset
        };
        assert_eq!(last(500, (10, 100)), 10, "fewer than asked: from the log start");
        assert_eq!(last(20, (10, 100)), 80);
    }

    #[test]
    fn timestamp_starts_keep_the_time_and_say_when_nothing_is_after_it() {
        let at = Start { timestamp: Some(1_000), ..plain(StartFrom::Timestamp) };
        let found = from(at.clone());
        assert_eq!((found.offset, found.not_before, found.nothing_after), (42, Some(1_000), false));
        let times = HashMap::from([(1, None)]);
        let none = start_at(&Begin::Start { partitions: None, start: Some(&at) }, 1, (0, 9), Some(&times), 500);
        assert_eq!((none.offset, none.nothing_after), (9, true));
    }

    #[test]
    fn cursors_carry_their_offsets_and_pending_times() {
        let cursor = Cursor {
            topic: "t".into(),
            partitions: vec![CursorPartition { partition: 0, offset: 5, not_before: Some(7) }],
        };
        let next = start_at(&Begin::Cursor(&cursor), 0, (10, 100), None, 500);
        assert_eq!((next.offset, next.clamped_from, next.not_before), (10, Some(5), Some(7)));
    }
}

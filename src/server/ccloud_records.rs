//! Pages of records on a Confluent Cloud cluster, through Kafka REST: the same cursor and the same
//! decoders as the native path, so an editor does not see the difference; and live tails that
//! poll those pages.
//!
//! A page: the partitions and their earliest and latest offsets (`.../partitions/{id}/offset`),
//! the starts worked out as natively ([`records::start_at`]), then one call of the message
//! viewer's endpoint with those offsets. A timestamp start sends `timestamp` instead, and Confluent
//! Cloud seeks; records before the time are skipped here too, as natively. Records are decoded with
//! the environment's Schema Registry, filtered, and cut to `max_records` and `max_bytes`; each
//! partition's cursor continues after the last record this page looked at.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tower_lsp_server::jsonrpc::{Error, Result};

use super::ccloud_data::CloudKafka;
use super::errors::{error, invalid_params};
use crate::backends::ccloud::rest::{ConsumeRequest, PartitionRecords};
use crate::backends::kafka::records::{self, Begin, Limits, PartitionStart, TailStop};
use crate::backends::schemas::shown::{self, SchemaLookup, Shown};
use crate::backends::RealChecks;
use crate::protocol::records::{
    ConsumePage, Cursor, CursorPartition, Filter, PagePartition, Record, Start, StartFrom, TimestampType,
};
use crate::protocol::{ErrorCode, ErrorDetail};

/// How long a tail waits before it asks again when a poll brought nothing new.
pub const TAIL_IDLE: Duration = Duration::from_secs(1);

/// One page of `topic` from `begin`, shown with `shown` and cut to `limits`.
pub(super) async fn read(
    cloud: &CloudKafka,
    topic: &str,
    begin: Begin<'_>,
    shown: Arc<Shown>,
    limits: Limits,
) -> Result<ConsumePage> {
    let timestamp = seek_time(&begin);
    let starts = plan(cloud, topic, &begin, limits.max_records).await?;
    let reading: Vec<&PartitionStart> = starts.iter().filter(|start| start.offset < start.high).collect();
    let answered = if reading.is_empty() {
        Vec::new()
    } else {
        let request = ConsumeRequest {
            offsets: match timestamp {
                Some(_) => Vec::new(),
                None => reading.iter().map(|start| (start.partition, start.offset)).collect(),
            },
            timestamp,
            max_poll_records: limits.max_records as u32,
            fetch_max_bytes: limits.max_bytes as u64,
            message_max_bytes: limits.message_max_bytes as u64,
        };
        cloud.run(cloud.rest.consume(topic, &request)).await?
    };
    // Decoding may fetch schemas, which blocks: off the runtime, as natively.
    let task = tokio::task::spawn_blocking(move || shape(&shown, starts, answered, limits));
    match tokio::time::timeout(cloud.timeout, task).await {
        Ok(Ok(mut page)) => {
            page.cursor.topic = topic.to_string();
            Ok(page)
        }
        Ok(Err(_)) => Err(Error::internal_error()),
        Err(_) => Err(error(
            ErrorCode::CcloudUnavailable,
            format!(
                "Decoding the page did not finish within {} ms: the Schema Registry may be slow; try again",
                cloud.timeout.as_millis()
            ),
        )),
    }
}

/// The time a first page seeks to, for a timestamp start.
fn seek_time(begin: &Begin<'_>) -> Option<i64> {
    match begin {
        Begin::Start { start: Some(Start { from: StartFrom::Timestamp, timestamp, .. }), .. } => *timestamp,
        _ => None,
    }
}

/// Where each partition a read covers starts (all of the topic's by default; each named one must
/// exist), from the partitions' earliest and latest offsets.
pub(super) async fn plan(
    cloud: &CloudKafka,
    topic: &str,
    begin: &Begin<'_>,
    max_records: usize,
) -> Result<Vec<PartitionStart>> {
    let all: Vec<i32> = cloud.run(cloud.rest.partitions(topic)).await?.into_iter().map(|(id, _)| id).collect();
    let (asked, source): (Option<Vec<i32>>, &str) = match begin {
        Begin::Cursor(cursor) => (Some(cursor.partitions.iter().map(|p| p.partition).collect()), "cursor.partitions"),
        Begin::Start { partitions, .. } => (partitions.map(<[i32]>::to_vec), "partitions"),
    };
    if let Some(missing) = asked.as_deref().and_then(|asked| records::missing_partitions(topic, asked, &all)) {
        return Err(invalid_params(vec![ErrorDetail { source: source.into(), detail: missing }]));
    }
    let partitions = asked.unwrap_or(all);
    let offsets = cloud.run(cloud.rest.all_offsets(topic, &partitions)).await?;
    let timestamp = seek_time(begin);
    Ok(offsets
        .iter()
        .map(|&(partition, low, high)| match timestamp {
            // Confluent Cloud seeks to the time; the page starts at the log start and skips what is earlier.
            Some(at) => PartitionStart {
                partition,
                offset: low,
                not_before: Some(at),
                clamped_from: None,
                low,
                high,
                nothing_after: false,
            },
            None => records::start_at(begin, partition, (low, high), None, max_records),
        })
        .collect())
}

/// The page from REST's answer: records decoded, filtered and cut to the limits, and each
/// partition's cursor after the last record looked at.
fn shape(shown: &Shown, starts: Vec<PartitionStart>, answered: Vec<PartitionRecords>, limits: Limits) -> ConsumePage {
    struct State {
        next: i64,
        not_before: Option<i64>,
    }
    let mut states: HashMap<i32, State> =
        starts.iter().map(|s| (s.partition, State { next: s.offset, not_before: s.not_before })).collect();
    let (mut records, mut scanned, mut bytes, mut full) = (Vec::new(), 0u64, 0usize, false);
    for partition in answered {
        let Some(state) = states.get_mut(&partition.partition) else { continue };
        let mut whole = true;
        for record in partition.records {
            if full {
                whole = false;
                break;
            }
            scanned += 1;
            state.next = record.offset + 1;
            if let Some(not_before) = state.not_before {
                if record.timestamp < not_before {
                    continue;
                }
                state.not_before = None;
            }
            let size = record.key.as_ref().map_or(0, Vec::len)
                + record.value.as_ref().map_or(0, Vec::len)
                + record.headers.iter().map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len)).sum::<usize>();
            let headers: Vec<_> =
                record.headers.iter().map(|(key, value)| shown::header(key, value.as_deref())).collect();
            let key = shown.data(record.key.as_deref(), limits.message_max_bytes);
            let value = shown.data(record.value.as_deref(), limits.message_max_bytes);
            if shown.matches(&key, &value, &headers) {
                bytes += size;
                records.push(Record {
                    partition: record.partition,
                    offset: record.offset,
                    timestamp: record.timestamp,
                    timestamp_type: match record.timestamp_type.as_str() {
                        "CREATE_TIME" => TimestampType::CreateTime,
                        "LOG_APPEND_TIME" => TimestampType::LogAppendTime,
                        _ => TimestampType::None,
                    },
                    headers,
                    key,
                    value,
                });
            }
            full = records.len() >= limits.max_records || bytes >= limits.max_bytes;
        }
        if whole {
            // Everything REST sent was looked at: continue where it says this partition goes on.
            state.next = state.next.max(partition.next_offset);
        }
    }
    records.sort_by_key(|record| (record.partition, record.offset));
    let mut cursor_partitions = Vec::with_capacity(starts.len());
    let mut partitions = Vec::with_capacity(starts.len());
    for start in &starts {
        let state = &states[&start.partition];
        let next = state.next;
        cursor_partitions.push(CursorPartition {
            partition: start.partition,
            offset: next,
            not_before: state.not_before,
        });
        let at_end = next >= start.high;
        partitions.push(PagePartition {
            partition: start.partition,
            next_offset: next,
            low_watermark: start.low,
            high_watermark: start.high,
            at_end,
            clamped_from: start.clamped_from,
            nothing_at_or_after_timestamp: start.nothing_after || (at_end && state.not_before.is_some()),
        });
    }
    ConsumePage { records, cursor: Cursor { topic: String::new(), partitions: cursor_partitions }, partitions, scanned }
}

/// A live tail's source on a Confluent Cloud cluster: pages read one after the other, each from
/// where the last one stopped, each with the session's current token (for the registry too).
pub(super) struct CloudTail {
    pub cloud: CloudKafka,
    pub topic: String,
    pub partitions: Option<Vec<i32>>,
    pub start: Start,
    pub cursor: Option<Cursor>,
    pub filter: Option<Filter>,
    pub limits: Limits,
    /// The data plane's registries: each poll decodes with the registry client of its token.
    pub checks: RealChecks,
}

impl CloudTail {
    /// The next batch (empty when nothing new came), or why the tail ends.
    pub async fn next(&mut self) -> std::result::Result<(Vec<Record>, u64), TailStop> {
        let cloud = self.cloud.renewed().map_err(|failure| TailStop::Failed(failure.message.to_string()))?;
        let schemas: Option<Arc<dyn SchemaLookup>> = match &cloud.schema_registry {
            Some(registry) => Some(self.checks.registry_schemas(registry, cloud.timeout).await),
            None => None,
        };
        let shown = Arc::new(Shown::new(schemas, self.filter.as_ref()));
        let begin = match &self.cursor {
            Some(cursor) => Begin::Cursor(cursor),
            None => Begin::Start { partitions: self.partitions.as_deref(), start: Some(&self.start) },
        };
        match read(&cloud, &self.topic, begin, shown, self.limits).await {
            Ok(page) => {
                self.cursor = Some(page.cursor);
                Ok((page.records, page.scanned))
            }
            Err(failure) if failure.code == ErrorCode::TopicNotFound.into() => Err(TailStop::TopicDeleted),
            Err(failure) => Err(TailStop::Failed(failure.message.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::ccloud::rest::RestRecord;

    fn start(partition: i32, offset: i64, not_before: Option<i64>) -> PartitionStart {
        PartitionStart { partition, offset, not_before, clamped_from: None, low: 0, high: 10, nothing_after: false }
    }

    fn record(partition: i32, offset: i64, timestamp: i64) -> RestRecord {
        RestRecord {
            partition,
            offset,
            timestamp,
            timestamp_type: "CREATE_TIME".into(),
            headers: vec![],
            key: None,
            value: Some(format!("v{offset}").into_bytes()),
        }
    }

    fn answered(partition: i32, offsets: std::ops::Range<i64>, next_offset: i64) -> PartitionRecords {
        PartitionRecords { partition, next_offset, records: offsets.map(|o| record(partition, o, o * 100)).collect() }
    }

    fn limits(max_records: usize) -> Limits {
        Limits { max_records, max_bytes: 1 << 20, message_max_bytes: 1 << 20 }
    }

    #[test]
    fn a_full_page_leaves_the_rest_for_the_next_cursor() {
        let shown = Shown::new(None, None);
        let page = shape(
            &shown,
            vec![start(0, 0, None), start(1, 4, None)],
            vec![answered(0, 0..3, 3), answered(1, 4..6, 6)],
            limits(2),
        );
        let seen: Vec<(i32, i64)> = page.records.iter().map(|r| (r.partition, r.offset)).collect();
        assert_eq!(seen, [(0, 0), (0, 1)]);
        let cursor: Vec<(i32, i64)> = page.cursor.partitions.iter().map(|p| (p.partition, p.offset)).collect();
        assert_eq!(cursor, [(0, 2), (1, 4)], "partition 1 was not looked at: it starts where it started");
        assert_eq!(page.scanned, 2);
        assert!(page.partitions.iter().all(|p| !p.at_end));
    }

    #[test]
    fn records_before_a_timestamp_are_skipped_and_the_rest_of_rest_s_answer_is_kept() {
        let shown = Shown::new(None, None);
        let page = shape(&shown, vec![start(0, 0, Some(250))], vec![answered(0, 0..5, 5)], limits(10));
        let seen: Vec<i64> = page.records.iter().map(|r| r.offset).collect();
        assert_eq!(seen, [3, 4], "timestamps 300 and 400 are at or after 250");
        assert_eq!(page.cursor.partitions[0].offset, 5);
        assert_eq!(page.cursor.partitions[0].not_before, None, "found: the time needs no more checking");
        assert_eq!(page.scanned, 5);
    }
}

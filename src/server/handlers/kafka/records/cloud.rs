//! Pages and produce on a Confluent Cloud cluster, through Kafka REST: the same params, the same
//! cursor and the same decoders as the native path, so an editor does not see the difference.
//!
//! A page: the partitions and their earliest and latest offsets (`.../partitions/{id}/offset`),
//! the starts worked out as natively ([`records::start_at`]), then one call of the message
//! viewer's endpoint with those offsets. A timestamp start sends `timestamp` instead, and Confluent
//! Cloud seeks; records before the time are skipped here too, as natively. Records are decoded with
//! the environment's Schema Registry, filtered, and cut to `max_records` and `max_bytes`; each
//! partition's cursor continues after the last record this page looked at.

use std::collections::HashMap;
use std::sync::Arc;

use tower_lsp_server::jsonrpc::{Error, Result};

use super::*;
use crate::backends::ccloud::rest::{ConsumeRequest, PartitionRecords};
use crate::backends::kafka::records::{Delivered, Limits, Outgoing, Written};
use crate::backends::schemas::shown::{self, Shown};
use crate::protocol::records::{
    ConsumePage, ConsumeParams, Cursor, CursorPartition, PagePartition, Record, TimestampType,
};
use crate::protocol::ErrorCode;
use crate::server::ccloud_data::CloudKafka;
use crate::server::errors::error;

/// One page of a topic on a Confluent Cloud cluster.
pub(super) async fn page(
    sidecar: &Sidecar,
    cloud: &CloudKafka,
    params: &ConsumeParams,
    limits: Limits,
) -> Result<ConsumePage> {
    let topic = params.topic.as_str();
    let all: Vec<i32> = cloud.run(cloud.rest.partitions(topic)).await?.into_iter().map(|(id, _)| id).collect();
    let begin = match &params.cursor {
        Some(cursor) => Begin::Cursor(cursor),
        None => Begin::Start { partitions: params.partitions.as_deref(), start: params.start.as_ref() },
    };
    let (asked, source): (Option<Vec<i32>>, &str) = match &begin {
        Begin::Cursor(cursor) => (Some(cursor.partitions.iter().map(|p| p.partition).collect()), "cursor.partitions"),
        Begin::Start { partitions, .. } => (partitions.map(<[i32]>::to_vec), "partitions"),
    };
    if let Some(missing) = asked.as_deref().and_then(|asked| records::missing_partitions(topic, asked, &all)) {
        return Err(invalid_params(vec![ErrorDetail { source: source.into(), detail: missing }]));
    }
    let partitions = asked.unwrap_or(all);
    let offsets = cloud.run(cloud.rest.all_offsets(topic, &partitions)).await?;
    let timestamp = match &begin {
        Begin::Start { start: Some(Start { from: StartFrom::Timestamp, timestamp, .. }), .. } => *timestamp,
        _ => None,
    };
    let starts: Vec<PartitionStart> = offsets
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
            None => records::start_at(&begin, partition, (low, high), None, limits.max_records),
        })
        .collect();
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
    let schemas: Option<Arc<dyn crate::backends::schemas::shown::SchemaLookup>> = match &cloud.schema_registry {
        Some(registry) => Some(sidecar.data_plane()?.registry_schemas(registry, cloud.timeout).await),
        None => None,
    };
    let shown = Shown::new(schemas, params.filter.as_ref());
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

/// Writes serialized records one `POST .../records` at a time, in order; each record's outcome.
pub(super) async fn produce(cloud: &CloudKafka, topic: &str, records: Vec<Outgoing>) -> Result<Vec<Delivered>> {
    let mut outcomes = Vec::with_capacity(records.len());
    for record in &records {
        match cloud.run(cloud.rest.produce(topic, record)).await {
            Ok(written) => outcomes.push(written.map(|w| Written {
                partition: w.partition,
                offset: w.offset,
                timestamp: w.timestamp.or(record.timestamp).unwrap_or(-1),
            })),
            // Nothing written yet: the request fails as a whole, with the error's code.
            Err(error) if outcomes.is_empty() => return Err(error),
            // Some records are written: they keep their results, and the rest say why they are not.
            Err(error) => {
                let said = error.message.to_string();
                outcomes.push(Err(said.clone()));
                while outcomes.len() < records.len() {
                    outcomes.push(Err(format!("Not written: an earlier record failed ({said})")));
                }
                break;
            }
        }
    }
    Ok(outcomes)
}

//! `kafka/records/*`: pages, tails and produce (see `backends/kafka/records.rs`), and the checks of
//! their params that need no cluster.

mod cloud;
mod consume;
mod produce;
mod tail;
mod untail;

use std::sync::Arc;

use tower_lsp_server::jsonrpc::Result;

use crate::backends::kafka::records::{self, Begin, PartitionStart};
use crate::backends::schemas::shown::SchemaLookup;
use crate::protocol::records::{Filter, Start, StartFrom};
use crate::protocol::ErrorDetail;
use crate::server::errors::invalid_params;
use crate::server::kafka::{KafkaRequest, Problems};
use crate::server::Sidecar;

pub const DEFAULT_MAX_RECORDS: u32 = 500;
pub const MAX_RECORDS: u32 = 10_000;
pub const DEFAULT_MAX_BYTES: u64 = 4 * 1024 * 1024;
pub const MAX_BYTES: u64 = 32 * 1024 * 1024;
pub const DEFAULT_MESSAGE_MAX_BYTES: u64 = 1024 * 1024;
pub const MAX_MESSAGE_MAX_BYTES: u64 = 8 * 1024 * 1024;
/// The longest `contains` text a filter may search for.
const MAX_FILTER_TEXT: usize = 1024;

/// A bounded number, or its default; a problem at `source` when out of bounds.
fn bounded(problems: &mut Problems, source: &str, value: Option<u64>, default: u64, max: u64) -> u64 {
    match value {
        None => default,
        Some(n) if (1..=max).contains(&n) => n,
        Some(n) => {
            problems.add(source, format!("Must be between 1 and {max}, not {n}"));
            default
        }
    }
}

/// The checks a page and a tail share: the topic, the partitions, the filter and the longest key
/// or value shown (returned, or its default).
fn check_reading(
    problems: &mut Problems,
    topic: &str,
    partitions: Option<&[i32]>,
    filter: Option<&Filter>,
    message_max_bytes: Option<u64>,
) -> u64 {
    problems.topic("topic", topic);
    check_partitions(problems, partitions);
    check_filter(problems, filter);
    bounded(problems, "message_max_bytes", message_max_bytes, DEFAULT_MESSAGE_MAX_BYTES, MAX_MESSAGE_MAX_BYTES)
}

fn check_start(problems: &mut Problems, source: &str, start: &Start) {
    match start.from {
        StartFrom::Timestamp if start.timestamp.is_none() => {
            problems.add(format!("{source}.timestamp"), "A timestamp start needs `timestamp` (ms since the epoch)")
        }
        StartFrom::Offsets => match &start.offsets {
            None => {
                problems.add(format!("{source}.offsets"), "An offsets start needs `offsets`: [{partition, offset}]")
            }
            Some(offsets) => {
                for (index, offset) in offsets.iter().enumerate() {
                    if offset.partition < 0 {
                        problems.add(format!("{source}.offsets[{index}].partition"), "A partition is 0 or more");
                    }
                    if offset.offset < 0 {
                        problems.add(format!("{source}.offsets[{index}].offset"), "An offset is 0 or more");
                    }
                }
            }
        },
        _ => {}
    }
}

fn check_partitions(problems: &mut Problems, partitions: Option<&[i32]>) {
    let Some(partitions) = partitions else { return };
    if partitions.is_empty() {
        problems.add("partitions", "Name at least one partition, or leave `partitions` out for all");
    }
    for (index, partition) in partitions.iter().enumerate() {
        if *partition < 0 {
            problems.add(format!("partitions[{index}]"), "A partition is 0 or more");
        } else if partitions[..index].contains(partition) {
            problems.add(format!("partitions[{index}]"), format!("Partition {partition} is named twice"));
        }
    }
}

fn check_filter(problems: &mut Problems, filter: Option<&Filter>) {
    let Some(filter) = filter else { return };
    if let Some(text) = &filter.contains {
        if text.is_empty() || text.len() > MAX_FILTER_TEXT {
            problems.add("filter.contains", format!("Search for 1 to {MAX_FILTER_TEXT} characters"));
        }
    }
    if let Some(header) = &filter.header {
        if header.key.is_empty() {
            problems.add("filter.header.key", "Name the header");
        }
    }
}

/// The partitions a read covers (all of the topic's by default; each named one must exist) and
/// where each starts.
async fn plan(
    sidecar: &Sidecar,
    kafka: &KafkaRequest,
    topic: &str,
    begin: Begin<'_>,
    max_records: usize,
) -> Result<Vec<PartitionStart>> {
    // The next page of a scan whose reader is kept asks the cluster nothing.
    if let Begin::Cursor(cursor) = &begin {
        if let Some(starts) = sidecar.data_plane()?.readers().warm_starts(&kafka.client(), cursor) {
            return Ok(starts);
        }
    }
    let name = topic.to_string();
    let all = kafka.run(move |client, timeout| records::partitions_of(client, &name, timeout)).await?;
    let (asked, source): (Option<Vec<i32>>, &str) = match &begin {
        Begin::Cursor(cursor) => (Some(cursor.partitions.iter().map(|p| p.partition).collect()), "cursor.partitions"),
        Begin::Start { partitions, .. } => (partitions.map(<[i32]>::to_vec), "partitions"),
    };
    if let Some(missing) = asked.as_deref().and_then(|asked| records::missing_partitions(topic, asked, &all)) {
        return Err(invalid_params(vec![ErrorDetail { source: source.into(), detail: missing }]));
    }
    let partitions = asked.unwrap_or(all);
    let topic = topic.to_string();
    let begin = owned(begin);
    kafka
        .run(move |client, timeout| {
            records::plan_starts(client, &topic, &partitions, &begin.borrowed(), max_records, timeout)
        })
        .await
}

/// A [`Begin`] that can move to a blocking thread.
enum OwnedBegin {
    Start(Option<Start>),
    Cursor(crate::protocol::records::Cursor),
}

impl OwnedBegin {
    fn borrowed(&self) -> Begin<'_> {
        match self {
            Self::Start(start) => Begin::Start { partitions: None, start: start.as_ref() },
            Self::Cursor(cursor) => Begin::Cursor(cursor),
        }
    }
}

fn owned(begin: Begin<'_>) -> OwnedBegin {
    match begin {
        Begin::Start { start, .. } => OwnedBegin::Start(start.cloned()),
        Begin::Cursor(cursor) => OwnedBegin::Cursor(cursor.clone()),
    }
}

/// The schemas a request decodes with: its connection's Schema Registry, if it has one.
async fn schemas(sidecar: &Sidecar, kafka: &KafkaRequest) -> Result<Option<Arc<dyn SchemaLookup>>> {
    let Some(registry) = &kafka.schema_registry else { return Ok(None) };
    let schemas: Arc<dyn SchemaLookup> = sidecar.data_plane()?.registry_schemas(registry, kafka.timeout()).await;
    Ok(Some(schemas))
}

//! Messages on the wire: paged reads (`kafka/records/consume`), live tails (`kafka/records/tail`, the
//! `kafka/records` and `kafka/tail/ended` notifications) and writes (`kafka/records/produce`).
//!
//! A record's key and value are [`Data`]: the bytes as the sidecar understood them (`format`), shown
//! as JSON (`data`). Paging is stateless: a page's [`Cursor`] is everything the next page needs, and
//! the client holds it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::kafka::PartitionOffset;

/// Params of `kafka/records/consume`: the first page names a `start` (or nothing: the last
/// `max_records` of each partition); the next pages pass the `cursor` the previous page returned.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ConsumeParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub topic: String,
    /// Default: every partition of the topic. Ignored with a `cursor` (it names its partitions).
    #[serde(default)]
    pub partitions: Option<Vec<i32>>,
    /// Where the first page starts. Not with `cursor`.
    #[serde(default)]
    pub start: Option<Start>,
    /// The `cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<Cursor>,
    /// The most records in the page: default 500, at most 10,000.
    #[serde(default)]
    pub max_records: Option<u32>,
    /// The most bytes of keys, values and headers in the page: default 4 MiB, at most 32 MiB. The page
    /// always holds at least one record when one is there to read.
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// The most bytes kept of one key or value: default 1 MiB, at most 8 MiB; longer ones are cut
    /// (`truncated`, `size`) and not decoded.
    #[serde(default)]
    pub message_max_bytes: Option<u64>,
    /// Only records that match are returned; the page says how many were read (`scanned`).
    #[serde(default)]
    pub filter: Option<Filter>,
    /// How long the request may take; default the check timeout. A filtered page stops scanning
    /// after at most 5 s (or this, if shorter) and returns the matches so far with its cursor.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Where reading starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Start {
    pub from: StartFrom,
    /// With `from: "timestamp"`: ms since the epoch. Each partition starts at its first record whose
    /// timestamp is at or after it.
    #[serde(default)]
    pub timestamp: Option<i64>,
    /// With `from: "offsets"`: where each partition starts; partitions not named start at their end.
    #[serde(default)]
    pub offsets: Option<Vec<PartitionOffset>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StartFrom {
    /// The oldest record still stored.
    Beginning,
    /// After the newest record: a page is empty until more are written (a tail's default).
    End,
    Timestamp,
    Offsets,
}

/// Where the next page continues: the topic and, per partition, the next offset to read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Cursor {
    pub topic: String,
    pub partitions: Vec<CursorPartition>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CursorPartition {
    pub partition: i32,
    pub offset: i64,
    /// A timestamp start not reached yet in this partition: records before it are skipped (brokers
    /// may answer a timestamp lookup with an earlier offset than asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<i64>,
}

/// What a record must match; every condition given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Filter {
    /// Text found, ignoring case, in the key, the value or a header's key or value, as the record
    /// shows them (a decoded Avro value is searched as its JSON text).
    #[serde(default)]
    pub contains: Option<String>,
    /// The key, as text, equals this.
    #[serde(default)]
    pub key: Option<String>,
    /// A header with this key (and this value, if given).
    #[serde(default)]
    pub header: Option<HeaderFilter>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HeaderFilter {
    pub key: String,
    #[serde(default)]
    pub value: Option<String>,
}

/// Result of `kafka/records/consume`: one page.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ConsumePage {
    /// Each partition's records in offset order, partitions one after another.
    pub records: Vec<Record>,
    /// Pass it back to read the next page.
    pub cursor: Cursor,
    pub partitions: Vec<PagePartition>,
    /// How many records were read to make the page (more than `records` when a filter skipped some).
    pub scanned: u64,
}

/// Where a partition stands after the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PagePartition {
    pub partition: i32,
    /// Where the next page continues in this partition.
    pub next_offset: i64,
    /// The oldest offset still stored.
    pub low_watermark: i64,
    /// The offset the next record written will get.
    pub high_watermark: i64,
    /// Whether the page read everything written to the partition so far.
    pub at_end: bool,
    /// The start asked for was before the oldest stored record (deleted by retention): the page
    /// started at `low_watermark` instead of this offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clamped_from: Option<i64>,
    /// With a timestamp start: the partition holds no record at or after the timestamp (yet).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nothing_at_or_after_timestamp: bool,
}

/// A record as read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    /// ms since the epoch; -1 when the record has none.
    pub timestamp: i64,
    pub timestamp_type: TimestampType,
    pub headers: Vec<Header>,
    pub key: Data,
    pub value: Data,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TimestampType {
    CreateTime,
    LogAppendTime,
    None,
}

/// A record header: its value as text, or base64 when it is not UTF-8 (then `base64: true`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Header {
    pub key: String,
    /// `null` for a header without a value.
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub base64: bool,
}

/// A key or value as the sidecar understood it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Data {
    pub format: Format,
    /// The decoded value: JSON for AVRO, PROTOBUF, JSONSCHEMA and JSON; a string for STRING; base64
    /// for BYTES (and for bytes that could not be decoded); `null` for NULL.
    pub data: Value,
    /// The schema id of a value in Confluent's wire format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_id: Option<u32>,
    /// The bytes were longer than `message_max_bytes`: `data` holds the first bytes only (as
    /// STRING or BYTES), undecoded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// The full size in bytes, when `truncated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Why the bytes could not be decoded as their format says (`data` then holds them as base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a key or value is written or was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Format {
    /// Confluent's wire format with an Avro schema.
    Avro,
    /// Confluent's wire format with a Protobuf schema.
    Protobuf,
    /// Confluent's wire format with a JSON Schema.
    Jsonschema,
    /// A JSON object or array as UTF-8 text.
    Json,
    /// UTF-8 text.
    String,
    /// Anything else.
    Bytes,
    /// No key or value at all.
    Null,
}

/// Params of `kafka/records/tail`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TailParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub topic: String,
    /// Default: every partition of the topic.
    #[serde(default)]
    pub partitions: Option<Vec<i32>>,
    /// Default `{"from": "end"}`: only records written from now on.
    #[serde(default)]
    pub start: Option<Start>,
    #[serde(default)]
    pub filter: Option<Filter>,
    /// As in `kafka/records/consume`.
    #[serde(default)]
    pub message_max_bytes: Option<u64>,
}

/// Result of `kafka/records/tail`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TailResult {
    pub subscription_id: String,
}

/// Params of `kafka/records/untail`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct UntailParams {
    pub subscription_id: String,
}

/// The `kafka/records` notification: a tail's next records, in offset order per partition.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RecordsBatch {
    pub subscription_id: String,
    pub records: Vec<Record>,
    /// Records the tail read since its last batch (more than `records` when a filter skipped some).
    pub scanned: u64,
}

/// The `kafka/tail/ended` notification: a tail stopped; nothing follows it.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TailEnded {
    pub subscription_id: String,
    pub reason: TailEndReason,
    /// What happened, in words.
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TailEndReason {
    /// `kafka/records/untail`.
    Untail,
    ConnectionDeleted,
    /// The connection's spec changed: tail again to read with the new settings.
    ConnectionUpdated,
    TopicDeleted,
    /// Reading failed; `message` says why.
    Error,
}

/// Params of `kafka/records/produce`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ProduceParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub topic: String,
    /// At most 10,000 records.
    pub records: Vec<ProduceRecord>,
    /// Serialize and check every record, and send nothing.
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ProduceRecord {
    /// Default: the partitioner's choice (the key's murmur2 hash, as Java clients do; any partition
    /// for a null key).
    #[serde(default)]
    pub partition: Option<i32>,
    /// ms since the epoch; default now.
    #[serde(default)]
    pub timestamp: Option<i64>,
    #[serde(default)]
    pub headers: Vec<ProduceHeader>,
    /// Absent or `null`: a null key.
    #[serde(default)]
    pub key: Option<ProduceData>,
    /// Absent or `null`: a null value (a tombstone).
    #[serde(default)]
    pub value: Option<ProduceData>,
}

/// A header to write: `value` is text, or base64 with `base64: true`; `null` for no value.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ProduceHeader {
    pub key: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub base64: bool,
}

/// A key or value to write.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ProduceData {
    /// STRING: a string; JSON: any JSON; BYTES: a base64 string; AVRO, PROTOBUF, JSONSCHEMA: the value
    /// as JSON (as `kafka/records/consume` shows it).
    pub data: Value,
    /// Default: the schema's type with `schema`, else STRING for a string and JSON for anything else.
    #[serde(default)]
    pub format: Option<Format>,
    /// The registered schema to serialize with (never registered by produce).
    #[serde(default)]
    pub schema: Option<SchemaChoice>,
}

/// Which registered schema: `{id}`, `{subject, version?}` (default the latest version), or by a
/// subject name strategy (default TOPIC_NAME: `<topic>-key` or `<topic>-value`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
pub struct SchemaChoice {
    #[serde(default)]
    pub id: Option<u32>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub version: Option<i32>,
    #[serde(default)]
    pub subject_name_strategy: Option<SubjectNameStrategy>,
    /// The record's full name (such as `com.acme.Order`): the subject of RECORD_NAME and
    /// TOPIC_RECORD_NAME, and for a Protobuf schema the message to write (default the file's first).
    #[serde(default)]
    pub record_name: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubjectNameStrategy {
    /// `<topic>-key` / `<topic>-value`.
    TopicName,
    /// `<record name>`.
    RecordName,
    /// `<topic>-<record name>`.
    TopicRecordName,
}

/// Result of `kafka/records/produce`: one entry per record, in the order given.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ProduceResult {
    pub records: Vec<Produced>,
}

/// Where a record was written, or why it was not. With `dry_run`, only `error` (or nothing) and the
/// serialized sizes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Produced {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// The serialized key's and value's sizes in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ProduceError>,
}

/// Why one record was not written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProduceError {
    /// The JSON path of the field at fault in the params (`records[3].value.data.amount`), when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub message: String,
}

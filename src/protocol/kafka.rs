//! The Kafka data plane on the wire: topics, consumer groups, offsets and live lag (`kafka/*`).
//!
//! Every request names its target with `connection_id` (and `cluster_id`, needed for CCLOUD, checked
//! elsewhere when given). The fields are written out in each params type rather than flattened in,
//! so that a field that does not fit is reported at its own JSON path.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Params of `kafka/topics/list`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TopicsListParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    /// Also list internal topics (those whose name starts with `__`, such as `__consumer_offsets`).
    #[serde(default)]
    pub include_internal: bool,
    /// How long the request may take; default the check timeout.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Result of `kafka/topics/list`, sorted by name.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TopicsListResult {
    pub data: Vec<TopicSummary>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TopicSummary {
    pub name: String,
    pub partitions_count: u32,
    /// The replicas of the topic's first partition.
    pub replication_factor: u32,
    /// Whether Kafka keeps the topic for itself (its name starts with `__`).
    pub internal: bool,
}

/// Params of `kafka/topics/describe` and `kafka/topics/delete`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TopicParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub topic: String,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Result of `kafka/topics/describe`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TopicDescription {
    pub name: String,
    pub internal: bool,
    pub partitions: Vec<PartitionDescription>,
    /// The topic's configuration as the cluster reports it (sensitive values masked).
    pub configs: Vec<ConfigEntry>,
    /// Why `configs` could not be read, when it could not (the partitions are still described).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configs_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PartitionDescription {
    pub partition: i32,
    /// The leader's broker id; -1 when the partition has no leader.
    pub leader: i32,
    pub replicas: Vec<i32>,
    /// The in-sync replicas.
    pub isr: Vec<i32>,
    /// The first offset still stored (the log start offset).
    pub earliest_offset: i64,
    /// The offset the next record will get (the high watermark).
    pub latest_offset: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConfigEntry {
    pub name: String,
    /// `null` when unset, or when the value is sensitive (never sent).
    pub value: Option<String>,
    /// Where the value comes from, as Kafka names it: `DYNAMIC_TOPIC_CONFIG`, `DEFAULT_CONFIG`, ...
    pub source: String,
    pub read_only: bool,
    pub sensitive: bool,
}

/// Params of `kafka/topics/create`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct CreateTopicParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub topic: String,
    /// Default: the cluster's default (`num.partitions`).
    #[serde(default)]
    pub partitions: Option<i32>,
    /// Default: the cluster's default (`default.replication.factor`).
    #[serde(default)]
    pub replication_factor: Option<i32>,
    /// Topic configs, such as `{"cleanup.policy": "compact"}`.
    #[serde(default)]
    pub configs: BTreeMap<String, String>,
    /// Ask the cluster to check the request without creating anything.
    #[serde(default)]
    pub validate_only: bool,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Result of `kafka/topics/create`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct CreateTopicResult {
    pub name: String,
    /// Whether the topic was only validated (nothing was created).
    pub validate_only: bool,
}

/// Params of `kafka/topics/alterConfigs`: incremental, so configs not named keep their values.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct AlterTopicConfigsParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub topic: String,
    /// Configs to set, by name.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// Configs to return to their default.
    #[serde(default)]
    pub delete: Vec<String>,
    #[serde(default)]
    pub validate_only: bool,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Params of `kafka/groups/list`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct GroupsListParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Result of `kafka/groups/list`, sorted by group id.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct GroupsListResult {
    pub data: Vec<GroupSummary>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GroupSummary {
    pub group_id: String,
    /// As the broker reports it: `Stable`, `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Dead`.
    pub state: String,
    /// `consumer` for Kafka consumers; empty for a group that only has committed offsets.
    pub protocol_type: String,
    pub members_count: u32,
}

/// Params of `kafka/groups/describe`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct GroupParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub group_id: String,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Result of `kafka/groups/describe`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GroupDescription {
    pub group_id: String,
    pub state: String,
    pub protocol_type: String,
    /// The partition assignor, such as `range` or `cooperative-sticky`.
    pub protocol: String,
    pub members: Vec<GroupMember>,
    /// Every partition the group has committed an offset for or is assigned, by topic and partition.
    pub partitions: Vec<PartitionLag>,
    /// The sum of the partitions' lag.
    pub total_lag: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GroupMember {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    /// The partitions assigned to the member (empty while the group rebalances).
    pub assignments: Vec<TopicPartitions>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TopicPartitions {
    pub topic: String,
    pub partitions: Vec<i32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    /// `null` when the group has committed nothing for the partition.
    pub committed_offset: Option<i64>,
    /// The partition's high watermark.
    pub latest_offset: i64,
    /// `latest_offset - committed_offset`; with nothing committed, the records the group would read
    /// from the earliest offset (`latest_offset - earliest_offset`).
    pub lag: i64,
    /// The member the partition is assigned to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
}

/// Params of `kafka/groups/resetOffsets`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ResetOffsetsParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub group_id: String,
    pub topic: String,
    /// Default: every partition of the topic.
    #[serde(default)]
    pub partitions: Option<Vec<i32>>,
    pub to: ResetTo,
    /// Work out the new offsets and answer them, without committing.
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Where `kafka/groups/resetOffsets` moves the group: `"earliest"`, `"latest"`,
/// `{"timestamp": <ms since the epoch>}` or `{"offsets": [{"partition": 0, "offset": 42}]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResetTo {
    Earliest,
    Latest,
    /// The first offset whose record's timestamp is at or after this time (ms since the epoch); the
    /// end of the partition when there is none.
    Timestamp(i64),
    Offsets(Vec<PartitionOffset>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PartitionOffset {
    pub partition: i32,
    pub offset: i64,
}

/// Result of `kafka/groups/resetOffsets`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResetOffsetsResult {
    pub group_id: String,
    pub topic: String,
    /// Whether nothing was committed.
    pub dry_run: bool,
    pub partitions: Vec<OffsetChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OffsetChange {
    pub partition: i32,
    /// `null` when the group had committed nothing for the partition.
    pub old_offset: Option<i64>,
    pub new_offset: i64,
}

/// Params of `kafka/lag/watch`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct LagWatchParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub group_ids: Vec<String>,
    /// How often the lag is read; default 5000, at least 500. Watches of one connection share one
    /// poll, at the shortest of their intervals.
    #[serde(default)]
    pub interval_ms: Option<u64>,
}

/// Result of `kafka/lag/watch`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct LagWatchResult {
    pub watch_id: String,
}

/// Params of `kafka/lag/unwatch`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct LagUnwatchParams {
    pub watch_id: String,
}

/// The `kafka/lag` notification: a watched group's lag changed (or was read for the first time).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LagEvent {
    pub watch_id: String,
    pub connection_id: String,
    pub group_id: String,
    pub state: String,
    pub total_lag: i64,
    pub partitions: Vec<PartitionLag>,
    /// The group no longer exists (sent once; lag events resume if it comes back).
    #[serde(default)]
    pub gone: bool,
}

/// The `kafka/lag/ended` notification: a watch stopped without `kafka/lag/unwatch`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LagEnded {
    pub watch_id: String,
    /// Why, in words: the connection was deleted, or its spec changed.
    pub reason: String,
}

/// `data` of a refusal by Kafka (or a Schema Registry): the system's own name for the error and its message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RefusalData {
    /// The error's name, such as `TOPIC_ALREADY_EXISTS`.
    pub error: String,
    /// The message that came with it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The request that was refused, such as `CreateTopics`.
    pub operation: String,
}

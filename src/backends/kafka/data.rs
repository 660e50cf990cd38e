//! The Kafka data plane on a shared client: topics, consumer groups, lag and offset resets, answered
//! as the protocol's types (there is no core logic between the cluster's answer and the reply).
//!
//! Every function here blocks (librdkafka's calls wait on the network): callers run them off the
//! runtime (the server's `KafkaRequest::run`). A failure is a [`KafkaDataError`]: the cluster could not be reached (said
//! as a check says it), or it refused, with Kafka's own name for the refusal.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

use super::admin::{self, AdminError, NewTopic, OffsetSpec};
use super::clients::SharedClient;
use crate::connections::Outcome;
use crate::protocol::kafka::*;

/// Why a data-plane request on a Kafka cluster failed.
#[derive(Debug, thiserror::Error)]
pub enum KafkaDataError {
    /// The cluster could not be reached; the message is what a check of it says.
    #[error("{0}")]
    Unavailable(String),
    /// The cluster answered, and refused.
    #[error("{message}")]
    Refused { kind: Refusal, message: String, error: AdminError, operation: &'static str },
}

/// The kinds of refusal a client can act on, each with its own error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    TopicNotFound,
    TopicExists,
    GroupNotFound,
    GroupNotEmpty,
    Denied,
    Invalid,
    Unsupported,
    Other,
}

impl Refusal {
    fn of(code: RDKafkaErrorCode) -> Self {
        use RDKafkaErrorCode::*;
        match code {
            UnknownTopicOrPartition | UnknownTopic | UnknownTopicId => Self::TopicNotFound,
            TopicAlreadyExists => Self::TopicExists,
            GroupIdNotFound | UnknownGroup => Self::GroupNotFound,
            NonEmptyGroup | UnknownMemberId | RebalanceInProgress => Self::GroupNotEmpty,
            TopicAuthorizationFailed | GroupAuthorizationFailed | ClusterAuthorizationFailed => Self::Denied,
            InvalidPartitions
            | InvalidReplicationFactor
            | InvalidReplicaAssignment
            | InvalidConfig
            | InvalidTopic
            | InvalidRequest
            | PolicyViolation
            | UnknownPartition
            | InvalidArgument
            | OffsetOutOfRange => Self::Invalid,
            UnsupportedVersion | UnsupportedFeature | TopicDeletionDisabled => Self::Unsupported,
            _ => Self::Other,
        }
    }
}

type Result<T> = std::result::Result<T, KafkaDataError>;

/// What the request was, for messages and for `data.operation`.
#[derive(Clone, Copy)]
pub(super) struct Op {
    /// Kafka's name for the request, such as `CreateTopics`.
    pub(super) name: &'static str,
    /// What the user asked for, in words: "create topic 'orders'".
    pub(super) doing: &'static str,
}

/// Turns an admin failure into what the user reads: unreachable (said as a check says it), or the
/// refusal with a sentence that points at the fix.
fn fail(client: &SharedClient, op: Op, subject: &str, error: AdminError) -> KafkaDataError {
    if unreachable(&error) {
        return unavailable(client, op, subject, &error.message);
    }
    let kind = Refusal::of(error.code);
    let what = format!("{} '{subject}'", op.doing);
    let message = match kind {
        Refusal::TopicNotFound => format!("Cannot {what}: the topic does not exist"),
        Refusal::TopicExists => format!("Cannot {what}: a topic with this name already exists"),
        Refusal::GroupNotFound => format!("Cannot {what}: the consumer group does not exist"),
        Refusal::GroupNotEmpty => {
            format!("Cannot {what}: the consumer group has active members; stop its consumers first")
        }
        Refusal::Denied => format!(
            "Cannot {what}: the cluster denied {} to these credentials ({}); ask the cluster's administrator for the ACL",
            op.name, error.name
        ),
        Refusal::Invalid => format!("Cannot {what}: the cluster refused the request as invalid: {}", error.message),
        Refusal::Unsupported => format!("Cannot {what}: this cluster does not support {} ({})", op.name, error.message),
        Refusal::Other => format!("Cannot {what}: the cluster answered {}: {}", error.name, error.message),
    };
    KafkaDataError::Refused { kind, message, error, operation: op.name }
}

fn unreachable(error: &AdminError) -> bool {
    use RDKafkaErrorCode::*;
    error.is_timeout()
        || matches!(
            error.code,
            AllBrokersDown | BrokerTransportFailure | Resolve | SSL | Authentication | BrokerNotAvailable
        )
}

fn unavailable(client: &SharedClient, op: Op, subject: &str, detail: &str) -> KafkaDataError {
    match client.failure() {
        Some(Outcome::Failed { message, .. }) => KafkaDataError::Unavailable(message),
        _ => KafkaDataError::Unavailable(format!(
            "Cannot {} '{subject}': the Kafka cluster did not answer ({detail}): check that it is running and reachable from this machine",
            op.doing
        )),
    }
}

/// A failure of one of rdkafka's own calls (metadata, group list).
pub(super) fn fail_kafka(client: &SharedClient, op: Op, subject: &str, error: KafkaError) -> KafkaDataError {
    let code = error.rdkafka_error_code().unwrap_or(RDKafkaErrorCode::Fail);
    let admin = AdminError { code, name: format!("{code:?}"), message: error.to_string() };
    fail(client, op, subject, admin)
}

/// The offsets of an answer's partitions that have one, keyed by `key`.
fn answered<K: std::hash::Hash + Eq>(
    answer: &[admin::PartitionResult],
    key: impl Fn(&admin::PartitionResult) -> K,
) -> HashMap<K, i64> {
    answer.iter().filter(|p| p.error.is_none()).map(|p| (key(p), p.offset)).collect()
}

fn by_partition(partition: &admin::PartitionResult) -> i32 {
    partition.partition
}

/// Kafka keeps topics whose name starts with `__` for itself (`__consumer_offsets`, `__transaction_state`).
fn is_internal(topic: &str) -> bool {
    topic.starts_with("__")
}

const LIST_TOPICS: Op = Op { name: "Metadata", doing: "list the topics of" };

/// Every topic, sorted by name.
pub fn list_topics(client: &SharedClient, include_internal: bool, timeout: Duration) -> Result<Vec<TopicSummary>> {
    let metadata =
        client.metadata(timeout).map_err(|error| fail_kafka(client, LIST_TOPICS, client.servers(), error))?;
    let mut topics: Vec<TopicSummary> = metadata
        .topics()
        .iter()
        .filter(|topic| include_internal || !is_internal(topic.name()))
        .filter(|topic| topic.error().is_none())
        .map(|topic| TopicSummary {
            name: topic.name().to_string(),
            partitions_count: topic.partitions().len() as u32,
            replication_factor: topic
                .partitions()
                .iter()
                .min_by_key(|p| p.id())
                .map_or(0, |p| p.replicas().len() as u32),
            internal: is_internal(topic.name()),
        })
        .collect();
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(topics)
}

/// One topic's partitions as the metadata describes them, or `TopicNotFound`.
fn topic_partitions(
    client: &SharedClient,
    op: Op,
    topic: &str,
    timeout: Duration,
) -> Result<Vec<PartitionDescription>> {
    let metadata = client.metadata(timeout).map_err(|error| fail_kafka(client, op, topic, error))?;
    let found = metadata.topics().iter().find(|candidate| candidate.name() == topic);
    match found {
        Some(found) if found.error().is_none() => {
            let mut partitions: Vec<_> = found
                .partitions()
                .iter()
                .map(|p| PartitionDescription {
                    partition: p.id(),
                    leader: p.leader(),
                    replicas: p.replicas().to_vec(),
                    isr: p.isr().to_vec(),
                    earliest_offset: -1,
                    latest_offset: -1,
                })
                .collect();
            partitions.sort_by_key(|p| p.partition);
            Ok(partitions)
        }
        _ => Err(fail(
            client,
            op,
            topic,
            AdminError::of_code(
                RDKafkaErrorCode::UnknownTopicOrPartition,
                "the topic is not in the cluster's metadata",
            ),
        )),
    }
}

const DESCRIBE_TOPIC: Op = Op { name: "Metadata", doing: "describe topic" };

/// A topic's partitions with their offsets, and its configs.
pub fn describe_topic(client: &SharedClient, topic: &str, timeout: Duration) -> Result<TopicDescription> {
    let started = std::time::Instant::now();
    let partitions = topic_partitions(client, DESCRIBE_TOPIC, topic, timeout)?;
    let asked: Vec<(&str, i32)> = partitions.iter().map(|p| (topic, p.partition)).collect();
    let left = timeout.saturating_sub(started.elapsed());
    let offsets = admin::list_offsets(client, &[(OffsetSpec::Earliest, &asked), (OffsetSpec::Latest, &asked)], left)
        .map_err(|error| fail(client, Op { name: "ListOffsets", doing: "read the offsets of topic" }, topic, error))?;
    let (earliest, latest) = (answered(&offsets[0], by_partition), answered(&offsets[1], by_partition));
    let left = timeout.saturating_sub(started.elapsed());
    let (configs, configs_error) = match admin::describe_topic_configs(client, topic, left) {
        Ok(configs) => (configs, None),
        Err(error) => (
            Vec::new(),
            Some(format!("The cluster did not describe the topic's configs: {} ({})", error.message, error.name)),
        ),
    };
    Ok(TopicDescription {
        name: topic.to_string(),
        internal: is_internal(topic),
        partitions: partitions
            .into_iter()
            .map(|partition| PartitionDescription {
                earliest_offset: earliest.get(&partition.partition).copied().unwrap_or(-1),
                latest_offset: latest.get(&partition.partition).copied().unwrap_or(-1),
                ..partition
            })
            .collect(),
        configs,
        configs_error,
    })
}

/// Creates a topic, or with `validate_only` asks whether the cluster would.
pub fn create_topic(client: &SharedClient, params: &CreateTopicParams, timeout: Duration) -> Result<CreateTopicResult> {
    let topic = NewTopic {
        name: &params.topic,
        partitions: params.partitions.unwrap_or(-1),
        replication_factor: params.replication_factor.unwrap_or(-1),
        configs: &params.configs,
        validate_only: params.validate_only,
    };
    admin::create_topic(client, &topic, timeout)
        .map_err(|error| fail(client, Op { name: "CreateTopics", doing: "create topic" }, &params.topic, error))?;
    Ok(CreateTopicResult { name: params.topic.clone(), validate_only: params.validate_only })
}

pub fn delete_topic(client: &SharedClient, topic: &str, timeout: Duration) -> Result<()> {
    admin::delete_topic(client, topic, timeout)
        .map_err(|error| fail(client, Op { name: "DeleteTopics", doing: "delete topic" }, topic, error))
}

pub fn alter_topic_configs(client: &SharedClient, params: &AlterTopicConfigsParams, timeout: Duration) -> Result<()> {
    let op = Op { name: "IncrementalAlterConfigs", doing: "change the configs of topic" };
    admin::alter_topic_configs(client, &params.topic, &params.set, &params.delete, params.validate_only, timeout)
        .map_err(|error| fail(client, op, &params.topic, error))
}

/// A group as the brokers describe it, with its members' assignments decoded.
struct GroupInfo {
    group_id: String,
    state: String,
    protocol_type: String,
    protocol: String,
    members: Vec<GroupMember>,
}

impl GroupInfo {
    /// A group the brokers did not describe: as Kafka describes a group it does not know.
    fn unknown(group_id: &str) -> Self {
        Self {
            group_id: group_id.to_string(),
            state: "Dead".into(),
            protocol_type: String::new(),
            protocol: String::new(),
            members: Vec::new(),
        }
    }
}

fn groups(client: &SharedClient, op: Op, group: Option<&str>, timeout: Duration) -> Result<Vec<GroupInfo>> {
    let list = client
        .groups(group, timeout)
        .map_err(|error| fail_kafka(client, op, group.unwrap_or(client.servers()), error))?;
    Ok(list
        .groups()
        .iter()
        .map(|info| GroupInfo {
            group_id: info.name().to_string(),
            state: info.state().to_string(),
            protocol_type: info.protocol_type().to_string(),
            protocol: info.protocol().to_string(),
            members: info
                .members()
                .iter()
                .map(|member| GroupMember {
                    member_id: member.id().to_string(),
                    client_id: member.client_id().to_string(),
                    host: member.client_host().to_string(),
                    assignments: if info.protocol_type() == "consumer" {
                        member.assignment().map(decode_assignment).unwrap_or_default()
                    } else {
                        Vec::new()
                    },
                })
                .collect(),
        })
        .collect())
}

/// Every consumer group, sorted by id.
pub fn list_groups(client: &SharedClient, timeout: Duration) -> Result<Vec<GroupSummary>> {
    let op = Op { name: "ListGroups", doing: "list the consumer groups of" };
    let mut summaries: Vec<GroupSummary> = groups(client, op, None, timeout)?
        .into_iter()
        .map(|group| GroupSummary {
            group_id: group.group_id,
            state: group.state,
            protocol_type: group.protocol_type,
            members_count: group.members.len() as u32,
        })
        .collect();
    summaries.sort_by(|a, b| a.group_id.cmp(&b.group_id));
    Ok(summaries)
}

const DESCRIBE_GROUP: Op = Op { name: "DescribeGroups", doing: "describe consumer group" };

/// A group with its members and, per partition, the committed offset, the latest offset and the lag.
/// `GroupNotFound` when the cluster knows nothing of it (no members and no committed offsets).
pub fn describe_group(client: &SharedClient, group_id: &str, timeout: Duration) -> Result<GroupDescription> {
    let started = std::time::Instant::now();
    let info =
        groups(client, DESCRIBE_GROUP, Some(group_id), timeout)?.into_iter().find(|group| group.group_id == group_id);
    let info = info.unwrap_or_else(|| GroupInfo::unknown(group_id));
    let left = timeout.saturating_sub(started.elapsed());
    let lag = lag_of(client, &info, left)?;
    if lag.is_none() {
        return Err(fail(
            client,
            DESCRIBE_GROUP,
            group_id,
            AdminError::of_code(RDKafkaErrorCode::GroupIdNotFound, "the group has no members and no committed offsets"),
        ));
    }
    let partitions = lag.unwrap_or_default();
    Ok(GroupDescription {
        group_id: info.group_id,
        state: info.state,
        protocol_type: info.protocol_type,
        protocol: info.protocol,
        members: info.members,
        total_lag: partitions.iter().map(|p| p.lag).sum(),
        partitions,
    })
}

/// A group's lag per partition: committed or assigned partitions, with their latest offsets. `None`
/// when the group does not exist (no members, nothing committed).
fn lag_of(client: &SharedClient, info: &GroupInfo, timeout: Duration) -> Result<Option<Vec<PartitionLag>>> {
    let mut lags = lags_of(client, std::slice::from_ref(info), timeout)?;
    Ok(lags.pop().flatten())
}

/// The lag of many groups in one round: their committed offsets (all requests in flight at once),
/// then one request for the latest offsets of every partition any of them has, and one for the
/// earliest offsets of partitions a group has not committed.
fn lags_of(client: &SharedClient, infos: &[GroupInfo], timeout: Duration) -> Result<Vec<Option<Vec<PartitionLag>>>> {
    let started = std::time::Instant::now();
    let op = Op { name: "OffsetFetch", doing: "read the committed offsets of consumer group" };
    let names: Vec<&str> = infos.iter().map(|info| info.group_id.as_str()).collect();
    let subject = names.join("', '");
    let answers =
        admin::groups_offsets(client, &names, None, timeout).map_err(|error| fail(client, op, &subject, error))?;
    // Per group: (topic, partition) -> committed offset (None: nothing committed), and the owners.
    type Key = (String, i32);
    /// A group's committed offsets (`None`: nothing committed) and the members its partitions are assigned to.
    type Committed = (BTreeMap<Key, Option<i64>>, HashMap<Key, String>);
    let mut groups: Vec<Option<Committed>> = Vec::with_capacity(infos.len());
    for (info, answer) in infos.iter().zip(answers) {
        let committed = answer.map_err(|error| fail(client, op, &info.group_id, error))?;
        let mut owners = HashMap::new();
        for member in &info.members {
            for assigned in &member.assignments {
                for partition in &assigned.partitions {
                    owners.insert((assigned.topic.clone(), *partition), member.member_id.clone());
                }
            }
        }
        let mut offsets: BTreeMap<Key, Option<i64>> = BTreeMap::new();
        for partition in committed {
            let offset = (partition.offset >= 0 && partition.error.is_none()).then_some(partition.offset);
            offsets.insert((partition.topic, partition.partition), offset);
        }
        for key in owners.keys() {
            offsets.entry(key.clone()).or_insert(None);
        }
        let exists = !(offsets.is_empty() && info.members.is_empty() && matches!(info.state.as_str(), "Dead" | ""));
        groups.push(exists.then_some((offsets, owners)));
    }
    let all: BTreeSet<(&str, i32)> = groups
        .iter()
        .flatten()
        .flat_map(|(offsets, _)| offsets.keys().map(|(topic, partition)| (topic.as_str(), *partition)))
        .collect();
    let uncommitted: BTreeSet<(&str, i32)> = groups
        .iter()
        .flatten()
        .flat_map(|(offsets, _)| offsets.iter().filter(|(_, o)| o.is_none()).map(|((t, p), _)| (t.as_str(), *p)))
        .collect();
    let (all, uncommitted): (Vec<_>, Vec<_>) = (all.into_iter().collect(), uncommitted.into_iter().collect());
    let left = timeout.saturating_sub(started.elapsed());
    let op = Op { name: "ListOffsets", doing: "read the latest offsets for consumer group" };
    let answers =
        admin::list_offsets(client, &[(OffsetSpec::Latest, &all), (OffsetSpec::Earliest, &uncommitted)], left)
            .map_err(|error| fail(client, op, &subject, error))?;
    let by_topic_partition = |p: &admin::PartitionResult| (p.topic.clone(), p.partition);
    let (latest, earliest) = (answered(&answers[0], by_topic_partition), answered(&answers[1], by_topic_partition));
    Ok(groups
        .into_iter()
        .map(|group| {
            group.map(|(offsets, owners)| {
                offsets
                    .into_iter()
                    .map(|(key, committed)| {
                        let latest_offset = latest.get(&key).copied().unwrap_or(-1);
                        let from = committed.or_else(|| earliest.get(&key).copied()).unwrap_or(latest_offset);
                        PartitionLag {
                            member_id: owners.get(&key).cloned(),
                            topic: key.0,
                            partition: key.1,
                            committed_offset: committed,
                            latest_offset,
                            lag: (latest_offset - from).max(0),
                        }
                    })
                    .collect()
            })
        })
        .collect())
}

/// Groups' lag by group id: the group's state and its partitions' lag, `None` for a group that does
/// not exist.
pub type GroupLags = BTreeMap<String, Option<(String, Vec<PartitionLag>)>>;

/// Reads the lag of many groups in one round: one group list for all, then their offsets together.
pub fn lag_of_groups(client: &SharedClient, group_ids: &BTreeSet<String>, timeout: Duration) -> Result<GroupLags> {
    let started = std::time::Instant::now();
    let op = Op { name: "ListGroups", doing: "read the lag of the consumer groups of" };
    let mut all: HashMap<String, GroupInfo> =
        groups(client, op, None, timeout)?.into_iter().map(|group| (group.group_id.clone(), group)).collect();
    let infos: Vec<GroupInfo> =
        group_ids.iter().map(|group_id| all.remove(group_id).unwrap_or_else(|| GroupInfo::unknown(group_id))).collect();
    let left = timeout.saturating_sub(started.elapsed());
    let lags = lags_of(client, &infos, left)?;
    Ok(infos
        .into_iter()
        .zip(lags)
        .map(|(info, lag)| (info.group_id, lag.map(|partitions| (info.state, partitions))))
        .collect())
}

/// Moves a group's committed offsets on one topic (or, with `dry_run`, says where they would go).
pub fn reset_offsets(
    client: &SharedClient,
    params: &ResetOffsetsParams,
    timeout: Duration,
) -> Result<ResetOffsetsResult> {
    let started = std::time::Instant::now();
    let group_id = params.group_id.as_str();
    let op = Op { name: "OffsetCommit", doing: "reset the offsets of consumer group" };
    let info = groups(client, op, Some(group_id), timeout)?.into_iter().find(|group| group.group_id == group_id);
    if let Some(info) = info.filter(|info| !info.members.is_empty()) {
        let members: Vec<String> =
            info.members.iter().take(3).map(|member| format!("{} on {}", member.client_id, member.host)).collect();
        let more = info.members.len().saturating_sub(3);
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        return Err(KafkaDataError::Refused {
            kind: Refusal::GroupNotEmpty,
            message: format!(
                "Cannot reset the offsets of consumer group '{group_id}': it has {} active member(s) ({}{more}); stop its consumers, then reset",
                info.members.len(),
                members.join(", ")
            ),
            error: AdminError::of_code(RDKafkaErrorCode::NonEmptyGroup, "the group has active members"),
            operation: op.name,
        });
    }
    let topic = params.topic.as_str();
    let left = timeout.saturating_sub(started.elapsed());
    let all: Vec<i32> = topic_partitions(client, op, topic, left)?.into_iter().map(|p| p.partition).collect();
    let chosen: Vec<i32> = match &params.partitions {
        Some(chosen) => chosen.clone(),
        None => match &params.to {
            ResetTo::Offsets(offsets) => offsets.iter().map(|o| o.partition).collect(),
            _ => all.clone(),
        },
    };
    let invalid = |message: String| KafkaDataError::Refused {
        kind: Refusal::Invalid,
        message,
        error: AdminError::of_code(RDKafkaErrorCode::UnknownTopicOrPartition, "no such partition"),
        operation: op.name,
    };
    if let Some(missing) = chosen.iter().find(|partition| !all.contains(partition)) {
        return Err(invalid(format!(
            "Cannot reset the offsets of consumer group '{group_id}': topic '{topic}' has no partition {missing} (it has {})",
            describe_range(&all)
        )));
    }
    let asked: Vec<(&str, i32)> = chosen.iter().map(|partition| (topic, *partition)).collect();
    let left = timeout.saturating_sub(started.elapsed());
    let old = admin::group_offsets(client, group_id, Some(&asked), left)
        .map_err(|error| fail(client, op, group_id, error))?;
    let old: HashMap<i32, i64> =
        old.into_iter().filter(|p| p.offset >= 0 && p.error.is_none()).map(|p| (p.partition, p.offset)).collect();
    let left = timeout.saturating_sub(started.elapsed());
    let list_op = Op { name: "ListOffsets", doing: "read the offsets of topic" };
    let mut requests = vec![(OffsetSpec::Earliest, asked.as_slice()), (OffsetSpec::Latest, asked.as_slice())];
    if let ResetTo::Timestamp(at) = params.to {
        requests.push((OffsetSpec::Timestamp(at), asked.as_slice()));
    }
    let answers = admin::list_offsets(client, &requests, left).map_err(|error| fail(client, list_op, topic, error))?;
    let (earliest, latest) = (answered(&answers[0], by_partition), answered(&answers[1], by_partition));
    let at_time = answers.get(2).map(|answer| answered(answer, by_partition)).unwrap_or_default();
    let mut changes = Vec::with_capacity(chosen.len());
    for partition in &chosen {
        let (low, high) = (earliest.get(partition).copied().unwrap_or(0), latest.get(partition).copied().unwrap_or(0));
        let new_offset = match &params.to {
            ResetTo::Earliest => low,
            ResetTo::Latest => high,
            // No record at or after the time: the end of the partition.
            ResetTo::Timestamp(_) => at_time.get(partition).copied().filter(|offset| *offset >= 0).unwrap_or(high),
            ResetTo::Offsets(offsets) => {
                let Some(wanted) = offsets.iter().find(|o| o.partition == *partition) else {
                    return Err(invalid(format!(
                        "Cannot reset the offsets of consumer group '{group_id}': to.offsets gives no offset for partition {partition}"
                    )));
                };
                if wanted.offset < low || wanted.offset > high {
                    return Err(invalid(format!(
                        "Cannot reset the offsets of consumer group '{group_id}': offset {} is outside partition {partition} of topic '{topic}', which holds offsets {low} to {high}",
                        wanted.offset
                    )));
                }
                wanted.offset
            }
        };
        changes.push(OffsetChange { partition: *partition, old_offset: old.get(partition).copied(), new_offset });
    }
    if !params.dry_run {
        let offsets: Vec<(&str, i32, i64)> = changes.iter().map(|c| (topic, c.partition, c.new_offset)).collect();
        let left = timeout.saturating_sub(started.elapsed());
        let committed = admin::alter_group_offsets(client, group_id, &offsets, left)
            .map_err(|error| fail(client, op, group_id, error))?;
        if let Some(error) = committed.into_iter().find_map(|p| p.error) {
            return Err(fail(client, op, group_id, error));
        }
    }
    Ok(ResetOffsetsResult {
        group_id: group_id.to_string(),
        topic: topic.to_string(),
        dry_run: params.dry_run,
        partitions: changes,
    })
}

/// Partition numbers as a short range: `0-5`, or a list when they have gaps.
fn describe_range(partitions: &[i32]) -> String {
    match (partitions.first(), partitions.last()) {
        (Some(first), Some(last)) if (last - first) as usize + 1 == partitions.len() => {
            format!("partitions {first}-{last}")
        }
        (Some(_), Some(_)) => {
            format!("partitions {}", partitions.iter().map(i32::to_string).collect::<Vec<_>>().join(", "))
        }
        _ => "no partitions".into(),
    }
}

/// A consumer's assignment, as the consumer protocol encodes it: version (i16), then topics (i32
/// count; each a string with an i16 length and i32 partitions with an i32 count), then user data.
/// What cannot be decoded is left out.
pub fn decode_assignment(bytes: &[u8]) -> Vec<TopicPartitions> {
    struct Reader<'a>(&'a [u8]);
    impl Reader<'_> {
        fn take(&mut self, count: usize) -> Option<&[u8]> {
            let (taken, rest) = (self.0.get(..count)?, self.0.get(count..)?);
            self.0 = rest;
            Some(taken)
        }
        fn i16(&mut self) -> Option<i16> {
            Some(i16::from_be_bytes(self.take(2)?.try_into().ok()?))
        }
        fn i32(&mut self) -> Option<i32> {
            Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
        }
    }
    let mut reader = Reader(bytes);
    let mut topics = Vec::new();
    let decoded = (|| {
        reader.i16()?;
        let count = reader.i32()?;
        for _ in 0..count.max(0) {
            let length = reader.i16()?;
            let topic = String::from_utf8_lossy(reader.take(length.max(0) as usize)?).into_owned();
            let partitions_count = reader.i32()?;
            // Each partition takes 4 bytes: a count larger than what is left is corrupt.
            if partitions_count < 0 || partitions_count as usize > reader.0.len() / 4 {
                return None;
            }
            let partitions = (0..partitions_count).map(|_| reader.i32()).collect::<Option<Vec<_>>>()?;
            topics.push(TopicPartitions { topic, partitions });
        }
        Some(())
    })();
    if decoded.is_none() {
        tracing::debug!("a group member's assignment could not be decoded");
    }
    topics
}

impl AdminError {
    fn of_code(code: RDKafkaErrorCode, message: &str) -> Self {
        let name = match code {
            RDKafkaErrorCode::UnknownTopicOrPartition => "UNKNOWN_TOPIC_OR_PART",
            RDKafkaErrorCode::GroupIdNotFound => "GROUP_ID_NOT_FOUND",
            RDKafkaErrorCode::NonEmptyGroup => "NON_EMPTY_GROUP",
            _ => "UNKNOWN",
        };
        Self { code, name: name.into(), message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(topics: &[(&str, &[i32])]) -> Vec<u8> {
        let mut bytes = vec![0, 1];
        bytes.extend((topics.len() as i32).to_be_bytes());
        for (topic, partitions) in topics {
            bytes.extend((topic.len() as i16).to_be_bytes());
            bytes.extend(topic.as_bytes());
            bytes.extend((partitions.len() as i32).to_be_bytes());
            for partition in *partitions {
                bytes.extend(partition.to_be_bytes());
            }
        }
        bytes.extend((-1i32).to_be_bytes());
        bytes
    }

    #[test]
    fn assignments_decode_and_corrupt_ones_do_not_panic() {
        let bytes = encode(&[("orders", &[0, 2]), ("audit", &[1])]);
        assert_eq!(
            decode_assignment(&bytes),
            vec![
                TopicPartitions { topic: "orders".into(), partitions: vec![0, 2] },
                TopicPartitions { topic: "audit".into(), partitions: vec![1] },
            ]
        );
        for cut in 0..bytes.len() {
            decode_assignment(&bytes[..cut]);
        }
        let mut huge = encode(&[("t", &[0])]);
        huge[9..13].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(decode_assignment(&huge).is_empty());
    }

    #[test]
    fn refusals_are_sorted_by_what_the_user_can_do() {
        assert_eq!(Refusal::of(RDKafkaErrorCode::TopicAlreadyExists), Refusal::TopicExists);
        assert_eq!(Refusal::of(RDKafkaErrorCode::InvalidPartitions), Refusal::Invalid);
        assert_eq!(Refusal::of(RDKafkaErrorCode::TopicAuthorizationFailed), Refusal::Denied);
        assert_eq!(Refusal::of(RDKafkaErrorCode::NonEmptyGroup), Refusal::GroupNotEmpty);
        assert_eq!(describe_range(&[0, 1, 2]), "partitions 0-2");
        assert_eq!(describe_range(&[0, 2]), "partitions 0, 2");
    }
}

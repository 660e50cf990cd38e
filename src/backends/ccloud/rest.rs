//! A Confluent Cloud Kafka cluster's data plane through its Kafka REST v3 endpoint (the cluster's
//! `rest_endpoint`), with the session's data-plane token as bearer, as Confluent's Java helper does.
//!
//! The calls and shapes are those of Kafka REST v3's OpenAPI (confluentinc/kafka-rest,
//! `api/v3/openapi.yaml`): topics, partitions with their earliest and latest offsets
//! (`.../partitions/{id}/offset`), topic configs (`configs:alter` for a batch), records produce,
//! consumer groups, their consumers and lags. Pages of records come from the endpoint Confluent
//! Cloud's message viewer uses, `POST .../internal/topics/{topic}/partitions/-/records:consume_guarantee_progress`
//! (request and answer as confluentinc/ide-sidecar's `SimpleConsumeMultiPartitionRequest` and
//! `...Response`). Errors are REST v3's `{error_code, message}`, kept for the reply's `data`.

use std::time::Duration;

use futures::stream::{self, StreamExt, TryStreamExt};
use reqwest::Method;
use serde_json::{json, Value};
use tokio::time::Instant;
use url::Url;

use super::http_client;
use crate::backends::kafka::records::Outgoing;
use crate::connections::ccloud::SecretToken;
use crate::protocol::kafka::{ConfigEntry, GroupSummary, PartitionDescription, PartitionLag, TopicSummary};

/// The most pages of one list that are read.
const MAX_PAGES: usize = 50;
/// The most REST calls in flight at once for one request (one per partition, for instance).
pub const CONCURRENT_CALLS: usize = 8;
/// How much of the server's error text a message quotes.
const QUOTED: usize = 300;

/// What went wrong, as the reply's code will say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestFailure {
    /// HTTP 401: Confluent Cloud no longer takes the session's token.
    SignedOut,
    /// HTTP 403, or 429 after one wait for `Retry-After`.
    Refused,
    /// Unreachable, timed out, HTTP 5xx, or an answer that is not what the API documents.
    Unavailable,
    TopicNotFound,
    TopicExists,
    GroupNotFound,
    /// HTTP 400 or 422: the request is not valid for Kafka (partitions, replication, a config).
    Invalid,
    /// Any other refusal.
    Other,
}

/// A failed REST call: the kind, the words for the user, and REST v3's own error body.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct RestError {
    pub failure: RestFailure,
    pub message: String,
    /// `{error_code, message}` as REST v3 answered it.
    pub error_code: Option<i64>,
    pub said: Option<String>,
    /// The call, such as `GET /kafka/v3/clusters/lkc-1/topics`.
    pub call: String,
}

/// What a 404 means for the call that got it.
#[derive(Clone, Copy)]
enum Subject<'a> {
    Cluster,
    Topic(&'a str),
    Group(&'a str),
}

/// One cluster's REST v3 API, for one request: the token and the time the request has.
pub struct KafkaRest {
    http: reqwest::Client,
    /// `{rest_endpoint}/kafka/v3/clusters/{cluster_id}/`.
    base: Url,
    cluster_id: String,
    token: SecretToken,
    deadline: Instant,
}

/// A page of records as REST answers it, one partition's part.
#[derive(Debug)]
pub struct PartitionRecords {
    pub partition: i32,
    pub next_offset: i64,
    pub records: Vec<RestRecord>,
}

/// A record as the consume endpoint answers it: key and value as bytes (REST sends schema-framed
/// or binary data as `{"__raw__": base64}`, the rest as JSON), headers base64-decoded.
#[derive(Debug)]
pub struct RestRecord {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
    pub timestamp_type: String,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

/// What the consume endpoint is asked for.
pub struct ConsumeRequest {
    pub offsets: Vec<(i32, i64)>,
    pub timestamp: Option<i64>,
    pub max_poll_records: u32,
    pub fetch_max_bytes: u64,
    pub message_max_bytes: u64,
}

/// Where a produced record went.
pub struct RestWritten {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
}

/// A consumer group's lag for one partition (`ConsumerLagData`).
pub struct RestLag {
    pub topic: String,
    pub partition: i32,
    pub current_offset: i64,
    pub log_end_offset: i64,
    pub lag: i64,
    pub consumer_id: String,
}

impl RestLag {
    /// The lag as the protocol shows it (a negative committed offset is none).
    pub fn partition_lag(&self) -> PartitionLag {
        PartitionLag {
            topic: self.topic.clone(),
            partition: self.partition,
            committed_offset: Some(self.current_offset).filter(|offset| *offset >= 0),
            latest_offset: self.log_end_offset,
            lag: self.lag,
            member_id: Some(self.consumer_id.clone()).filter(|id| !id.is_empty()),
        }
    }
}

/// Partition lags sorted by topic and partition.
pub fn partition_lags(lags: &[RestLag]) -> Vec<PartitionLag> {
    let mut partitions: Vec<PartitionLag> = lags.iter().map(RestLag::partition_lag).collect();
    partitions.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    partitions
}

/// A consumer of a group (`ConsumerData`).
pub struct RestConsumer {
    pub consumer_id: String,
    pub client_id: String,
}

/// A consumer group (`ConsumerGroupData`).
pub struct RestGroup {
    pub group_id: String,
    pub state: String,
    pub partition_assignor: String,
}

impl KafkaRest {
    /// A client for `cluster_id` at `rest_endpoint` whose calls all end by `timeout` from now.
    pub fn new(
        rest_endpoint: &str,
        cluster_id: &str,
        token: SecretToken,
        timeout: Duration,
    ) -> Result<Self, RestError> {
        let unavailable = |why: String| RestError {
            failure: RestFailure::Unavailable,
            message: why,
            error_code: None,
            said: None,
            call: String::new(),
        };
        let http = shared_client().map_err(|reason| unavailable(format!("Cannot reach Confluent Cloud: {reason}")))?;
        let mut base = Url::parse(rest_endpoint.trim_end_matches('/'))
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| {
                unavailable(format!(
                    "Kafka cluster '{cluster_id}' has no usable REST endpoint ('{rest_endpoint}'): Confluent Cloud did not list one for it"
                ))
            })?;
        if let Ok(mut path) = base.path_segments_mut() {
            path.pop_if_empty().extend(["kafka", "v3", "clusters", cluster_id, ""]);
        }
        Ok(Self { http, base, cluster_id: cluster_id.to_string(), token, deadline: Instant::now() + timeout })
    }

    pub fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    /// `GET /topics`: every topic, sorted by name; internal ones only when asked.
    pub async fn list_topics(&self, include_internal: bool) -> Result<Vec<TopicSummary>, RestError> {
        let items = self.list(&["topics"], Subject::Cluster).await?;
        let mut topics: Vec<TopicSummary> = items
            .iter()
            .map(|item| TopicSummary {
                name: text(item, "/topic_name"),
                partitions_count: number(item, "/partitions_count") as u32,
                replication_factor: number(item, "/replication_factor") as u32,
                internal: item.pointer("/is_internal").and_then(Value::as_bool).unwrap_or(false),
            })
            .filter(|topic| include_internal || !topic.internal)
            .collect();
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(topics)
    }

    /// `GET /topics/{topic}`: whether it is internal.
    pub async fn topic(&self, topic: &str) -> Result<Value, RestError> {
        self.call(Method::GET, &["topics", topic], None, Subject::Topic(topic)).await
    }

    /// `GET /topics/{topic}/partitions`: the partition ids, sorted, with each leader's broker id.
    pub async fn partitions(&self, topic: &str) -> Result<Vec<(i32, i32)>, RestError> {
        let items = self.list(&["topics", topic, "partitions"], Subject::Topic(topic)).await?;
        let mut partitions: Vec<(i32, i32)> = items
            .iter()
            .map(|item| {
                let leader = item
                    .pointer("/leader/related")
                    .and_then(Value::as_str)
                    .and_then(|related| related.rsplit('/').next())
                    .and_then(|id| id.parse().ok())
                    .unwrap_or(-1);
                (number(item, "/partition_id") as i32, leader)
            })
            .collect();
        partitions.sort_unstable();
        Ok(partitions)
    }

    /// `GET /topics/{topic}/partitions/{id}/offset`: the earliest and latest offsets.
    pub async fn offsets(&self, topic: &str, partition: i32) -> Result<(i64, i64), RestError> {
        let id = partition.to_string();
        let answer = self
            .call(Method::GET, &["topics", topic, "partitions", &id, "offset"], None, Subject::Topic(topic))
            .await?;
        Ok((number(&answer, "/earliest_offset"), number(&answer, "/latest_offset")))
    }

    /// Every partition's earliest and latest offsets, concurrently (bounded).
    pub async fn all_offsets(&self, topic: &str, partitions: &[i32]) -> Result<Vec<(i32, i64, i64)>, RestError> {
        stream::iter(partitions.iter().copied())
            .map(|partition| async move {
                self.offsets(topic, partition).await.map(|(low, high)| (partition, low, high))
            })
            .buffered(CONCURRENT_CALLS)
            .try_collect()
            .await
    }

    /// `GET /topics/{topic}/partitions/{id}/replicas`: the replicas' broker ids, and those in sync.
    pub async fn replicas(&self, topic: &str, partition: i32) -> Result<(Vec<i32>, Vec<i32>), RestError> {
        let id = partition.to_string();
        let items = self.list(&["topics", topic, "partitions", &id, "replicas"], Subject::Topic(topic)).await?;
        let broker = |item: &Value| number(item, "/broker_id") as i32;
        let in_sync = |item: &&Value| item.pointer("/is_in_sync").and_then(Value::as_bool).unwrap_or(false);
        Ok((items.iter().map(broker).collect(), items.iter().filter(in_sync).map(broker).collect()))
    }

    /// A topic's partitions with their leaders, replicas and offsets: the partition list, then per
    /// partition its offsets and its replicas (at most [`CONCURRENT_CALLS`] partitions at a time).
    pub async fn describe_partitions(&self, topic: &str) -> Result<Vec<PartitionDescription>, RestError> {
        let partitions = self.partitions(topic).await?;
        stream::iter(partitions)
            .map(|(partition, leader)| async move {
                let ((earliest, latest), (replicas, isr)) =
                    futures::future::try_join(self.offsets(topic, partition), self.replicas(topic, partition)).await?;
                Ok::<_, RestError>(PartitionDescription {
                    partition,
                    leader,
                    replicas,
                    isr,
                    earliest_offset: earliest,
                    latest_offset: latest,
                })
            })
            .buffered(CONCURRENT_CALLS)
            .try_collect()
            .await
    }

    /// `GET /topics/{topic}/configs`, sorted by name, sensitive values masked.
    pub async fn topic_configs(&self, topic: &str) -> Result<Vec<ConfigEntry>, RestError> {
        let items = self.list(&["topics", topic, "configs"], Subject::Topic(topic)).await?;
        let mut configs: Vec<ConfigEntry> = items
            .iter()
            .map(|item| {
                let sensitive = item.pointer("/is_sensitive").and_then(Value::as_bool).unwrap_or(false);
                ConfigEntry {
                    name: text(item, "/name"),
                    value: if sensitive {
                        None
                    } else {
                        item.pointer("/value").and_then(Value::as_str).map(str::to_string)
                    },
                    source: text(item, "/source"),
                    read_only: item.pointer("/is_read_only").and_then(Value::as_bool).unwrap_or(false),
                    sensitive,
                }
            })
            .collect();
        configs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(configs)
    }

    /// `POST /topics` (`CreateTopicRequestData`).
    pub async fn create_topic(
        &self,
        topic: &str,
        partitions: Option<i32>,
        replication_factor: Option<i32>,
        configs: &std::collections::BTreeMap<String, String>,
        validate_only: bool,
    ) -> Result<(), RestError> {
        let mut body = json!({
            "topic_name": topic,
            "configs": configs.iter().map(|(name, value)| json!({"name": name, "value": value})).collect::<Vec<_>>(),
            "validate_only": validate_only,
        });
        if let Some(partitions) = partitions {
            body["partitions_count"] = json!(partitions);
        }
        if let Some(factor) = replication_factor {
            body["replication_factor"] = json!(factor);
        }
        self.call(Method::POST, &["topics"], Some(&body), Subject::Topic(topic)).await.map(drop)
    }

    /// `DELETE /topics/{topic}`.
    pub async fn delete_topic(&self, topic: &str) -> Result<(), RestError> {
        self.call(Method::DELETE, &["topics", topic], None, Subject::Topic(topic)).await.map(drop)
    }

    /// `POST /topics/{topic}/configs:alter` (`AlterConfigBatchRequestData`): sets and deletes at once.
    pub async fn alter_topic_configs(
        &self,
        topic: &str,
        set: &std::collections::BTreeMap<String, String>,
        delete: &[String],
        validate_only: bool,
    ) -> Result<(), RestError> {
        let data: Vec<Value> = set
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .chain(delete.iter().map(|name| json!({"name": name, "operation": "DELETE"})))
            .collect();
        let body = json!({"data": data, "validate_only": validate_only});
        self.call(Method::POST, &["topics", topic, "configs:alter"], Some(&body), Subject::Topic(topic)).await.map(drop)
    }

    /// `POST /topics/{topic}/records` (`ProduceRequest`), one record, its key and value already
    /// serialized here and sent as `BINARY`, so the bytes written are those the native path writes.
    /// The answer's `error_code` (200 on success) decides; a refusal of this record is its error.
    pub async fn produce(&self, topic: &str, record: &Outgoing) -> Result<Result<RestWritten, String>, RestError> {
        use base64::Engine;
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let mut body = json!({
            "headers": record.headers.iter().map(|(name, value)| json!({"name": name, "value": value.as_deref().map(b64)})).collect::<Vec<_>>(),
        });
        if let Some(partition) = record.partition {
            body["partition_id"] = json!(partition);
        }
        if let Some(timestamp) = record.timestamp {
            body["timestamp"] = json!(crate::connections::ccloud::date::rfc3339_millis(timestamp));
        }
        if let Some(key) = &record.key {
            body["key"] = json!({"type": "BINARY", "data": b64(key)});
        }
        if let Some(value) = &record.value {
            body["value"] = json!({"type": "BINARY", "data": b64(value)});
        }
        let answer = self.call(Method::POST, &["topics", topic, "records"], Some(&body), Subject::Topic(topic)).await?;
        let code = number(&answer, "/error_code");
        if code != 0 && code != 200 {
            let said = answer.pointer("/message").and_then(Value::as_str).unwrap_or("no reason given");
            return Ok(Err(format!("Confluent Cloud refused the record (error {code}): {said}")));
        }
        Ok(Ok(RestWritten {
            partition: number(&answer, "/partition_id") as i32,
            offset: number(&answer, "/offset"),
            timestamp: answer
                .pointer("/timestamp")
                .and_then(Value::as_str)
                .and_then(crate::connections::ccloud::date::parse_rfc3339_millis),
        }))
    }

    /// One page of records from the message viewer's endpoint.
    pub async fn consume(&self, topic: &str, request: &ConsumeRequest) -> Result<Vec<PartitionRecords>, RestError> {
        let mut body = json!({
            "max_poll_records": request.max_poll_records,
            "fetch_max_bytes": request.fetch_max_bytes,
            "message_max_bytes": request.message_max_bytes,
        });
        if !request.offsets.is_empty() {
            body["offsets"] = request
                .offsets
                .iter()
                .map(|(partition, offset)| json!({"partition_id": partition, "offset": offset}))
                .collect();
        }
        if let Some(timestamp) = request.timestamp {
            body["timestamp"] = json!(timestamp);
        }
        let path = ["internal", "topics", topic, "partitions", "-", "records:consume_guarantee_progress"];
        let answer = self.call(Method::POST, &path, Some(&body), Subject::Topic(topic)).await?;
        let call = self.shown(&path);
        let Some(Value::Array(partitions)) = answer.get("partition_data_list") else {
            return Err(malformed(&call, "it has no partition_data_list"));
        };
        partitions
            .iter()
            .map(|data| {
                let records = match data.get("records") {
                    Some(Value::Array(records)) => {
                        records.iter().map(|r| rest_record(r, &call)).collect::<Result<_, _>>()?
                    }
                    None | Some(Value::Null) => Vec::new(),
                    Some(_) => return Err(malformed(&call, "a partition's records are not a list")),
                };
                Ok(PartitionRecords {
                    partition: number(data, "/partition_id") as i32,
                    next_offset: number(data, "/next_offset"),
                    records,
                })
            })
            .collect()
    }

    /// `GET /consumer-groups`.
    pub async fn groups(&self) -> Result<Vec<RestGroup>, RestError> {
        let items = self.list(&["consumer-groups"], Subject::Cluster).await?;
        Ok(items.iter().map(group).collect())
    }

    /// `GET /consumer-groups/{id}`.
    pub async fn group(&self, group_id: &str) -> Result<RestGroup, RestError> {
        let answer = self.call(Method::GET, &["consumer-groups", group_id], None, Subject::Group(group_id)).await?;
        Ok(group(&answer))
    }

    /// `GET /consumer-groups/{id}/consumers`.
    pub async fn consumers(&self, group_id: &str) -> Result<Vec<RestConsumer>, RestError> {
        let items = self.list(&["consumer-groups", group_id, "consumers"], Subject::Group(group_id)).await?;
        Ok(items
            .iter()
            .map(|item| RestConsumer { consumer_id: text(item, "/consumer_id"), client_id: text(item, "/client_id") })
            .collect())
    }

    /// `GET /consumer-groups/{id}/lags`: committed and latest offset and lag per partition.
    pub async fn lags(&self, group_id: &str) -> Result<Vec<RestLag>, RestError> {
        let items = self.list(&["consumer-groups", group_id, "lags"], Subject::Group(group_id)).await?;
        Ok(items
            .iter()
            .map(|item| RestLag {
                topic: text(item, "/topic_name"),
                partition: number(item, "/partition_id") as i32,
                current_offset: number(item, "/current_offset"),
                log_end_offset: number(item, "/log_end_offset"),
                lag: number(item, "/lag"),
                consumer_id: text(item, "/consumer_id"),
            })
            .collect())
    }

    /// Each group's state and lag per partition, concurrently (bounded); `None` for a group the
    /// cluster does not know. What a lag watch polls.
    pub async fn lag_of_groups(
        &self,
        group_ids: &std::collections::BTreeSet<String>,
    ) -> Result<std::collections::BTreeMap<String, Option<(String, Vec<PartitionLag>)>>, RestError> {
        // Futures joined with a semaphore rather than a buffered stream: the poll that calls this is a
        // spawned task, and a stream's closure over `&self` is not `Send` for every lifetime.
        let permits = tokio::sync::Semaphore::new(CONCURRENT_CALLS);
        let reads = group_ids.iter().map(|group_id| {
            let permits = &permits;
            async move {
                let _permit = permits.acquire().await.expect("the semaphore is never closed");
                match futures::future::try_join(self.group(group_id), self.lags(group_id)).await {
                    Ok((group, lags)) => Ok((group_id.clone(), Some((group.state, partition_lags(&lags))))),
                    Err(error) if error.failure == RestFailure::GroupNotFound => Ok((group_id.clone(), None)),
                    Err(error) => Err(error),
                }
            }
        });
        Ok(futures::future::try_join_all(reads).await?.into_iter().collect())
    }

    /// Each group with its number of members, concurrently (bounded).
    pub async fn groups_with_members(&self) -> Result<Vec<GroupSummary>, RestError> {
        let groups = self.groups().await?;
        let mut summaries: Vec<GroupSummary> = stream::iter(groups)
            .map(|group| async move {
                let members = self.consumers(&group.group_id).await?.len() as u32;
                Ok::<_, RestError>(GroupSummary {
                    group_id: group.group_id,
                    state: group.state,
                    protocol_type: "consumer".into(),
                    members_count: members,
                })
            })
            .buffered(CONCURRENT_CALLS)
            .try_collect()
            .await?;
        summaries.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        Ok(summaries)
    }

    /// Every item of a REST v3 list, following `metadata.next` (same origin only: the token goes with it).
    async fn list(&self, segments: &[&str], subject: Subject<'_>) -> Result<Vec<Value>, RestError> {
        let mut url = self.url(segments);
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let call = format!("GET {}", url.path());
            let page = self.send(Method::GET, url.clone(), None, subject, &call).await?;
            match page.get("data") {
                Some(Value::Array(data)) => items.extend(data.iter().cloned()),
                _ => return Err(malformed(&call, "it has no data list")),
            }
            match page.pointer("/metadata/next").and_then(Value::as_str).filter(|next| !next.is_empty()) {
                None => return Ok(items),
                Some(next) => {
                    let next = url.join(next).map_err(|_| malformed(&call, "its metadata.next is not a URL"))?;
                    if next.origin() != self.base.origin() {
                        return Err(malformed(&call, "its metadata.next points away from the cluster"));
                    }
                    url = next;
                }
            }
        }
        Err(RestError {
            failure: RestFailure::Unavailable,
            message: format!(
                "Confluent Cloud kept sending more pages of {} after {MAX_PAGES} pages: it seems to page without end; try again later",
                url.path()
            ),
            error_code: None,
            said: None,
            call: format!("GET {}", url.path()),
        })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    fn shown(&self, segments: &[&str]) -> String {
        format!("POST {}", self.url(segments).path())
    }

    async fn call(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&Value>,
        subject: Subject<'_>,
    ) -> Result<Value, RestError> {
        let url = self.url(segments);
        let call = format!("{method} {}", url.path());
        self.send(method, url, body, subject, &call).await
    }

    /// One call, as JSON (`null` for an empty answer). HTTP 429 waits once for `Retry-After` when
    /// the request has the time.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        subject: Subject<'_>,
        call: &str,
    ) -> Result<Value, RestError> {
        let mut waited = false;
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(unavailable(call, "the request ran out of time"));
            }
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .timeout(left)
                .bearer_auth(self.token.expose())
                .header(reqwest::header::ACCEPT, "application/json");
            if let Some(body) = body {
                request = request.header(reqwest::header::CONTENT_TYPE, "application/json").body(body.to_string());
            }
            let response =
                request.send().await.map_err(|error| unavailable(call, &crate::backends::error_chain(&error)))?;
            let status = response.status().as_u16();
            let retry_after = super::retry_after(&response);
            let bytes =
                response.bytes().await.map_err(|error| unavailable(call, &crate::backends::error_chain(&error)))?;
            if (200..300).contains(&status) {
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    return Ok(Value::Null);
                }
                return serde_json::from_slice(&bytes).map_err(|_| malformed(call, "it is not JSON"));
            }
            if status == 429 && !waited {
                if let Some(wait) = retry_after.map(Duration::from_secs) {
                    if Instant::now() + wait < self.deadline {
                        tracing::debug!(
                            wait_seconds = wait.as_secs(),
                            "Kafka REST asked to wait before the next request"
                        );
                        tokio::time::sleep(wait).await;
                        waited = true;
                        continue;
                    }
                }
            }
            return Err(refusal(status, &bytes, retry_after, subject, &self.cluster_id, call));
        }
    }
}

/// One HTTP client for every cluster, so that requests reuse their connections (and TLS sessions);
/// each request sets its own time limit, at most the 10 minutes a request may ask for.
fn shared_client() -> Result<reqwest::Client, String> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client.clone());
    }
    let client = http_client(Duration::from_secs(600))?;
    Ok(CLIENT.get_or_init(|| client).clone())
}

fn group(item: &Value) -> RestGroup {
    RestGroup {
        group_id: text(item, "/consumer_group_id"),
        state: text(item, "/state"),
        partition_assignor: text(item, "/partition_assignor"),
    }
}

fn text(item: &Value, pointer: &str) -> String {
    item.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn number(item: &Value, pointer: &str) -> i64 {
    item.pointer(pointer).and_then(Value::as_i64).unwrap_or_default()
}

/// A consumed record: `{"__raw__": base64}` is bytes as written; other JSON is shown as it came
/// (a string as its text, anything else as its JSON).
fn rest_record(item: &Value, call: &str) -> Result<RestRecord, RestError> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let bytes = |value: Option<&Value>| -> Result<Option<Vec<u8>>, RestError> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(object)) if object.contains_key("__raw__") => match object.get("__raw__") {
                Some(Value::String(raw)) => {
                    b64.decode(raw).map(Some).map_err(|_| malformed(call, "a record's __raw__ is not base64"))
                }
                _ => Ok(None),
            },
            Some(Value::String(text)) => Ok(Some(text.clone().into_bytes())),
            Some(other) => Ok(Some(other.to_string().into_bytes())),
        }
    };
    let headers = match item.get("headers") {
        Some(Value::Array(headers)) => headers
            .iter()
            .map(|header| {
                let value = header.get("value").and_then(Value::as_str).map(|value| {
                    // Confluent Cloud sends header values base64-encoded; one that is not is kept as text.
                    b64.decode(value).unwrap_or_else(|_| value.as_bytes().to_vec())
                });
                (text(header, "/key"), value)
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(RestRecord {
        partition: number(item, "/partition_id") as i32,
        offset: number(item, "/offset"),
        timestamp: item.pointer("/timestamp").and_then(Value::as_i64).unwrap_or(-1),
        timestamp_type: text(item, "/timestamp_type"),
        headers,
        key: bytes(item.get("key"))?,
        value: bytes(item.get("value"))?,
    })
}

fn unavailable(call: &str, why: &str) -> RestError {
    RestError {
        failure: RestFailure::Unavailable,
        message: format!("Cannot reach Confluent Cloud ({call}): {why}; check the network connection"),
        error_code: None,
        said: None,
        call: call.to_string(),
    }
}

fn malformed(call: &str, what: &str) -> RestError {
    RestError {
        failure: RestFailure::Unavailable,
        message: format!(
            "Confluent Cloud answered {call} with something that is not what Kafka REST v3 documents ({what}): try again later, and report it if it persists"
        ),
        error_code: None,
        said: None,
        call: call.to_string(),
    }
}

/// A refusal in words, with REST v3's `{error_code, message}` kept.
fn refusal(
    status: u16,
    body: &[u8],
    retry_after: Option<u64>,
    subject: Subject<'_>,
    cluster_id: &str,
    call: &str,
) -> RestError {
    let parsed = serde_json::from_slice::<Value>(body).ok();
    let error_code = parsed.as_ref().and_then(|body| body.get("error_code")).and_then(Value::as_i64);
    let said = parsed.as_ref().and_then(|body| body.get("message")).and_then(Value::as_str).map(|said| {
        match said.chars().count() > QUOTED {
            true => format!("{}…", said.chars().take(QUOTED).collect::<String>()),
            false => said.to_string(),
        }
    });
    let quoted = said.as_deref().map(|said| format!(": {said}")).unwrap_or_default();
    let (failure, message) = match (status, subject) {
        (401, _) => (
            RestFailure::SignedOut,
            format!("Confluent Cloud no longer accepts this connection's session ({call} answered HTTP 401{quoted}): sign in again with ccloud/signIn"),
        ),
        (403, _) => (
            RestFailure::Refused,
            format!("Confluent Cloud denied access to Kafka cluster '{cluster_id}' ({call} answered HTTP 403{quoted}): ask an administrator for a role on the cluster or topic, or sign in as another user"),
        ),
        (429, _) => (
            RestFailure::Refused,
            format!(
                "Confluent Cloud is limiting requests ({call} answered HTTP 429{quoted}): try again {}",
                retry_after.map_or("in a minute".to_string(), |seconds| format!("in {seconds} s"))
            ),
        ),
        (404, Subject::Topic(topic)) => (
            RestFailure::TopicNotFound,
            format!("Topic '{topic}' does not exist on Kafka cluster '{cluster_id}': kafka/topics/list lists the topics"),
        ),
        (404, Subject::Group(group)) => (
            RestFailure::GroupNotFound,
            format!("Consumer group '{group}' does not exist on Kafka cluster '{cluster_id}': kafka/groups/list lists the groups"),
        ),
        (400, Subject::Topic(topic)) if said.as_deref().is_some_and(|said| said.contains("already exists")) => (
            RestFailure::TopicExists,
            format!("Topic '{topic}' already exists on Kafka cluster '{cluster_id}'"),
        ),
        (400 | 422, _) => {
            (RestFailure::Invalid, format!("Kafka cluster '{cluster_id}' refused the request as invalid{quoted}"))
        }
        (500.., _) => (
            RestFailure::Unavailable,
            format!("Confluent Cloud is having trouble ({call} answered HTTP {status}{quoted}): try again later"),
        ),
        _ => (RestFailure::Other, format!("Confluent Cloud refused {call} with HTTP {status}{quoted}")),
    };
    RestError { failure, message, error_code: error_code.or(Some(i64::from(status))), said, call: call.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_the_rest_error_and_say_what_it_means() {
        let body = br#"{"error_code":40403,"message":"This server does not host this topic-partition."}"#;
        let error = refusal(404, body, None, Subject::Topic("orders"), "lkc-1", "GET /x");
        assert_eq!(error.failure, RestFailure::TopicNotFound);
        assert_eq!(error.error_code, Some(40403));
        assert_eq!(error.said.as_deref(), Some("This server does not host this topic-partition."));
        let exists = refusal(
            400,
            br#"{"error_code":40002,"message":"Topic 'o' already exists."}"#,
            None,
            Subject::Topic("o"),
            "c",
            "POST /x",
        );
        assert_eq!(exists.failure, RestFailure::TopicExists);
        let limited = refusal(429, b"<html>", Some(7), Subject::Cluster, "c", "GET /x");
        assert_eq!(limited.failure, RestFailure::Refused);
        assert!(limited.message.ends_with("try again in 7 s"), "{}", limited.message);
        assert_eq!(refusal(401, b"", None, Subject::Cluster, "c", "GET /x").failure, RestFailure::SignedOut);
        assert_eq!(refusal(503, b"", None, Subject::Cluster, "c", "GET /x").failure, RestFailure::Unavailable);
    }

    #[test]
    fn raw_values_are_bytes_and_headers_are_decoded() {
        let record = rest_record(
            &json!({"partition_id": 1, "offset": 5, "timestamp": 7, "timestamp_type": "CREATE_TIME",
                "headers": [{"key": "h", "value": "aGk="}], "key": "k", "value": {"__raw__": "AAAAAAE="}}),
            "c",
        )
        .unwrap();
        assert_eq!(record.key.as_deref(), Some(&b"k"[..]));
        assert_eq!(record.value.as_deref(), Some(&[0, 0, 0, 0, 1][..]));
        assert_eq!(record.headers, vec![("h".to_string(), Some(b"hi".to_vec()))]);
    }
}

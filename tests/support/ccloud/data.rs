//! The fake Confluent Cloud's data plane: a Kafka REST v3 surface per cluster (under
//! `/kafka/v3/clusters/{id}/`) and a Schema Registry per environment (under `/sr/{lsrc-id}/`), both
//! taking only a data-plane token the fake issued (`POST /api/access_tokens`) and refusing every
//! token once sessions are invalid, as an expired session's are.
//!
//! Shapes from Kafka REST v3's OpenAPI (confluentinc/kafka-rest `api/v3/openapi.yaml`: `TopicData`,
//! `PartitionData`, `PartitionWithOffsetsData`, `TopicConfigData`, `ProduceRequest` /
//! `ProduceResponse`, `ConsumerGroupData`, `ConsumerData`, `ConsumerLagData`, errors
//! `{error_code, message}` such as 40403 for an unknown topic and 40002 for one that exists), and
//! for pages of records the message viewer's internal endpoint as confluentinc/ide-sidecar reads it
//! (`SimpleConsumeMultiPartitionRequest` / `...Response`: `partition_data_list`, `next_offset`,
//! schema-framed or binary data as `{"__raw__": base64}`, header values base64). The registry is the
//! in-memory one in src/demo/registry_api.rs, behind the bearer token and `target-sr-cluster` checks.

use std::collections::{BTreeMap, HashMap};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};

use super::resources::{self, Catalog, Environment};
use super::{bearer, refuse, Request, Response, State};
use crate::support::schema_registry::api;

/// One stored record.
#[derive(Clone, Debug)]
pub struct Stored {
    pub timestamp: i64,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

#[derive(Clone, Debug, Default)]
pub struct Topic {
    pub partitions: Vec<Vec<Stored>>,
    pub configs: BTreeMap<String, String>,
}

/// A consumer group: its consumers (id, client id) and per (topic, partition) the committed offset
/// and the consumer it is assigned to.
#[derive(Clone, Debug, Default)]
pub struct Group {
    pub consumers: Vec<(String, String)>,
    pub committed: Vec<(String, i32, i64, String)>,
}

#[derive(Clone, Debug, Default)]
pub struct Cluster {
    pub topics: BTreeMap<String, Topic>,
    pub groups: BTreeMap<String, Group>,
}

/// The data plane's state: clusters by id, registries by id.
#[derive(Default)]
pub struct DataPlane {
    pub clusters: HashMap<String, Cluster>,
    pub registries: HashMap<String, api::Registry>,
    /// Every REST call answered, as `METHOD path`.
    pub calls: Vec<String>,
    /// One-shot answers for the next data-plane request whose path contains the text: status and
    /// `Retry-After`.
    pub errors: Vec<(String, u16, Option<u64>)>,
}

impl DataPlane {
    /// Registers `schema` (Avro) under `subject` in registry `registry_id` as a client would; returns its id.
    pub fn register_avro(&mut self, registry_id: &str, subject: &str, schema: &str) -> u32 {
        let body = json!({"schema": schema}).to_string();
        let path = format!("/subjects/{subject}/versions");
        let registry = self.registries.entry(registry_id.to_string()).or_default();
        let (status, answer) = registry.answer(&api::Request { method: "POST", path: &path, body: body.as_bytes() });
        assert_eq!(status, 200, "registering {subject}: {answer}");
        serde_json::from_str::<Value>(&answer).ok().and_then(|v| v["id"].as_u64()).expect("an id") as u32
    }
}

/// A catalog whose clusters and registries are served by this fake at `base`: `env-prod` with
/// `lkc-prod1` and `lkc-prod2` and the registry `lsrc-prod1`, `env-dev` with `lkc-dev1` and no
/// registry (and the control plane's other environments of [`Catalog::standard`] left out).
pub fn reachable_catalog(base: &str, org: &str) -> Catalog {
    let cluster = |env: &str, id: &str, name: &str| {
        let mut item = resources::kafka_cluster(env, id, name, "AWS", "us-east-2");
        item["spec"]["http_endpoint"] = json!(base);
        item
    };
    let mut registry = resources::schema_registry("env-prod", "lsrc-prod1", "AWS", "us-east-2");
    registry["spec"]["http_endpoint"] = json!(format!("{base}/sr/lsrc-prod1"));
    let standard = Catalog::standard(base);
    let prod = Environment {
        organization: org.to_string(),
        item: resources::environment(base, org, "env-prod", "production"),
        clusters: vec![cluster("env-prod", "lkc-prod1", "orders"), cluster("env-prod", "lkc-prod2", "payments")],
        registries: vec![registry],
        pools: vec![],
    };
    let dev = Environment {
        organization: org.to_string(),
        item: resources::environment(base, org, "env-dev", "development"),
        clusters: vec![cluster("env-dev", "lkc-dev1", "scratch")],
        registries: vec![],
        pools: vec![],
    };
    Catalog { organizations: standard.organizations, environments: vec![prod, dev] }
}

/// Whether `path` is the data plane's.
pub fn is_data(path: &str) -> bool {
    path.starts_with("/kafka/v3/") || path.starts_with("/sr/")
}

fn rest_error(status: u16, code: i64, message: &str) -> Response {
    Response::json(status, json!({"error_code": code, "message": message}))
}

fn empty(status: u16) -> Response {
    Response { status, headers: vec![], body: String::new() }
}

/// Answers a data-plane request.
pub(super) fn serve(request: &Request, state: &mut State) -> Response {
    let path = request.path.clone();
    let token_known = bearer(request).is_some_and(|token| state.data_plane_tokens.contains(&token));
    if !token_known {
        let response = rest_error(401, 40101, "Authentication failed");
        return refuse(state, format!("{path}: unknown data-plane bearer"), response);
    }
    if state.behaviour.sessions_invalid {
        return rest_error(401, 40101, "Authentication failed: the token is expired");
    }
    if let Some(at) = state.data.errors.iter().position(|(part, _, _)| path.contains(part.as_str())) {
        let (_, status, retry_after) = state.data.errors.remove(at);
        let mut response = rest_error(status, i64::from(status), &format!("the fake answers {status}"));
        if let Some(seconds) = retry_after {
            response.headers.push(("Retry-After".into(), seconds.to_string()));
        }
        return response;
    }
    state.data.calls.push(format!("{} {path}", request.method));
    if let Some(rest) = path.strip_prefix("/sr/") {
        return registry(request, state, rest);
    }
    let base = format!("http://{}", request.headers.get("host").cloned().unwrap_or_default());
    let segments: Vec<String> = path
        .trim_start_matches("/kafka/v3/clusters/")
        .split('/')
        .map(|s| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let Some((&cluster_id, rest)) = segments.split_first() else { return rest_error(404, 404, "HTTP 404 Not Found") };
    let Some(cluster) = state.data.clusters.get_mut(cluster_id) else {
        let response = rest_error(404, 404, &format!("Cluster {cluster_id} cannot be found."));
        return refuse(state, format!("{path}: unknown cluster"), response);
    };
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let here = format!("{base}/kafka/v3/clusters/{cluster_id}");
    let no_topic = || rest_error(404, 40403, "This server does not host this topic-partition.");
    let list = |kind: &str, data: Vec<Value>| {
        Response::json(200, json!({"kind": kind, "metadata": {"self": here.clone(), "next": null}, "data": data}))
    };
    match (request.method.as_str(), rest) {
        ("GET", ["topics"]) => list(
            "KafkaTopicList",
            cluster.topics.iter().map(|(name, topic)| topic_data(&here, cluster_id, name, topic)).collect(),
        ),
        ("POST", ["topics"]) => {
            let name = body["topic_name"].as_str().unwrap_or_default().to_string();
            if name.is_empty() {
                return rest_error(400, 400, "topic_name is required");
            }
            if cluster.topics.contains_key(&name) {
                return rest_error(400, 40002, &format!("Topic '{name}' already exists."));
            }
            let count = body["partitions_count"].as_u64().unwrap_or(6) as usize;
            let configs = body["configs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| Some((c["name"].as_str()?.to_string(), c["value"].as_str()?.to_string())))
                .collect();
            let topic = Topic { partitions: vec![Vec::new(); count], configs };
            let answer = topic_data(&here, cluster_id, &name, &topic);
            if !body["validate_only"].as_bool().unwrap_or(false) {
                cluster.topics.insert(name, topic);
            }
            Response::json(201, answer)
        }
        (method, ["topics", name, more @ ..]) => {
            let name = name.to_string();
            let Some(topic) = cluster.topics.get_mut(&name) else { return no_topic() };
            match (method, more) {
                ("GET", []) => Response::json(200, topic_data(&here, cluster_id, &name, topic)),
                ("DELETE", []) => {
                    cluster.topics.remove(&name);
                    empty(204)
                }
                ("GET", ["partitions"]) => list(
                    "KafkaPartitionList",
                    (0..topic.partitions.len())
                        .map(|p| {
                            json!({"kind": "KafkaPartition", "cluster_id": cluster_id, "topic_name": name, "partition_id": p,
                                "leader": {"related": format!("{here}/topics/{name}/partitions/{p}/replicas/0")},
                                "replicas": {"related": format!("{here}/topics/{name}/partitions/{p}/replicas")},
                                "reassignment": {"related": format!("{here}/topics/{name}/partitions/{p}/reassignment")}})
                        })
                        .collect(),
                ),
                ("GET", ["partitions", p, "offset"]) => {
                    let Some(records) = p.parse::<usize>().ok().and_then(|p| topic.partitions.get(p)) else {
                        return no_topic();
                    };
                    Response::json(
                        200,
                        json!({"kind": "KafkaPartitionWithOffsets", "cluster_id": cluster_id, "topic_name": name,
                            "partition_id": p.parse::<i64>().unwrap(), "earliest_offset": 0, "latest_offset": records.len()}),
                    )
                }
                ("GET", ["partitions", p, "replicas"]) => {
                    if p.parse::<usize>().ok().filter(|p| *p < topic.partitions.len()).is_none() {
                        return no_topic();
                    }
                    list(
                        "KafkaReplicaList",
                        (0..3)
                            .map(|broker| {
                                json!({"kind": "KafkaReplica", "cluster_id": cluster_id, "topic_name": name,
                                    "partition_id": p.parse::<i64>().unwrap(), "broker_id": broker,
                                    "is_leader": broker == 0, "is_in_sync": broker != 2,
                                    "broker": {"related": format!("{here}/brokers/{broker}")}})
                            })
                            .collect(),
                    )
                }
                ("GET", ["configs"]) => list(
                    "KafkaTopicConfigList",
                    topic
                        .configs
                        .iter()
                        .map(|(n, v)| {
                            json!({"kind": "KafkaTopicConfig", "cluster_id": cluster_id, "topic_name": name, "name": n,
                                "value": v, "is_default": false, "is_read_only": false, "is_sensitive": false,
                                "source": "DYNAMIC_TOPIC_CONFIG", "synonyms": []})
                        })
                        .collect(),
                ),
                ("POST", ["configs:alter"]) => {
                    if body["validate_only"].as_bool().unwrap_or(false) {
                        return empty(204);
                    }
                    for entry in body["data"].as_array().into_iter().flatten() {
                        let config = entry["name"].as_str().unwrap_or_default().to_string();
                        match (entry["operation"].as_str(), entry["value"].as_str()) {
                            (Some("DELETE"), _) => topic.configs.remove(&config),
                            (_, Some(value)) => topic.configs.insert(config, value.to_string()),
                            _ => return rest_error(400, 400, "a config to set needs a value"),
                        };
                    }
                    empty(204)
                }
                ("POST", ["records"]) => produce(cluster_id, &name, topic, &body),
                _ => rest_error(404, 404, "HTTP 404 Not Found"),
            }
        }
        ("POST", ["internal", "topics", name, "partitions", "-", "records:consume_guarantee_progress"]) => {
            let Some(topic) = cluster.topics.get(*name) else { return no_topic() };
            consume(cluster_id, name, topic, &body)
        }
        ("GET", ["consumer-groups"]) => list(
            "KafkaConsumerGroupList",
            cluster.groups.iter().map(|(id, g)| group_data(&here, cluster_id, id, g)).collect(),
        ),
        ("GET", ["consumer-groups", id, more @ ..]) => {
            let Some(group) = cluster.groups.get(*id) else {
                return rest_error(404, 404, &format!("Consumer group {id} cannot be found."));
            };
            match more {
                [] => Response::json(200, group_data(&here, cluster_id, id, group)),
                ["consumers"] => list(
                    "KafkaConsumerList",
                    group
                        .consumers
                        .iter()
                        .map(|(consumer, client)| {
                            json!({"kind": "KafkaConsumer", "cluster_id": cluster_id, "consumer_group_id": id,
                                "consumer_id": consumer, "instance_id": null, "client_id": client,
                                "assignments": {"related": format!("{here}/consumer-groups/{id}/consumers/{consumer}/assignments")}})
                        })
                        .collect(),
                ),
                ["lags"] => {
                    let topics = &cluster.topics;
                    list(
                        "KafkaConsumerLagList",
                        group
                            .committed
                            .iter()
                            .map(|(topic, partition, offset, consumer)| {
                                let end = topics.get(topic).and_then(|t| t.partitions.get(*partition as usize)).map_or(0, Vec::len) as i64;
                                let client = group.consumers.iter().find(|(c, _)| c == consumer).map(|(_, client)| client.clone()).unwrap_or_default();
                                json!({"kind": "KafkaConsumerLag", "cluster_id": cluster_id, "consumer_group_id": id,
                                    "topic_name": topic, "partition_id": partition, "current_offset": offset,
                                    "log_end_offset": end, "lag": end - offset, "consumer_id": consumer,
                                    "instance_id": null, "client_id": client})
                            })
                            .collect(),
                    )
                }
                _ => rest_error(404, 404, "HTTP 404 Not Found"),
            }
        }
        _ => {
            refuse(state, format!("{} {path}: not served", request.method), rest_error(404, 404, "HTTP 404 Not Found"))
        }
    }
}

fn topic_data(here: &str, cluster_id: &str, name: &str, topic: &Topic) -> Value {
    json!({"kind": "KafkaTopic", "metadata": {"self": format!("{here}/topics/{name}")},
        "cluster_id": cluster_id, "topic_name": name, "is_internal": name.starts_with('_'),
        "replication_factor": 3, "partitions_count": topic.partitions.len(),
        "partitions": {"related": format!("{here}/topics/{name}/partitions")},
        "configs": {"related": format!("{here}/topics/{name}/configs")},
        "partition_reassignments": {"related": format!("{here}/topics/{name}/partitions/-/reassignment")}})
}

fn group_data(here: &str, cluster_id: &str, id: &str, group: &Group) -> Value {
    let state = if group.consumers.is_empty() { "EMPTY" } else { "STABLE" };
    json!({"kind": "KafkaConsumerGroup", "cluster_id": cluster_id, "consumer_group_id": id, "is_simple": false,
        "partition_assignor": "range", "state": state, "type": "CLASSIC", "is_mixed_consumer_group": false,
        "coordinator": {"related": format!("{here}/brokers/0")},
        "consumers": {"related": format!("{here}/consumer-groups/{id}/consumers")},
        "lag_summary": {"related": format!("{here}/consumer-groups/{id}/lag-summary")}})
}

/// `ProduceRequestData` to bytes: `BINARY` is base64, `STRING` text, `JSON` any JSON.
fn request_bytes(data: &Value) -> Result<Option<Vec<u8>>, String> {
    if data.is_null() {
        return Ok(None);
    }
    match (data["type"].as_str(), &data["data"]) {
        (_, Value::Null) => Ok(None),
        (Some("BINARY"), Value::String(text)) => {
            B64.decode(text).map(Some).map_err(|_| "data is not base64".to_string())
        }
        (Some("STRING"), Value::String(text)) => Ok(Some(text.clone().into_bytes())),
        (Some("JSON") | None, value) => Ok(Some(value.to_string().into_bytes())),
        (other, _) => Err(format!("the fake does not take type {other:?}")),
    }
}

fn produce(cluster_id: &str, name: &str, topic: &mut Topic, body: &Value) -> Response {
    let partition = body["partition_id"].as_u64().unwrap_or(0) as usize;
    if partition >= topic.partitions.len() {
        return rest_error(404, 40403, "This server does not host this topic-partition.");
    }
    let (key, value) = match (request_bytes(&body["key"]), request_bytes(&body["value"])) {
        (Ok(key), Ok(value)) => (key, value),
        (Err(why), _) | (_, Err(why)) => return rest_error(400, 400, &why),
    };
    let mut headers = Vec::new();
    for header in body["headers"].as_array().into_iter().flatten() {
        let value = match header["value"].as_str().map(|v| B64.decode(v)) {
            None => None,
            Some(Ok(bytes)) => Some(bytes),
            Some(Err(_)) => return rest_error(400, 400, "Cannot deserialize value of type `byte[]`: not base64"),
        };
        headers.push((header["name"].as_str().unwrap_or_default().to_string(), value));
    }
    let timestamp = match body["timestamp"].as_str() {
        Some(text) => match parse_time(text) {
            Some(ms) => ms,
            None => return rest_error(400, 400, "timestamp is not a date-time"),
        },
        None => 1_700_000_000_000 + topic.partitions[partition].len() as i64,
    };
    let size = |bytes: &Option<Vec<u8>>| bytes.as_ref().map(|b| json!({"type": "BINARY", "size": b.len()}));
    let answer = json!({"error_code": 200, "cluster_id": cluster_id, "topic_name": name, "partition_id": partition,
        "offset": topic.partitions[partition].len(), "timestamp": format_time(timestamp),
        "key": size(&key), "value": size(&value)});
    topic.partitions[partition].push(Stored { timestamp, headers, key, value });
    Response::json(200, answer)
}

/// Bytes as the message viewer shows them: schema-framed (magic byte 0) or not UTF-8 as
/// `{"__raw__": base64}`, JSON text as its JSON, other text as a string.
fn shown(bytes: &Option<Vec<u8>>) -> Value {
    match bytes {
        None => Value::Null,
        Some(bytes) if bytes.first() == Some(&0) => json!({"__raw__": B64.encode(bytes)}),
        Some(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => serde_json::from_str::<Value>(text)
                .ok()
                .filter(|v| v.is_object() || v.is_array())
                .unwrap_or_else(|| json!(text)),
            Err(_) => json!({"__raw__": B64.encode(bytes)}),
        },
    }
}

fn consume(cluster_id: &str, name: &str, topic: &Topic, body: &Value) -> Response {
    let max = body["max_poll_records"].as_u64().unwrap_or(500) as usize;
    let offsets: Vec<(usize, usize)> = match body["offsets"].as_array() {
        Some(offsets) => offsets
            .iter()
            .map(|o| (o["partition_id"].as_u64().unwrap_or(0) as usize, o["offset"].as_u64().unwrap_or(0) as usize))
            .collect(),
        None => (0..topic.partitions.len()).map(|p| (p, 0)).collect(),
    };
    let timestamp = body["timestamp"].as_i64();
    let mut left = max;
    let mut data = Vec::new();
    for (partition, mut offset) in offsets {
        let Some(records) = topic.partitions.get(partition) else {
            return rest_error(404, 40403, "This server does not host this topic-partition.");
        };
        if let Some(at) = timestamp {
            offset = records.iter().position(|r| r.timestamp >= at).unwrap_or(records.len());
        }
        let end = (offset + left).min(records.len()).max(offset);
        left -= end - offset;
        let page: Vec<Value> = records[offset.min(records.len())..end]
            .iter()
            .enumerate()
            .map(|(i, r)| {
                json!({"partition_id": partition, "offset": offset + i, "timestamp": r.timestamp,
                    "timestamp_type": "CREATE_TIME",
                    "headers": r.headers.iter().map(|(k, v)| json!({"key": k, "value": v.as_ref().map(|v| B64.encode(v))})).collect::<Vec<_>>(),
                    "key": shown(&r.key), "value": shown(&r.value)})
            })
            .collect();
        data.push(json!({"partition_id": partition, "next_offset": end, "records": page}));
    }
    Response::json(200, json!({"cluster_id": cluster_id, "topic_name": name, "partition_data_list": data}))
}

/// The environment's registry: the data-plane bearer was checked; `target-sr-cluster` must name
/// the registry served at this path.
fn registry(request: &Request, state: &mut State, rest: &str) -> Response {
    let (id, path) = rest.split_once('/').unwrap_or((rest, ""));
    if request.headers.get("target-sr-cluster").map(String::as_str) != Some(id) {
        let response = rest_error(401, 401, "Unauthorized: target-sr-cluster does not name this Schema Registry");
        return refuse(state, format!("registry {id}: target-sr-cluster"), response);
    }
    let mut target = format!("/{path}");
    if !request.query.is_empty() {
        let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&request.query).finish();
        target = format!("{target}?{query}");
    }
    let registry = state.data.registries.entry(id.to_string()).or_default();
    let (status, body) = registry.answer(&api::Request { method: &request.method, path: &target, body: &request.body });
    Response { status, headers: vec![("Content-Type".into(), "application/vnd.schemaregistry.v1+json".into())], body }
}

/// RFC 3339 (UTC, milliseconds) from milliseconds since the epoch.
fn format_time(millis: i64) -> String {
    let days = millis.div_euclid(86_400_000);
    let of_day = millis.rem_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3_600_000,
        of_day / 60_000 % 60,
        of_day / 1000 % 60,
        of_day % 1000
    )
}

/// Milliseconds since the epoch from `YYYY-MM-DDTHH:MM:SS(.fff)Z` (what the sidecar sends).
fn parse_time(text: &str) -> Option<i64> {
    let n = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, m, d, hh, mm, ss) = (n(0..4)?, n(5..7)?, n(8..10)?, n(11..13)?, n(14..16)?, n(17..19)?);
    let millis = match text.get(19..20) {
        Some(".") => n(20..23)?,
        _ => 0,
    };
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000) + millis)
}

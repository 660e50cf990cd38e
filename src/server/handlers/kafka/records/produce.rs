//! `kafka/records/produce`: writes a batch of records on the connection's shared producer (on a
//! Confluent Cloud cluster, through Kafka REST, one record at a time, serialized here alike).
//!
//! Each record is serialized first (text, JSON, base64 bytes, or a registered schema in Confluent's
//! wire format); a record that cannot be serialized gets its own error with the path of the field at
//! fault, and the others are written. Schemas are looked up once per distinct choice in a batch and
//! never registered.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;

use super::*;
use crate::backends::kafka::records::Outgoing;
use crate::backends::schemas::codec::{wire, Compiled, SchemaType};
use crate::backends::schemas::RegistrySchemas;
use crate::protocol::methods::ProduceRecords;
use crate::protocol::records::{
    Format, ProduceData, ProduceError, ProduceParams, ProduceResult, Produced, SubjectNameStrategy,
};
use crate::server::ccloud_data::KafkaTarget;
use crate::server::handlers::Handler;

/// The most records one request may write.
pub const MAX_PRODUCE_RECORDS: usize = 10_000;

impl Handler for ProduceRecords {
    async fn handle(sidecar: &Sidecar, params: ProduceParams) -> Result<ProduceResult> {
        let mut problems = Problems::default();
        problems.topic("topic", &params.topic);
        if params.records.is_empty() || params.records.len() > MAX_PRODUCE_RECORDS {
            problems.add("records", format!("Write 1 to {MAX_PRODUCE_RECORDS} records, not {}", params.records.len()));
        }
        for (index, record) in params.records.iter().enumerate() {
            if record.partition.is_some_and(|p| p < 0) {
                problems.add(format!("records[{index}].partition"), "A partition is 0 or more");
            }
        }
        problems.into_result()?;
        let target =
            sidecar.kafka_target(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await?;
        let started = Instant::now();
        // An unknown topic is refused at once, rather than after the producer's own wait for it.
        let topic = params.topic.clone();
        let (partitions, registry, timeout) = match &target {
            KafkaTarget::Native(kafka) => (
                kafka.run(move |client, timeout| records::partitions_of(client, &topic, timeout)).await?,
                kafka.schema_registry.clone(),
                kafka.timeout(),
            ),
            KafkaTarget::Cloud(cloud) => (
                cloud.run(cloud.rest.partitions(&topic)).await?.into_iter().map(|(id, _)| id).collect(),
                cloud.schema_registry.clone(),
                cloud.timeout,
            ),
        };
        let registry = match &registry {
            Some(registry) => Some(sidecar.data_plane()?.registry_schemas(registry, timeout).await),
            None => None,
        };
        let mut serializer = Serializer { topic: &params.topic, registry, chosen: HashMap::new() };
        let mut results = vec![Produced::default(); params.records.len()];
        let mut outgoing = Vec::new();
        for (index, record) in params.records.into_iter().enumerate() {
            let source = format!("records[{index}]");
            let prepared = async {
                if let Some(partition) = record.partition.filter(|p| !partitions.contains(p)) {
                    return Err(ProduceError {
                        source: Some(format!("{source}.partition")),
                        message: format!(
                            "Topic '{}' has partitions 0 to {}; it has no partition {partition}",
                            serializer.topic,
                            partitions.len().saturating_sub(1)
                        ),
                    });
                }
                let mut headers = Vec::with_capacity(record.headers.len());
                for (h, header) in record.headers.iter().enumerate() {
                    let value = match (&header.value, header.base64) {
                        (None, _) => None,
                        (Some(text), false) => Some(text.clone().into_bytes()),
                        (Some(text), true) => Some(BASE64.decode(text).map_err(|_| ProduceError {
                            source: Some(format!("{source}.headers[{h}].value")),
                            message: "Not valid base64 (the header says `base64: true`)".into(),
                        })?),
                    };
                    headers.push((header.key.clone(), value));
                }
                let key = serializer.bytes(record.key.as_ref(), &format!("{source}.key"), true).await?;
                let value = serializer.bytes(record.value.as_ref(), &format!("{source}.value"), false).await?;
                Ok::<_, ProduceError>(Outgoing {
                    partition: record.partition,
                    timestamp: record.timestamp,
                    headers,
                    key,
                    value,
                })
            }
            .await;
            match prepared {
                Ok(record) => {
                    results[index].key_size = record.key.as_ref().map(|k| k.len() as u64);
                    results[index].value_size = record.value.as_ref().map(|v| v.len() as u64);
                    outgoing.push((index, record));
                }
                Err(error) => results[index].error = Some(error),
            }
        }
        tracing::debug!(records = results.len(), elapsed = ?started.elapsed(), "produce: serialized");
        if params.dry_run || outgoing.is_empty() {
            return Ok(ProduceResult { records: results });
        }
        let (indexes, records): (Vec<usize>, Vec<Outgoing>) = outgoing.into_iter().unzip();
        let topic = params.topic;
        let written = match target {
            KafkaTarget::Native(kafka) => {
                kafka.run(move |client, timeout| records::produce(client, &topic, records, started + timeout)).await?
            }
            KafkaTarget::Cloud(cloud) => cloud::produce(&cloud, &topic, records).await?,
        };
        tracing::debug!(elapsed = ?started.elapsed(), "produce: delivered");
        for (index, outcome) in indexes.into_iter().zip(written) {
            match outcome {
                Ok(written) => {
                    let result = &mut results[index];
                    result.partition = Some(written.partition);
                    result.offset = Some(written.offset);
                    result.timestamp = Some(written.timestamp);
                }
                Err(message) => results[index].error = Some(ProduceError { source: None, message }),
            }
        }
        Ok(ProduceResult { records: results })
    }
}

/// A schema choice as looked up: id, subject, version.
type Choice = (Option<u32>, String, Option<i32>);

/// Serializes keys and values, remembering the schemas it looked up.
struct Serializer<'a> {
    topic: &'a str,
    registry: Option<Arc<RegistrySchemas>>,
    chosen: HashMap<Choice, (u32, Arc<Compiled>)>,
}

impl Serializer<'_> {
    async fn bytes(
        &mut self,
        data: Option<&ProduceData>,
        source: &str,
        is_key: bool,
    ) -> std::result::Result<Option<Vec<u8>>, ProduceError> {
        let Some(data) = data else { return Ok(None) };
        let at = |field: &str, message: String| ProduceError { source: Some(format!("{source}.{field}")), message };
        let schema_format = matches!(data.format, Some(Format::Avro | Format::Protobuf | Format::Jsonschema));
        if data.schema.is_some() || schema_format {
            return self.with_schema(data, source, is_key).await.map(Some);
        }
        match (data.format, &data.data) {
            (Some(Format::Null), Value::Null) | (None, Value::Null) => Ok(None),
            (Some(Format::Null), _) => Err(at("data", "Format NULL takes `null` as its data".into())),
            (Some(Format::String) | None, Value::String(text)) => Ok(Some(text.clone().into_bytes())),
            (Some(Format::String), _) => Err(at("data", "Format STRING takes a string as its data".into())),
            (Some(Format::Bytes), Value::String(text)) => BASE64
                .decode(text)
                .map(Some)
                .map_err(|_| at("data", "Format BYTES takes base64 text, and this is not valid base64".into())),
            (Some(Format::Bytes), _) => Err(at("data", "Format BYTES takes base64 text as its data".into())),
            (Some(Format::Json) | None, value) => Ok(Some(serde_json::to_vec(value).unwrap_or_default())),
            (Some(Format::Avro | Format::Protobuf | Format::Jsonschema), _) => unreachable!("handled above"),
        }
    }

    async fn with_schema(
        &mut self,
        data: &ProduceData,
        source: &str,
        is_key: bool,
    ) -> std::result::Result<Vec<u8>, ProduceError> {
        let at = |field: &str, message: String| ProduceError { source: Some(format!("{source}.{field}")), message };
        let Some(registry) = self.registry.clone() else {
            return Err(at(
                "schema",
                "The connection has no Schema Registry: add schema_registry to its spec to write with a schema".into(),
            ));
        };
        let choice = data.schema.clone().unwrap_or_default();
        let subject = match (&choice.id, &choice.subject) {
            (Some(_), _) => String::new(),
            (None, Some(subject)) => subject.clone(),
            (None, None) => {
                let suffix = if is_key { "key" } else { "value" };
                let record = || {
                    choice.record_name.clone().ok_or_else(|| {
                        at("schema.record_name", "RECORD_NAME and TOPIC_RECORD_NAME need the record's full name".into())
                    })
                };
                match choice.subject_name_strategy.unwrap_or(SubjectNameStrategy::TopicName) {
                    SubjectNameStrategy::TopicName => format!("{}-{suffix}", self.topic),
                    SubjectNameStrategy::RecordName => record()?,
                    SubjectNameStrategy::TopicRecordName => format!("{}-{}", self.topic, record()?),
                }
            }
        };
        let key = (choice.id, subject.clone(), choice.version);
        let (id, compiled) = match self.chosen.get(&key) {
            Some(found) => found.clone(),
            None => {
                let found = match choice.id {
                    Some(id) => registry.by_id(id).await.map(|compiled| (id, compiled)),
                    None => registry.by_subject(&subject, choice.version).await,
                }
                .map_err(|message| at("schema", message))?;
                self.chosen.insert(key, found.clone());
                found
            }
        };
        let expected = match compiled.schema_type() {
            SchemaType::Avro => Format::Avro,
            SchemaType::Protobuf => Format::Protobuf,
            SchemaType::Json => Format::Jsonschema,
        };
        if let Some(format) = data.format.filter(|format| *format != expected) {
            return Err(at(
                "format",
                format!("The schema (id {id}) is {expected:?}, not {format:?}: leave `format` out or make them agree"),
            ));
        }
        let payload = compiled.encode_message(&data.data, choice.record_name.as_deref()).map_err(|error| {
            let path = match error.path.as_str() {
                "" => "data".to_string(),
                path if path.starts_with('[') => format!("data{path}"),
                path => format!("data.{path}"),
            };
            at(&path, format!("{} (schema id {id})", error.message))
        })?;
        Ok(wire::frame(id, &payload))
    }
}

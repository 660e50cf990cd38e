//! Confluent Cloud resources on the wire (`ccloud/resources`): the organizations, environments, Kafka
//! clusters, Schema Registries and Flink compute pools a signed-in CCLOUD connection reaches.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Params of `ccloud/resources`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct CloudResourcesParams {
    /// The signed-in CCLOUD connection.
    pub connection_id: String,
    /// Read the control plane again instead of answering from the cache (results are kept 30 s).
    #[serde(default)]
    pub refresh: bool,
    /// How long the request may take; default the check timeout.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Result of `ccloud/resources`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CloudResourcesResult {
    /// The organizations the user belongs to; `current` marks the session's.
    pub organizations: Vec<CloudOrganization>,
    /// The current organization's environments, in the order Confluent Cloud lists them.
    pub environments: Vec<CloudEnvironment>,
    /// When Confluent Cloud was read (RFC 3339, UTC): a cached answer keeps the time it was read.
    pub read_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CloudOrganization {
    pub id: String,
    pub name: String,
    /// Whether this is the organization of the connection's session.
    pub current: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CloudEnvironment {
    /// Such as `env-a1b2c3`.
    pub id: String,
    pub name: String,
    pub kafka_clusters: Vec<CloudKafkaCluster>,
    /// The environment's Schema Registry; absent when the environment has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_registry: Option<CloudSchemaRegistry>,
    pub flink_compute_pools: Vec<FlinkComputePool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CloudKafkaCluster {
    /// Such as `lkc-a1b2c3`: the `cluster_id` data-plane requests name.
    pub id: String,
    pub name: String,
    /// The cloud provider, such as `AWS`, `GCP` or `AZURE`.
    pub provider: String,
    /// Such as `us-east-2`.
    pub region: String,
    /// `host:port`, as a Kafka client takes it (the protocol prefix such as `SASL_SSL://` removed).
    pub bootstrap_servers: String,
    /// The cluster's Kafka REST v3 endpoint, such as `https://pkc-x.us-east-2.aws.confluent.cloud:443`.
    pub rest_endpoint: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CloudSchemaRegistry {
    /// Such as `lsrc-a1b2c3`.
    pub id: String,
    /// Such as `https://psrc-x.us-east-2.aws.confluent.cloud`.
    pub uri: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FlinkComputePool {
    /// Such as `lfcp-a1b2c3`.
    pub id: String,
    pub name: String,
    pub provider: String,
    pub region: String,
    /// The most Confluent Flink Units the pool may use.
    pub max_cfu: u32,
}

//! The seam between the manager and the outside systems: what to check for a connection, and how
//! a check's outcome becomes status. Backends implement [`Checks`]; tests can plug in their own.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::protocol::{
    AuthError, AuthErrors, ConnectedState, ConnectionSpec, KafkaClusterStatus, SchemaRegistryStatus,
};

use super::kinds::Kind;
use super::valid::{ValidKafkaCluster, ValidSchemaRegistry};
use super::Settings;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a single check of one component found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The component answered as it should. For a Kafka cluster, `cluster_id` is what it reported
    /// and `bootstrap_servers` where the check reached it (discovered, for LOCAL connections).
    Success { cluster_id: Option<String>, bootstrap_servers: Option<String> },
    /// It did not; `message` says why in words that point at the fix.
    Failed { message: String, transient: bool },
}

impl Outcome {
    pub fn failed(message: impl Into<String>, transient: bool) -> Self {
        Self::Failed { message: message.into(), transient }
    }
}

/// Checks one component each. Implementations must give up by `timeout` (the manager also
/// enforces it) and must never log secrets.
pub trait Checks: Send + Sync + 'static {
    /// Checks the Kafka cluster a spec names.
    fn kafka(&self, target: ValidKafkaCluster, timeout: Duration) -> BoxFuture<Outcome>;
    /// Resolves when the backend sees the cluster (healthy at its last check) start failing, so the
    /// connection is checked again at once rather than at its next scheduled check. `None` when
    /// the backend has no such signal for this target (then only the schedule applies). The future
    /// may hold what the signal needs (a Kafka client, kept open while someone waits on it).
    fn kafka_changed(&self, _target: &ValidKafkaCluster, _timeout: Duration) -> Option<BoxFuture<()>> {
        None
    }
    /// A dry run's check of this cluster is over and nothing stores it: the backend may free what
    /// the check opened (a client no stored connection uses) now rather than later.
    fn kafka_dry_run_over(&self, _target: &ValidKafkaCluster, _timeout: Duration) {}
    /// Finds the Kafka cluster running on this machine, then checks it like [`Self::kafka`]. A
    /// success names the bootstrap servers found; a failure says where it looked and why each
    /// place failed. Discovery and check share the one `timeout`.
    fn local_kafka(&self, discovery: LocalDiscovery, timeout: Duration) -> BoxFuture<Outcome>;
    fn schema_registry(&self, target: ValidSchemaRegistry, timeout: Duration) -> BoxFuture<Outcome>;
}

/// Where a LOCAL connection looks for its Kafka cluster, in this order. An empty value skips that step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalDiscovery {
    /// The Confluent Local REST proxy (`local.kafka_rest_uri`), which knows the cluster id and the
    /// brokers' advertised listeners.
    pub rest_proxy_uri: String,
    /// A plain broker tried when the REST proxy finds nothing (`local.bootstrap_servers`), in plaintext.
    pub bootstrap_servers: String,
}

/// The Kafka cluster a connection's check reaches.
// A plan lives for one check, so the size of the `Direct` variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum KafkaTarget {
    /// The cluster the spec names (DIRECT, PLATFORM, or LOCAL with its own `kafka_cluster`).
    Direct(ValidKafkaCluster),
    /// Whatever runs on this machine (LOCAL), found anew at every check.
    Discover(LocalDiscovery),
}

/// What a connection's checks reach, resolved from its spec and the sidecar's settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub kafka: Option<KafkaTarget>,
    pub schema_registry: Option<ValidSchemaRegistry>,
}

impl Plan {
    /// The plan of `spec`; empty for a spec without a type (which validation refuses).
    pub fn for_spec(spec: &ConnectionSpec, settings: &Settings) -> Self {
        spec.connection_type
            .map_or_else(Self::default, |connection_type| Kind::of(connection_type).plan(spec, settings))
    }

    pub fn is_empty(&self) -> bool {
        self.kafka.is_none() && self.schema_registry.is_none()
    }
}

pub fn failed_errors(message: String, transient: bool) -> AuthErrors {
    AuthErrors { auth_status_check: Some(AuthError { message, is_transient: transient }), ..Default::default() }
}

impl From<Outcome> for KafkaClusterStatus {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Success { cluster_id, bootstrap_servers } => {
                Self { state: ConnectedState::Success, cluster_id, bootstrap_servers, ..Default::default() }
            }
            Outcome::Failed { message, transient } => Self {
                state: ConnectedState::Failed,
                errors: Some(failed_errors(message, transient)),
                ..Default::default()
            },
        }
    }
}

impl From<Outcome> for SchemaRegistryStatus {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Success { .. } => Self { state: ConnectedState::Success, ..Default::default() },
            Outcome::Failed { message, transient } => Self {
                state: ConnectedState::Failed,
                errors: Some(failed_errors(message, transient)),
                ..Default::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::InitializationOptions;

    fn plan(spec: serde_json::Value) -> Plan {
        let mut options = InitializationOptions::default();
        options.local.kafka_rest_uri = "http://127.0.0.1:18082".into();
        options.local.bootstrap_servers = "127.0.0.1:19092".into();
        options.local.schema_registry_uri = "http://127.0.0.1:18081".into();
        Plan::for_spec(&serde_json::from_value(spec).unwrap(), &Settings::from(&options))
    }

    #[test]
    fn local_kafka_is_discovered_unless_the_spec_names_a_cluster() {
        let discovered = plan(serde_json::json!({"name": "l", "type": "LOCAL"}));
        assert_eq!(
            discovered.kafka,
            Some(KafkaTarget::Discover(LocalDiscovery {
                rest_proxy_uri: "http://127.0.0.1:18082".into(),
                bootstrap_servers: "127.0.0.1:19092".into(),
            }))
        );
        let named = plan(serde_json::json!({"name": "l", "type": "LOCAL",
            "kafka_cluster": {"bootstrap_servers": "h:1", "ssl": {"enabled": false}}}));
        assert!(matches!(named.kafka, Some(KafkaTarget::Direct(ref c)) if c.bootstrap_servers == "h:1"));
    }

    #[test]
    fn local_schema_registry_is_the_default_none_or_the_one_configured() {
        let uri = |spec| plan(spec).schema_registry.map(|registry| registry.uri);
        assert_eq!(uri(serde_json::json!({"name": "l", "type": "LOCAL"})).as_deref(), Some("http://127.0.0.1:18081"));
        assert_eq!(
            uri(serde_json::json!({"name": "l", "type": "LOCAL", "local_config": {"schema_registry_uri": ""}})),
            None
        );
        assert_eq!(
            uri(
                serde_json::json!({"name": "l", "type": "LOCAL", "local_config": {"schema-registry-uri": "http://h:1"}})
            )
            .as_deref(),
            Some("http://h:1")
        );
    }
}

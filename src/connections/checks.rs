//! The seam between the manager and the outside systems: what to check for a connection, and how
//! a check's outcome becomes status. Backends implement [`Checks`]; tests can plug in their own.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::protocol::{
    AuthError, AuthErrors, ConnectedState, ConnectionSpec, ConnectionType, KafkaClusterConfig, KafkaClusterStatus,
    SchemaRegistryConfig, SchemaRegistryStatus, TlsConfig,
};

use super::Settings;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a single check of one component found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The component answered as it should; `cluster_id` is what a Kafka cluster reported.
    Success { cluster_id: Option<String> },
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
    fn kafka(&self, target: KafkaClusterConfig, timeout: Duration) -> BoxFuture<Outcome>;
    fn schema_registry(&self, target: SchemaRegistryConfig, timeout: Duration) -> BoxFuture<Outcome>;
}

/// What a connection's checks reach, resolved from its spec and the sidecar's settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub kafka: Option<KafkaClusterConfig>,
    pub schema_registry: Option<SchemaRegistryConfig>,
}

impl Plan {
    pub fn for_spec(spec: &ConnectionSpec, settings: &Settings) -> Self {
        match spec.connection_type {
            Some(ConnectionType::Direct | ConnectionType::Platform) => {
                Self { kafka: spec.kafka_cluster.clone(), schema_registry: spec.schema_registry.clone() }
            }
            Some(ConnectionType::Local) => Self {
                kafka: Some(spec.kafka_cluster.clone().unwrap_or_else(|| KafkaClusterConfig {
                    bootstrap_servers: Some(settings.local.bootstrap_servers.clone()),
                    ssl: Some(TlsConfig { enabled: Some(false), ..Default::default() }),
                    ..Default::default()
                })),
                schema_registry: spec.schema_registry.clone().or_else(|| {
                    let configured = spec.local_config.as_ref().and_then(|local| local.schema_registry_uri.clone());
                    let uri = configured.unwrap_or_else(|| settings.local.schema_registry_uri.clone());
                    (!uri.is_empty()).then(|| SchemaRegistryConfig { uri: Some(uri), ..Default::default() })
                }),
            },
            Some(ConnectionType::Ccloud) | None => Self::default(),
        }
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
            Outcome::Success { cluster_id } => {
                Self { state: ConnectedState::Success, cluster_id, ..Default::default() }
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

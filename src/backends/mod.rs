//! IO adapters, one per outside system. [`RealChecks`] is what the server plugs into the manager.

pub mod ccloud;
pub mod files;
pub mod kafka;
pub mod local;
pub mod oauth;
pub mod schema_registry;
pub mod schemas;
pub mod tls;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafka::clients::{ClientPool, Limits};
use schemas::registry::{RegistryClient, RegistryError};

use crate::connections::{BoxFuture, Checks, LocalDiscovery, Outcome, ValidKafkaCluster, ValidSchemaRegistry};

/// Checks against the real systems: librdkafka for Kafka, HTTP for Schema Registry and for the
/// Confluent Local REST proxy.
///
/// Kafka checks run on shared clients, one per distinct effective configuration, open while a
/// stored connection uses them (see [`kafka::clients`]), whose error callbacks also signal when a
/// cluster starts failing.
///
/// It owns the Kafka client pool (and the pool's reaper thread, which ends with it) and the OAuth
/// token cache: the manager is handed the checks, and with them their state; neither is a process
/// global.
#[derive(Clone)]
pub struct RealChecks {
    kafka_clients: Arc<ClientPool>,
    /// OAuth tokens (Kafka OAUTHBEARER and Schema Registry), until shortly before they expire.
    tokens: Arc<oauth::TokenCache>,
    /// The data plane's registries by their settings, the most recently used last: each one's client
    /// (its TLS stores read once, its connections kept open between requests) and the schemas it
    /// compiled. A plain mutex, held only to look up or insert, never across an `.await`.
    registries: Arc<Mutex<Registries>>,
    /// Idle page readers, kept so the next page of a scan continues where the last one stopped.
    readers: Arc<kafka::records::Readers>,
}

/// Registries by their settings.
type Registries = Vec<(ValidSchemaRegistry, Arc<schemas::RegistrySchemas>)>;

/// How many registries are kept; a session rarely talks to more than a few.
const REGISTRY_CLIENTS: usize = 16;

impl RealChecks {
    pub fn new() -> Self {
        Self {
            kafka_clients: ClientPool::start(Limits::default()),
            tokens: Arc::default(),
            registries: Arc::default(),
            readers: Arc::default(),
        }
    }
}

impl RealChecks {
    /// The shared client of a Kafka cluster, ready for the data plane's requests; a failure says why
    /// in the words of a check.
    pub async fn kafka_client(
        &self,
        target: &ValidKafkaCluster,
        timeout: Duration,
    ) -> Result<Arc<kafka::clients::SharedClient>, Outcome> {
        kafka::client(&self.kafka_clients, &self.tokens, target, timeout).await
    }

    /// The client of a Schema Registry for the data plane's requests, built at its first use (the
    /// TLS stores read within `timeout`) and reused while its settings stay the same.
    pub async fn registry_client(
        &self,
        target: &ValidSchemaRegistry,
        timeout: Duration,
    ) -> Result<Arc<RegistryClient>, RegistryError> {
        let registry = self.registry(target, timeout).await?;
        // Kept registries always have their client (one that cannot connect is not kept).
        registry.client().cloned().map_err(|message| RegistryError::Unreachable { message, transient: false })
    }

    /// A registry kept by its settings, made (its client connected) at its first use.
    async fn registry(
        &self,
        target: &ValidSchemaRegistry,
        timeout: Duration,
    ) -> Result<Arc<schemas::RegistrySchemas>, RegistryError> {
        if let Some(registry) = self.cached_registry(target) {
            return Ok(registry);
        }
        let client = Arc::new(RegistryClient::connect(target, self.tokens.clone(), timeout).await?);
        let mut registries = self.registries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Another request may have made one meanwhile: keep a single one per registry.
        if let Some(index) = registries.iter().position(|(settings, _)| settings == target) {
            return Ok(registries[index].1.clone());
        }
        if registries.len() >= REGISTRY_CLIENTS {
            registries.remove(0);
        }
        let registry = Arc::new(schemas::RegistrySchemas::new(Ok(client), timeout));
        registries.push((target.clone(), registry.clone()));
        Ok(registry)
    }

    fn cached_registry(&self, target: &ValidSchemaRegistry) -> Option<Arc<schemas::RegistrySchemas>> {
        let mut registries = self.registries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let index = registries.iter().position(|(settings, _)| settings == target)?;
        let entry = registries.remove(index);
        let registry = entry.1.clone();
        registries.push(entry);
        Some(registry)
    }

    /// The idle page readers.
    pub fn readers(&self) -> &Arc<kafka::records::Readers> {
        &self.readers
    }

    /// The compiled schemas of a Schema Registry, kept across requests and asked with `timeout`.
    /// Never fails: a registry that cannot be used makes every lookup say why.
    pub async fn registry_schemas(
        &self,
        target: &ValidSchemaRegistry,
        timeout: Duration,
    ) -> Arc<schemas::RegistrySchemas> {
        match self.registry(target, timeout).await {
            Ok(registry) => {
                registry.set_timeout(timeout);
                registry
            }
            Err(error) => Arc::new(schemas::RegistrySchemas::new(Err(error.to_string()), timeout)),
        }
    }

    /// Finds the Kafka cluster running on this machine and checks it (see [`local::check`]).
    pub async fn local_kafka_now(&self, discovery: &LocalDiscovery, timeout: Duration) -> Outcome {
        local::check(self, discovery, timeout).await
    }
}

impl Default for RealChecks {
    fn default() -> Self {
        Self::new()
    }
}

impl Checks for RealChecks {
    fn kafka(&self, target: ValidKafkaCluster, timeout: Duration) -> BoxFuture<Outcome> {
        Box::pin(check_kafka(self.clone(), target, timeout))
    }

    fn kafka_changed(&self, target: &ValidKafkaCluster, timeout: Duration) -> Option<BoxFuture<()>> {
        kafka::changed(self.kafka_clients.clone(), target, timeout)
    }

    fn kafka_dry_run_over(&self, target: &ValidKafkaCluster, timeout: Duration) {
        kafka::dry_run_over(self.kafka_clients.clone(), target, timeout);
    }

    fn local_kafka(&self, discovery: LocalDiscovery, timeout: Duration) -> BoxFuture<Outcome> {
        let checks = self.clone();
        Box::pin(async move { local::check(&checks, &discovery, timeout).await })
    }

    fn schema_registry(&self, target: ValidSchemaRegistry, timeout: Duration) -> BoxFuture<Outcome> {
        let tokens = self.tokens.clone();
        Box::pin(async move { schema_registry::check(&tokens, &target, timeout).await })
    }
}

/// The Kafka check, through the shared client of the cluster's configuration.
async fn check_kafka(checks: RealChecks, target: ValidKafkaCluster, timeout: Duration) -> Outcome {
    kafka::check(&checks.kafka_clients, &checks.tokens, &target, timeout).await
}

/// An error and all its sources, for messages that must say what really went wrong.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

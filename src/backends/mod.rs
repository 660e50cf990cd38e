//! IO adapters, one per outside system. [`RealChecks`] is what the server plugs into the manager.

pub mod kafka;
pub mod schema_registry;

use std::time::Duration;

use crate::connections::{BoxFuture, Checks, Outcome};
use crate::protocol::{KafkaClusterConfig, SchemaRegistryConfig};

/// Checks against the real systems: librdkafka for Kafka, HTTP for Schema Registry.
///
/// Each Kafka check builds a fresh client on a blocking thread. This is the seam where shared,
/// long-lived clients (one per distinct effective configuration) will plug in.
#[derive(Clone, Debug, Default)]
pub struct RealChecks;

impl Checks for RealChecks {
    fn kafka(&self, target: KafkaClusterConfig, timeout: Duration) -> BoxFuture<Outcome> {
        Box::pin(async move {
            match tokio::task::spawn_blocking(move || kafka::check_blocking(&target, timeout)).await {
                Ok(outcome) => outcome,
                Err(error) => Outcome::failed(format!("The Kafka check stopped unexpectedly: {error}"), true),
            }
        })
    }

    fn schema_registry(&self, target: SchemaRegistryConfig, timeout: Duration) -> BoxFuture<Outcome> {
        Box::pin(async move { schema_registry::check(&target, timeout).await })
    }
}

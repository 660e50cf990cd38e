//! The data plane's way to a connection's Kafka cluster: which cluster a request reaches, the shared
//! client it runs on, its time limit, and checks of the params that need no cluster.

use std::sync::Arc;
use std::time::Duration;

use tower_lsp_server::jsonrpc::{Error, Result};

use super::decode::detail;
use super::errors::{error, invalid_params};
use super::Sidecar;
use crate::backends::kafka::clients::SharedClient;
use crate::backends::kafka::data::KafkaDataError;
use crate::backends::RealChecks;
use crate::connections::{KafkaTarget, Kind, Outcome, ValidKafkaCluster};
use crate::protocol::{ErrorCode, ErrorDetail};

/// The longest `timeout_ms` a request may ask for.
pub const MAX_TIMEOUT_MS: u64 = 600_000;

/// A request's way to its cluster: the shared client and the time the request has.
pub(super) struct KafkaRequest {
    client: Arc<SharedClient>,
    timeout: Duration,
    /// The connection's spec generation when the request was resolved: what a lag watch started by
    /// it belongs to.
    pub generation: u64,
    /// The connection's Schema Registry, for decoding and serializing records.
    pub schema_registry: Option<crate::connections::ValidSchemaRegistry>,
}

impl KafkaRequest {
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The connection's shared client, for work that outlives the request (a tail).
    pub fn client(&self) -> Arc<SharedClient> {
        self.client.clone()
    }

    /// Runs a blocking data-plane call on the client, off the runtime. The call gives up by the
    /// request's time (librdkafka's own timeouts); the reply never waits much longer than that.
    pub async fn run<T: Send + 'static>(
        &self,
        call: impl FnOnce(&SharedClient, Duration) -> std::result::Result<T, KafkaDataError> + Send + 'static,
    ) -> Result<T> {
        let (client, timeout) = (self.client.clone(), self.timeout);
        let task = tokio::task::spawn_blocking(move || call(&client, timeout));
        match tokio::time::timeout(timeout + Duration::from_secs(2), task).await {
            Ok(Ok(result)) => result.map_err(Error::from),
            Ok(Err(_)) => Err(Error::internal_error()),
            Err(_) => Err(error(
                ErrorCode::KafkaUnavailable,
                format!(
                    "The Kafka cluster at '{}' did not answer within {} ms: check that it is running and reachable from this machine",
                    self.client.servers(),
                    timeout.as_millis()
                ),
            )),
        }
    }
}

impl Sidecar {
    /// The data plane's backends: none when the server was started with checks that reach no real
    /// system (the in-process tests' scripted checks).
    pub(super) fn data_plane(&self) -> Result<&RealChecks> {
        self.data_plane
            .as_ref()
            .ok_or_else(|| error(ErrorCode::NotSupported, "This sidecar was started without its Kafka backends".into()))
    }

    /// Resolves a request's target to its cluster's shared client. `cluster_id`, when given, must be
    /// the cluster's.
    pub(super) async fn kafka(
        &self,
        connection_id: &str,
        cluster_id: Option<&str>,
        timeout_ms: Option<u64>,
    ) -> Result<KafkaRequest> {
        let reach = self.manager()?.reach(connection_id)?;
        let timeout = request_timeout(timeout_ms, reach.check_timeout)?;
        if reach.kind == Kind::Ccloud {
            // The target is checked first, so that a signed-out session or an unknown cluster says so.
            self.cloud_kafka(connection_id, cluster_id, timeout_ms).await?;
            return Err(error(
                ErrorCode::NotSupported,
                format!("This request is not available on Confluent Cloud clusters yet (offset resets need the Kafka protocol, and connection '{connection_id}' reaches its clusters through Kafka REST, which has none): add the cluster as a DIRECT connection with an API key to use it"),
            ));
        }
        let data_plane = self.data_plane()?;
        let cluster = match reach.kafka {
            None => {
                return Err(error(
                    ErrorCode::NoKafkaCluster,
                    format!("Connection '{connection_id}' has no Kafka cluster: add kafka_cluster to its spec"),
                ))
            }
            Some(KafkaTarget::Direct(cluster)) => cluster,
            Some(KafkaTarget::Discover(discovery)) => {
                let found = reach.kafka_status.as_ref().and_then(|status| status.bootstrap_servers.clone());
                let servers = match found {
                    Some(servers) => servers,
                    None => match data_plane.local_kafka_now(&discovery, timeout).await {
                        Outcome::Success { bootstrap_servers: Some(servers), .. } => servers,
                        Outcome::Success { .. } => discovery.bootstrap_servers.clone(),
                        Outcome::Failed { message, .. } => return Err(error(ErrorCode::KafkaUnavailable, message)),
                    },
                };
                ValidKafkaCluster::plaintext(&servers)
            }
        };
        let client = data_plane
            .kafka_client(&cluster, timeout)
            .await
            .map_err(|outcome| error(ErrorCode::KafkaUnavailable, failure_message(outcome)))?;
        let request = KafkaRequest {
            client,
            timeout,
            generation: reach.generation,
            schema_registry: reach.schema_registry.clone(),
        };
        if let Some(wanted) = cluster_id {
            let known = reach.kafka_status.and_then(|status| status.cluster_id);
            let actual = match known {
                Some(id) => Some(id),
                None => match request.client.check(timeout).await {
                    Outcome::Success { cluster_id, .. } => cluster_id,
                    Outcome::Failed { message, .. } => return Err(error(ErrorCode::KafkaUnavailable, message)),
                },
            };
            if let Some(actual) = actual.filter(|actual| actual != wanted) {
                return Err(invalid_params(vec![detail(
                    "cluster_id",
                    format!("Connection '{connection_id}' reaches Kafka cluster '{actual}', not '{wanted}'"),
                )]));
            }
        }
        Ok(request)
    }
}

fn failure_message(outcome: Outcome) -> String {
    match outcome {
        Outcome::Failed { message, .. } => message,
        Outcome::Success { .. } => "The Kafka cluster could not be reached".into(),
    }
}

/// A request's time limit: its own `timeout_ms` (1 ms to 10 minutes) or the check timeout.
pub(super) fn request_timeout(timeout_ms: Option<u64>, default: Duration) -> Result<Duration> {
    match timeout_ms {
        None => Ok(default),
        Some(ms @ 1..=MAX_TIMEOUT_MS) => Ok(Duration::from_millis(ms)),
        Some(_) => Err(invalid_params(vec![detail(
            "timeout_ms",
            format!("Must be between 1 and {MAX_TIMEOUT_MS} (10 minutes)"),
        )])),
    }
}

/// Checks of a request's params that need no cluster; every problem with its JSON path.
#[derive(Default)]
pub(super) struct Problems(Vec<ErrorDetail>);

impl Problems {
    pub fn add(&mut self, source: impl Into<String>, problem: impl Into<String>) {
        self.0.push(ErrorDetail { source: source.into(), detail: problem.into() });
    }

    /// A topic name Kafka accepts: 1 to 249 of `a-z A-Z 0-9 . _ -`, and not `.` or `..`.
    pub fn topic(&mut self, source: &str, name: &str) {
        const MAX: usize = 249;
        if name.is_empty() {
            self.add(source, "A topic name cannot be empty");
        } else if name.len() > MAX {
            self.add(source, format!("A topic name has at most {MAX} characters; this one has {}", name.len()));
        } else if name == "." || name == ".." {
            self.add(source, "A topic cannot be named '.' or '..'");
        } else if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
            self.add(
                source,
                format!("A topic name may only hold letters, digits, '.', '_' and '-'; {bad:?} is not allowed"),
            );
        }
    }

    pub fn group(&mut self, source: &str, group_id: &str) {
        if group_id.is_empty() {
            self.add(source, "A consumer group id cannot be empty");
        } else if group_id.len() > 1024 {
            self.add(source, "A consumer group id has at most 1024 characters");
        }
    }

    /// A config name: not empty and not absurdly long.
    pub fn config_name(&mut self, source: &str, name: &str) {
        if name.is_empty() || name.len() > 256 {
            self.add(source, "A config name has 1 to 256 characters");
        }
    }

    pub fn into_result(self) -> Result<()> {
        const SHOWN: usize = 8;
        let mut problems = self.0;
        if problems.is_empty() {
            return Ok(());
        }
        if problems.len() > SHOWN {
            let more = problems.len() - SHOWN;
            problems.truncate(SHOWN);
            problems
                .push(ErrorDetail { source: String::new(), detail: format!("{more} more problems were not listed") });
        }
        Err(invalid_params(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_follow_kafka_rules() {
        let mut problems = Problems::default();
        for good in ["orders", "a.b_c-D9", &"x".repeat(249)] {
            problems.topic("topic", good);
        }
        assert!(problems.0.is_empty());
        for bad in ["", ".", "..", "has space", "ünï", &"x".repeat(250), "a/b"] {
            problems.topic("topic", bad);
        }
        assert_eq!(problems.0.len(), 7);
        assert!(problems.0.iter().all(|p| p.source == "topic"));
    }

    #[test]
    fn timeouts_are_bounded() {
        let default = Duration::from_secs(10);
        assert_eq!(request_timeout(None, default).unwrap(), default);
        assert_eq!(request_timeout(Some(250), default).unwrap(), Duration::from_millis(250));
        assert!(request_timeout(Some(0), default).is_err());
        assert!(request_timeout(Some(MAX_TIMEOUT_MS + 1), default).is_err());
    }
}

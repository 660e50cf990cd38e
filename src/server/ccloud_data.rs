//! The data plane's way to a Confluent Cloud cluster: which of the connection's clusters (or
//! registries) a request names with `cluster_id`, found in the session's resources listing, and
//! the REST client, registry settings and time limit it runs with.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use tower_lsp_server::jsonrpc::{Error, Result};

use super::decode::detail;
use super::errors::{error, invalid_params};
use super::kafka::{request_timeout, KafkaRequest};
use super::Sidecar;
use crate::backends::ccloud::rest::{KafkaRest, RestError, RestFailure};
use crate::backends::kafka::data::GroupLags;
use crate::connections::ccloud::CCloudAccess;
use crate::connections::{ConnectionManager, Kind, ManagerError, RegistryCredentials, ValidSchemaRegistry};
use crate::protocol::ccloud::{CloudEnvironment, CloudResourcesResult};
use crate::protocol::ErrorCode;

/// A data-plane request's way to its cluster: the native Kafka protocol, or a Confluent Cloud
/// cluster's Kafka REST v3 endpoint.
pub(super) enum KafkaTarget {
    Native(Box<KafkaRequest>),
    Cloud(Box<CloudKafka>),
}

/// A request on a Confluent Cloud Kafka cluster.
pub(super) struct CloudKafka {
    pub rest: KafkaRest,
    /// The environment's Schema Registry with the session's token, for decoding and serializing.
    pub schema_registry: Option<ValidSchemaRegistry>,
    pub timeout: Duration,
    /// The connection's spec generation when the request was resolved (what a lag watch belongs to).
    pub generation: u64,
    rest_endpoint: String,
    connection_id: String,
    manager: ConnectionManager,
}

impl CloudKafka {
    /// The same cluster with the session's current token and a fresh time limit, for work that
    /// outlives the request (each poll of a tail); signed out, the session's words.
    pub fn renewed(&self) -> Result<CloudKafka> {
        let access = self.manager.ccloud_access(&self.connection_id)?;
        let schema_registry = self.schema_registry.clone().map(|mut registry| {
            if let Some(RegistryCredentials::CCloud { token, .. }) = &mut registry.credentials {
                *token = access.data_plane.clone();
            }
            registry
        });
        let rest = KafkaRest::new(&self.rest_endpoint, self.rest.cluster_id(), access.data_plane, self.timeout)?;
        Ok(CloudKafka {
            rest,
            schema_registry,
            timeout: self.timeout,
            generation: self.generation,
            rest_endpoint: self.rest_endpoint.clone(),
            connection_id: self.connection_id.clone(),
            manager: self.manager.clone(),
        })
    }

    /// The lag of these groups now (a lag watch's poll), with the session's current token.
    pub async fn lag_of_groups(&self, group_ids: &BTreeSet<String>) -> std::result::Result<GroupLags, String> {
        let cloud = self.renewed().map_err(|error| error.message.to_string())?;
        cloud.rest.lag_of_groups(group_ids).await.map_err(|error| error.to_string())
    }

    /// Awaits a REST call; a failure becomes the reply's error. An HTTP 401 checks the session at
    /// once, so the reply (and the connection's status) says what the session says.
    pub async fn run<T>(&self, call: impl Future<Output = std::result::Result<T, RestError>>) -> Result<T> {
        match call.await {
            Ok(value) => Ok(value),
            Err(failure) if failure.failure == RestFailure::SignedOut => {
                let check = tokio::time::timeout(self.timeout, self.manager.refresh(&self.connection_id)).await;
                if let Err(elapsed) = &check {
                    tracing::debug!(connection = self.connection_id, %elapsed, "the session check after a refused token did not finish");
                }
                match self.manager.ccloud_access(&self.connection_id) {
                    Err(signed_out @ ManagerError::SignedOut(_)) => Err(signed_out.into()),
                    _ => Err(failure.into()),
                }
            }
            Err(failure) => Err(failure.into()),
        }
    }
}

/// Where a `cluster_id` leads in a listing: the environment and, for a Kafka cluster, its index.
fn find<'a>(listing: &'a CloudResourcesResult, cluster_id: &str) -> Option<(&'a CloudEnvironment, Option<usize>)> {
    listing.environments.iter().find_map(|environment| {
        if let Some(index) = environment.kafka_clusters.iter().position(|cluster| cluster.id == cluster_id) {
            return Some((environment, Some(index)));
        }
        environment.schema_registry.as_ref().filter(|registry| registry.id == cluster_id).map(|_| (environment, None))
    })
}

impl Sidecar {
    /// Resolves a data-plane request's target: a CCLOUD connection's cluster through REST, any
    /// other connection's through [`Sidecar::kafka`].
    pub(super) async fn kafka_target(
        &self,
        connection_id: &str,
        cluster_id: Option<&str>,
        timeout_ms: Option<u64>,
    ) -> Result<KafkaTarget> {
        let kind = self.manager()?.reach(connection_id)?.kind;
        if kind == Kind::Ccloud {
            return self
                .cloud_kafka(connection_id, cluster_id, timeout_ms)
                .await
                .map(|cloud| KafkaTarget::Cloud(Box::new(cloud)));
        }
        self.kafka(connection_id, cluster_id, timeout_ms).await.map(|kafka| KafkaTarget::Native(Box::new(kafka)))
    }

    /// The session and the environment that holds `cluster_id` (a Kafka cluster, or with
    /// `registries` also a Schema Registry), from the cached listing, read again once on a miss.
    async fn cloud_place(
        &self,
        connection_id: &str,
        cluster_id: Option<&str>,
        timeout_ms: Option<u64>,
        registries: bool,
    ) -> Result<(CCloudAccess, CloudEnvironment, Option<usize>)> {
        let Some(cluster_id) = cluster_id.filter(|id| !id.is_empty()) else {
            // The session is checked first: a signed-out connection says so whatever the params.
            self.manager()?.ccloud_access(connection_id)?;
            return Err(invalid_params(vec![detail(
                "cluster_id",
                format!("Connection '{connection_id}' is a Confluent Cloud connection, which reaches many clusters: name one with cluster_id (ccloud/resources lists them)"),
            )]));
        };
        for refresh in [false, true] {
            let (access, listing) = self.ccloud_listing(connection_id, refresh, timeout_ms).await?;
            if let Some((environment, index)) = find(&listing, cluster_id) {
                if index.is_some() || registries {
                    return Ok((access, environment.clone(), index));
                }
            }
        }
        let what = if registries { "Kafka cluster or Schema Registry" } else { "Kafka cluster" };
        Err(invalid_params(vec![detail(
            "cluster_id",
            format!("Connection '{connection_id}' has no {what} '{cluster_id}' in its organization: ccloud/resources lists them"),
        )]))
    }

    /// A request on a Confluent Cloud Kafka cluster of the connection.
    pub(super) async fn cloud_kafka(
        &self,
        connection_id: &str,
        cluster_id: Option<&str>,
        timeout_ms: Option<u64>,
    ) -> Result<CloudKafka> {
        let started = tokio::time::Instant::now();
        let (access, environment, index) = self.cloud_place(connection_id, cluster_id, timeout_ms, false).await?;
        let timeout = request_timeout(timeout_ms, access.check_timeout)?;
        let cluster = &environment.kafka_clusters[index.expect("a Kafka cluster was asked for")];
        // The request's time covers reading the listing too, when it was not cached.
        let left = timeout.saturating_sub(started.elapsed());
        let rest = KafkaRest::new(&cluster.rest_endpoint, &cluster.id, access.data_plane.clone(), left)
            .map_err(Error::from)?;
        Ok(CloudKafka {
            rest,
            schema_registry: registry_settings(&environment, &access),
            timeout,
            generation: access.session.0,
            rest_endpoint: cluster.rest_endpoint.clone(),
            connection_id: connection_id.to_string(),
            manager: self.manager()?.clone(),
        })
    }

    /// The Schema Registry of the environment that holds `cluster_id` (one of its Kafka clusters,
    /// or the registry itself).
    pub(super) async fn cloud_registry(
        &self,
        connection_id: &str,
        cluster_id: Option<&str>,
        timeout_ms: Option<u64>,
    ) -> Result<ValidSchemaRegistry> {
        let (access, environment, _) = self.cloud_place(connection_id, cluster_id, timeout_ms, true).await?;
        registry_settings(&environment, &access).ok_or_else(|| {
            error(
                ErrorCode::NoSchemaRegistry,
                format!(
                    "Environment '{}' ({}) has no Schema Registry: enable Stream Governance for it in Confluent Cloud",
                    environment.name, environment.id
                ),
            )
        })
    }
}

/// An environment's registry as the data plane reaches it: its URI, the session's data-plane
/// token and the registry's id for `target-sr-cluster`.
fn registry_settings(environment: &CloudEnvironment, access: &CCloudAccess) -> Option<ValidSchemaRegistry> {
    let registry = environment.schema_registry.as_ref().filter(|registry| !registry.uri.is_empty())?;
    Some(ValidSchemaRegistry {
        uri: registry.uri.clone(),
        credentials: Some(RegistryCredentials::CCloud {
            token: access.data_plane.clone(),
            registry_id: registry.id.clone(),
        }),
        tls: Default::default(),
    })
}

//! The data plane's way to a connection's Schema Registry: which registry a request reaches, the
//! shared client it runs on, its time limit, and checks of the params that need no registry.

use std::sync::Arc;
use std::time::Duration;

use tower_lsp_server::jsonrpc::{Error, Result};

use super::errors::{error, registry_refusal};
use super::kafka::{request_timeout, Problems};
use super::Sidecar;
use crate::backends::schemas::registry::{NewSchema, RegistryClient, RegistryError, SchemaReference, VersionRef};
use crate::connections::Kind;
use crate::protocol::schemas::{self as wire, SchemaType, SchemaVersion};
use crate::protocol::ErrorCode;

/// A request's way to its registry: the shared client and the time the request has.
pub(super) struct RegistryRequest {
    pub client: Arc<RegistryClient>,
    pub timeout: Duration,
}

impl RegistryRequest {
    /// The JSON-RPC error for a failed call of `operation` (such as `RegisterSchema`).
    pub fn failed(operation: &'static str) -> impl FnOnce(RegistryError) -> Error {
        move |failure| registry_refusal(failure, operation)
    }
}

impl Sidecar {
    /// Resolves a request's target to its registry's shared client (for CCLOUD, the registry of the
    /// environment that holds `cluster_id`).
    pub(super) async fn registry(
        &self,
        connection_id: &str,
        cluster_id: Option<&str>,
        timeout_ms: Option<u64>,
    ) -> Result<RegistryRequest> {
        let reach = self.manager()?.reach(connection_id)?;
        let timeout = request_timeout(timeout_ms, reach.check_timeout)?;
        let target = match reach.kind {
            Kind::Ccloud => Some(self.cloud_registry(connection_id, cluster_id, timeout_ms).await?),
            _ => reach.schema_registry,
        };
        let Some(target) = target else {
            return Err(error(
                ErrorCode::NoSchemaRegistry,
                format!("Connection '{connection_id}' has no Schema Registry: add schema_registry to its spec"),
            ));
        };
        let client = self
            .data_plane()?
            .registry_client(&target, timeout)
            .await
            .map_err(|failure| error(ErrorCode::SchemaRegistryUnavailable, failure.to_string()))?;
        Ok(RegistryRequest { client, timeout })
    }
}

/// The registry's form of a version.
pub(super) fn version_ref(version: SchemaVersion) -> VersionRef {
    match version {
        SchemaVersion::Number(number) => VersionRef::Number(number),
        SchemaVersion::Latest(_) => VersionRef::Latest,
    }
}

/// The registry's form of a schema given in params.
pub(super) fn new_schema(schema_type: SchemaType, schema: &str, references: &[wire::SchemaReference]) -> NewSchema {
    NewSchema {
        schema_type: schema_type.as_str().to_string(),
        schema: schema.to_string(),
        references: references
            .iter()
            .map(|r| SchemaReference { name: r.name.clone(), subject: r.subject.clone(), version: r.version })
            .collect(),
    }
}

impl Problems {
    /// A subject name: not empty, and short enough for a URL.
    pub fn subject(&mut self, source: &str, subject: &str) {
        if subject.is_empty() {
            self.add(source, "A subject name cannot be empty");
        } else if subject.len() > 1024 {
            self.add(source, "A subject name has at most 1024 characters");
        }
    }

    /// A version: a number from 1, or "latest".
    pub fn version(&mut self, source: &str, version: SchemaVersion) {
        if let SchemaVersion::Number(number) = version {
            if number < 1 {
                self.add(source, format!("A version is a number from 1, or \"latest\"; not {number}"));
            }
        }
    }

    /// A schema's text and references.
    pub fn schema(&mut self, schema: &str, references: &[wire::SchemaReference]) {
        if schema.trim().is_empty() {
            self.add("schema", "The schema text cannot be empty");
        }
        for (index, reference) in references.iter().enumerate() {
            if reference.name.is_empty() {
                self.add(format!("references[{index}].name"), "A reference's name cannot be empty");
            }
            self.subject(&format!("references[{index}].subject"), &reference.subject);
            if reference.version < 1 {
                self.add(format!("references[{index}].version"), "A reference names a version from 1");
            }
        }
    }
}

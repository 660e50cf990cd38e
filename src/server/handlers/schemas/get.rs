//! `schemas/get`: a schema by subject and version, or by id.

use tower_lsp_server::jsonrpc::Result;

use crate::backends::schemas::registry::RegisteredSchema;
use crate::protocol::methods::GetSchema;
use crate::protocol::schemas::{SchemaGetParams, SchemaReference, SchemaResult};
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::schemas::{version_ref, RegistryRequest};
use crate::server::Sidecar;

impl Handler for GetSchema {
    async fn handle(sidecar: &Sidecar, params: SchemaGetParams) -> Result<SchemaResult> {
        let mut problems = Problems::default();
        match (&params.subject, params.version, params.id) {
            (Some(subject), Some(version), None) => {
                problems.subject("subject", subject);
                problems.version("version", version);
            }
            (None, None, Some(_)) => {}
            (_, _, Some(_)) => {
                let extra = if params.subject.is_some() { "subject" } else { "version" };
                problems.add(extra, "Give either subject and version, or id, not both");
            }
            (Some(_), None, None) => {
                problems.add("version", "Give the version (a number or \"latest\") with the subject")
            }
            (None, Some(_), None) => problems.add("subject", "Give the subject whose version this is"),
            (None, None, None) => problems.add("", "Give subject and version, or id"),
        }
        problems.into_result()?;
        let registry = sidecar.registry(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await?;
        let found = match (params.subject, params.version, params.id) {
            (Some(subject), Some(version), _) => {
                registry.client.schema_by_version(&subject, version_ref(version), registry.timeout).await
            }
            (_, _, id) => registry.client.schema_by_id(id.unwrap_or_default(), registry.timeout).await,
        };
        Ok(to_proto(found.map_err(RegistryRequest::failed("GetSchema"))?))
    }
}

fn to_proto(schema: RegisteredSchema) -> SchemaResult {
    SchemaResult {
        subject: schema.subject,
        version: schema.version,
        id: schema.id,
        schema_type: schema.schema_type,
        schema: schema.schema,
        references: schema
            .references
            .into_iter()
            .map(|r| SchemaReference { name: r.name, subject: r.subject, version: r.version })
            .collect(),
    }
}

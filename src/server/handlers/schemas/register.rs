//! `schemas/register`: registers a schema under a subject.

use tower_lsp_server::jsonrpc::Result;

use crate::backends::schemas::registry::{NewSchema, RegistryError, VersionRef};
use crate::protocol::methods::RegisterSchema;
use crate::protocol::schemas::{RegisterSchemaParams, RegisterSchemaResult};
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::schemas::{new_schema, RegistryRequest};
use crate::server::Sidecar;

impl Handler for RegisterSchema {
    async fn handle(sidecar: &Sidecar, params: RegisterSchemaParams) -> Result<RegisterSchemaResult> {
        let mut problems = Problems::default();
        problems.subject("subject", &params.subject);
        problems.schema(&params.schema, &params.references);
        problems.into_result()?;
        let registry = sidecar.registry(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await?;
        let schema = new_schema(params.schema_type, &params.schema, &params.references);
        let (client, timeout) = (&registry.client, registry.timeout);
        if params.dry_run {
            return dry_run(&registry, &params, &schema).await;
        }
        let id = client
            .register(&params.subject, &schema, params.normalize, timeout)
            .await
            .map_err(RegistryRequest::failed("RegisterSchema"))?;
        // The register call answers the id only; the version comes from a lookup, as Confluent's
        // clients get it.
        let found = client
            .lookup(&params.subject, &schema, params.normalize, timeout)
            .await
            .map_err(RegistryRequest::failed("LookUpSchema"))?;
        Ok(RegisterSchemaResult { id: Some(id), version: found.version, ..RegisterSchemaResult::default() })
    }
}

/// What registering would do: the subject holds the schema already (its id and version), or the
/// registry's compatibility check against the latest version (a new subject takes any valid schema;
/// the registry judges validity when the schema is registered for real).
async fn dry_run(
    registry: &RegistryRequest,
    params: &RegisterSchemaParams,
    schema: &NewSchema,
) -> Result<RegisterSchemaResult> {
    let (client, timeout) = (&registry.client, registry.timeout);
    let answer = RegisterSchemaResult { dry_run: true, ..RegisterSchemaResult::default() };
    match client.lookup(&params.subject, schema, params.normalize, timeout).await {
        Ok(found) => {
            return Ok(RegisterSchemaResult {
                id: Some(found.id),
                version: found.version,
                is_compatible: Some(true),
                ..answer
            })
        }
        // A new subject: nothing to be compatible with.
        Err(RegistryError::Refused { error_code: 40401, .. }) => {
            return Ok(RegisterSchemaResult { is_compatible: Some(true), ..answer })
        }
        Err(RegistryError::Refused { error_code: 40403, .. }) => {}
        Err(failure) => return Err(RegistryRequest::failed("LookUpSchema")(failure)),
    }
    let (is_compatible, messages) = client
        .check_compatibility(&params.subject, schema, VersionRef::Latest, timeout)
        .await
        .map_err(RegistryRequest::failed("CheckCompatibility"))?;
    Ok(RegisterSchemaResult { is_compatible: Some(is_compatible), messages, ..answer })
}

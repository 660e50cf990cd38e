//! `schemas/register`: registers a schema under a subject.

use tower_lsp_server::jsonrpc::Result;

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
        let registry = sidecar.registry(&params.connection_id, params.timeout_ms).await?;
        let schema = new_schema(params.schema_type, &params.schema, &params.references);
        let (client, timeout) = (&registry.client, registry.timeout);
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
        Ok(RegisterSchemaResult { id, version: found.version.unwrap_or_default() })
    }
}

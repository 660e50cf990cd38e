//! `schemas/checkCompatibility`: whether a schema is compatible with a subject's version.

use tower_lsp_server::jsonrpc::Result;

use crate::protocol::methods::CheckSchemaCompatibility;
use crate::protocol::schemas::{CheckCompatibilityParams, CheckCompatibilityResult, Latest, SchemaVersion};
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::schemas::{new_schema, version_ref, RegistryRequest};
use crate::server::Sidecar;

impl Handler for CheckSchemaCompatibility {
    async fn handle(sidecar: &Sidecar, params: CheckCompatibilityParams) -> Result<CheckCompatibilityResult> {
        let version = params.version.unwrap_or(SchemaVersion::Latest(Latest::Latest));
        let mut problems = Problems::default();
        problems.subject("subject", &params.subject);
        problems.version("version", version);
        problems.schema(&params.schema, &params.references);
        problems.into_result()?;
        let registry = sidecar.registry(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await?;
        let schema = new_schema(params.schema_type, &params.schema, &params.references);
        let (is_compatible, messages) = registry
            .client
            .check_compatibility(&params.subject, &schema, version_ref(version), registry.timeout)
            .await
            .map_err(RegistryRequest::failed("CheckCompatibility"))?;
        Ok(CheckCompatibilityResult { is_compatible, messages })
    }
}

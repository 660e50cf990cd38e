//! `schemas/versions/list`: a subject's versions.

use tower_lsp_server::jsonrpc::Result;

use crate::protocol::methods::ListSchemaVersions;
use crate::protocol::schemas::{VersionsListParams, VersionsListResult};
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::schemas::RegistryRequest;
use crate::server::Sidecar;

impl Handler for ListSchemaVersions {
    async fn handle(sidecar: &Sidecar, params: VersionsListParams) -> Result<VersionsListResult> {
        let mut problems = Problems::default();
        problems.subject("subject", &params.subject);
        problems.into_result()?;
        let registry = sidecar.registry(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await?;
        let data = registry
            .client
            .versions(&params.subject, params.deleted, registry.timeout)
            .await
            .map_err(RegistryRequest::failed("ListVersions"))?;
        Ok(VersionsListResult { data })
    }
}

//! `schemas/subjects/list`: the subjects of a connection's Schema Registry.

use tower_lsp_server::jsonrpc::Result;

use crate::protocol::methods::ListSubjects;
use crate::protocol::schemas::{SubjectsListParams, SubjectsListResult};
use crate::server::handlers::Handler;
use crate::server::schemas::RegistryRequest;
use crate::server::Sidecar;

impl Handler for ListSubjects {
    async fn handle(sidecar: &Sidecar, params: SubjectsListParams) -> Result<SubjectsListResult> {
        let registry = sidecar.registry(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await?;
        let data = registry
            .client
            .subjects(params.prefix.as_deref(), params.deleted, registry.timeout)
            .await
            .map_err(RegistryRequest::failed("ListSubjects"))?;
        Ok(SubjectsListResult { data })
    }
}

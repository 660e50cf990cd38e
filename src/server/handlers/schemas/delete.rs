//! `schemas/delete`: deletes a subject's version or the whole subject, softly or (after a soft
//! delete) for good.

use tower_lsp_server::jsonrpc::Result;

use crate::protocol::methods::DeleteSchema;
use crate::protocol::schemas::{SchemaDeleteParams, SchemaDeleteResult};
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::schemas::{version_ref, RegistryRequest};
use crate::server::Sidecar;

impl Handler for DeleteSchema {
    async fn handle(sidecar: &Sidecar, params: SchemaDeleteParams) -> Result<SchemaDeleteResult> {
        let mut problems = Problems::default();
        problems.subject("subject", &params.subject);
        if let Some(version) = params.version {
            problems.version("version", version);
        }
        problems.into_result()?;
        let registry = sidecar.registry(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await?;
        let (client, timeout) = (&registry.client, registry.timeout);
        let versions = match params.version {
            Some(version) => client
                .delete_version(&params.subject, version_ref(version), params.permanent, timeout)
                .await
                .map(|version| vec![version])
                .map_err(RegistryRequest::failed("DeleteVersion"))?,
            None => client
                .delete_subject(&params.subject, params.permanent, timeout)
                .await
                .map_err(RegistryRequest::failed("DeleteSubject"))?,
        };
        Ok(SchemaDeleteResult { versions })
    }
}

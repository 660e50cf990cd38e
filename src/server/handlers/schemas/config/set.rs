//! `schemas/config/set`: sets a subject's or the global compatibility level.

use tower_lsp_server::jsonrpc::Result;

use crate::protocol::methods::SetSchemaConfig;
use crate::protocol::schemas::{ConfigResult, ConfigSetParams, ConfigSource};
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::schemas::RegistryRequest;
use crate::server::Sidecar;

impl Handler for SetSchemaConfig {
    async fn handle(sidecar: &Sidecar, params: ConfigSetParams) -> Result<ConfigResult> {
        let mut problems = Problems::default();
        if let Some(subject) = &params.subject {
            problems.subject("subject", subject);
        }
        problems.into_result()?;
        let registry = sidecar.registry(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await?;
        let compatibility = registry
            .client
            .set_compatibility(params.subject.as_deref(), params.compatibility.as_str(), registry.timeout)
            .await
            .map_err(RegistryRequest::failed("SetConfig"))?;
        let source = if params.subject.is_some() { ConfigSource::Subject } else { ConfigSource::Global };
        Ok(ConfigResult { compatibility, source })
    }
}

//! `schemas/config/get`: a subject's compatibility level (the global one when it has none), or the
//! global level.

use tower_lsp_server::jsonrpc::Result;

use crate::protocol::methods::GetSchemaConfig;
use crate::protocol::schemas::{ConfigGetParams, ConfigResult, ConfigSource};
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::schemas::RegistryRequest;
use crate::server::Sidecar;

impl Handler for GetSchemaConfig {
    async fn handle(sidecar: &Sidecar, params: ConfigGetParams) -> Result<ConfigResult> {
        let mut problems = Problems::default();
        if let Some(subject) = &params.subject {
            problems.subject("subject", subject);
        }
        problems.into_result()?;
        let registry = sidecar.registry(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await?;
        let (client, timeout) = (&registry.client, registry.timeout);
        if let Some(subject) = &params.subject {
            let own =
                client.compatibility(Some(subject), timeout).await.map_err(RegistryRequest::failed("GetConfig"))?;
            if let Some(compatibility) = own {
                return Ok(ConfigResult { compatibility, source: ConfigSource::Subject });
            }
        }
        let global = client.compatibility(None, timeout).await.map_err(RegistryRequest::failed("GetConfig"))?;
        Ok(ConfigResult { compatibility: global.unwrap_or_default(), source: ConfigSource::Global })
    }
}

//! `ccloud/resources`: a signed-in CCLOUD connection's organizations, environments, Kafka clusters,
//! Schema Registries and Flink compute pools, read from the control plane and cached 30 s.

use tower_lsp_server::jsonrpc::Result;

use crate::protocol::ccloud::{CloudResourcesParams, CloudResourcesResult};
use crate::protocol::methods::ListCloudResources;
use crate::server::handlers::Handler;
use crate::server::Sidecar;

impl Handler for ListCloudResources {
    async fn handle(sidecar: &Sidecar, params: CloudResourcesParams) -> Result<CloudResourcesResult> {
        let CloudResourcesParams { connection_id, refresh, timeout_ms } = params;
        let (_, result) = sidecar.ccloud_listing(&connection_id, refresh, timeout_ms).await?;
        Ok(result)
    }
}

//! `ccloud/resources`: a signed-in CCLOUD connection's organizations, environments, Kafka clusters,
//! Schema Registries and Flink compute pools, read from the control plane and cached 30 s.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use tower_lsp_server::jsonrpc::Result;

use crate::backends::ccloud::resources::ResourcesError;
use crate::connections::ccloud::date::rfc3339;
use crate::protocol::ccloud::{CloudResourcesParams, CloudResourcesResult};
use crate::protocol::methods::ListCloudResources;
use crate::server::handlers::Handler;
use crate::server::kafka::request_timeout;
use crate::server::Sidecar;

impl Handler for ListCloudResources {
    async fn handle(sidecar: &Sidecar, params: CloudResourcesParams) -> Result<CloudResourcesResult> {
        let CloudResourcesParams { connection_id, refresh, timeout_ms } = params;
        // Checked before anything else, so a bad value is reported whatever the connection's state.
        let asked = request_timeout(timeout_ms, Duration::ZERO)?;
        let manager = sidecar.manager()?;
        let access = manager.ccloud_access(&connection_id)?;
        let timeout = if timeout_ms.is_some() { asked } else { access.check_timeout };
        if !refresh {
            if let Some(cached) = sidecar.ccloud_resources.get(&connection_id, access.session) {
                return Ok(cached);
            }
        }
        let client = sidecar.control_plane()?;
        let (read, read_at) = (Instant::now(), rfc3339(SystemTime::now()));
        let resources = match client.resources(&access.control_plane, access.organization_id.as_deref(), timeout).await
        {
            Ok(resources) => resources,
            Err(failure) => {
                if matches!(failure, ResourcesError::SignedOut(_)) {
                    // Confluent Cloud refused the token: check the session now (check_jwt), so the
                    // connection's status says so too instead of waiting for the next scheduled check.
                    let (manager, id) = (manager.clone(), connection_id.clone());
                    tokio::spawn(async move {
                        if let Err(error) = manager.refresh(&id).await {
                            tracing::debug!(connection = id, %error, "the session check after a refused token did not run");
                        }
                    });
                }
                return Err(failure.into());
            }
        };
        tracing::debug!(
            connection = connection_id,
            organizations = resources.organizations.len(),
            environments = resources.environments.len(),
            "read the Confluent Cloud resources"
        );
        let result = CloudResourcesResult {
            organizations: resources.organizations,
            environments: resources.environments,
            read_at,
        };
        sidecar.ccloud_resources.put(&connection_id, access.session, read, result.clone());
        Ok(result)
    }
}

//! The session's cache of Confluent Cloud resources, and the listing that fills it: one answer per connection, kept [`CACHE_TTL`]
//! and only for the session and spec it was read with, so a sign-in, a sign-out or an organization
//! switch never shows another session's resources.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::backends::ccloud::resources::ResourcesError;
use crate::connections::ccloud::date::rfc3339;
use crate::connections::ccloud::CCloudAccess;
use crate::protocol::ccloud::CloudResourcesResult;

/// How long an answer of `ccloud/resources` is reused (`refresh: true` reads again at once).
pub const CACHE_TTL: Duration = Duration::from_secs(30);

struct Cached {
    session: (u64, u64),
    read: Instant,
    result: CloudResourcesResult,
}

/// Answers by connection id. A plain mutex, held only to look up or insert, never across an `.await`.
#[derive(Default)]
pub(super) struct ResourceCache {
    entries: Mutex<HashMap<String, Cached>>,
}

impl ResourceCache {
    /// The answer read for `session` less than [`CACHE_TTL`] ago, if any.
    pub fn get(&self, connection_id: &str, session: (u64, u64)) -> Option<CloudResourcesResult> {
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let cached = entries.get(connection_id)?;
        (cached.session == session && cached.read.elapsed() < CACHE_TTL).then(|| cached.result.clone())
    }

    /// Keeps an answer read at `read`, dropping every answer past its time.
    pub fn put(&self, connection_id: &str, session: (u64, u64), read: Instant, result: CloudResourcesResult) {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.retain(|_, cached| cached.read.elapsed() < CACHE_TTL);
        entries.insert(connection_id.to_string(), Cached { session, read, result });
    }
}

impl super::Sidecar {
    /// A CCLOUD connection's session and its resources: the answer cached for the session when
    /// there is one (unless `refresh`), else read from the control plane and cached.
    pub(super) async fn ccloud_listing(
        &self,
        connection_id: &str,
        refresh: bool,
        timeout_ms: Option<u64>,
    ) -> tower_lsp_server::jsonrpc::Result<(CCloudAccess, CloudResourcesResult)> {
        // Checked before anything else, so a bad value is reported whatever the connection's state.
        let asked = super::kafka::request_timeout(timeout_ms, Duration::ZERO)?;
        let manager = self.manager()?;
        let access = manager.ccloud_access(connection_id)?;
        let timeout = if timeout_ms.is_some() { asked } else { access.check_timeout };
        if !refresh {
            if let Some(cached) = self.ccloud_resources.get(connection_id, access.session) {
                return Ok((access, cached));
            }
        }
        let client = self.control_plane()?;
        let (read, read_at) = (Instant::now(), rfc3339(SystemTime::now()));
        let resources = match client.resources(&access.control_plane, access.organization_id.as_deref(), timeout).await
        {
            Ok(resources) => resources,
            Err(failure) => {
                if matches!(failure, ResourcesError::SignedOut(_)) {
                    // Confluent Cloud refused the token: check the session now (check_jwt), so the
                    // connection's status says so too instead of waiting for the next scheduled check.
                    let (manager, id) = (manager.clone(), connection_id.to_string());
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
        self.ccloud_resources.put(connection_id, access.session, read, result.clone());
        Ok((access, result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(read_at: &str) -> CloudResourcesResult {
        CloudResourcesResult { organizations: vec![], environments: vec![], read_at: read_at.into() }
    }

    #[tokio::test(start_paused = true)]
    async fn answers_live_thirty_seconds_for_their_session_only() {
        let cache = ResourceCache::default();
        cache.put("c", (1, 1), Instant::now(), result("first"));
        assert_eq!(cache.get("c", (1, 1)).map(|r| r.read_at), Some("first".into()));
        assert_eq!(cache.get("c", (1, 2)), None, "another session");
        assert_eq!(cache.get("other", (1, 1)), None);
        tokio::time::advance(CACHE_TTL - Duration::from_millis(1)).await;
        assert!(cache.get("c", (1, 1)).is_some());
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(cache.get("c", (1, 1)), None, "expired");
    }
}

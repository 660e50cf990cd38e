//! `connections/patch`: a JSON merge patch (RFC 7386) on a connection's spec; with `dry_run`, the
//! patched spec is checked once and nothing is stored.

use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, Result};

use crate::connections::ManagerError;
use crate::protocol::methods::PatchConnection;
use crate::protocol::{Connection, PatchParams};
use crate::server::decode::{decode_spec, detail};
use crate::server::errors::invalid_params;
use crate::server::handlers::Handler;
use crate::server::Sidecar;

/// How many times a patch is applied again after a concurrent update got there first.
const RETRIES: usize = 5;

impl Handler for PatchConnection {
    /// Applies the patch to the stored spec as the client sees it (secrets masked, so masked secrets
    /// are kept), retrying when a concurrent update got there first.
    async fn handle(sidecar: &Sidecar, PatchParams { id, patch, dry_run }: PatchParams) -> Result<Connection> {
        if !patch.is_object() {
            return Err(invalid_params(vec![detail("patch", "A merge patch must be a JSON object")]));
        }
        let manager = sidecar.manager()?;
        let mut attempts = 0;
        loop {
            let (stored, generation) = manager.spec_with_generation(&id)?;
            let mut document: Value = serde_json::to_value(&stored).map_err(|_| Error::internal_error())?;
            json_patch::merge(&mut document, &patch);
            let spec = decode_spec(document)?;
            if dry_run {
                return Ok(manager.dry_run_update(&id, spec).await?);
            }
            match manager.update_if(&id, spec, Some(generation)).await {
                Err(ManagerError::Conflict(_)) if attempts < RETRIES => attempts += 1,
                result => return Ok(result?),
            }
        }
    }
}

//! `connections/update`: replaces a connection's spec whole (`id` and `type` cannot change), or with
//! `dry_run` checks the spec it would store once and stores nothing.

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;

use crate::protocol::methods::UpdateConnection;
use crate::protocol::{Connection, UpdateParams};
use crate::server::decode::{decode, split_spec};
use crate::server::handlers::Handler;
use crate::server::Sidecar;

impl Handler for UpdateConnection {
    /// The spec is decoded apart, so that its errors have spec-relative paths, as validation's do.
    fn params(params: Value) -> Result<UpdateParams> {
        let (spec, rest) = split_spec(params, "spec")?;
        let UpdateParams { id, dry_run, .. } = decode(rest)?;
        Ok(UpdateParams { id, spec, dry_run })
    }

    async fn handle(sidecar: &Sidecar, UpdateParams { id, spec, dry_run }: UpdateParams) -> Result<Connection> {
        let manager = sidecar.manager()?;
        if dry_run {
            Ok(manager.dry_run_update(&id, spec).await?)
        } else {
            Ok(manager.update(&id, spec).await?)
        }
    }
}

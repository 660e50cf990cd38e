//! `connections/create`: stores a new connection (checked in the background), or with `dry_run` checks
//! a spec once and stores nothing.

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;

use crate::protocol::methods::CreateConnection;
use crate::protocol::{Connection, CreateParams};
use crate::server::decode::{decode, split_spec};
use crate::server::handlers::Handler;
use crate::server::Sidecar;

impl Handler for CreateConnection {
    /// The spec is decoded apart, so that its errors have spec-relative paths, as validation's do.
    fn params(params: Value) -> Result<CreateParams> {
        let (spec, rest) = split_spec(params, "spec")?;
        let CreateParams { dry_run, .. } = decode(rest)?;
        Ok(CreateParams { spec, dry_run })
    }

    async fn handle(sidecar: &Sidecar, CreateParams { spec, dry_run }: CreateParams) -> Result<Connection> {
        let manager = sidecar.manager()?;
        if dry_run {
            Ok(manager.dry_run(spec).await?)
        } else {
            Ok(manager.create(spec)?)
        }
    }
}

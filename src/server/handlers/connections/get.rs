//! `connections/get`: one connection.

use tower_lsp_server::jsonrpc::Result;

use crate::protocol::methods::GetConnection;
use crate::protocol::{Connection, IdParams};
use crate::server::handlers::Handler;
use crate::server::Sidecar;

impl Handler for GetConnection {
    async fn handle(sidecar: &Sidecar, IdParams { id }: IdParams) -> Result<Connection> {
        Ok(sidecar.manager()?.get(&id)?)
    }
}

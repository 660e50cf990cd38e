//! `connections/refresh`: checks a connection now; the reply waits for the check.

use tower_lsp_server::jsonrpc::Result;

use crate::protocol::methods::RefreshConnection;
use crate::protocol::{Connection, IdParams};
use crate::server::handlers::Handler;
use crate::server::Sidecar;

impl Handler for RefreshConnection {
    async fn handle(sidecar: &Sidecar, IdParams { id }: IdParams) -> Result<Connection> {
        Ok(sidecar.manager()?.refresh(&id).await?)
    }
}

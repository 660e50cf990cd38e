//! `connections/delete`: deletes a connection; the result is `null`.

use tower_lsp_server::jsonrpc::Result;

use crate::protocol::methods::DeleteConnection;
use crate::protocol::IdParams;
use crate::server::handlers::Handler;
use crate::server::Sidecar;

impl Handler for DeleteConnection {
    async fn handle(sidecar: &Sidecar, IdParams { id }: IdParams) -> Result<()> {
        sidecar.manager()?.delete(&id)?;
        Ok(())
    }
}

//! `ccloud/signOut`: drops a connection's tokens and cancels a pending sign-in.

use tower_lsp_server::jsonrpc::Result;

use crate::protocol::methods::SignOut;
use crate::protocol::{Connection, IdParams};
use crate::server::handlers::Handler;
use crate::server::Sidecar;

impl Handler for SignOut {
    async fn handle(sidecar: &Sidecar, IdParams { id }: IdParams) -> Result<Connection> {
        Ok(sidecar.manager()?.sign_out(&id)?)
    }
}

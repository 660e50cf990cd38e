//! `connections/list`: every connection, in creation order.

use tower_lsp_server::jsonrpc::Result;

use crate::protocol::methods::ListConnections;
use crate::protocol::{ListParams, ListResult};
use crate::server::handlers::Handler;
use crate::server::Sidecar;

impl Handler for ListConnections {
    async fn handle(sidecar: &Sidecar, _: ListParams) -> Result<ListResult> {
        Ok(ListResult { data: sidecar.manager()?.list() })
    }
}

//! `kafka/lag/unwatch`: stops a lag watch.

use tower_lsp_server::jsonrpc::Result;

use crate::protocol::kafka::LagUnwatchParams;
use crate::protocol::methods::UnwatchLag;
use crate::protocol::ErrorCode;
use crate::server::errors::error;
use crate::server::handlers::Handler;
use crate::server::Sidecar;

impl Handler for UnwatchLag {
    async fn handle(sidecar: &Sidecar, params: LagUnwatchParams) -> Result<()> {
        if sidecar.lag.unwatch(&params.watch_id) {
            Ok(())
        } else {
            Err(error(
                ErrorCode::WatchNotFound,
                format!("No lag watch has id '{}': it ended, or never existed", params.watch_id),
            ))
        }
    }
}

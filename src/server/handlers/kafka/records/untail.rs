//! `kafka/records/untail`: stops a tail.

use tower_lsp_server::jsonrpc::Result;

use crate::protocol::methods::UntailRecords;
use crate::protocol::records::UntailParams;
use crate::protocol::ErrorCode;
use crate::server::errors::error;
use crate::server::handlers::Handler;
use crate::server::Sidecar;

impl Handler for UntailRecords {
    async fn handle(sidecar: &Sidecar, params: UntailParams) -> Result<()> {
        if sidecar.tails.untail(&params.subscription_id) {
            Ok(())
        } else {
            Err(error(
                ErrorCode::TailNotFound,
                format!("No tail has id '{}': it ended, or never existed", params.subscription_id),
            ))
        }
    }
}

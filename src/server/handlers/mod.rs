//! One handler per method of the protocol's table, one file each, grouped by area as the method names
//! are (`connections/list` is `connections/list.rs`). [`register`] routes every method of the table to
//! [`dispatch`], which decodes the params, runs the handler and turns a panic into an answer.

mod ccloud;
mod connections;
mod kafka;
mod schemas;

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::LspServiceBuilder;

use super::decode::decode;
use super::errors::handler_panicked;
use super::Sidecar;
use crate::protocol::methods::{self, method_table};
use crate::protocol::Method;

/// What the server does for one method of the table.
pub(super) trait Handler: Method {
    /// The params as the handler takes them: by default decoded whole, with the JSON path of a field
    /// that does not fit (absent or `null` params count as `{}`).
    fn params(params: Value) -> Result<Self::Params> {
        decode(params)
    }

    fn handle(sidecar: &Sidecar, params: Self::Params) -> impl Future<Output = Result<Self::Result>> + Send;
}

/// Registers [`dispatch`] for every method of the protocol's table; a method without a [`Handler`]
/// does not compile.
pub(super) fn register(builder: LspServiceBuilder<Sidecar>) -> LspServiceBuilder<Sidecar> {
    macro_rules! route {
        ($($(#[$doc:meta])* $method:ident = $name:literal: $params:ty => $result:ty;)*) => {
            builder$(.custom_method(<methods::$method as Method>::NAME, dispatch::<methods::$method>))*
        };
    }
    method_table!(route)
}

/// Decodes the params and runs `M`'s handler. A panic in either is answered here with -32603 naming
/// the method: the request's future then ends normally, so tower-lsp forgets its id and the client can
/// use that id again (the transport answers a panic that escapes anyway, as a last resort).
async fn dispatch<M: Handler>(sidecar: &Sidecar, params: Value) -> Result<M::Result> {
    let handled = async move { M::handle(sidecar, M::params(params)?).await };
    match AssertUnwindSafe(handled).catch_unwind().await {
        Ok(result) => result,
        Err(_) => {
            tracing::error!(method = M::NAME, "a request handler panicked");
            Err(handler_panicked(M::NAME))
        }
    }
}

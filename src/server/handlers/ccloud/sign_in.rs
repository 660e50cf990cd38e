//! `ccloud/signIn`: starts a Confluent Cloud sign-in, and asks the editor to open the sign-in page in
//! the browser (`window/showDocument`) when it can.

use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{ShowDocumentParams, Uri};
use tower_lsp_server::Client;

use crate::protocol::methods::SignIn;
use crate::protocol::{SignInParams, SignInResult};
use crate::server::handlers::Handler;
use crate::server::Sidecar;

impl Handler for SignIn {
    /// The browser is opened when the client can and `open_browser` is not false; the reply does not
    /// wait for the client's answer.
    async fn handle(sidecar: &Sidecar, SignInParams { id, open_browser }: SignInParams) -> Result<SignInResult> {
        let sign_in_uri = sidecar.manager()?.sign_in(&id)?;
        if open_browser != Some(false) && sidecar.show_document.load(Ordering::SeqCst) {
            match Uri::from_str(&sign_in_uri) {
                Ok(uri) => {
                    tokio::spawn(open_externally(sidecar.client.clone(), uri));
                }
                Err(error) => tracing::warn!(%error, "the sign-in URI is not a URI the client can open"),
            }
        }
        Ok(SignInResult { sign_in_uri })
    }
}

/// Asks the client to open `uri` in the browser (`window/showDocument` with `external: true`).
async fn open_externally(client: Client, uri: Uri) {
    let params = ShowDocumentParams { uri, external: Some(true), take_focus: Some(true), selection: None };
    match tokio::time::timeout(Duration::from_secs(60), client.show_document(params)).await {
        Ok(Ok(true)) => tracing::debug!("the client opened the sign-in page"),
        Ok(Ok(false)) => tracing::warn!("the client could not open the sign-in page"),
        Ok(Err(error)) => tracing::warn!(%error, "the client refused to open the sign-in page"),
        Err(_) => tracing::warn!("the client did not answer window/showDocument within 60 s"),
    }
}

//! The Schema Registry check: an authenticated `GET /schemas/types`, the cheapest call every
//! Confluent-compatible Schema Registry answers, sent through the data plane's registry client
//! ([`super::schemas::registry`]) so that both describe a failure in the same words.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;

use super::oauth;
use super::schemas::registry::{explain_status, RegistryClient};
use crate::connections::{Outcome, ValidSchemaRegistry};

/// Checks a Schema Registry with one HTTP request (OAuth tokens from `tokens`). The client is built
/// for the check, so that a store changed on disk is read again at the next check.
pub async fn check(tokens: &Arc<oauth::TokenCache>, target: &ValidSchemaRegistry, timeout: Duration) -> Outcome {
    let client = match RegistryClient::connect(target, tokens.clone(), timeout).await {
        Ok(client) => client,
        Err(error) => return error.into_outcome(),
    };
    let (status, body) = match client.send(Method::GET, &["schemas", "types"], &[], None, timeout).await {
        Ok(answer) => answer,
        Err(error) => return error.into_outcome(),
    };
    let base = client.base();
    match status {
        200 => match serde_json::from_slice::<Vec<String>>(&body) {
            Ok(_) => Outcome::Success { cluster_id: None, bootstrap_servers: None },
            Err(_) => Outcome::failed(
                format!("'{base}' is not a Schema Registry: GET /schemas/types answered, but not with a list of schema types; check the URI"),
                false,
            ),
        },
        404 => Outcome::failed(
            format!("'{base}' is not a Schema Registry: GET /schemas/types answered HTTP 404; check the URI (it is the registry's base URL)"),
            false,
        ),
        code => match explain_status(base, code) {
            Some((message, transient)) => Outcome::failed(message, transient),
            None => Outcome::failed(
                format!("The Schema Registry at '{base}' answered HTTP {code} to GET /schemas/types: check the URI"),
                false,
            ),
        },
    }
}

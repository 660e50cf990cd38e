//! The Kafka check: a real librdkafka client asks the cluster for its metadata and cluster id.
//!
//! - [`config`] builds the librdkafka configuration from a spec (TLS stores, SASL, client id);
//! - [`clients`] keeps one shared, long-lived client per distinct configuration and runs checks on it;
//! - [`explain`] turns what librdkafka reports into messages that point at the fix.

pub mod clients;
pub mod config;
mod explain;

use std::time::Duration;

pub use config::{client_config, ConfigError, CLIENT_ID};
pub use explain::explain;

use crate::backends::oauth;
use crate::connections::{BoxFuture, Outcome};
use crate::protocol::KafkaClusterConfig;
use clients::ClientPool;

/// Checks a Kafka cluster through the shared client for its configuration.
pub async fn check(target: &KafkaClusterConfig, timeout: Duration) -> Outcome {
    let token = match target.credentials.as_ref().filter(|c| c.tokens_url.is_some()) {
        Some(credentials) => match oauth::token(credentials, timeout).await {
            Ok(token) => Some(token),
            Err(error) => return error.into_outcome(),
        },
        None => None,
    };
    let config = match client_config(target, timeout) {
        Ok(config) => config,
        Err(error) => return Outcome::failed(error.to_string(), false),
    };
    let servers = target.bootstrap_servers.clone().unwrap_or_default();
    let client = match ClientPool::global().get_or_create(&config, target) {
        Ok(client) => client,
        Err(error) if config.get("sasl.mechanism") == Some("GSSAPI") => {
            return Outcome::failed(
                format!("Kerberos (SASL GSSAPI) is not available in this build of the sidecar: librdkafka was built without libsasl2 ({error})"),
                false,
            );
        }
        Err(error) => return Outcome::failed(format!("Cannot create a Kafka client for '{servers}': {error}"), false),
    };
    if let (Some(token), Some(credentials)) = (&token, &target.credentials) {
        if let Err(reason) = client.hand_token(token, credentials) {
            let url = credentials.tokens_url.as_deref().unwrap_or_default();
            return Outcome::failed(
                format!("The OAuth token from '{url}' was refused by the Kafka client: {reason}"),
                false,
            );
        }
    }
    client.check(timeout).await
}

/// Resolves when the shared client of this cluster sees it start failing, so that the connection
/// is checked again at once. `None` when there is no client yet (nothing checked it so far).
pub fn changed(target: &KafkaClusterConfig, timeout: Duration) -> Option<BoxFuture<()>> {
    let config = client_config(target, timeout).ok()?;
    let client = ClientPool::global().get(&config)?;
    Some(Box::pin(client.changed()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Credentials;

    #[tokio::test]
    async fn kerberos_without_gssapi_support_says_so() {
        let target = KafkaClusterConfig {
            bootstrap_servers: Some("127.0.0.1:1".into()),
            credentials: Some(Credentials {
                principal: Some("alice@EXAMPLE.COM".into()),
                keytab_path: Some("/etc/alice.keytab".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let outcome = check(&target, Duration::from_secs(2)).await;
        assert!(
            matches!(&outcome, Outcome::Failed { message, transient: false } if message.contains("Kerberos (SASL GSSAPI) is not available")),
            "{outcome:?}"
        );
    }
}

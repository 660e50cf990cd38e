//! The Kafka check: a real librdkafka client asks the cluster for its metadata and cluster id.
//!
//! - [`config`] builds the librdkafka configuration from a spec (TLS stores, SASL, client id);
//! - [`clients`] keeps one shared, long-lived client per distinct configuration and runs checks on it;
//! - [`explain`] turns what librdkafka reports into messages that point at the fix;
//! - `kerberos` (with the `kerberos` feature) checks the keytab and runs kinit before a Kerberos
//!   client is made, so that a failed login says why.

pub mod admin;
pub mod clients;
pub mod config;
pub mod data;
mod explain;
#[cfg(feature = "kerberos")]
mod kerberos;
pub mod records;

use std::sync::Arc;
use std::time::Duration;

pub use config::{client_config, ConfigError, CLIENT_ID};
pub use explain::explain;

use rdkafka::ClientConfig;

use crate::backends::{oauth, tls};
use crate::connections::{BoxFuture, Outcome, ValidCredentials, ValidKafkaCluster};
use clients::{ClientPool, PoolError, SharedClient};

/// Whether this build can check Kerberos credentials (the `kerberos` cargo feature), for what
/// `initialize` announces.
pub const KERBEROS: bool = cfg!(feature = "kerberos");

/// Checks a Kafka cluster through the shared client for its configuration.
pub async fn check(
    pool: &ClientPool,
    tokens: &oauth::TokenCache,
    target: &ValidKafkaCluster,
    timeout: Duration,
) -> Outcome {
    let ready = match ready(pool, tokens, target, timeout).await {
        Ok(ready) => ready,
        Err(outcome) => return outcome,
    };
    #[cfg(feature = "kerberos")]
    let started = std::time::Instant::now();
    let outcome = ready.client.check(ready.timeout).await;
    // A broker that refused the ticket: kinit says whether a fresh one can be had, and if not why,
    // in what is left of the check's time.
    #[cfg(feature = "kerberos")]
    if let Some(login) = ready.kerberos.filter(|_| explain::ticket_suspect(&outcome)) {
        let left = ready.timeout.saturating_sub(started.elapsed()).min(ready.timeout.mul_f64(0.4));
        if let Err(why) = login.kinit(left.max(Duration::from_millis(500))).await {
            return why;
        }
    }
    outcome
}

/// The shared client of a cluster, ready for requests (its OAuth token handed over, its Kerberos
/// ticket in place), as the data plane uses it. A failure says why in the words of a check.
pub async fn client(
    pool: &ClientPool,
    tokens: &oauth::TokenCache,
    target: &ValidKafkaCluster,
    timeout: Duration,
) -> Result<Arc<SharedClient>, Outcome> {
    ready(pool, tokens, target, timeout).await.map(|ready| ready.client)
}

/// A client with what it needs to talk to its cluster, and the time left for the request.
struct Ready {
    client: Arc<SharedClient>,
    timeout: Duration,
    #[cfg(feature = "kerberos")]
    kerberos: Option<kerberos::Login>,
}

/// Gets (or makes) the shared client for `target` and hands it what it needs: an OAuth token, a
/// Kerberos ticket.
async fn ready(
    pool: &ClientPool,
    tokens: &oauth::TokenCache,
    target: &ValidKafkaCluster,
    timeout: Duration,
) -> Result<Ready, Outcome> {
    let oauth = match &target.credentials {
        Some(ValidCredentials::OAuth(oauth)) => Some(oauth),
        _ => None,
    };
    let token = match oauth {
        Some(credentials) => match tokens.token(credentials, timeout).await {
            Ok(token) => Some((token, credentials)),
            Err(error) => return Err(error.into_outcome()),
        },
        None => None,
    };
    let config = configure(target, timeout).await?;
    let servers = &target.bootstrap_servers;
    // Kerberos: the keytab at every check, a ticket from kinit before the client is made.
    #[cfg(feature = "kerberos")]
    let (kerberos, timeout) = match kerberos::Login::of(target) {
        Some(login) => {
            login.check_keytab(files_limit(timeout)).await?;
            let mut remaining = timeout;
            if pool.get(&config).is_none() {
                let started = std::time::Instant::now();
                login.kinit(timeout.mul_f64(0.4)).await?;
                remaining = timeout.saturating_sub(started.elapsed());
            }
            (Some(login), remaining)
        }
        None => (None, timeout),
    };
    let client = match pool.get_or_create(&config, target).await {
        Ok(client) => client,
        Err(full @ PoolError::Full { .. }) => return Err(Outcome::failed(full.to_string(), false)),
        #[cfg(not(feature = "kerberos"))]
        Err(PoolError::Create(error)) if config.get("sasl.mechanism") == Some("GSSAPI") => {
            return Err(Outcome::failed(
                format!("Kerberos (SASL GSSAPI) is not available in this build of the sidecar: build it with `cargo build --features kerberos` (librdkafka was built without libsasl2: {error})"),
                false,
            ));
        }
        Err(error) => {
            return Err(Outcome::failed(format!("Cannot create a Kafka client for '{servers}': {error}"), false))
        }
    };
    #[cfg(feature = "kerberos")]
    if kerberos.is_some() {
        kerberos::check_gssapi_plugin()?;
    }
    if let Some((token, credentials)) = &token {
        if let Err(reason) = client.hand_token(token, credentials) {
            let url = &credentials.tokens_url;
            return Err(Outcome::failed(
                format!("The OAuth token from '{url}' was refused by the Kafka client: {reason}"),
                false,
            ));
        }
    }
    Ok(Ready {
        client,
        timeout,
        #[cfg(feature = "kerberos")]
        kerberos,
    })
}

/// Resolves when the shared client of this cluster sees it start failing, so that the connection
/// is checked again at once. Never resolves when there is no client (the check failed before one
/// was made): then only the schedule applies. While it waits it holds the client, which keeps the
/// client open while a stored connection waits between checks.
pub fn changed(pool: Arc<ClientPool>, target: &ValidKafkaCluster, timeout: Duration) -> Option<BoxFuture<()>> {
    let target = target.clone();
    Some(Box::pin(async move {
        // The same configuration as the last check's, from the same (cached) store files.
        let client = configure(&target, timeout).await.ok().and_then(|config| pool.get(&config));
        match client {
            Some(client) => client.changed().await,
            None => std::future::pending().await,
        }
    }))
}

/// The part of a check's time that reading the files a spec names may take, so that a file that
/// cannot be read is reported as such rather than as a check that timed out.
fn files_limit(timeout: Duration) -> Duration {
    timeout / 2
}

/// The librdkafka configuration for a spec, with its TLS stores read (see [`tls::load`]).
async fn configure(target: &ValidKafkaCluster, timeout: Duration) -> Result<ClientConfig, Outcome> {
    let material = match &target.tls {
        Some(ssl) => tls::load(ssl, files_limit(timeout))
            .await
            .map_err(|error| Outcome::failed(error.to_string(), error.is_transient()))?,
        None => tls::TlsMaterial::default(),
    };
    client_config(target, &material, timeout).map_err(|error| Outcome::failed(error.to_string(), false))
}

/// A dry run of this cluster is over: its client is closed now unless a stored connection (or
/// another check) uses the same configuration.
pub fn dry_run_over(pool: Arc<ClientPool>, target: &ValidKafkaCluster, timeout: Duration) {
    let target = target.clone();
    // The configuration comes from the same (cached) store files as the dry run's.
    tokio::spawn(async move {
        if let Ok(config) = configure(&target, timeout).await {
            pool.release(&config);
        }
    });
}

#[cfg(all(test, not(feature = "kerberos")))]
mod tests {
    use super::*;
    use crate::connections::ValidTls;

    #[tokio::test]
    async fn kerberos_without_gssapi_support_says_so() {
        let target = ValidKafkaCluster {
            bootstrap_servers: "127.0.0.1:1".into(),
            credentials: Some(ValidCredentials::Kerberos {
                principal: "alice@EXAMPLE.COM".into(),
                keytab_path: "/etc/alice.keytab".into(),
                service_name: None,
            }),
            tls: Some(ValidTls::default()),
            client_id_suffix: None,
        };
        let pool = ClientPool::start(clients::Limits::default());
        let outcome = check(&pool, &oauth::TokenCache::default(), &target, Duration::from_secs(2)).await;
        assert!(
            matches!(&outcome, Outcome::Failed { message, transient: false } if message.contains("Kerberos (SASL GSSAPI) is not available")),
            "{outcome:?}"
        );
    }
}

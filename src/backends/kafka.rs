//! The Kafka check: a real librdkafka client asks the cluster for its metadata and cluster id.
//!
//! librdkafka retries forever in the background and only tells what went wrong through its error
//! callback, so the check polls in short slices, collects those errors, and gives up early once
//! they are conclusive (every broker down, a name that does not resolve, a TLS or SASL failure)
//! instead of sitting out the whole timeout. The collected reason becomes a message that points
//! at the fix.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientConfig;

use crate::connections::Outcome;
use crate::protocol::{Credentials, HashAlgorithm, KafkaClusterConfig, StoreType, TlsConfig};

/// The client id every sidecar Kafka client announces (plus the spec's `client_id_suffix`).
pub const CLIENT_ID: &str = "ide-sidecar";

/// How long one metadata request may wait before the check looks at the errors collected so far.
const POLL_SLICE: Duration = Duration::from_millis(200);

/// Why a client configuration could not be built from a spec.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0} are not supported by this build yet: use basic, API key or SCRAM credentials")]
    UnsupportedCredentials(&'static str),
    #[error("{0} stores are not supported by this build yet: use a PEM file")]
    UnsupportedStore(&'static str),
}

/// Builds the librdkafka configuration for a cluster spec. Secrets go into the configuration and
/// nowhere else; librdkafka's configuration dump is never enabled.
pub fn client_config(target: &KafkaClusterConfig, timeout: Duration) -> Result<ClientConfig, ConfigError> {
    // Connection setup (TCP, TLS and SASL handshakes) must fail inside the check's time, so that
    // a listener that never completes a handshake is reported as such rather than as a timeout.
    let setup_timeout = (timeout.as_millis() / 2).max(1000);
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", target.bootstrap_servers.as_deref().unwrap_or_default())
        .set("client.id", client_id(target))
        .set("socket.connection.setup.timeout.ms", setup_timeout.to_string())
        .set("reconnect.backoff.ms", "100")
        .set("reconnect.backoff.max.ms", "1000")
        .set("log.connection.close", "false")
        .set_log_level(RDKafkaLogLevel::Warning);
    let tls = TlsConfig::is_enabled(target.ssl.as_ref());
    let sasl = match &target.credentials {
        Some(credentials) => Some(sasl_settings(credentials)?),
        None => None,
    };
    let protocol = match (tls, sasl.is_some()) {
        (true, true) => "sasl_ssl",
        (true, false) => "ssl",
        (false, true) => "sasl_plaintext",
        (false, false) => "plaintext",
    };
    config.set("security.protocol", protocol);
    for (key, value) in sasl.into_iter().flatten() {
        config.set(key, value);
    }
    if tls {
        if let Some(ssl) = &target.ssl {
            tls_settings(ssl, &mut config)?;
        }
    }
    Ok(config)
}

fn client_id(target: &KafkaClusterConfig) -> String {
    match target.client_id_suffix.as_deref() {
        Some(suffix) if !suffix.is_empty() => format!("{CLIENT_ID}-{suffix}"),
        _ => CLIENT_ID.to_string(),
    }
}

fn sasl_settings(credentials: &Credentials) -> Result<Vec<(&'static str, String)>, ConfigError> {
    let plain = |username: &str, password: &str| {
        vec![
            ("sasl.mechanism", "PLAIN".to_string()),
            ("sasl.username", username.to_string()),
            ("sasl.password", password.to_string()),
        ]
    };
    match credentials {
        Credentials { username: Some(username), password: Some(password), .. } => {
            Ok(plain(username, password.expose()))
        }
        Credentials { api_key: Some(key), api_secret: Some(secret), .. } => Ok(plain(key, secret.expose())),
        Credentials { scram_username: Some(username), scram_password: Some(password), hash_algorithm, .. } => {
            let mechanism = match hash_algorithm {
                Some(HashAlgorithm::ScramSha256) => "SCRAM-SHA-256",
                _ => "SCRAM-SHA-512",
            };
            Ok(vec![
                ("sasl.mechanism", mechanism.to_string()),
                ("sasl.username", username.clone()),
                ("sasl.password", password.expose().to_string()),
            ])
        }
        Credentials { tokens_url: Some(_), .. } => Err(ConfigError::UnsupportedCredentials("OAuth credentials")),
        Credentials { principal: Some(_), .. } => Err(ConfigError::UnsupportedCredentials("Kerberos credentials")),
        _ => Err(ConfigError::UnsupportedCredentials("These credentials")),
    }
}

fn tls_settings(ssl: &TlsConfig, config: &mut ClientConfig) -> Result<(), ConfigError> {
    if ssl.verify_hostname == Some(false) {
        config.set("ssl.endpoint.identification.algorithm", "none");
    }
    if let Some(truststore) = &ssl.truststore {
        match truststore.store_type {
            Some(StoreType::Pem) => {
                config.set("ssl.ca.location", truststore.path.as_deref().unwrap_or_default());
            }
            Some(StoreType::Pkcs12) => return Err(ConfigError::UnsupportedStore("PKCS12 trust")),
            Some(StoreType::Jks) | None => return Err(ConfigError::UnsupportedStore("JKS trust")),
        }
    }
    if let Some(keystore) = &ssl.keystore {
        match keystore.store_type {
            Some(StoreType::Pem) => {
                let path = keystore.path.as_deref().unwrap_or_default();
                config.set("ssl.certificate.location", path).set("ssl.key.location", path);
                if let Some(password) = keystore.key_password.as_ref().or(keystore.password.as_ref()) {
                    config.set("ssl.key.password", password.expose());
                }
            }
            Some(StoreType::Pkcs12) => return Err(ConfigError::UnsupportedStore("PKCS12 key")),
            Some(StoreType::Jks) | None => return Err(ConfigError::UnsupportedStore("JKS key")),
        }
    }
    Ok(())
}

/// Collects what librdkafka reports while a check runs and routes its logs to `tracing`.
#[derive(Default)]
struct CheckContext {
    errors: Mutex<Vec<(Option<RDKafkaErrorCode>, String)>>,
}

impl ClientContext for CheckContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        // Some connection failures (a handshake that timed out) arrive only as FAIL logs.
        if facility == "FAIL" {
            let reason = message.split_once("]: ").map_or(message, |(_, rest)| rest);
            self.record(None, reason);
        }
        match level {
            RDKafkaLogLevel::Debug => tracing::trace!(target: "librdkafka", facility, "{message}"),
            RDKafkaLogLevel::Info | RDKafkaLogLevel::Notice => {
                tracing::debug!(target: "librdkafka", facility, "{message}")
            }
            _ => tracing::debug!(target: "librdkafka", facility, level = ?level, "{message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::debug!(target: "librdkafka", %error, "{reason}");
        self.record(error.rdkafka_error_code(), reason);
    }
}

impl ProducerContext for CheckContext {
    type DeliveryOpaque = ();

    fn delivery(&self, _: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {}
}

impl CheckContext {
    fn record(&self, code: Option<RDKafkaErrorCode>, reason: &str) {
        let mut errors = self.errors.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        errors.push((code, reason.to_string()));
    }

    fn errors(&self) -> Vec<(Option<RDKafkaErrorCode>, String)> {
        self.errors.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

/// Checks a Kafka cluster with a fresh client. Blocking: run it on a blocking thread.
pub fn check_blocking(target: &KafkaClusterConfig, timeout: Duration) -> Outcome {
    let servers = target.bootstrap_servers.clone().unwrap_or_default();
    let config = match client_config(target, timeout) {
        Ok(config) => config,
        Err(error) => return Outcome::failed(error.to_string(), false),
    };
    let producer: BaseProducer<CheckContext> = match config.create_with_context(CheckContext::default()) {
        Ok(producer) => producer,
        Err(error) => return Outcome::failed(format!("Cannot create a Kafka client for '{servers}': {error}"), false),
    };
    // Stop a little before the manager's own limit, so that what librdkafka said can be reported.
    let deadline = Instant::now() + timeout.mul_f64(0.9);
    loop {
        let slice = POLL_SLICE.min(deadline.saturating_duration_since(Instant::now()));
        match producer.client().fetch_metadata(None, slice) {
            Ok(metadata) => {
                let remaining = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(100));
                let cluster_id = producer.client().fetch_cluster_id(remaining);
                tracing::debug!(servers, brokers = metadata.brokers().len(), ?cluster_id, "Kafka cluster answered");
                return Outcome::Success { cluster_id };
            }
            Err(error) => {
                // Delivers librdkafka's queued error and log events to the context, one per poll.
                for _ in 0..32 {
                    producer.poll(Duration::ZERO);
                }
                let errors = producer.context().errors();
                if let Some(outcome) = conclusive(&servers, &errors) {
                    return outcome;
                }
                if Instant::now() >= deadline {
                    return timed_out(&servers, timeout, &errors, &error);
                }
            }
        }
    }
}

/// A failure worth reporting before the timeout, from the errors librdkafka reported so far.
fn conclusive(servers: &str, errors: &[(Option<RDKafkaErrorCode>, String)]) -> Option<Outcome> {
    let all_down = errors.iter().any(|(code, _)| *code == Some(RDKafkaErrorCode::AllBrokersDown));
    let decisive = errors.iter().find(|(code, reason)| {
        matches!(code, Some(RDKafkaErrorCode::SSL | RDKafkaErrorCode::Authentication | RDKafkaErrorCode::Resolve))
            || reason.contains("Failed to resolve")
    });
    match decisive {
        Some((_, reason)) => Some(explain(servers, reason)),
        None if all_down => {
            let reason = errors
                .iter()
                .rev()
                .find(|(code, _)| *code != Some(RDKafkaErrorCode::AllBrokersDown))
                .map_or("all brokers are down", |(_, reason)| reason.as_str());
            Some(explain(servers, reason))
        }
        None => None,
    }
}

fn timed_out(
    servers: &str,
    timeout: Duration,
    errors: &[(Option<RDKafkaErrorCode>, String)],
    last: &KafkaError,
) -> Outcome {
    match errors.last() {
        Some((_, reason)) => explain(servers, reason),
        None => Outcome::failed(
            format!(
                "Timed out after {} waiting for the Kafka cluster at '{servers}' to answer ({last}): check the bootstrap servers and that the cluster is reachable from this machine",
                crate::connections::human_duration(timeout)
            ),
            true,
        ),
    }
}

/// Turns a librdkafka error reason into a message that says what to fix.
pub fn explain(servers: &str, reason: &str) -> Outcome {
    let reason = reason.trim();
    let lower = reason.to_ascii_lowercase();
    if lower.contains("failed to resolve") {
        return Outcome::failed(
            format!("Cannot resolve the host name in bootstrap servers '{servers}' ({reason}): check the spelling, or your DNS or VPN"),
            true,
        );
    }
    if lower.contains("connection refused") {
        return Outcome::failed(
            format!("Connection refused by '{servers}': no Kafka broker is listening there; check the bootstrap servers and that the broker is running ({reason})"),
            true,
        );
    }
    if lower.contains("ssl handshake failed") || lower.contains("ssl") && lower.contains("certificate") {
        let why = if lower.contains("certificate verify failed") || lower.contains("unable to get local issuer") {
            "the broker's certificate is not signed by a CA in the truststore; add the CA to the truststore"
        } else if lower.contains("wrong version number")
            || lower.contains("packet length too long")
            || lower.contains("unexpected eof")
        {
            "the listener does not seem to speak TLS; set ssl.enabled to false for a plaintext listener"
        } else {
            "check the truststore and the listener's TLS settings"
        };
        return Outcome::failed(format!("TLS handshake with '{servers}' failed: {why} ({reason})"), false);
    }
    if lower.contains("timed out in state ssl_handshake") || lower.contains("in state ssl_handshake") {
        return Outcome::failed(
            format!("TLS handshake with '{servers}' did not complete: the listener may not speak TLS; set ssl.enabled to false for a plaintext listener ({reason})"),
            false,
        );
    }
    if lower.contains("connecting to a ssl listener") || lower.contains("connecting to a sasl") {
        return Outcome::failed(
            format!("The broker at '{servers}' closed the connection before answering: it may require TLS or SASL; check ssl.enabled and the credentials ({reason})"),
            false,
        );
    }
    if lower.contains("authentication") || lower.contains("sasl") {
        return Outcome::failed(
            format!("Authentication with '{servers}' failed: check the credentials and the SASL mechanism ({reason})"),
            false,
        );
    }
    Outcome::failed(format!("Cannot reach the Kafka cluster at '{servers}': {reason}"), true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Secret;

    fn target(value: serde_json::Value) -> KafkaClusterConfig {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn tls_is_on_unless_disabled_and_sasl_follows_credentials() {
        let cases = [
            (serde_json::json!({"bootstrap_servers": "h:1"}), "ssl"),
            (serde_json::json!({"bootstrap_servers": "h:1", "ssl": {"enabled": false}}), "plaintext"),
            (
                serde_json::json!({"bootstrap_servers": "h:1", "credentials": {"username": "u", "password": "p"}}),
                "sasl_ssl",
            ),
            (
                serde_json::json!({"bootstrap_servers": "h:1", "ssl": {"enabled": false},
                    "credentials": {"scram_username": "u", "scram_password": "p", "hash_algorithm": "SCRAM_SHA_256"}}),
                "sasl_plaintext",
            ),
        ];
        for (spec, protocol) in cases {
            let config = client_config(&target(spec.clone()), Duration::from_secs(10)).unwrap();
            assert_eq!(config.get("security.protocol"), Some(protocol), "{spec}");
        }
    }

    #[test]
    fn plain_and_api_key_credentials_use_sasl_plain() {
        let basic =
            Credentials { username: Some("alice".into()), password: Some(Secret::new("pw")), ..Default::default() };
        let config = client_config(
            &KafkaClusterConfig {
                bootstrap_servers: Some("h:1".into()),
                credentials: Some(basic),
                client_id_suffix: Some("vscode".into()),
                ..Default::default()
            },
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(config.get("sasl.mechanism"), Some("PLAIN"));
        assert_eq!(config.get("sasl.username"), Some("alice"));
        assert_eq!(config.get("sasl.password"), Some("pw"));
        assert_eq!(config.get("client.id"), Some("ide-sidecar-vscode"));
        let key = Credentials { api_key: Some("KEY".into()), api_secret: Some(Secret::new("s")), ..Default::default() };
        let config = client_config(
            &KafkaClusterConfig { bootstrap_servers: Some("h:1".into()), credentials: Some(key), ..Default::default() },
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!((config.get("sasl.mechanism"), config.get("sasl.username")), (Some("PLAIN"), Some("KEY")));
    }

    #[test]
    fn reasons_become_messages_that_point_at_the_fix() {
        let refused = explain(
            "127.0.0.1:1",
            "Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)",
        );
        assert!(
            matches!(&refused, Outcome::Failed { message, transient: true } if message.contains("Connection refused"))
        );
        let unresolved =
            explain("nohost:9092", "nohost:9092/bootstrap: Failed to resolve 'nohost:9092': Name or service not known");
        assert!(matches!(&unresolved, Outcome::Failed { message, .. } if message.starts_with("Cannot resolve")));
        let tls = explain("h:1", "SSL handshake failed: error:0A000086:SSL routines::certificate verify failed");
        assert!(
            matches!(&tls, Outcome::Failed { message, transient: false } if message.contains("not signed by a CA"))
        );
    }
}

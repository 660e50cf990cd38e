//! The librdkafka configuration for a cluster spec: TLS, SASL and client id.

use std::time::Duration;

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::ClientConfig;

use crate::backends::tls::TlsMaterial;
use crate::connections::{ValidCredentials, ValidKafkaCluster, ValidTls};
use crate::protocol::HashAlgorithm;

/// The client id every sidecar Kafka client announces (plus the spec's `client_id_suffix`).
pub const CLIENT_ID: &str = "ide-sidecar";

/// Why a client configuration could not be built from a spec. All are configuration problems.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("The Kerberos principal or keytab path contains '%{{', which librdkafka would read as a placeholder: rename the keytab file or check the principal")]
    KerberosPlaceholder,
}

/// Builds the librdkafka configuration for a cluster spec, with the material its TLS stores hold
/// (read by [`crate::backends::tls::load`]; this does no IO). Secrets go into the configuration and
/// nowhere else; librdkafka's configuration dump is never enabled.
pub fn client_config(
    target: &ValidKafkaCluster,
    material: &TlsMaterial,
    timeout: Duration,
) -> Result<ClientConfig, ConfigError> {
    // Connection setup (TCP, TLS and SASL handshakes) must fail inside the check's time, so that
    // a listener that never completes a handshake is reported as such rather than as a timeout.
    let setup_timeout = (timeout.as_millis() / 2).max(1000);
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &target.bootstrap_servers)
        .set("client.id", client_id(target))
        .set("socket.connection.setup.timeout.ms", setup_timeout.to_string())
        .set("reconnect.backoff.ms", "100")
        .set("reconnect.backoff.max.ms", "1000")
        .set("log.connection.close", "false")
        // Checks are small requests on a long-lived connection: Nagle's algorithm would hold each one
        // back until the previous one's delayed ACK (about 40 ms).
        .set("socket.nagle.disable", "true")
        // Connect to every broker as soon as it is learned: librdkafka drops the bootstrap
        // connection after the first metadata, and with sparse connections the next request would
        // wait out a 50 ms connection rate limit for the learned broker.
        .set("enable.sparse.connections", "false")
        .set_log_level(RDKafkaLogLevel::Warning);
    // librdkafka's own debug logs, when someone asks for them (RUST_LOG=librdkafka=trace).
    if tracing::enabled!(target: "librdkafka", tracing::Level::TRACE) {
        config.set("debug", "broker,security,protocol").set_log_level(RDKafkaLogLevel::Debug);
    }
    let sasl = match &target.credentials {
        Some(credentials) => Some(sasl_settings(credentials)?),
        None => None,
    };
    let protocol = match (target.tls.is_some(), sasl.is_some()) {
        (true, true) => "sasl_ssl",
        (true, false) => "ssl",
        (false, true) => "sasl_plaintext",
        (false, false) => "plaintext",
    };
    config.set("security.protocol", protocol);
    for (key, value) in sasl.into_iter().flatten() {
        config.set(key, value);
    }
    if let Some(ssl) = &target.tls {
        tls_settings(ssl, material, &mut config);
    }
    Ok(config)
}

fn client_id(target: &ValidKafkaCluster) -> String {
    match target.client_id_suffix.as_deref() {
        Some(suffix) if !suffix.is_empty() => format!("{CLIENT_ID}-{suffix}"),
        _ => CLIENT_ID.to_string(),
    }
}

fn sasl_settings(credentials: &ValidCredentials) -> Result<Vec<(&'static str, String)>, ConfigError> {
    let login = |username: &str, password: &str| {
        vec![
            ("sasl.mechanism", mechanism(credentials).to_string()),
            ("sasl.username", username.to_string()),
            ("sasl.password", password.to_string()),
        ]
    };
    match credentials {
        ValidCredentials::Basic { username, password } => Ok(login(username, password.expose())),
        ValidCredentials::ApiKey { key, secret } => Ok(login(key, secret.expose())),
        ValidCredentials::Scram { username, password, .. } => Ok(login(username, password.expose())),
        // The token itself is fetched by the check and handed to the client (see `set_token`).
        ValidCredentials::OAuth(_) => Ok(vec![("sasl.mechanism", mechanism(credentials).to_string())]),
        ValidCredentials::Kerberos { principal, keytab_path, service_name } => {
            #[allow(unused_mut)]
            let mut settings = vec![
                ("sasl.mechanism", mechanism(credentials).to_string()),
                ("sasl.kerberos.principal", principal.clone()),
                ("sasl.kerberos.keytab", keytab_path.clone()),
                ("sasl.kerberos.service.name", service_name.clone().unwrap_or_else(|| "kafka".to_string())),
            ];
            #[cfg(feature = "kerberos")]
            settings.push(("sasl.kerberos.kinit.cmd", kinit_command(principal, keytab_path)?));
            Ok(settings)
        }
    }
}

/// The SASL mechanism of these credentials.
pub(super) fn mechanism(credentials: &ValidCredentials) -> &'static str {
    match credentials {
        ValidCredentials::Basic { .. } | ValidCredentials::ApiKey { .. } => "PLAIN",
        ValidCredentials::Scram { algorithm: HashAlgorithm::ScramSha256, .. } => "SCRAM-SHA-256",
        ValidCredentials::Scram { algorithm: HashAlgorithm::ScramSha512, .. } => "SCRAM-SHA-512",
        ValidCredentials::OAuth(_) => "OAUTHBEARER",
        ValidCredentials::Kerberos { .. } => "GSSAPI",
    }
}

/// The command librdkafka runs to get and renew the Kerberos ticket: its default
/// (`kinit -R ... || kinit ...`) with the values quoted for the shell (librdkafka puts the principal
/// in unquoted and the keytab in double quotes, where `$(...)` still runs) and kinit's output sent
/// away from stdout, which carries the protocol. librdkafka would replace `%{name}` in the values
/// with its own settings, so such values are refused.
#[cfg(feature = "kerberos")]
fn kinit_command(principal: &str, keytab: &str) -> Result<String, ConfigError> {
    if principal.contains("%{") || keytab.contains("%{") {
        return Err(ConfigError::KerberosPlaceholder);
    }
    let quote = |value: &str| format!("'{}'", value.replace('\'', r"'\''"));
    let (principal, keytab) = (quote(principal), quote(keytab));
    Ok(format!(
        "kinit -R -t {keytab} -k -- {principal} </dev/null >/dev/null 2>&1 || kinit -t {keytab} -k -- {principal} </dev/null >/dev/null 2>&1"
    ))
}

fn tls_settings(ssl: &ValidTls, material: &TlsMaterial, config: &mut ClientConfig) {
    if !ssl.verify_hostname {
        config.set("ssl.endpoint.identification.algorithm", "none");
    }
    // Stores of every type become PEM in memory: librdkafka cannot read JKS, and no file with a
    // decrypted key is ever written.
    if let Some(trust) = &material.trust {
        config.set("ssl.ca.pem", &trust.ca_pem);
    }
    if let Some(identity) = &material.identity {
        config.set("ssl.certificate.pem", &identity.chain_pem).set("ssl.key.pem", &identity.key_pem);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connections::validation::parse_kafka_cluster;
    use crate::protocol::{Credentials, KafkaClusterConfig, Secret, TlsConfig};

    fn target(value: serde_json::Value) -> KafkaClusterConfig {
        serde_json::from_value(value).unwrap()
    }

    fn valid(cluster: KafkaClusterConfig) -> ValidKafkaCluster {
        parse_kafka_cluster(&cluster).unwrap()
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
            let config =
                client_config(&valid(target(spec.clone())), &TlsMaterial::default(), Duration::from_secs(10)).unwrap();
            assert_eq!(config.get("security.protocol"), Some(protocol), "{spec}");
        }
    }

    #[test]
    fn plain_and_api_key_credentials_use_sasl_plain() {
        let basic =
            Credentials { username: Some("alice".into()), password: Some(Secret::new("pw")), ..Default::default() };
        let config = client_config(
            &valid(KafkaClusterConfig {
                bootstrap_servers: Some("h:1".into()),
                credentials: Some(basic),
                client_id_suffix: Some("vscode".into()),
                ..Default::default()
            }),
            &TlsMaterial::default(),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(config.get("sasl.mechanism"), Some("PLAIN"));
        assert_eq!(config.get("sasl.username"), Some("alice"));
        assert_eq!(config.get("sasl.password"), Some("pw"));
        assert_eq!(config.get("client.id"), Some("ide-sidecar-vscode"));
        let key = Credentials { api_key: Some("KEY".into()), api_secret: Some(Secret::new("s")), ..Default::default() };
        let config = client_config(
            &valid(KafkaClusterConfig {
                bootstrap_servers: Some("h:1".into()),
                credentials: Some(key),
                ..Default::default()
            }),
            &TlsMaterial::default(),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!((config.get("sasl.mechanism"), config.get("sasl.username")), (Some("PLAIN"), Some("KEY")));
    }

    #[test]
    fn oauth_and_kerberos_credentials_choose_their_mechanisms() {
        let oauth = Credentials {
            tokens_url: Some("http://127.0.0.1:1/token".into()),
            client_id: Some("app".into()),
            client_secret: Some(Secret::new("s")),
            ..Default::default()
        };
        let config = client_config(
            &valid(KafkaClusterConfig {
                bootstrap_servers: Some("h:1".into()),
                credentials: Some(oauth),
                ..Default::default()
            }),
            &TlsMaterial::default(),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(config.get("sasl.mechanism"), Some("OAUTHBEARER"));
        assert_eq!(config.get("sasl.password"), None, "the token is handed over by the check, not configured");
        let kerberos = Credentials {
            principal: Some("alice@EXAMPLE.COM".into()),
            keytab_path: Some("/etc/alice.keytab".into()),
            ..Default::default()
        };
        let config = client_config(
            &valid(KafkaClusterConfig {
                bootstrap_servers: Some("h:1".into()),
                credentials: Some(kerberos),
                ssl: Some(TlsConfig { enabled: Some(false), ..Default::default() }),
                ..Default::default()
            }),
            &TlsMaterial::default(),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(config.get("security.protocol"), Some("sasl_plaintext"));
        assert_eq!(config.get("sasl.mechanism"), Some("GSSAPI"));
        assert_eq!(config.get("sasl.kerberos.principal"), Some("alice@EXAMPLE.COM"));
        assert_eq!(config.get("sasl.kerberos.keytab"), Some("/etc/alice.keytab"));
        assert_eq!(config.get("sasl.kerberos.service.name"), Some("kafka"));
        #[cfg(feature = "kerberos")]
        assert_eq!(
            config.get("sasl.kerberos.kinit.cmd"),
            Some("kinit -R -t '/etc/alice.keytab' -k -- 'alice@EXAMPLE.COM' </dev/null >/dev/null 2>&1 || kinit -t '/etc/alice.keytab' -k -- 'alice@EXAMPLE.COM' </dev/null >/dev/null 2>&1")
        );
    }

    /// librdkafka hands the kinit command to `sh -c`: values are quoted, output kept off stdout.
    #[cfg(feature = "kerberos")]
    #[test]
    fn the_kinit_command_quotes_what_the_spec_gives() {
        let command = kinit_command("it's@EXAMPLE.COM", "/tmp/$(touch pwned) `x`.keytab").unwrap();
        let echoed = command.replace("kinit", "printf '[%s]'").replace(" >/dev/null 2>&1", "").replace(" || ", "; ");
        let output = std::process::Command::new("sh").arg("-c").arg(&echoed).output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            "[-R][-t][/tmp/$(touch pwned) `x`.keytab][-k][--][it's@EXAMPLE.COM][-t][/tmp/$(touch pwned) `x`.keytab][-k][--][it's@EXAMPLE.COM]"
        );
        assert!(command.matches(">/dev/null 2>&1").count() == 2, "{command}");
        assert!(matches!(kinit_command("alice@%{sasl.password}", "/k"), Err(ConfigError::KerberosPlaceholder)));
    }
}

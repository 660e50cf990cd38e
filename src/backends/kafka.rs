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

use super::oauth::{self, Token};
use super::tls::{self, StoreError};
use crate::connections::Outcome;
use crate::protocol::{Credentials, HashAlgorithm, KafkaClusterConfig, TlsConfig};

/// The client id every sidecar Kafka client announces (plus the spec's `client_id_suffix`).
pub const CLIENT_ID: &str = "ide-sidecar";

/// How long one metadata request may wait before the check looks at the errors collected so far.
const POLL_SLICE: Duration = Duration::from_millis(200);

/// Why a client configuration could not be built from a spec. All are configuration problems.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("These credentials are not Kafka credentials: use basic, API key, SCRAM, OAuth or Kerberos credentials")]
    UnsupportedCredentials,
    #[error(transparent)]
    Store(#[from] StoreError),
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
    // librdkafka's own debug logs, when someone asks for them (RUST_LOG=librdkafka=trace).
    if tracing::enabled!(target: "librdkafka", tracing::Level::TRACE) {
        config.set("debug", "broker,security,protocol").set_log_level(RDKafkaLogLevel::Debug);
    }
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
        // The token itself is fetched by the check and handed to the client (see `set_token`).
        Credentials { tokens_url: Some(_), .. } => Ok(vec![("sasl.mechanism", "OAUTHBEARER".to_string())]),
        Credentials { principal: Some(principal), keytab_path: Some(keytab), service_name, .. } => Ok(vec![
            ("sasl.mechanism", "GSSAPI".to_string()),
            ("sasl.kerberos.principal", principal.clone()),
            ("sasl.kerberos.keytab", keytab.clone()),
            ("sasl.kerberos.service.name", service_name.clone().unwrap_or_else(|| "kafka".to_string())),
        ]),
        _ => Err(ConfigError::UnsupportedCredentials),
    }
}

fn tls_settings(ssl: &TlsConfig, config: &mut ClientConfig) -> Result<(), ConfigError> {
    if ssl.verify_hostname == Some(false) {
        config.set("ssl.endpoint.identification.algorithm", "none");
    }
    // Stores of every type become PEM in memory: librdkafka cannot read JKS, and no file with a
    // decrypted key is ever written.
    if let Some(truststore) = &ssl.truststore {
        config.set("ssl.ca.pem", tls::trust_material(truststore)?.ca_pem);
    }
    if let Some(keystore) = &ssl.keystore {
        let identity = tls::identity_material(keystore)?;
        config.set("ssl.certificate.pem", identity.chain_pem).set("ssl.key.pem", identity.key_pem);
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

/// Who is connecting where, for messages.
struct Subject {
    servers: String,
    /// `SCRAM-SHA-512 as user 'alice'`, when there are credentials.
    login: Option<String>,
    mechanism: Option<&'static str>,
    tls: Option<TlsConfig>,
}

impl Subject {
    fn new(target: &KafkaClusterConfig) -> Self {
        let credentials = target.credentials.as_ref();
        let mechanism = credentials.and_then(mechanism);
        let user = credentials.and_then(|c| c.username.clone().or(c.api_key.clone()).or(c.scram_username.clone()));
        let user = user.or_else(|| credentials.and_then(|c| c.client_id.clone().or(c.principal.clone())));
        let login = mechanism.map(|m| match &user {
            Some(user) => format!("{m} as '{user}'"),
            None => m.to_string(),
        });
        let tls = TlsConfig::is_enabled(target.ssl.as_ref()).then(|| target.ssl.clone().unwrap_or_default());
        Self { servers: target.bootstrap_servers.clone().unwrap_or_default(), login, mechanism, tls }
    }
}

fn mechanism(credentials: &Credentials) -> Option<&'static str> {
    match credentials {
        Credentials { username: Some(_), .. } | Credentials { api_key: Some(_), .. } => Some("PLAIN"),
        Credentials { scram_username: Some(_), hash_algorithm: Some(HashAlgorithm::ScramSha256), .. } => {
            Some("SCRAM-SHA-256")
        }
        Credentials { scram_username: Some(_), .. } => Some("SCRAM-SHA-512"),
        Credentials { tokens_url: Some(_), .. } => Some("OAUTHBEARER"),
        Credentials { principal: Some(_), .. } => Some("GSSAPI"),
        _ => None,
    }
}

/// Checks a Kafka cluster with a fresh client. Blocking: run it on a blocking thread of a tokio
/// runtime (an OAuth token is fetched through the runtime first).
pub fn check_blocking(target: &KafkaClusterConfig, timeout: Duration) -> Outcome {
    let started = Instant::now();
    let subject = Subject::new(target);
    let servers = subject.servers.clone();
    let token = match target.credentials.as_ref().filter(|c| c.tokens_url.is_some()) {
        Some(credentials) => match tokio::runtime::Handle::try_current() {
            Ok(runtime) => match runtime.block_on(oauth::token(credentials, timeout)) {
                Ok(token) => Some(token),
                Err(error) => return error.into_outcome(),
            },
            Err(_) => return Outcome::failed("OAuth credentials need the sidecar's runtime to fetch a token", false),
        },
        None => None,
    };
    let config = match client_config(target, timeout) {
        Ok(config) => config,
        Err(error) => return Outcome::failed(error.to_string(), false),
    };
    let producer: BaseProducer<CheckContext> = match config.create_with_context(CheckContext::default()) {
        Ok(producer) => producer,
        Err(error) if subject.mechanism == Some("GSSAPI") => {
            return Outcome::failed(
                format!("Kerberos (SASL GSSAPI) is not available in this build of the sidecar: librdkafka was built without libsasl2 ({error})"),
                false,
            );
        }
        Err(error) => return Outcome::failed(format!("Cannot create a Kafka client for '{servers}': {error}"), false),
    };
    if let (Some(token), Some(credentials)) = (&token, &target.credentials) {
        if let Err(reason) = set_token(&producer, token, credentials) {
            return Outcome::failed(
                format!(
                    "The OAuth token from '{}' was refused by the Kafka client: {reason}",
                    credentials.tokens_url.as_deref().unwrap_or_default()
                ),
                false,
            );
        }
    }
    // Stop a little before the manager's own limit, so that what librdkafka said can be reported.
    let deadline = started + timeout.mul_f64(0.9);
    loop {
        let slice = POLL_SLICE.min(deadline.saturating_duration_since(Instant::now()));
        match producer.client().fetch_metadata(None, slice) {
            Ok(metadata) => {
                let remaining = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(100));
                let cluster_id = producer.client().fetch_cluster_id(remaining);
                tracing::debug!(servers, brokers = metadata.brokers().len(), ?cluster_id, "Kafka cluster answered");
                return Outcome::Success { cluster_id, bootstrap_servers: Some(servers) };
            }
            Err(error) => {
                // Delivers librdkafka's queued error and log events to the context, one per poll.
                for _ in 0..32 {
                    producer.poll(Duration::ZERO);
                }
                let errors = producer.context().errors();
                if let Some(outcome) = conclusive(&subject, &errors) {
                    return outcome;
                }
                if Instant::now() >= deadline {
                    return timed_out(&subject, timeout, &errors, &error);
                }
            }
        }
    }
}

/// Hands the token to librdkafka, with the Confluent Cloud extensions when given. rdkafka's own
/// token callback cannot send extensions, so this calls librdkafka directly.
fn set_token(producer: &BaseProducer<CheckContext>, token: &Token, credentials: &Credentials) -> Result<(), String> {
    use std::ffi::CString;
    let lifetime_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |now| (now + token.lifetime).as_millis() as i64);
    let extensions: Vec<(&str, &String)> = [
        ("logicalCluster", credentials.ccloud_logical_cluster_id.as_ref()),
        ("identityPoolId", credentials.ccloud_identity_pool_id.as_ref()),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.map(|value| (key, value)))
    .collect();
    let to_c = |text: &str| CString::new(text).map_err(|_| "a value contains a NUL character".to_string());
    let value = to_c(&token.access_token)?;
    let principal = to_c(credentials.client_id.as_deref().unwrap_or("ide-sidecar"))?;
    let owned: Vec<CString> = extensions.iter().flat_map(|(k, v)| [to_c(k), to_c(v)]).collect::<Result<_, _>>()?;
    let pointers: Vec<*const std::os::raw::c_char> = owned.iter().map(|c| c.as_ptr()).collect();
    let mut error = vec![0 as std::os::raw::c_char; 512];
    // SAFETY: every pointer is valid for the duration of the call, librdkafka copies what it keeps,
    // and the error buffer's length is passed along with it.
    let code = unsafe {
        rdkafka::bindings::rd_kafka_oauthbearer_set_token(
            producer.client().native_ptr(),
            value.as_ptr(),
            lifetime_ms,
            principal.as_ptr(),
            if pointers.is_empty() { std::ptr::null_mut() } else { pointers.as_ptr() as *mut _ },
            pointers.len(),
            error.as_mut_ptr(),
            error.len(),
        )
    };
    if code == rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        Ok(())
    } else {
        // SAFETY: librdkafka writes a NUL-terminated message into the buffer.
        Err(unsafe { std::ffi::CStr::from_ptr(error.as_ptr()) }.to_string_lossy().into_owned())
    }
}

/// A failure worth reporting before the timeout, from the errors librdkafka reported so far.
fn conclusive(subject: &Subject, errors: &[(Option<RDKafkaErrorCode>, String)]) -> Option<Outcome> {
    let all_down = errors.iter().any(|(code, _)| *code == Some(RDKafkaErrorCode::AllBrokersDown));
    let decisive = errors.iter().find(|(code, reason)| {
        matches!(code, Some(RDKafkaErrorCode::SSL | RDKafkaErrorCode::Authentication | RDKafkaErrorCode::Resolve))
            || reason.contains("Failed to resolve")
            || reason.contains("SASL")
            || reason.contains("SSL handshake failed")
    });
    match decisive {
        Some((_, reason)) => Some(explain_for(subject, reason)),
        None if all_down => {
            let reason = errors
                .iter()
                .rev()
                .find(|(code, _)| *code != Some(RDKafkaErrorCode::AllBrokersDown))
                .map_or("all brokers are down", |(_, reason)| reason.as_str());
            Some(explain_for(subject, reason))
        }
        None => None,
    }
}

fn timed_out(
    subject: &Subject,
    timeout: Duration,
    errors: &[(Option<RDKafkaErrorCode>, String)],
    last: &KafkaError,
) -> Outcome {
    match errors.last() {
        Some((_, reason)) => explain_for(subject, reason),
        None => Outcome::failed(
            format!(
                "Timed out after {} waiting for the Kafka cluster at '{}' to answer ({last}): check the bootstrap servers and that the cluster is reachable from this machine",
                crate::connections::human_duration(timeout),
                subject.servers,
            ),
            true,
        ),
    }
}

/// Turns a librdkafka error reason into a message that says what to fix.
pub fn explain(servers: &str, reason: &str) -> Outcome {
    let subject = Subject { servers: servers.to_string(), login: None, mechanism: None, tls: None };
    explain_for(&subject, reason)
}

fn explain_for(subject: &Subject, reason: &str) -> Outcome {
    let servers = subject.servers.as_str();
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
    if lower.contains("mechanism handshake failed") || lower.contains("unsupported sasl mechanism") {
        let offered = reason
            .split("supported mechanisms: ")
            .nth(1)
            .map(|rest| rest.split(" (after").next().unwrap_or(rest).trim().to_string())
            .filter(|offered| !offered.is_empty() && offered != "(n/a)");
        let mechanism = subject.mechanism.unwrap_or("of these credentials");
        let offered = offered.map_or_else(
            || "use credentials for a mechanism it enables".to_string(),
            |offered| format!("it offers {offered}"),
        );
        return Outcome::failed(
            format!("The broker at '{servers}' does not enable SASL mechanism {mechanism}: {offered} ({reason})"),
            false,
        );
    }
    if lower.contains("authentication failed")
        || lower.contains("invalid-proof")
        || lower.contains("authentication error")
    {
        let login = subject.login.as_deref().unwrap_or("the given credentials");
        return Outcome::failed(
            format!("Authentication failed for {login} at '{servers}': check the username and password ({reason})"),
            false,
        );
    }
    if lower.contains("certificate required")
        || lower.contains("alert handshake failure") && subject.tls.as_ref().is_some_and(|tls| tls.keystore.is_none())
    {
        return Outcome::failed(
            format!("The broker at '{servers}' requires a client certificate: add a keystore to ssl ({reason})"),
            false,
        );
    }
    if lower.contains("in state ssl_handshake") && lower.contains("timed out") {
        return Outcome::failed(
            format!("TLS handshake with '{servers}' did not complete: the listener may not speak TLS; set ssl.enabled to false for a plaintext listener ({reason})"),
            false,
        );
    }
    if lower.contains("ssl") || lower.contains("certificate") {
        let why = subject
            .tls
            .as_ref()
            .and_then(|tls| diagnose_tls(servers, tls))
            .unwrap_or_else(|| tls_reason(&lower).to_string());
        return Outcome::failed(format!("TLS handshake with '{servers}' failed: {why} ({reason})"), false);
    }
    if lower.contains("connecting to a ssl listener") || lower.contains("connecting to a sasl") {
        return Outcome::failed(
            format!("The broker at '{servers}' closed the connection before answering: it may require TLS or SASL; check ssl.enabled and the credentials ({reason})"),
            false,
        );
    }
    if lower.contains("sasl") || lower.contains("kerberos") || lower.contains("gssapi") {
        let login = subject.login.as_deref().unwrap_or("SASL");
        return Outcome::failed(format!("Authentication with {login} at '{servers}' failed: {reason}"), false);
    }
    Outcome::failed(format!("Cannot reach the Kafka cluster at '{servers}': {reason}"), true)
}

fn tls_reason(lower: &str) -> &'static str {
    if lower.contains("certificate verify failed") || lower.contains("unable to get local issuer") {
        "the broker's certificate is not signed by a CA in the truststore; add the CA to the truststore"
    } else if lower.contains("wrong version number")
        || lower.contains("packet length too long")
        || lower.contains("unexpected eof")
    {
        "the listener does not seem to speak TLS; set ssl.enabled to false for a plaintext listener"
    } else {
        "check the truststore and the listener's TLS settings"
    }
}

/// Repeats the TLS handshake with OpenSSL directly to learn exactly why the broker's certificate
/// was refused (librdkafka only says "certificate verify failed").
fn diagnose_tls(servers: &str, tls: &TlsConfig) -> Option<String> {
    use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
    let first = servers.split(',').next()?.trim();
    let (host, port) = first.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let address = std::net::ToSocketAddrs::to_socket_addrs(&(host, port.parse::<u16>().ok()?)).ok()?.next()?;
    let stream = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut builder = SslConnector::builder(SslMethod::tls_client()).ok()?;
    builder.set_verify(SslVerifyMode::PEER);
    if let Some(truststore) = &tls.truststore {
        let material = tls::trust_material(truststore).ok()?;
        let mut store = openssl::x509::store::X509StoreBuilder::new().ok()?;
        for certificate in openssl::x509::X509::stack_from_pem(material.ca_pem.as_bytes()).ok()? {
            store.add_cert(certificate).ok()?;
        }
        builder.set_verify_cert_store(store.build()).ok()?;
    }
    let mut configuration = builder.build().configure().ok()?;
    configuration.set_verify_hostname(tls.verify_hostname != Some(false));
    match configuration.connect(host, stream) {
        Err(openssl::ssl::HandshakeError::Failure(failed)) => {
            let verdict = failed.ssl().verify_result();
            match verdict.as_raw() {
                0 => None,
                62 => Some(format!("the broker's certificate does not match host '{host}' (set verify_hostname to false only for testing)")),
                2 | 19 | 20 | 21 => Some(format!(
                    "the broker's certificate is not signed by a CA in the truststore ({}); add the CA to the truststore",
                    verdict.error_string()
                )),
                10 => Some("the broker's certificate has expired".into()),
                _ => Some(format!("the broker's certificate was refused: {}", verdict.error_string())),
            }
        }
        _ => None,
    }
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
    fn oauth_and_kerberos_credentials_choose_their_mechanisms() {
        let oauth = Credentials {
            tokens_url: Some("http://127.0.0.1:1/token".into()),
            client_id: Some("app".into()),
            client_secret: Some(Secret::new("s")),
            ..Default::default()
        };
        let config = client_config(
            &KafkaClusterConfig {
                bootstrap_servers: Some("h:1".into()),
                credentials: Some(oauth),
                ..Default::default()
            },
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
            &KafkaClusterConfig {
                bootstrap_servers: Some("h:1".into()),
                credentials: Some(kerberos),
                ssl: Some(TlsConfig { enabled: Some(false), ..Default::default() }),
                ..Default::default()
            },
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(config.get("security.protocol"), Some("sasl_plaintext"));
        assert_eq!(config.get("sasl.mechanism"), Some("GSSAPI"));
        assert_eq!(config.get("sasl.kerberos.principal"), Some("alice@EXAMPLE.COM"));
        assert_eq!(config.get("sasl.kerberos.keytab"), Some("/etc/alice.keytab"));
        assert_eq!(config.get("sasl.kerberos.service.name"), Some("kafka"));
        let outcome = check_blocking(
            &KafkaClusterConfig {
                bootstrap_servers: Some("127.0.0.1:1".into()),
                credentials: Some(Credentials {
                    principal: Some("alice@EXAMPLE.COM".into()),
                    keytab_path: Some("/etc/alice.keytab".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            Duration::from_secs(2),
        );
        assert!(
            matches!(&outcome, Outcome::Failed { message, transient: false } if message.contains("Kerberos (SASL GSSAPI) is not available")),
            "{outcome:?}"
        );
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

//! librdkafka's error reasons turned into messages that say what to fix.

use std::time::Duration;

use crate::backends::tls;
use crate::connections::Outcome;
use crate::protocol::{Credentials, HashAlgorithm, KafkaClusterConfig, TlsConfig};

/// Who is connecting where, for messages.
pub(super) struct Subject {
    pub(super) servers: String,
    /// `SCRAM-SHA-512 as user 'alice'`, when there are credentials.
    pub(super) login: Option<String>,
    pub(super) mechanism: Option<&'static str>,
    pub(super) tls: Option<TlsConfig>,
}

impl Subject {
    pub(super) fn new(target: &KafkaClusterConfig) -> Self {
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

pub(super) fn mechanism(credentials: &Credentials) -> Option<&'static str> {
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

/// Turns a librdkafka error reason into a message that says what to fix.
pub fn explain(servers: &str, reason: &str) -> Outcome {
    let subject = Subject { servers: servers.to_string(), login: None, mechanism: None, tls: None };
    explain_for(&subject, reason)
}

pub(super) fn explain_for(subject: &Subject, reason: &str) -> Outcome {
    let servers = subject.servers.as_str();
    let reason = normalise(reason);
    let reason = reason.as_str();
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

/// Drops what changes from one attempt to the next ("(after 3ms in state CONNECT, 2 identical
/// error(s) suppressed)"), so that a failure that persists reads the same at every check and sends
/// no new event.
fn normalise(reason: &str) -> String {
    let mut text = reason.trim().to_string();
    while let Some(start) = text.find(" (after ") {
        let mut depth = 0;
        let end = text[start + 1..].char_indices().find_map(|(index, c)| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            (depth == 0).then_some(start + 1 + index)
        });
        let Some(end) = end else { break };
        text.replace_range(start..=end, "");
    }
    text
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

    #[test]
    fn reasons_are_normalised_so_repeated_failures_read_the_same() {
        let first =
            explain("h:1", "Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)");
        let again = explain(
            "h:1",
            "Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 1ms in state CONNECT, 4 identical error(s) suppressed)",
        );
        assert_eq!(first, again);
        assert!(matches!(&first, Outcome::Failed { message, .. } if !message.contains("after 0ms")), "{first:?}");
    }
}

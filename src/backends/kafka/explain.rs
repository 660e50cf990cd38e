//! librdkafka's error reasons turned into messages that say what to fix.

use std::sync::Mutex;
use std::time::Duration;

use crate::connections::Outcome;
use crate::connections::{ValidKafkaCluster, ValidTls};

/// Who is connecting where, for messages.
pub(super) struct Subject {
    pub(super) servers: String,
    /// `SCRAM-SHA-512 as user 'alice'`, when there are credentials.
    pub(super) login: Option<String>,
    pub(super) mechanism: Option<&'static str>,
    pub(super) tls: Option<ValidTls>,
    /// The CAs the client trusts, from the truststore (`None`: the system's).
    pub(super) ca_pem: Option<String>,
    /// The last TLS diagnosis and the reason it was made for (see [`Subject::diagnosis`]).
    pub(super) diagnosed: Mutex<Option<(String, String)>>,
}

impl Subject {
    /// `ca_pem`: the truststore's CAs the client was configured with, if any.
    pub(super) fn new(target: &ValidKafkaCluster, ca_pem: Option<&str>) -> Self {
        let credentials = target.credentials.as_ref();
        let mechanism = credentials.map(super::config::mechanism);
        let login = credentials.map(|c| format!("{} as '{}'", super::config::mechanism(c), c.user()));
        let tls = target.tls.clone();
        let ca_pem = ca_pem.map(str::to_string);
        let servers = target.bootstrap_servers.clone();
        Self { servers, login, mechanism, tls, ca_pem, diagnosed: Mutex::default() }
    }

    /// Why the broker's certificate was refused, as [`diagnose_tls`] finds out; when it cannot
    /// (the broker did not answer it in time), what it found last for the same reason, so that a
    /// failure whose cause persists keeps its message.
    fn diagnosis(&self, reason: &str) -> Option<String> {
        let found = self.tls.as_ref().and_then(|tls| diagnose_tls(&self.servers, tls, self.ca_pem.as_deref()));
        let mut last = self.diagnosed.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match found {
            Some(why) => {
                *last = Some((reason.to_string(), why.clone()));
                Some(why)
            }
            None => last.as_ref().filter(|(before, _)| before == reason).map(|(_, why)| why.clone()),
        }
    }
}

/// Turns a librdkafka error reason into a message that says what to fix.
pub fn explain(servers: &str, reason: &str) -> Outcome {
    let subject = Subject {
        servers: servers.to_string(),
        login: None,
        mechanism: None,
        tls: None,
        ca_pem: None,
        diagnosed: Mutex::default(),
    };
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
            .filter(|offered| !offered.is_empty() && offered != "(n/a)")
            // Some brokers (tansu) list the refused mechanism itself: no help there.
            .filter(|offered| !subject.mechanism.is_some_and(|m| offered.split(',').any(|o| o.trim() == m)));
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
    if let Some(outcome) = explain_gssapi(subject, reason, &lower) {
        return outcome;
    }
    if lower.contains("authentication failed")
        || lower.contains("invalid-proof")
        || lower.contains("authentication error")
    {
        let login = subject.login.as_deref().unwrap_or("the given credentials");
        let fix = if subject.mechanism == Some("GSSAPI") {
            "check the principal, and the broker's Kerberos setup (its service principal and keytab)"
        } else {
            "check the username and password"
        };
        return Outcome::failed(format!("Authentication failed for {login} at '{servers}': {fix} ({reason})"), false);
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
    if lower.contains("in state apiversion_query") && lower.contains("timed out") {
        // TCP connected, and then nothing: whatever listens there does not speak Kafka's protocol.
        let tls_hint = if subject.tls.is_some() {
            "check the port"
        } else {
            "check the port, or set ssl.enabled to true if it is a TLS listener"
        };
        return Outcome::failed(
            format!("Something is listening at '{servers}' but does not answer as a Kafka broker: it may be another service, or a listener that expects TLS; {tls_hint} ({reason})"),
            false,
        );
    }
    if lower.contains("ssl") || lower.contains("certificate") {
        let why = subject.diagnosis(reason).unwrap_or_else(|| tls_reason(&lower, subject.ca_pem.is_some()));
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

/// Failures of the Kerberos login to the broker itself (Cyrus SASL's GSSAPI plugin, once the
/// broker has accepted the mechanism). No broker here offers GSSAPI: these follow the messages
/// librdkafka users report, and are tested on those texts.
fn explain_gssapi(subject: &Subject, reason: &str, lower: &str) -> Option<Outcome> {
    let servers = subject.servers.as_str();
    let login = subject.login.as_deref().unwrap_or("GSSAPI");
    if lower.contains("no worthy mechs") || lower.contains("no mechanism available") {
        return Some(gssapi_plugin_missing(&format!("({reason})")));
    }
    // The Kerberos library's own failures, as Cyrus SASL words them; what the broker answers
    // (e.g. "Authentication failed ... with SASL mechanism GSSAPI") is not among them.
    if !lower.contains("gssapi error") {
        return None;
    }
    let (message, transient) = if lower.contains("not found in kerberos database") {
        (format!("The KDC knows no Kerberos service principal for the broker at '{servers}': check service_name (default kafka) and that bootstrap_servers names the brokers by the host names they have in Kerberos, not by IP address ({reason})"), false)
    } else if lower.contains("cannot contact any kdc") || lower.contains("cannot resolve network address for kdc") {
        (format!("Cannot reach the Kerberos KDC to log in to '{servers}' with {login}: check that the KDC is reachable from this machine ({reason})"), true)
    } else if lower.contains("clock skew") {
        (format!("The clocks of this machine and the Kerberos KDC differ too much to log in to '{servers}': synchronise this machine's clock ({reason})"), false)
    } else if lower.contains("no kerberos credentials")
        || lower.contains("matching credential not found")
        || lower.contains("ticket expired")
        || lower.contains("credentials cache")
    {
        (format!("The Kafka client has no valid Kerberos ticket to log in to '{servers}' with {login}: check that kinit works with the keytab and that nothing else replaces the ticket cache (KRB5CCNAME) ({reason})"), false)
    } else {
        (format!("Kerberos login to '{servers}' with {login} failed: check the principal, service_name and the broker's Kerberos setup ({reason})"), false)
    };
    Some(Outcome::failed(message, transient))
}

/// Whether a failed check may come from the Kerberos ticket, so that kinit is asked why.
#[cfg(feature = "kerberos")]
pub(super) fn ticket_suspect(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Failed { message, .. } if message.contains("GSSAPI Error"))
}

pub(super) fn gssapi_plugin_missing(detail: &str) -> Outcome {
    Outcome::failed(
        format!("Cyrus SASL on this machine has no GSSAPI plugin {detail}: install libsasl2-modules-gssapi-mit (Debian, Ubuntu) or cyrus-sasl-gssapi (Fedora, RHEL) and restart the sidecar"),
        false,
    )
}

/// The keytab cannot be opened or read.
#[cfg(feature = "kerberos")]
pub(super) fn keytab_unreadable(path: &str, error: &std::io::Error) -> Outcome {
    let fix = match error.kind() {
        std::io::ErrorKind::PermissionDenied => "let the user running the sidecar read the file",
        _ => "check keytab_path (a file on the machine where the sidecar runs)",
    };
    Outcome::failed(format!("Cannot read the keytab '{path}': {error}; {fix}"), false)
}

#[cfg(feature = "kerberos")]
pub(super) fn not_a_keytab(path: &str) -> Outcome {
    Outcome::failed(
        format!("The file '{path}' is not a keytab (it does not start like one): check keytab_path, or export the keytab again with kadmin or ktutil"),
        false,
    )
}

#[cfg(feature = "kerberos")]
pub(super) fn kinit_missing(error: &std::io::Error) -> Outcome {
    Outcome::failed(
        format!("Kerberos needs kinit to log in with the keytab, and kinit is not installed or not on the sidecar's PATH ({error}): install krb5-user (Debian, Ubuntu) or krb5-workstation (Fedora, RHEL)"),
        false,
    )
}

/// The realm of a principal (`name@REALM`), or a phrase for the default one.
#[cfg(feature = "kerberos")]
fn realm_of(principal: &str) -> String {
    match principal.rsplit_once('@') {
        Some((_, realm)) if !realm.is_empty() => format!("realm '{realm}'"),
        _ => "the default realm".to_string(),
    }
}

#[cfg(feature = "kerberos")]
pub(super) fn kinit_timed_out(principal: &str, limit: Duration, krb5_conf: &str) -> Outcome {
    let realm = realm_of(principal);
    Outcome::failed(
        format!("kinit did not get a Kerberos ticket for '{principal}' within {}: the KDC of {realm} is slow or unreachable; check that it is reachable from this machine and the realm's kdc entries in {krb5_conf}", crate::connections::human_duration(limit)),
        true,
    )
}

/// What kinit printed when it could not get a ticket with the keytab, as a message that says
/// what to fix. `krb5_conf` is the Kerberos configuration file in use, for messages.
#[cfg(feature = "kerberos")]
pub(super) fn kinit_failed(principal: &str, keytab: &str, said: &str, krb5_conf: &str) -> Outcome {
    let said = said
        .lines()
        .map(|line| line.trim().trim_start_matches("kinit:").trim())
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let lower = said.to_ascii_lowercase();
    // The realm kinit names (that of a principal written without one is the default realm).
    let named = said.split_once("realm ").and_then(|(_, rest)| {
        let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        rest[1..].split(quote).next().filter(|realm| !realm.is_empty())
    });
    let realm = named.map_or_else(|| realm_of(principal), |realm| format!("realm '{realm}'"));
    let (message, transient) = if lower.contains("cannot contact any kdc") {
        (format!("Cannot reach the Kerberos KDC of {realm} to log in as '{principal}': check that the KDC is running and reachable from this machine, and the realm's kdc entries in {krb5_conf}"), true)
    } else if lower.contains("cannot resolve network address for kdc") {
        (format!("Cannot resolve the host name of the KDC of {realm} to log in as '{principal}': check the realm's kdc entries in {krb5_conf}, or your DNS or VPN"), true)
    } else if lower.contains("cannot find kdc for realm") {
        (format!("Kerberos does not know where the KDC of {realm} is: add the realm and its kdc to {krb5_conf}, or check the realm of principal '{principal}'"), false)
    } else if lower.contains("does not specify default realm") {
        (format!("The principal '{principal}' names no realm and {krb5_conf} sets no default_realm: write the principal as name@REALM"), false)
    } else if lower.contains("no suitable keys") || lower.contains("no key table entry found") {
        (format!("The keytab '{keytab}' holds no key for principal '{principal}': check the principal's name and realm (klist -k '{keytab}' lists those it holds), or export the principal's key into the keytab"), false)
    } else if lower.contains("not found in kerberos database") {
        (
            format!("The KDC of {realm} does not know principal '{principal}': check the principal's name and realm"),
            false,
        )
    } else if lower.contains("password incorrect")
        || lower.contains("preauthentication failed")
        || lower.contains("integrity check failed")
        || lower.contains("key version")
    {
        (format!("The KDC refused the key of '{principal}' in the keytab '{keytab}': the keytab is out of date (the principal's key changed since it was exported); export the keytab again"), false)
    } else if lower.contains("clock skew") {
        (format!("The clocks of this machine and the KDC of {realm} differ too much for Kerberos: synchronise this machine's clock"), false)
    } else if lower.contains("revoked") || lower.contains("has expired") {
        (format!("The KDC of {realm} refuses principal '{principal}' (disabled, locked or expired): ask your Kerberos administrator"), false)
    } else if lower.contains("key table") || lower.contains("keytab") {
        (format!("kinit cannot use the keytab '{keytab}': check keytab_path, or export the keytab again with kadmin or ktutil"), false)
    } else if lower.contains("configuration file") || lower.contains("profile") {
        (format!("Kerberos cannot use its configuration {krb5_conf}: fix the file"), false)
    } else {
        (format!("kinit could not log in as '{principal}' with the keytab '{keytab}': check the principal, the keytab and {krb5_conf}"), false)
    };
    let said = if said.is_empty() { "kinit failed and said nothing".to_string() } else { format!("kinit: {said}") };
    Outcome::failed(format!("{message} ({said})"), transient)
}

/// Keeps what says why a connection failed and drops what changes from one attempt to the next,
/// so that a failure whose cause persists reads the same at every check and sends no new event:
/// - the broker in front ("ssl://host:9092/bootstrap: "), which changes as librdkafka tries
///   another broker, and the socket address ("Connect to ipv4#127.0.0.1:9092 failed: "), which
///   changes between the addresses of one host;
/// - timings and counters: "(after 3ms in state CONNECT, 2 identical error(s) suppressed)",
///   "(average rtt 1.2ms)", "1/3 brokers are down", and what librdkafka's debug log adds to a
///   failure ("(_SSL): identical to last error: error log suppressed");
/// - for TLS, all but OpenSSL's own error: librdkafka words one failure several ways ("SSL
///   handshake failed: error:...", "Receive failed: error:...", the error alone), adds OpenSSL's
///   source location when debugging, and advice about its own settings (ssl.ca.location) that the
///   sidecar's users do not have. An alert's number ("SSL alert number 116") is kept.
fn normalise(reason: &str) -> String {
    let mut text = reason.trim().to_string();
    if let Some(end) = text.find(": identical to last error") {
        text.truncate(end);
    }
    drop_groups(&mut text, |group| {
        let error_name =
            group.len() > 1 && group.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        group.starts_with("after ") || group.starts_with("average rtt ") || error_name
    });
    while let Some((head, rest)) = text.split_once(": ") {
        let broker = !head.contains(' ') && head.contains(':') && head.contains('/');
        if !broker {
            break;
        }
        text = rest.to_string();
    }
    if let Some(start) = text.find("Connect to ipv") {
        if let Some(end) = text[start..].find(" failed: ") {
            text.replace_range(start..start + end + " failed: ".len(), "");
        }
    }
    if let Some(end) = text.find(" brokers are down") {
        let start = text[..end].rfind(|c: char| !c.is_ascii_digit() && c != '/').map_or(0, |index| index + 1);
        text.replace_range(start..end, "all");
    }
    if let Some(start) = openssl_error(&text) {
        let mut parts = text[start..].split(": ");
        let error = parts.next().unwrap_or_default().to_string();
        text =
            parts.take_while(|part| part.starts_with("SSL alert number")).fold(error, |kept, part| kept + ": " + part);
    }
    text.trim_end_matches([':', ' ']).to_string()
}

/// Removes every parenthesised group (with the space before it) whose content `drop` accepts.
fn drop_groups(text: &mut String, drop: impl Fn(&str) -> bool) {
    let mut from = 0;
    while let Some(found) = text[from..].find(" (") {
        let start = from + found;
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
        if drop(&text[start + 2..end]) {
            text.replace_range(start..=end, "");
        } else {
            from = start + 1;
        }
    }
}

/// Where OpenSSL's error code starts ("error:0A000086:SSL routines::certificate verify failed").
fn openssl_error(text: &str) -> Option<usize> {
    text.match_indices("error:").map(|(index, _)| index).find(|index| {
        let code = text.as_bytes().get(index + 6..index + 15);
        code.is_some_and(|code| code[..8].iter().all(u8::is_ascii_hexdigit) && code[8] == b':')
    })
}

/// Why the broker's certificate is not trusted: `detail` is what OpenSSL said, if known.
fn untrusted(truststore: bool, detail: &str) -> String {
    if truststore {
        format!(
            "the broker's certificate is not signed by a CA in the truststore{detail}; add the CA to the truststore"
        )
    } else {
        format!("the broker's certificate is not signed by a CA this system trusts{detail}; set ssl.truststore.path to a truststore that holds its CA")
    }
}

/// `truststore`: whether the client trusts a truststore's CAs (else the system's).
fn tls_reason(lower: &str, truststore: bool) -> String {
    if lower.contains("certificate verify failed") || lower.contains("unable to get local issuer") {
        untrusted(truststore, "")
    } else if lower.contains("wrong version number")
        || lower.contains("plaintext broker listener")
        || lower.contains("packet length too long")
        || lower.contains("unexpected eof")
    {
        "the listener does not seem to speak TLS; set ssl.enabled to false for a plaintext listener".to_string()
    } else {
        "check the truststore and the listener's TLS settings".to_string()
    }
}

/// Repeats the TLS handshake with OpenSSL directly to learn exactly why the broker's certificate
/// was refused (librdkafka only says "certificate verify failed"), trusting the same CAs as the
/// client: `ca_pem`, the truststore's, or else the system's.
fn diagnose_tls(servers: &str, tls: &ValidTls, ca_pem: Option<&str>) -> Option<String> {
    use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
    let first = servers.split(',').next()?.trim();
    let (host, port) = first.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let address = std::net::ToSocketAddrs::to_socket_addrs(&(host, port.parse::<u16>().ok()?)).ok()?.next()?;
    let stream = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut builder = SslConnector::builder(SslMethod::tls_client()).ok()?;
    builder.set_verify(SslVerifyMode::PEER);
    if let Some(ca_pem) = ca_pem {
        let mut store = openssl::x509::store::X509StoreBuilder::new().ok()?;
        for certificate in openssl::x509::X509::stack_from_pem(ca_pem.as_bytes()).ok()? {
            store.add_cert(certificate).ok()?;
        }
        builder.set_verify_cert_store(store.build()).ok()?;
    }
    let mut configuration = builder.build().configure().ok()?;
    configuration.set_verify_hostname(tls.verify_hostname);
    match configuration.connect(host, stream) {
        Err(openssl::ssl::HandshakeError::Failure(failed)) => {
            let verdict = failed.ssl().verify_result();
            match verdict.as_raw() {
                0 => None,
                62 => Some(format!("the broker's certificate does not match host '{host}' (set verify_hostname to false only for testing)")),
                2 | 19 | 20 | 21 => Some(untrusted(ca_pem.is_some(), &format!(" ({})", verdict.error_string()))),
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
    fn a_port_that_accepts_and_never_answers_kafka_is_named_as_such() {
        // What librdkafka says when TCP connects and nothing answers its first request.
        let silent = explain(
            "127.0.0.1:8080",
            "127.0.0.1:8080/bootstrap: Connection setup timed out in state APIVERSION_QUERY (after 10019ms in state APIVERSION_QUERY)",
        );
        let Outcome::Failed { message, transient } = silent else { panic!("{silent:?}") };
        assert!(
            message.starts_with("Something is listening at '127.0.0.1:8080' but does not answer as a Kafka broker"),
            "{message}"
        );
        assert!(message.contains("set ssl.enabled to true if it is a TLS listener"), "{message}");
        assert!(!transient);
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

    fn kerberos_subject() -> Subject {
        Subject {
            servers: "broker:9092".into(),
            login: Some("GSSAPI as 'alice@EXAMPLE.COM'".into()),
            mechanism: Some("GSSAPI"),
            tls: None,
            ca_pem: None,
            diagnosed: Mutex::default(),
        }
    }

    #[test]
    fn gssapi_failures_at_the_broker_point_at_the_fix() {
        let subject = kerberos_subject();
        let failed = |reason: &str| explain_for(&subject, reason);
        let start = "sasl_plaintext://broker:9092/bootstrap: Failed to initialize SASL authentication: SASL handshake failed (start (-1)): SASL(-1): generic failure: GSSAPI Error: Unspecified GSS failure.  Minor code may provide more information";
        let cases = [
            // A broker without GSSAPI that lists the refused mechanism itself (tansu does).
            ("sasl_plaintext://broker:9092/bootstrap: SASL GSSAPI mechanism handshake failed: Broker: Unsupported SASL mechanism: broker's supported mechanisms: GSSAPI (after 0ms in state AUTH_HANDSHAKE)", "does not enable SASL mechanism GSSAPI: use credentials for a mechanism it enables", false),
            ("sasl_plaintext://broker:9092/bootstrap: SASL GSSAPI mechanism handshake failed: Broker: Unsupported SASL mechanism: broker's supported mechanisms: PLAIN,SCRAM-SHA-512", "does not enable SASL mechanism GSSAPI: it offers PLAIN,SCRAM-SHA-512", false),
            (&format!("{start} (Server kafka/broker@EXAMPLE.COM not found in Kerberos database)"), "check service_name (default kafka)", false),
            (&format!("{start} (No Kerberos credentials available (default cache: FILE:/tmp/krb5cc_1000))"), "no valid Kerberos ticket", false),
            (&format!("{start} (Matching credential not found)"), "no valid Kerberos ticket", false),
            (&format!("{start} (Cannot contact any KDC for realm 'EXAMPLE.COM')"), "Cannot reach the Kerberos KDC", true),
            (&format!("{start} (Clock skew too great)"), "synchronise this machine's clock", false),
            ("Failed to initialize SASL authentication: SASL(-4): no mechanism available: No worthy mechs found", "install libsasl2-modules-gssapi-mit", false),
            ("SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism GSSAPI", "check the principal, and the broker's Kerberos setup", false),
        ];
        for (reason, expected, transient) in cases {
            let outcome = failed(reason);
            assert!(
                matches!(&outcome, Outcome::Failed { message, transient: t } if message.contains(expected) && *t == transient && !message.ends_with('.')),
                "{reason} -> {outcome:?}"
            );
        }
        #[cfg(feature = "kerberos")]
        assert!(ticket_suspect(&failed(&format!("{start} (Matching credential not found)"))));
    }

    #[cfg(feature = "kerberos")]
    #[test]
    fn what_kinit_says_becomes_a_message_that_points_at_the_fix() {
        let conf = "/etc/krb5.conf";
        let kinit = |principal: &str, said: &str| kinit_failed(principal, "/k/alice.keytab", said, conf);
        // What MIT kinit 1.20 prints (seen running it; see tests/kerberos.rs for the real runs).
        let cases = [
            (
                "alice@EXAMPLE.COM",
                "kinit: Cannot contact any KDC for realm 'EXAMPLE.COM' while getting initial credentials\n",
                "Cannot reach the Kerberos KDC of realm 'EXAMPLE.COM' to log in as 'alice@EXAMPLE.COM'",
                true,
            ),
            (
                "alice",
                "kinit: Cannot contact any KDC for realm 'EXAMPLE.COM' while getting initial credentials",
                "Cannot reach the Kerberos KDC of realm 'EXAMPLE.COM' to log in as 'alice'",
                true,
            ),
            (
                "alice",
                "kinit: Cannot find KDC for realm \"OTHER.COM\" while getting initial credentials",
                "Kerberos does not know where the KDC of realm 'OTHER.COM' is",
                false,
            ),
            (
                "alice@OTHER.COM",
                "kinit: Cannot find KDC for realm \"OTHER.COM\" while getting initial credentials",
                "add the realm and its kdc to /etc/krb5.conf",
                false,
            ),
            (
                "bob@EXAMPLE.COM",
                "kinit: Keytab contains no suitable keys for bob@EXAMPLE.COM while getting initial credentials",
                "The keytab '/k/alice.keytab' holds no key for principal 'bob@EXAMPLE.COM'",
                false,
            ),
            (
                "alice@EXAMPLE.COM",
                "kinit: Client 'alice@EXAMPLE.COM' not found in Kerberos database while getting initial credentials",
                "does not know principal 'alice@EXAMPLE.COM'",
                false,
            ),
            (
                "alice@EXAMPLE.COM",
                "kinit: Password incorrect while getting initial credentials",
                "the keytab is out of date",
                false,
            ),
            (
                "alice@EXAMPLE.COM",
                "kinit: Preauthentication failed while getting initial credentials",
                "the keytab is out of date",
                false,
            ),
            (
                "alice",
                "kinit: Configuration file does not specify default realm when parsing name alice",
                "write the principal as name@REALM",
                false,
            ),
            (
                "alice@EXAMPLE.COM",
                "kinit: Clock skew too great while getting initial credentials",
                "synchronise this machine's clock",
                false,
            ),
            (
                "alice@EXAMPLE.COM",
                "kinit: Unsupported key table format version number while getting initial credentials",
                "export the keytab again",
                false,
            ),
            ("alice@EXAMPLE.COM", "kinit: something new", "kinit could not log in as 'alice@EXAMPLE.COM'", false),
            ("alice@EXAMPLE.COM", "", "kinit failed and said nothing", false),
        ];
        for (principal, said, expected, transient) in cases {
            let outcome = kinit(principal, said);
            assert!(
                matches!(&outcome, Outcome::Failed { message, transient: t } if message.contains(expected) && *t == transient),
                "{said} -> {outcome:?}"
            );
        }
        let timed_out = kinit_timed_out("alice@EXAMPLE.COM", Duration::from_secs(4), conf);
        assert!(matches!(&timed_out, Outcome::Failed { message, transient: true } if message.contains("within 4 s")));
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

    /// What librdkafka 2.12 said at successive attempts against socat terminating TLS with the test
    /// certificates (tests/hostile_paths.rs), at the default log level and with its debug logs on.
    #[test]
    fn one_cause_worded_differently_from_attempt_to_attempt_gives_one_message() {
        let verify = "SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified, verify that ssl.ca.location is correctly configured or root CA certificates are installed (install ca-certificates package)";
        let verify_debug = "SSL handshake failed: ../ssl/statem/statem_clnt.c:1889:tls_post_process_server_certificate error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified, verify that ssl.ca.location is correctly configured or root CA certificates are installed (install ca-certificates package)";
        let required =
            "Receive failed: error:0A00045C:SSL routines::tlsv13 alert certificate required: SSL alert number 116";
        let required_debug = "Receive failed: ../ssl/record/rec_layer_s3.c:1601:ssl3_read_bytes error:0A00045C:SSL routines::tlsv13 alert certificate required: SSL alert number 116";
        let causes = [
            (
                "unknown CA or wrong host",
                vec![
                    format!("ssl://localhost:40653/bootstrap: {verify} (after 4ms in state SSL_HANDSHAKE)"),
                    format!("ssl://localhost:40653/bootstrap: {verify} (after 5ms in state SSL_HANDSHAKE, 1 identical error(s) suppressed)"),
                    "ssl://localhost:40653/bootstrap: error:0A000086:SSL routines::certificate verify failed (after 2ms in state SSL_HANDSHAKE)".to_string(),
                    format!("ssl://localhost:40653/bootstrap: {verify_debug} (after 4ms in state SSL_HANDSHAKE) (_SSL): identical to last error: error log suppressed"),
                    format!("ssl://localhost:40653/1: {verify} (after 3ms in state SSL_HANDSHAKE)"),
                ],
                "error:0A000086:SSL routines::certificate verify failed",
            ),
            (
                "client certificate required",
                vec![
                    format!("ssl://localhost:40063/bootstrap: {required} (after 0ms in state APIVERSION_QUERY)"),
                    format!("ssl://localhost:40063/bootstrap: {required} (after 1ms in state APIVERSION_QUERY, 1 identical error(s) suppressed)"),
                    format!("ssl://localhost:40063/bootstrap: {required_debug} (after 0ms in state APIVERSION_QUERY) (_TRANSPORT)"),
                ],
                "error:0A00045C:SSL routines::tlsv13 alert certificate required: SSL alert number 116",
            ),
            (
                "connection refused",
                vec![
                    "localhost:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)".to_string(),
                    "localhost:1/bootstrap: Connect to ipv6#[::1]:1 failed: Connection refused (after 1ms in state CONNECT, 4 identical error(s) suppressed)".to_string(),
                ],
                "Connection refused",
            ),
            ("all brokers down", vec!["1/1 brokers are down".to_string(), "0/1 brokers are down".to_string(), "2/3 brokers are down".to_string()], "all brokers are down"),
        ];
        for (cause, reasons, quoted) in causes {
            let messages: Vec<Outcome> = reasons.iter().map(|reason| explain("localhost:1", reason)).collect();
            for (reason, message) in reasons.iter().zip(&messages) {
                assert_eq!(message, &messages[0], "{cause}: {reason}");
            }
            let Outcome::Failed { message, .. } = &messages[0] else { panic!("{cause}: {messages:?}") };
            assert!(message.trim_end_matches(')').ends_with(quoted), "quotes what stays the same: {cause}: {message}");
        }
    }

    #[test]
    fn an_unknown_ca_without_a_truststore_is_one_the_system_does_not_trust() {
        let reason =
            "ssl://h:1/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed";
        let mut subject = Subject::new(
            &crate::connections::validation::parse_kafka_cluster(
                &serde_json::from_value(serde_json::json!({"bootstrap_servers": "127.0.0.1:1"})).unwrap(),
            )
            .unwrap(),
            None,
        );
        let Outcome::Failed { message, .. } = explain_for(&subject, reason) else { panic!() };
        assert!(message.contains("not signed by a CA this system trusts; set ssl.truststore.path"), "{message}");
        assert!(!message.contains("in the truststore"), "{message}");
        subject.ca_pem = Some("-----BEGIN CERTIFICATE-----".into());
        let Outcome::Failed { message, .. } = explain_for(&subject, reason) else { panic!() };
        assert!(message.contains("not signed by a CA in the truststore; add the CA to the truststore"), "{message}");
    }

    #[test]
    fn a_diagnosis_that_cannot_be_made_again_keeps_the_last_one_for_the_same_reason() {
        // Nothing listens on port 1: the handshake cannot be repeated.
        let subject = Subject::new(
            &crate::connections::validation::parse_kafka_cluster(
                &serde_json::from_value(serde_json::json!({"bootstrap_servers": "127.0.0.1:1"})).unwrap(),
            )
            .unwrap(),
            None,
        );
        let found =
            "the broker's certificate does not match host 'localhost' (set verify_hostname to false only for testing)";
        *subject.diagnosed.lock().unwrap() = Some(("certificate verify failed".into(), found.into()));
        assert_eq!(subject.diagnosis("certificate verify failed").as_deref(), Some(found));
        assert_eq!(subject.diagnosis("wrong version number"), None, "not for another reason");
    }
}

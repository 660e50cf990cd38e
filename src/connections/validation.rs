//! Validation of a connection spec: every problem at once, each with the JSON path of its field.

use std::net::Ipv6Addr;
use std::time::Duration;

use url::Url;
use uuid::Uuid;

use super::valid::{
    OAuthCredentials, RegistryCredentials, ValidCredentials, ValidKafkaCluster, ValidKeyStore, ValidSchemaRegistry,
    ValidTls, ValidTrustStore,
};

use crate::protocol::{
    CCloudConfig, ConnectionSpec, ConnectionType, Credentials, KafkaClusterConfig, KeyStore, LocalConfig,
    SchemaRegistryConfig, Secret, StoreType, TlsConfig, TrustStore, MASK,
};

/// One problem with a spec, for `data.errors` of an invalid-params error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path of the field, such as `kafka_cluster.credentials.password`.
    pub source: String,
    /// What is wrong, in words that point at the fix, without a trailing period.
    pub detail: String,
}

// Every limit is declared once, in the protocol, where `schema/` shows it too.
use crate::protocol::limits::*;

/// The editors' URI schemes `ccloud_config.ide_auth_callback_uri` may use, besides http(s) to loopback.
pub const CALLBACK_SCHEMES: [&str; 5] = ["vscode", "vscode-insiders", "vscodium", "cursor", "windsurf"];
/// At most this many problems are reported for one field; a spec with a million bad bootstrap
/// servers gets a short answer, fast.
pub const PROBLEMS_PER_FIELD_MAX: usize = 5;
/// A value quoted in a problem is cut to this many characters.
pub const QUOTED_MAX: usize = 64;

/// Checks a spec whose masked secrets were already restored from the stored spec (if any).
pub fn validate(spec: &ConnectionSpec) -> Vec<FieldError> {
    let mut problems = Problems::default();
    let connection_type = spec.connection_type;

    check_id(&mut problems, spec.id.as_deref());
    check_name(&mut problems, spec.name.as_deref());
    if connection_type.is_none() {
        problems.push("type", "Connection type is required: one of LOCAL, CCLOUD, DIRECT, PLATFORM");
    }

    if let Some(config) = &spec.ccloud_config {
        if section_allowed(&mut problems, Section::CCloudConfig, connection_type) {
            check_ccloud_config(&mut problems, config);
        }
    }
    if let Some(config) = &spec.local_config {
        if section_allowed(&mut problems, Section::LocalConfig, connection_type) {
            check_local_config(&mut problems, config);
        }
    }
    if let Some(cluster) = &spec.kafka_cluster {
        if section_allowed(&mut problems, Section::KafkaCluster, connection_type) {
            check_kafka_cluster(&mut problems, cluster);
        }
    }
    if let Some(registry) = &spec.schema_registry {
        if section_allowed(&mut problems, Section::SchemaRegistry, connection_type) {
            check_schema_registry(&mut problems, registry);
        }
    }

    match connection_type {
        Some(kind @ (ConnectionType::Direct | ConnectionType::Platform))
            if spec.kafka_cluster.is_none() && spec.schema_registry.is_none() =>
        {
            problems.push(
                "kafka_cluster",
                format!("A {} connection needs a Kafka cluster, a Schema Registry or both", kind.as_str()),
            );
        }
        Some(ConnectionType::Local)
            if spec.schema_registry.is_some()
                && spec.local_config.as_ref().is_some_and(|local| local.schema_registry_uri.is_some()) =>
        {
            problems.push(
                "schema_registry",
                "Give the local Schema Registry either as local_config.schema_registry_uri or as schema_registry, not both",
            );
        }
        _ => {}
    }

    problems.0
}

/// The typed form of a Kafka cluster spec that [`validate`] accepted (or that the sidecar made
/// itself, as for a discovered local cluster), for the backends; the problems otherwise.
pub fn parse_kafka_cluster(cluster: &KafkaClusterConfig) -> Result<ValidKafkaCluster, Vec<FieldError>> {
    let mut problems = Problems::default();
    let path = "kafka_cluster.credentials";
    let credentials = cluster.credentials.as_ref().map(|c| check_credentials(&mut problems, path, c, Component::Kafka));
    let bootstrap_servers = cluster.bootstrap_servers.clone();
    if bootstrap_servers.is_none() {
        problems.push(
            "kafka_cluster.bootstrap_servers",
            "Bootstrap servers are required, as host:port entries separated by commas, such as localhost:9092",
        );
    }
    // Absent settings mean TLS with the defaults; `Some(None)`: plaintext; `None`: a store without its path.
    let tls = match &cluster.ssl {
        None => Some(Some(ValidTls::default())),
        Some(tls) => {
            let parsed = parse_tls(&mut problems, "kafka_cluster.ssl", tls);
            if TlsConfig::is_enabled(Some(tls)) {
                parsed.map(Some)
            } else {
                Some(None)
            }
        }
    };
    match (bootstrap_servers, credentials, tls) {
        (Some(bootstrap_servers), credentials @ (None | Some(Some(_))), Some(tls)) if problems.0.is_empty() => {
            Ok(ValidKafkaCluster {
                bootstrap_servers,
                credentials: credentials.flatten(),
                tls,
                client_id_suffix: cluster.client_id_suffix.clone(),
            })
        }
        _ => Err(problems.0),
    }
}

/// The typed form of a Schema Registry spec that [`validate`] accepted (or that the sidecar made
/// itself, as for the local default), for the backends; the problems otherwise.
pub fn parse_schema_registry(registry: &SchemaRegistryConfig) -> Result<ValidSchemaRegistry, Vec<FieldError>> {
    let mut problems = Problems::default();
    let path = "schema_registry.credentials";
    // Validation refuses SCRAM and Kerberos credentials here, so the conversion does not fail.
    let credentials = registry.credentials.as_ref().map(|c| {
        check_credentials(&mut problems, path, c, Component::SchemaRegistry).and_then(RegistryCredentials::from_valid)
    });
    let uri = registry.uri.clone();
    if uri.is_none() {
        problems.push("schema_registry.uri", "Schema Registry URI is required, such as http://localhost:8081");
    }
    let tls = match &registry.ssl {
        Some(tls) => parse_tls(&mut problems, "schema_registry.ssl", tls),
        None => Some(ValidTls::default()),
    };
    match (uri, credentials, tls) {
        (Some(uri), credentials @ (None | Some(Some(_))), Some(tls)) if problems.0.is_empty() => {
            Ok(ValidSchemaRegistry { uri, credentials: credentials.flatten(), tls })
        }
        _ => Err(problems.0),
    }
}

/// Checks TLS settings as [`validate`] does; their typed form when every store has its path.
fn parse_tls(problems: &mut Problems, path: &str, tls: &TlsConfig) -> Option<ValidTls> {
    check_tls(problems, path, tls);
    let truststore = match &tls.truststore {
        Some(store) => Some(ValidTrustStore {
            path: store.path.clone()?,
            password: store.password.clone(),
            store_type: store.store_type.unwrap_or(StoreType::Jks),
        }),
        None => None,
    };
    let keystore = match &tls.keystore {
        Some(store) => Some(ValidKeyStore {
            path: store.path.clone()?,
            password: store.password.clone(),
            store_type: store.store_type.unwrap_or(StoreType::Jks),
            key_password: store.key_password.clone(),
        }),
        None => None,
    };
    Some(ValidTls { verify_hostname: tls.verify_hostname != Some(false), truststore, keystore })
}

/// The problems found so far, in the order they were found.
#[derive(Default)]
struct Problems(Vec<FieldError>);

impl Problems {
    /// How many problems were found with this field so far.
    fn count(&self, path: &str) -> usize {
        self.0.iter().filter(|problem| problem.source == path).count()
    }

    fn push(&mut self, source: impl Into<String>, detail: impl Into<String>) {
        self.0.push(FieldError { source: source.into(), detail: detail.into() });
    }

    // In the checks below, `what` names the field as in the middle of a sentence ("API key", "password").

    /// Refuses a value longer than `max` characters; true when the value fits.
    fn check_max(&mut self, path: &str, what: &str, value: &str, max: usize) -> bool {
        let count = value.chars().count();
        if count > max {
            self.push(path, format!("{} must be at most {max} characters, not {count}", capitalized(what)));
        }
        count <= max
    }

    /// Refuses a value that is empty or only whitespace, or longer than `max` characters.
    fn check_text(&mut self, path: &str, what: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.push(path, format!("{} must not be blank", capitalized(what)));
        } else {
            self.check_max(path, what, value, max);
        }
    }

    /// Refuses the mask placeholder, an empty secret and one longer than the limit. Never quotes the value.
    fn check_secret(&mut self, path: &str, what: &str, secret: &Secret) {
        if secret.is_mask() {
            self.push(path, format!("Send the real {what}: \"{MASK}\" only stands for a secret already stored"));
        } else if secret.expose().is_empty() {
            self.push(path, format!("{} must not be empty", capitalized(what)));
        } else {
            self.check_max(path, what, secret.expose(), SECRET_MAX);
        }
    }

    /// Refuses a blank URI or one longer than [`URI_MAX`]; otherwise what the parser makes of it.
    fn parse_uri(&mut self, path: &str, what: &str, value: &str) -> Option<Result<Url, url::ParseError>> {
        if value.trim().is_empty() {
            self.push(path, format!("{} must not be blank", capitalized(what)));
            return None;
        }
        self.check_max(path, what, value, URI_MAX).then(|| Url::parse(value))
    }

    /// Refuses anything but an http or https URI with a host, of at most [`URI_MAX`] characters.
    fn check_uri(&mut self, path: &str, what: &str, value: &str) {
        let Some(parsed) = self.parse_uri(path, what, value) else {
            return;
        };
        let what_capitalized = capitalized(what);
        let starts_wrong = || format!("{what_capitalized} must start with http:// or https://");
        match parsed {
            Err(url::ParseError::RelativeUrlWithoutBase) => self.push(path, starts_wrong()),
            Err(reason) => self.push(path, format!("{what_capitalized} is not a valid URI: {reason}")),
            Ok(url) if !matches!(url.scheme(), "http" | "https") => {
                if value.contains("://") {
                    let scheme = url.scheme();
                    self.push(path, format!("{what_capitalized} must use http or https, not '{scheme}'"));
                } else {
                    // `localhost:8081` parses with the scheme `localhost`.
                    self.push(path, starts_wrong());
                }
            }
            Ok(url) if url.host().is_none() => self.push(path, format!("{what_capitalized} must name a host")),
            Ok(_) => {}
        }
    }

    /// Where the browser goes after sign-in: the editor's own URI handler, or a page on this machine.
    /// Only an allow-list is taken (see [`CALLBACK_SCHEMES`]): the sidecar redirects the browser
    /// there with the sign-in's outcome, so it must never lead to script, files or another host.
    fn check_callback_uri(&mut self, path: &str, what: &str, value: &str) {
        let Some(parsed) = self.parse_uri(path, what, value) else {
            return;
        };
        let what_capitalized = capitalized(what);
        match parsed {
            Err(url::ParseError::RelativeUrlWithoutBase) => self.push(
                path,
                format!(
                    "{what_capitalized} must be an absolute URI, such as vscode://publisher.extension/authCallback"
                ),
            ),
            Err(reason) => self.push(path, format!("{what_capitalized} is not a valid URI: {reason}")),
            Ok(url) if matches!(url.scheme(), "http" | "https") => {
                let loopback = match url.host() {
                    Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
                    Some(url::Host::Ipv4(address)) => address.is_loopback(),
                    Some(url::Host::Ipv6(address)) => address.is_loopback(),
                    None => false,
                };
                if !loopback {
                    self.push(
                        path,
                        format!(
                            "{what_capitalized} may use http or https only to this machine (localhost, 127.0.0.1 or [::1])"
                        ),
                    );
                }
            }
            Ok(url) if CALLBACK_SCHEMES.contains(&url.scheme()) => {}
            Ok(url) => {
                let scheme = quoted(url.scheme());
                let allowed = CALLBACK_SCHEMES.join(", ");
                self.push(
                    path,
                    format!("{what_capitalized} must use an editor's scheme ({allowed}) or http(s) to this machine, not {scheme}"),
                );
            }
        }
    }
}

/// The sentence form of a field name: `password` becomes `Password`, `API key` stays.
fn capitalized(what: &str) -> String {
    let mut chars = what.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `base.field`, the JSON path of a field inside a section.
fn join(base: &str, field: &str) -> String {
    format!("{base}.{field}")
}

/// `a`, `a or b`, `a, b or c` (with `last` as the final word).
fn list_words(items: &[String], last: &str) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., final_item] => format!("{} {last} {final_item}", init.join(", ")),
    }
}

fn check_id(problems: &mut Problems, id: Option<&str>) {
    match id {
        Some("") => problems.push("id", "Connection id must not be empty: leave it out to get a generated one"),
        Some(id) => {
            problems.check_max("id", "connection id", id, ID_MAX);
        }
        None => {}
    }
}

fn check_name(problems: &mut Problems, name: Option<&str>) {
    match name {
        Some(name) => problems.check_text("name", "connection name", name, NAME_MAX),
        None => problems.push("name", "Connection name is required"),
    }
}

/// The sections of a spec that only some connection types may carry.
#[derive(Clone, Copy)]
enum Section {
    CCloudConfig,
    LocalConfig,
    KafkaCluster,
    SchemaRegistry,
}

impl Section {
    fn path(self) -> &'static str {
        match self {
            Self::CCloudConfig => "ccloud_config",
            Self::LocalConfig => "local_config",
            Self::KafkaCluster => "kafka_cluster",
            Self::SchemaRegistry => "schema_registry",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Self::CCloudConfig => "CCloud configuration",
            Self::LocalConfig => "Local configuration",
            Self::KafkaCluster => "Kafka cluster configuration",
            Self::SchemaRegistry => "Schema Registry configuration",
        }
    }

    fn allowed_for(self, connection_type: ConnectionType) -> bool {
        use ConnectionType::{Ccloud, Direct, Local, Platform};
        match self {
            Self::CCloudConfig => connection_type == Ccloud,
            Self::LocalConfig => connection_type == Local,
            Self::KafkaCluster | Self::SchemaRegistry => matches!(connection_type, Direct | Platform | Local),
        }
    }
}

/// Refuses a section the connection type does not use; true when the section's contents should be checked.
/// With no type the contents are checked: the missing type is reported on its own.
fn section_allowed(problems: &mut Problems, section: Section, connection_type: Option<ConnectionType>) -> bool {
    match connection_type {
        Some(kind) if !section.allowed_for(kind) => {
            problems.push(section.path(), format!("{} is not allowed when type is {}", section.what(), kind.as_str()));
            false
        }
        _ => true,
    }
}

fn check_ccloud_config(problems: &mut Problems, config: &CCloudConfig) {
    if let Some(organization_id) = &config.organization_id {
        let path = "ccloud_config.organization_id";
        let count = organization_id.chars().count();
        if count != ORGANIZATION_ID_LEN {
            problems.push(
                path,
                format!(
                    "CCloud organization id must be a UUID of {ORGANIZATION_ID_LEN} characters, such as \
                     1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d, not {count} characters: leave it out to use your \
                     default organization"
                ),
            );
        } else if Uuid::parse_str(organization_id).is_err() {
            problems.push(path, "CCloud organization id must be a UUID, such as 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
        }
    }
    if let Some(uri) = &config.ide_auth_callback_uri {
        problems.check_callback_uri("ccloud_config.ide_auth_callback_uri", "IDE auth callback URI", uri);
    }
}

fn check_local_config(problems: &mut Problems, config: &LocalConfig) {
    let path = "local_config.schema_registry_uri";
    match config.schema_registry_uri.as_deref() {
        // Absent: the default local Schema Registry; empty: none.
        None | Some("") => {}
        Some(uri) if uri.trim().is_empty() => problems.push(
            path,
            "Local Schema Registry URI must not be only whitespace: give a URI, or an empty string for no Schema Registry",
        ),
        Some(uri) => problems.check_uri(path, "local Schema Registry URI", uri),
    }
}

fn check_kafka_cluster(problems: &mut Problems, cluster: &KafkaClusterConfig) {
    check_bootstrap_servers(problems, cluster.bootstrap_servers.as_deref());
    if let Some(credentials) = &cluster.credentials {
        check_credentials(problems, "kafka_cluster.credentials", credentials, Component::Kafka);
    }
    if let Some(tls) = &cluster.ssl {
        check_tls(problems, "kafka_cluster.ssl", tls);
    }
    if let Some(suffix) = &cluster.client_id_suffix {
        problems.check_max("kafka_cluster.client_id_suffix", "client id suffix", suffix, CLIENT_ID_SUFFIX_MAX);
    }
}

fn check_bootstrap_servers(problems: &mut Problems, servers: Option<&str>) {
    let path = "kafka_cluster.bootstrap_servers";
    let Some(servers) = servers else {
        problems.push(
            path,
            "Bootstrap servers are required, as host:port entries separated by commas, such as localhost:9092",
        );
        return;
    };
    if servers.trim().is_empty() {
        problems.push(path, "Bootstrap servers must not be blank: give host:port entries separated by commas");
        return;
    }
    problems.check_max(path, "the list of bootstrap servers", servers, BOOTSTRAP_SERVERS_MAX);

    let mut empty_entry_reported = false;
    let mut reported = problems.count(path);
    let mut offset = 0;
    for (index, entry) in servers.split(',').enumerate() {
        // A list over the limit is refused above; its entries past the limit are not looked at,
        // so that a huge list costs no more than a long one.
        if offset > BOOTSTRAP_SERVERS_MAX {
            return;
        }
        offset += entry.len() + 1;
        let entry = entry.trim();
        let problem = if entry.is_empty() {
            (!std::mem::replace(&mut empty_entry_reported, true))
                .then(|| "Bootstrap servers have an empty entry: remove the extra comma".to_string())
        } else {
            check_bootstrap_server(entry).err()
        };
        let Some(problem) = problem else { continue };
        if reported == PROBLEMS_PER_FIELD_MAX {
            problems.push(
                path,
                format!("Entries after the {} are not checked: fix the problems above first", ordinal(index)),
            );
            return;
        }
        problems.push(path, problem);
        reported += 1;
    }
}

/// "1st", "2nd", "3rd", "4th"... for messages.
fn ordinal(index: usize) -> String {
    let n = index + 1;
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A value quoted in a message, cut to [`QUOTED_MAX`] characters.
fn quoted(value: &str) -> String {
    match value.char_indices().nth(QUOTED_MAX) {
        Some((end, _)) => format!("'{}...'", &value[..end]),
        None => format!("'{value}'"),
    }
}

/// Checks one non-empty `host:port` entry; the error names the entry.
fn check_bootstrap_server(entry: &str) -> Result<(), String> {
    let raw = entry;
    let quoted_entry = &quoted(entry);
    let short = |value: &str| value.chars().take(QUOTED_MAX).collect::<String>();
    let needs_port = || {
        let example = short(raw);
        format!("Bootstrap server {quoted_entry} needs a port: write it as host:port, such as {example}:9092")
    };
    if let Some((scheme, rest)) = entry.split_once("://") {
        let (entry, scheme, rest) = (quoted_entry, short(scheme), short(rest));
        return Err(format!(
            "Bootstrap server {entry} must not start with '{scheme}://': write only host:port, such as {rest}"
        ));
    }
    let port = if let Some(bracketed) = entry.strip_prefix('[') {
        let entry = quoted_entry;
        let Some((address, after)) = bracketed.split_once(']') else {
            return Err(format!(
                "Bootstrap server {entry} must close its IPv6 address with a bracket, such as [::1]:9092"
            ));
        };
        if address.parse::<Ipv6Addr>().is_err() {
            let address = quoted(address);
            return Err(format!("Bootstrap server {entry} has an invalid IPv6 address {address}"));
        }
        let Some(port) = after.strip_prefix(':') else {
            return Err(needs_port());
        };
        port
    } else {
        let Some((host, port)) = entry.rsplit_once(':') else {
            return Err(needs_port());
        };
        let entry = quoted_entry;
        if host.contains(':') {
            return Err(format!("Bootstrap server {entry} must put its IPv6 address in brackets, such as [::1]:9092"));
        }
        if host.is_empty() {
            let example = short(raw);
            return Err(format!("Bootstrap server {entry} needs a host before the port, such as localhost{example}"));
        }
        if !host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
            let host = quoted(host);
            return Err(format!(
                "Bootstrap server {entry} has an invalid host {host}: use a host name or an IP address"
            ));
        }
        port
    };
    let port_ok =
        !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok_and(|p| p > 0);
    if port_ok {
        Ok(())
    } else {
        let (entry, port) = (quoted_entry, quoted(port));
        Err(format!("Bootstrap server {entry} has an invalid port {port}: use a number from 1 to 65535"))
    }
}

fn check_schema_registry(problems: &mut Problems, registry: &SchemaRegistryConfig) {
    if let Some(id) = &registry.id {
        problems.check_max("schema_registry.id", "Schema Registry id", id, SCHEMA_REGISTRY_ID_MAX);
    }
    match &registry.uri {
        Some(uri) => problems.check_uri("schema_registry.uri", "Schema Registry URI", uri),
        None => problems.push("schema_registry.uri", "Schema Registry URI is required, such as http://localhost:8081"),
    }
    if let Some(credentials) = &registry.credentials {
        check_credentials(problems, "schema_registry.credentials", credentials, Component::SchemaRegistry);
    }
    if let Some(tls) = &registry.ssl {
        check_tls(problems, "schema_registry.ssl", tls);
    }
}

/// Who uses the credentials: Schema Registry takes fewer kinds than Kafka.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Component {
    Kafka,
    SchemaRegistry,
}

/// The kinds of credentials, told apart by their fields.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum CredentialKind {
    Basic,
    ApiKey,
    Scram,
    OAuth,
    Kerberos,
}

impl CredentialKind {
    const ALL: [Self; 5] = [Self::Basic, Self::ApiKey, Self::Scram, Self::OAuth, Self::Kerberos];

    fn name(self) -> &'static str {
        match self {
            Self::Basic => "basic",
            Self::ApiKey => "API key",
            Self::Scram => "SCRAM",
            Self::OAuth => "OAuth",
            Self::Kerberos => "Kerberos",
        }
    }

    fn supported_by(self, component: Component) -> bool {
        component == Component::Kafka || matches!(self, Self::Basic | Self::ApiKey | Self::OAuth)
    }

    /// The kind with its required fields, to tell a person what to send.
    fn described(self) -> String {
        let required = match self {
            Self::Basic => "username, password",
            Self::ApiKey => "api_key, api_secret",
            Self::Scram => "hash_algorithm, scram_username, scram_password",
            Self::OAuth => "tokens_url, client_id",
            Self::Kerberos => "principal, keytab_path",
        };
        format!("{} ({required})", self.name())
    }

    /// The credentials of this kind, when its required fields are set: the one place where a kind's
    /// fields become a typed value.
    fn parse(self, c: &Credentials) -> Option<ValidCredentials> {
        Some(match self {
            Self::Basic => ValidCredentials::Basic { username: c.username.clone()?, password: c.password.clone()? },
            Self::ApiKey => ValidCredentials::ApiKey { key: c.api_key.clone()?, secret: c.api_secret.clone()? },
            Self::Scram => ValidCredentials::Scram {
                algorithm: c.hash_algorithm?,
                username: c.scram_username.clone()?,
                password: c.scram_password.clone()?,
            },
            Self::OAuth => ValidCredentials::OAuth(OAuthCredentials {
                tokens_url: c.tokens_url.clone()?,
                client_id: c.client_id.clone()?,
                client_secret: c.client_secret.clone(),
                scope: c.scope.clone(),
                connect_timeout: c.connect_timeout_millis.map(Duration::from_millis),
                ccloud_logical_cluster_id: c.ccloud_logical_cluster_id.clone(),
                ccloud_identity_pool_id: c.ccloud_identity_pool_id.clone(),
            }),
            Self::Kerberos => ValidCredentials::Kerberos {
                principal: c.principal.clone()?,
                keytab_path: c.keytab_path.clone()?,
                service_name: c.service_name.clone(),
            },
        })
    }

    /// The names of this kind's fields that are set.
    fn fields_present(self, c: &Credentials) -> Vec<&'static str> {
        let fields = match self {
            Self::Basic => vec![("username", c.username.is_some()), ("password", c.password.is_some())],
            Self::ApiKey => vec![("api_key", c.api_key.is_some()), ("api_secret", c.api_secret.is_some())],
            Self::Scram => vec![
                ("hash_algorithm", c.hash_algorithm.is_some()),
                ("scram_username", c.scram_username.is_some()),
                ("scram_password", c.scram_password.is_some()),
            ],
            Self::OAuth => vec![
                ("tokens_url", c.tokens_url.is_some()),
                ("client_id", c.client_id.is_some()),
                ("client_secret", c.client_secret.is_some()),
                ("scope", c.scope.is_some()),
                ("connect_timeout_millis", c.connect_timeout_millis.is_some()),
                ("ccloud_logical_cluster_id", c.ccloud_logical_cluster_id.is_some()),
                ("ccloud_identity_pool_id", c.ccloud_identity_pool_id.is_some()),
            ],
            Self::Kerberos => vec![
                ("principal", c.principal.is_some()),
                ("keytab_path", c.keytab_path.is_some()),
                ("service_name", c.service_name.is_some()),
            ],
        };
        fields.into_iter().filter(|(_, present)| *present).map(|(name, _)| name).collect()
    }
}

fn check_credentials(
    problems: &mut Problems,
    path: &str,
    credentials: &Credentials,
    component: Component,
) -> Option<ValidCredentials> {
    let used: Vec<(CredentialKind, Vec<&str>)> = CredentialKind::ALL
        .into_iter()
        .map(|kind| (kind, kind.fields_present(credentials)))
        .filter(|(_, fields)| !fields.is_empty())
        .collect();
    match used.as_slice() {
        [] => {
            let kinds: Vec<String> = CredentialKind::ALL
                .into_iter()
                .filter(|kind| kind.supported_by(component))
                .map(CredentialKind::described)
                .collect();
            problems.push(
                path,
                format!(
                    "Credentials have no known field: send the fields of {}, or leave credentials out",
                    list_words(&kinds, "or")
                ),
            );
            None
        }
        [(kind, _)] if !kind.supported_by(component) => {
            problems.push(
                path,
                format!(
                    "{} credentials are not supported for Schema Registry: use basic, API key or OAuth",
                    kind.name()
                ),
            );
            None
        }
        [(kind, _)] => check_credentials_of_kind(problems, path, credentials, *kind),
        mixed => {
            let kinds: Vec<String> =
                mixed.iter().map(|(kind, fields)| format!("{} ({})", kind.name(), fields.join(", "))).collect();
            problems.push(
                path,
                format!("Credentials mix fields of {}: keep the fields of one kind only", list_words(&kinds, "and")),
            );
            None
        }
    }
}

/// Credentials with the fields of one kind only: its required fields and the limits of each field.
/// The typed credentials when every required field is there (the limits may still have failed).
fn check_credentials_of_kind(
    problems: &mut Problems,
    path: &str,
    c: &Credentials,
    kind: CredentialKind,
) -> Option<ValidCredentials> {
    let mut require = |field: &str, what: &str, present: bool| {
        if !present {
            let detail = format!("{} is required for {} credentials", capitalized(what), kind.name());
            problems.push(join(path, field), detail);
        }
    };
    match kind {
        CredentialKind::Basic => {
            require("username", "username", c.username.is_some());
            require("password", "password", c.password.is_some());
        }
        CredentialKind::ApiKey => {
            require("api_key", "API key", c.api_key.is_some());
            require("api_secret", "API secret", c.api_secret.is_some());
        }
        CredentialKind::Scram => {
            require("hash_algorithm", "hash algorithm (SCRAM_SHA_256 or SCRAM_SHA_512)", c.hash_algorithm.is_some());
            require("scram_username", "SCRAM username", c.scram_username.is_some());
            require("scram_password", "SCRAM password", c.scram_password.is_some());
        }
        CredentialKind::OAuth => {
            require("tokens_url", "tokens URL", c.tokens_url.is_some());
            require("client_id", "client id", c.client_id.is_some());
        }
        CredentialKind::Kerberos => {
            require("principal", "principal", c.principal.is_some());
            require("keytab_path", "keytab path", c.keytab_path.is_some());
        }
    }

    // The limits of the fields that are present (only this kind's fields can be).
    let texts = [
        ("username", "username", &c.username, USERNAME_MAX),
        ("api_key", "API key", &c.api_key, USERNAME_MAX),
        ("scram_username", "SCRAM username", &c.scram_username, USERNAME_MAX),
        ("client_id", "client id", &c.client_id, CLIENT_ID_MAX),
        ("principal", "principal", &c.principal, PRINCIPAL_MAX),
        ("keytab_path", "keytab path", &c.keytab_path, FILE_PATH_MAX),
        ("service_name", "service name", &c.service_name, SERVICE_NAME_MAX),
    ];
    for (field, what, value, max) in texts {
        if let Some(value) = value {
            problems.check_text(&join(path, field), what, value, max);
        }
    }
    let optional_texts = [
        ("scope", "scope", &c.scope, SCOPE_MAX),
        ("ccloud_logical_cluster_id", "CCloud logical cluster id", &c.ccloud_logical_cluster_id, CCLOUD_ID_MAX),
        ("ccloud_identity_pool_id", "CCloud identity pool id", &c.ccloud_identity_pool_id, CCLOUD_ID_MAX),
    ];
    for (field, what, value, max) in optional_texts {
        if let Some(value) = value {
            problems.check_max(&join(path, field), what, value, max);
        }
    }
    let secrets = [
        ("password", "password", &c.password),
        ("api_secret", "API secret", &c.api_secret),
        ("scram_password", "SCRAM password", &c.scram_password),
        ("client_secret", "client secret", &c.client_secret),
    ];
    for (field, what, secret) in secrets {
        if let Some(secret) = secret {
            problems.check_secret(&join(path, field), what, secret);
        }
    }
    if let Some(tokens_url) = &c.tokens_url {
        problems.check_uri(&join(path, "tokens_url"), "tokens URL", tokens_url);
    }
    if let Some(millis) = c.connect_timeout_millis {
        if millis > CONNECT_TIMEOUT_MILLIS_MAX {
            problems.push(
                join(path, "connect_timeout_millis"),
                format!("Connect timeout must be at most {CONNECT_TIMEOUT_MILLIS_MAX} milliseconds (one hour), not {millis}"),
            );
        }
    }
    kind.parse(c)
}

fn check_tls(problems: &mut Problems, path: &str, tls: &TlsConfig) {
    // A store with TLS off would be silently ignored: the user surely meant something.
    if tls.enabled == Some(false) {
        for (store, present) in [("truststore", tls.truststore.is_some()), ("keystore", tls.keystore.is_some())] {
            if present {
                problems.push(
                    join(path, store),
                    format!("A {store} needs TLS: set enabled to true (or remove it), or remove the {store} for a plaintext connection"),
                );
            }
        }
    }
    if let Some(TrustStore { path: file, password, store_type: _ }) = &tls.truststore {
        let base = join(path, "truststore");
        check_store_file(problems, &base, "truststore", file.as_deref(), "the CAs to trust");
        if let Some(password) = password {
            problems.check_secret(&join(&base, "password"), "truststore password", password);
        }
    }
    if let Some(KeyStore { path: file, password, store_type: _, key_password }) = &tls.keystore {
        let base = join(path, "keystore");
        check_store_file(problems, &base, "keystore", file.as_deref(), "the client certificate and key");
        if let Some(password) = password {
            problems.check_secret(&join(&base, "password"), "keystore password", password);
        }
        if let Some(key_password) = key_password {
            problems.check_secret(&join(&base, "key_password"), "key password", key_password);
        }
    }
}

fn check_store_file(problems: &mut Problems, base: &str, store: &str, file: Option<&str>, holds: &str) {
    let path = join(base, "path");
    match file {
        Some(file) => problems.check_text(&path, &format!("{store} path"), file, FILE_PATH_MAX),
        None => problems.push(path, format!("{} path is required: the file with {holds}", capitalized(store))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    /// A spec and every problem expected, as `(source, detail)` in the order reported.
    struct Case {
        name: &'static str,
        spec: Value,
        expected: Vec<(&'static str, &'static str)>,
    }

    fn case(name: &'static str, spec: Value, expected: &[(&'static str, &'static str)]) -> Case {
        Case { name, spec, expected: expected.to_vec() }
    }

    /// A text of `count` characters.
    fn long(count: usize) -> String {
        "x".repeat(count)
    }

    const MASKED: &str = "********";

    fn run(case: &Case) -> Vec<FieldError> {
        let spec: ConnectionSpec = serde_json::from_value(case.spec.clone())
            .unwrap_or_else(|error| panic!("case '{}' does not decode: {error}", case.name));
        validate(&spec)
    }

    /// The specs of the cases validation accepts.
    pub(super) fn accepted_specs() -> Vec<ConnectionSpec> {
        let accepted = cases().into_iter().filter(|case| case.expected.is_empty());
        accepted.map(|case| serde_json::from_value(case.spec).expect("the spec decodes")).collect()
    }

    fn cases() -> Vec<Case> {
        vec![
            // Valid specs.
            case(
                "direct with a Kafka cluster only",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "localhost:9092"}}),
                &[],
            ),
            case(
                "platform with a Schema Registry only, OAuth with every field",
                json!({
                    "name": "n",
                    "type": "PLATFORM",
                    "schema_registry": {
                        "uri": "https://sr.example.com:8081/base",
                        "credentials": {
                            "tokens_url": "https://idp.example.com/oauth2/token",
                            "client_id": "client",
                            "client_secret": "secret",
                            "scope": "schema.read",
                            "connect_timeout_millis": 3_600_000,
                            "ccloud_logical_cluster_id": "lsrc-123",
                            "ccloud_identity_pool_id": "pool-abc"
                        }
                    }
                }),
                &[],
            ),
            case(
                "direct with every section at its limits",
                json!({
                    "id": long(64),
                    "name": long(64),
                    "type": "DIRECT",
                    "kafka_cluster": {
                        "bootstrap_servers": "broker-1.example.com:9092 , 10.0.0.1:9093,[::1]:9094,b_2:65535",
                        "credentials": {
                            "hash_algorithm": "SCRAM_SHA_512",
                            "scram_username": long(96),
                            "scram_password": long(1024)
                        },
                        "ssl": {
                            "enabled": true,
                            "verify_hostname": false,
                            "truststore": {"path": "/etc/ca.jks", "password": "p", "type": "JKS"},
                            "keystore": {"path": "/etc/me.p12", "password": "p", "type": "PKCS12", "key_password": "k"}
                        },
                        "client_id_suffix": long(64)
                    },
                    "schema_registry": {
                        "id": long(64),
                        "uri": "http://localhost:8081",
                        "credentials": {"api_key": long(96), "api_secret": "s"},
                        "ssl": {"truststore": {"path": "/etc/ca.pem", "type": "PEM"}}
                    }
                }),
                &[],
            ),
            case(
                "direct with Kerberos, plaintext and a URI of 256 characters",
                json!({
                    "name": "n",
                    "type": "DIRECT",
                    "kafka_cluster": {
                        "bootstrap_servers": "kafka:9092",
                        "credentials": {"principal": "me@EXAMPLE.COM", "keytab_path": "/etc/me.keytab", "service_name": "kafka"},
                        "ssl": {"enabled": false}
                    },
                    "schema_registry": {"uri": format!("http://sr/{}", long(246)), "credentials": {"username": "u", "password": "p"}}
                }),
                &[],
            ),
            case("local with nothing but a name", json!({"name": "n", "type": "LOCAL"}), &[]),
            case(
                "local with an empty Schema Registry URI, meaning none",
                json!({"name": "n", "type": "LOCAL", "local_config": {"schema_registry_uri": ""}}),
                &[],
            ),
            case(
                "local with the dashed field names",
                json!({"name": "n", "type": "LOCAL", "local-config": {"schema-registry-uri": "http://localhost:8085"}}),
                &[],
            ),
            case(
                "local overriding the Kafka cluster and the Schema Registry",
                json!({
                    "name": "n",
                    "type": "LOCAL",
                    "local_config": {},
                    "kafka_cluster": {"bootstrap_servers": "localhost:29092"},
                    "schema_registry": {"uri": "http://localhost:8081"}
                }),
                &[],
            ),
            case(
                "ccloud with an organization and the editor's callback",
                json!({
                    "name": "n",
                    "type": "CCLOUD",
                    "ccloud_config": {
                        "organization_id": "1A2B3C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D",
                        "ide_auth_callback_uri": "vscode://confluentinc.vscode-confluent/authCallback"
                    }
                }),
                &[],
            ),
            case("ccloud without ccloud_config", json!({"name": "n", "type": "CCLOUD"}), &[]),
            // id, name, type.
            case(
                "name missing",
                json!({"type": "LOCAL"}),
                &[("name", "Connection name is required")],
            ),
            case(
                "name blank",
                json!({"name": " \t ", "type": "LOCAL"}),
                &[("name", "Connection name must not be blank")],
            ),
            case(
                "name too long",
                json!({"name": long(65), "type": "LOCAL"}),
                &[("name", "Connection name must be at most 64 characters, not 65")],
            ),
            case(
                "name of 64 characters that take more than 64 bytes",
                json!({"name": "é".repeat(64), "type": "LOCAL"}),
                &[],
            ),
            case(
                "id empty",
                json!({"id": "", "name": "n", "type": "LOCAL"}),
                &[("id", "Connection id must not be empty: leave it out to get a generated one")],
            ),
            case(
                "id too long",
                json!({"id": long(65), "name": "n", "type": "LOCAL"}),
                &[("id", "Connection id must be at most 64 characters, not 65")],
            ),
            case(
                "type missing",
                json!({"name": "n"}),
                &[("type", "Connection type is required: one of LOCAL, CCLOUD, DIRECT, PLATFORM")],
            ),
            case(
                "type missing: the sections present are still checked, not refused",
                json!({
                    "name": "n",
                    "ccloud_config": {"organization_id": "x"},
                    "local_config": {"schema_registry_uri": " "},
                    "kafka_cluster": {"bootstrap_servers": "nope"},
                    "schema_registry": {}
                }),
                &[
                    ("type", "Connection type is required: one of LOCAL, CCLOUD, DIRECT, PLATFORM"),
                    (
                        "ccloud_config.organization_id",
                        "CCloud organization id must be a UUID of 36 characters, such as \
                         1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d, not 1 characters: leave it out to use your default \
                         organization",
                    ),
                    (
                        "local_config.schema_registry_uri",
                        "Local Schema Registry URI must not be only whitespace: give a URI, or an empty string for \
                         no Schema Registry",
                    ),
                    (
                        "kafka_cluster.bootstrap_servers",
                        "Bootstrap server 'nope' needs a port: write it as host:port, such as nope:9092",
                    ),
                    ("schema_registry.uri", "Schema Registry URI is required, such as http://localhost:8081"),
                ],
            ),
            // Sections by type.
            case(
                "ccloud_config on a DIRECT connection",
                json!({"name": "n", "type": "DIRECT", "ccloud_config": {}, "kafka_cluster": {"bootstrap_servers": "k:1"}}),
                &[("ccloud_config", "CCloud configuration is not allowed when type is DIRECT")],
            ),
            case(
                "local_config on a CCLOUD connection",
                json!({"name": "n", "type": "CCLOUD", "local_config": {}}),
                &[("local_config", "Local configuration is not allowed when type is CCLOUD")],
            ),
            case(
                "local_config on a PLATFORM connection",
                json!({"name": "n", "type": "PLATFORM", "local_config": {}, "schema_registry": {"uri": "http://sr"}}),
                &[("local_config", "Local configuration is not allowed when type is PLATFORM")],
            ),
            case(
                "kafka_cluster on a CCLOUD connection, its bad contents not reported",
                json!({"name": "n", "type": "CCLOUD", "kafka_cluster": {"bootstrap_servers": "no port"}}),
                &[("kafka_cluster", "Kafka cluster configuration is not allowed when type is CCLOUD")],
            ),
            case(
                "schema_registry on a CCLOUD connection",
                json!({"name": "n", "type": "CCLOUD", "schema_registry": {"uri": "http://sr"}}),
                &[("schema_registry", "Schema Registry configuration is not allowed when type is CCLOUD")],
            ),
            case(
                "DIRECT with neither a Kafka cluster nor a Schema Registry",
                json!({"name": "n", "type": "DIRECT"}),
                &[("kafka_cluster", "A DIRECT connection needs a Kafka cluster, a Schema Registry or both")],
            ),
            case(
                "PLATFORM with neither a Kafka cluster nor a Schema Registry",
                json!({"name": "n", "type": "PLATFORM"}),
                &[("kafka_cluster", "A PLATFORM connection needs a Kafka cluster, a Schema Registry or both")],
            ),
            case(
                "LOCAL with a Schema Registry given twice",
                json!({
                    "name": "n",
                    "type": "LOCAL",
                    "local_config": {"schema_registry_uri": "http://localhost:8081"},
                    "schema_registry": {"uri": "http://localhost:8081"}
                }),
                &[(
                    "schema_registry",
                    "Give the local Schema Registry either as local_config.schema_registry_uri or as schema_registry, \
                     not both",
                )],
            ),
            // ccloud_config.
            case(
                "organization id of the wrong length",
                json!({"name": "n", "type": "CCLOUD", "ccloud_config": {"organization_id": "1a2b3c4d5e6f4a7b8c9d0e1f2a3b4c5d"}}),
                &[(
                    "ccloud_config.organization_id",
                    "CCloud organization id must be a UUID of 36 characters, such as \
                     1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d, not 32 characters: leave it out to use your default \
                     organization",
                )],
            ),
            case(
                "organization id of 36 characters that is not a UUID",
                json!({"name": "n", "type": "CCLOUD", "ccloud_config": {"organization_id": "zzzzzzzz-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}}),
                &[(
                    "ccloud_config.organization_id",
                    "CCloud organization id must be a UUID, such as 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                )],
            ),
            case(
                "callback URI that is not absolute",
                json!({"name": "n", "type": "CCLOUD", "ccloud_config": {"ide_auth_callback_uri": "authCallback"}}),
                &[(
                    "ccloud_config.ide_auth_callback_uri",
                    "IDE auth callback URI must be an absolute URI, such as vscode://publisher.extension/authCallback",
                )],
            ),
            case(
                "callback URI running script",
                json!({"name": "n", "type": "CCLOUD", "ccloud_config": {"ide_auth_callback_uri": "javascript:alert(1)"}}),
                &[(
                    "ccloud_config.ide_auth_callback_uri",
                    "IDE auth callback URI must use an editor's scheme (vscode, vscode-insiders, vscodium, cursor, windsurf) or http(s) to this machine, not 'javascript'",
                )],
            ),
            case(
                "callback URI to another host",
                json!({"name": "n", "type": "CCLOUD", "ccloud_config": {"ide_auth_callback_uri": "https://example.com/cb"}}),
                &[(
                    "ccloud_config.ide_auth_callback_uri",
                    "IDE auth callback URI may use http or https only to this machine (localhost, 127.0.0.1 or [::1])",
                )],
            ),
            case(
                "callback URI of an unknown scheme",
                json!({"name": "n", "type": "CCLOUD", "ccloud_config": {"ide_auth_callback_uri": "ms-settings:privacy"}}),
                &[(
                    "ccloud_config.ide_auth_callback_uri",
                    "IDE auth callback URI must use an editor's scheme (vscode, vscode-insiders, vscodium, cursor, windsurf) or http(s) to this machine, not 'ms-settings'",
                )],
            ),
            case(
                "callback URI of VS Code Insiders",
                json!({"name": "n", "type": "CCLOUD", "ccloud_config": {"ide_auth_callback_uri": "vscode-insiders://x.y/cb"}}),
                &[],
            ),
            case(
                "callback URI to a page on this machine",
                json!({"name": "n", "type": "CCLOUD", "ccloud_config": {"ide_auth_callback_uri": "http://127.0.0.1:8123/cb"}}),
                &[],
            ),
            case(
                "callback URI too long",
                json!({"name": "n", "type": "CCLOUD", "ccloud_config": {"ide_auth_callback_uri": format!("vscode://x/{}", long(246))}}),
                &[("ccloud_config.ide_auth_callback_uri", "IDE auth callback URI must be at most 256 characters, not 257")],
            ),
            case(
                "TLS off with a truststore and a keystore",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "ssl": {
                    "enabled": false, "truststore": {"path": "/t.pem", "type": "PEM"}, "keystore": {"path": "/k.p12", "type": "PKCS12"}}},
                    "schema_registry": {"uri": "https://r:1", "ssl": {"enabled": false, "truststore": {"path": "/t.pem"}}}}),
                &[
                    (
                        "kafka_cluster.ssl.truststore",
                        "A truststore needs TLS: set enabled to true (or remove it), or remove the truststore for a plaintext connection",
                    ),
                    (
                        "kafka_cluster.ssl.keystore",
                        "A keystore needs TLS: set enabled to true (or remove it), or remove the keystore for a plaintext connection",
                    ),
                    (
                        "schema_registry.ssl.truststore",
                        "A truststore needs TLS: set enabled to true (or remove it), or remove the truststore for a plaintext connection",
                    ),
                ],
            ),
            // local_config.
            case(
                "local Schema Registry URI with another scheme",
                json!({"name": "n", "type": "LOCAL", "local_config": {"schema_registry_uri": "ftp://localhost:8081"}}),
                &[("local_config.schema_registry_uri", "Local Schema Registry URI must use http or https, not 'ftp'")],
            ),
            case(
                "local Schema Registry URI without a scheme",
                json!({"name": "n", "type": "LOCAL", "local_config": {"schema_registry_uri": "localhost:8081"}}),
                &[("local_config.schema_registry_uri", "Local Schema Registry URI must start with http:// or https://")],
            ),
            // kafka_cluster.
            case(
                "bootstrap servers missing",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {}}),
                &[(
                    "kafka_cluster.bootstrap_servers",
                    "Bootstrap servers are required, as host:port entries separated by commas, such as localhost:9092",
                )],
            ),
            case(
                "bootstrap servers empty",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": ""}}),
                &[(
                    "kafka_cluster.bootstrap_servers",
                    "Bootstrap servers must not be blank: give host:port entries separated by commas",
                )],
            ),
            case(
                "bootstrap servers too long",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": format!("{}:9092", long(252))}}),
                &[(
                    "kafka_cluster.bootstrap_servers",
                    "The list of bootstrap servers must be at most 256 characters, not 257",
                )],
            ),
            case(
                "bootstrap servers with bad ports, each named",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "a:0, b:65536,c:abc,d:+9092,e:9092"}}),
                &[
                    (
                        "kafka_cluster.bootstrap_servers",
                        "Bootstrap server 'a:0' has an invalid port '0': use a number from 1 to 65535",
                    ),
                    (
                        "kafka_cluster.bootstrap_servers",
                        "Bootstrap server 'b:65536' has an invalid port '65536': use a number from 1 to 65535",
                    ),
                    (
                        "kafka_cluster.bootstrap_servers",
                        "Bootstrap server 'c:abc' has an invalid port 'abc': use a number from 1 to 65535",
                    ),
                    (
                        "kafka_cluster.bootstrap_servers",
                        "Bootstrap server 'd:+9092' has an invalid port '+9092': use a number from 1 to 65535",
                    ),
                ],
            ),
            case(
                "bootstrap server with an empty port or host",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:,:9092"}}),
                &[
                    (
                        "kafka_cluster.bootstrap_servers",
                        "Bootstrap server 'k:' has an invalid port '': use a number from 1 to 65535",
                    ),
                    (
                        "kafka_cluster.bootstrap_servers",
                        "Bootstrap server ':9092' needs a host before the port, such as localhost:9092",
                    ),
                ],
            ),
            case(
                "bootstrap servers with empty entries, reported once",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "a:1,,b:2, ,"}}),
                &[("kafka_cluster.bootstrap_servers", "Bootstrap servers have an empty entry: remove the extra comma")],
            ),
            case(
                "bootstrap servers with IPv6 mistakes",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "::1:9092,[::1:9092,[zz]:9092,[::1],[::1]9092"}}),
                &[
                    (
                        "kafka_cluster.bootstrap_servers",
                        "Bootstrap server '::1:9092' must put its IPv6 address in brackets, such as [::1]:9092",
                    ),
                    (
                        "kafka_cluster.bootstrap_servers",
                        "Bootstrap server '[::1:9092' must close its IPv6 address with a bracket, such as [::1]:9092",
                    ),
                    ("kafka_cluster.bootstrap_servers", "Bootstrap server '[zz]:9092' has an invalid IPv6 address 'zz'"),
                    (
                        "kafka_cluster.bootstrap_servers",
                        "Bootstrap server '[::1]' needs a port: write it as host:port, such as [::1]:9092",
                    ),
                    (
                        "kafka_cluster.bootstrap_servers",
                        "Bootstrap server '[::1]9092' needs a port: write it as host:port, such as [::1]9092:9092",
                    ),
                ],
            ),
            case(
                "bootstrap server written as a URL or with a bad host",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "SASL_SSL://broker:9092,my broker:9092"}}),
                &[
                    (
                        "kafka_cluster.bootstrap_servers",
                        "Bootstrap server 'SASL_SSL://broker:9092' must not start with 'SASL_SSL://': write only \
                         host:port, such as broker:9092",
                    ),
                    (
                        "kafka_cluster.bootstrap_servers",
                        "Bootstrap server 'my broker:9092' has an invalid host 'my broker': use a host name or an IP \
                         address",
                    ),
                ],
            ),
            case(
                "client id suffix too long",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "client_id_suffix": long(65)}}),
                &[("kafka_cluster.client_id_suffix", "Client id suffix must be at most 64 characters, not 65")],
            ),
            // schema_registry.
            case(
                "Schema Registry URI missing",
                json!({"name": "n", "type": "DIRECT", "schema_registry": {"id": "sr"}}),
                &[("schema_registry.uri", "Schema Registry URI is required, such as http://localhost:8081")],
            ),
            case(
                "Schema Registry URI blank",
                json!({"name": "n", "type": "DIRECT", "schema_registry": {"uri": "  "}}),
                &[("schema_registry.uri", "Schema Registry URI must not be blank")],
            ),
            case(
                "Schema Registry URI with another scheme",
                json!({"name": "n", "type": "DIRECT", "schema_registry": {"uri": "ftp://sr.example.com"}}),
                &[("schema_registry.uri", "Schema Registry URI must use http or https, not 'ftp'")],
            ),
            case(
                "Schema Registry URI that does not parse",
                json!({"name": "n", "type": "DIRECT", "schema_registry": {"uri": "http://sr:99999"}}),
                &[("schema_registry.uri", "Schema Registry URI is not a valid URI: invalid port number")],
            ),
            case(
                "Schema Registry URI too long",
                json!({"name": "n", "type": "DIRECT", "schema_registry": {"uri": format!("http://sr/{}", long(247))}}),
                &[("schema_registry.uri", "Schema Registry URI must be at most 256 characters, not 257")],
            ),
            case(
                "Schema Registry id too long",
                json!({"name": "n", "type": "DIRECT", "schema_registry": {"id": long(65), "uri": "http://sr"}}),
                &[("schema_registry.id", "Schema Registry id must be at most 64 characters, not 65")],
            ),
            case(
                "Schema Registry with SCRAM credentials",
                json!({"name": "n", "type": "DIRECT", "schema_registry": {"uri": "http://sr", "credentials": {
                    "hash_algorithm": "SCRAM_SHA_256", "scram_username": "u", "scram_password": "p"
                }}}),
                &[(
                    "schema_registry.credentials",
                    "SCRAM credentials are not supported for Schema Registry: use basic, API key or OAuth",
                )],
            ),
            case(
                "Schema Registry with incomplete Kerberos credentials",
                json!({"name": "n", "type": "DIRECT", "schema_registry": {"uri": "http://sr", "credentials": {"principal": "me"}}}),
                &[(
                    "schema_registry.credentials",
                    "Kerberos credentials are not supported for Schema Registry: use basic, API key or OAuth",
                )],
            ),
            case(
                "Schema Registry credentials with no known field",
                json!({"name": "n", "type": "DIRECT", "schema_registry": {"uri": "http://sr", "credentials": {}}}),
                &[(
                    "schema_registry.credentials",
                    "Credentials have no known field: send the fields of basic (username, password), API key \
                     (api_key, api_secret) or OAuth (tokens_url, client_id), or leave credentials out",
                )],
            ),
            // Kafka credentials: kinds.
            case(
                "Kafka credentials with only unknown fields",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {"type": "BASIC", "user": "u"}}}),
                &[(
                    "kafka_cluster.credentials",
                    "Credentials have no known field: send the fields of basic (username, password), API key \
                     (api_key, api_secret), SCRAM (hash_algorithm, scram_username, scram_password), OAuth \
                     (tokens_url, client_id) or Kerberos (principal, keytab_path), or leave credentials out",
                )],
            ),
            case(
                "Kafka credentials mixing two kinds",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {
                    "username": "u", "api_key": "k", "api_secret": "s"
                }}}),
                &[(
                    "kafka_cluster.credentials",
                    "Credentials mix fields of basic (username) and API key (api_key, api_secret): keep the fields of \
                     one kind only",
                )],
            ),
            case(
                "Kafka credentials mixing three kinds",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {
                    "password": "p", "scram_username": "u", "service_name": "kafka"
                }}}),
                &[(
                    "kafka_cluster.credentials",
                    "Credentials mix fields of basic (password), SCRAM (scram_username) and Kerberos (service_name): \
                     keep the fields of one kind only",
                )],
            ),
            // Basic.
            case(
                "basic credentials without a password",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {"username": "u"}}}),
                &[("kafka_cluster.credentials.password", "Password is required for basic credentials")],
            ),
            case(
                "basic credentials without a username",
                json!({"name": "n", "type": "DIRECT", "schema_registry": {"uri": "http://sr", "credentials": {"password": "p"}}}),
                &[("schema_registry.credentials.username", "Username is required for basic credentials")],
            ),
            case(
                "basic credentials with a blank username and an empty password",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {"username": " ", "password": ""}}}),
                &[
                    ("kafka_cluster.credentials.username", "Username must not be blank"),
                    ("kafka_cluster.credentials.password", "Password must not be empty"),
                ],
            ),
            case(
                "basic credentials too long",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {"username": long(97), "password": long(1025)}}}),
                &[
                    ("kafka_cluster.credentials.username", "Username must be at most 96 characters, not 97"),
                    ("kafka_cluster.credentials.password", "Password must be at most 1024 characters, not 1025"),
                ],
            ),
            case(
                "basic credentials with the mask and no stored password",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {"username": "u", "password": MASKED}}}),
                &[(
                    "kafka_cluster.credentials.password",
                    "Send the real password: \"********\" only stands for a secret already stored",
                )],
            ),
            // API key.
            case(
                "API key credentials without a secret, key too long",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {"api_key": long(97)}}}),
                &[
                    ("kafka_cluster.credentials.api_secret", "API secret is required for API key credentials"),
                    ("kafka_cluster.credentials.api_key", "API key must be at most 96 characters, not 97"),
                ],
            ),
            case(
                "API key credentials without a key, secret masked",
                json!({"name": "n", "type": "DIRECT", "schema_registry": {"uri": "http://sr", "credentials": {"api_secret": MASKED}}}),
                &[
                    ("schema_registry.credentials.api_key", "API key is required for API key credentials"),
                    (
                        "schema_registry.credentials.api_secret",
                        "Send the real API secret: \"********\" only stands for a secret already stored",
                    ),
                ],
            ),
            // SCRAM.
            case(
                "SCRAM credentials without a hash algorithm or a password",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {"scram_username": long(97)}}}),
                &[
                    (
                        "kafka_cluster.credentials.hash_algorithm",
                        "Hash algorithm (SCRAM_SHA_256 or SCRAM_SHA_512) is required for SCRAM credentials",
                    ),
                    ("kafka_cluster.credentials.scram_password", "SCRAM password is required for SCRAM credentials"),
                    ("kafka_cluster.credentials.scram_username", "SCRAM username must be at most 96 characters, not 97"),
                ],
            ),
            case(
                "SCRAM credentials with only a hash algorithm",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {"hash_algorithm": "SCRAM_SHA_256"}}}),
                &[
                    ("kafka_cluster.credentials.scram_username", "SCRAM username is required for SCRAM credentials"),
                    ("kafka_cluster.credentials.scram_password", "SCRAM password is required for SCRAM credentials"),
                ],
            ),
            case(
                "SCRAM credentials with a blank username and a masked password",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {
                    "hash_algorithm": "SCRAM_SHA_512", "scram_username": "", "scram_password": MASKED
                }}}),
                &[
                    ("kafka_cluster.credentials.scram_username", "SCRAM username must not be blank"),
                    (
                        "kafka_cluster.credentials.scram_password",
                        "Send the real SCRAM password: \"********\" only stands for a secret already stored",
                    ),
                ],
            ),
            // OAuth.
            case(
                "OAuth credentials without a tokens URL",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {"client_id": "c"}}}),
                &[("kafka_cluster.credentials.tokens_url", "Tokens URL is required for OAuth credentials")],
            ),
            case(
                "OAuth credentials with only a scope",
                json!({"name": "n", "type": "DIRECT", "schema_registry": {"uri": "http://sr", "credentials": {"scope": "s"}}}),
                &[
                    ("schema_registry.credentials.tokens_url", "Tokens URL is required for OAuth credentials"),
                    ("schema_registry.credentials.client_id", "Client id is required for OAuth credentials"),
                ],
            ),
            case(
                "OAuth credentials with every field wrong",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {
                    "tokens_url": "ftp://idp/token",
                    "client_id": long(257),
                    "client_secret": MASKED,
                    "scope": long(257),
                    "connect_timeout_millis": 3_600_001,
                    "ccloud_logical_cluster_id": long(65),
                    "ccloud_identity_pool_id": long(65)
                }}}),
                &[
                    ("kafka_cluster.credentials.client_id", "Client id must be at most 256 characters, not 257"),
                    ("kafka_cluster.credentials.scope", "Scope must be at most 256 characters, not 257"),
                    (
                        "kafka_cluster.credentials.ccloud_logical_cluster_id",
                        "CCloud logical cluster id must be at most 64 characters, not 65",
                    ),
                    (
                        "kafka_cluster.credentials.ccloud_identity_pool_id",
                        "CCloud identity pool id must be at most 64 characters, not 65",
                    ),
                    (
                        "kafka_cluster.credentials.client_secret",
                        "Send the real client secret: \"********\" only stands for a secret already stored",
                    ),
                    ("kafka_cluster.credentials.tokens_url", "Tokens URL must use http or https, not 'ftp'"),
                    (
                        "kafka_cluster.credentials.connect_timeout_millis",
                        "Connect timeout must be at most 3600000 milliseconds (one hour), not 3600001",
                    ),
                ],
            ),
            case(
                "OAuth credentials with a blank client id and an empty client secret",
                json!({"name": "n", "type": "DIRECT", "schema_registry": {"uri": "http://sr", "credentials": {
                    "tokens_url": "https://idp/token", "client_id": " ", "client_secret": ""
                }}}),
                &[
                    ("schema_registry.credentials.client_id", "Client id must not be blank"),
                    ("schema_registry.credentials.client_secret", "Client secret must not be empty"),
                ],
            ),
            // Kerberos.
            case(
                "Kerberos credentials without a keytab, service name blank",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {"principal": "me", "service_name": " "}}}),
                &[
                    ("kafka_cluster.credentials.keytab_path", "Keytab path is required for Kerberos credentials"),
                    ("kafka_cluster.credentials.service_name", "Service name must not be blank"),
                ],
            ),
            case(
                "Kerberos credentials too long",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {
                    "principal": long(257), "keytab_path": long(4097), "service_name": long(257)
                }}}),
                &[
                    ("kafka_cluster.credentials.principal", "Principal must be at most 256 characters, not 257"),
                    ("kafka_cluster.credentials.keytab_path", "Keytab path must be at most 4096 characters, not 4097"),
                    ("kafka_cluster.credentials.service_name", "Service name must be at most 256 characters, not 257"),
                ],
            ),
            case(
                "Kerberos credentials with a blank principal and keytab",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "credentials": {"principal": "", "keytab_path": "\t"}}}),
                &[
                    ("kafka_cluster.credentials.principal", "Principal must not be blank"),
                    ("kafka_cluster.credentials.keytab_path", "Keytab path must not be blank"),
                ],
            ),
            // ssl.
            case(
                "truststore and keystore without a path",
                json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "k:1", "ssl": {
                    "truststore": {"type": "PEM"}, "keystore": {"password": "p"}
                }}}),
                &[
                    ("kafka_cluster.ssl.truststore.path", "Truststore path is required: the file with the CAs to trust"),
                    (
                        "kafka_cluster.ssl.keystore.path",
                        "Keystore path is required: the file with the client certificate and key",
                    ),
                ],
            ),
            case(
                "store paths blank and too long",
                json!({"name": "n", "type": "DIRECT", "schema_registry": {"uri": "http://sr", "ssl": {
                    "truststore": {"path": long(4097)}, "keystore": {"path": " "}
                }}}),
                &[
                    ("schema_registry.ssl.truststore.path", "Truststore path must be at most 4096 characters, not 4097"),
                    ("schema_registry.ssl.keystore.path", "Keystore path must not be blank"),
                ],
            ),
            case(
                "store passwords masked, empty and too long",
                json!({"name": "n", "type": "DIRECT", "schema_registry": {"uri": "http://sr", "ssl": {
                    "truststore": {"path": "/ca", "password": MASKED},
                    "keystore": {"path": "/me", "password": "", "key_password": long(1025)}
                }}}),
                &[
                    (
                        "schema_registry.ssl.truststore.password",
                        "Send the real truststore password: \"********\" only stands for a secret already stored",
                    ),
                    ("schema_registry.ssl.keystore.password", "Keystore password must not be empty"),
                    ("schema_registry.ssl.keystore.key_password", "Key password must be at most 1024 characters, not 1025"),
                ],
            ),
            // Everything at once.
            case(
                "many problems in one spec, all reported",
                json!({
                    "id": "",
                    "name": "  ",
                    "type": "DIRECT",
                    "ccloud_config": {"organization_id": "not checked: the section is refused"},
                    "kafka_cluster": {
                        "bootstrap_servers": "broker,:9092",
                        "credentials": {"username": "u", "api_key": "k"},
                        "ssl": {"truststore": {}},
                        "client_id_suffix": long(65)
                    },
                    "schema_registry": {
                        "id": long(65),
                        "uri": "ftp://sr",
                        "credentials": {"username": "u", "password": MASKED},
                        "ssl": {"keystore": {"path": "", "password": ""}}
                    }
                }),
                &[
                    ("id", "Connection id must not be empty: leave it out to get a generated one"),
                    ("name", "Connection name must not be blank"),
                    ("ccloud_config", "CCloud configuration is not allowed when type is DIRECT"),
                    (
                        "kafka_cluster.bootstrap_servers",
                        "Bootstrap server 'broker' needs a port: write it as host:port, such as broker:9092",
                    ),
                    (
                        "kafka_cluster.bootstrap_servers",
                        "Bootstrap server ':9092' needs a host before the port, such as localhost:9092",
                    ),
                    (
                        "kafka_cluster.credentials",
                        "Credentials mix fields of basic (username) and API key (api_key): keep the fields of one kind \
                         only",
                    ),
                    ("kafka_cluster.ssl.truststore.path", "Truststore path is required: the file with the CAs to trust"),
                    ("kafka_cluster.client_id_suffix", "Client id suffix must be at most 64 characters, not 65"),
                    ("schema_registry.id", "Schema Registry id must be at most 64 characters, not 65"),
                    ("schema_registry.uri", "Schema Registry URI must use http or https, not 'ftp'"),
                    (
                        "schema_registry.credentials.password",
                        "Send the real password: \"********\" only stands for a secret already stored",
                    ),
                    ("schema_registry.ssl.keystore.path", "Keystore path must not be blank"),
                    ("schema_registry.ssl.keystore.password", "Keystore password must not be empty"),
                ],
            ),
        ]
    }

    #[test]
    fn every_case_reports_exactly_the_expected_problems() {
        let mut failures = Vec::new();
        for case in cases() {
            let actual: Vec<(String, String)> =
                run(&case).into_iter().map(|error| (error.source, error.detail)).collect();
            let expected: Vec<(String, String)> =
                case.expected.iter().map(|(source, detail)| (source.to_string(), detail.to_string())).collect();
            if actual != expected {
                failures.push(format!("case '{}'\n  expected: {expected:#?}\n  actual:   {actual:#?}", case.name));
            }
        }
        assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
    }

    #[test]
    fn there_are_enough_cases_with_distinct_names() {
        let cases = cases();
        let mut names: Vec<&str> = cases.iter().map(|case| case.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), cases.len(), "case names must be distinct");
        assert!(cases.len() >= 40);
    }

    #[test]
    fn details_are_sentences_without_a_trailing_period() {
        for case in cases() {
            for error in run(&case) {
                let first = error.detail.chars().next().expect("a detail is never empty");
                assert!(first.is_uppercase(), "case '{}': {:?} must start with a capital", case.name, error.detail);
                assert!(!error.detail.ends_with('.'), "case '{}': {:?} ends with a period", case.name, error.detail);
            }
        }
    }

    #[test]
    fn details_never_quote_a_secret() {
        let secret = format!("hunter2-{}", long(1020));
        let spec: ConnectionSpec = serde_json::from_value(json!({
            "name": "n",
            "type": "DIRECT",
            "kafka_cluster": {
                "bootstrap_servers": "k:1",
                "credentials": {"tokens_url": "https://idp/token", "client_id": "c", "client_secret": secret},
                "ssl": {"truststore": {"path": "/ca", "password": secret}}
            },
            "schema_registry": {"uri": "http://sr", "credentials": {"api_key": "k", "api_secret": secret}}
        }))
        .expect("the spec decodes");
        let errors = validate(&spec);
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(errors.iter().all(|error| !error.detail.contains("hunter2")), "{errors:#?}");
    }
}

/// The typed forms: what every accepted spec parses into, and that a wrong state cannot be had.
#[cfg(test)]
mod parse_tests {
    use serde_json::json;

    use super::*;

    fn spec(value: serde_json::Value) -> ConnectionSpec {
        serde_json::from_value(value).expect("the spec decodes")
    }

    #[test]
    fn every_spec_validation_accepts_parses_into_its_typed_form() {
        let mut parsed = 0;
        for case in tests::accepted_specs() {
            if let Some(cluster) = &case.kafka_cluster {
                assert!(parse_kafka_cluster(cluster).is_ok(), "{case:?}");
                parsed += 1;
            }
            if let Some(registry) = &case.schema_registry {
                assert!(parse_schema_registry(registry).is_ok(), "{case:?}");
                parsed += 1;
            }
        }
        assert!(parsed >= 3, "too few accepted specs name a cluster or a registry: {parsed}");
    }

    #[test]
    fn credentials_and_tls_become_one_typed_value() {
        let spec = spec(json!({"name": "n", "type": "DIRECT",
            "kafka_cluster": {"bootstrap_servers": "k:1",
                "credentials": {"scram_username": "u", "scram_password": "p", "hash_algorithm": "SCRAM_SHA_256"},
                "ssl": {"verify_hostname": false, "truststore": {"path": "/ca.pem", "type": "PEM"}}},
            "schema_registry": {"uri": "http://sr", "credentials": {"tokens_url": "https://idp/token", "client_id": "c",
                "connect_timeout_millis": 1500}}}));
        assert!(validate(&spec).is_empty());
        let cluster = parse_kafka_cluster(spec.kafka_cluster.as_ref().unwrap()).unwrap();
        assert!(matches!(
            &cluster.credentials,
            Some(ValidCredentials::Scram { algorithm: crate::protocol::HashAlgorithm::ScramSha256, username, .. })
                if username == "u"
        ));
        let tls = cluster.tls.expect("TLS is on unless disabled");
        assert!(!tls.verify_hostname);
        assert_eq!(
            tls.truststore.map(|store| (store.path, store.store_type)),
            Some(("/ca.pem".into(), StoreType::Pem))
        );
        let registry = parse_schema_registry(spec.schema_registry.as_ref().unwrap()).unwrap();
        let Some(RegistryCredentials::OAuth(oauth)) = registry.credentials else { panic!("{registry:?}") };
        assert_eq!(oauth.connect_timeout, Some(std::time::Duration::from_millis(1500)));
        assert_eq!(registry.tls, ValidTls::default());
        let plaintext = KafkaClusterConfig {
            bootstrap_servers: Some("k:1".into()),
            ssl: Some(TlsConfig { enabled: Some(false), ..Default::default() }),
            ..Default::default()
        };
        assert_eq!(parse_kafka_cluster(&plaintext).unwrap().tls, None);
    }

    #[test]
    fn what_validation_refuses_does_not_parse() {
        let kerberos = SchemaRegistryConfig {
            uri: Some("http://sr".into()),
            credentials: Some(Credentials {
                principal: Some("p".into()),
                keytab_path: Some("/k".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(parse_schema_registry(&kerberos).is_err(), "Kerberos is Kafka's alone");
        let half = KafkaClusterConfig {
            bootstrap_servers: Some("k:1".into()),
            credentials: Some(Credentials { username: Some("u".into()), ..Default::default() }),
            ..Default::default()
        };
        let problems = parse_kafka_cluster(&half).unwrap_err();
        assert_eq!(problems[0].detail, "Password is required for basic credentials");
    }
}

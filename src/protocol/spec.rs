//! The connection spec: what the user sets. Field names and limits follow the seed system.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize, Serializer};

/// Every limit on a spec's values, declared once: validation enforces them and `schema/` shows them
/// (`maxLength`), so a client can check before it sends.
pub mod limits {
    pub const ID_MAX: usize = 64;
    pub const NAME_MAX: usize = 64;
    pub const BOOTSTRAP_SERVERS_MAX: usize = 256;
    pub const CLIENT_ID_SUFFIX_MAX: usize = 64;
    pub const SCHEMA_REGISTRY_ID_MAX: usize = 64;
    pub const URI_MAX: usize = 256;
    pub const ORGANIZATION_ID_LEN: usize = 36;
    pub const USERNAME_MAX: usize = 96;
    pub const SECRET_MAX: usize = 1024;
    pub const CLIENT_ID_MAX: usize = 256;
    pub const SCOPE_MAX: usize = 256;
    pub const CCLOUD_ID_MAX: usize = 64;
    pub const PRINCIPAL_MAX: usize = 256;
    pub const SERVICE_NAME_MAX: usize = 256;
    pub const FILE_PATH_MAX: usize = 4096;
    pub const CONNECT_TIMEOUT_MILLIS_MAX: u64 = 3_600_000;
}

use limits::*;

/// What every response and event shows in place of a secret. Sending it back keeps the stored secret.
pub const MASK: &str = "********";

/// A secret (password, API secret, client secret, store password). It can be read from the wire
/// but never written to it: serializing and `Debug` always show [`MASK`], so no response, event or
/// log line can carry the real value by accident.
#[derive(Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Secret(#[schemars(length(min = 1, max = SECRET_MAX))] String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The real value, for the backends that must hand it to a Kafka client or an HTTP request.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether a client sent back the placeholder it was shown instead of a new value.
    pub fn is_mask(&self) -> bool {
        self.0 == MASK
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(MASK)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MASK)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ConnectionType {
    Local,
    Ccloud,
    Direct,
    Platform,
}

impl ConnectionType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "LOCAL",
            Self::Ccloud => "CCLOUD",
            Self::Direct => "DIRECT",
            Self::Platform => "PLATFORM",
        }
    }
}

/// The connection details that can be set or changed. Unknown fields are ignored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectionSpec {
    /// The unique identifier of the connection (1..64 characters); a UUID is generated when absent on create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = ID_MAX))]
    pub id: Option<String>,
    /// The user-supplied name of the connection (required, non-blank, at most 64 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    #[schemars(length(min = 1, max = NAME_MAX))]
    pub name: Option<String>,
    /// The type of connection. It cannot change on update.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub connection_type: Option<ConnectionType>,
    /// How to reach Confluent Cloud (CCLOUD only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ccloud_config: Option<CCloudConfig>,
    /// How to reach the local cluster (LOCAL only).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "local-config")]
    pub local_config: Option<LocalConfig>,
    /// How to reach a Kafka cluster (DIRECT, PLATFORM, and LOCAL to override discovery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka_cluster: Option<KafkaClusterConfig>,
    /// How to reach a Schema Registry (DIRECT, PLATFORM, LOCAL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_registry: Option<SchemaRegistryConfig>,
}

/// Configuration for Confluent Cloud connections.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CCloudConfig {
    /// The CCloud organization to use (a 36-character UUID); the user's default organization when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = ORGANIZATION_ID_LEN, max = ORGANIZATION_ID_LEN))]
    pub organization_id: Option<String>,
    /// Where the browser goes after sign-in, with `?success=true|false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = URI_MAX))]
    pub ide_auth_callback_uri: Option<String>,
}

/// Configuration for the local cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LocalConfig {
    /// The local Schema Registry. Absent: the default `http://localhost:8081`; empty: no Schema Registry.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "schema-registry-uri")]
    #[schemars(length(max = URI_MAX))]
    pub schema_registry_uri: Option<String>,
}

/// How to reach a Kafka cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KafkaClusterConfig {
    /// Comma-separated `host:port` list (1..256 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    #[schemars(length(min = 1, max = BOOTSTRAP_SERVERS_MAX))]
    pub bootstrap_servers: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Credentials>,
    /// TLS settings. Absent means TLS on with the system's CAs; `{"enabled": false}` means plaintext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl: Option<TlsConfig>,
    /// Appended to the Kafka client id, to tell this tool's clients apart in broker logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = CLIENT_ID_SUFFIX_MAX))]
    pub client_id_suffix: Option<String>,
}

/// How to reach a Schema Registry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SchemaRegistryConfig {
    /// An identifier for the Schema Registry (at most 64 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = SCHEMA_REGISTRY_ID_MAX))]
    pub id: Option<String>,
    /// The base URL, http or https (1..256 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    #[schemars(length(min = 1, max = URI_MAX))]
    pub uri: Option<String>,
    /// Basic, API key or OAuth credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Credentials>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl: Option<TlsConfig>,
}

/// Credentials, told apart by their fields:
/// basic `{username, password}`, API key `{api_key, api_secret}`,
/// SCRAM `{hash_algorithm, scram_username, scram_password}`,
/// OAuth client credentials `{tokens_url, client_id, client_secret?, scope?, connect_timeout_millis?,
/// ccloud_logical_cluster_id?, ccloud_identity_pool_id?}`,
/// Kerberos `{principal, keytab_path, service_name?}` (Kafka only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Credentials {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = USERNAME_MAX))]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = USERNAME_MAX))]
    pub api_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_secret: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_algorithm: Option<HashAlgorithm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = USERNAME_MAX))]
    pub scram_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scram_password: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = URI_MAX))]
    pub tokens_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = CLIENT_ID_MAX))]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = SCOPE_MAX))]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = CONNECT_TIMEOUT_MILLIS_MAX))]
    pub connect_timeout_millis: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = CCLOUD_ID_MAX))]
    pub ccloud_logical_cluster_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = CCLOUD_ID_MAX))]
    pub ccloud_identity_pool_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = PRINCIPAL_MAX))]
    pub principal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = FILE_PATH_MAX))]
    pub keytab_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = SERVICE_NAME_MAX))]
    pub service_name: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum HashAlgorithm {
    #[serde(rename = "SCRAM_SHA_256")]
    ScramSha256,
    #[serde(rename = "SCRAM_SHA_512")]
    ScramSha512,
}

/// TLS settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TlsConfig {
    /// Whether to use TLS (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Whether to check that the server certificate matches the host name (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_hostname: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truststore: Option<TrustStore>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystore: Option<KeyStore>,
}

impl TlsConfig {
    pub fn is_enabled(config: Option<&TlsConfig>) -> bool {
        config.and_then(|tls| tls.enabled).unwrap_or(true)
    }
}

/// The CAs to trust.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TrustStore {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    #[schemars(length(min = 1, max = FILE_PATH_MAX))]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// JKS, PKCS12 or PEM (default JKS, as in the seed system).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub store_type: Option<StoreType>,
}

/// The client certificate and key, for mutual TLS.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KeyStore {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    #[schemars(length(min = 1, max = FILE_PATH_MAX))]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// JKS, PKCS12 or PEM (default JKS, as in the seed system).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub store_type: Option<StoreType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_password: Option<Secret>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum StoreType {
    #[serde(rename = "JKS")]
    Jks,
    #[serde(rename = "PKCS12")]
    Pkcs12,
    #[serde(rename = "PEM")]
    Pem,
}

//! What validation leaves of a spec: typed forms in which a wrong state cannot be written, so that
//! no backend works out again what kind of credentials it holds or defaults a required field.

use std::time::Duration;

use crate::protocol::{HashAlgorithm, Secret, StoreType};

/// Credentials of exactly one kind, with the fields that kind requires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValidCredentials {
    Basic {
        username: String,
        password: Secret,
    },
    ApiKey {
        key: String,
        secret: Secret,
    },
    Scram {
        algorithm: HashAlgorithm,
        username: String,
        password: Secret,
    },
    OAuth(OAuthCredentials),
    /// Kafka only (see [`RegistryCredentials`]).
    Kerberos {
        principal: String,
        keytab_path: String,
        service_name: Option<String>,
    },
}

/// OAuth 2.0 client credentials: where to get a token and as whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthCredentials {
    pub tokens_url: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub scope: Option<String>,
    pub connect_timeout: Option<Duration>,
    pub ccloud_logical_cluster_id: Option<String>,
    pub ccloud_identity_pool_id: Option<String>,
}

impl ValidCredentials {
    /// Who logs in, for messages.
    pub fn user(&self) -> &str {
        match self {
            Self::Basic { username, .. } | Self::Scram { username, .. } => username,
            Self::ApiKey { key, .. } => key,
            Self::OAuth(oauth) => &oauth.client_id,
            Self::Kerberos { principal, .. } => principal,
        }
    }
}

/// A Kafka cluster as a check reaches it.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidKafkaCluster {
    pub bootstrap_servers: String,
    pub credentials: Option<ValidCredentials>,
    /// `Some` when TLS is on (the spec's settings, or the defaults when it gave none); `None` for plaintext.
    pub tls: Option<ValidTls>,
    pub client_id_suffix: Option<String>,
}

impl ValidKafkaCluster {
    /// A cluster reached in plaintext without credentials, as LOCAL discovery finds one.
    pub fn plaintext(servers: &str) -> Self {
        Self { bootstrap_servers: servers.to_string(), credentials: None, tls: None, client_id_suffix: None }
    }
}

/// The credentials Schema Registry takes: Basic, API key or OAuth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryCredentials {
    Basic {
        username: String,
        password: Secret,
    },
    ApiKey {
        key: String,
        secret: Secret,
    },
    OAuth(OAuthCredentials),
    /// A Confluent Cloud environment's registry: the session's data-plane token as bearer, and the
    /// registry's id (`lsrc-...`) in the `target-sr-cluster` header, as Confluent's Java helper sends.
    CCloud {
        token: super::ccloud::SecretToken,
        registry_id: String,
    },
}

impl RegistryCredentials {
    /// The credentials of these kinds; `None` for SCRAM and Kerberos, which are Kafka's alone.
    pub fn from_valid(credentials: ValidCredentials) -> Option<Self> {
        match credentials {
            ValidCredentials::Basic { username, password } => Some(Self::Basic { username, password }),
            ValidCredentials::ApiKey { key, secret } => Some(Self::ApiKey { key, secret }),
            ValidCredentials::OAuth(oauth) => Some(Self::OAuth(oauth)),
            ValidCredentials::Scram { .. } | ValidCredentials::Kerberos { .. } => None,
        }
    }
}

/// A Schema Registry as a check reaches it. Whether TLS is used follows the URI's scheme.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidSchemaRegistry {
    pub uri: String,
    pub credentials: Option<RegistryCredentials>,
    /// The TLS settings for an https URI.
    pub tls: ValidTls,
}

/// TLS settings: the hostname check and the stores, each with its path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidTls {
    /// Whether the server certificate must match the host name.
    pub verify_hostname: bool,
    /// The CAs to trust; the system's when absent.
    pub truststore: Option<ValidTrustStore>,
    /// The client certificate and key, for mutual TLS.
    pub keystore: Option<ValidKeyStore>,
}

impl Default for ValidTls {
    /// The hostname checked, the system's CAs trusted, no client certificate.
    fn default() -> Self {
        Self { verify_hostname: true, truststore: None, keystore: None }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidTrustStore {
    pub path: String,
    pub password: Option<Secret>,
    /// JKS when the spec gives none, as in the seed system.
    pub store_type: StoreType,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidKeyStore {
    pub path: String,
    pub password: Option<Secret>,
    /// JKS when the spec gives none, as in the seed system.
    pub store_type: StoreType,
    /// The store password when absent, as Java's tools do.
    pub key_password: Option<Secret>,
}

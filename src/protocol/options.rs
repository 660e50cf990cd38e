//! `initializationOptions`: every endpoint, port, interval and timeout, with the production defaults.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Options an editor (or a test) may pass in `initialize.initializationOptions`.
/// Unknown keys are ignored; a wrong type fails `initialize`. Seconds may be fractional.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct InitializationOptions {
    /// The longest a single check of one connection may take.
    pub check_timeout_seconds: f64,
    pub direct: DirectOptions,
    pub local: LocalOptions,
    pub ccloud: CCloudOptions,
    /// The shared store: connections and Confluent Cloud sessions kept across restarts and shared
    /// by every sidecar given the same directory. Off by default.
    pub store: StoreOptions,
}

/// `store`: where connections and sessions outlive the process (README "Shared store").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct StoreOptions {
    pub enabled: bool,
    /// An absolute path; default `$XDG_STATE_HOME/ide-sidecar` (else `~/.local/state/ide-sidecar`).
    pub directory: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct DirectOptions {
    pub refresh_interval_seconds: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct LocalOptions {
    pub refresh_interval_seconds: f64,
    /// The Confluent Local REST proxy that LOCAL discovery asks first; empty skips it.
    pub kafka_rest_uri: String,
    /// The plain broker LOCAL discovery tries when the REST proxy finds nothing; empty skips it.
    pub bootstrap_servers: String,
    /// The Schema Registry of LOCAL connections without `local_config.schema_registry_uri`; empty means none.
    pub schema_registry_uri: String,
}

/// Confluent Cloud sign-in: the endpoints (production by default; tests and staging point them
/// elsewhere), the loopback callback port and the session's timing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct CCloudOptions {
    /// How often a signed-in session is checked with `GET /api/check_jwt`.
    pub refresh_interval_seconds: f64,
    /// The OAuth 2.0 authorization endpoint the browser is sent to.
    pub authorize_uri: String,
    /// The OAuth 2.0 token endpoint (authorization code and refresh grants).
    pub token_uri: String,
    /// The Confluent Cloud control plane: `/api/sessions`, `/api/access_tokens`, `/api/check_jwt`.
    pub control_plane_uri: String,
    /// The public OAuth client id.
    pub client_id: String,
    /// The port of the loopback redirect URI `http://127.0.0.1:<port>/gateway/v1/callback-vscode-docs`.
    pub callback_port: u16,
    /// How long the control-plane and data-plane tokens live; they are refreshed before that.
    pub token_lifetime_seconds: f64,
    /// How long after sign-in the session may be refreshed; then the user signs in again.
    pub absolute_lifetime_seconds: f64,
    /// How long the callback listener waits for the browser after `ccloud/signIn`.
    pub sign_in_timeout_seconds: f64,
}

impl Default for InitializationOptions {
    fn default() -> Self {
        Self {
            check_timeout_seconds: 10.0,
            direct: DirectOptions::default(),
            local: LocalOptions::default(),
            ccloud: CCloudOptions::default(),
            store: StoreOptions::default(),
        }
    }
}

impl Default for DirectOptions {
    fn default() -> Self {
        Self { refresh_interval_seconds: 15.0 }
    }
}

impl Default for LocalOptions {
    fn default() -> Self {
        Self {
            refresh_interval_seconds: 5.0,
            kafka_rest_uri: "http://localhost:8082".into(),
            bootstrap_servers: "localhost:9092".into(),
            schema_registry_uri: "http://localhost:8081".into(),
        }
    }
}

impl Default for CCloudOptions {
    fn default() -> Self {
        Self {
            refresh_interval_seconds: 5.0,
            authorize_uri: "https://login.confluent.io/oauth/authorize".into(),
            token_uri: "https://login.confluent.io/oauth/token".into(),
            control_plane_uri: "https://confluent.cloud".into(),
            client_id: "Q93zdbI3FnltpEa9G1gg6tiMuoDDBkwS".into(),
            callback_port: 26636,
            token_lifetime_seconds: 300.0,
            absolute_lifetime_seconds: 28800.0,
            sign_in_timeout_seconds: 300.0,
        }
    }
}

impl InitializationOptions {
    /// Problems that serde's types cannot express: durations must be positive and finite.
    /// Each item is `(json path, message)`.
    pub fn problems(&self) -> Vec<(String, String)> {
        let durations = [
            ("check_timeout_seconds", self.check_timeout_seconds),
            ("direct.refresh_interval_seconds", self.direct.refresh_interval_seconds),
            ("local.refresh_interval_seconds", self.local.refresh_interval_seconds),
            ("ccloud.refresh_interval_seconds", self.ccloud.refresh_interval_seconds),
            ("ccloud.token_lifetime_seconds", self.ccloud.token_lifetime_seconds),
            ("ccloud.absolute_lifetime_seconds", self.ccloud.absolute_lifetime_seconds),
            ("ccloud.sign_in_timeout_seconds", self.ccloud.sign_in_timeout_seconds),
        ];
        let mut problems: Vec<(String, String)> = durations
            .into_iter()
            .filter(|(_, seconds)| !(seconds.is_finite() && *seconds > 0.0 && *seconds <= 31_536_000.0))
            .map(|(path, _)| {
                (path.to_string(), "must be a number of seconds greater than 0 and at most one year".to_string())
            })
            .collect();
        // Empty skips that step of local discovery (or, for the registry, means none).
        let local_uris = [
            ("local.kafka_rest_uri", &self.local.kafka_rest_uri),
            ("local.schema_registry_uri", &self.local.schema_registry_uri),
        ];
        for (path, uri) in local_uris {
            let valid = uri.is_empty()
                || url::Url::parse(uri).is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.has_host());
            if !valid {
                problems.push((path.to_string(), "must be an http or https URI, or empty".to_string()));
            }
        }
        let ccloud_uris = [
            ("ccloud.authorize_uri", &self.ccloud.authorize_uri),
            ("ccloud.token_uri", &self.ccloud.token_uri),
            ("ccloud.control_plane_uri", &self.ccloud.control_plane_uri),
        ];
        for (path, uri) in ccloud_uris {
            let valid =
                url::Url::parse(uri).is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.has_host());
            if !valid {
                problems.push((path.to_string(), "must be an http or https URI".to_string()));
            }
        }
        if self.ccloud.callback_port == 0 {
            problems.push(("ccloud.callback_port".to_string(), "must be a port number from 1 to 65535".to_string()));
        }
        if self.store.directory.as_deref().is_some_and(|directory| !std::path::Path::new(directory).is_absolute()) {
            problems.push(("store.directory".to_string(), "must be an absolute path".to_string()));
        }
        if self.ccloud.client_id.trim().is_empty() {
            problems.push(("ccloud.client_id".to_string(), "must not be empty".to_string()));
        }
        problems
    }
}

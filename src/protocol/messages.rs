//! Params, results and notifications of every method, as they travel on the wire.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::spec::ConnectionSpec;
use super::status::ConnectionStatus;

/// A connection: what the user set (`spec`) and what the sidecar observes (`status`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Connection {
    pub id: String,
    pub metadata: ConnectionMetadata,
    pub spec: ConnectionSpec,
    pub status: ConnectionStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectionMetadata {
    /// Where the user signs in to Confluent Cloud (CCLOUD connections only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_uri: Option<String>,
    /// Grows with every change to the connection (spec or status), across replies and events: a
    /// client keeps the connection with the highest revision it has seen, so a reply that arrives
    /// after a newer event never overwrites it. 0 for a dry run's result, which is never stored.
    #[serde(default)]
    pub revision: u64,
}

/// Params of `connections/list`: an empty object.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListParams {}

/// Result of `connections/list`, in creation order.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ListResult {
    pub data: Vec<Connection>,
}

/// Params of `connections/get`, `connections/delete` and `connections/refresh`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct IdParams {
    pub id: String,
}

/// Params of `connections/create`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct CreateParams {
    pub spec: ConnectionSpec,
    /// Validate and check once; store nothing and send no events.
    #[serde(default)]
    pub dry_run: bool,
}

/// Params of `connections/update`: the spec is replaced whole.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct UpdateParams {
    pub id: String,
    pub spec: ConnectionSpec,
    /// Check the spec as the update would store it (masked secrets keep their stored values) once;
    /// store nothing and send no events.
    #[serde(default)]
    pub dry_run: bool,
}

/// Params of `connections/patch`: a JSON merge patch (RFC 7386) on the stored spec.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct PatchParams {
    pub id: String,
    pub patch: serde_json::Value,
    /// Check the patched spec once (masked secrets keep their stored values); store nothing and
    /// send no events.
    #[serde(default)]
    pub dry_run: bool,
}

/// Params of `ccloud/signIn`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct SignInParams {
    /// The CCLOUD connection to sign in.
    pub id: String,
    /// Whether the sidecar asks the editor to open the URI in the browser (`window/showDocument`,
    /// only when the editor declared support for it). Default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_browser: Option<bool>,
}

/// Result of `ccloud/signIn`: where the user signs in. The sidecar listens for the browser's
/// redirect until the sign-in completes or its time limit passes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SignInResult {
    pub sign_in_uri: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum EventAction {
    /// The connection was created.
    Created,
    /// Its spec changed.
    Updated,
    /// It was deleted; nothing about it follows.
    Deleted,
    /// Its status changed and some component is `SUCCESS`.
    Connected,
    /// Its status changed and no component is `SUCCESS`.
    Disconnected,
}

/// The `connections/event` notification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectionEvent {
    pub action: EventAction,
    pub connection: Connection,
}

/// One problem with a request, with the JSON path of the field it concerns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorDetail {
    /// JSON path of the field, such as `kafka_cluster.credentials.password`; empty for the whole request.
    pub source: String,
    pub detail: String,
}

/// `data` of an invalid-params error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorData {
    pub errors: Vec<ErrorDetail>,
}

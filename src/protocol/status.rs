//! The connection status: what the sidecar observes, exactly the seed's model.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The state of one component of a connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ConnectedState {
    #[default]
    None,
    Attempting,
    Success,
    Expired,
    Failed,
}

/// The legacy token status, derived from `ccloud` for clients that have not migrated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthenticationStatus {
    NoToken,
    ValidToken,
    InvalidToken,
    Failed,
}

impl From<ConnectedState> for AuthenticationStatus {
    fn from(state: ConnectedState) -> Self {
        match state {
            ConnectedState::None | ConnectedState::Attempting => Self::NoToken,
            ConnectedState::Success => Self::ValidToken,
            ConnectedState::Expired => Self::InvalidToken,
            ConnectedState::Failed => Self::Failed,
        }
    }
}

/// Information about the authenticated principal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UserInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub social_connection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<String>,
}

/// One problem, with whether trying again later may help.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AuthError {
    pub message: String,
    pub is_transient: bool,
}

/// Errors by the phase they happened in. Kafka and Schema Registry checks report under `auth_status_check`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AuthErrors {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<AuthError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_refresh: Option<AuthError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_status_check: Option<AuthError>,
}

/// The status related to Confluent Cloud.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CCloudStatus {
    pub state: ConnectedState,
    /// When the user must sign in again (RFC 3339), once signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_authentication_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<AuthErrors>,
}

/// The status related to the Kafka cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KafkaClusterStatus {
    pub state: ConnectedState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<AuthErrors>,
    /// The cluster id the cluster reported (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    /// The bootstrap servers the check reached, while `state` is SUCCESS (read-only): for LOCAL
    /// connections the ones discovery found, otherwise those of the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_servers: Option<String>,
}

/// The status related to the Schema Registry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SchemaRegistryStatus {
    pub state: ConnectedState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<AuthErrors>,
}

/// The legacy status object, derived from `ccloud`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Authentication {
    pub status: AuthenticationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_authentication_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<AuthErrors>,
}

impl Authentication {
    /// The seed's mapping: `NONE, ATTEMPTING -> NO_TOKEN`, `SUCCESS -> VALID_TOKEN`,
    /// `EXPIRED -> INVALID_TOKEN`, `FAILED -> FAILED`; `NO_TOKEN` without a `ccloud` component.
    pub fn derive(ccloud: Option<&CCloudStatus>) -> Self {
        match ccloud {
            Some(ccloud) => Self {
                status: ccloud.state.into(),
                requires_authentication_at: ccloud.requires_authentication_at.clone(),
                user: ccloud.user.clone(),
                errors: ccloud.errors.clone(),
            },
            None => Self {
                status: AuthenticationStatus::NoToken,
                requires_authentication_at: None,
                user: None,
                errors: None,
            },
        }
    }
}

/// The status of a connection: one object per component it has, plus the derived `authentication`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectionStatus {
    pub authentication: Authentication,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ccloud: Option<CCloudStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka_cluster: Option<KafkaClusterStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_registry: Option<SchemaRegistryStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication_follows_every_ccloud_state() {
        let cases = [
            (ConnectedState::None, AuthenticationStatus::NoToken),
            (ConnectedState::Attempting, AuthenticationStatus::NoToken),
            (ConnectedState::Success, AuthenticationStatus::ValidToken),
            (ConnectedState::Expired, AuthenticationStatus::InvalidToken),
            (ConnectedState::Failed, AuthenticationStatus::Failed),
        ];
        for (state, expected) in cases {
            let ccloud = CCloudStatus {
                state,
                requires_authentication_at: Some("2026-11-28T20:00:00Z".into()),
                user: Some(UserInfo { username: Some("alice@example.com".into()), ..Default::default() }),
                errors: Some(AuthErrors {
                    auth_status_check: Some(AuthError { message: "m".into(), is_transient: true }),
                    ..Default::default()
                }),
            };
            let auth = Authentication::derive(Some(&ccloud));
            assert_eq!(auth.status, expected, "{state:?}");
            assert_eq!(auth.requires_authentication_at, ccloud.requires_authentication_at);
            assert_eq!(auth.user, ccloud.user);
            assert_eq!(auth.errors, ccloud.errors);
            let json = serde_json::to_value(&auth).unwrap();
            assert_eq!(json["status"], serde_json::to_value(expected).unwrap());
        }
        let none = serde_json::to_value(Authentication::derive(None)).unwrap();
        assert_eq!(none, serde_json::json!({"status": "NO_TOKEN"}));
    }
}

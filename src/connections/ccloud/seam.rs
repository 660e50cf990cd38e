//! The seam between the core and the IO of Confluent Cloud sign-in: the [`CCloud`] trait the
//! backend implements (`backends::ccloud` is the real one), and the values that cross it. Tokens
//! cross as [`SecretToken`]s, which cannot be printed or serialized.

use std::sync::Arc;
use std::time::Duration;

use super::super::BoxFuture;
use crate::protocol::UserInfo;

/// A token or another sign-in secret (authorization code, PKCE verifier). It lives in memory only:
/// it cannot be serialized, and `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the request header or body that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretToken(********)")
    }
}

/// A fresh OAuth 2.0 authorization request: the URI the user opens (with the PKCE challenge and
/// `state`), and the verifier that must accompany the code it yields.
#[derive(Clone, Debug)]
pub struct AuthorizationRequest {
    pub sign_in_uri: String,
    pub state: String,
    pub verifier: SecretToken,
}

/// What the browser brought back to the loopback redirect URI.
#[derive(Clone, Debug, Default)]
pub struct CallbackQuery {
    pub state: Option<String>,
    pub code: Option<SecretToken>,
    /// Set when the authorization server refused (`access_denied`, say).
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// What happened to a callback, for the page the browser is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// Signed in; `redirect_to` is the connection's `ide_auth_callback_uri`, if any.
    SignedIn { redirect_to: Option<String> },
    /// The sign-in failed, for the reason the connection's status now shows.
    Failed { message: String, redirect_to: Option<String> },
    /// No pending sign-in has this `state` (or there was none): nothing changed.
    UnknownState,
}

/// Called by the loopback listener for each redirect it receives.
pub type CallbackHandler = Arc<dyn Fn(CallbackQuery) -> BoxFuture<CallbackOutcome> + Send + Sync>;

/// A running loopback listener. Dropping it stops listening and frees the port (a callback being
/// answered at that moment is still answered).
pub struct CallbackListener(#[allow(dead_code)] Box<dyn Send + Sync>);

impl CallbackListener {
    pub fn new(guard: impl Send + Sync + 'static) -> Self {
        Self(Box::new(guard))
    }
}

/// What the token endpoint gave: the ID token that opens a control-plane session, and the
/// refresh token (at sign-in; on refresh, a rotated one, or `None` to keep the current one).
#[derive(Clone, Debug)]
pub struct IdTokens {
    pub id_token: SecretToken,
    pub refresh_token: Option<SecretToken>,
}

/// A control-plane session: its tokens and who is signed in.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub control_plane: SecretToken,
    pub data_plane: SecretToken,
    pub user: UserInfo,
    /// The organization the session is in, as Confluent Cloud reported it (`None` when it did not).
    pub organization_id: Option<String>,
}

/// Which call of the chain a [`CCloudError`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CCloudStep {
    /// Binding the loopback listener.
    Listen,
    /// The token endpoint (authorization code or refresh grant).
    Token,
    /// `POST /api/sessions`, which also chooses the organization.
    Session,
    /// `POST /api/access_tokens`.
    AccessToken,
    /// `GET /api/check_jwt`.
    CheckSession,
}

/// Why a call to Confluent Cloud failed, in words for the user.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CCloudError {
    pub step: CCloudStep,
    pub message: String,
    /// Network trouble or a server error: trying again later may help.
    pub transient: bool,
}

/// What `check_jwt` said about the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionCheck {
    Valid,
    /// The session is no longer valid, with the reason Confluent Cloud gave.
    Invalid(String),
}

/// The IO of Confluent Cloud sign-in. Calls must give up by `timeout` (the manager also enforces
/// it) and must never log a token.
pub trait CCloud: Send + Sync + 'static {
    /// A new authorization request (PKCE verifier and challenge, `state`, the sign-in URI).
    fn authorization_request(&self) -> AuthorizationRequest;
    /// Starts listening for the browser's redirect; an error when the port cannot be bound.
    fn listen(&self, on_callback: CallbackHandler) -> Result<CallbackListener, CCloudError>;
    /// The authorization code grant, with the PKCE verifier of the request that yielded the code.
    fn exchange_code(
        &self,
        code: SecretToken,
        verifier: SecretToken,
        timeout: Duration,
    ) -> BoxFuture<Result<IdTokens, CCloudError>>;
    /// The refresh token grant. A refused refresh token is not transient.
    fn refresh_grant(&self, refresh_token: SecretToken, timeout: Duration) -> BoxFuture<Result<IdTokens, CCloudError>>;
    /// Opens a control-plane session in `organization_id` (the user's default organization when
    /// `None`) and gets its data-plane token. An organization Confluent Cloud refuses is a
    /// non-transient error of the [`CCloudStep::Session`] step.
    fn open_session(
        &self,
        id_token: SecretToken,
        organization_id: Option<String>,
        timeout: Duration,
    ) -> BoxFuture<Result<SignedIn, CCloudError>>;
    /// Asks the control plane whether the session is still valid.
    fn check_session(
        &self,
        control_plane_token: SecretToken,
        timeout: Duration,
    ) -> BoxFuture<Result<SessionCheck, CCloudError>>;
}

/// The sign-in timing, from `initializationOptions.ccloud`.
#[derive(Clone, Debug)]
pub struct CCloudSettings {
    pub token_lifetime: Duration,
    pub absolute_lifetime: Duration,
    pub sign_in_timeout: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_token_never_shows_in_debug() {
        let token = SecretToken::new("very-secret");
        assert!(!format!("{token:?}").contains("very-secret"));
        let request = AuthorizationRequest {
            sign_in_uri: "https://x".into(),
            state: "s".into(),
            verifier: SecretToken::new("verifier-secret"),
        };
        assert!(!format!("{request:?}").contains("verifier-secret"));
    }
}

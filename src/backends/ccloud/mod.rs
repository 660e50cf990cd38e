//! Confluent Cloud sign-in, the IO half: the OAuth 2.0 authorization request with PKCE, the code
//! and refresh grants at the token endpoint (the `oauth2` crate), the control plane's session
//! exchange (`POST /api/sessions`, whose `auth_token` cookie is the control-plane token),
//! `POST /api/access_tokens` (the data-plane token) and `GET /api/check_jwt`, and the loopback
//! listener that receives the browser's redirect ([`callback`]).
//!
//! Every message says which call failed and what the server said. Tokens are never logged.

mod callback;
pub mod resources;
pub mod rest;

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::Duration;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AsyncHttpClient, AuthType, AuthUrl, AuthorizationCode, ClientId, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, HttpClientError, HttpRequest, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use callback::{CALLBACK_PATH, CALLBACK_TIMEOUT};

use crate::connections::ccloud::{
    AuthorizationRequest, CCloud, CCloudError, CCloudStep, CallbackHandler, CallbackListener, IdTokens, SecretToken,
    SessionCheck, SignedIn,
};
use crate::connections::BoxFuture;
use crate::protocol::options::CCloudOptions;
use crate::protocol::UserInfo;

/// The scopes Confluent Cloud's public client asks for: `offline_access` brings the refresh token.
const SCOPES: [&str; 3] = ["email", "openid", "offline_access"];

/// The real Confluent Cloud (or whatever `initializationOptions.ccloud` points at).
#[derive(Clone, Debug)]
pub struct CCloudClient {
    authorize_url: AuthUrl,
    token_url: TokenUrl,
    redirect_url: RedirectUrl,
    client_id: ClientId,
    /// The control plane's base URI, without a trailing slash.
    control_plane: String,
    callback_port: u16,
}

/// The token endpoint's answer: the standard fields plus OpenID Connect's `id_token`.
#[derive(Clone, Deserialize, Serialize)]
struct IdTokenField {
    #[serde(default)]
    id_token: Option<String>,
}

impl std::fmt::Debug for IdTokenField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdTokenField { .. }")
    }
}

impl ExtraTokenFields for IdTokenField {}

type IdTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

type OidcClient<HasAuthUrl = EndpointNotSet, HasTokenUrl = EndpointNotSet> = oauth2::Client<
    BasicErrorResponse,
    IdTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    HasAuthUrl,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    HasTokenUrl,
>;

enum Grant {
    Code { code: SecretToken, verifier: SecretToken },
    Refresh(SecretToken),
}

impl CCloudClient {
    /// Checks the endpoints (an error names the option and says what is wrong).
    pub fn new(options: &CCloudOptions) -> Result<Self, (String, String)> {
        let bad = |path: &str| (format!("ccloud.{path}"), "must be an http or https URI".to_string());
        let control_plane = url::Url::parse(&options.control_plane_uri)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| bad("control_plane_uri"))?;
        Ok(Self {
            authorize_url: AuthUrl::new(options.authorize_uri.clone()).map_err(|_| bad("authorize_uri"))?,
            token_url: TokenUrl::new(options.token_uri.clone()).map_err(|_| bad("token_uri"))?,
            redirect_url: RedirectUrl::new(redirect_uri(options.callback_port))
                .map_err(|_| ("ccloud.callback_port".to_string(), "must be a port number".to_string()))?,
            client_id: ClientId::new(options.client_id.clone()),
            control_plane: control_plane.as_str().trim_end_matches('/').to_string(),
            callback_port: options.callback_port,
        })
    }

    fn oidc_client(&self) -> OidcClient<EndpointSet, EndpointSet> {
        OidcClient::new(self.client_id.clone())
            .set_auth_uri(self.authorize_url.clone())
            .set_token_uri(self.token_url.clone())
            .set_redirect_uri(self.redirect_url.clone())
            // A public client: the client id goes in the body, and there is no secret.
            .set_auth_type(AuthType::RequestBody)
    }

    /// The code or refresh grant. A rejected refresh token is not transient: the user must sign in.
    async fn token_grant(&self, grant: Grant, timeout: Duration) -> Result<IdTokens, CCloudError> {
        let token_uri = self.token_url.as_str().to_string();
        let http = http_client(timeout).map_err(|reason| token_error(&token_uri, reason, true))?;
        // oauth2 does not say what HTTP status a response it could not parse came with; keep it,
        // to tell a server in trouble (5xx, transient) from one that answers nonsense.
        let status = Arc::new(AtomicU16::new(0));
        let seen = status.clone();
        let send = move |request: HttpRequest| {
            let http = http.clone();
            let seen = seen.clone();
            async move {
                let response: Result<oauth2::HttpResponse, HttpClientError<reqwest::Error>> = http.call(request).await;
                if let Ok(response) = &response {
                    seen.store(response.status().as_u16(), Ordering::SeqCst);
                }
                response
            }
        };
        let client = self.oidc_client();
        let (what, result) = match grant {
            Grant::Code { code, verifier } => (
                "the sign-in code",
                client
                    .exchange_code(AuthorizationCode::new(code.expose().to_string()))
                    .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose().to_string()))
                    .request_async(&send)
                    .await,
            ),
            Grant::Refresh(refresh_token) => (
                "the refresh token",
                client
                    .exchange_refresh_token(&RefreshToken::new(refresh_token.expose().to_string()))
                    .request_async(&send)
                    .await,
            ),
        };
        let server_trouble = status.load(Ordering::SeqCst) >= 500;
        let response = result.map_err(|error| match error {
            RequestTokenError::ServerResponse(response) => {
                let mut reason = response.error().to_string();
                if let Some(description) = response.error_description() {
                    reason = format!("{reason} ({description})");
                }
                let message = format!("Confluent Cloud's token endpoint {token_uri} refused {what}: {reason}");
                CCloudError { step: CCloudStep::Token, message, transient: server_trouble }
            }
            RequestTokenError::Request(error) => {
                token_error(&token_uri, format!("cannot reach it: {}", super::error_chain(&error)), true)
            }
            RequestTokenError::Parse(error, _) => token_error(
                &token_uri,
                format!("it answered with something that is not a token response ({error})"),
                server_trouble,
            ),
            RequestTokenError::Other(reason) => token_error(
                &token_uri,
                format!("it answered with something that is not a token response ({reason})"),
                server_trouble,
            ),
        })?;
        let id_token = response.extra_fields().id_token.clone().filter(|token| !token.is_empty()).ok_or_else(|| {
            token_error(&token_uri, "it answered without an id_token (the scope openid was not granted)".into(), false)
        })?;
        Ok(IdTokens {
            id_token: SecretToken::new(id_token),
            refresh_token: response.refresh_token().map(|token| SecretToken::new(token.secret().clone())),
        })
    }

    /// The token chain after the token endpoint: session (control-plane token, user), then the
    /// data-plane token.
    async fn session_chain(
        &self,
        id_token: SecretToken,
        organization_id: Option<String>,
        timeout: Duration,
    ) -> Result<SignedIn, CCloudError> {
        let http = http_client(timeout).map_err(|reason| CCloudError {
            step: CCloudStep::Session,
            message: format!("Cannot reach Confluent Cloud: {reason}"),
            transient: true,
        })?;
        let (control_plane, user, organization_id) = self.create_session(&http, &id_token, organization_id).await?;
        let data_plane = self.access_token(&http, &control_plane).await?;
        Ok(SignedIn { control_plane, data_plane, user, organization_id })
    }

    /// `POST /api/sessions {id_token, org_resource_id?}`: the control-plane token arrives in the
    /// `auth_token` cookie, the user and the organization (`organization.resource_id`) in the body.
    async fn create_session(
        &self,
        http: &reqwest::Client,
        id_token: &SecretToken,
        organization_id: Option<String>,
    ) -> Result<(SecretToken, UserInfo, Option<String>), CCloudError> {
        let url = format!("{}/api/sessions", self.control_plane);
        let call = format!("POST {url}");
        let mut body = serde_json::json!({ "id_token": id_token.expose() });
        if let Some(organization_id) = organization_id {
            body["org_resource_id"] = Value::from(organization_id);
        }
        let response = http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await;
        let (status, headers, body) = read(response, CCloudStep::Session, &call).await?;
        let body = json_body(&body, status, CCloudStep::Session, &call)?;
        if let Some(error) = server_error(&body) {
            return Err(CCloudError {
                step: CCloudStep::Session,
                message: format!("Confluent Cloud refused to open a session ({call} answered HTTP {status}): {error}"),
                transient: status >= 500,
            });
        }
        unexpected_status(status, CCloudStep::Session, &call)?;
        let token = headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(|cookie| {
                let (name, value) = cookie.split(';').next()?.split_once('=')?;
                (name.trim() == "auth_token" && !value.trim().is_empty()).then(|| value.trim().to_string())
            })
            .ok_or_else(|| CCloudError {
                step: CCloudStep::Session,
                message: format!(
                    "Confluent Cloud did not hand out a control-plane token: {call} answered without the auth_token cookie"
                ),
                transient: false,
            })?;
        let organization_id = body.pointer("/organization/resource_id").and_then(Value::as_str).map(str::to_string);
        Ok((SecretToken::new(token), user_info(body.get("user")), organization_id))
    }

    /// `POST /api/access_tokens {}` with the control-plane token: the data-plane token.
    async fn access_token(
        &self,
        http: &reqwest::Client,
        control_plane: &SecretToken,
    ) -> Result<SecretToken, CCloudError> {
        let url = format!("{}/api/access_tokens", self.control_plane);
        let call = format!("POST {url}");
        let response = http
            .post(&url)
            .bearer_auth(control_plane.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body("{}")
            .send()
            .await;
        let (status, _, body) = read(response, CCloudStep::AccessToken, &call).await?;
        let body = json_body(&body, status, CCloudStep::AccessToken, &call)?;
        if let Some(error) = server_error(&body) {
            return Err(CCloudError {
                step: CCloudStep::AccessToken,
                message: format!("Confluent Cloud refused a data-plane token ({call} answered HTTP {status}): {error}"),
                transient: status >= 500,
            });
        }
        unexpected_status(status, CCloudStep::AccessToken, &call)?;
        match body.get("token").and_then(Value::as_str).filter(|token| !token.is_empty()) {
            Some(token) => Ok(SecretToken::new(token)),
            None => Err(CCloudError {
                step: CCloudStep::AccessToken,
                message: format!(
                    "Confluent Cloud did not hand out a data-plane token: {call} answered without a token"
                ),
                transient: false,
            }),
        }
    }

    /// `GET /api/check_jwt` with the control-plane token: valid when `error` is null.
    async fn check_jwt(&self, control_plane: SecretToken, timeout: Duration) -> Result<SessionCheck, CCloudError> {
        let url = format!("{}/api/check_jwt", self.control_plane);
        let call = format!("GET {url}");
        let http = http_client(timeout).map_err(|reason| CCloudError {
            step: CCloudStep::CheckSession,
            message: format!("Cannot reach Confluent Cloud: {reason}"),
            transient: true,
        })?;
        let response = http.get(&url).bearer_auth(control_plane.expose()).send().await;
        let (status, _, body) = read(response, CCloudStep::CheckSession, &call).await?;
        let body = serde_json::from_slice::<Value>(&body).ok().filter(Value::is_object);
        let error = body.as_ref().and_then(server_error);
        match (status, error) {
            (200..=299, None) if body.is_some() => Ok(SessionCheck::Valid),
            (500.., error) => Err(CCloudError {
                step: CCloudStep::CheckSession,
                message: format!(
                    "Confluent Cloud could not check the session ({call} answered HTTP {status}{}); trying again",
                    error.map(|error| format!(": {error}")).unwrap_or_default()
                ),
                transient: true,
            }),
            (401 | 403, None) => Ok(SessionCheck::Invalid(format!(
                "Confluent Cloud says the session is no longer valid ({call} answered HTTP {status}): sign in again"
            ))),
            (_, Some(error)) => Ok(SessionCheck::Invalid(format!(
                "Confluent Cloud says the session is no longer valid ({error}): sign in again"
            ))),
            (_, None) => Err(CCloudError {
                step: CCloudStep::CheckSession,
                message: format!(
                    "Confluent Cloud answered {call} with something that is not a session check (HTTP {status})"
                ),
                transient: false,
            }),
        }
    }
}

/// The loopback redirect URI registered for the client.
pub fn redirect_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}{CALLBACK_PATH}")
}

impl CCloud for CCloudClient {
    fn authorization_request(&self) -> AuthorizationRequest {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.oidc_client();
        let mut request = client.authorize_url(CsrfToken::new_random).set_pkce_challenge(challenge);
        for scope in SCOPES {
            request = request.add_scope(Scope::new(scope.to_string()));
        }
        let (url, state) = request.url();
        AuthorizationRequest {
            sign_in_uri: url.to_string(),
            state: state.secret().clone(),
            verifier: SecretToken::new(verifier.secret().clone()),
        }
    }

    fn listen(&self, on_callback: CallbackHandler) -> Result<CallbackListener, CCloudError> {
        callback::listen(self.callback_port, on_callback)
    }

    fn exchange_code(
        &self,
        code: SecretToken,
        verifier: SecretToken,
        timeout: Duration,
    ) -> BoxFuture<Result<IdTokens, CCloudError>> {
        let client = self.clone();
        Box::pin(async move { client.token_grant(Grant::Code { code, verifier }, timeout).await })
    }

    fn refresh_grant(&self, refresh_token: SecretToken, timeout: Duration) -> BoxFuture<Result<IdTokens, CCloudError>> {
        let client = self.clone();
        Box::pin(async move { client.token_grant(Grant::Refresh(refresh_token), timeout).await })
    }

    fn open_session(
        &self,
        id_token: SecretToken,
        organization_id: Option<String>,
        timeout: Duration,
    ) -> BoxFuture<Result<SignedIn, CCloudError>> {
        let client = self.clone();
        Box::pin(async move { client.session_chain(id_token, organization_id, timeout).await })
    }

    fn check_session(
        &self,
        control_plane_token: SecretToken,
        timeout: Duration,
    ) -> BoxFuture<Result<SessionCheck, CCloudError>> {
        let client = self.clone();
        Box::pin(async move { client.check_jwt(control_plane_token, timeout).await })
    }
}

/// A `Retry-After` header in seconds (the form Confluent Cloud sends); `None` when absent or a date.
fn retry_after(response: &reqwest::Response) -> Option<u64> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    value.to_str().ok()?.trim().parse().ok()
}

fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        // A redirect would carry the bearer token elsewhere; the control plane never needs one.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("ide-sidecar/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| error.to_string())
}

fn token_error(token_uri: &str, reason: String, transient: bool) -> CCloudError {
    CCloudError {
        step: CCloudStep::Token,
        message: format!("Confluent Cloud's token endpoint {token_uri} failed: {reason}"),
        transient,
    }
}

/// Status, headers and body of a control-plane call; a network failure is transient.
async fn read(
    response: Result<reqwest::Response, reqwest::Error>,
    step: CCloudStep,
    call: &str,
) -> Result<(u16, reqwest::header::HeaderMap, Vec<u8>), CCloudError> {
    let unreachable = |error: reqwest::Error| CCloudError {
        step,
        message: format!("Cannot reach Confluent Cloud ({call}): {}", super::error_chain(&error)),
        transient: true,
    };
    let response = response.map_err(unreachable)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(unreachable)?;
    Ok((status, headers, body.to_vec()))
}

/// The body as JSON; anything else is the server's trouble (5xx, transient) or nonsense.
fn json_body(body: &[u8], status: u16, step: CCloudStep, call: &str) -> Result<Value, CCloudError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ if status >= 500 => Err(CCloudError {
            step,
            message: format!("Confluent Cloud is having trouble: {call} answered HTTP {status}; try again later"),
            transient: true,
        }),
        _ => Err(CCloudError {
            step,
            message: format!(
                "Confluent Cloud answered {call} with something that is not a JSON object (HTTP {status})"
            ),
            transient: false,
        }),
    }
}

/// Refuses a status that is neither a success nor explained by an `error` in the body.
fn unexpected_status(status: u16, step: CCloudStep, call: &str) -> Result<(), CCloudError> {
    match status {
        200..=299 => Ok(()),
        _ => Err(CCloudError {
            step,
            message: format!("Confluent Cloud answered {call} with HTTP {status}"),
            transient: status >= 500,
        }),
    }
}

/// The control plane's `error` (`null` when all is well): `{code, message}` or a string.
fn server_error(body: &Value) -> Option<String> {
    match body.get("error")? {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        error => match error.get("message").and_then(Value::as_str) {
            Some(message) => Some(message.to_string()),
            None => Some(error.to_string()),
        },
    }
}

/// The session's `user`: `resource_id` is the user's id and `email` the user name.
fn user_info(user: Option<&Value>) -> UserInfo {
    let field = |name: &str| user.and_then(|user| user.get(name)).and_then(Value::as_str).map(str::to_string);
    UserInfo {
        id: field("resource_id").or_else(|| field("id")),
        username: field("email"),
        first_name: field("first_name"),
        last_name: field("last_name"),
        social_connection: field("social_connection").filter(|value| !value.is_empty()),
        auth_type: field("auth_type"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> CCloudClient {
        let options = CCloudOptions { callback_port: 26636, ..CCloudOptions::default() };
        CCloudClient::new(&options).unwrap()
    }

    #[test]
    fn the_sign_in_uri_carries_pkce_state_client_redirect_and_scopes() {
        let request = client().authorization_request();
        let url = url::Url::parse(&request.sign_in_uri).unwrap();
        assert_eq!(url.as_str().split('?').next(), Some("https://login.confluent.io/oauth/authorize"));
        let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["client_id"], "Q93zdbI3FnltpEa9G1gg6tiMuoDDBkwS");
        assert_eq!(query["redirect_uri"], "http://127.0.0.1:26636/gateway/v1/callback-vscode-docs");
        assert_eq!(query["scope"], "email openid offline_access");
        assert_eq!(query["code_challenge_method"], "S256");
        assert_eq!(query["state"], request.state);
        let challenge =
            PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(request.verifier.expose().to_string()));
        assert_eq!(query["code_challenge"], challenge.as_str());
        let other = client().authorization_request();
        assert_ne!(other.state, request.state, "every request has its own state");
        assert_ne!(other.verifier, request.verifier, "and its own verifier");
    }

    #[test]
    fn user_info_comes_from_the_session_user() {
        let user = serde_json::json!({"id": 12, "resource_id": "u-abc", "email": "alice@example.com",
            "first_name": "Alice", "last_name": "Liddell", "social_connection": "", "auth_type": "AUTH_TYPE_LOCAL"});
        let info = user_info(Some(&user));
        assert_eq!(info.id.as_deref(), Some("u-abc"));
        assert_eq!(info.username.as_deref(), Some("alice@example.com"));
        assert_eq!(info.social_connection, None);
        assert_eq!(info.auth_type.as_deref(), Some("AUTH_TYPE_LOCAL"));
    }

    #[test]
    fn server_errors_are_read_from_the_body() {
        assert_eq!(server_error(&serde_json::json!({"error": null})), None);
        assert_eq!(
            server_error(&serde_json::json!({"error": {"code": 401, "message": "Unauthorized"}})).as_deref(),
            Some("Unauthorized")
        );
        assert_eq!(server_error(&serde_json::json!({"error": "nope"})).as_deref(), Some("nope"));
        assert_eq!(server_error(&serde_json::json!({"error": {"code": 7}})).as_deref(), Some("{\"code\":7}"));
    }
}

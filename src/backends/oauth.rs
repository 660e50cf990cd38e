//! OAuth 2.0 client credentials: the bearer tokens that Kafka (SASL/OAUTHBEARER) and Schema Registry
//! credentials with a `tokens_url` ask for, fetched with the `oauth2` crate and cached per client
//! until shortly before they expire.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, RequestTokenError, Scope, TokenResponse, TokenUrl};

use crate::connections::OAuthCredentials;
use crate::connections::Outcome;

/// A token no one has said the lifetime of is reused for this long.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);
/// A cached token is renewed this long before it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(30);

/// A bearer token and when it stops being valid.
#[derive(Clone)]
pub struct Token {
    /// Secret: goes into a request header or a Kafka client and nowhere else.
    pub access_token: String,
    pub expires_at: Instant,
    pub lifetime: Duration,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("The token endpoint '{url}' rejected the client '{client_id}': {reason}")]
    Rejected { url: String, client_id: String, reason: String },
    #[error("Cannot reach the token endpoint '{url}': {reason}")]
    Unreachable { url: String, reason: String },
    #[error("The token endpoint '{url}' answered with something that is not a token response: {reason}")]
    BadResponse { url: String, reason: String },
    #[error("The tokens_url '{url}' is not a valid URL")]
    BadUrl { url: String },
}

impl TokenError {
    pub fn into_outcome(self) -> Outcome {
        let transient = matches!(self, Self::Unreachable { .. });
        Outcome::failed(self.to_string(), transient)
    }
}

/// The cache key: everything that makes a token request distinct (the secret included, so a
/// changed secret never reuses a token; the key is never logged).
type Key = (String, String, String, String);

/// The tokens fetched so far, until shortly before they expire. Owned by the checks that use them
/// (`RealChecks`), not a process global.
#[derive(Default)]
pub struct TokenCache {
    tokens: Mutex<HashMap<Key, Token>>,
}

impl TokenCache {
    /// A token for these credentials, from the cache or the token endpoint.
    pub async fn token(&self, credentials: &OAuthCredentials, timeout: Duration) -> Result<Token, TokenError> {
        let url = credentials.tokens_url.clone();
        let client_id = credentials.client_id.clone();
        // Both are optional: "" stands for absent, in the cache key and in the request.
        let secret = credentials.client_secret.as_ref().map(|s| s.expose().to_string()).unwrap_or_default();
        let scope = credentials.scope.clone().unwrap_or_default();
        let key = (url.clone(), client_id.clone(), secret.clone(), scope.clone());
        {
            let cached = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(token) = cached.get(&key).filter(|t| t.expires_at > Instant::now() + RENEW_BEFORE) {
                return Ok(token.clone());
            }
        }
        let token = fetch(&url, &client_id, &secret, &scope, credentials.connect_timeout, timeout).await?;
        let mut cached = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        // Expired tokens go, so that the cache holds only what is still of use.
        cached.retain(|_, token| token.expires_at > Instant::now());
        cached.insert(key, token.clone());
        Ok(token)
    }
}

async fn fetch(
    url: &str,
    client_id: &str,
    secret: &str,
    scope: &str,
    connect_timeout: Option<Duration>,
    timeout: Duration,
) -> Result<Token, TokenError> {
    let token_url = TokenUrl::new(url.to_string()).map_err(|_| TokenError::BadUrl { url: url.to_string() })?;
    let mut client = BasicClient::new(ClientId::new(client_id.to_string()))
        .set_token_uri(token_url)
        // Most identity providers accept the client secret in the body; it also works without one.
        .set_auth_type(AuthType::RequestBody);
    if !secret.is_empty() {
        client = client.set_client_secret(ClientSecret::new(secret.to_string()));
    }
    let connect_timeout = connect_timeout.unwrap_or(timeout).min(timeout);
    let http = oauth2::reqwest::Client::builder()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(connect_timeout)
        .build()
        .map_err(|e| TokenError::Unreachable { url: url.to_string(), reason: e.to_string() })?;
    let mut request = client.exchange_client_credentials();
    for scope in scope.split_whitespace() {
        request = request.add_scope(Scope::new(scope.to_string()));
    }
    let response = request.request_async(&http).await.map_err(|error| match error {
        RequestTokenError::ServerResponse(response) => {
            let mut reason = response.error().to_string();
            if let Some(description) = response.error_description() {
                reason = format!("{reason} ({description})");
            }
            TokenError::Rejected { url: url.to_string(), client_id: client_id.to_string(), reason }
        }
        RequestTokenError::Request(error) => {
            TokenError::Unreachable { url: url.to_string(), reason: super::error_chain(&error) }
        }
        RequestTokenError::Parse(error, _) => {
            TokenError::BadResponse { url: url.to_string(), reason: error.to_string() }
        }
        RequestTokenError::Other(reason) => TokenError::BadResponse { url: url.to_string(), reason },
    })?;
    let lifetime = response.expires_in().unwrap_or(DEFAULT_LIFETIME);
    tracing::debug!(url, client_id, lifetime = ?lifetime, "got a token");
    Ok(Token {
        access_token: response.access_token().secret().clone(),
        expires_at: Instant::now() + lifetime,
        lifetime,
    })
}

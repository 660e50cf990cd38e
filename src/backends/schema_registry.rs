//! The Schema Registry check: an authenticated `GET /schemas/types`, the cheapest call every
//! Confluent-compatible Schema Registry answers.

use std::time::Duration;

use super::{oauth, tls};
use crate::connections::{Outcome, RegistryCredentials, ValidSchemaRegistry};

/// Checks a Schema Registry with one HTTP request (OAuth tokens from `tokens`).
pub async fn check(tokens: &oauth::TokenCache, target: &ValidSchemaRegistry, timeout: Duration) -> Outcome {
    let base = target.uri.trim_end_matches('/');
    let url = format!("{base}/schemas/types");
    // Reading the stores may take half the check's time, so that a file that cannot be read is
    // reported as such rather than as a check that timed out.
    let material = match tls::load(&target.tls, timeout / 2).await {
        Ok(material) => material,
        Err(error) => return Outcome::failed(error.to_string(), error.is_transient()),
    };
    let client = match client(target, &material, timeout) {
        Ok(client) => client,
        Err(outcome) => return outcome,
    };
    let mut request = client.get(&url).header("Accept", "application/vnd.schemaregistry.v1+json, application/json");
    match &target.credentials {
        Some(RegistryCredentials::Basic { username, password }) => {
            request = request.basic_auth(username, Some(password.expose()));
        }
        Some(RegistryCredentials::ApiKey { key, secret }) => {
            request = request.basic_auth(key, Some(secret.expose()));
        }
        Some(RegistryCredentials::OAuth(oauth)) => match tokens.token(oauth, timeout).await {
            Ok(token) => request = request.bearer_auth(&token.access_token),
            Err(error) => return error.into_outcome(),
        },
        None => {}
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => return explain_request_error(base, &error, material.trust.is_some(), timeout),
    };
    let status = response.status();
    let body = response.bytes().await.unwrap_or_default();
    match status.as_u16() {
        200 => match serde_json::from_slice::<Vec<String>>(&body) {
            Ok(_) => Outcome::Success { cluster_id: None, bootstrap_servers: None },
            Err(_) => Outcome::failed(
                format!("'{base}' is not a Schema Registry: GET /schemas/types answered, but not with a list of schema types; check the URI"),
                false,
            ),
        },
        404 => Outcome::failed(
            format!("'{base}' is not a Schema Registry: GET /schemas/types answered HTTP 404; check the URI (it is the registry's base URL)"),
            false,
        ),
        401 => Outcome::failed(
            format!("The Schema Registry at '{base}' rejected the credentials (HTTP 401): check the username and password or API key and secret"),
            false,
        ),
        403 => Outcome::failed(
            format!("The Schema Registry at '{base}' refused access (HTTP 403): the credentials are valid but lack permission"),
            false,
        ),
        code if status.is_server_error() => Outcome::failed(
            format!("The Schema Registry at '{base}' answered HTTP {code}: it is having trouble; try again later"),
            true,
        ),
        code => Outcome::failed(
            format!("The Schema Registry at '{base}' answered HTTP {code} to GET /schemas/types: check the URI"),
            false,
        ),
    }
}

/// The HTTP client for a registry, with the material its TLS stores hold (no IO here).
fn client(
    target: &ValidSchemaRegistry,
    material: &tls::TlsMaterial,
    timeout: Duration,
) -> Result<reqwest::Client, Outcome> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("ide-sidecar/", env!("CARGO_PKG_VERSION")));
    if !target.tls.verify_hostname {
        builder = builder.danger_accept_invalid_hostnames(true);
    }
    if let Some(trust) = &material.trust {
        let certificates = reqwest::Certificate::from_pem_bundle(trust.ca_pem.as_bytes()).map_err(|error| {
            Outcome::failed(format!("The truststore's certificates are not usable: {error}"), false)
        })?;
        // Only the truststore's CAs are trusted, as for Kafka.
        builder = builder.tls_built_in_root_certs(false);
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    if let Some(identity) = &material.identity {
        let identity = reqwest::Identity::from_pkcs8_pem(identity.chain_pem.as_bytes(), identity.key_pem.as_bytes())
            .map_err(|error| {
                Outcome::failed(format!("The keystore's certificate and key are not usable: {error}"), false)
            })?;
        builder = builder.identity(identity);
    }
    builder.build().map_err(|error| Outcome::failed(format!("Cannot create an HTTP client: {error}"), false))
}

/// Turns a failed request into a message that says what to fix. `truststore`: whether the spec
/// sets one (else the system's CAs are trusted).
fn explain_request_error(base: &str, error: &reqwest::Error, truststore: bool, timeout: Duration) -> Outcome {
    let chain = super::error_chain(error);
    let lower = chain.to_ascii_lowercase();
    if error.is_timeout() {
        return Outcome::failed(
            format!(
                "Timed out after {} waiting for the Schema Registry at '{base}' to answer: check the URI and that it is reachable",
                crate::connections::human_duration(timeout)
            ),
            true,
        );
    }
    if lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || lower.contains("name or service not known")
    {
        return Outcome::failed(
            format!("Cannot resolve the host name of the Schema Registry URI '{base}': check the spelling, or your DNS or VPN ({chain})"),
            true,
        );
    }
    if lower.contains("connection refused") {
        return Outcome::failed(
            format!("Connection refused by '{base}': no Schema Registry is listening there; check the URI and that it is running"),
            true,
        );
    }
    if lower.contains("certificate") || lower.contains("ssl") || lower.contains("tls") || lower.contains("handshake") {
        let why = if lower.contains("hostname mismatch") || lower.contains("does not match") {
            "the certificate does not match the host name (set verify_hostname to false only for testing)"
        } else if lower.contains("verify failed")
            || lower.contains("unknown ca")
            || lower.contains("self-signed")
            || lower.contains("issuer")
        {
            if truststore {
                "the server's certificate is not signed by a CA in the truststore; add the CA to the truststore"
            } else {
                "the server's certificate is not signed by a CA this system trusts; set ssl.truststore.path to a truststore that holds its CA"
            }
        } else if lower.contains("wrong version number") || lower.contains("packet length") {
            "the server does not seem to speak TLS; use an http:// URI"
        } else {
            "check the truststore and the server's TLS settings"
        };
        return Outcome::failed(
            format!("TLS handshake with the Schema Registry at '{base}' failed: {why} ({chain})"),
            false,
        );
    }
    Outcome::failed(format!("Cannot reach the Schema Registry at '{base}': {chain}"), true)
}

//! An HTTP client for one Confluent-compatible Schema Registry: the REST calls of the data plane
//! (subjects, versions, schemas by id, register, lookup, compatibility, config, deletes), with the
//! connection's credentials and TLS. The status check ([`crate::backends::schema_registry`]) sends its
//! request through the same client, so that both say the same words about the same failure.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::backends::{oauth, tls};
use crate::connections::{Outcome, RegistryCredentials, ValidSchemaRegistry};

/// A schema as the registry holds it. `subject` and `version` are known when it was read by subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredSchema {
    pub subject: Option<String>,
    pub version: Option<i32>,
    pub id: u32,
    /// `AVRO`, `PROTOBUF` or `JSON` (the registry leaves it out for Avro).
    pub schema_type: String,
    pub schema: String,
    pub references: Vec<SchemaReference>,
}

/// A schema's reference to another: its name in the schema (a Protobuf import path, an Avro or JSON
/// Schema name) and the subject and version that hold it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SchemaReference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// A schema to register, look up or check: `{schema, schemaType, references}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSchema {
    pub schema_type: String,
    pub schema: String,
    pub references: Vec<SchemaReference>,
}

/// Which version of a subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionRef {
    Latest,
    Number(i32),
}

impl std::fmt::Display for VersionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Latest => f.write_str("latest"),
            Self::Number(number) => write!(f, "{number}"),
        }
    }
}

/// Why a registry call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The registry answered with an error: its HTTP status and its body's `error_code` and `message`,
    /// kept as the registry wrote them. Shown as the check words a 401, 403 or 5xx.
    #[error("{}", self.explained())]
    Refused { base: String, status: u16, error_code: i64, message: String },
    /// It could not be reached (or answered something that is not the registry's JSON), in the words
    /// of the connection's status check.
    #[error("{message}")]
    Unreachable { message: String, transient: bool },
}

impl RegistryError {
    fn explained(&self) -> String {
        match self {
            Self::Refused { base, status, message, .. } => {
                explain_status(base, *status).map(|(words, _)| words).unwrap_or_else(|| message.clone())
            }
            Self::Unreachable { message, .. } => message.clone(),
        }
    }

    /// The failure as a check's outcome.
    pub fn into_outcome(self) -> Outcome {
        match self {
            Self::Refused { base, status, ref message, .. } => match explain_status(&base, status) {
                Some((words, transient)) => Outcome::failed(words, transient),
                None => {
                    Outcome::failed(format!("The Schema Registry at '{base}' refused the request: {message}"), false)
                }
            },
            Self::Unreachable { message, transient } => Outcome::failed(message, transient),
        }
    }
}

/// What a status says about the registry as a whole (credentials, permissions, health), in the words
/// of the status check, and whether trying again may help; `None` for a refusal of this one request.
pub fn explain_status(base: &str, status: u16) -> Option<(String, bool)> {
    match status {
        401 => Some((
            format!("The Schema Registry at '{base}' rejected the credentials (HTTP 401): check the username and password or API key and secret"),
            false,
        )),
        403 => Some((
            format!("The Schema Registry at '{base}' refused access (HTTP 403): the credentials are valid but lack permission"),
            false,
        )),
        500..=599 => Some((
            format!("The Schema Registry at '{base}' answered HTTP {status}: it is having trouble; try again later"),
            true,
        )),
        _ => None,
    }
}

/// A registry's client: one reqwest client (its connection pool and TLS material) for every request.
pub struct RegistryClient {
    /// The URI without a trailing slash, for messages.
    base: String,
    url: url::Url,
    http: reqwest::Client,
    credentials: Option<RegistryCredentials>,
    tokens: Arc<oauth::TokenCache>,
    /// Whether the spec names a truststore (else the system's CAs are trusted), for TLS messages.
    truststore: bool,
}

/// The registry's error body.
#[derive(Deserialize)]
struct ErrorBody {
    error_code: Option<i64>,
    message: Option<String>,
}

/// A schema as `GET /schemas/ids/{id}` and `GET /subjects/{s}/versions/{v}` answer it.
#[derive(Deserialize)]
struct SchemaBody {
    subject: Option<String>,
    version: Option<i32>,
    id: Option<u32>,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    schema: String,
    #[serde(default)]
    references: Vec<ReferenceBody>,
}

#[derive(Deserialize)]
struct ReferenceBody {
    name: String,
    subject: String,
    version: i32,
}

impl SchemaBody {
    fn into_schema(self, id: Option<u32>) -> RegisteredSchema {
        RegisteredSchema {
            subject: self.subject,
            version: self.version,
            id: self.id.or(id).unwrap_or_default(),
            schema_type: self.schema_type.unwrap_or_else(|| "AVRO".into()),
            schema: self.schema,
            references: self
                .references
                .into_iter()
                .map(|r| SchemaReference { name: r.name, subject: r.subject, version: r.version })
                .collect(),
        }
    }
}

impl RegistryClient {
    /// Reads the TLS stores (within half of `timeout`) and builds the client. A failure says why in
    /// the words of the status check.
    pub async fn connect(
        target: &ValidSchemaRegistry,
        tokens: Arc<oauth::TokenCache>,
        timeout: Duration,
    ) -> Result<Self, RegistryError> {
        let base = target.uri.trim_end_matches('/').to_string();
        let url = url::Url::parse(&base).map_err(|error| RegistryError::Unreachable {
            message: format!("The Schema Registry URI '{base}' is not a valid URL: {error}"),
            transient: false,
        })?;
        // Reading the stores may take half the time, so that a file that cannot be read is reported
        // as such rather than as a request that timed out.
        let material = tls::load(&target.tls, timeout / 2).await.map_err(|error| RegistryError::Unreachable {
            message: error.to_string(),
            transient: error.is_transient(),
        })?;
        let http = http_client(target, &material)?;
        Ok(Self {
            base,
            url,
            http,
            credentials: target.credentials.clone(),
            tokens,
            truststore: material.trust.is_some(),
        })
    }

    /// The registry's URI, for messages.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// One request: `segments` are the path's parts (escaped here), `query` its parameters. Answers
    /// the status and body of any answer, or why there was none.
    pub async fn send(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<(u16, Vec<u8>), RegistryError> {
        let mut url = self.url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().map(|(key, value)| (*key, value.as_str())));
        }
        let mut request = self
            .http
            .request(method, url)
            .timeout(timeout)
            .header("Accept", "application/vnd.schemaregistry.v1+json, application/json");
        if let Some(body) = body {
            request = request.header("Content-Type", "application/vnd.schemaregistry.v1+json").body(body.to_string());
        }
        request = match &self.credentials {
            Some(RegistryCredentials::Basic { username, password }) => {
                request.basic_auth(username, Some(password.expose()))
            }
            Some(RegistryCredentials::ApiKey { key, secret }) => request.basic_auth(key, Some(secret.expose())),
            Some(RegistryCredentials::OAuth(oauth)) => match self.tokens.token(oauth, timeout).await {
                Ok(token) => request.bearer_auth(&token.access_token),
                Err(error) => {
                    let transient = matches!(error, oauth::TokenError::Unreachable { .. });
                    return Err(RegistryError::Unreachable { message: error.to_string(), transient });
                }
            },
            Some(RegistryCredentials::CCloud { token, registry_id }) => {
                request.bearer_auth(token.expose()).header("target-sr-cluster", registry_id)
            }
            None => request,
        };
        let response = request.send().await.map_err(|error| self.unreachable(&error, timeout))?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|error| self.unreachable(&error, timeout))?;
        Ok((status, body.to_vec()))
    }

    /// A call whose success is JSON of type `T`; an error status becomes [`RegistryError::Refused`].
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<T, RegistryError> {
        let (status, bytes) = self.send(method.clone(), segments, query, body, timeout).await?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&bytes).map_err(|error| RegistryError::Unreachable {
                message: format!(
                    "The Schema Registry at '{}' answered {method} /{} with something that is not its JSON ({error}): check the URI",
                    self.base,
                    segments.join("/")
                ),
                transient: false,
            });
        }
        let parsed: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
        let (error_code, message) = match parsed {
            Some(ErrorBody { error_code, message }) => (error_code, message),
            None => (None, None),
        };
        Err(RegistryError::Refused {
            base: self.base.clone(),
            status,
            error_code: error_code.unwrap_or(i64::from(status)),
            message: message.unwrap_or_else(|| format!("HTTP {status}")),
        })
    }

    fn unreachable(&self, error: &reqwest::Error, timeout: Duration) -> RegistryError {
        let (message, transient) = explain_request_error(&self.base, error, self.truststore, timeout);
        RegistryError::Unreachable { message, transient }
    }

    /// `GET /subjects`: the subjects (with soft-deleted ones when `deleted`), sorted.
    pub async fn subjects(
        &self,
        prefix: Option<&str>,
        deleted: bool,
        timeout: Duration,
    ) -> Result<Vec<String>, RegistryError> {
        let mut query = Vec::new();
        if let Some(prefix) = prefix {
            query.push(("subjectPrefix", prefix.to_string()));
        }
        if deleted {
            query.push(("deleted", "true".to_string()));
        }
        let mut subjects: Vec<String> = self.call(Method::GET, &["subjects"], &query, None, timeout).await?;
        subjects.sort();
        Ok(subjects)
    }

    /// `GET /subjects/{s}/versions`, sorted.
    pub async fn versions(&self, subject: &str, deleted: bool, timeout: Duration) -> Result<Vec<i32>, RegistryError> {
        let query = if deleted { vec![("deleted", "true".to_string())] } else { Vec::new() };
        let mut versions: Vec<i32> =
            self.call(Method::GET, &["subjects", subject, "versions"], &query, None, timeout).await?;
        versions.sort_unstable();
        Ok(versions)
    }

    /// `GET /schemas/ids/{id}`.
    pub async fn schema_by_id(&self, id: u32, timeout: Duration) -> Result<RegisteredSchema, RegistryError> {
        let id_text = id.to_string();
        let body: SchemaBody = self.call(Method::GET, &["schemas", "ids", &id_text], &[], None, timeout).await?;
        Ok(body.into_schema(Some(id)))
    }

    /// `GET /subjects/{s}/versions/{v|latest}`.
    pub async fn schema_by_version(
        &self,
        subject: &str,
        version: VersionRef,
        timeout: Duration,
    ) -> Result<RegisteredSchema, RegistryError> {
        let version = version.to_string();
        let body: SchemaBody =
            self.call(Method::GET, &["subjects", subject, "versions", &version], &[], None, timeout).await?;
        Ok(body.into_schema(None))
    }

    /// The schemas `schema` references, directly or not, each once, as `(name, schema_type, schema)`
    /// in dependency order (a schema after those it references), as a parser that needs every
    /// imported file first takes them.
    pub async fn referenced_schemas(
        &self,
        schema: &RegisteredSchema,
        timeout: Duration,
    ) -> Result<Vec<(String, String, String)>, RegistryError> {
        /// The depth-first walk: a reference's own references come before it.
        enum Step {
            Visit(SchemaReference),
            Emit(SchemaReference, RegisteredSchema),
        }
        let mut ordered = Vec::new();
        let mut seen: HashSet<SchemaReference> = HashSet::new();
        let mut stack: Vec<Step> = schema.references.iter().rev().cloned().map(Step::Visit).collect();
        while let Some(step) = stack.pop() {
            match step {
                Step::Visit(reference) => {
                    if !seen.insert(reference.clone()) {
                        continue;
                    }
                    let found = self
                        .schema_by_version(&reference.subject, VersionRef::Number(reference.version), timeout)
                        .await?;
                    let children: Vec<Step> = found
                        .references
                        .iter()
                        .rev()
                        .filter(|child| !seen.contains(*child))
                        .cloned()
                        .map(Step::Visit)
                        .collect();
                    stack.push(Step::Emit(reference, found));
                    stack.extend(children);
                }
                Step::Emit(reference, found) => ordered.push((reference.name, found.schema_type, found.schema)),
            }
        }
        Ok(ordered)
    }

    /// `POST /subjects/{s}/versions`: the schema's id (the existing one when it is already registered).
    pub async fn register(
        &self,
        subject: &str,
        schema: &NewSchema,
        normalize: bool,
        timeout: Duration,
    ) -> Result<u32, RegistryError> {
        #[derive(Deserialize)]
        struct Registered {
            id: u32,
        }
        let query = if normalize { vec![("normalize", "true".to_string())] } else { Vec::new() };
        let registered: Registered = self
            .call(Method::POST, &["subjects", subject, "versions"], &query, Some(&schema_body(schema)), timeout)
            .await?;
        Ok(registered.id)
    }

    /// `POST /subjects/{s}`: the version of `subject` that holds this schema.
    pub async fn lookup(
        &self,
        subject: &str,
        schema: &NewSchema,
        normalize: bool,
        timeout: Duration,
    ) -> Result<RegisteredSchema, RegistryError> {
        let query = if normalize { vec![("normalize", "true".to_string())] } else { Vec::new() };
        let body: SchemaBody =
            self.call(Method::POST, &["subjects", subject], &query, Some(&schema_body(schema)), timeout).await?;
        Ok(body.into_schema(None))
    }

    /// `POST /compatibility/subjects/{s}/versions/{v}?verbose=true`: whether the schema is compatible,
    /// and the registry's reasons when it is not.
    pub async fn check_compatibility(
        &self,
        subject: &str,
        schema: &NewSchema,
        version: VersionRef,
        timeout: Duration,
    ) -> Result<(bool, Vec<String>), RegistryError> {
        #[derive(Deserialize)]
        struct Compatibility {
            is_compatible: bool,
            #[serde(default)]
            messages: Vec<Value>,
        }
        let version = version.to_string();
        let answer: Compatibility = self
            .call(
                Method::POST,
                &["compatibility", "subjects", subject, "versions", &version],
                &[("verbose", "true".to_string())],
                Some(&schema_body(schema)),
                timeout,
            )
            .await?;
        // Registries send strings; a structured message is kept as its JSON text.
        let messages = answer
            .messages
            .into_iter()
            .map(|message| match message {
                Value::String(text) => text,
                other => other.to_string(),
            })
            .collect();
        Ok((answer.is_compatible, messages))
    }

    /// `GET /config` (no subject) or `GET /config/{s}`: the compatibility level; `None` when the
    /// subject has no level of its own.
    pub async fn compatibility(
        &self,
        subject: Option<&str>,
        timeout: Duration,
    ) -> Result<Option<String>, RegistryError> {
        #[derive(Deserialize)]
        struct Config {
            #[serde(rename = "compatibilityLevel", alias = "compatibility")]
            level: String,
        }
        let segments: Vec<&str> = match subject {
            Some(subject) => vec!["config", subject],
            None => vec!["config"],
        };
        match self.call::<Config>(Method::GET, &segments, &[], None, timeout).await {
            Ok(config) => Ok(Some(config.level)),
            // Confluent: 40408, the subject has no level of its own. Older registries answer 40401.
            Err(RegistryError::Refused { error_code: 40408 | 40401, .. }) if subject.is_some() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// `PUT /config` or `PUT /config/{s}`: sets the compatibility level, answering the level set.
    pub async fn set_compatibility(
        &self,
        subject: Option<&str>,
        level: &str,
        timeout: Duration,
    ) -> Result<String, RegistryError> {
        #[derive(Deserialize)]
        struct Config {
            compatibility: String,
        }
        let segments: Vec<&str> = match subject {
            Some(subject) => vec!["config", subject],
            None => vec!["config"],
        };
        let body = json!({"compatibility": level});
        let config: Config = self.call(Method::PUT, &segments, &[], Some(&body), timeout).await?;
        Ok(config.compatibility)
    }

    /// `DELETE /subjects/{s}`: the versions deleted.
    pub async fn delete_subject(
        &self,
        subject: &str,
        permanent: bool,
        timeout: Duration,
    ) -> Result<Vec<i32>, RegistryError> {
        let query = if permanent { vec![("permanent", "true".to_string())] } else { Vec::new() };
        self.call(Method::DELETE, &["subjects", subject], &query, None, timeout).await
    }

    /// `DELETE /subjects/{s}/versions/{v}`: the version deleted.
    pub async fn delete_version(
        &self,
        subject: &str,
        version: VersionRef,
        permanent: bool,
        timeout: Duration,
    ) -> Result<i32, RegistryError> {
        let query = if permanent { vec![("permanent", "true".to_string())] } else { Vec::new() };
        let version = version.to_string();
        self.call(Method::DELETE, &["subjects", subject, "versions", &version], &query, None, timeout).await
    }
}

/// The body of a register, lookup or compatibility request.
fn schema_body(schema: &NewSchema) -> Value {
    let mut body = json!({"schema": schema.schema, "schemaType": schema.schema_type});
    if !schema.references.is_empty() {
        body["references"] = schema
            .references
            .iter()
            .map(|r| json!({"name": r.name, "subject": r.subject, "version": r.version}))
            .collect();
    }
    body
}

/// The HTTP client for a registry, with the material its TLS stores hold (no IO here). Requests set
/// their own time limit.
fn http_client(target: &ValidSchemaRegistry, material: &tls::TlsMaterial) -> Result<reqwest::Client, RegistryError> {
    let unusable = |message: String| RegistryError::Unreachable { message, transient: false };
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("ide-sidecar/", env!("CARGO_PKG_VERSION")));
    if !target.tls.verify_hostname {
        builder = builder.danger_accept_invalid_hostnames(true);
    }
    if let Some(trust) = &material.trust {
        let certificates = reqwest::Certificate::from_pem_bundle(trust.ca_pem.as_bytes())
            .map_err(|error| unusable(format!("The truststore's certificates are not usable: {error}")))?;
        // Only the truststore's CAs are trusted, as for Kafka.
        builder = builder.tls_built_in_root_certs(false);
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    if let Some(identity) = &material.identity {
        let identity = reqwest::Identity::from_pkcs8_pem(identity.chain_pem.as_bytes(), identity.key_pem.as_bytes())
            .map_err(|error| unusable(format!("The keystore's certificate and key are not usable: {error}")))?;
        builder = builder.identity(identity);
    }
    builder.build().map_err(|error| unusable(format!("Cannot create an HTTP client: {error}")))
}

/// Turns a failed request into a message that says what to fix, and whether trying again may help.
/// `truststore`: whether the spec sets one (else the system's CAs are trusted).
fn explain_request_error(base: &str, error: &reqwest::Error, truststore: bool, timeout: Duration) -> (String, bool) {
    let chain = crate::backends::error_chain(error);
    let lower = chain.to_ascii_lowercase();
    if error.is_timeout() {
        return (
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
        return (
            format!("Cannot resolve the host name of the Schema Registry URI '{base}': check the spelling, or your DNS or VPN ({chain})"),
            true,
        );
    }
    if lower.contains("connection refused") {
        return (
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
        return (format!("TLS handshake with the Schema Registry at '{base}' failed: {why} ({chain})"), false);
    }
    (format!("Cannot reach the Schema Registry at '{base}': {chain}"), true)
}

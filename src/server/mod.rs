//! JSON-RPC over stdio: the LSP lifecycle from `tower-lsp-server`, the `connections/*` and
//! `ccloud/*` methods, params decoding, errors turned into codes (in [`errors`], one place), events
//! forwarded to the client in the order the manager queued them, and `window/showDocument` to open
//! the Confluent Cloud sign-in page.

mod errors;
pub mod framing;
mod transport;

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::lsp_types::notification::Notification;
use tower_lsp_server::lsp_types::{
    InitializeParams, InitializeResult, InitializedParams, ServerCapabilities, ServerInfo, ShowDocumentParams, Uri,
};
use tower_lsp_server::{Client, LanguageServer, LspService};

use crate::backends::ccloud::CCloudClient;
use crate::backends::RealChecks;
use crate::connections::{Checks, ConnectionManager, ManagerError, Settings};
use crate::protocol::{
    method, Connection, ConnectionEvent, ConnectionSpec, CreateParams, ErrorDetail, IdParams, InitializationOptions,
    ListResult, SignInParams, SignInResult, PROTOCOL_VERSION,
};

pub use errors::invalid_params;

/// The `connections/event` notification.
enum ConnectionsEvent {}

impl Notification for ConnectionsEvent {
    type Params = ConnectionEvent;
    const METHOD: &'static str = method::EVENT;
}

/// What the lifecycle saw, for the process's exit code.
#[derive(Debug, Default)]
pub struct Lifecycle {
    shutdown_requested: AtomicBool,
}

impl Lifecycle {
    pub fn shutdown_requested(&self) -> bool {
        self.shutdown_requested.load(Ordering::SeqCst)
    }
}

/// The sidecar as a language server: lifecycle plus the `connections/*` methods.
pub struct Sidecar {
    client: Client,
    checks: Arc<dyn Checks>,
    lifecycle: Arc<Lifecycle>,
    /// Set once by a successful `initialize`; tower-lsp refuses every other request before that.
    manager: OnceLock<ConnectionManager>,
    /// Whether the client declared `window.showDocument.support` in `initialize`.
    show_document: AtomicBool,
}

impl Sidecar {
    fn manager(&self) -> Result<&ConnectionManager> {
        self.manager.get().ok_or_else(|| Error {
            code: crate::protocol::errors::SERVER_NOT_INITIALIZED.into(),
            message: "The server is not initialized".into(),
            data: None,
        })
    }

    async fn list(&self, params: Value) -> Result<ListResult> {
        decode::<crate::protocol::ListParams>(params)?;
        Ok(ListResult { data: self.manager()?.list() })
    }

    async fn get(&self, params: Value) -> Result<Connection> {
        let IdParams { id } = decode(params)?;
        Ok(self.manager()?.get(&id)?)
    }

    async fn create(&self, params: Value) -> Result<Connection> {
        let (spec, rest) = split_spec(params, "spec")?;
        let CreateParams { dry_run, .. } = decode(rest)?;
        let manager = self.manager()?;
        if dry_run {
            Ok(manager.dry_run(spec).await?)
        } else {
            Ok(manager.create(spec)?)
        }
    }

    async fn update(&self, params: Value) -> Result<Connection> {
        let (spec, rest) = split_spec(params, "spec")?;
        let IdParams { id } = decode(rest)?;
        Ok(self.manager()?.update(&id, spec).await?)
    }

    /// Applies an RFC 7386 merge patch to the stored spec as the client sees it (secrets masked,
    /// so masked secrets are kept), retrying when a concurrent update got there first.
    async fn patch(&self, params: Value) -> Result<Connection> {
        let (id, patch) = match decode::<crate::protocol::PatchParams>(params)? {
            crate::protocol::PatchParams { id, patch: patch @ Value::Object(_) } => (id, patch),
            _ => return Err(invalid_params(vec![detail("patch", "A merge patch must be a JSON object")])),
        };
        let manager = self.manager()?;
        let mut attempts = 0;
        loop {
            let (stored, generation) = manager.spec_with_generation(&id)?;
            let mut document = serde_json::to_value(&stored).map_err(|_| Error::internal_error())?;
            json_patch::merge(&mut document, &patch);
            let spec = decode_spec(document)?;
            match manager.update_if(&id, spec, Some(generation)).await {
                Err(ManagerError::Conflict(_)) if attempts < 5 => attempts += 1,
                result => return Ok(result?),
            }
        }
    }

    async fn delete(&self, params: Value) -> Result<Option<()>> {
        let IdParams { id } = decode(params)?;
        self.manager()?.delete(&id)?;
        Ok(None)
    }

    async fn refresh(&self, params: Value) -> Result<Connection> {
        let IdParams { id } = decode(params)?;
        Ok(self.manager()?.refresh(&id).await?)
    }

    /// Starts a sign-in and, when the client can and `open_browser` is not false, asks it to open
    /// the sign-in page in the browser. The reply does not wait for the client's answer.
    async fn sign_in(&self, params: Value) -> Result<SignInResult> {
        let SignInParams { id, open_browser } = decode(params)?;
        let sign_in_uri = self.manager()?.sign_in(&id)?;
        if open_browser != Some(false) && self.show_document.load(Ordering::SeqCst) {
            match Uri::from_str(&sign_in_uri) {
                Ok(uri) => {
                    tokio::spawn(open_externally(self.client.clone(), uri));
                }
                Err(error) => tracing::warn!(%error, "the sign-in URI is not a URI the client can open"),
            }
        }
        Ok(SignInResult { sign_in_uri })
    }

    async fn sign_out(&self, params: Value) -> Result<Connection> {
        let IdParams { id } = decode(params)?;
        Ok(self.manager()?.sign_out(&id)?)
    }
}

/// Asks the client to open `uri` in the browser (`window/showDocument` with `external: true`).
async fn open_externally(client: Client, uri: Uri) {
    let params = ShowDocumentParams { uri, external: Some(true), take_focus: Some(true), selection: None };
    match tokio::time::timeout(Duration::from_secs(60), client.show_document(params)).await {
        Ok(Ok(true)) => tracing::debug!("the client opened the sign-in page"),
        Ok(Ok(false)) => tracing::warn!("the client could not open the sign-in page"),
        Ok(Err(error)) => tracing::warn!(%error, "the client refused to open the sign-in page"),
        Err(_) => tracing::warn!("the client did not answer window/showDocument within 60 s"),
    }
}

impl LanguageServer for Sidecar {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let options = match params.initialization_options {
            None | Some(Value::Null) => InitializationOptions::default(),
            Some(value) => decode_options(value)?,
        };
        let show_document = params
            .capabilities
            .window
            .as_ref()
            .and_then(|window| window.show_document.as_ref())
            .is_some_and(|show_document| show_document.support);
        self.show_document.store(show_document, Ordering::SeqCst);
        if self.manager.get().is_none() {
            let (events_tx, events_rx) = mpsc::unbounded_channel();
            let ccloud = Arc::new(real_ccloud(&options)?);
            let manager = ConnectionManager::new(Settings::from(&options), self.checks.clone(), ccloud, events_tx);
            if self.manager.set(manager).is_ok() {
                tokio::spawn(forward_events(self.client.clone(), events_rx));
            }
        }
        if let Some(pid) = params.process_id {
            tokio::spawn(exit_when_parent_dies(pid));
        }
        tracing::info!(client = ?params.client_info.map(|info| info.name), "initialized");
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "ide-sidecar".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities { experimental: Some(capabilities()), ..Default::default() },
        })
    }

    async fn initialized(&self, _: InitializedParams) {}

    async fn shutdown(&self) -> Result<()> {
        self.lifecycle.shutdown_requested.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// What this build supports, under `capabilities.experimental.sidecar`.
fn capabilities() -> Value {
    let error_codes: serde_json::Map<String, Value> =
        crate::protocol::errors::ALL.iter().map(|(code, meaning)| (code.to_string(), json!(meaning))).collect();
    let mut credential_types = vec!["basic", "api_key", "scram", "oauth"];
    if crate::backends::kafka::KERBEROS {
        credential_types.push("kerberos");
    }
    json!({
        "sidecar": {
            "protocol_version": PROTOCOL_VERSION,
            "connection_types": ["LOCAL", "CCLOUD", "DIRECT", "PLATFORM"],
            "credential_types": credential_types,
            "store_types": ["PEM", "PKCS12", "JKS"],
            "ccloud_sign_in": {
                "flow": "oauth2_authorization_code_pkce",
                "opens_browser_with": "window/showDocument",
            },
            "methods": [
                method::LIST, method::GET, method::CREATE, method::UPDATE, method::PATCH, method::DELETE, method::REFRESH,
                method::CCLOUD_SIGN_IN, method::CCLOUD_SIGN_OUT,
            ],
            "notifications": [method::EVENT],
            "error_codes": error_codes,
        }
    })
}

/// Sends events one at a time, in the order the manager queued them.
async fn forward_events(client: Client, mut events: mpsc::UnboundedReceiver<ConnectionEvent>) {
    while let Some(event) = events.recv().await {
        client.send_notification::<ConnectionsEvent>(event).await;
    }
}

/// Ends the process when the editor that started it has died (`initialize.processId`).
async fn exit_when_parent_dies(pid: u32) {
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if !process_alive(pid) {
            tracing::info!(pid, "the parent process has exited; stopping");
            std::process::exit(1);
        }
    }
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    // Signal 0 checks for existence without sending anything; EPERM means it exists.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_alive(_: u32) -> bool {
    true
}

fn detail(source: &str, detail: impl Into<String>) -> ErrorDetail {
    ErrorDetail { source: source.into(), detail: detail.into() }
}

/// Decodes params, naming the JSON path of the first field that does not fit.
/// Absent or `null` params (what pygls and eglot send for a method without params) count as `{}`.
fn decode<P: DeserializeOwned>(params: Value) -> Result<P> {
    let params = if params.is_null() { json!({}) } else { params };
    if !params.is_object() {
        return Err(invalid_params(vec![detail("", "Params must be a JSON object")]));
    }
    decode_at(params, "")
}

fn decode_at<P: DeserializeOwned>(value: Value, prefix: &str) -> Result<P> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut path = error.path().to_string();
        let message = without_values(&error.inner().to_string());
        // serde names a missing field in the message, at its parent's path; point at the field.
        if let Some(field) = message.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`')) {
            path = if path == "." { field.to_string() } else { format!("{path}.{field}") };
        }
        let path = match (prefix, path.as_str()) {
            (prefix, ".") => prefix.to_string(),
            ("", path) => path.to_string(),
            (prefix, path) => format!("{prefix}.{path}"),
        };
        invalid_params(vec![detail(&path, message)])
    })
}

/// serde's message without the value that did not fit: it may be a secret sent with the wrong type
/// (a password as a number), or megabytes long. The kind of value stays ("invalid type: integer,
/// expected a string"); other quoted names (an unknown variant) are cut to a short prefix.
fn without_values(message: &str) -> String {
    const QUOTED_MAX: usize = 40;
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        let Some(rest) = message.strip_prefix(prefix) else { continue };
        let (kind, after) = match rest.find(['`', '"']) {
            Some(open) if !rest[..open].contains(',') => {
                let quote = rest.as_bytes()[open] as char;
                match closing_quote(&rest[open + 1..], quote) {
                    Some(close) => (rest[..open].trim_end(), &rest[open + 1 + close + 1..]),
                    None => (rest[..open].trim_end(), ""),
                }
            }
            _ => return message.to_string(),
        };
        return format!("{prefix}{kind}{after}");
    }
    // Elsewhere serde quotes names in backticks: keep each to a short prefix.
    let mut out = String::with_capacity(message.len().min(512));
    for (index, part) in message.split('`').enumerate() {
        if index > 0 {
            out.push('`');
        }
        if index % 2 == 1 && part.chars().count() > QUOTED_MAX {
            out.extend(part.chars().take(QUOTED_MAX));
            out.push_str("...");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Where a quoted value ends: the first `quote` not escaped by a backslash.
fn closing_quote(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (index, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == quote => return Some(index),
            _ => {}
        }
    }
    None
}

/// Decodes a spec; paths are relative to the spec, as validation's are.
fn decode_spec(value: Value) -> Result<ConnectionSpec> {
    if !value.is_object() {
        return Err(invalid_params(vec![detail("", "The spec must be a JSON object")]));
    }
    decode_at(value, "")
}

fn decode_options(value: Value) -> Result<InitializationOptions> {
    let options: InitializationOptions = decode_at(value, "")?;
    let problems: Vec<ErrorDetail> =
        options.problems().into_iter().map(|(path, message)| detail(&path, message)).collect();
    if problems.is_empty() {
        Ok(options)
    } else {
        Err(invalid_params(problems))
    }
}

/// Takes the spec out of params so that its errors are reported with spec-relative paths.
fn split_spec(mut params: Value, field: &str) -> Result<(ConnectionSpec, Value)> {
    if params.is_null() {
        params = json!({});
    }
    let Some(object) = params.as_object_mut() else {
        return Err(invalid_params(vec![detail("", "Params must be a JSON object")]));
    };
    let Some(spec) = object.remove(field) else {
        return Err(invalid_params(vec![detail(field, format!("The {field} is required"))]));
    };
    object.insert(field.into(), json!({}));
    Ok((decode_spec(spec)?, params))
}

/// How many requests run at once unless told otherwise: enough for an editor's bursts (a list, a few
/// refreshes and a long check), few enough that a flood of slow requests cannot pile up work.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 16;

/// How the server runs, beyond what `initialize` says.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Requests past this many wait for one to finish (in arrival order); none is dropped.
    pub max_concurrent_requests: usize,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self { max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS }
    }
}

/// Serves the sidecar on the given streams until `exit` or end of input. Returns whether
/// `shutdown` was requested before, which decides the exit code.
pub async fn serve<I, O>(input: I, output: O, checks: Arc<dyn Checks>) -> bool
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin + Send + 'static,
{
    serve_with(input, output, checks, ServeConfig::default()).await
}

/// [`serve`] with a [`ServeConfig`].
pub async fn serve_with<I, O>(input: I, output: O, checks: Arc<dyn Checks>, config: ServeConfig) -> bool
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let lifecycle = Arc::new(Lifecycle::default());
    let server_lifecycle = lifecycle.clone();
    let (service, socket) = LspService::build(move |client| Sidecar {
        client,
        checks,
        lifecycle: server_lifecycle,
        manager: OnceLock::new(),
        show_document: AtomicBool::new(false),
    })
    .custom_method(method::LIST, Sidecar::list)
    .custom_method(method::GET, Sidecar::get)
    .custom_method(method::CREATE, Sidecar::create)
    .custom_method(method::UPDATE, Sidecar::update)
    .custom_method(method::PATCH, Sidecar::patch)
    .custom_method(method::DELETE, Sidecar::delete)
    .custom_method(method::REFRESH, Sidecar::refresh)
    .custom_method(method::CCLOUD_SIGN_IN, Sidecar::sign_in)
    .custom_method(method::CCLOUD_SIGN_OUT, Sidecar::sign_out)
    .finish();
    transport::run(input, output, service, socket, config.max_concurrent_requests).await;
    lifecycle.shutdown_requested()
}

/// The production checks.
pub fn real_checks() -> Arc<dyn Checks> {
    Arc::new(RealChecks)
}

/// Confluent Cloud sign-in against the endpoints of `options.ccloud`.
pub fn real_ccloud(options: &InitializationOptions) -> Result<CCloudClient> {
    CCloudClient::new(&options.ccloud).map_err(|(path, message)| invalid_params(vec![detail(&path, message)]))
}

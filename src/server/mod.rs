//! JSON-RPC over stdio: the LSP lifecycle from `tower-lsp-server`, one handler per method of the
//! protocol's table (in [`handlers`]), params decoding (in [`decode`]), errors turned into codes (in
//! [`errors`], one place), and events forwarded to the client in the order the manager queued them.

mod ccloud;
mod ccloud_data;
mod ccloud_records;
mod decode;
mod errors;
pub mod framing;
mod handlers;
mod kafka;
mod lag;
mod schemas;
mod tails;
mod transport;

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{
    InitializeParams, InitializeResult, InitializedParams, ServerCapabilities, ServerInfo,
};
use tower_lsp_server::{Client, LanguageServer, LspService};

use crate::backends::ccloud::CCloudClient;
use crate::backends::RealChecks;
use crate::connections::{Checks, ConnectionManager, Settings, StoreInfo};
use crate::protocol::methods::{self, ConnectionsEvent};
use crate::protocol::{ConnectionEvent, ErrorCode, EventAction, InitializationOptions, Notification, PROTOCOL_VERSION};
use decode::{decode_options, detail};

pub use errors::invalid_params;

/// A protocol notification as tower-lsp sends it.
struct Lsp<N>(PhantomData<N>);

impl<N: Notification> tower_lsp_server::lsp_types::notification::Notification for Lsp<N> {
    type Params = N::Params;
    const METHOD: &'static str = N::NAME;
}

/// What the lifecycle saw, for the process's exit code, and the signal that stops serving.
#[derive(Debug, Default)]
pub struct Lifecycle {
    shutdown_requested: AtomicBool,
    /// Stops the transport (the editor that started the sidecar has died): the library never ends
    /// the process itself; `serve` returns and the binary exits.
    stop: tokio::sync::Notify,
}

impl Lifecycle {
    pub fn shutdown_requested(&self) -> bool {
        self.shutdown_requested.load(Ordering::SeqCst)
    }

    /// Resolves once [`Self::request_stop`] was called (before or after).
    pub(crate) async fn stopped(&self) {
        self.stop.notified().await;
    }

    fn request_stop(&self) {
        // notify_one keeps the permit when nobody waits yet, so the stop is never missed.
        self.stop.notify_one();
    }
}

/// The sidecar as a language server: the lifecycle here, the methods in [`handlers`].
pub struct Sidecar {
    client: Client,
    checks: Arc<dyn Checks>,
    lifecycle: Arc<Lifecycle>,
    /// Set once by a successful `initialize`; tower-lsp refuses every other request before that.
    manager: OnceLock<ConnectionManager>,
    /// Whether the client declared `window.showDocument.support` in `initialize`.
    show_document: AtomicBool,
    /// The data plane's backends (the same clients the checks use); none with scripted checks.
    data_plane: Option<RealChecks>,
    /// The session's lag watches.
    lag: lag::LagWatches,
    /// The session's tails.
    tails: tails::Tails,
    /// Confluent Cloud's control plane, set by `initialize` (its endpoints are options).
    control_plane: OnceLock<CCloudClient>,
    /// Answers of `ccloud/resources`, by connection.
    ccloud_resources: ccloud::ResourceCache,
    /// Set by the `initialized` notification.
    initialized: tokio::sync::watch::Sender<bool>,
}

impl Sidecar {
    fn manager(&self) -> Result<&ConnectionManager> {
        self.manager.get().ok_or_else(errors::not_initialized)
    }

    fn control_plane(&self) -> Result<&CCloudClient> {
        self.control_plane.get().ok_or_else(errors::not_initialized)
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
        let mut store = None;
        if self.manager.get().is_none() {
            let (events_tx, events_rx) = mpsc::unbounded_channel();
            let client = real_ccloud(&options)?;
            let _ = self.control_plane.set(client.clone());
            let ccloud = Arc::new(client);
            let manager = ConnectionManager::new(Settings::from(&options), self.checks.clone(), ccloud, events_tx);
            if options.store.enabled {
                store = Some(open_store(&manager, &options).await?);
            }
            if self.manager.set(manager).is_ok() {
                // What the shared store loaded is queued already: tower-lsp drops notifications sent before
                // `initialize` has been answered, so with the store they wait for `initialized`.
                let initialized = store.is_some().then(|| self.initialized.subscribe());
                let (client, lag, tails) = (self.client.clone(), self.lag.clone(), self.tails.clone());
                tokio::spawn(async move {
                    if let Some(mut initialized) = initialized {
                        let _ = initialized.wait_for(|done| *done).await;
                    }
                    forward_events(client, events_rx, lag, tails).await;
                });
            }
        }
        if let Some(pid) = params.process_id {
            tokio::spawn(stop_when_parent_dies(pid, self.lifecycle.clone()));
        }
        tracing::info!(client = ?params.client_info.map(|info| info.name), "initialized");
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "ide-sidecar".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities { experimental: Some(capabilities(store.as_ref())), ..Default::default() },
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.initialized.send_replace(true);
    }

    async fn shutdown(&self) -> Result<()> {
        self.lifecycle.shutdown_requested.store(true, Ordering::SeqCst);
        if let Some(manager) = self.manager.get() {
            // The shared store's writes are queued: let them land before the process exits.
            manager.flush_store(Duration::from_secs(5)).await;
        }
        Ok(())
    }
}

/// Opens the shared store `options.store` names (README "Shared store"). The events of what it
/// loads are queued before the forwarder starts, so the client gets them after `initialize`.
async fn open_store(manager: &ConnectionManager, options: &InitializationOptions) -> Result<StoreInfo> {
    let directory = match options.store.directory.as_deref() {
        Some(directory) => std::path::PathBuf::from(directory),
        None => crate::store::default_directory().ok_or_else(|| {
            invalid_params(vec![detail(
                "store.directory",
                "no default: neither XDG_STATE_HOME nor HOME is set; give an absolute path",
            )])
        })?,
    };
    manager.open_store(directory).await.map_err(|message| invalid_params(vec![detail("store.directory", message)]))
}

/// What this build supports, under `capabilities.experimental.sidecar`; with the shared store on,
/// also where it is and whether secrets are in the OS keychain (`store`).
fn capabilities(store: Option<&StoreInfo>) -> Value {
    let methods: Vec<&str> = methods::methods().iter().map(|method| method.name).collect();
    let notifications: Vec<&str> = methods::notifications().iter().map(|notification| notification.name).collect();
    let error_codes: serde_json::Map<String, Value> =
        ErrorCode::ALL.iter().map(|code| (code.code().to_string(), json!(code.meaning()))).collect();
    let mut credential_types = vec!["basic", "api_key", "scram", "oauth"];
    if crate::backends::kafka::KERBEROS {
        credential_types.push("kerberos");
    }
    let mut capabilities = json!({
        "sidecar": {
            "protocol_version": PROTOCOL_VERSION,
            "connection_types": ["LOCAL", "CCLOUD", "DIRECT", "PLATFORM"],
            "credential_types": credential_types,
            "store_types": ["PEM", "PKCS12", "JKS"],
            "ccloud_sign_in": {
                "flow": "oauth2_authorization_code_pkce",
                "opens_browser_with": "window/showDocument",
            },
            "methods": methods,
            "notifications": notifications,
            "error_codes": error_codes,
        }
    });
    if let Some(store) = store {
        capabilities["sidecar"]["store"] = json!({
            "directory": store.directory,
            "keychain": store.keychain,
            "message": store.message,
        });
    }
    capabilities
}

/// Sends events one at a time, in the order the manager queued them. A connection deleted or
/// changed ends its lag watches (after its own event).
async fn forward_events(
    client: Client,
    mut events: mpsc::UnboundedReceiver<ConnectionEvent>,
    lag: lag::LagWatches,
    tails: tails::Tails,
) {
    while let Some(event) = events.recv().await {
        let ended = match event.action {
            EventAction::Deleted => Some("the connection was deleted"),
            EventAction::Updated => Some("the connection's spec changed"),
            _ => None,
        };
        let id = event.connection.id.clone();
        let event_deleted = event.action == EventAction::Deleted;
        client.send_notification::<Lsp<ConnectionsEvent>>(event).await;
        if let Some(reason) = ended {
            tails.connection_ended(&id, event_deleted);
            lag.connection_ended(&id, reason).await;
        }
    }
}

/// Stops serving when the editor that started the sidecar has died (`initialize.processId`).
async fn stop_when_parent_dies(pid: u32, lifecycle: Arc<Lifecycle>) {
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if !process_alive(pid) {
            tracing::info!(pid, "the parent process has exited; stopping");
            lifecycle.request_stop();
            return;
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

/// [`serve`] with a [`ServeConfig`]. The data plane's requests are refused: `checks` reach no real
/// cluster (see [`serve_backends`]).
pub async fn serve_with<I, O>(input: I, output: O, checks: Arc<dyn Checks>, config: ServeConfig) -> bool
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin + Send + 'static,
{
    serve_backends(input, output, Backends { checks, data_plane: None }, config).await
}

/// What the server reaches the outside world with.
pub struct Backends {
    /// What checks connections.
    pub checks: Arc<dyn Checks>,
    /// What the data plane's requests run on; the same clients the checks use.
    pub data_plane: Option<RealChecks>,
}

/// The production backends: the real checks, and the data plane on their clients.
pub fn real_backends() -> Backends {
    let real = RealChecks::new();
    Backends { checks: Arc::new(real.clone()), data_plane: Some(real) }
}

/// [`serve_with`] on the given backends.
pub async fn serve_backends<I, O>(input: I, output: O, backends: Backends, config: ServeConfig) -> bool
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let lifecycle = Arc::new(Lifecycle::default());
    let server_lifecycle = lifecycle.clone();
    let Backends { checks, data_plane } = backends;
    let builder = LspService::build(move |client| Sidecar {
        lag: lag::LagWatches::new(client.clone()),
        tails: tails::Tails::new(client.clone()),
        client,
        checks,
        lifecycle: server_lifecycle,
        manager: OnceLock::new(),
        show_document: AtomicBool::new(false),
        data_plane,
        control_plane: OnceLock::new(),
        ccloud_resources: ccloud::ResourceCache::default(),
        initialized: tokio::sync::watch::channel(false).0,
    });
    let (service, socket) = handlers::register(builder).finish();
    transport::run(input, output, service, socket, config.max_concurrent_requests, &lifecycle).await;
    // However the session ended (`exit`, end of input, the parent gone), the shared store's queued
    // writes land before the process exits.
    crate::connections::wait_for_store_writes(Duration::from_secs(5)).await;
    lifecycle.shutdown_requested()
}

/// The production checks.
pub fn real_checks() -> Arc<dyn Checks> {
    Arc::new(RealChecks::new())
}

/// Confluent Cloud sign-in against the endpoints of `options.ccloud`.
pub fn real_ccloud(options: &InitializationOptions) -> Result<CCloudClient> {
    CCloudClient::new(&options.ccloud).map_err(|(path, message)| invalid_params(vec![detail(&path, message)]))
}

//! Confluent Cloud sign-in in the core: each CCLOUD connection's authorization request, pending
//! sign-in and session (its tokens, kept as secrets), the transitions of `status.ccloud`, and the
//! session's schedule (refresh before the tokens expire, `check_jwt` every interval, the end of the
//! absolute lifetime). The IO (the loopback listener, the token endpoint and the control plane) is
//! behind the [`CCloud`] seam; `backends::ccloud` is the real one.
//!
//! Ordering follows the manager's rules: every change happens under the store lock, events are
//! queued under it, and IO runs outside it. A sign-in or session result carries the `epoch` of the
//! sign-in it belongs to; a sign-out, a new sign-in or the end of the session changes the epoch, so
//! a late result for an older one is dropped.

mod date;
pub mod machine;
pub mod schedule;
mod status;

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

pub use machine::MAX_FAILED_REFRESHES;
use machine::{Effect, Event};
use schedule::{Action, Schedule, Timing};
use status::{error, with_error, Phase};

use super::{BoxFuture, ConnectionManager, Entry, FieldError, ManagerError, Shared, Store};
use crate::protocol::{
    CCloudStatus, ConnectedState, Connection, ConnectionSpec, ConnectionType, EventAction, UserInfo,
};

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

/// One CCLOUD connection's sign-in state, next to its spec and status in the store.
pub(super) struct CCloudAuth {
    /// The request shown as `metadata.sign_in_uri`; replaced once a callback has used it.
    request: AuthorizationRequest,
    /// While a sign-in is pending (from `ccloud/signIn` until its callback or its time limit), the
    /// attempt's number: the time-limit timer ends only the attempt it was started for.
    pending: Option<u64>,
    session: Option<Session>,
    /// Changes when a sign-in starts and when a session ends; results for another epoch are dropped.
    epoch: u64,
    /// Held (across the IO) by whoever uses the refresh token: the token endpoint may rotate it,
    /// so a scheduled refresh and an organization switch must not present the same one.
    refreshing: Arc<tokio::sync::Mutex<()>>,
    /// Whether the `sign_in` error is about waiting for the browser (the port in use, the time
    /// limit) rather than an exchange: a new attempt that listens makes it stale, so it clears it.
    waiting_error: bool,
}

impl CCloudAuth {
    pub(super) fn new(request: AuthorizationRequest) -> Self {
        Self { request, pending: None, session: None, epoch: 0, refreshing: Arc::default(), waiting_error: false }
    }

    pub(super) fn sign_in_uri(&self) -> &str {
        &self.request.sign_in_uri
    }
}

/// A signed-in session: its tokens (secrets) and its schedule, on the tokio clock.
struct Session {
    tokens: Tokens,
    schedule: Schedule,
}

/// The tokens of a session.
struct Tokens {
    refresh_token: SecretToken,
    control_plane: SecretToken,
    /// Held for the data-plane calls to come (Kafka and Schema Registry in Confluent Cloud).
    #[allow(dead_code)]
    data_plane: SecretToken,
}

impl Tokens {
    /// Takes the tokens of a new control-plane session.
    fn renew(&mut self, signed_in: &SignedIn) {
        self.control_plane = signed_in.control_plane.clone();
        self.data_plane = signed_in.data_plane.clone();
    }
}

/// The tokens an event brings, for the machine's [`Effect::KeepTokens`].
enum Fresh {
    None,
    /// A sign-in's: the session opens with them.
    Opened(Tokens),
    /// A refresh's or an organization switch's (the refresh token is updated as soon as it rotates).
    Renewed(SignedIn),
}

/// What a connection's task does next for its session.
enum Step {
    /// Nothing is scheduled (not signed in): wait for a change.
    Idle,
    Due {
        at: Instant,
        action: Action,
        epoch: u64,
    },
}

fn next_step(auth: &CCloudAuth) -> Step {
    match &auth.session {
        None => Step::Idle,
        Some(session) => {
            let (at, action) = session.schedule.next();
            Step::Due { at, action, epoch: auth.epoch }
        }
    }
}

impl Entry {
    fn ccloud_status(&self) -> CCloudStatus {
        self.status.ccloud.clone().unwrap_or_default()
    }
}

impl Shared {
    /// Sets `status.ccloud`, sending `CONNECTED` or `DISCONNECTED` when the status changed.
    fn set_ccloud(&self, id: &str, entry: &mut Entry, ccloud: CCloudStatus) {
        if entry.status.ccloud.as_ref() == Some(&ccloud) {
            return;
        }
        entry.status.ccloud = Some(ccloud);
        let action = if entry.status.any_success() { EventAction::Connected } else { EventAction::Disconnected };
        tracing::info!(connection = id, ?action, state = ?entry.status.ccloud.as_ref().map(|c| c.state), "ccloud status changed");
        self.changed(action, entry);
    }

    fn ccloud_timeout(&self) -> Duration {
        self.settings.check_timeout
    }

    fn ccloud_timing(&self) -> Timing {
        Timing {
            token_lifetime: self.settings.ccloud.token_lifetime,
            absolute_lifetime: self.settings.ccloud.absolute_lifetime,
            check_interval: self.settings.ccloud_interval,
        }
    }

    /// Feeds `event` to the machine of `entry`'s session and performs its effects, then shows the
    /// new status (sending `CONNECTED` or `DISCONNECTED` when it changed).
    fn drive(&self, id: &str, entry: &mut Entry, event: Event, fresh: Fresh, next_epoch: u64) {
        if let Some(status) = self.advance(id, entry, event, fresh, next_epoch) {
            self.set_ccloud(id, entry, status);
        }
    }

    /// Feeds `event` to the machine of `entry`'s session and performs its effects on the session:
    /// `fresh` tokens are kept on [`Effect::KeepTokens`], the session ends (and `next_epoch`
    /// begins) on [`Effect::EndSession`]. Returns the status to show; `None` for a connection
    /// that is not CCLOUD.
    fn advance(
        &self,
        id: &str,
        entry: &mut Entry,
        event: Event,
        fresh: Fresh,
        next_epoch: u64,
    ) -> Option<CCloudStatus> {
        let auth = entry.ccloud.as_mut()?;
        let state = machine::State {
            session: auth.session.as_ref().map(|session| session.schedule),
            status: entry.status.ccloud.clone().unwrap_or_default(),
        };
        let (next, effects) = machine::step(state, event, &self.ccloud_timing());
        let mut fresh = fresh;
        for effect in effects {
            match effect {
                Effect::EndSession => {
                    auth.session = None;
                    auth.epoch = next_epoch;
                    tracing::info!(connection = id, state = ?next.status.state, "the session ended");
                }
                Effect::KeepTokens => match (std::mem::replace(&mut fresh, Fresh::None), next.session) {
                    (Fresh::Opened(tokens), Some(schedule)) => auth.session = Some(Session { tokens, schedule }),
                    (Fresh::Renewed(signed_in), _) => {
                        if let Some(session) = auth.session.as_mut() {
                            session.tokens.renew(&signed_in);
                        }
                    }
                    _ => {}
                },
            }
        }
        if let (Some(session), Some(schedule)) = (auth.session.as_mut(), next.session) {
            session.schedule = schedule;
        }
        Some(next.status)
    }
}

impl Store {
    /// Stops the loopback listener once no sign-in is pending.
    pub(super) fn release_listener_if_idle(&mut self) {
        let pending =
            self.entries.values().any(|entry| entry.ccloud.as_ref().is_some_and(|auth| auth.pending.is_some()));
        if !pending && self.callback_listener.take().is_some() {
            tracing::debug!("no sign-in pending: the callback listener stops");
        }
    }
}

/// Bounds a Confluent Cloud call by the check timeout.
async fn bounded<T>(
    future: BoxFuture<Result<T, CCloudError>>,
    timeout: Duration,
    step: CCloudStep,
) -> Result<T, CCloudError> {
    match tokio::time::timeout(timeout, future).await {
        Ok(result) => result,
        Err(_) => Err(CCloudError {
            step,
            message: format!(
                "Timed out after {} waiting for Confluent Cloud to answer: check the network connection",
                super::human_duration(timeout)
            ),
            transient: true,
        }),
    }
}

fn not_ccloud(id: &str, entry: &Entry) -> ManagerError {
    let kind = entry.spec.connection_type.map_or("without a type", ConnectionType::as_str);
    ManagerError::NotCCloud(format!("Connection '{id}' is {kind}: only CCLOUD connections sign in to Confluent Cloud"))
}

impl ConnectionManager {
    /// Starts (or restarts) a sign-in: listens for the browser's redirect until the callback comes
    /// or the time limit passes, and returns the URI the user must open.
    pub fn sign_in(&self, id: &str) -> Result<String, ManagerError> {
        let shared = &self.shared;
        let mut guard = shared.lock();
        let attempt = guard.generation();
        let store = &mut *guard;
        let Some(entry) = store.entries.get_mut(id) else { return Err(ManagerError::NotFound(id.to_string())) };
        let Some(auth) = entry.ccloud.as_mut() else { return Err(not_ccloud(id, entry)) };
        if store.callback_listener.is_none() {
            match shared.ccloud.listen(callback_handler(Arc::downgrade(shared))) {
                Ok(listener) => store.callback_listener = Some(listener),
                Err(failure) => {
                    auth.waiting_error = true;
                    let current = entry.ccloud_status();
                    let mut status = with_error(&current, Phase::SignIn, error(&failure.message, failure.transient));
                    if current.state != ConnectedState::Success {
                        status.state = ConnectedState::Failed;
                    }
                    shared.set_ccloud(id, entry, status);
                    return Err(ManagerError::SignIn(failure.message));
                }
            }
        }
        auth.pending = Some(attempt);
        let sign_in_uri = auth.request.sign_in_uri.clone();
        let signed_in = auth.session.is_some();
        // A new attempt that listens clears what waiting left (a port in use, a timeout).
        let stale = std::mem::take(&mut auth.waiting_error);
        let current = entry.ccloud_status();
        if stale {
            let mut status = with_error(&current, Phase::SignIn, None);
            if status.state == ConnectedState::Failed && !signed_in {
                status.state = ConnectedState::None;
            }
            shared.set_ccloud(id, entry, status);
        }
        drop(guard);
        tracing::info!(connection = id, "sign-in pending: waiting for the browser");
        let timeout = shared.settings.ccloud.sign_in_timeout;
        let weak = Arc::downgrade(shared);
        let id = id.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(shared) = weak.upgrade() {
                end_pending(&shared, &id, attempt);
            }
        });
        Ok(sign_in_uri)
    }

    /// Signs out: drops the tokens, cancels a pending sign-in, and sets the state back to `NONE`.
    pub fn sign_out(&self, id: &str) -> Result<Connection, ManagerError> {
        let shared = &self.shared;
        let mut store = shared.lock();
        let epoch = store.generation();
        let Some(entry) = store.entries.get_mut(id) else { return Err(ManagerError::NotFound(id.to_string())) };
        let Some(auth) = entry.ccloud.as_mut() else { return Err(not_ccloud(id, entry)) };
        auth.pending = None;
        auth.session = None;
        auth.epoch = epoch;
        shared.set_ccloud(id, entry, CCloudStatus::default());
        entry.wake.notify_one();
        let connection = entry.to_connection();
        store.release_listener_if_idle();
        tracing::info!(connection = id, "signed out");
        Ok(connection)
    }
}

/// Ends a pending sign-in whose time limit passed (unless a later `ccloud/signIn` restarted it).
fn end_pending(shared: &Shared, id: &str, attempt: u64) {
    let mut store = shared.lock();
    let Some(entry) = store.entries.get_mut(id) else { return };
    let Some(auth) = entry.ccloud.as_mut().filter(|auth| auth.pending == Some(attempt)) else { return };
    auth.pending = None;
    tracing::info!(connection = id, "the sign-in was not completed in time: no longer waiting for the browser");
    let current = entry.status.ccloud.clone().unwrap_or_default();
    // Signed in already (a second sign-in that was abandoned): the session stands, nothing to say.
    auth.waiting_error = current.state != ConnectedState::Success;
    if current.state != ConnectedState::Success {
        let message = format!(
            "The sign-in was not completed within {}: start it again and finish it in the browser",
            super::human_duration(shared.settings.ccloud.sign_in_timeout)
        );
        shared.set_ccloud(id, entry, with_error(&current, Phase::SignIn, error(message, true)));
    }
    store.release_listener_if_idle();
}

/// The listener's handler. It holds the manager weakly: a listener never keeps it alive.
fn callback_handler(shared: Weak<Shared>) -> CallbackHandler {
    Arc::new(move |query| {
        let shared = shared.clone();
        Box::pin(async move {
            match shared.upgrade() {
                Some(shared) => on_callback(&shared, query).await,
                None => CallbackOutcome::UnknownState,
            }
        })
    })
}

/// What a matched callback starts: the exchange for one connection at one epoch.
struct Exchange {
    id: String,
    epoch: u64,
    code: SecretToken,
    verifier: SecretToken,
    organization_id: Option<String>,
    redirect_to: Option<String>,
}

/// Handles the browser's redirect: a callback whose `state` belongs to no pending sign-in changes
/// nothing; otherwise the connection goes `ATTEMPTING`, the code is exchanged for the token chain,
/// and it ends `SUCCESS` or `FAILED`.
async fn on_callback(shared: &Shared, query: CallbackQuery) -> CallbackOutcome {
    let exchange = match start_exchange(shared, query) {
        Ok(exchange) => exchange,
        Err(outcome) => return outcome,
    };
    let timeout = shared.ccloud_timeout();
    let result = async {
        let call = shared.ccloud.exchange_code(exchange.code, exchange.verifier, timeout);
        let id_tokens = bounded(call, timeout, CCloudStep::Token).await?;
        let refresh_token = id_tokens.refresh_token.ok_or_else(|| CCloudError {
            step: CCloudStep::Token,
            message: "Confluent Cloud's token endpoint answered without a refresh token (the scope offline_access \
                      was not granted): the session could not be kept alive"
                .into(),
            transient: false,
        })?;
        let call = shared.ccloud.open_session(id_tokens.id_token, exchange.organization_id, timeout);
        Ok::<_, CCloudError>((refresh_token, bounded(call, timeout, CCloudStep::Session).await?))
    }
    .await;

    let mut store = shared.lock();
    let next_epoch = store.generation();
    let id = exchange.id.as_str();
    let redirect_to = exchange.redirect_to;
    let Some(entry) = store.entries.get_mut(id) else {
        let message = "The connection was deleted while signing in".to_string();
        return CallbackOutcome::Failed { message, redirect_to };
    };
    if entry.ccloud.as_ref().is_none_or(|auth| auth.epoch != exchange.epoch) {
        tracing::debug!(connection = id, "dropping a sign-in result that a sign-out or a new sign-in overtook");
        let message = "A sign-out or another sign-in overtook this sign-in".to_string();
        return CallbackOutcome::Failed { message, redirect_to };
    }
    match result {
        Ok((refresh_token, signed_in)) => {
            let ends = SystemTime::now() + shared.settings.ccloud.absolute_lifetime;
            let event = Event::SignedIn {
                now: Instant::now(),
                user: signed_in.user,
                requires_authentication_at: date::rfc3339(ends),
            };
            let tokens =
                Tokens { refresh_token, control_plane: signed_in.control_plane, data_plane: signed_in.data_plane };
            shared.drive(id, entry, event, Fresh::Opened(tokens), next_epoch);
            entry.wake.notify_one();
            tracing::info!(connection = id, "signed in to Confluent Cloud");
            CallbackOutcome::SignedIn { redirect_to }
        }
        Err(failure) => {
            tracing::info!(connection = id, step = ?failure.step, "sign-in failed");
            let message = failure.message.clone();
            shared.drive(id, entry, Event::SignInFailed { failure }, Fresh::None, next_epoch);
            CallbackOutcome::Failed { message, redirect_to }
        }
    }
}

/// Under the lock: matches the callback to a pending sign-in, uses up its authorization request,
/// and sets the connection `ATTEMPTING` (or `FAILED` when the browser brought an error).
fn start_exchange(shared: &Shared, query: CallbackQuery) -> Result<Exchange, CallbackOutcome> {
    let Some(state) = query.state.as_deref() else { return Err(CallbackOutcome::UnknownState) };
    let mut guard = shared.lock();
    let epoch = guard.generation();
    let store = &mut *guard;
    let matched = store.entries.iter_mut().find_map(|(id, entry)| {
        let auth = entry.ccloud.as_mut().filter(|auth| auth.pending.is_some() && auth.request.state == state)?;
        let used = std::mem::replace(&mut auth.request, shared.ccloud.authorization_request());
        auth.pending = None;
        auth.session = None;
        auth.epoch = epoch;
        auth.waiting_error = false;
        Some((id.clone(), used, entry))
    });
    let Some((id, used, entry)) = matched else {
        tracing::info!("a sign-in callback with an unknown state was ignored");
        return Err(CallbackOutcome::UnknownState);
    };
    let config = entry.spec.ccloud_config.clone().unwrap_or_default();
    let redirect_to = config.ide_auth_callback_uri;
    let code = match (query.error, query.code) {
        (Some(refused), _) => {
            let reason = match query.error_description {
                Some(description) => format!("{refused} ({description})"),
                None => refused,
            };
            Err(format!("Confluent Cloud did not sign you in: {reason}"))
        }
        (None, None) => Err("The sign-in redirect carried no authorization code".to_string()),
        (None, Some(code)) => Ok(code),
    };
    let outcome = match code {
        Ok(code) => {
            shared.set_ccloud(&id, entry, CCloudStatus { state: ConnectedState::Attempting, ..Default::default() });
            Ok(Exchange {
                id: id.clone(),
                epoch,
                code,
                verifier: used.verifier,
                organization_id: config.organization_id,
                redirect_to,
            })
        }
        Err(message) => {
            shared.set_ccloud(&id, entry, status::failed_sign_in(&message, false));
            Err(CallbackOutcome::Failed { message, redirect_to })
        }
    };
    entry.wake.notify_one();
    guard.release_listener_if_idle();
    outcome
}

/// One step of a CCLOUD connection's task: waits for the session's next due action (or a
/// change) and performs it. Returns false when the connection is gone.
pub(super) async fn keep_session(
    shared: &Arc<Shared>,
    id: &str,
    wake: &Notify,
    stop: &mut oneshot::Receiver<()>,
) -> bool {
    let step = {
        let store = shared.lock();
        match store.entries.get(id) {
            None => return false,
            Some(entry) => entry.ccloud.as_ref().map_or(Step::Idle, next_step),
        }
    };
    match step {
        Step::Idle => tokio::select! {
            () = wake.notified() => true,
            _ = &mut *stop => false,
        },
        Step::Due { at, action, epoch } => {
            tokio::select! {
                () = tokio::time::sleep_until(at) => {}
                () = wake.notified() => return true,
                _ = &mut *stop => return false,
            }
            tokio::select! {
                () = perform(shared, id, action, epoch) => true,
                _ = &mut *stop => false,
            }
        }
    }
}

/// Checks the session now, for `connections/refresh`; a connection not signed in is returned as is.
pub(super) async fn check_now(shared: &Shared, id: &str) -> Result<Connection, ManagerError> {
    let epoch = {
        let store = shared.lock();
        let entry = store.entries.get(id).ok_or_else(|| ManagerError::NotFound(id.to_string()))?;
        entry.ccloud.as_ref().filter(|auth| auth.session.is_some()).map(|auth| auth.epoch)
    };
    if let Some(epoch) = epoch {
        perform(shared, id, Action::Check, epoch).await;
    }
    let store = shared.lock();
    store.entries.get(id).map(Entry::to_connection).ok_or_else(|| ManagerError::NotFound(id.to_string()))
}

/// Runs one scheduled action of the session of `epoch`.
async fn perform(shared: &Shared, id: &str, action: Action, epoch: u64) {
    match action {
        Action::End => end_session(shared, id, epoch),
        Action::Refresh => refresh(shared, id, epoch).await,
        Action::Check => check(shared, id, epoch).await,
    }
}

/// Feeds the result of a session call to the machine if the session of `epoch` is still the
/// current one; else a sign-out or a new sign-in overtook it, and the result is dropped.
fn session_result(shared: &Shared, id: &str, epoch: u64, event: Event, fresh: Fresh) {
    let mut store = shared.lock();
    let next_epoch = store.generation();
    let current = store
        .entries
        .get_mut(id)
        .filter(|entry| entry.ccloud.as_ref().is_some_and(|auth| auth.epoch == epoch && auth.session.is_some()));
    match current {
        Some(entry) => shared.drive(id, entry, event, fresh, next_epoch),
        None => tracing::debug!(connection = id, "dropping a session result that a sign-out or a new sign-in overtook"),
    }
}

/// Ends the session at the end of its absolute lifetime: back to `NONE`.
fn end_session(shared: &Shared, id: &str, epoch: u64) {
    session_result(shared, id, epoch, Event::LifetimeEnded, Fresh::None);
}

/// The refresh lock of the session of `epoch`, if it is still the current one.
fn refresh_lock(shared: &Shared, id: &str, epoch: u64) -> Option<Arc<tokio::sync::Mutex<()>>> {
    let store = shared.lock();
    let auth = store.entries.get(id)?.ccloud.as_ref()?;
    (auth.epoch == epoch && auth.session.is_some()).then(|| auth.refreshing.clone())
}

/// The refresh grant (keeping a rotated refresh token at once), then a new control-plane session
/// in `organization` (`None`: the one the spec names now). The caller holds the refresh lock.
/// `None` when the session of `epoch` is gone.
async fn renew_tokens(
    shared: &Shared,
    id: &str,
    epoch: u64,
    organization_id: Option<Option<String>>,
) -> Option<Result<SignedIn, CCloudError>> {
    let (refresh_token, spec_organization) = {
        let store = shared.lock();
        let entry = store.entries.get(id)?;
        let auth = entry.ccloud.as_ref().filter(|auth| auth.epoch == epoch)?;
        (auth.session.as_ref()?.tokens.refresh_token.clone(), organization(&entry.spec))
    };
    let timeout = shared.ccloud_timeout();
    let id_tokens = match bounded(shared.ccloud.refresh_grant(refresh_token, timeout), timeout, CCloudStep::Token).await
    {
        Ok(id_tokens) => id_tokens,
        Err(failure) => return Some(Err(failure)),
    };
    if let Some(rotated) = id_tokens.refresh_token {
        let mut store = shared.lock();
        let auth = store.entries.get_mut(id)?.ccloud.as_mut().filter(|auth| auth.epoch == epoch)?;
        auth.session.as_mut()?.tokens.refresh_token = rotated;
    }
    let organization_id = organization_id.unwrap_or(spec_organization);
    let call = shared.ccloud.open_session(id_tokens.id_token, organization_id, timeout);
    Some(bounded(call, timeout, CCloudStep::Session).await)
}

/// The refresh grant and the session exchange again, for the organization the spec names now.
async fn refresh(shared: &Shared, id: &str, epoch: u64) {
    let Some(lock) = refresh_lock(shared, id, epoch) else { return };
    let _refreshing = lock.lock().await;
    let Some(result) = renew_tokens(shared, id, epoch, None).await else { return };
    let (result, fresh) = match result {
        Ok(signed_in) => (Ok(signed_in.user.clone()), Fresh::Renewed(signed_in)),
        Err(failure) => {
            tracing::info!(connection = id, transient = failure.transient, "refreshing the tokens failed");
            (Err(failure), Fresh::None)
        }
    };
    session_result(shared, id, epoch, Event::Refreshed { now: Instant::now(), result }, fresh);
}

/// `check_jwt`: `EXPIRED` when the session is no longer valid; a transient problem is recorded
/// and the state kept.
async fn check(shared: &Shared, id: &str, epoch: u64) {
    let token = {
        let store = shared.lock();
        store.entries.get(id).and_then(|entry| {
            entry.ccloud.as_ref()?.session.as_ref().map(|session| session.tokens.control_plane.clone())
        })
    };
    let Some(token) = token else { return };
    let timeout = shared.ccloud_timeout();
    let result = bounded(shared.ccloud.check_session(token, timeout), timeout, CCloudStep::CheckSession).await;
    session_result(shared, id, epoch, Event::Checked { now: Instant::now(), result }, Fresh::None);
}

/// An organization switch to run before an update is committed: the refresh grant and the
/// session exchange again, for the new organization.
pub(super) struct OrganizationSwitch {
    organization_id: Option<String>,
    epoch: u64,
    refreshing: Arc<tokio::sync::Mutex<()>>,
}

/// The session an organization switch opened, to install when the update is committed. It holds
/// the refresh lock until then.
pub(super) struct Switched {
    epoch: u64,
    signed_in: SignedIn,
    _refreshing: tokio::sync::OwnedMutexGuard<()>,
}

fn organization(spec: &ConnectionSpec) -> Option<String> {
    spec.ccloud_config.as_ref().and_then(|config| config.organization_id.clone())
}

/// Whether an update from `old` to `new` names another organization (ids are UUIDs: any case).
pub(super) fn organization_changed(old: &ConnectionSpec, new: &ConnectionSpec) -> bool {
    organization(old).map(|o| o.to_lowercase()) != organization(new).map(|o| o.to_lowercase())
}

/// The organization switch an update of a signed-in connection needs, if it names another one.
pub(super) fn organization_switch(entry: &Entry, new: &ConnectionSpec) -> Option<OrganizationSwitch> {
    if !organization_changed(&entry.spec, new) {
        return None;
    }
    let auth = entry.ccloud.as_ref().filter(|auth| auth.session.is_some())?;
    Some(OrganizationSwitch {
        organization_id: organization(new),
        epoch: auth.epoch,
        refreshing: auth.refreshing.clone(),
    })
}

/// Opens a session in the new organization. An organization Confluent Cloud refuses is a
/// validation error on `ccloud_config.organization_id`; other failures refuse the update.
pub(super) async fn switch_organization(
    shared: &Shared,
    id: &str,
    switch: OrganizationSwitch,
) -> Result<Switched, ManagerError> {
    let refreshing = switch.refreshing.lock_owned().await;
    let organization = switch.organization_id.clone().unwrap_or_else(|| "the default organization".to_string());
    match renew_tokens(shared, id, switch.epoch, Some(switch.organization_id)).await {
        // Signed out meanwhile: the update no longer needs a switch.
        None => Err(ManagerError::Conflict(id.to_string())),
        Some(Ok(signed_in)) => Ok(Switched { epoch: switch.epoch, signed_in, _refreshing: refreshing }),
        Some(Err(failure)) if failure.step == CCloudStep::Session && !failure.transient => {
            Err(ManagerError::Invalid(vec![FieldError {
                source: "ccloud_config.organization_id".into(),
                detail: format!("Confluent Cloud refused organization '{organization}': {}", failure.message),
            }]))
        }
        Some(Err(failure)) => Err(ManagerError::SignIn(format!(
            "Could not switch the Confluent Cloud session to organization '{organization}': {}",
            failure.message
        ))),
    }
}

/// Under the lock, when an update is committed: keeps the connection's sign-in state across the
/// update and installs the tokens of an organization switch. An organization change while a
/// sign-in exchange runs abandons that sign-in (its result would be for the old organization).
pub(super) fn carry_over(
    shared: &Shared,
    id: &str,
    entry: &mut Entry,
    previous: Option<CCloudStatus>,
    organization_changed: bool,
    switched: Option<Switched>,
    next_epoch: u64,
) {
    let Some(auth) = entry.ccloud.as_mut() else { return };
    let status = previous.unwrap_or_default();
    match switched {
        Some(switched) if switched.epoch == auth.epoch => {
            entry.status.ccloud = Some(status);
            let event = Event::Switched { now: Instant::now(), user: switched.signed_in.user.clone() };
            let status = shared.advance(id, entry, event, Fresh::Renewed(switched.signed_in), next_epoch);
            entry.status.ccloud = status;
            tracing::info!(connection = id, "the session now uses the new organization");
        }
        _ if organization_changed && status.state == ConnectedState::Attempting => {
            auth.epoch = next_epoch;
            entry.status.ccloud = Some(CCloudStatus::default());
        }
        _ => entry.status.ccloud = Some(status),
    }
}

/// Installs the tokens of an organization switch whose update lost to a concurrent one: the
/// refresh grant may have rotated the refresh token, so the old tokens may no longer work.
pub(super) fn keep_switched_tokens(shared: &Shared, id: &str, entry: &mut Entry, switched: Switched, next_epoch: u64) {
    if entry.ccloud.as_ref().is_some_and(|auth| auth.epoch == switched.epoch) {
        let event = Event::SwitchOverruled { now: Instant::now() };
        // The status stays as it is: the update that won shows its own.
        let _ = shared.advance(id, entry, event, Fresh::Renewed(switched.signed_in), next_epoch);
    }
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

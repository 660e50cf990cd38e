//! The core's side of the sign-in: `ccloud/signIn` and `ccloud/signOut`, the loopback listener's
//! lifetime, the time limit of a pending sign-in, and the browser's redirect matched to the
//! pending sign-in it ends (the code exchange runs outside the lock, its result goes to the machine).

use std::sync::{Arc, Weak};
use std::time::SystemTime;

use tokio::time::Instant;

use super::super::{ConnectionManager, Entry, ManagerError, Shared, Store};
use super::machine::{Effect, Event};
use super::{
    bounded, date, CCloudError, CCloudStep, CallbackHandler, CallbackOutcome, CallbackQuery, Fresh, SecretToken, Tokens,
};
use crate::protocol::{Connection, ConnectionType};

impl Store {
    /// Performs the effects of the machine that need the whole store.
    pub(in crate::connections) fn perform(&mut self, effects: &[Effect]) {
        if effects.contains(&Effect::ReleaseListener) {
            self.release_listener_if_idle();
        }
    }

    /// Stops the loopback listener once no sign-in is pending.
    pub(in crate::connections) fn release_listener_if_idle(&mut self) {
        let pending =
            self.entries.values().any(|entry| entry.ccloud.as_ref().is_some_and(|auth| auth.pending.is_some()));
        if !pending && self.callback_listener.take().is_some() {
            tracing::debug!("no sign-in pending: the callback listener stops");
        }
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
        let next_epoch = guard.generation();
        let store = &mut *guard;
        let Some(entry) = store.entries.get_mut(id) else { return Err(ManagerError::NotFound(id.to_string())) };
        let Some(auth) = entry.ccloud.as_mut() else { return Err(not_ccloud(id, entry)) };
        if store.callback_listener.is_none() {
            match shared.ccloud.listen(callback_handler(Arc::downgrade(shared))) {
                Ok(listener) => store.callback_listener = Some(listener),
                Err(failure) => {
                    let message = failure.message.clone();
                    let left = shared.drive(id, entry, Event::ListenFailed { failure }, Fresh::None, next_epoch);
                    store.perform(&left);
                    return Err(ManagerError::SignIn(message));
                }
            }
        }
        let sign_in_uri = auth.request.sign_in_uri.clone();
        let left = shared.drive(id, entry, Event::SignInStarted { attempt }, Fresh::None, next_epoch);
        store.perform(&left);
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
        if entry.ccloud.is_none() {
            return Err(not_ccloud(id, entry));
        }
        let left = shared.drive(id, entry, Event::SignedOut, Fresh::None, epoch);
        let connection = entry.to_connection();
        store.perform(&left);
        tracing::info!(connection = id, "signed out");
        Ok(connection)
    }
}

/// Ends a pending sign-in whose time limit passed (unless a later `ccloud/signIn` restarted it).
fn end_pending(shared: &Shared, id: &str, attempt: u64) {
    let mut store = shared.lock();
    let next_epoch = store.generation();
    let Some(entry) = store.entries.get_mut(id) else { return };
    let message = format!(
        "The sign-in was not completed within {}: start it again and finish it in the browser",
        super::super::human_duration(shared.settings.ccloud.sign_in_timeout)
    );
    let left = shared.drive(id, entry, Event::SignInTimedOut { attempt, message }, Fresh::None, next_epoch);
    if !left.is_empty() {
        tracing::info!(connection = id, "the sign-in was not completed in time: no longer waiting for the browser");
    }
    store.perform(&left);
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
            let tokens = Tokens {
                refresh_token,
                control_plane: signed_in.control_plane,
                data_plane: signed_in.data_plane,
                organization_id: signed_in.organization_id,
            };
            let left = shared.drive(id, entry, event, Fresh::Opened(tokens), next_epoch);
            store.perform(&left);
            tracing::info!(connection = id, "signed in to Confluent Cloud");
            CallbackOutcome::SignedIn { redirect_to }
        }
        Err(failure) => {
            tracing::info!(connection = id, step = ?failure.step, "sign-in failed");
            let message = failure.message.clone();
            let left = shared.drive(id, entry, Event::SignInFailed { failure }, Fresh::None, next_epoch);
            store.perform(&left);
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
    let event = Event::Callback { code: code.as_ref().map(|_| ()).map_err(Clone::clone) };
    let left = shared.drive(&id, entry, event, Fresh::None, epoch);
    guard.perform(&left);
    match code {
        Ok(code) => Ok(Exchange {
            id,
            epoch,
            code,
            verifier: used.verifier,
            organization_id: config.organization_id,
            redirect_to,
        }),
        Err(message) => Err(CallbackOutcome::Failed { message, redirect_to }),
    }
}

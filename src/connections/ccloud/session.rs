//! Keeping a session: each CCLOUD connection's task sleeps until the schedule's next action
//! (refresh, `check_jwt`, the end of the absolute lifetime), performs its IO outside the lock and
//! feeds the result to the [machine](super::machine) under it.

use std::sync::Arc;

use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

use super::super::shared_store::{SessionMarker, StoreLink};
use super::super::{Entry, ManagerError, Shared};
use super::machine::Event;
use super::organization::organization;
use super::schedule::Action;
use super::{bounded, CCloudAuth, CCloudError, CCloudStep, Fresh, SecretToken, SignedIn};
use crate::protocol::Connection;
use crate::store::{now_unix, SessionSecrets, StoredSession};

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

/// One step of a CCLOUD connection's task: waits for the session's next due action (or a
/// change) and performs it. Returns false when the connection is gone.
pub(in crate::connections) async fn keep_session(
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
pub(in crate::connections) async fn check_now(shared: &Shared, id: &str) -> Result<Connection, ManagerError> {
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
        Some(entry) => {
            let left = shared.drive(id, entry, event, fresh, next_epoch);
            store.perform(&left);
        }
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
///
/// With the shared store, the session's refresh file lock is held throughout: only one process
/// presents a refresh token at a time. A plain refresh that finds newer tokens in the store (another
/// process refreshed meanwhile) takes them instead of refreshing; otherwise it refreshes with the
/// store's refresh token and publishes the result before letting go of the lock.
pub(super) async fn renew_tokens(
    shared: &Shared,
    id: &str,
    epoch: u64,
    organization_id: Option<Option<String>>,
) -> Option<Result<SignedIn, CCloudError>> {
    let (mut refresh_token, spec_organization, marker) = {
        let store = shared.lock();
        let entry = store.entries.get(id)?;
        let auth = entry.ccloud.as_ref().filter(|auth| auth.epoch == epoch)?;
        (auth.session.as_ref()?.tokens.refresh_token.clone(), organization(&entry.spec), auth.shared.clone())
    };
    let link = shared.shared_store.get().filter(|_| marker.is_some()).cloned();
    let mut publishing = None;
    let _file_lock = match (&link, &marker) {
        (Some(link), Some(marker)) => {
            tracing::debug!(connection = id, "taking the refresh lock");
            let file_lock = match link.disk.refresh_lock(id).await {
                Ok(file_lock) => {
                    tracing::debug!(connection = id, "took the refresh lock");
                    Some(file_lock)
                }
                Err(error) => {
                    tracing::warn!(connection = id, "could not take the refresh lock: {error}");
                    None
                }
            };
            let reader = link.clone();
            let key = id.to_string();
            let found = tokio::task::spawn_blocking(move || reader.read_session(&key)).await.ok().flatten();
            if let Some((record, secrets)) = found.filter(|(record, _)| record.session == marker.session) {
                let newer = record.generation > marker.generation;
                refresh_token = SecretToken::new(secrets.refresh_token.clone());
                if newer {
                    let mut store = shared.lock();
                    let auth = store.entries.get_mut(id)?.ccloud.as_mut().filter(|auth| auth.epoch == epoch)?;
                    auth.session.as_mut()?.tokens.refresh_token = refresh_token.clone();
                    auth.shared =
                        Some(SessionMarker { session: record.session.clone(), generation: record.generation });
                }
                if newer && organization_id.is_none() {
                    tracing::debug!(connection = id, "another sidecar refreshed the session: taking its tokens");
                    return Some(Ok(SignedIn {
                        control_plane: SecretToken::new(secrets.control_plane),
                        data_plane: SecretToken::new(secrets.data_plane),
                        user: record.user,
                        organization_id: record.organization_id,
                    }));
                }
                publishing = Some((link.clone(), record, secrets));
            }
            file_lock
        }
        _ => None,
    };
    let timeout = shared.ccloud_timeout();
    let id_tokens = match bounded(shared.ccloud.refresh_grant(refresh_token, timeout), timeout, CCloudStep::Token).await
    {
        Ok(id_tokens) => id_tokens,
        Err(failure) => return Some(Err(failure)),
    };
    if let Some(rotated) = id_tokens.refresh_token {
        {
            let mut store = shared.lock();
            let auth = store.entries.get_mut(id)?.ccloud.as_mut().filter(|auth| auth.epoch == epoch)?;
            auth.session.as_mut()?.tokens.refresh_token = rotated.clone();
        }
        if let Some((link, record, secrets)) = publishing.as_mut() {
            // Published at once: the old refresh token no longer works anywhere.
            secrets.refresh_token = rotated.expose().to_string();
            publish(shared, id, epoch, link, record, secrets, None).await;
        }
    }
    let organization_id = organization_id.unwrap_or(spec_organization);
    let call = shared.ccloud.open_session(id_tokens.id_token, organization_id, timeout);
    let result = bounded(call, timeout, CCloudStep::Session).await;
    if let (Ok(signed_in), Some((link, record, secrets))) = (&result, publishing.as_mut()) {
        publish(shared, id, epoch, link, record, secrets, Some(signed_in)).await;
        tracing::debug!(connection = id, generation = record.generation, "refreshed the shared session's tokens");
    }
    Some(result)
}

/// Publishes the session's tokens as its next generation (the caller holds the refresh file lock).
async fn publish(
    shared: &Shared,
    id: &str,
    epoch: u64,
    link: &Arc<StoreLink>,
    record: &mut StoredSession,
    secrets: &mut SessionSecrets,
    signed_in: Option<&SignedIn>,
) {
    record.generation += 1;
    secrets.generation = record.generation;
    if let Some(signed_in) = signed_in {
        record.tokens_at = now_unix();
        record.user = signed_in.user.clone();
        record.organization_id = signed_in.organization_id.clone();
        secrets.control_plane = signed_in.control_plane.expose().to_string();
        secrets.data_plane = signed_in.data_plane.expose().to_string();
    }
    {
        let mut store = shared.lock();
        let auth = store.entries.get_mut(id).and_then(|entry| entry.ccloud.as_mut()).filter(|auth| auth.epoch == epoch);
        if let Some(auth) = auth {
            auth.shared = Some(SessionMarker { session: record.session.clone(), generation: record.generation });
        }
    }
    let (link, record, secrets, key) = (link.clone(), record.clone(), secrets.clone(), id.to_string());
    let _ = tokio::task::spawn_blocking(move || link.publish_tokens(&key, record, secrets)).await;
}

/// The refresh grant and the session exchange again, for the organization the spec names now.
async fn refresh(shared: &Shared, id: &str, epoch: u64) {
    tracing::debug!(connection = id, "refreshing the session's tokens");
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

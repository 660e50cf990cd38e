//! The manager's side of the shared store (`initializationOptions.store`): what it publishes and
//! how it applies what other sidecars published.
//!
//! Publishing: every change a client makes (create, update, delete, a sign-in, the end of a
//! session) queues a [`Command`] while the manager's lock is held, so commands leave in the order
//! of the changes. One worker thread performs them (read-modify-write of `state.json` under the
//! exclusive file lock, secrets to the keychain first) and, between commands, polls the file.
//!
//! Applying: when the file changed, the worker reads it (and the keychain) under the shared file
//! lock and hands the differences to the manager, which applies them as if a client had made them
//! here (the usual events) without publishing them again. Differences are found by markers: each
//! connection remembers the `etag` of the version it reflects, each CCLOUD session the session
//! UUID and token generation. While a command of this process is still queued, nothing is applied
//! (the file does not show it yet); the next poll tries again.
//!
//! Token refresh is not queued: `session::renew_tokens` takes the connection's refresh file lock,
//! re-reads the shared tokens, and publishes the rotated ones before releasing the lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

use super::ccloud::machine::Event;
use super::ccloud::{CCloudAuth, Fresh, SecretToken, SignedIn, Tokens};
use super::{check_valid, run_checks, secrets, ConnectionManager, Entry, Kind, Renumbering, Shared, Status, Store};
use crate::protocol::{ConnectionSpec, EventAction, Secret};
use crate::store::{
    now_unix, ConnectionSecrets, Disk, Read, SessionSecrets, Stamp, StateFile, StoredConnection, StoredSession,
};

/// How often the worker looks at `state.json` for changes made elsewhere.
const POLL: Duration = Duration::from_millis(250);

/// Commands queued and not yet performed, in every store of this process: what the process waits
/// for before it exits (`wait_for_store_writes`).
static PENDING: AtomicU64 = AtomicU64::new(0);

/// Waits (up to `limit`) until every change queued for a shared store in this process is written;
/// at once when there is none (or no store).
pub async fn wait_for_store_writes(limit: Duration) {
    let deadline = Instant::now() + limit;
    while PENDING.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// What a shared session a CCLOUD connection's session is: its UUID and token generation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SessionMarker {
    pub session: String,
    pub generation: u64,
}

/// A change to publish.
enum Command {
    Upsert { id: String, etag: String, spec: Box<ConnectionSpec> },
    Delete { id: String },
    SessionOpened { id: String, record: Box<StoredSession>, secrets: Box<SessionSecrets> },
    SessionEnded { id: String, session: String },
}

/// The link from a manager to its store.
pub(super) struct StoreLink {
    pub(super) disk: Arc<Disk>,
    commands: Mutex<mpsc::Sender<Command>>,
    queued: AtomicU64,
    done: AtomicU64,
    runtime: tokio::runtime::Handle,
}

/// What `initialize` reports about the store.
#[derive(Clone, Debug)]
pub struct StoreInfo {
    pub directory: String,
    pub keychain: bool,
    /// Said once when no keychain answered.
    pub message: Option<String>,
}

impl StoreLink {
    fn send(&self, command: Command) {
        self.queued.fetch_add(1, Ordering::SeqCst);
        PENDING.fetch_add(1, Ordering::SeqCst);
        let commands = self.commands.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // The worker outlives the manager's users; a send after it stopped changes nothing.
        let _ = commands.send(command);
    }

    fn idle(&self) -> bool {
        self.queued.load(Ordering::SeqCst) == self.done.load(Ordering::SeqCst)
    }

    /// The session's shared record and tokens, read consistently (`None` when there is none, or
    /// the keychain does not hold this generation's tokens yet).
    pub(super) fn read_session(&self, id: &str) -> Option<(StoredSession, SessionSecrets)> {
        let keychain = self.disk.keychain()?;
        let read = self.disk.read_with(|read| {
            let Read::Found(state) = read else { return None };
            let record = state.sessions.get(id)?.clone();
            let secrets = session_secrets(keychain.get(&session_item(id)).ok()??)?;
            (secrets.session == record.session && secrets.generation == record.generation).then_some((record, secrets))
        });
        read.ok().flatten()
    }

    /// Publishes new tokens of the session `record.session` as generation `record.generation`.
    pub(super) fn publish_tokens(&self, id: &str, record: StoredSession, secrets: SessionSecrets) {
        let Some(keychain) = self.disk.keychain() else { return };
        let written = self.disk.modify(|state| {
            if state.sessions.get(id).is_none_or(|current| current.session != record.session) {
                return false;
            }
            if let Err(why) = keychain.set(&session_item(id), &session_json(&secrets)) {
                tracing::warn!(connection = id, "the keychain refused the session's new tokens: {why}");
                return false;
            }
            state.sessions.insert(id.to_string(), record);
            true
        });
        if let Err(error) = written {
            tracing::warn!(connection = id, "could not write the shared store: {error}");
        }
    }
}

fn connection_item(id: &str) -> String {
    format!("connection/{id}")
}

fn session_item(id: &str) -> String {
    format!("ccloud-session/{id}")
}

fn session_json(secrets: &SessionSecrets) -> String {
    serde_json::to_string(secrets).unwrap_or_default()
}

fn session_secrets(text: String) -> Option<SessionSecrets> {
    serde_json::from_str(&text).ok()
}

/// A spec's secrets by JSON path.
fn secrets_of(spec: &ConnectionSpec) -> std::collections::BTreeMap<String, String> {
    let mut spec = spec.clone();
    secrets::secret_slots(&mut spec)
        .into_iter()
        .filter_map(|(path, slot)| slot.as_ref().map(|secret| (path, secret.expose().to_string())))
        .collect()
}

/// The spec stored as `stored` with its secrets from the keychain.
fn load_spec(stored: &StoredConnection, secrets: Option<&ConnectionSecrets>) -> Result<ConnectionSpec, String> {
    let mut spec: ConnectionSpec = serde_json::from_value(stored.spec.clone()).map_err(|error| error.to_string())?;
    for (path, slot) in secrets::secret_slots(&mut spec) {
        if !stored.secrets.contains(&path) {
            continue;
        }
        let value = secrets.and_then(|secrets| secrets.secrets.get(&path)).ok_or("a secret is missing")?;
        *slot = Some(Secret::new(value.clone()));
    }
    Ok(spec)
}

/// What the store holds that the manager does not reflect yet.
#[derive(Default)]
struct Changes {
    upserts: Vec<(String, String, ConnectionSpec)>,
    deletes: Vec<String>,
    sessions: Vec<(String, StoredSession, SessionSecrets)>,
    signed_out: Vec<(String, String)>,
    /// The keychain did not answer: the next look reads the file again.
    retry: bool,
}

/// What the manager reflects of the store: each connection's etag, each CCLOUD session's marker.
struct Markers {
    etags: HashMap<String, Option<String>>,
    sessions: HashMap<String, Option<SessionMarker>>,
}

impl ConnectionManager {
    /// Waits (up to `limit`) until every change made so far is written to the store, for a clean
    /// shutdown.
    pub async fn flush_store(&self, limit: Duration) {
        let Some(link) = self.shared.shared_store.get() else { return };
        let deadline = Instant::now() + limit;
        while !link.idle() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Opens the store at `directory`, loads what it holds (connections, and sessions still within
    /// their lifetime) and starts sharing. Returns what `initialize` reports.
    pub async fn open_store(&self, directory: std::path::PathBuf) -> Result<StoreInfo, String> {
        let shared = self.shared.clone();
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || open(shared, directory, runtime))
            .await
            .map_err(|error| error.to_string())?
    }
}

fn open(
    shared: Arc<Shared>,
    directory: std::path::PathBuf,
    runtime: tokio::runtime::Handle,
) -> Result<StoreInfo, String> {
    let disk = Disk::open(&directory)
        .map_err(|error| format!("The store directory {} cannot be used: {error}", directory.display()))?;
    let info = StoreInfo {
        directory: disk.directory().display().to_string(),
        keychain: disk.keychain().is_some(),
        message: disk.no_keychain().map(|why| {
            format!(
                "No OS keychain answered ({why}). Secrets (passwords, keys, Confluent Cloud sessions) are kept in \
                 memory only and are not shared; connections without secrets are shared. To keep and share them, \
                 run a keychain (on Linux a Secret Service such as gnome-keyring) and restart the editor."
            )
        }),
    };
    match &info.message {
        Some(message) => tracing::warn!(directory = %info.directory, "{message}"),
        None => tracing::info!(directory = %info.directory, "shared store open; secrets in the OS keychain"),
    }
    let (sender, receiver) = mpsc::channel();
    let link = Arc::new(StoreLink {
        disk: Arc::new(disk),
        commands: Mutex::new(sender),
        queued: AtomicU64::new(0),
        done: AtomicU64::new(0),
        runtime,
    });
    if shared.shared_store.set(link.clone()).is_err() {
        return Err("The store is already open".into());
    }
    let mut last = None;
    poll(&shared, &link, &mut last);
    let weak = Arc::downgrade(&shared);
    drop(shared);
    std::thread::Builder::new()
        .name("ide-sidecar-store".into())
        .spawn(move || work(weak, link, receiver, last))
        .map_err(|error| error.to_string())?;
    Ok(info)
}

/// The worker: performs commands in order, and polls the file when none is waiting.
fn work(shared: Weak<Shared>, link: Arc<StoreLink>, commands: mpsc::Receiver<Command>, mut last: Option<Stamp>) {
    loop {
        match commands.recv_timeout(POLL) {
            Ok(command) => {
                perform(&link.disk, command);
                link.done.fetch_add(1, Ordering::SeqCst);
                PENDING.fetch_sub(1, Ordering::SeqCst);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let Some(shared) = shared.upgrade() else { return };
                poll(&shared, &link, &mut last);
            }
            // Every command sent before the manager went away has been performed.
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

fn perform(disk: &Disk, command: Command) {
    let keychain = disk.keychain();
    let written = match command {
        Command::Upsert { id, etag, spec } => disk.modify(|state| {
            let secrets = secrets_of(&spec);
            let paths: Vec<String> = secrets.keys().cloned().collect();
            let item = connection_item(&id);
            if let Some(keychain) = keychain {
                let stored = ConnectionSecrets { etag: etag.clone(), secrets };
                let result = if stored.secrets.is_empty() {
                    keychain.delete(&item)
                } else {
                    keychain.set(&item, &serde_json::to_string(&stored).unwrap_or_default())
                };
                if let Err(why) = result {
                    tracing::warn!(connection = %id, "the keychain refused the connection's secrets: {why}");
                    return false;
                }
            }
            let Ok(masked) = serde_json::to_value(&*spec) else { return false };
            let stored = StoredConnection { id: id.clone(), etag, spec: masked, secrets: paths };
            match state.connections.iter_mut().find(|connection| connection.id == id) {
                Some(connection) => *connection = stored,
                None => state.connections.push(stored),
            }
            true
        }),
        Command::Delete { id } => disk.modify(|state| {
            if let Some(keychain) = keychain {
                let _ = keychain.delete(&connection_item(&id));
                let _ = keychain.delete(&session_item(&id));
            }
            let before = state.connections.len();
            state.connections.retain(|connection| connection.id != id);
            state.sessions.remove(&id).is_some() || state.connections.len() != before
        }),
        Command::SessionOpened { id, record, secrets } => disk.modify(|state| {
            let Some(keychain) = keychain else { return false };
            if let Err(why) = keychain.set(&session_item(&id), &session_json(&secrets)) {
                tracing::warn!(connection = %id, "the keychain refused the session's tokens: {why}");
                return false;
            }
            state.sessions.insert(id, *record);
            true
        }),
        Command::SessionEnded { id, session } => disk.modify(|state| {
            if state.sessions.get(&id).is_none_or(|record| record.session != session) {
                return false;
            }
            if let Some(keychain) = keychain {
                let _ = keychain.delete(&session_item(&id));
            }
            state.sessions.remove(&id);
            true
        }),
    };
    if let Err(error) = written {
        tracing::warn!("could not write the shared store: {error}");
    }
}

/// Reads the file if it changed since `last` and applies what differs from the manager's markers.
fn poll(shared: &Arc<Shared>, link: &StoreLink, last: &mut Option<Stamp>) {
    let stamp = link.disk.stamp();
    if last.is_some() && stamp == *last {
        return;
    }
    let markers = shared.markers();
    let keychain = link.disk.keychain();
    let read = link.disk.read_with(|read| match read {
        Read::Missing => Some(differences(&StateFile::default(), &markers, keychain)),
        Read::Found(state) => Some(differences(&state, &markers, keychain)),
        Read::Bad { .. } => None,
    });
    let changes = match read {
        Ok(Some(changes)) => changes,
        Ok(None) => {
            // Moved aside with a log line; this process's connections are written again.
            if let Err(error) = link.disk.move_aside_if_bad() {
                tracing::warn!("could not move the unreadable state file aside: {error}");
            }
            shared.republish_all();
            return;
        }
        Err(error) => {
            tracing::warn!("could not read the shared store: {error}");
            return;
        }
    };
    let retry = changes.retry;
    if shared.apply_external(changes) && !retry {
        *last = stamp;
    }
}

/// What `state` holds that the manager does not reflect yet.
fn differences(state: &StateFile, markers: &Markers, keychain: Option<&crate::store::Keychain>) -> Changes {
    let mut changes = Changes::default();
    for stored in &state.connections {
        if markers.etags.get(&stored.id).is_some_and(|etag| etag.as_deref() == Some(&stored.etag)) {
            continue;
        }
        let secrets = match (&stored.secrets[..], keychain) {
            ([], _) => None,
            (_, None) => continue,
            (_, Some(keychain)) => {
                let found = match keychain.get(&connection_item(&stored.id)) {
                    Ok(found) => found,
                    Err(why) => {
                        tracing::warn!(connection = %stored.id, "the keychain did not answer: {why}");
                        changes.retry = true;
                        continue;
                    }
                };
                // Keychain and file are written under the same lock this read holds: a mismatch is
                // not a write under way but secrets cleared from the keychain (or a writer that died
                // between the two), and waiting does not help.
                match found.and_then(|text| serde_json::from_str::<ConnectionSecrets>(&text).ok()) {
                    Some(secrets) if secrets.etag == stored.etag => Some(secrets),
                    _ => {
                        tracing::warn!(
                            connection = %stored.id,
                            "the keychain does not hold this stored connection's secrets: not loaded"
                        );
                        continue;
                    }
                }
            }
        };
        match load_spec(stored, secrets.as_ref()) {
            Ok(spec) => changes.upserts.push((stored.id.clone(), stored.etag.clone(), spec)),
            Err(why) => tracing::warn!(connection = %stored.id, "a stored connection cannot be loaded: {why}"),
        }
    }
    for (id, etag) in &markers.etags {
        if etag.is_some() && !state.connections.iter().any(|stored| &stored.id == id) {
            changes.deletes.push(id.clone());
        }
    }
    let Some(keychain) = keychain else { return changes };
    let now = now_unix();
    for (id, record) in &state.sessions {
        let marker = SessionMarker { session: record.session.clone(), generation: record.generation };
        let shared_with = markers.sessions.get(id).cloned().flatten();
        let known = shared_with
            .as_ref()
            .is_some_and(|current| current.session == marker.session && current.generation >= marker.generation);
        // Sessions of connections this store does not hold yet are looked at once they are created.
        let present = markers.sessions.contains_key(id) || changes.upserts.iter().any(|(uid, ..)| uid == id);
        if known || !present || record.ends_at <= now {
            continue;
        }
        let found = match keychain.get(&session_item(id)) {
            Ok(found) => found.and_then(session_secrets),
            Err(why) => {
                tracing::warn!(connection = %id, "the keychain did not answer: {why}");
                changes.retry = true;
                continue;
            }
        };
        match found {
            Some(secrets) if secrets.session == record.session && secrets.generation == record.generation => {
                changes.sessions.push((id.clone(), record.clone(), secrets));
            }
            _ => {
                tracing::warn!(connection = %id, "the keychain does not hold this stored session's tokens: not opened")
            }
        }
    }
    for (id, marker) in &markers.sessions {
        let Some(marker) = marker else { continue };
        let live = state.sessions.get(id).is_some_and(|record| record.session == marker.session);
        if !live {
            changes.signed_out.push((id.clone(), marker.session.clone()));
        }
    }
    changes
}

fn tokens_of(secrets: &SessionSecrets, organization_id: Option<String>) -> Tokens {
    Tokens {
        refresh_token: SecretToken::new(secrets.refresh_token.clone()),
        control_plane: SecretToken::new(secrets.control_plane.clone()),
        data_plane: SecretToken::new(secrets.data_plane.clone()),
        organization_id,
    }
}

impl Shared {
    fn link(&self) -> Option<&Arc<StoreLink>> {
        self.shared_store.get()
    }

    fn markers(&self) -> Markers {
        let store = self.lock();
        Markers {
            etags: store.entries.iter().map(|(id, entry)| (id.clone(), entry.etag.clone())).collect(),
            sessions: store
                .entries
                .iter()
                .filter_map(|(id, entry)| Some((id.clone(), entry.ccloud.as_ref()?.shared.clone())))
                .collect(),
        }
    }

    /// Publishes `entry`'s spec (under the lock). Without a keychain a spec with secrets stays in
    /// this process only: it is removed from the file if it was there.
    pub(super) fn publish_spec(&self, id: &str, entry: &mut Entry) {
        let Some(link) = self.link() else { return };
        if link.disk.keychain().is_none() && !secrets_of(&entry.spec).is_empty() {
            entry.etag = None;
            link.send(Command::Delete { id: id.to_string() });
            return;
        }
        let etag = uuid::Uuid::new_v4().to_string();
        entry.etag = Some(etag.clone());
        link.send(Command::Upsert { id: id.to_string(), etag, spec: Box::new(entry.spec.clone()) });
    }

    pub(super) fn publish_delete(&self, id: &str) {
        if let Some(link) = self.link() {
            link.send(Command::Delete { id: id.to_string() });
        }
    }

    /// Publishes a session that a sign-in here opened; returns its marker.
    pub(super) fn publish_session_opened(
        &self,
        id: &str,
        tokens: &Tokens,
        status: &crate::protocol::CCloudStatus,
        ends_at: Instant,
    ) -> Option<SessionMarker> {
        let link = self.link()?;
        link.disk.keychain()?;
        let marker = SessionMarker { session: uuid::Uuid::new_v4().to_string(), generation: 1 };
        let now = now_unix();
        let record = StoredSession {
            session: marker.session.clone(),
            generation: marker.generation,
            ends_at: now + ends_at.saturating_duration_since(Instant::now()).as_secs(),
            tokens_at: now,
            requires_authentication_at: status.requires_authentication_at.clone().unwrap_or_default(),
            user: status.user.clone().unwrap_or_default(),
            organization_id: tokens.organization_id.clone(),
        };
        let secrets = SessionSecrets {
            session: marker.session.clone(),
            generation: marker.generation,
            refresh_token: tokens.refresh_token.expose().to_string(),
            control_plane: tokens.control_plane.expose().to_string(),
            data_plane: tokens.data_plane.expose().to_string(),
        };
        link.send(Command::SessionOpened { id: id.to_string(), record: Box::new(record), secrets: Box::new(secrets) });
        Some(marker)
    }

    pub(super) fn publish_session_ended(&self, id: &str, marker: SessionMarker) {
        if let Some(link) = self.link() {
            link.send(Command::SessionEnded { id: id.to_string(), session: marker.session });
        }
    }

    /// After the file was found unreadable and moved aside: writes this process's state again.
    fn republish_all(&self) {
        let mut store = self.lock();
        let ids: Vec<String> = store.entries.keys().cloned().collect();
        for id in ids {
            let Some(entry) = store.entries.get_mut(&id) else { continue };
            self.publish_spec(&id, entry);
            let status = entry.status.ccloud.clone().unwrap_or_default();
            let Some(auth) = entry.ccloud.as_mut() else { continue };
            let Some(session) = auth.session() else { continue };
            auth.shared = self.publish_session_opened(&id, &session.tokens, &status, session.schedule.ends_at);
        }
    }

    /// Applies what other sidecars stored, unless a change of this process is still being written
    /// (then false: the next poll tries again).
    fn apply_external(self: &Arc<Self>, changes: Changes) -> bool {
        let Some(link) = self.link() else { return false };
        let mut guard = self.lock();
        if !link.idle() {
            return false;
        }
        let store = &mut *guard;
        for (id, etag, spec) in changes.upserts {
            self.apply_upsert(store, link, id, etag, spec);
        }
        for id in changes.deletes {
            if store.entries.get(&id).is_some_and(|entry| entry.etag.is_some()) {
                if let Some(mut entry) = store.entries.remove(&id) {
                    self.changed(EventAction::Deleted, &mut entry);
                    store.release_listener_if_idle();
                    tracing::info!(connection = %id, "deleted by another sidecar");
                }
            }
        }
        for (id, record, secrets) in changes.sessions {
            self.adopt(store, &id, record, secrets);
        }
        for (id, session) in changes.signed_out {
            let next_epoch = store.generation();
            let Some(entry) = store.entries.get_mut(&id) else { continue };
            let Some(auth) = entry.ccloud.as_mut() else { continue };
            if auth.shared.as_ref().is_none_or(|marker| marker.session != session) {
                continue;
            }
            auth.shared = None;
            tracing::info!(connection = %id, "signed out by another sidecar");
            let left = self.drive(&id, entry, Event::SignedOut, Fresh::None, next_epoch);
            store.perform(&left);
        }
        true
    }

    fn apply_upsert(
        self: &Arc<Self>,
        store: &mut Store,
        link: &StoreLink,
        id: String,
        etag: String,
        spec: ConnectionSpec,
    ) {
        let kind = match check_valid(&spec) {
            Ok(kind) => kind,
            Err(problems) => {
                tracing::warn!(connection = %id, ?problems, "a stored connection is not valid here: not loaded");
                return;
            }
        };
        let same_kind = store.entries.get(&id).map(|entry| entry.kind == kind);
        if same_kind == Some(true) {
            let numbers = Renumbering::take(store);
            let Some(entry) = store.entries.get_mut(&id) else { return };
            entry.etag = Some(etag);
            self.commit_update(entry, numbers, &id, spec, None);
            tracing::info!(connection = %id, "updated by another sidecar");
            return;
        }
        if let Some(mut old) = store.entries.remove(&id) {
            self.changed(EventAction::Deleted, &mut old);
        }
        let (connection_id, wake, stop) = insert_entry(self, store, spec, kind, Some(etag));
        link.runtime.spawn(run_checks(self.clone(), connection_id, wake, stop));
        tracing::info!(connection = %id, "created by another sidecar");
    }

    /// Opens (or renews) the session another sidecar published.
    fn adopt(&self, store: &mut Store, id: &str, record: StoredSession, secrets: SessionSecrets) {
        let next_epoch = store.generation();
        let Some(entry) = store.entries.get_mut(id) else { return };
        let Some(auth) = entry.ccloud.as_mut() else { return };
        let marker = SessionMarker { session: record.session.clone(), generation: record.generation };
        let tokens = tokens_of(&secrets, record.organization_id.clone());
        let now = Instant::now();
        let same_session = auth.shared.as_ref().is_some_and(|current| current.session == record.session);
        if same_session && auth.session().is_some() {
            auth.shared = Some(marker);
            if let Some(session) = auth.session_mut() {
                session.tokens.refresh_token = tokens.refresh_token.clone();
            }
            let signed_in = SignedIn {
                control_plane: tokens.control_plane,
                data_plane: tokens.data_plane,
                user: record.user.clone(),
                organization_id: record.organization_id,
            };
            let event = Event::Refreshed { now, result: Ok(record.user) };
            let left = self.drive(id, entry, event, Fresh::Renewed(signed_in), next_epoch);
            store.perform(&left);
            return;
        }
        auth.shared = None;
        let unix_now = now_unix();
        let token_lifetime = self.settings.ccloud.token_lifetime.as_secs_f64();
        let refresh_due = record.tokens_at as f64 + token_lifetime * 0.8;
        let event = Event::Adopted {
            now,
            user: record.user.clone(),
            requires_authentication_at: record.requires_authentication_at.clone(),
            ends_in: Duration::from_secs(record.ends_at.saturating_sub(unix_now)),
            refresh_in: Duration::from_secs_f64((refresh_due - unix_now as f64).max(0.0)),
        };
        tracing::info!(connection = id, "signed in through the shared store");
        let left = self.drive(id, entry, event, Fresh::Adopted(tokens, marker), next_epoch);
        store.perform(&left);
    }
}

/// Stores a new, valid entry and sends `CREATED`; the caller starts its checks.
pub(super) fn insert_entry(
    shared: &Shared,
    store: &mut Store,
    spec: ConnectionSpec,
    kind: Kind,
    etag: Option<String>,
) -> (String, Arc<Notify>, oneshot::Receiver<()>) {
    let id = spec.id.clone().unwrap_or_default();
    let plan = kind.plan(&spec, &shared.settings);
    let status = Status::initial(kind, &plan);
    let generation = store.generation();
    let seq = store.next_seq;
    store.next_seq += 1;
    let (stop_tx, stop_rx) = oneshot::channel();
    let wake = Arc::new(Notify::new());
    let ccloud = kind.signs_in().then(|| CCloudAuth::new(shared.ccloud.authorization_request()));
    let mut entry = Entry {
        spec,
        kind,
        plan,
        status,
        generation,
        revision: 0,
        seq,
        wake: wake.clone(),
        _stop: stop_tx,
        ccloud,
        etag,
    };
    shared.changed(EventAction::Created, &mut entry);
    store.entries.insert(id.clone(), entry);
    (id, wake, stop_rx)
}

//! The connection manager: the store, validation, secrets, status and the check schedule.
//!
//! Ordering is designed, not assumed. Every change to the store happens under one plain
//! `std::sync::Mutex` that is never held across an `.await`, and the event a change causes is
//! queued on the event channel while that lock is held. So events leave in exactly the order the
//! changes happened, nothing about a connection follows its `DELETED`, and a check result can be
//! compared with the connection's current generation before it is applied: a result that an
//! update (or a delete) overtook is dropped.

pub mod ccloud;
mod checks;
pub mod kinds;
pub mod secrets;
mod shared_store;
pub mod valid;
pub mod validation;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, Notify};

pub use ccloud::{CCloud, CCloudSettings};
pub use checks::{BoxFuture, Checks, KafkaTarget, LocalDiscovery, Outcome, Plan};
pub use kinds::{Kind, Upkeep};
pub use shared_store::{wait_for_store_writes, StoreInfo};
pub use valid::{
    OAuthCredentials, RegistryCredentials, ValidCredentials, ValidKafkaCluster, ValidKeyStore, ValidSchemaRegistry,
    ValidTls, ValidTrustStore,
};
pub use validation::FieldError;

use crate::protocol::{
    options::LocalOptions, Authentication, CCloudStatus, ConnectedState, Connection, ConnectionEvent,
    ConnectionMetadata, ConnectionSpec, ConnectionStatus, EventAction, InitializationOptions, KafkaClusterStatus,
    SchemaRegistryStatus,
};

/// Why a manager operation was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ManagerError {
    #[error("No connection has id '{0}'")]
    NotFound(String),
    #[error("A connection with id '{0}' already exists")]
    AlreadyExists(String),
    #[error("The connection spec is not valid")]
    Invalid(Vec<FieldError>),
    #[error("Connection '{0}' changed while the request was being applied: try again")]
    Conflict(String),
    /// `ccloud/signIn` or `ccloud/signOut` on a connection that is not CCLOUD.
    #[error("{0}")]
    NotCCloud(String),
    /// A sign-in could not start, or an organization switch could not complete.
    #[error("{0}")]
    SignIn(String),
    /// A Confluent Cloud request on a CCLOUD connection without a session: why, as its status says.
    #[error("{0}")]
    SignedOut(String),
}

/// The manager's settings, read from `initializationOptions`.
#[derive(Clone, Debug)]
pub struct Settings {
    pub check_timeout: Duration,
    pub direct_interval: Duration,
    pub local_interval: Duration,
    pub ccloud_interval: Duration,
    pub local: LocalOptions,
    pub ccloud: CCloudSettings,
}

impl From<&InitializationOptions> for Settings {
    fn from(options: &InitializationOptions) -> Self {
        Self {
            check_timeout: Duration::from_secs_f64(options.check_timeout_seconds),
            direct_interval: Duration::from_secs_f64(options.direct.refresh_interval_seconds),
            local_interval: Duration::from_secs_f64(options.local.refresh_interval_seconds),
            ccloud_interval: Duration::from_secs_f64(options.ccloud.refresh_interval_seconds),
            local: options.local.clone(),
            ccloud: CCloudSettings {
                token_lifetime: Duration::from_secs_f64(options.ccloud.token_lifetime_seconds),
                absolute_lifetime: Duration::from_secs_f64(options.ccloud.absolute_lifetime_seconds),
                sign_in_timeout: Duration::from_secs_f64(options.ccloud.sign_in_timeout_seconds),
            },
        }
    }
}

/// What the sidecar observes of one connection; `authentication` is derived when shown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Status {
    ccloud: Option<CCloudStatus>,
    kafka_cluster: Option<KafkaClusterStatus>,
    schema_registry: Option<SchemaRegistryStatus>,
}

impl Status {
    /// The status of a connection whose checks have not reported yet.
    fn initial(kind: Kind, plan: &Plan) -> Self {
        let attempting = ConnectedState::Attempting;
        Self {
            ccloud: kind.signs_in().then(CCloudStatus::default),
            kafka_cluster: plan.kafka.as_ref().map(|_| KafkaClusterStatus { state: attempting, ..Default::default() }),
            schema_registry: plan
                .schema_registry
                .as_ref()
                .map(|_| SchemaRegistryStatus { state: attempting, ..Default::default() }),
        }
    }

    fn any_success(&self) -> bool {
        let states = [
            self.ccloud.as_ref().map(|c| c.state),
            self.kafka_cluster.as_ref().map(|k| k.state),
            self.schema_registry.as_ref().map(|s| s.state),
        ];
        states.contains(&Some(ConnectedState::Success))
    }

    fn to_proto(&self) -> ConnectionStatus {
        ConnectionStatus {
            authentication: Authentication::derive(self.ccloud.as_ref()),
            ccloud: self.ccloud.clone(),
            kafka_cluster: self.kafka_cluster.clone(),
            schema_registry: self.schema_registry.clone(),
        }
    }
}

/// The results of one round of checks, applied together.
#[derive(Clone, Debug, Default)]
struct Findings {
    kafka_cluster: Option<KafkaClusterStatus>,
    schema_registry: Option<SchemaRegistryStatus>,
}

impl Findings {
    fn any_failed(&self) -> bool {
        self.kafka_cluster.as_ref().is_some_and(|k| k.state == ConnectedState::Failed)
            || self.schema_registry.as_ref().is_some_and(|s| s.state == ConnectedState::Failed)
    }
}

struct Entry {
    spec: ConnectionSpec,
    /// The spec's kind, fixed at creation (an update cannot change the type).
    kind: Kind,
    /// What the checks reach, parsed from the spec once per spec change (not at every check).
    plan: Plan,
    status: Status,
    /// Changes on every spec change; check results carry the generation they were started for.
    generation: u64,
    /// Grows with every change the client can see (spec or status): `metadata.revision`, so that a
    /// client that gets a reply after a newer event keeps the newer one.
    revision: u64,
    /// Creation order, for `list`.
    seq: u64,
    /// Wakes the connection's check task (after an update, or to re-check now).
    wake: Arc<Notify>,
    /// Dropped with the entry, which stops the connection's check task.
    _stop: oneshot::Sender<()>,
    /// Sign-in state and session tokens, for CCLOUD connections.
    ccloud: Option<ccloud::CCloudAuth>,
    /// With the shared store: the version of the stored connection this entry reflects (`None`:
    /// not stored, or not yet).
    etag: Option<String>,
}

impl Entry {
    fn to_connection(&self) -> Connection {
        let mut connection = to_connection(&self.spec, &self.status);
        connection.metadata.revision = self.revision;
        connection.metadata.sign_in_uri = self.ccloud.as_ref().map(|auth| auth.sign_in_uri().to_string());
        connection
    }
}

fn to_connection(spec: &ConnectionSpec, status: &Status) -> Connection {
    Connection {
        id: spec.id.clone().unwrap_or_default(),
        metadata: ConnectionMetadata::default(),
        spec: spec.clone(),
        status: status.to_proto(),
    }
}

#[derive(Default)]
struct Store {
    entries: HashMap<String, Entry>,
    next_seq: u64,
    /// Generations are unique across connections, so a connection deleted and created again
    /// under the same id never accepts a result meant for its predecessor.
    next_generation: u64,
    /// The loopback listener for the sign-in redirect, while some sign-in is pending.
    callback_listener: Option<ccloud::CallbackListener>,
}

impl Store {
    fn generation(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation
    }
}

/// The numbers an update may use, taken from the store before the entry is borrowed: the
/// generation of the new spec, and the epoch that starts if the update abandons a sign-in.
struct Renumbering {
    generation: u64,
    next_epoch: u64,
}

impl Renumbering {
    fn take(store: &mut Store) -> Self {
        Self { generation: store.generation(), next_epoch: store.generation() }
    }
}

struct Shared {
    /// The store. Held only for short, synchronous sections (never across an `.await`); events
    /// are queued while it is held so that their order is the order of the changes.
    store: Mutex<Store>,
    checks: Arc<dyn Checks>,
    ccloud: Arc<dyn CCloud>,
    settings: Settings,
    events: mpsc::UnboundedSender<ConnectionEvent>,
    /// The last revision given to any connection; revisions never repeat within a session.
    revisions: std::sync::atomic::AtomicU64,
    /// The shared store, when `initializationOptions.store` turned it on.
    shared_store: std::sync::OnceLock<Arc<shared_store::StoreLink>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock leaves the store consistent (every section writes whole
        // values), so a poisoned lock is still usable.
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a change of `entry` (spec, status or both): gives it the next revision, sends the
    /// event and returns the connection as it now is.
    fn changed(&self, action: EventAction, entry: &mut Entry) -> Connection {
        entry.revision = self.revisions.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let connection = entry.to_connection();
        // The receiver only goes away when the server is stopping; events are moot then.
        let _ = self.events.send(ConnectionEvent { action, connection: connection.clone() });
        connection
    }

    /// Runs one round of checks of `plan`: every component at once, each bounded by the timeout.
    async fn check(&self, plan: Plan) -> Findings {
        let timeout = self.settings.check_timeout;
        let kafka = plan.kafka.map(|target| {
            let check = match target {
                KafkaTarget::Direct(cluster) => self.checks.kafka(cluster, timeout),
                KafkaTarget::Discover(discovery) => self.checks.local_kafka(discovery, timeout),
            };
            async move { bounded(check, timeout, "the Kafka cluster").await.into() }
        });
        let registry = plan.schema_registry.map(|target| {
            let check = self.checks.schema_registry(target, timeout);
            async move { bounded(check, timeout, "the Schema Registry").await.into() }
        });
        let (kafka_cluster, schema_registry) = tokio::join!(optional(kafka), optional(registry));
        Findings { kafka_cluster, schema_registry }
    }

    /// Applies findings made for `generation`. Returns the connection as it now is, or `None`
    /// when it was deleted. Findings for an older generation are dropped.
    fn apply(&self, id: &str, generation: u64, findings: Findings) -> Option<Connection> {
        let mut store = self.lock();
        let entry = store.entries.get_mut(id)?;
        if entry.generation != generation {
            tracing::debug!(connection = id, "dropping a check result that a later update overtook");
            return Some(entry.to_connection());
        }
        let mut status = entry.status.clone();
        if findings.kafka_cluster.is_some() {
            status.kafka_cluster = findings.kafka_cluster;
        }
        if findings.schema_registry.is_some() {
            status.schema_registry = findings.schema_registry;
        }
        if status != entry.status {
            entry.status = status;
            let action = if entry.status.any_success() { EventAction::Connected } else { EventAction::Disconnected };
            tracing::info!(connection = id, ?action, "status changed");
            return Some(self.changed(action, entry));
        }
        Some(entry.to_connection())
    }

    /// Stores a validated spec, keeping a CCLOUD connection's sign-in, and sends `UPDATED`.
    fn commit_update(
        &self,
        entry: &mut Entry,
        numbers: Renumbering,
        id: &str,
        spec: ConnectionSpec,
        switched: Option<ccloud::Switched>,
    ) -> Connection {
        let plan = entry.kind.plan(&spec, &self.settings);
        let Renumbering { generation, next_epoch } = numbers;
        let organization_changed = ccloud::organization_changed(&entry.spec, &spec);
        let previous_ccloud = entry.status.ccloud.take();
        entry.status = Status::initial(entry.kind, &plan);
        entry.plan = plan;
        entry.spec = spec;
        entry.generation = generation;
        ccloud::carry_over(self, id, entry, previous_ccloud, organization_changed, switched, next_epoch);
        entry.wake.notify_one();
        let connection = self.changed(EventAction::Updated, entry);
        tracing::info!(connection = id, "updated");
        connection
    }

    fn snapshot(&self, id: &str) -> Option<Snapshot> {
        let store = self.lock();
        store.entries.get(id).map(|entry| Snapshot {
            generation: entry.generation,
            kind: entry.kind,
            plan: entry.plan.clone(),
        })
    }
}

/// What a data-plane request on a connection reaches: its Kafka cluster as its checks reach it, and
/// the status they last found.
#[derive(Clone, Debug)]
pub struct Reach {
    pub kind: Kind,
    pub kafka: Option<KafkaTarget>,
    pub kafka_status: Option<KafkaClusterStatus>,
    /// The Schema Registry the connection reaches (LOCAL: the local one its spec or the settings name).
    pub schema_registry: Option<ValidSchemaRegistry>,
    /// Changes with every spec change: what a long-lived request (a lag watch) compares to know
    /// the connection it started on is still the same.
    pub generation: u64,
    /// How long a request may take unless it says otherwise.
    pub check_timeout: Duration,
}

/// A connection as it is at one moment, for checks done outside the lock.
struct Snapshot {
    generation: u64,
    kind: Kind,
    plan: Plan,
}

async fn optional<T>(future: Option<impl std::future::Future<Output = T>>) -> Option<T> {
    match future {
        Some(future) => Some(future.await),
        None => None,
    }
}

async fn bounded(check: BoxFuture<Outcome>, timeout: Duration, what: &str) -> Outcome {
    match tokio::time::timeout(timeout, check).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::failed(
            format!(
                "Timed out after {} waiting for {what} to answer: check the address and that it is reachable from this machine",
                human_duration(timeout)
            ),
            true,
        ),
    }
}

pub fn human_duration(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds >= 1.0 && seconds.fract() == 0.0 {
        format!("{} s", seconds as u64)
    } else {
        format!("{} ms", duration.as_millis())
    }
}

/// The connection manager. Cheap to clone; every clone sees the same store.
#[derive(Clone)]
pub struct ConnectionManager {
    shared: Arc<Shared>,
}

impl ConnectionManager {
    /// A manager that checks through `checks`, signs in to Confluent Cloud through `ccloud` and
    /// sends every event to `events`. Must be created inside a tokio runtime: each stored
    /// connection gets a check task.
    pub fn new(
        settings: Settings,
        checks: Arc<dyn Checks>,
        ccloud: Arc<dyn CCloud>,
        events: mpsc::UnboundedSender<ConnectionEvent>,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                store: Mutex::default(),
                checks,
                ccloud,
                settings,
                events,
                revisions: Default::default(),
                shared_store: Default::default(),
            }),
        }
    }

    pub fn list(&self) -> Vec<Connection> {
        let store = self.shared.lock();
        let mut entries: Vec<&Entry> = store.entries.values().collect();
        entries.sort_by_key(|entry| entry.seq);
        entries.into_iter().map(Entry::to_connection).collect()
    }

    pub fn get(&self, id: &str) -> Result<Connection, ManagerError> {
        let store = self.shared.lock();
        store.entries.get(id).map(Entry::to_connection).ok_or_else(|| ManagerError::NotFound(id.to_string()))
    }

    /// Stores a new connection, sends `CREATED` and starts checking it in the background.
    pub fn create(&self, spec: ConnectionSpec) -> Result<Connection, ManagerError> {
        let spec = prepare_new(spec);
        let id = spec.id.clone().unwrap_or_default();
        let mut store = self.shared.lock();
        if store.entries.contains_key(&id) {
            return Err(ManagerError::AlreadyExists(id));
        }
        let kind = check_valid(&spec)?;
        let (id, wake, stop_rx) = shared_store::insert_entry(&self.shared, &mut store, spec, kind, None);
        let entry = store.entries.get_mut(&id).expect("just inserted");
        let connection = entry.to_connection();
        self.shared.publish_spec(&id, entry);
        drop(store);
        tracing::info!(connection = %id, "created");
        tokio::spawn(run_checks(self.shared.clone(), id, wake, stop_rx));
        Ok(connection)
    }

    /// Validates `spec` and checks it once, waiting for the result. Nothing is stored and no
    /// event is sent.
    pub async fn dry_run(&self, spec: ConnectionSpec) -> Result<Connection, ManagerError> {
        let spec = prepare_new(spec);
        let id = spec.id.clone().unwrap_or_default();
        if self.shared.lock().entries.contains_key(&id) {
            return Err(ManagerError::AlreadyExists(id));
        }
        self.check_once(spec).await
    }

    /// An update's dry run: the spec as [`Self::update`] would store it (validated against the
    /// stored connection, whose secrets stand in for masked ones), checked once and waited for.
    /// Nothing is stored and no event is sent; a CCLOUD organization switch is not run.
    pub async fn dry_run_update(&self, id: &str, spec: ConnectionSpec) -> Result<Connection, ManagerError> {
        let spec = {
            let store = self.shared.lock();
            let entry = store.entries.get(id).ok_or_else(|| ManagerError::NotFound(id.to_string()))?;
            validate_update(entry, id, spec, None)?.0
        };
        self.check_once(spec).await
    }

    /// Checks a valid spec once, as a new connection with no history; the reply masks its secrets.
    async fn check_once(&self, spec: ConnectionSpec) -> Result<Connection, ManagerError> {
        let kind = check_valid(&spec)?;
        let plan = kind.plan(&spec, &self.shared.settings);
        let mut status = Status::initial(kind, &plan);
        let findings = self.shared.check(plan.clone()).await;
        if let Some(KafkaTarget::Direct(target)) = &plan.kafka {
            self.shared.checks.kafka_dry_run_over(target, self.shared.settings.check_timeout);
        }
        status.kafka_cluster = findings.kafka_cluster.or(status.kafka_cluster);
        status.schema_registry = findings.schema_registry.or(status.schema_registry);
        Ok(to_connection(&spec, &status))
    }

    /// What a data-plane request on this connection reaches, as the connection is now.
    pub fn reach(&self, id: &str) -> Result<Reach, ManagerError> {
        let store = self.shared.lock();
        let entry = store.entries.get(id).ok_or_else(|| ManagerError::NotFound(id.to_string()))?;
        Ok(Reach {
            kind: entry.kind,
            kafka: entry.plan.kafka.clone(),
            kafka_status: entry.status.kafka_cluster.clone(),
            schema_registry: entry.plan.schema_registry.clone(),
            generation: entry.generation,
            check_timeout: self.shared.settings.check_timeout,
        })
    }

    /// The stored spec with its generation, for read-modify-write requests such as a merge patch.
    pub fn spec_with_generation(&self, id: &str) -> Result<(ConnectionSpec, u64), ManagerError> {
        let store = self.shared.lock();
        let entry = store.entries.get(id).ok_or_else(|| ManagerError::NotFound(id.to_string()))?;
        Ok((entry.spec.clone(), entry.generation))
    }

    /// Replaces the spec whole; see [`Self::update_if`].
    pub async fn update(&self, id: &str, spec: ConnectionSpec) -> Result<Connection, ManagerError> {
        self.update_if(id, spec, None).await
    }

    /// Replaces the spec whole, keeping stored secrets sent back as `"********"`, when the
    /// connection is still at `expected_generation` (if given). Sends `UPDATED` and re-checks at once.
    ///
    /// A new `organization_id` on a signed-in CCLOUD connection first runs the session exchange
    /// for that organization (outside the lock); the update is committed only when it succeeds,
    /// and only if no other update came in meanwhile (else [`ManagerError::Conflict`]).
    pub async fn update_if(
        &self,
        id: &str,
        spec: ConnectionSpec,
        expected_generation: Option<u64>,
    ) -> Result<Connection, ManagerError> {
        let (spec, generation, switch) = {
            let mut store = self.shared.lock();
            let numbers = Renumbering::take(&mut store);
            let Some(entry) = store.entries.get_mut(id) else {
                return Err(ManagerError::NotFound(id.to_string()));
            };
            let (spec, generation, switch) = validate_update(entry, id, spec, expected_generation)?;
            match switch {
                None => {
                    let connection = self.shared.commit_update(entry, numbers, id, spec, None);
                    self.shared.publish_spec(id, entry);
                    return Ok(connection);
                }
                Some(switch) => (spec, generation, switch),
            }
        };
        let switched = ccloud::switch_organization(&self.shared, id, switch).await?;
        let mut store = self.shared.lock();
        let numbers = Renumbering::take(&mut store);
        let Some(entry) = store.entries.get_mut(id) else {
            return Err(ManagerError::NotFound(id.to_string()));
        };
        if entry.generation != generation {
            ccloud::keep_switched_tokens(&self.shared, id, entry, switched, numbers.next_epoch);
            return Err(ManagerError::Conflict(id.to_string()));
        }
        let connection = self.shared.commit_update(entry, numbers, id, spec, Some(switched));
        self.shared.publish_spec(id, entry);
        Ok(connection)
    }

    /// Removes the connection, stops its checks and sends `DELETED`, its last event.
    pub fn delete(&self, id: &str) -> Result<(), ManagerError> {
        let mut store = self.shared.lock();
        let mut entry = store.entries.remove(id).ok_or_else(|| ManagerError::NotFound(id.to_string()))?;
        self.shared.changed(EventAction::Deleted, &mut entry);
        self.shared.publish_delete(id);
        store.release_listener_if_idle();
        tracing::info!(connection = id, "deleted");
        Ok(())
    }

    /// Checks the connection now and returns it with the result applied.
    pub async fn refresh(&self, id: &str) -> Result<Connection, ManagerError> {
        let Snapshot { generation, kind, plan } =
            self.shared.snapshot(id).ok_or_else(|| ManagerError::NotFound(id.to_string()))?;
        match kind.upkeep() {
            Upkeep::Session => ccloud::check_now(&self.shared, id).await,
            Upkeep::Checks => {
                let findings = self.shared.check(plan).await;
                self.shared.apply(id, generation, findings).ok_or_else(|| ManagerError::NotFound(id.to_string()))
            }
        }
    }
}

/// Validates an update under the lock: the spec with masked secrets restored and its id filled
/// in, the generation it was validated against, and the organization switch it needs, if any.
fn validate_update(
    entry: &Entry,
    id: &str,
    mut spec: ConnectionSpec,
    expected_generation: Option<u64>,
) -> Result<(ConnectionSpec, u64, Option<ccloud::OrganizationSwitch>), ManagerError> {
    if expected_generation.is_some_and(|expected| expected != entry.generation) {
        return Err(ManagerError::Conflict(id.to_string()));
    }
    secrets::restore_masked(&mut spec, &entry.spec);
    let mut problems = Vec::new();
    match spec.id.as_deref() {
        None => spec.id = Some(id.to_string()),
        Some(given) if given != id => problems.push(FieldError {
            source: "id".into(),
            detail: format!("The id of a connection cannot change (it is '{id}')"),
        }),
        Some(_) => {}
    }
    if let (Some(new_type), Some(old_type)) = (spec.connection_type, entry.spec.connection_type) {
        if new_type != old_type {
            problems.push(FieldError {
                source: "type".into(),
                detail: format!(
                    "The type of a connection cannot change (it is {}): create a new connection instead",
                    old_type.as_str()
                ),
            });
        }
    }
    problems.extend(validation::validate(&spec));
    if !problems.is_empty() {
        return Err(ManagerError::Invalid(problems));
    }
    let switch = ccloud::organization_switch(entry, &spec);
    Ok((spec, entry.generation, switch))
}

/// Gives a new spec its id (a UUID when absent).
fn prepare_new(mut spec: ConnectionSpec) -> ConnectionSpec {
    if spec.id.is_none() {
        spec.id = Some(uuid::Uuid::new_v4().to_string());
    }
    spec
}

/// Validates a new spec; a valid spec has a type, so it comes back as its kind.
fn check_valid(spec: &ConnectionSpec) -> Result<Kind, ManagerError> {
    let problems = validation::validate(spec);
    match spec.connection_type {
        // Validation reports a missing type, so `problems` is never empty here without one.
        Some(connection_type) if problems.is_empty() => Ok(Kind::of(connection_type)),
        _ => Err(ManagerError::Invalid(problems)),
    }
}

/// One connection's check loop: check, apply, wait for the interval or a wake-up, repeat.
/// A wake-up (an update) during a check abandons it and starts over with the new spec.
/// Ends when the connection is deleted (its entry, holding `stop`'s sender, is dropped).
async fn run_checks(shared: Arc<Shared>, id: String, wake: Arc<Notify>, mut stop: oneshot::Receiver<()>) {
    // Consecutive rounds in which some component failed, for this generation of the spec.
    let mut failed_rounds = (0, 0);
    loop {
        let Some(Snapshot { generation, kind, plan }) = shared.snapshot(&id) else { return };
        if failed_rounds.0 != generation {
            failed_rounds = (generation, 0);
        }
        if kind.upkeep() == Upkeep::Session {
            if ccloud::keep_session(&shared, &id, &wake, &mut stop).await {
                continue;
            }
            return;
        }
        if plan.is_empty() {
            // Nothing to check: wait for a change or the end.
            tokio::select! {
                () = wake.notified() => continue,
                _ = &mut stop => return,
            }
        }
        tokio::select! {
            findings = shared.check(plan.clone()) => {
                let failed = findings.any_failed();
                if shared.apply(&id, generation, findings).is_none() {
                    return;
                }
                failed_rounds.1 = if failed { failed_rounds.1 + 1 } else { 0 };
            }
            () = wake.notified() => continue,
            _ = &mut stop => return,
        }
        // Between checks, the backend may signal that the cluster started failing.
        let changed = match plan.kafka {
            Some(KafkaTarget::Direct(target)) => shared.checks.kafka_changed(&target, shared.settings.check_timeout),
            _ => None,
        };
        let watching = changed.is_some();
        tokio::select! {
            () = tokio::time::sleep(next_check_in(kind.interval(&shared.settings), failed_rounds.1)) => {}
            () = wake.notified() => {}
            _ = optional(changed), if watching => {}
            _ = &mut stop => return,
        }
    }
}

/// The first re-check after a failed round comes this soon, so that a broker that restarts is seen
/// within about a second or two rather than at the next scheduled check.
pub const RETRY_FIRST: Duration = Duration::from_secs(1);

/// How long to wait before the next check: after failed rounds, 1 s, 2 s, 4 s... up to the
/// schedule's interval; otherwise the interval.
fn next_check_in(interval: Duration, failed_rounds: u32) -> Duration {
    match failed_rounds {
        0 => interval,
        n => RETRY_FIRST.saturating_mul(1 << (n - 1).min(16)).min(interval),
    }
}

#[cfg(test)]
mod ccloud_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

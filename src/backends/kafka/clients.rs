//! Shared, long-lived Kafka clients: one librdkafka client per distinct effective configuration.
//!
//! A librdkafka client costs a handful of OS threads and a TCP connection per broker, so a
//! thousand connections to one cluster must not mean a thousand clients, and a check every few
//! seconds must not mean a new client each time. Connections whose configuration is identical
//! share one [`SharedClient`]; concurrent checks of one client share one metadata request
//! (single flight); and the client's own error callbacks, polled on its own thread, tell the
//! manager at once when the cluster goes away (see [`SharedClient::changed`]), instead of
//! waiting for the next scheduled check.
//!
//! Clients are also the sidecar's costliest resource (threads and file handles), so the pool
//! closes what nothing uses. A client is in use while anyone besides the pool holds it: a check
//! that runs on it, or a stored connection's watch between checks (the future of
//! [`SharedClient::changed`]). A client nothing holds is closed [`RELEASE_GRACE`] after its last
//! use, by the pool's reaper thread; a dry run's client as soon as the dry run is over
//! ([`ClientPool::release`]). At most [`MAX_CLIENTS`] are open, counting those being closed: past
//! that, unused clients are closed first and a new one waits for their threads to end; when every
//! one is in use the check fails with [`PoolError::Full`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientConfig;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use super::explain::{explain_for, Subject};
use crate::backends::oauth::Token;
use crate::connections::{human_duration, Outcome};
use crate::connections::{OAuthCredentials, ValidKafkaCluster};

/// How long one metadata request may wait before the check looks at what the client reported.
const POLL_SLICE: Duration = Duration::from_millis(200);
/// A failure the client reported before this check started is trusted only after this long.
const STALE_FAILURE_GRACE: Duration = Duration::from_secs(1);
/// How long a client nothing holds stays open after its last use. Stored DIRECT connections hold
/// their client between checks, so this only has to cover the short gaps a re-check leaves (an OAuth
/// token request before the client is asked for) and LOCAL connections, which hold nothing between
/// checks (their default schedule is 5 s); and it lets a dry run, then a create of the same spec,
/// or an edit undone, find the client still open.
pub const RELEASE_GRACE: Duration = Duration::from_secs(15);
/// The most clients open at once. One costs about five threads and four to eight file handles,
/// so this many stay well inside a 1024 file-handle limit with room for everything else.
pub const MAX_CLIENTS: usize = 64;
/// How long a client's polling thread takes to notice it should stop.
const STOP_LATENCY: Duration = Duration::from_millis(200);
/// How often the reaper looks for clients past their grace.
const REAP_EVERY: Duration = Duration::from_secs(1);

/// What the client reported, kept between checks.
#[derive(Default)]
struct Health {
    /// The last conclusive failure (all brokers down, refused, TLS, SASL, name resolution) and
    /// when it was reported; cleared by a successful metadata request.
    failure: Option<(Instant, String)>,
    /// Whether the last check succeeded, to signal only the transition to failure.
    healthy: bool,
}

/// The client's context: routes librdkafka's logs to `tracing` and turns its errors into [`Health`].
pub(super) struct Monitor {
    health: Mutex<Health>,
    /// Bumped when a healthy cluster starts failing; connections using the client watch it.
    changed: watch::Sender<u64>,
}

impl Monitor {
    fn new() -> Self {
        Self { health: Mutex::default(), changed: watch::Sender::new(0) }
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record_failure(&self, reason: &str) {
        let mut health = self.health();
        health.failure = Some((Instant::now(), reason.to_string()));
        if std::mem::take(&mut health.healthy) {
            drop(health);
            self.changed.send_modify(|count| *count += 1);
        }
    }
}

fn conclusive(code: Option<RDKafkaErrorCode>, reason: &str) -> bool {
    matches!(
        code,
        Some(
            RDKafkaErrorCode::AllBrokersDown
                | RDKafkaErrorCode::BrokerTransportFailure
                | RDKafkaErrorCode::SSL
                | RDKafkaErrorCode::Authentication
                | RDKafkaErrorCode::Resolve
        )
    ) || reason.contains("Failed to resolve")
        || reason.contains("SASL")
        || reason.contains("SSL handshake failed")
}

impl ClientContext for Monitor {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        // Some connection failures (a handshake that timed out) arrive only as FAIL logs.
        if facility == "FAIL" {
            let reason = message.split_once("]: ").map_or(message, |(_, rest)| rest);
            self.record_failure(reason);
        }
        match level {
            RDKafkaLogLevel::Debug => tracing::trace!(target: "librdkafka", facility, "{message}"),
            RDKafkaLogLevel::Info | RDKafkaLogLevel::Notice => {
                tracing::debug!(target: "librdkafka", facility, "{message}")
            }
            _ => tracing::debug!(target: "librdkafka", facility, level = ?level, "{message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::debug!(target: "librdkafka", %error, "{reason}");
        let code = error.rdkafka_error_code();
        if code == Some(RDKafkaErrorCode::AllBrokersDown) {
            // Keep the more telling reason (refused, TLS...) that came just before, if any.
            let mut health = self.health();
            if health.failure.is_none() {
                health.failure = Some((Instant::now(), reason.to_string()));
            } else if let Some((at, _)) = health.failure.as_mut() {
                *at = Instant::now();
            }
            if std::mem::take(&mut health.healthy) {
                drop(health);
                self.changed.send_modify(|count| *count += 1);
            }
        } else if conclusive(code, reason) {
            self.record_failure(reason);
        }
    }
}

impl ProducerContext for Monitor {
    type DeliveryOpaque = Box<super::records::Delivery>;

    fn delivery(&self, result: &DeliveryResult<'_>, delivery: Self::DeliveryOpaque) {
        delivery.report(result);
    }
}

/// One long-lived client, its polling thread, and the state its checks share.
pub struct SharedClient {
    producer: Arc<BaseProducer<Monitor>>,
    /// The configuration the client was made with: the data plane's readers are made from it.
    config: ClientConfig,
    /// The pool's key for that configuration.
    key: String,
    stop: Arc<AtomicBool>,
    poller: Option<JoinHandle<()>>,
    subject: Subject,
    /// Single flight: a check waits here while another runs, then reuses its result.
    flight: tokio::sync::Mutex<Option<(Instant, Outcome)>>,
    last_used: Mutex<Instant>,
    /// The OAuth token currently handed to the client (with the credentials it came from), to hand
    /// over a renewed one, and to hand the same to the data plane's readers.
    token: Mutex<Option<(Token, OAuthCredentials)>>,
    /// The pool's permit for this client, given back when the client is closed. Last, so that
    /// it is dropped after the producer, once librdkafka's threads have ended.
    _permit: OwnedSemaphorePermit,
}

impl SharedClient {
    fn create(
        config: &ClientConfig,
        target: &ValidKafkaCluster,
        permit: OwnedSemaphorePermit,
    ) -> Result<Self, KafkaError> {
        // Records produced without a partition go where Java clients put them (murmur2 of the key).
        let mut producer_config = config.clone();
        producer_config.set("partitioner", "murmur2_random");
        let producer: Arc<BaseProducer<Monitor>> = Arc::new(producer_config.create_with_context(Monitor::new())?);
        let stop = Arc::new(AtomicBool::new(false));
        let poller = {
            let (producer, stop) = (producer.clone(), stop.clone());
            std::thread::Builder::new()
                .name("kafka-events".into())
                .spawn(move || {
                    // poll returns as soon as an event arrives; the timeout only bounds how long a
                    // stop request waits, and so how long closing a client takes.
                    while !stop.load(Ordering::Relaxed) {
                        producer.poll(STOP_LATENCY);
                    }
                })
                .map_err(|error| KafkaError::ClientCreation(error.to_string()))?
        };
        Ok(Self {
            producer,
            config: config.clone(),
            key: ClientPool::key(config),
            stop,
            poller: Some(poller),
            subject: Subject::new(target, config.get("ssl.ca.pem")),
            flight: tokio::sync::Mutex::new(None),
            last_used: Mutex::new(Instant::now()),
            token: Mutex::new(None),
            _permit: permit,
        })
    }

    /// Resolves when the cluster, healthy at the last check, starts failing. The future holds the
    /// client, so a stored connection watching it between checks keeps it open.
    pub fn changed(self: &Arc<Self>) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut receiver = self.producer.context().changed.subscribe();
        let watch = Watch(self.clone());
        async move {
            let _watch = watch;
            // The sender lives in the client this future holds, so this never fails.
            let _ = receiver.changed().await;
        }
    }

    /// Checks the cluster, sharing the result with every check that started while it ran.
    pub async fn check(self: &Arc<Self>, timeout: Duration) -> Outcome {
        let asked = Instant::now();
        self.touch();
        let mut flight = self.flight.lock().await;
        if let Some((finished, outcome)) = flight.as_ref() {
            if *finished >= asked {
                return outcome.clone();
            }
        }
        let client = self.clone();
        let fetch = move || {
            let outcome = client.fetch(timeout);
            // A check abandoned by its caller still runs here: the grace counts from its end.
            client.touch();
            outcome
        };
        let outcome = match tokio::task::spawn_blocking(fetch).await {
            Ok(outcome) => outcome,
            Err(error) => Outcome::failed(format!("The Kafka check stopped unexpectedly: {error}"), true),
        };
        *flight = Some((Instant::now(), outcome.clone()));
        outcome
    }

    /// Asks for metadata and the cluster id, in short slices, until it answers, the client has
    /// reported a conclusive failure, or the time is up. Blocking.
    fn fetch(&self, timeout: Duration) -> Outcome {
        let started = Instant::now();
        // Stop a little before the manager's own limit, so that what librdkafka said can be reported.
        let deadline = started + timeout.mul_f64(0.9);
        let client = self.producer.client();
        loop {
            let slice = POLL_SLICE.min(deadline.saturating_duration_since(Instant::now()));
            match client.fetch_metadata(None, slice) {
                Ok(metadata) => {
                    let remaining = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(100));
                    let cluster_id = client.fetch_cluster_id(remaining);
                    let mut health = self.producer.context().health();
                    health.failure = None;
                    health.healthy = true;
                    drop(health);
                    tracing::debug!(
                        servers = self.subject.servers,
                        brokers = metadata.brokers().len(),
                        "Kafka cluster answered"
                    );
                    return Outcome::Success { cluster_id, bootstrap_servers: Some(self.subject.servers.clone()) };
                }
                Err(error) => {
                    let failure = self.producer.context().health().failure.clone();
                    if let Some((at, reason)) = failure {
                        // A failure reported during this check is conclusive at once; an older
                        // one only when the cluster still does not answer a while later.
                        if at >= started || started.elapsed() >= STALE_FAILURE_GRACE {
                            return explain_for(&self.subject, &reason);
                        }
                    }
                    if Instant::now() >= deadline {
                        return Outcome::failed(
                            format!(
                                "Timed out after {} waiting for the Kafka cluster at '{}' to answer ({error}): check the bootstrap servers and that the cluster is reachable from this machine",
                                human_duration(timeout),
                                self.subject.servers
                            ),
                            true,
                        );
                    }
                }
            }
        }
    }

    /// Hands a (renewed) OAuth token to the client, with the Confluent Cloud extensions when given.
    pub fn hand_token(&self, token: &Token, credentials: &OAuthCredentials) -> Result<(), String> {
        let mut current = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if current.as_ref().is_some_and(|(handed, _)| handed.access_token == token.access_token) {
            return Ok(());
        }
        set_token(self.producer.client().native_ptr(), token, credentials)?;
        *current = Some((token.clone(), credentials.clone()));
        Ok(())
    }

    /// Hands the client's current OAuth token, if it has one, to another client of the same cluster
    /// (a reader made from [`Self::config`], which has no token of its own).
    pub(super) fn share_token(&self, other: *mut rdkafka::types::RDKafka) -> Result<(), String> {
        let current = self.token.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match current {
            Some((token, credentials)) => set_token(other, &token, &credentials),
            None => Ok(()),
        }
    }

    /// The configuration the client was made with (secrets included: never log it).
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// What tells this client's configuration apart from every other (a digest; no secret in it).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The client as a producer, for `kafka/records/produce`; its delivery reports arrive on the
    /// client's polling thread.
    pub(super) fn producer(&self) -> &BaseProducer<Monitor> {
        self.touch();
        &self.producer
    }

    /// The bootstrap servers the client was made for, for messages.
    pub fn servers(&self) -> &str {
        &self.subject.servers
    }

    /// The client's librdkafka handle, for the admin requests of [`super::admin`].
    pub(super) fn native(&self) -> *mut rdkafka::types::RDKafka {
        self.producer.client().native_ptr()
    }

    /// Metadata of every topic and broker. Blocking. (Asking for one topic by name could create it
    /// on a cluster that creates topics on first use.)
    pub fn metadata(&self, timeout: Duration) -> Result<rdkafka::metadata::Metadata, KafkaError> {
        self.touch();
        self.producer.client().fetch_metadata(None, timeout)
    }

    /// The consumer groups (with members and their assignments) as the brokers describe them: one
    /// group, or all of them. Blocking.
    pub fn groups(&self, group: Option<&str>, timeout: Duration) -> Result<rdkafka::groups::GroupList, KafkaError> {
        self.touch();
        self.producer.client().fetch_group_list(group, timeout)
    }

    /// Why the cluster is failing, in the words of a check, when the client has seen it fail since
    /// it last answered.
    pub fn failure(&self) -> Option<Outcome> {
        let failure = self.producer.context().health().failure.clone();
        failure.map(|(_, reason)| explain_for(&self.subject, &reason))
    }

    fn touch(&self) {
        *self.last_used.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    fn last_used(&self) -> Instant {
        *self.last_used.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks the polling thread to end, without waiting for it.
    fn stop_polling(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Hands an OAuth token to a librdkafka client, with the Confluent Cloud extensions when given.
/// rdkafka's own token callback cannot send extensions, so this calls librdkafka directly.
fn set_token(
    client: *mut rdkafka::types::RDKafka,
    token: &Token,
    credentials: &OAuthCredentials,
) -> Result<(), String> {
    use std::ffi::CString;
    let lifetime_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |now| (now + token.lifetime).as_millis() as i64);
    let extensions: Vec<(&str, &String)> = [
        ("logicalCluster", credentials.ccloud_logical_cluster_id.as_ref()),
        ("identityPoolId", credentials.ccloud_identity_pool_id.as_ref()),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.map(|value| (key, value)))
    .collect();
    let to_c = |text: &str| CString::new(text).map_err(|_| "a value contains a NUL character".to_string());
    let value = to_c(&token.access_token)?;
    let principal = to_c(&credentials.client_id)?;
    let owned: Vec<CString> = extensions.iter().flat_map(|(k, v)| [to_c(k), to_c(v)]).collect::<Result<_, _>>()?;
    let pointers: Vec<*const std::os::raw::c_char> = owned.iter().map(|c| c.as_ptr()).collect();
    let mut error = vec![0 as std::os::raw::c_char; 512];
    // SAFETY: the caller owns the live client handle, every pointer is valid for the duration of the
    // call, librdkafka copies what it keeps, and the error buffer's length is passed along with it.
    let code = unsafe {
        rdkafka::bindings::rd_kafka_oauthbearer_set_token(
            client,
            value.as_ptr(),
            lifetime_ms,
            principal.as_ptr(),
            if pointers.is_empty() { std::ptr::null_mut() } else { pointers.as_ptr() as *mut _ },
            pointers.len(),
            error.as_mut_ptr(),
            error.len(),
        )
    };
    if code == rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        Ok(())
    } else {
        // SAFETY: librdkafka writes a NUL-terminated message into the buffer.
        Err(unsafe { std::ffi::CStr::from_ptr(error.as_ptr()) }.to_string_lossy().into_owned())
    }
}

/// A stored connection watching a client between checks. Dropping it (the connection is checked
/// again, updated or deleted) counts as a use, so the grace starts then.
struct Watch(Arc<SharedClient>);

impl Drop for Watch {
    fn drop(&mut self) {
        self.0.touch();
    }
}

impl Drop for SharedClient {
    fn drop(&mut self) {
        self.stop_polling();
        if let Some(poller) = self.poller.take() {
            let _ = poller.join();
        }
    }
}

/// Closes clients: every polling thread is told to stop first, so that they end together rather
/// than one poll timeout after another. Blocking (it joins the clients' threads): only the reaper
/// thread calls it.
fn close_all(clients: Vec<Arc<SharedClient>>) {
    if clients.is_empty() {
        return;
    }
    for client in &clients {
        client.stop_polling();
    }
    let (count, started) = (clients.len(), Instant::now());
    drop(clients);
    tracing::debug!(count, took = ?started.elapsed(), "closed Kafka clients");
}

/// Why the pool gave no client.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("Too many Kafka clients: the sidecar keeps at most {limit} open and every one is in use by a connection with its own settings (each distinct combination of bootstrap servers, credentials, TLS and client id suffix needs a client): delete connections you no longer need, or give connections to the same cluster identical settings so that they share one client")]
    Full { limit: usize },
    #[error(transparent)]
    Create(#[from] KafkaError),
}

/// When the pool closes clients.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most clients open at once.
    pub max_clients: usize,
    /// How long a client nothing holds stays open after its last use.
    pub grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_clients: MAX_CLIENTS, grace: RELEASE_GRACE }
    }
}

/// The open clients, by effective configuration.
///
/// A client is in use while someone besides the pool holds an `Arc` of it, so
/// `Arc::strong_count(client) == 1` under the `clients` lock means nobody does; and since only the
/// pool hands out clients, and only under that lock, nobody can start using one the pool has just
/// removed. The pool's `Arc` is therefore always the last one, and closing (which joins the
/// client's threads) happens wherever the pool sends it: to the reaper thread.
pub struct ClientPool {
    limits: Limits,
    /// Keyed by a digest of the whole librdkafka configuration. Held only briefly (never while a
    /// client is closed).
    clients: Mutex<HashMap<String, Arc<SharedClient>>>,
    /// Clients removed from `clients`, on their way to the reaper thread to be closed.
    closing: mpsc::Sender<Vec<Arc<SharedClient>>>,
    /// The reaper's end of `closing`, until the reaper starts.
    to_close: Mutex<Option<mpsc::Receiver<Vec<Arc<SharedClient>>>>>,
    /// One permit per open client, held by the client until its threads have ended: clients on
    /// their way to being closed count against the cap too, and a new client waits for them.
    permits: Arc<Semaphore>,
}

impl ClientPool {
    /// A pool without a reaper: clients to close wait in its queue (see [`Self::start_reaper`]).
    pub fn new(limits: Limits) -> Self {
        let (closing, to_close) = mpsc::channel();
        Self {
            limits,
            clients: Mutex::default(),
            closing,
            to_close: Mutex::new(Some(to_close)),
            permits: Arc::new(Semaphore::new(limits.max_clients)),
        }
    }

    /// A pool with its reaper running: what the Kafka checks own (see `RealChecks`).
    pub fn start(limits: Limits) -> Arc<ClientPool> {
        let pool = Arc::new(ClientPool::new(limits));
        pool.start_reaper();
        pool
    }

    /// Starts the thread that closes the clients sent to it, and every [`REAP_EVERY`] those past
    /// their grace. It holds the pool weakly and ends with it (its queue's sender is the pool's).
    fn start_reaper(self: &Arc<Self>) {
        let Some(to_close) = self.to_close.lock().unwrap_or_else(|p| p.into_inner()).take() else { return };
        let pool = Arc::downgrade(self);
        let reaper = move || {
            let mut next_look = Instant::now() + REAP_EVERY;
            loop {
                match to_close.recv_timeout(next_look.saturating_duration_since(Instant::now())) {
                    // Everything queued meanwhile goes too, so that the threads end together.
                    Ok(clients) => close_all(clients.into_iter().chain(to_close.try_iter().flatten()).collect()),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
                if Instant::now() >= next_look {
                    let Some(pool) = pool.upgrade() else { return };
                    let expired = pool.expired(Instant::now());
                    drop(pool);
                    close_all(expired);
                    next_look = Instant::now() + REAP_EVERY;
                }
            }
        };
        if let Err(error) = std::thread::Builder::new().name("kafka-reaper".into()).spawn(reaper) {
            tracing::error!(%error, "cannot start the thread that closes unused Kafka clients");
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<SharedClient>>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends clients to the reaper to be closed. Nobody holds them any more, so their polling
    /// threads can start ending now.
    fn close(&self, clients: Vec<Arc<SharedClient>>) {
        if clients.is_empty() {
            return;
        }
        for client in &clients {
            client.stop_polling();
        }
        if let Err(mpsc::SendError(clients)) = self.closing.send(clients) {
            // No reaper (it could not start): a thread of their own, still not the caller's.
            let _ = std::thread::Builder::new().name("kafka-close".into()).spawn(move || close_all(clients));
        }
    }

    /// A digest of the whole configuration, secrets included (`config_map` masks them, so the values
    /// come from `get`): two specs share a client only when every setting is the same.
    pub(super) fn key(config: &ClientConfig) -> String {
        let mut hasher = openssl::sha::Sha256::new();
        for key in config.config_map().keys() {
            hasher.update(key.as_bytes());
            hasher.update(b"=");
            hasher.update(config.get(key).unwrap_or_default().as_bytes());
            hasher.update(b"\n");
        }
        hasher.finish().iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// The client for this configuration, made when there is none. At the cap, the unused client
    /// used longest ago is closed to make room, and this waits until its threads have ended; when
    /// every open client is in use, [`PoolError::Full`].
    pub async fn get_or_create(
        &self,
        config: &ClientConfig,
        target: &ValidKafkaCluster,
    ) -> Result<Arc<SharedClient>, PoolError> {
        let key = Self::key(config);
        let mut permit = None;
        loop {
            let room = {
                let mut clients = self.lock();
                if let Some(client) = clients.get(&key) {
                    client.touch();
                    return Ok(client.clone());
                }
                if let Some(permit) = permit.take().or_else(|| self.permits.clone().try_acquire_owned().ok()) {
                    let client = Arc::new(SharedClient::create(config, target, permit)?);
                    clients.insert(key, client.clone());
                    tracing::debug!(
                        servers = client.subject.servers,
                        clients = clients.len(),
                        "new shared Kafka client"
                    );
                    return Ok(client);
                }
                self.make_room(&mut clients)?;
                self.permits.clone().acquire_owned()
            };
            // Outside the lock: a client is being closed, and its permit comes back when it is.
            permit = Some(room.await.expect("the pool never closes its semaphore"));
        }
    }

    /// At the cap: sends the unused client used longest ago to be closed. Fails when every open
    /// client is in use; succeeds without closing one when some are being closed already.
    fn make_room(&self, clients: &mut HashMap<String, Arc<SharedClient>>) -> Result<(), PoolError> {
        let oldest_unused = clients
            .iter()
            .filter(|(_, client)| Arc::strong_count(client) == 1)
            .min_by_key(|(_, client)| client.last_used())
            .map(|(key, _)| key.clone());
        match oldest_unused.and_then(|key| clients.remove(&key)) {
            Some(client) => {
                self.close(vec![client]);
                Ok(())
            }
            None if clients.len() >= self.limits.max_clients => {
                tracing::warn!(limit = self.limits.max_clients, "every Kafka client is in use");
                Err(PoolError::Full { limit: self.limits.max_clients })
            }
            None => Ok(()),
        }
    }

    /// The client for this configuration, if one exists.
    pub fn get(&self, config: &ClientConfig) -> Option<Arc<SharedClient>> {
        let client = self.lock().get(&Self::key(config)).cloned()?;
        client.touch();
        Some(client)
    }

    /// A dry run of this configuration is over: its client is closed now, unless someone else (a
    /// stored connection, another check) holds it.
    pub fn release(&self, config: &ClientConfig) {
        let key = Self::key(config);
        let mut clients = self.lock();
        if clients.get(&key).is_some_and(|client| Arc::strong_count(client) == 1) {
            let released = clients.remove(&key).into_iter().collect();
            drop(clients);
            self.close(released);
        }
    }

    /// Removes the clients nothing holds whose grace is over at `now`, for the reaper to close.
    fn expired(&self, now: Instant) -> Vec<Arc<SharedClient>> {
        let mut clients = self.lock();
        let grace = self.limits.grace;
        let keys: Vec<String> = clients
            .iter()
            .filter(|(_, client)| {
                Arc::strong_count(client) == 1 && now.saturating_duration_since(client.last_used()) >= grace
            })
            .map(|(key, _)| key.clone())
            .collect();
        keys.iter().filter_map(|key| clients.remove(key)).collect()
    }

    /// The clients in the pool (not counting those being closed).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// The clients open: in the pool or being closed.
    pub fn open(&self) -> usize {
        self.limits.max_clients - self.permits.available_permits()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::kafka::client_config;

    const GRACE: Duration = Duration::from_secs(10);

    /// A cluster where nothing listens, with its own client id so that each `n` needs a client.
    fn target(n: usize) -> (ClientConfig, ValidKafkaCluster) {
        let target = ValidKafkaCluster {
            bootstrap_servers: "127.0.0.1:1".into(),
            credentials: None,
            tls: Some(crate::connections::ValidTls::default()),
            client_id_suffix: Some(format!("pool-test-{n}")),
        };
        (client_config(&target, &crate::backends::tls::TlsMaterial::default(), Duration::from_secs(2)).unwrap(), target)
    }

    fn pool(max_clients: usize) -> ClientPool {
        ClientPool::new(Limits { max_clients, grace: GRACE })
    }

    /// A pool with its reaper, as the sidecar has.
    fn reaped_pool(max_clients: usize) -> Arc<ClientPool> {
        let pool = Arc::new(pool(max_clients));
        pool.start_reaper();
        pool
    }

    async fn client(pool: &ClientPool, n: usize) -> Arc<SharedClient> {
        let (config, target) = target(n);
        within(pool.get_or_create(&config, &target)).await.unwrap()
    }

    async fn within<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(20), future).await.expect("the pool answers within 20 s")
    }

    impl ClientPool {
        /// What was sent to the reaper, for pools without one.
        fn sent_to_close(&self) -> usize {
            let queue = self.to_close.lock().unwrap();
            let clients: Vec<_> = queue.as_ref().unwrap().try_iter().flatten().collect();
            let count = clients.len();
            close_all(clients);
            count
        }

        /// Closes every client together, so that a test does not wait for one thread after another.
        fn close_everything(&self) {
            close_all(self.lock().drain().map(|(_, client)| client).collect());
        }
    }

    #[tokio::test]
    async fn clients_in_use_stay_and_unused_ones_close_after_the_grace() {
        let pool = pool(8);
        let held = client(&pool, 0).await;
        drop(client(&pool, 1).await);
        let watched = client(&pool, 2).await.changed();
        assert_eq!(pool.len(), 3);

        assert!(pool.expired(Instant::now() + GRACE / 2).is_empty(), "nothing closes within the grace");
        let expired = pool.expired(Instant::now() + GRACE);
        assert_eq!(expired.len(), 1, "only the client nobody holds is closed");
        assert!(!Arc::ptr_eq(&expired[0], &held));
        close_all(expired);
        assert_eq!(pool.len(), 2, "the checked and the watched client stay open however long");
        assert!(pool.expired(Instant::now() + 100 * GRACE).is_empty());

        // A watch dropped (the connection is updated or deleted) starts the grace then.
        drop(watched);
        assert!(pool.expired(Instant::now() + GRACE / 2).is_empty());
        assert_eq!(pool.expired(Instant::now() + GRACE).len(), 1);
        drop(held);
        pool.close_everything();
    }

    #[tokio::test]
    async fn the_same_configuration_gets_the_same_client() {
        let pool = pool(8);
        let first = client(&pool, 0).await;
        let (config, _) = target(0);
        assert!(Arc::ptr_eq(&first, &client(&pool, 0).await));
        assert!(Arc::ptr_eq(&first, &pool.get(&config).unwrap()));
        assert!(!Arc::ptr_eq(&first, &client(&pool, 1).await));
        assert_eq!((pool.len(), pool.open()), (2, 2));
        drop(first);
        pool.close_everything();
        assert_eq!(pool.open(), 0, "a closed client gives its permit back");
    }

    #[tokio::test]
    async fn a_dry_runs_client_closes_when_it_ends_unless_someone_holds_it() {
        let pool = pool(8);
        let (config, _) = target(0);
        let stored = client(&pool, 0).await.changed();
        let dry_run = client(&pool, 0).await;
        drop(dry_run);
        pool.release(&config);
        assert_eq!((pool.len(), pool.sent_to_close()), (1, 0), "a stored connection uses the same configuration");

        drop(stored);
        drop(client(&pool, 0).await);
        pool.release(&config);
        assert_eq!((pool.len(), pool.sent_to_close()), (0, 1), "closed at once, by the reaper");
    }

    #[tokio::test]
    async fn past_the_cap_unused_clients_close_first_then_checks_fail_and_say_what_to_do() {
        let pool = &*reaped_pool(3);
        let held = [client(pool, 0).await, client(pool, 1).await];
        drop(client(pool, 2).await);
        // Waits for the unused client's threads to end, so no more than 3 are ever open.
        let third = client(pool, 3).await;
        assert_eq!((pool.len(), pool.open()), (3, 3));

        let (config, target) = target(4);
        let full = within(pool.get_or_create(&config, &target)).await.map(|_| ()).unwrap_err();
        assert!(matches!(full, PoolError::Full { limit: 3 }), "{full:?}");
        let message = full.to_string();
        assert!(message.contains("at most 3") && message.contains("delete connections"), "{message}");
        assert_eq!((pool.len(), pool.open()), (3, 3), "no client in use is closed");
        // A configuration already open is still handed out at the cap.
        assert!(Arc::ptr_eq(&held[0], &client(pool, 0).await));

        drop(third);
        let fourth = within(pool.get_or_create(&config, &target)).await;
        assert!(fourth.is_ok(), "room again once a client is unused");
        assert_eq!((pool.len(), pool.open()), (3, 3));
    }

    #[tokio::test]
    async fn a_burst_of_dry_runs_waits_for_closing_clients_rather_than_failing() {
        let pool = &*reaped_pool(4);
        // Six times the cap, all at once: each dry run's client is released when it ends, and
        // a new one waits for a permit that only comes back once a closed client's threads end.
        let dry_runs = (0..24).map(|n| async move {
            let client = client(pool, n).await;
            drop(client);
            pool.release(&target(n).0);
        });
        within(futures::future::join_all(dry_runs)).await;
        assert_eq!(pool.len(), 0);
    }
}

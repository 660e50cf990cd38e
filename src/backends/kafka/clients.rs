//! Shared, long-lived Kafka clients: one librdkafka client per distinct effective configuration.
//!
//! A librdkafka client costs a handful of OS threads and a TCP connection per broker, so a
//! thousand connections to one cluster must not mean a thousand clients, and a check every few
//! seconds must not mean a new client each time. Connections whose configuration is identical
//! share one [`SharedClient`]; concurrent checks of one client share one metadata request
//! (single flight); and the client's own error callbacks, polled on its own thread, tell the
//! manager at once when the cluster goes away (see [`SharedClient::changed`]), instead of
//! waiting for the next scheduled check.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientConfig;
use tokio::sync::watch;

use super::explain::{explain_for, Subject};
use crate::backends::oauth::Token;
use crate::connections::{human_duration, Outcome};
use crate::protocol::{Credentials, KafkaClusterConfig};

/// How long one metadata request may wait before the check looks at what the client reported.
const POLL_SLICE: Duration = Duration::from_millis(200);
/// A failure the client reported before this check started is trusted only after this long.
const STALE_FAILURE_GRACE: Duration = Duration::from_secs(1);
/// A client no check has used for this long is closed.
const IDLE_LIMIT: Duration = Duration::from_secs(300);

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
struct Monitor {
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
    type DeliveryOpaque = ();

    fn delivery(&self, _: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {}
}

/// One long-lived client, its polling thread, and the state its checks share.
pub struct SharedClient {
    producer: Arc<BaseProducer<Monitor>>,
    stop: Arc<AtomicBool>,
    poller: Option<JoinHandle<()>>,
    subject: Subject,
    /// Single flight: a check waits here while another runs, then reuses its result.
    flight: tokio::sync::Mutex<Option<(Instant, Outcome)>>,
    last_used: Mutex<Instant>,
    /// The OAuth token currently handed to the client, to hand over a renewed one.
    token: Mutex<Option<String>>,
}

impl SharedClient {
    fn create(config: &ClientConfig, target: &KafkaClusterConfig) -> Result<Self, KafkaError> {
        let producer: Arc<BaseProducer<Monitor>> = Arc::new(config.create_with_context(Monitor::new())?);
        let stop = Arc::new(AtomicBool::new(false));
        let poller = {
            let (producer, stop) = (producer.clone(), stop.clone());
            std::thread::Builder::new()
                .name("kafka-events".into())
                .spawn(move || {
                    // poll returns as soon as an event arrives; the timeout only bounds how long a
                    // stop request waits.
                    while !stop.load(Ordering::Relaxed) {
                        producer.poll(Duration::from_millis(500));
                    }
                })
                .map_err(|error| KafkaError::ClientCreation(error.to_string()))?
        };
        Ok(Self {
            producer,
            stop,
            poller: Some(poller),
            subject: Subject::new(target, config.get("ssl.ca.pem")),
            flight: tokio::sync::Mutex::new(None),
            last_used: Mutex::new(Instant::now()),
            token: Mutex::new(None),
        })
    }

    /// Resolves when the cluster, healthy at the last check, starts failing.
    pub fn changed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut receiver = self.producer.context().changed.subscribe();
        async move {
            if receiver.changed().await.is_err() {
                // The client was closed; the next scheduled check makes a new one.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Checks the cluster, sharing the result with every check that started while it ran.
    pub async fn check(self: &Arc<Self>, timeout: Duration) -> Outcome {
        let asked = Instant::now();
        *self.last_used.lock().unwrap_or_else(|p| p.into_inner()) = asked;
        let mut flight = self.flight.lock().await;
        if let Some((finished, outcome)) = flight.as_ref() {
            if *finished >= asked {
                return outcome.clone();
            }
        }
        let client = self.clone();
        let outcome = match tokio::task::spawn_blocking(move || client.fetch(timeout)).await {
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
    /// rdkafka's own token callback cannot send extensions, so this calls librdkafka directly.
    pub fn hand_token(&self, token: &Token, credentials: &Credentials) -> Result<(), String> {
        use std::ffi::CString;
        let mut current = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if current.as_deref() == Some(token.access_token.as_str()) {
            return Ok(());
        }
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
        let principal = to_c(credentials.client_id.as_deref().unwrap_or("ide-sidecar"))?;
        let owned: Vec<CString> = extensions.iter().flat_map(|(k, v)| [to_c(k), to_c(v)]).collect::<Result<_, _>>()?;
        let pointers: Vec<*const std::os::raw::c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        let mut error = vec![0 as std::os::raw::c_char; 512];
        // SAFETY: every pointer is valid for the duration of the call, librdkafka copies what it
        // keeps, and the error buffer's length is passed along with it.
        let code = unsafe {
            rdkafka::bindings::rd_kafka_oauthbearer_set_token(
                self.producer.client().native_ptr(),
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
            *current = Some(token.access_token.clone());
            Ok(())
        } else {
            // SAFETY: librdkafka writes a NUL-terminated message into the buffer.
            Err(unsafe { std::ffi::CStr::from_ptr(error.as_ptr()) }.to_string_lossy().into_owned())
        }
    }

    fn idle_for(&self) -> Duration {
        self.last_used.lock().unwrap_or_else(|p| p.into_inner()).elapsed()
    }
}

impl Drop for SharedClient {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(poller) = self.poller.take() {
            let _ = poller.join();
        }
    }
}

/// The clients in use, by effective configuration.
#[derive(Default)]
pub struct ClientPool {
    /// Keyed by a digest of the whole librdkafka configuration.
    clients: Mutex<HashMap<String, Arc<SharedClient>>>,
}

impl ClientPool {
    /// The one pool of the process.
    pub fn global() -> &'static ClientPool {
        static POOL: OnceLock<ClientPool> = OnceLock::new();
        POOL.get_or_init(ClientPool::default)
    }

    /// A digest of the whole configuration, secrets included (`config_map` masks them, so the values
    /// come from `get`): two specs share a client only when every setting is the same.
    fn key(config: &ClientConfig) -> String {
        let mut hasher = openssl::sha::Sha256::new();
        for key in config.config_map().keys() {
            hasher.update(key.as_bytes());
            hasher.update(b"=");
            hasher.update(config.get(key).unwrap_or_default().as_bytes());
            hasher.update(b"\n");
        }
        hasher.finish().iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// The client for this configuration, made when there is none. Closes clients idle too long.
    pub fn get_or_create(
        &self,
        config: &ClientConfig,
        target: &KafkaClusterConfig,
    ) -> Result<Arc<SharedClient>, KafkaError> {
        let key = Self::key(config);
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        let idle: Vec<String> = clients
            .iter()
            .filter(|(k, client)| **k != key && client.idle_for() > IDLE_LIMIT && Arc::strong_count(client) == 1)
            .map(|(k, _)| k.clone())
            .collect();
        let closing: Vec<Arc<SharedClient>> = idle.iter().filter_map(|k| clients.remove(k)).collect();
        if !closing.is_empty() {
            // Closing a client waits for its threads: not on the caller's time.
            std::thread::spawn(move || drop(closing));
        }
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let client = Arc::new(SharedClient::create(config, target)?);
        clients.insert(key, client.clone());
        tracing::debug!(servers = client.subject.servers, clients = clients.len(), "new shared Kafka client");
        Ok(client)
    }

    /// The client for this configuration, if one exists.
    pub fn get(&self, config: &ClientConfig) -> Option<Arc<SharedClient>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner()).get(&Self::key(config)).cloned()
    }

    pub fn len(&self) -> usize {
        self.clients.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

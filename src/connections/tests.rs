//! In-process tests of the connection manager, with a scripted [`Checks`] and tokio's paused clock.

use super::test_support::{self, settle, Events};
use super::*;

use std::collections::VecDeque;
use std::future::Future;

use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::connections::{ValidKafkaCluster, ValidSchemaRegistry};
use crate::protocol::{AuthError, ConnectionType};

const KAFKA: &str = "127.0.0.1:9092";
const KAFKA_2: &str = "127.0.0.1:9093";
const REGISTRY: &str = "http://127.0.0.1:8081";
const LOCAL_KAFKA: &str = "127.0.0.1:19092";
const LOCAL_REGISTRY: &str = "http://127.0.0.1:18081";

const CHECK_TIMEOUT: Duration = Duration::from_secs(10);
const DIRECT_INTERVAL: Duration = Duration::from_secs(15);
const LOCAL_INTERVAL: Duration = Duration::from_secs(5);

/// How long any single wait may take before the test fails, naming what it waited for.
/// Virtual time under a paused clock, real time otherwise.
const WAIT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------------
// The fake checks
// ---------------------------------------------------------------------------------------------

/// What a check of one target (a bootstrap server list or a Schema Registry URI) does.
#[derive(Clone)]
enum Behaviour {
    Answer(Outcome),
    /// Never finishes; the manager's timeout must end it.
    Hang,
}

#[derive(Default)]
struct FakeState {
    behaviour: HashMap<String, Behaviour>,
    /// Gated calls: the next call for a target takes the first gate and waits for its release.
    gates: HashMap<String, VecDeque<oneshot::Receiver<Outcome>>>,
    /// Every call, in order: the target, when it started and the timeout it was given.
    calls: Vec<(String, Instant, Duration)>,
    /// The Kafka targets whose dry runs were reported over, in order.
    dry_runs_over: Vec<String>,
}

/// A scripted [`Checks`]: outcomes per target, gates the test releases, and a record of calls.
struct Fake {
    state: Mutex<FakeState>,
    /// Bumped on every call, so a test can wait for calls without polling.
    called: watch::Sender<u64>,
}

/// Releases one gated call.
struct Gate {
    target: String,
    release: oneshot::Sender<Outcome>,
}

impl Gate {
    /// Lets the gated check finish with `outcome`. Returns whether the check was still waiting
    /// (false when the manager had already dropped it).
    fn release(self, outcome: Outcome) -> bool {
        let target = self.target;
        let delivered = self.release.send(outcome).is_ok();
        tracing::debug!(%target, delivered, "gate released");
        delivered
    }
}

impl Fake {
    fn new() -> Arc<Self> {
        Arc::new(Self { state: Mutex::default(), called: watch::Sender::new(0) })
    }

    fn lock(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap()
    }

    fn answer(&self, target: &str, outcome: Outcome) {
        self.lock().behaviour.insert(target.to_string(), Behaviour::Answer(outcome));
    }

    fn hang(&self, target: &str) {
        self.lock().behaviour.insert(target.to_string(), Behaviour::Hang);
    }

    /// The next call for `target` blocks until the returned gate is released.
    fn gate(&self, target: &str) -> Gate {
        let (release, wait) = oneshot::channel();
        self.lock().gates.entry(target.to_string()).or_default().push_back(wait);
        Gate { target: target.to_string(), release }
    }

    fn calls(&self, target: &str) -> usize {
        self.lock().calls.iter().filter(|(t, _, _)| t == target).count()
    }

    fn total_calls(&self) -> usize {
        self.lock().calls.len()
    }

    /// When each call for `target` started, relative to `start`.
    fn call_times(&self, target: &str, start: Instant) -> Vec<Duration> {
        self.lock().calls.iter().filter(|(t, _, _)| t == target).map(|(_, at, _)| *at - start).collect()
    }

    fn timeouts(&self) -> Vec<Duration> {
        self.lock().calls.iter().map(|(_, _, timeout)| *timeout).collect()
    }

    /// Waits until `target` has been called at least `n` times.
    async fn wait_calls(&self, target: &str, n: usize) {
        let mut called = self.called.subscribe();
        within(&format!("call #{n} of the check of {target}"), called.wait_for(|_| self.calls(target) >= n))
            .await
            .expect("the fake's sender lives as long as the fake");
    }

    fn call(&self, target: Option<String>, timeout: Duration) -> BoxFuture<Outcome> {
        let target = target.expect("every check target in these tests has an address");
        let future: BoxFuture<Outcome> = {
            let mut state = self.lock();
            state.calls.push((target.clone(), Instant::now(), timeout));
            let gate = state.gates.get_mut(&target).and_then(VecDeque::pop_front);
            match (gate, state.behaviour.get(&target).cloned()) {
                (Some(wait), _) => Box::pin(async move {
                    match wait.await {
                        Ok(outcome) => outcome,
                        // The test dropped the gate without releasing it: behave like a hang.
                        Err(_) => std::future::pending().await,
                    }
                }),
                (None, Some(Behaviour::Answer(outcome))) => Box::pin(std::future::ready(outcome)),
                (None, Some(Behaviour::Hang)) => Box::pin(std::future::pending()),
                (None, None) => {
                    let outcome = Outcome::failed(format!("nothing scripted for {target}"), false);
                    Box::pin(std::future::ready(outcome))
                }
            }
        };
        self.called.send_modify(|n| *n += 1);
        future
    }
}

impl Checks for Fake {
    fn kafka(&self, target: ValidKafkaCluster, timeout: Duration) -> BoxFuture<Outcome> {
        self.call(Some(target.bootstrap_servers), timeout)
    }

    fn kafka_dry_run_over(&self, target: &ValidKafkaCluster, _timeout: Duration) {
        self.lock().dry_runs_over.push(target.bootstrap_servers.clone());
    }

    /// Scripted by the plain bootstrap servers discovery would fall back to.
    fn local_kafka(&self, discovery: LocalDiscovery, timeout: Duration) -> BoxFuture<Outcome> {
        self.call(Some(discovery.bootstrap_servers), timeout)
    }

    fn schema_registry(&self, target: ValidSchemaRegistry, timeout: Duration) -> BoxFuture<Outcome> {
        self.call(Some(target.uri), timeout)
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

struct Harness {
    manager: ConnectionManager,
    fake: Arc<Fake>,
    events: Events,
}

fn settings() -> Settings {
    let mut options = InitializationOptions {
        check_timeout_seconds: CHECK_TIMEOUT.as_secs_f64(),
        ..InitializationOptions::default()
    };
    options.direct.refresh_interval_seconds = DIRECT_INTERVAL.as_secs_f64();
    options.local.refresh_interval_seconds = LOCAL_INTERVAL.as_secs_f64();
    options.local.bootstrap_servers = LOCAL_KAFKA.into();
    options.local.schema_registry_uri = LOCAL_REGISTRY.into();
    Settings::from(&options)
}

fn harness() -> Harness {
    let fake = Fake::new();
    let (manager, events) =
        test_support::manager(settings(), fake.clone(), super::ccloud_tests::FakeCCloud::new(), WAIT);
    Harness { manager, fake, events }
}

async fn within<F: Future>(what: &str, future: F) -> F::Output {
    test_support::within(WAIT, what, future).await
}

impl Harness {
    async fn next_event(&mut self, what: &str) -> ConnectionEvent {
        self.events.next(what).await
    }

    /// Waits for the next event, which must be `action` about `id`.
    async fn expect(&mut self, action: EventAction, id: &str) -> Connection {
        let event = self.next_event(&format!("{action:?} of {id}")).await;
        assert_eq!((event.action, event.connection.id.as_str()), (action, id), "unexpected event: {event:#?}");
        event.connection
    }

    /// Lets the background tasks run, then asserts that no event is waiting.
    async fn assert_quiet(&mut self, why: &str) {
        self.events.assert_quiet(why).await;
    }

    /// Lets `duration` pass on the (paused) clock, then asserts that no event came.
    async fn assert_quiet_for(&mut self, duration: Duration, why: &str) {
        tokio::time::sleep(duration).await;
        self.assert_quiet(why).await;
    }
}

fn spec(value: Value) -> ConnectionSpec {
    serde_json::from_value(value).expect("test spec deserializes")
}

/// A valid DIRECT spec with the given Kafka cluster and/or Schema Registry.
fn direct(id: &str, kafka: Option<&str>, registry: Option<&str>) -> ConnectionSpec {
    let mut value = json!({"id": id, "name": format!("conn {id}"), "type": "DIRECT"});
    if let Some(servers) = kafka {
        value["kafka_cluster"] = json!({"bootstrap_servers": servers, "ssl": {"enabled": false}});
    }
    if let Some(uri) = registry {
        value["schema_registry"] = json!({"uri": uri});
    }
    spec(value)
}

fn named(mut spec: ConnectionSpec, name: &str) -> ConnectionSpec {
    spec.name = Some(name.to_string());
    spec
}

fn success(cluster_id: &str) -> Outcome {
    Outcome::Success { cluster_id: Some(cluster_id.to_string()), bootstrap_servers: None }
}

fn registry_success() -> Outcome {
    Outcome::Success { cluster_id: None, bootstrap_servers: None }
}

fn kafka_state(connection: &Connection) -> ConnectedState {
    connection.status.kafka_cluster.as_ref().expect("a kafka_cluster status").state
}

fn registry_state(connection: &Connection) -> ConnectedState {
    connection.status.schema_registry.as_ref().expect("a schema_registry status").state
}

fn kafka_error(connection: &Connection) -> AuthError {
    connection
        .status
        .kafka_cluster
        .as_ref()
        .and_then(|k| k.errors.as_ref())
        .and_then(|e| e.auth_status_check.clone())
        .expect("kafka_cluster.errors.auth_status_check")
}

fn sources(error: &ManagerError) -> Vec<String> {
    match error {
        ManagerError::Invalid(problems) => problems.iter().map(|p| p.source.clone()).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// Asserts that `actual` are `expected` offsets, each at most a few milliseconds late
/// (the timer wheel rounds to milliseconds).
fn assert_times(what: &str, actual: &[Duration], expected: &[u64]) {
    let expected: Vec<Duration> = expected.iter().map(|s| Duration::from_secs(*s)).collect();
    let close = actual.len() == expected.len()
        && actual.iter().zip(&expected).all(|(a, e)| *a >= *e && *a - *e <= Duration::from_millis(10));
    assert!(close, "{what}: calls at {actual:?}, expected at {expected:?}");
}

// ---------------------------------------------------------------------------------------------
// 1. Create, then CONNECTED or DISCONNECTED
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn create_starts_attempting_then_connects_when_checks_succeed() {
    let mut h = harness();
    h.fake.answer(KAFKA, success("cluster-1"));
    h.fake.answer(REGISTRY, registry_success());

    let created = h.manager.create(direct("ok", Some(KAFKA), Some(REGISTRY))).unwrap();
    assert_eq!(created.id, "ok");
    assert_eq!(kafka_state(&created), ConnectedState::Attempting, "the reply does not wait for the check");
    assert_eq!(registry_state(&created), ConnectedState::Attempting);
    assert!(created.status.ccloud.is_none());

    let event = h.next_event("CREATED").await;
    assert_eq!(event.action, EventAction::Created);
    assert_eq!(event.connection, created);

    let connected = h.expect(EventAction::Connected, "ok").await;
    let kafka = connected.status.kafka_cluster.clone().unwrap();
    assert_eq!(kafka.state, ConnectedState::Success);
    assert_eq!(kafka.cluster_id.as_deref(), Some("cluster-1"));
    assert_eq!(kafka.errors, None);
    let registry = connected.status.schema_registry.clone().unwrap();
    assert_eq!(registry.state, ConnectedState::Success);
    assert_eq!(registry.errors, None);
    assert_eq!(connected.spec, created.spec);
    assert_eq!(h.manager.get("ok").unwrap(), connected);
    assert_eq!((h.fake.calls(KAFKA), h.fake.calls(REGISTRY)), (1, 1));
    assert_eq!(h.fake.timeouts(), vec![CHECK_TIMEOUT; 2], "checks are given the configured timeout");
    h.assert_quiet("both components reported in one round: one event").await;
}

#[tokio::test(start_paused = true)]
async fn every_change_gives_the_connection_a_higher_revision_in_replies_and_events_alike() {
    let mut h = harness();
    h.fake.answer(KAFKA, success("cluster"));
    let created = h.manager.create(direct("r", Some(KAFKA), None)).unwrap();
    assert_eq!(h.expect(EventAction::Created, "r").await, created, "the reply is the CREATED event");
    let connected = h.expect(EventAction::Connected, "r").await;
    assert!(connected.metadata.revision > created.metadata.revision, "{connected:?}");
    // A reader sees the newest; a reply delivered late (the create reply) is recognisably older.
    assert_eq!(h.manager.get("r").unwrap().metadata.revision, connected.metadata.revision);
    let updated = h.manager.update("r", named(direct("r", Some(KAFKA), None), "renamed")).await.unwrap();
    assert!(updated.metadata.revision > connected.metadata.revision);
    let reconnected = h.expect(EventAction::Updated, "r").await;
    assert_eq!(reconnected.metadata.revision, updated.metadata.revision);
    let again = h.expect(EventAction::Connected, "r").await;
    assert!(again.metadata.revision > updated.metadata.revision);
    // Unchanged checks change nothing, revision included.
    tokio::time::sleep(DIRECT_INTERVAL * 2).await;
    assert_eq!(h.manager.get("r").unwrap().metadata.revision, again.metadata.revision);
    h.manager.delete("r").unwrap();
    assert!(h.expect(EventAction::Deleted, "r").await.metadata.revision > again.metadata.revision);
}

#[tokio::test(start_paused = true)]
async fn create_disconnects_when_every_check_fails_and_failed_components_say_why() {
    let mut h = harness();
    h.fake.answer(KAFKA, Outcome::failed("Connection refused by 127.0.0.1:9092", true));
    h.fake.answer(REGISTRY, Outcome::failed("HTTP 401: check the credentials", false));

    let created = h.manager.create(direct("bad", Some(KAFKA), Some(REGISTRY))).unwrap();
    assert_eq!(h.expect(EventAction::Created, "bad").await, created);
    let disconnected = h.expect(EventAction::Disconnected, "bad").await;

    assert_eq!(kafka_state(&disconnected), ConnectedState::Failed);
    assert_eq!(
        kafka_error(&disconnected),
        AuthError { message: "Connection refused by 127.0.0.1:9092".into(), is_transient: true }
    );
    assert_eq!(registry_state(&disconnected), ConnectedState::Failed);

    let status = serde_json::to_value(&disconnected.status).unwrap();
    assert_eq!(status["kafka_cluster"]["state"], "FAILED");
    assert_eq!(
        status["kafka_cluster"]["errors"],
        json!({"auth_status_check": {"message": "Connection refused by 127.0.0.1:9092", "is_transient": true}})
    );
    assert_eq!(status["schema_registry"]["state"], "FAILED");
    assert_eq!(
        status["schema_registry"]["errors"],
        json!({"auth_status_check": {"message": "HTTP 401: check the credentials", "is_transient": false}})
    );
}

#[tokio::test(start_paused = true)]
async fn one_successful_component_is_enough_for_connected() {
    let mut h = harness();
    h.fake.answer(KAFKA, success("cluster-1"));
    h.fake.answer(REGISTRY, Outcome::failed("not a Schema Registry (HTTP 404)", false));

    h.manager.create(direct("half", Some(KAFKA), Some(REGISTRY))).unwrap();
    h.expect(EventAction::Created, "half").await;
    let connected = h.expect(EventAction::Connected, "half").await;
    assert_eq!(kafka_state(&connected), ConnectedState::Success);
    assert_eq!(registry_state(&connected), ConnectedState::Failed);
}

// ---------------------------------------------------------------------------------------------
// 2. A repeated check with the same outcome sends nothing
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn repeated_checks_with_the_same_outcome_send_nothing() {
    let mut h = harness();
    h.fake.answer(KAFKA, success("cluster-1"));
    h.fake.answer(REGISTRY, registry_success());
    h.manager.create(direct("steady", Some(KAFKA), Some(REGISTRY))).unwrap();
    h.expect(EventAction::Created, "steady").await;
    h.expect(EventAction::Connected, "steady").await;

    // Checks at 0, 15, ..., 90 s: six more rounds, none of which changes anything.
    h.assert_quiet_for(Duration::from_secs(100), "same SUCCESS outcome, check after check").await;
    assert_eq!(h.fake.calls(KAFKA), 7, "the checks kept running");
    assert_eq!(h.fake.calls(REGISTRY), 7);

    // A different outcome is a change...
    h.fake.answer(KAFKA, Outcome::failed("first message", true));
    let changed = h.expect(EventAction::Connected, "steady").await;
    assert_eq!(kafka_error(&changed).message, "first message");
    // ...and so is a different message alone.
    h.fake.answer(KAFKA, Outcome::failed("second message", true));
    let changed = h.expect(EventAction::Connected, "steady").await;
    assert_eq!(kafka_error(&changed).message, "second message");

    // The same failure again and again: nothing.
    let calls = h.fake.calls(KAFKA);
    h.assert_quiet_for(Duration::from_secs(100), "same FAILED outcome, check after check").await;
    assert!(h.fake.calls(KAFKA) >= calls + 6, "the checks kept running");
}

// ---------------------------------------------------------------------------------------------
// 3. The schedule
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn checks_repeat_every_interval_of_the_connection_type() {
    let mut h = harness();
    for target in [KAFKA, LOCAL_KAFKA] {
        h.fake.answer(target, success("cluster"));
    }
    for target in [REGISTRY, LOCAL_REGISTRY] {
        h.fake.answer(target, registry_success());
    }
    let start = Instant::now();
    h.manager.create(direct("direct", Some(KAFKA), Some(REGISTRY))).unwrap();
    h.manager.create(spec(json!({"id": "local", "name": "local", "type": "LOCAL"}))).unwrap();

    tokio::time::sleep(Duration::from_secs(47)).await;
    settle().await;

    assert_times("DIRECT Kafka", &h.fake.call_times(KAFKA, start), &[0, 15, 30, 45]);
    assert_times("DIRECT Schema Registry", &h.fake.call_times(REGISTRY, start), &[0, 15, 30, 45]);
    let every_5s = [0, 5, 10, 15, 20, 25, 30, 35, 40, 45];
    assert_times("LOCAL Kafka (from the settings)", &h.fake.call_times(LOCAL_KAFKA, start), &every_5s);
    assert_times("LOCAL Schema Registry (from the settings)", &h.fake.call_times(LOCAL_REGISTRY, start), &every_5s);

    let created: Vec<_> = std::iter::from_fn(|| h.events.try_recv().ok()).map(|e| e.action).collect();
    assert_eq!(
        created,
        [EventAction::Created, EventAction::Created, EventAction::Connected, EventAction::Connected],
        "one CONNECTED each, however many checks ran"
    );
}

#[tokio::test(start_paused = true)]
async fn after_a_failure_checks_back_off_from_one_second_to_the_interval_and_see_a_return_soon() {
    let mut h = harness();
    h.fake.answer(KAFKA, Outcome::failed("Connection refused", true));
    let start = Instant::now();
    h.manager.create(direct("c", Some(KAFKA), None)).unwrap();
    h.expect(EventAction::Created, "c").await;
    h.expect(EventAction::Disconnected, "c").await;
    tokio::time::sleep(Duration::from_secs(50)).await;
    settle().await;
    // 1, 2, 4, 8 s apart, then the 15 s schedule.
    assert_times("failing Kafka", &h.fake.call_times(KAFKA, start), &[0, 1, 3, 7, 15, 30, 45]);

    // After an update (a new backoff: checks at 0, 1, 3, 7 s) the broker comes back at 3.5 s: seen at
    // the next retry, at 7 s, not at the 15 s schedule.
    let start = Instant::now();
    h.manager.update("c", named(direct("c", Some(KAFKA), None), "renamed")).await.unwrap();
    h.expect(EventAction::Updated, "c").await;
    h.expect(EventAction::Disconnected, "c").await;
    tokio::time::sleep_until(start + Duration::from_millis(3500)).await;
    h.fake.answer(KAFKA, success("back"));
    let back = h.expect(EventAction::Connected, "c").await;
    assert_eq!(kafka_state(&back), ConnectedState::Success);
    assert!(start.elapsed() <= Duration::from_millis(7100), "seen {:?} after the update", start.elapsed());

    // Healthy again: the schedule is the interval once more.
    let healthy = Instant::now();
    tokio::time::sleep(Duration::from_secs(31)).await;
    settle().await;
    let after: Vec<Duration> = h.fake.call_times(KAFKA, healthy).into_iter().filter(|t| *t > Duration::ZERO).collect();
    assert_times("healthy Kafka", &after, &[15, 30]);
}

#[tokio::test(start_paused = true)]
async fn an_update_rechecks_at_once_and_restarts_the_schedule() {
    let mut h = harness();
    h.fake.answer(KAFKA, success("cluster-1"));
    h.fake.answer(KAFKA_2, success("cluster-2"));
    let start = Instant::now();
    h.manager.create(direct("c", Some(KAFKA), None)).unwrap();
    h.expect(EventAction::Created, "c").await;
    h.expect(EventAction::Connected, "c").await;

    tokio::time::sleep(Duration::from_secs(20)).await;
    h.manager.update("c", direct("c", Some(KAFKA_2), None)).await.unwrap();
    h.expect(EventAction::Updated, "c").await;
    let connected = h.expect(EventAction::Connected, "c").await;
    assert_eq!(connected.status.kafka_cluster.unwrap().cluster_id.as_deref(), Some("cluster-2"));

    tokio::time::sleep(Duration::from_secs(32)).await;
    settle().await;
    assert_times("the old spec", &h.fake.call_times(KAFKA, start), &[0, 15]);
    assert_times("the new spec", &h.fake.call_times(KAFKA_2, start), &[20, 35, 50]);
}

// ---------------------------------------------------------------------------------------------
// 4. Timeout
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_check_that_never_finishes_fails_transiently_at_the_timeout() {
    let mut h = harness();
    h.fake.hang(KAFKA);
    h.manager.create(direct("slow", Some(KAFKA), None)).unwrap();
    h.expect(EventAction::Created, "slow").await;
    let start = Instant::now();

    let failed = h.expect(EventAction::Disconnected, "slow").await;
    let elapsed = start.elapsed();
    assert!(
        elapsed >= CHECK_TIMEOUT && elapsed <= CHECK_TIMEOUT + Duration::from_millis(10),
        "failed after {elapsed:?}, expected at the {CHECK_TIMEOUT:?} timeout"
    );
    assert_eq!(kafka_state(&failed), ConnectedState::Failed);
    let error = kafka_error(&failed);
    assert!(error.is_transient, "a timeout is transient: {error:?}");
    assert!(error.message.starts_with("Timed out after 10 s"), "message: {}", error.message);

    // The schedule goes on: more checks, each timing out the same way, so no more events.
    h.assert_quiet_for(Duration::from_secs(60), "the same timeout again").await;
    assert!(h.fake.calls(KAFKA) >= 3, "checks continue after a timeout: {} calls", h.fake.calls(KAFKA));
}

#[tokio::test(start_paused = true)]
async fn a_hanging_check_blocks_neither_other_components_nor_other_requests() {
    let mut h = harness();
    h.fake.hang(KAFKA);
    h.fake.answer(REGISTRY, registry_success());
    h.fake.answer(KAFKA_2, success("cluster-2"));
    h.manager.create(direct("slow", Some(KAFKA), Some(REGISTRY))).unwrap();
    h.expect(EventAction::Created, "slow").await;
    settle().await;

    // While it hangs, other connections are created and checked.
    let start = Instant::now();
    h.manager.create(direct("fast", Some(KAFKA_2), None)).unwrap();
    h.expect(EventAction::Created, "fast").await;
    h.expect(EventAction::Connected, "fast").await;
    assert_eq!(start.elapsed(), Duration::ZERO, "the other connection did not wait for the hanging check");

    let both = h.expect(EventAction::Connected, "slow").await;
    assert_eq!(kafka_state(&both), ConnectedState::Failed);
    assert_eq!(registry_state(&both), ConnectedState::Success);
}

// ---------------------------------------------------------------------------------------------
// 5. A result that an update overtook is dropped
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_check_result_for_an_old_spec_is_never_applied() {
    let mut h = harness();
    let old_check = h.fake.gate(KAFKA);
    let new_check = h.fake.gate(KAFKA_2);

    let old = direct("c", Some(KAFKA), None);
    let new = named(direct("c", Some(KAFKA_2), None), "renamed");
    let start = Instant::now();
    h.manager.create(old.clone()).unwrap();
    h.fake.wait_calls(KAFKA, 1).await;

    h.manager.update("c", new.clone()).await.unwrap();
    h.fake.wait_calls(KAFKA_2, 1).await;
    assert_times("the new spec, checked at once", &h.fake.call_times(KAFKA_2, start), &[0]);
    old_check.release(success("stale-cluster"));
    settle().await;
    assert_eq!(kafka_state(&h.manager.get("c").unwrap()), ConnectedState::Attempting, "the stale result was applied");

    new_check.release(Outcome::failed("Connection refused by 127.0.0.1:9093", true));
    settle().await;

    let events: Vec<_> = std::iter::from_fn(|| h.events.try_recv().ok()).collect();
    let seen: Vec<_> = events
        .iter()
        .map(|e| (e.action, e.connection.spec.name.clone().unwrap(), kafka_state(&e.connection)))
        .collect();
    assert_eq!(
        seen,
        [
            (EventAction::Created, "conn c".to_string(), ConnectedState::Attempting),
            (EventAction::Updated, "renamed".to_string(), ConnectedState::Attempting),
            (EventAction::Disconnected, "renamed".to_string(), ConnectedState::Failed),
        ],
        "events: {events:#?}"
    );
    let last = &events[2].connection;
    assert_eq!(last.spec, new);
    assert_eq!(kafka_error(last).message, "Connection refused by 127.0.0.1:9093");
    assert_eq!(last.status.kafka_cluster.as_ref().unwrap().cluster_id, None);

    h.fake.answer(KAFKA_2, Outcome::failed("Connection refused by 127.0.0.1:9093", true));
    h.assert_quiet_for(Duration::from_secs(100), "nothing after the new spec's outcome").await;
    assert_eq!(h.fake.calls(KAFKA), 1, "the old spec is not checked again");
    assert_eq!(h.manager.get("c").unwrap(), *last);
}

#[tokio::test(start_paused = true)]
async fn a_refresh_overtaken_by_an_update_does_not_apply_its_result() {
    let mut h = harness();
    h.fake.answer(KAFKA, Outcome::failed("Connection refused", true));
    h.fake.answer(KAFKA_2, Outcome::failed("Connection refused by the new one", true));
    h.manager.create(direct("c", Some(KAFKA), None)).unwrap();
    h.expect(EventAction::Created, "c").await;
    h.expect(EventAction::Disconnected, "c").await;

    let gate = h.fake.gate(KAFKA);
    let refresh = tokio::spawn({
        let manager = h.manager.clone();
        async move { manager.refresh("c").await }
    });
    h.fake.wait_calls(KAFKA, 2).await;

    h.manager.update("c", direct("c", Some(KAFKA_2), None)).await.unwrap();
    h.expect(EventAction::Updated, "c").await;
    let current = h.expect(EventAction::Disconnected, "c").await;

    assert!(gate.release(success("stale-cluster")), "the refresh was still waiting for its check");
    let refreshed = within("the refresh", refresh).await.unwrap().unwrap();
    assert_eq!(refreshed, current, "the refresh reports the connection as it is, not its stale result");
    assert_eq!(kafka_error(&refreshed).message, "Connection refused by the new one");
    h.assert_quiet("the stale refresh result").await;
    assert_eq!(h.manager.get("c").unwrap(), current);
}

// ---------------------------------------------------------------------------------------------
// 6. Delete while a check is in flight
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn nothing_follows_deleted_even_when_a_check_was_in_flight() {
    let mut h = harness();
    let gate = h.fake.gate(KAFKA);
    h.fake.answer(KAFKA, success("cluster-1"));
    h.manager.create(direct("c", Some(KAFKA), None)).unwrap();
    h.expect(EventAction::Created, "c").await;
    h.fake.wait_calls(KAFKA, 1).await;

    h.manager.delete("c").unwrap();
    let deleted = h.expect(EventAction::Deleted, "c").await;
    assert_eq!(deleted.id, "c");

    gate.release(success("cluster-1"));
    h.assert_quiet_for(Duration::from_secs(100), "after DELETED").await;
    assert_eq!(h.fake.calls(KAFKA), 1, "a deleted connection is not checked again");
    assert_eq!(h.manager.get("c"), Err(ManagerError::NotFound("c".into())));
    assert_eq!(h.manager.delete("c"), Err(ManagerError::NotFound("c".into())));
    assert!(h.manager.list().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_refresh_in_flight_when_the_connection_is_deleted_finds_it_gone() {
    let mut h = harness();
    h.fake.answer(KAFKA, success("cluster-1"));
    h.manager.create(direct("c", Some(KAFKA), None)).unwrap();
    h.expect(EventAction::Created, "c").await;
    h.expect(EventAction::Connected, "c").await;

    let gate = h.fake.gate(KAFKA);
    let refresh = tokio::spawn({
        let manager = h.manager.clone();
        async move { manager.refresh("c").await }
    });
    h.fake.wait_calls(KAFKA, 2).await;
    h.manager.delete("c").unwrap();
    h.expect(EventAction::Deleted, "c").await;

    assert!(gate.release(Outcome::failed("Connection refused", true)), "the refresh was still waiting");
    assert_eq!(within("the refresh", refresh).await.unwrap(), Err(ManagerError::NotFound("c".into())));
    h.assert_quiet_for(Duration::from_secs(100), "after DELETED").await;
    assert_eq!(h.fake.calls(KAFKA), 2);
}

#[tokio::test(start_paused = true)]
async fn a_refresh_of_a_deleted_connection_applies_nothing_even_to_its_successor() {
    let mut h = harness();
    h.fake.answer(KAFKA, Outcome::failed("Connection refused", true));
    h.manager.create(direct("c", Some(KAFKA), None)).unwrap();
    h.expect(EventAction::Created, "c").await;
    h.expect(EventAction::Disconnected, "c").await;

    let gate = h.fake.gate(KAFKA);
    let refresh = tokio::spawn({
        let manager = h.manager.clone();
        async move { manager.refresh("c").await }
    });
    h.fake.wait_calls(KAFKA, 2).await;
    h.manager.delete("c").unwrap();
    h.expect(EventAction::Deleted, "c").await;

    // Same id, same address: only the generation tells the two apart.
    let successor_gate = h.fake.gate(KAFKA);
    h.manager.create(direct("c", Some(KAFKA), None)).unwrap();
    h.expect(EventAction::Created, "c").await;
    h.fake.wait_calls(KAFKA, 3).await;

    gate.release(success("stale-cluster"));
    let refreshed = within("the refresh", refresh).await.unwrap();
    if let Ok(connection) = refreshed {
        assert_eq!(kafka_state(&connection), ConnectedState::Attempting, "{connection:#?}");
    }
    h.assert_quiet("a result for the deleted predecessor").await;
    assert_eq!(kafka_state(&h.manager.get("c").unwrap()), ConnectedState::Attempting);

    successor_gate.release(Outcome::failed("Connection refused", true));
    h.expect(EventAction::Disconnected, "c").await;
}

// ---------------------------------------------------------------------------------------------
// 7. Events in change order under concurrent updates
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_follow_the_order_of_concurrent_updates() {
    const WRITERS: usize = 8;
    const UPDATES: usize = 40;
    let mut h = harness();
    h.fake.answer(KAFKA, success("cluster-1"));
    h.manager.create(direct("c", Some(KAFKA), None)).unwrap();

    // Writers on threads of their own, more of them than cores. Compare-and-set updates: each
    // success knows the generation it replaced, so the order in which they were applied is the
    // order of those generations.
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let manager = h.manager.clone();
            let handle = tokio::runtime::Handle::current();
            tokio::task::spawn_blocking(move || {
                let mut applied = Vec::new();
                for update in 0..UPDATES {
                    let name = format!("w{writer}-{update}");
                    loop {
                        let (current, generation) = manager.spec_with_generation("c").unwrap();
                        match handle.block_on(manager.update_if("c", named(current, &name), Some(generation))) {
                            Ok(connection) => {
                                assert_eq!(connection.spec.name.as_deref(), Some(name.as_str()));
                                applied.push((generation, name));
                                break;
                            }
                            Err(ManagerError::Conflict(_)) => std::thread::yield_now(),
                            Err(other) => panic!("update {name}: {other:?}"),
                        }
                    }
                }
                applied
            })
        })
        .collect();
    let mut applied = Vec::new();
    for writer in writers {
        applied.extend(within("a writer", writer).await.unwrap());
    }
    applied.sort();
    let generations: Vec<u64> = applied.iter().map(|(g, _)| *g).collect();
    assert!(generations.windows(2).all(|w| w[0] < w[1]), "each update replaced a distinct generation");
    let applied_order: Vec<String> = applied.into_iter().map(|(_, name)| name).collect();

    // Plain updates too, racing each other: the last UPDATED must be the stored spec.
    let racers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let manager = h.manager.clone();
            let handle = tokio::runtime::Handle::current();
            tokio::task::spawn_blocking(move || {
                for update in 0..UPDATES {
                    let spec = named(direct("c", Some(KAFKA), None), &format!("r{writer}-{update}"));
                    handle.block_on(manager.update("c", spec)).unwrap();
                }
            })
        })
        .collect();
    for racer in racers {
        within("a racer", racer).await.unwrap();
    }
    let stored = h.manager.get("c").unwrap();

    // Everything up to the check of the final spec, which is the last thing that happens.
    let mut events = Vec::new();
    loop {
        let event = h.next_event("CONNECTED for the final spec").await;
        let done = event.action == EventAction::Connected && event.connection.spec == stored.spec;
        events.push(event);
        if done {
            break;
        }
    }
    settle().await;
    events.extend(std::iter::from_fn(|| h.events.try_recv().ok()));
    assert_eq!(events[0].action, EventAction::Created);
    let updated: Vec<String> = events
        .iter()
        .filter(|e| e.action == EventAction::Updated)
        .map(|e| e.connection.spec.name.clone().unwrap())
        .collect();
    assert_eq!(updated.len(), 2 * WRITERS * UPDATES, "one UPDATED per update");
    assert_eq!(updated[..WRITERS * UPDATES], applied_order[..], "UPDATED events in the order the updates were applied");
    let mut racer_names: Vec<&String> = updated[WRITERS * UPDATES..].iter().collect();
    assert_eq!(updated.last(), stored.spec.name.as_ref(), "the last UPDATED is the stored spec");
    racer_names.sort();
    racer_names.dedup();
    assert_eq!(racer_names.len(), WRITERS * UPDATES, "each racing update sent its own UPDATED");

    // A status event always carries the spec of the latest UPDATED before it.
    let mut latest = events[0].connection.spec.clone();
    for event in &events[1..] {
        match event.action {
            EventAction::Updated => latest = event.connection.spec.clone(),
            EventAction::Connected | EventAction::Disconnected => {
                assert_eq!(event.connection.spec, latest, "a status event out of order: {event:#?}")
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let last = events.last().unwrap();
    assert_eq!(last.action, EventAction::Connected, "the final spec was checked");
    assert_eq!(last.connection, h.manager.get("c").unwrap());
}

// ---------------------------------------------------------------------------------------------
// 8. dry_run and duplicate ids
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn dry_run_checks_once_and_stores_and_sends_nothing() {
    let mut h = harness();
    h.fake.answer(KAFKA, success("cluster-1"));
    h.fake.answer(REGISTRY, Outcome::failed("HTTP 403: not allowed", false));

    let checked = h.manager.dry_run(direct("dry", Some(KAFKA), Some(REGISTRY))).await.unwrap();
    assert_eq!(checked.id, "dry");
    assert_eq!(kafka_state(&checked), ConnectedState::Success);
    assert_eq!(checked.status.kafka_cluster.as_ref().unwrap().cluster_id.as_deref(), Some("cluster-1"));
    assert_eq!(registry_state(&checked), ConnectedState::Failed);
    assert!(h.manager.list().is_empty(), "a dry run stores nothing");
    assert_eq!(h.manager.get("dry"), Err(ManagerError::NotFound("dry".into())));
    h.assert_quiet_for(Duration::from_secs(100), "a dry run").await;
    assert_eq!((h.fake.calls(KAFKA), h.fake.calls(REGISTRY)), (1, 1), "checked once, not scheduled");
    assert_eq!(h.fake.lock().dry_runs_over, [KAFKA], "the backend may close the dry run's client");

    // A dry run without an id still works, and its check is bounded too.
    h.fake.hang(KAFKA_2);
    let mut anonymous = direct("x", Some(KAFKA_2), None);
    anonymous.id = None;
    let start = Instant::now();
    let checked = within("a dry run of a hanging check", h.manager.dry_run(anonymous)).await.unwrap();
    assert!(start.elapsed() >= CHECK_TIMEOUT);
    assert!(!checked.id.is_empty());
    assert!(kafka_error(&checked).message.starts_with("Timed out after"));
    h.assert_quiet("a dry run").await;
    assert!(h.manager.list().is_empty());
    assert_eq!(h.fake.lock().dry_runs_over, [KAFKA, KAFKA_2], "a dry run that timed out is over too");
}

#[tokio::test(start_paused = true)]
async fn a_duplicate_id_is_refused_before_validation() {
    let mut h = harness();
    h.fake.answer(KAFKA, success("cluster-1"));
    let stored = h.manager.create(direct("dup", Some(KAFKA), None)).unwrap();
    h.expect(EventAction::Created, "dup").await;
    h.expect(EventAction::Connected, "dup").await;
    let before = h.manager.get("dup").unwrap();

    // No name and no components: invalid in more than one way.
    let invalid = |id: &str| spec(json!({"id": id, "type": "DIRECT"}));
    assert!(
        matches!(h.manager.create(invalid("fresh")), Err(ManagerError::Invalid(_))),
        "the invalid spec must really be invalid for this test to mean anything"
    );
    assert!(matches!(h.manager.dry_run(invalid("fresh")).await, Err(ManagerError::Invalid(_))));

    let duplicate = Err(ManagerError::AlreadyExists("dup".into()));
    assert_eq!(h.manager.create(invalid("dup")), duplicate);
    assert_eq!(h.manager.dry_run(invalid("dup")).await, duplicate);
    assert_eq!(h.manager.create(named(stored.spec.clone(), "other")), duplicate);
    assert_eq!(h.manager.dry_run(named(stored.spec.clone(), "other")).await, duplicate);

    assert_eq!(h.manager.get("dup").unwrap(), before, "the stored connection is untouched");
    assert_eq!(h.manager.list().len(), 1);
    assert_eq!(h.fake.calls(KAFKA), 1, "refused dry runs check nothing");
    assert!(h.fake.lock().dry_runs_over.is_empty(), "a stored connection's check and refused dry runs end no dry run");
    h.assert_quiet("refused requests").await;
}

// ---------------------------------------------------------------------------------------------
// 9. Update rules and secrets
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn update_refuses_id_and_type_changes_and_unknown_ids() {
    let mut h = harness();
    h.fake.answer(KAFKA, success("cluster-1"));
    let created = h.manager.create(direct("c", Some(KAFKA), None)).unwrap();
    h.expect(EventAction::Created, "c").await;
    h.expect(EventAction::Connected, "c").await;
    let before = h.manager.spec_with_generation("c").unwrap();

    let error = h.manager.update("c", direct("other", Some(KAFKA), None)).await.unwrap_err();
    assert_eq!(sources(&error), ["id"]);

    let mut platform = created.spec.clone();
    platform.connection_type = Some(ConnectionType::Platform);
    let error = h.manager.update("c", platform.clone()).await.unwrap_err();
    assert_eq!(sources(&error), ["type"]);

    platform.id = Some("other".into());
    let error = h.manager.update("c", platform).await.unwrap_err();
    let mut both = sources(&error);
    both.sort();
    assert_eq!(both, ["id", "type"], "every problem at once");

    assert_eq!(
        h.manager.update("missing", direct("missing", Some(KAFKA), None)).await,
        Err(ManagerError::NotFound("missing".into()))
    );
    assert_eq!(h.manager.spec_with_generation("missing"), Err(ManagerError::NotFound("missing".into())));

    assert_eq!(h.manager.spec_with_generation("c").unwrap(), before, "refused updates change nothing");
    h.assert_quiet("refused updates").await;

    // A stale expected generation is a conflict; the id may be left out of the new spec.
    let (spec, generation) = before;
    let mut renamed = named(spec, "renamed");
    renamed.id = None;
    assert_eq!(
        h.manager.update_if("c", renamed.clone(), Some(generation + 1000)).await,
        Err(ManagerError::Conflict("c".into()))
    );
    let updated = h.manager.update_if("c", renamed, Some(generation)).await.unwrap();
    assert_eq!(updated.id, "c");
    assert_eq!(updated.spec.id.as_deref(), Some("c"));
    assert_eq!(kafka_state(&updated), ConnectedState::Attempting, "an update starts over at ATTEMPTING");
    assert_eq!(h.expect(EventAction::Updated, "c").await, updated);
    assert_ne!(h.manager.spec_with_generation("c").unwrap().1, generation, "an update changes the generation");
}

#[tokio::test(start_paused = true)]
async fn masked_secrets_keep_the_stored_secret_and_cannot_create() {
    let mut h = harness();
    h.fake.answer(KAFKA, success("cluster-1"));
    h.fake.answer(REGISTRY, registry_success());
    let with_secrets = |kafka_password: &str, registry_secret: &str, name: &str| {
        spec(json!({
            "id": "s",
            "name": name,
            "type": "DIRECT",
            "kafka_cluster": {
                "bootstrap_servers": KAFKA,
                "ssl": {"enabled": false},
                "credentials": {"username": "alice", "password": kafka_password}
            },
            "schema_registry": {"uri": REGISTRY, "credentials": {"api_key": "KEY", "api_secret": registry_secret}}
        }))
    };
    let stored_secrets = |h: &Harness| secrets::exposed_values(&h.manager.spec_with_generation("s").unwrap().0);

    // Creating with the placeholder is refused: there is nothing stored behind it.
    let error = h.manager.create(with_secrets("********", "sr-secret", "n")).unwrap_err();
    assert!(sources(&error).contains(&"kafka_cluster.credentials.password".to_string()), "{error:?}");
    assert!(h.manager.list().is_empty());
    h.assert_quiet("a refused create").await;

    let created = h.manager.create(with_secrets("s3cret", "sr-secret", "n")).unwrap();
    let shown = serde_json::to_value(&created).unwrap();
    assert_eq!(shown["spec"]["kafka_cluster"]["credentials"]["password"], "********");
    assert_eq!(shown["spec"]["schema_registry"]["credentials"]["api_secret"], "********");
    assert_eq!(stored_secrets(&h), ["s3cret", "sr-secret"]);

    // Sending back what it was shown keeps the stored secrets.
    let round_trip: ConnectionSpec = serde_json::from_value(shown["spec"].clone()).unwrap();
    h.manager.update("s", named(round_trip, "renamed")).await.unwrap();
    assert_eq!(stored_secrets(&h), ["s3cret", "sr-secret"]);
    assert_eq!(h.manager.get("s").unwrap().spec.name.as_deref(), Some("renamed"));

    // A new value replaces the stored one; a placeholder next to it still keeps the other.
    h.manager.update("s", with_secrets("n3w", "********", "renamed")).await.unwrap();
    assert_eq!(stored_secrets(&h), ["n3w", "sr-secret"]);
}

// ---------------------------------------------------------------------------------------------
// 10. refresh
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn refresh_waits_for_a_fresh_check_and_returns_its_result() {
    let mut h = harness();
    h.fake.answer(KAFKA, success("cluster-1"));
    h.manager.create(direct("c", Some(KAFKA), None)).unwrap();
    h.expect(EventAction::Created, "c").await;
    h.expect(EventAction::Connected, "c").await;

    let gate = h.fake.gate(KAFKA);
    let refresh = tokio::spawn({
        let manager = h.manager.clone();
        async move { manager.refresh("c").await }
    });
    h.fake.wait_calls(KAFKA, 2).await;
    settle().await;
    assert!(!refresh.is_finished(), "refresh returned before its check finished");

    assert!(gate.release(Outcome::failed("Connection refused", true)));
    let refreshed = within("the refresh", refresh).await.unwrap().unwrap();
    assert_eq!(kafka_state(&refreshed), ConnectedState::Failed);
    assert_eq!(kafka_error(&refreshed).message, "Connection refused");
    assert_eq!(h.expect(EventAction::Disconnected, "c").await, refreshed, "a refresh that changes status sends it");
    assert_eq!(h.manager.get("c").unwrap(), refreshed);

    // A refresh with an unchanged outcome returns the status and sends nothing.
    h.fake.answer(KAFKA, Outcome::failed("Connection refused", true));
    assert_eq!(h.manager.refresh("c").await.unwrap(), refreshed);
    h.assert_quiet("a refresh with the same outcome").await;
    assert_eq!(h.fake.calls(KAFKA), 3);

    assert_eq!(h.manager.refresh("missing").await, Err(ManagerError::NotFound("missing".into())));
}

// ---------------------------------------------------------------------------------------------
// 11. list
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn list_is_in_creation_order() {
    let h = harness();
    let ids = ["m", "c", "x", "a", "q", "b", "z", "k", "d", "y", "e", "p"];
    for id in ids {
        h.fake.answer(&format!("127.0.0.1:{}", 9000 + id.as_bytes()[0] as u16), success(id));
        h.manager.create(direct(id, Some(&format!("127.0.0.1:{}", 9000 + id.as_bytes()[0] as u16)), None)).unwrap();
    }
    settle().await;
    let listed: Vec<String> = h.manager.list().into_iter().map(|c| c.id).collect();
    assert_eq!(listed, ids);

    h.manager.delete("c").unwrap();
    h.manager.update("m", named(direct("m", Some("127.0.0.1:9109"), None), "updated")).await.unwrap();
    h.manager.create(direct("c", Some(KAFKA), None)).unwrap();
    let listed: Vec<String> = h.manager.list().into_iter().map(|c| c.id).collect();
    let mut expected: Vec<&str> = ids.iter().copied().filter(|id| *id != "c").collect();
    expected.push("c");
    assert_eq!(listed, expected, "an update keeps the place, a re-create goes last");
}

// ---------------------------------------------------------------------------------------------
// 12. Status serialization, CCLOUD
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn direct_status_has_no_token_authentication_and_no_ccloud() {
    let mut h = harness();
    h.fake.answer(KAFKA, success("cluster-1"));
    let created = h.manager.create(direct("d", Some(KAFKA), None)).unwrap();
    let status = serde_json::to_value(&created.status).unwrap();
    assert_eq!(
        status,
        json!({"authentication": {"status": "NO_TOKEN"}, "kafka_cluster": {"state": "ATTEMPTING"}}),
        "components the connection does not have are absent"
    );
    h.expect(EventAction::Created, "d").await;
    let connected = h.expect(EventAction::Connected, "d").await;
    let status = serde_json::to_value(&connected.status).unwrap();
    assert_eq!(
        status,
        json!({
            "authentication": {"status": "NO_TOKEN"},
            "kafka_cluster": {"state": "SUCCESS", "cluster_id": "cluster-1"}
        })
    );
}

#[tokio::test(start_paused = true)]
async fn a_ccloud_connection_starts_at_none_and_is_never_checked() {
    let mut h = harness();
    let created = h.manager.create(spec(json!({"id": "cc", "name": "cloud", "type": "CCLOUD"}))).unwrap();
    let ccloud = created.status.ccloud.clone().expect("a ccloud component");
    assert_eq!(ccloud.state, ConnectedState::None);
    assert!(created.status.kafka_cluster.is_none() && created.status.schema_registry.is_none());
    assert_eq!(
        serde_json::to_value(&created.status).unwrap(),
        json!({"authentication": {"status": "NO_TOKEN"}, "ccloud": {"state": "NONE"}})
    );
    assert_eq!(h.expect(EventAction::Created, "cc").await, created);

    h.assert_quiet_for(Duration::from_secs(100), "a CCLOUD connection with nothing to check").await;
    let refreshed = h.manager.refresh("cc").await.unwrap();
    assert_eq!(refreshed, created);
    h.assert_quiet("a refresh of a CCLOUD connection").await;
    assert_eq!(h.fake.total_calls(), 0, "nothing was checked");
}

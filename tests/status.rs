//! Status and events against real peers: the tansu broker, librdkafka's mock cluster, and HTTP
//! servers on 127.0.0.1 that answer like a Schema Registry (or do not).

mod support;

use std::time::{Duration, Instant};

use rdkafka::mocking::MockCluster;
use serde_json::json;
use support::*;

#[test]
fn a_running_tansu_broker_is_success_with_its_cluster_id() {
    let broker = Tansu::start();
    let mut sidecar = start(fast_options());
    let created = create(&mut sidecar, kafka_spec("tansu", &broker.bootstrap()));
    let id = created["id"].as_str().unwrap();
    let events = events_until(&mut sidecar, id, "CONNECTED", |e| e["action"] == "CONNECTED");
    let connection = &events.last().unwrap()["connection"];
    assert_eq!(state(connection, "kafka_cluster"), "SUCCESS");
    assert_eq!(connection["status"]["kafka_cluster"]["cluster_id"], "sidecar-test-cluster");
    assert_eq!(
        connection["status"]["kafka_cluster"]["bootstrap_servers"],
        broker.bootstrap(),
        "DIRECT reports its own"
    );
    assert_eq!(connection["status"]["kafka_cluster"].get("errors"), None);
    assert_eq!(events[0]["action"], "CREATED");
}

#[test]
fn a_closed_port_is_failed_with_a_transient_refused_message() {
    let mut sidecar = start(fast_options());
    let port = closed_port();
    let created = create(&mut sidecar, kafka_spec("closed", &format!("127.0.0.1:{port}")));
    let id = created["id"].as_str().unwrap();
    let started = Instant::now();
    let events = events_until(&mut sidecar, id, "DISCONNECTED", |e| e["action"] == "DISCONNECTED");
    let (message, transient) = error_of(&events.last().unwrap()["connection"], "kafka_cluster");
    assert!(message.contains("Connection refused") && message.contains(&port.to_string()), "{message}");
    assert!(message.contains("check the bootstrap servers"), "the message points at the fix: {message}");
    assert!(transient);
    assert!(started.elapsed() < Duration::from_secs(2), "refusal is reported without waiting for the timeout");
}

#[test]
fn tls_against_a_plaintext_listener_says_so() {
    let broker = Tansu::start();
    let mut sidecar = start(json!({"check_timeout_seconds": 3}));
    // No ssl object: TLS is on, as in the seed system.
    let created = create(
        &mut sidecar,
        json!({"name": "tls", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": broker.bootstrap()}}),
    );
    let id = created["id"].as_str().unwrap();
    let events = events_until(&mut sidecar, id, "DISCONNECTED", |e| e["action"] == "DISCONNECTED");
    let (message, _) = error_of(&events.last().unwrap()["connection"], "kafka_cluster");
    assert!(message.contains("TLS") || message.contains("ssl.enabled"), "{message}");
}

#[test]
fn an_unresolvable_host_says_so() {
    let mut sidecar = start(json!({"check_timeout_seconds": 5}));
    let created = create(&mut sidecar, kafka_spec("dns", "no-such-host.invalid:9092"));
    let id = created["id"].as_str().unwrap();
    let events = events_until(&mut sidecar, id, "DISCONNECTED", |e| e["action"] == "DISCONNECTED");
    let (message, transient) = error_of(&events.last().unwrap()["connection"], "kafka_cluster");
    assert!(message.starts_with("Cannot resolve the host name"), "{message}");
    assert!(transient);
}

#[test]
fn a_broker_going_down_and_up_turns_the_connection_disconnected_and_connected() {
    let cluster = MockCluster::new(1).unwrap();
    let mut sidecar = start(fast_options());
    let created = create(&mut sidecar, kafka_spec("mock", &cluster.bootstrap_servers()));
    let id = created["id"].as_str().unwrap();
    for round in 0..2 {
        events_until(&mut sidecar, id, "CONNECTED", |e| {
            e["action"] == "CONNECTED" && state(&e["connection"], "kafka_cluster") == "SUCCESS"
        });
        cluster.broker_down(1).unwrap();
        let events = events_until(&mut sidecar, id, "DISCONNECTED", |e| e["action"] == "DISCONNECTED");
        let connection = &events.last().unwrap()["connection"];
        assert_eq!(state(connection, "kafka_cluster"), "FAILED", "round {round}");
        assert!(error_of(connection, "kafka_cluster").1, "a broker that went away is transient");
        cluster.broker_up(1).unwrap();
    }
    events_until(&mut sidecar, id, "CONNECTED again", |e| e["action"] == "CONNECTED");
}

#[test]
fn a_repeated_check_with_the_same_outcome_sends_nothing() {
    let registry = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let mut sidecar = start(json!({"direct": {"refresh_interval_seconds": 0.1}}));
    let created = create(&mut sidecar, registry_spec("steady", &registry.uri()));
    let id = created["id"].as_str().unwrap();
    events_until(&mut sidecar, id, "CONNECTED", |e| e["action"] == "CONNECTED");
    let checks_before = registry.requests();
    let later = sidecar.drain(Duration::from_millis(1000));
    assert!(registry.requests() >= checks_before + 3, "checks keep running on the schedule");
    assert!(later.iter().all(|m| m["method"] != "connections/event"), "no events for unchanged status: {later:#?}");
}

#[test]
fn schema_registry_outcomes_point_at_the_fix() {
    let healthy = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let not_registry = FakeSchemaRegistry::start(RegistryBehaviour::NotARegistry).unwrap();
    let broken = FakeSchemaRegistry::start(RegistryBehaviour::Status(500)).unwrap();
    let guarded = FakeSchemaRegistry::start(RegistryBehaviour::RequireBasicAuth {
        username: "alice".into(),
        password: "right".into(),
    })
    .unwrap();
    let mut sidecar = start(fast_options());
    let check = |sidecar: &mut SidecarProcess, spec: serde_json::Value| {
        let result = sidecar.request("connections/create", json!({"spec": spec, "dry_run": true}), WAIT).unwrap();
        (state(&result, "schema_registry"), error_of(&result, "schema_registry"))
    };
    assert_eq!(check(&mut sidecar, registry_spec("ok", &healthy.uri())).0, "SUCCESS");

    let (state_404, (message, transient)) = check(&mut sidecar, registry_spec("404", &not_registry.uri()));
    assert_eq!(state_404, "FAILED");
    assert!(message.contains("is not a Schema Registry") && message.contains("404"), "{message}");
    assert!(!transient);

    let (_, (message, transient)) = check(&mut sidecar, registry_spec("500", &broken.uri()));
    assert!(message.contains("HTTP 500") && transient, "{message}");

    let mut with_credentials = registry_spec("auth", &guarded.uri());
    with_credentials["schema_registry"]["credentials"] = json!({"username": "alice", "password": "right"});
    assert_eq!(check(&mut sidecar, with_credentials.clone()).0, "SUCCESS");
    with_credentials["schema_registry"]["credentials"]["password"] = json!("wrong");
    let (_, (message, transient)) = check(&mut sidecar, with_credentials);
    assert!(message.contains("rejected the credentials (HTTP 401)") && !transient, "{message}");

    let (_, (message, transient)) =
        check(&mut sidecar, registry_spec("closed", &format!("http://127.0.0.1:{}", closed_port())));
    assert!(message.contains("Connection refused") && transient, "{message}");
}

/// An editor tests edited answers before saving them: an update's or patch's dry run checks the
/// spec as it would be stored (a masked secret keeps its stored value) and changes nothing.
#[test]
fn update_and_patch_dry_runs_check_with_the_stored_secret_and_store_nothing() {
    let guarded = |password: &str| {
        FakeSchemaRegistry::start(RegistryBehaviour::RequireBasicAuth {
            username: "alice".into(),
            password: password.into(),
        })
        .unwrap()
    };
    let (old, new) = (guarded("right"), guarded("right"));
    let mut sidecar = start(fast_options());
    let mut spec = registry_spec("auth", &old.uri());
    spec["id"] = json!("auth");
    spec["schema_registry"]["credentials"] = json!({"username": "alice", "password": "right"});
    create(&mut sidecar, spec);
    wait_until("the stored connection's first check", WAIT, || {
        let connection = call(&mut sidecar, "connections/get", json!({"id": "auth"}));
        state(&connection, "schema_registry") == "SUCCESS"
    });
    sidecar.drain(Duration::from_millis(300));
    let new_before = new.requests();

    // Moved to another registry, the password sent back masked as the editor got it.
    let mut edited = registry_spec("auth", &new.uri());
    edited["schema_registry"]["credentials"] = json!({"username": "alice", "password": "********"});
    let checked = call(&mut sidecar, "connections/update", json!({"id": "auth", "spec": edited, "dry_run": true}));
    assert_eq!(state(&checked, "schema_registry"), "SUCCESS", "{checked:#}");
    assert_eq!(checked["spec"]["schema_registry"]["uri"], json!(new.uri()));
    assert!(!checked.to_string().contains("right"), "the reply masks the secret: {checked}");
    assert!(new.requests() > new_before, "the dry run checked the edited registry");

    // A patch's dry run with a wrong password says so, in the status's words.
    let patch = json!({"schema_registry": {"credentials": {"password": "wrong"}}});
    let checked = call(&mut sidecar, "connections/patch", json!({"id": "auth", "patch": patch, "dry_run": true}));
    let (message, _) = error_of(&checked, "schema_registry");
    assert!(message.contains("rejected the credentials (HTTP 401)"), "{message}");

    // Nothing was stored and no event was sent.
    let stored = call(&mut sidecar, "connections/get", json!({"id": "auth"}));
    assert_eq!(stored["spec"]["schema_registry"]["uri"], json!(old.uri()));
    let events = sidecar.drain(Duration::from_millis(500));
    assert!(events.iter().all(|m| m["method"] != "connections/event"), "no events: {events:#?}");
    let missing = refused(&mut sidecar, "connections/update", json!({"id": "nope", "spec": edited, "dry_run": true}));
    assert_eq!(missing["code"], json!(-32010), "{missing}");
}

#[test]
fn a_registry_that_never_answers_fails_within_the_timeout_while_other_requests_are_served() {
    let hanging = FakeSchemaRegistry::start(RegistryBehaviour::Hang).unwrap();
    let mut sidecar = start(json!({"check_timeout_seconds": 1.5}));
    let created = create(&mut sidecar, registry_spec("hang", &hanging.uri()));
    let id = created["id"].as_str().unwrap().to_string();
    wait_until("the check to reach the registry", WAIT, || hanging.requests() > 0);
    // A refresh waits for its own check, which hangs too; the rest of the protocol stays responsive.
    sidecar.send(&json!({"jsonrpc": "2.0", "id": "slow", "method": "connections/refresh", "params": {"id": id}}));
    let asked = Instant::now();
    assert_eq!(sidecar.request("connections/list", json!({}), WAIT).unwrap()["data"].as_array().unwrap().len(), 1);
    assert!(asked.elapsed() < Duration::from_millis(500), "list answered while checks hang: {:?}", asked.elapsed());
    let events = events_until(&mut sidecar, &id, "DISCONNECTED", |e| e["action"] == "DISCONNECTED");
    let (message, transient) = error_of(&events.last().unwrap()["connection"], "schema_registry");
    assert!(message.starts_with("Timed out after 1500 ms"), "{message}");
    assert!(transient);
    let refreshed = sidecar.response_to(&json!("slow"), WAIT).expect("the refresh answers after its check times out");
    assert_eq!(state(&refreshed["result"], "schema_registry"), "FAILED");
}

#[test]
fn an_update_while_a_check_is_in_flight_never_lets_the_stale_result_win() {
    let hanging = FakeSchemaRegistry::start(RegistryBehaviour::Hang).unwrap();
    let healthy = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let mut sidecar = start(json!({"check_timeout_seconds": 1, "direct": {"refresh_interval_seconds": 30}}));
    let created = create(&mut sidecar, registry_spec("moving", &hanging.uri()));
    let id = created["id"].as_str().unwrap().to_string();
    wait_until("the first check to be in flight", WAIT, || hanging.requests() > 0);
    sidecar
        .request("connections/update", json!({"id": id, "spec": registry_spec("moving", &healthy.uri())}), WAIT)
        .unwrap();
    let events = events_until(&mut sidecar, &id, "CONNECTED", |e| e["action"] == "CONNECTED");
    let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["CREATED", "UPDATED", "CONNECTED"]);
    // Past the old check's timeout: its result (a time-out FAILED) must never be applied.
    let later = sidecar.drain(Duration::from_millis(1800));
    assert!(later.iter().all(|m| m["method"] != "connections/event"), "a stale result was applied: {later:#?}");
    let now = sidecar.request("connections/get", json!({"id": id}), WAIT).unwrap();
    assert_eq!(state(&now, "schema_registry"), "SUCCESS");
}

#[test]
fn refresh_waits_for_a_fresh_check() {
    let broker = Tansu::start();
    let mut sidecar = start(json!({"direct": {"refresh_interval_seconds": 3600}}));
    let created = create(&mut sidecar, kafka_spec("refresh", &broker.bootstrap()));
    let id = created["id"].as_str().unwrap().to_string();
    events_until(&mut sidecar, &id, "CONNECTED", |e| e["action"] == "CONNECTED");
    drop(broker);
    // The schedule would not look again for an hour; refresh does, and says what it found.
    let refreshed = sidecar.request("connections/refresh", json!({"id": id}), WAIT).unwrap();
    assert_eq!(state(&refreshed, "kafka_cluster"), "FAILED", "{refreshed}");
    events_until(&mut sidecar, &id, "DISCONNECTED", |e| e["action"] == "DISCONNECTED");
}

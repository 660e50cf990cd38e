//! The `connections/*` methods over the wire: the resource, validation, secrets, errors, events.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::*;

fn closed_kafka(name: &str) -> Value {
    kafka_spec(name, &format!("127.0.0.1:{}", closed_port()))
}

#[test]
fn create_get_list_update_delete_round_trip_with_events() {
    let mut sidecar = start(fast_options());
    let created = create(
        &mut sidecar,
        json!({"id": "first", "name": "First", "type": "DIRECT",
        "kafka_cluster": {"bootstrap_servers": "127.0.0.1:1", "ssl": {"enabled": false}}}),
    );
    assert_eq!(created["id"], "first");
    assert_eq!(created["spec"]["name"], "First");
    assert_eq!(state(&created, "kafka_cluster"), "ATTEMPTING");
    assert_eq!(created["status"]["authentication"], json!({"status": "NO_TOKEN"}));
    assert_eq!(created["status"].get("schema_registry"), None, "only components the connection has");
    let generated = create(&mut sidecar, closed_kafka("Second"));
    let second = generated["id"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&second).is_ok(), "a UUID is generated when the id is absent: {second}");

    let listed = sidecar.request("connections/list", json!({}), WAIT).unwrap();
    let ids: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["first", second.as_str()], "list is in creation order");
    assert_eq!(sidecar.request("connections/get", json!({"id": "first"}), WAIT).unwrap()["spec"]["name"], "First");

    let updated = sidecar
        .request(
            "connections/update",
            json!({"id": "first", "spec": {"name": "Renamed", "type": "DIRECT",
            "schema_registry": {"uri": "http://127.0.0.1:1"}}}),
            WAIT,
        )
        .unwrap();
    assert_eq!(updated["spec"]["name"], "Renamed");
    assert_eq!(updated["spec"].get("kafka_cluster"), None, "update replaces the spec whole");
    assert_eq!(state(&updated, "schema_registry"), "ATTEMPTING");
    assert_eq!(updated["status"].get("kafka_cluster"), None);

    assert_eq!(sidecar.request("connections/delete", json!({"id": "first"}), WAIT).unwrap(), Value::Null);
    let events = events_until(&mut sidecar, "first", "DELETED", |e| e["action"] == "DELETED");
    let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions.first(), Some(&"CREATED"));
    assert!(actions.contains(&"UPDATED"));
    let updated_at = actions.iter().position(|a| *a == "UPDATED").unwrap();
    assert!(
        events[updated_at + 1..].iter().all(|e| e["connection"]["spec"]["name"] == "Renamed"),
        "nothing about the old spec follows the update: {actions:?}"
    );
    let after = sidecar.drain(Duration::from_millis(800));
    assert!(
        after.iter().all(|m| m["params"]["connection"]["id"] != "first"),
        "nothing about a connection follows its DELETED: {after:#?}"
    );
    let error = sidecar.request("connections/get", json!({"id": "first"}), WAIT).unwrap_err();
    assert_eq!(error["code"], -32010);
}

#[test]
fn not_found_and_duplicate_ids_have_their_own_codes() {
    let mut sidecar = start(fast_options());
    for method in ["connections/get", "connections/delete", "connections/refresh"] {
        let error = sidecar.request(method, json!({"id": "nope"}), WAIT).unwrap_err();
        assert_eq!(error["code"], -32010, "{method}");
        assert!(error["message"].as_str().unwrap().contains("nope"));
    }
    let error =
        sidecar.request("connections/update", json!({"id": "nope", "spec": closed_kafka("x")}), WAIT).unwrap_err();
    assert_eq!(error["code"], -32010);
    let error = sidecar.request("connections/patch", json!({"id": "nope", "patch": {"name": "y"}}), WAIT).unwrap_err();
    assert_eq!(error["code"], -32010);

    let mut spec = closed_kafka("one");
    spec["id"] = json!("taken");
    create(&mut sidecar, spec.clone());
    // Refused as a duplicate even though the spec is also invalid: the id check comes first.
    let error = sidecar.request("connections/create", json!({"spec": {"id": "taken", "name": ""}}), WAIT).unwrap_err();
    assert_eq!(error["code"], -32011);
    let error = sidecar.request("connections/create", json!({"spec": spec, "dry_run": true}), WAIT).unwrap_err();
    assert_eq!(error["code"], -32011);
}

#[test]
fn every_validation_problem_is_reported_with_its_path() {
    let mut sidecar = start(fast_options());
    let long = "x".repeat(65);
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({"type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "h:1"}}), vec!["name"]),
        (json!({"name": "  ", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "h:1"}}), vec!["name"]),
        (json!({"name": long, "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "h:1"}}), vec!["name"]),
        (json!({"id": "", "name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "h:1"}}), vec!["id"]),
        (json!({"name": "n", "kafka_cluster": {"bootstrap_servers": "h:1"}}), vec!["type"]),
        (json!({"name": "n", "type": "DIRECT"}), vec!["kafka_cluster"]),
        (json!({"name": "n", "type": "CCLOUD", "kafka_cluster": {"bootstrap_servers": "h:1"}}), vec!["kafka_cluster"]),
        (
            json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "h:1"}, "ccloud_config": {}}),
            vec!["ccloud_config"],
        ),
        (
            json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "h:1"}, "local_config": {}}),
            vec!["local_config"],
        ),
        (
            json!({"name": "n", "type": "CCLOUD", "ccloud_config": {"organization_id": "short"}}),
            vec!["ccloud_config.organization_id"],
        ),
        (
            json!({"name": "n", "type": "LOCAL", "local_config": {"schema-registry-uri": "   "}}),
            vec!["local_config.schema_registry_uri"],
        ),
        (
            json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "nohostport"}}),
            vec!["kafka_cluster.bootstrap_servers"],
        ),
        (
            json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "h:1", "credentials": {"username": "u"}}}),
            vec!["kafka_cluster.credentials.password"],
        ),
        (
            json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "h:1",
            "credentials": {"username": "u", "password": "p", "api_key": "k"}}}),
            vec!["kafka_cluster.credentials"],
        ),
        (
            json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "h:1",
            "credentials": {"tokens_url": "ftp://idp", "client_id": "c"}}}),
            vec!["kafka_cluster.credentials.tokens_url"],
        ),
        (
            json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "h:1",
            "ssl": {"truststore": {"path": ""}}}}),
            vec!["kafka_cluster.ssl.truststore.path"],
        ),
        (json!({"name": "n", "type": "DIRECT", "schema_registry": {"uri": "ftp://sr"}}), vec!["schema_registry.uri"]),
        (
            json!({"name": "n", "type": "DIRECT", "schema_registry": {"uri": "http://sr",
            "credentials": {"scram_username": "u", "scram_password": "p", "hash_algorithm": "SCRAM_SHA_256"}}}),
            vec!["schema_registry.credentials"],
        ),
        (
            json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "h:1",
            "credentials": {"username": "u", "password": "********"}}}),
            vec!["kafka_cluster.credentials.password"],
        ),
        // Many problems at once, all reported.
        (
            json!({"id": long, "name": "", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "",
            "credentials": {"api_key": "k"}}, "schema_registry": {"uri": "not a uri"}}),
            vec![
                "id",
                "name",
                "kafka_cluster.bootstrap_servers",
                "kafka_cluster.credentials.api_secret",
                "schema_registry.uri",
            ],
        ),
    ];
    for (spec, expected) in cases {
        for dry_run in [false, true] {
            let error = sidecar
                .request("connections/create", json!({"spec": spec, "dry_run": dry_run}), WAIT)
                .expect_err(&format!("{spec} is refused"));
            assert_eq!(error["code"], -32602, "{spec}");
            let errors = error["data"]["errors"].as_array().unwrap();
            let sources: Vec<&str> = errors.iter().map(|e| e["source"].as_str().unwrap()).collect();
            assert_eq!(sources, expected, "{spec}: {errors:#?}");
            for problem in errors {
                let detail = problem["detail"].as_str().unwrap();
                assert!(detail.len() > 10 && !detail.ends_with('.'), "{detail}");
            }
        }
    }
    assert_eq!(sidecar.request("connections/list", json!({}), WAIT).unwrap()["data"], json!([]), "nothing stored");
}

#[test]
fn id_and_type_cannot_change_and_a_refused_update_changes_nothing() {
    let mut sidecar = start(fast_options());
    let mut spec = closed_kafka("keep");
    spec["id"] = json!("keep");
    create(&mut sidecar, spec.clone());
    let mut other = spec.clone();
    other["id"] = json!("other");
    let error = sidecar.request("connections/update", json!({"id": "keep", "spec": other}), WAIT).unwrap_err();
    assert_eq!(error["data"]["errors"][0]["source"], "id");
    let mut local = spec.clone();
    local["type"] = json!("LOCAL");
    let error = sidecar.request("connections/update", json!({"id": "keep", "spec": local}), WAIT).unwrap_err();
    assert_eq!(error["data"]["errors"][0]["source"], "type");
    let error =
        sidecar.request("connections/patch", json!({"id": "keep", "patch": {"type": "PLATFORM"}}), WAIT).unwrap_err();
    assert_eq!(error["data"]["errors"][0]["source"], "type");
    let stored = sidecar.request("connections/get", json!({"id": "keep"}), WAIT).unwrap();
    assert_eq!(stored["spec"], spec, "refused changes leave the stored spec as it was");
}

#[test]
fn dry_run_checks_once_and_leaves_nothing_behind() {
    let mut sidecar = start(fast_options());
    let registry = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let checked = sidecar
        .request("connections/create", json!({"spec": registry_spec("try", &registry.uri()), "dry_run": true}), WAIT)
        .unwrap();
    assert_eq!(state(&checked, "schema_registry"), "SUCCESS", "the reply waits for the check: {checked}");
    assert_eq!(registry.requests(), 1);
    assert_eq!(sidecar.request("connections/list", json!({}), WAIT).unwrap()["data"], json!([]));
    let id = checked["id"].as_str().unwrap().to_string();
    assert_eq!(sidecar.request("connections/get", json!({"id": id}), WAIT).unwrap_err()["code"], -32010);
    let messages = sidecar.drain(Duration::from_millis(500));
    assert!(messages.iter().all(|m| m["method"] != "connections/event"), "no events: {messages:#?}");
}

/// Every secret field, each with a value that is easy to find if it leaks.
fn spec_with_every_secret() -> Value {
    json!({"id": "secrets", "name": "secrets", "type": "DIRECT",
        "kafka_cluster": {"bootstrap_servers": format!("127.0.0.1:{}", closed_port()),
            "credentials": {"username": "alice", "password": "kafka-password-LEAK1"},
            "ssl": {"enabled": true, "truststore": {"path": "/nonexistent/ca.pem", "type": "PEM", "password": "truststore-password-LEAK2"},
                "keystore": {"path": "/nonexistent/key.pem", "type": "PEM", "password": "keystore-password-LEAK3", "key_password": "key-password-LEAK4"}}},
        "schema_registry": {"uri": "http://127.0.0.1:1", "credentials": {"api_key": "KEY", "api_secret": "sr-secret-LEAK5"}}})
}

fn assert_masked(what: &str, text: &str) {
    assert!(!text.contains("LEAK"), "a secret leaked in {what}: {text}");
}

#[test]
fn secrets_are_masked_everywhere_and_round_trip_through_update_and_patch() {
    let mut command = command("trace");
    let stderr_path = std::env::temp_dir().join(format!("ide-sidecar-secrets-{}.log", std::process::id()));
    command.stderr(std::fs::File::create(&stderr_path).unwrap());
    let mut sidecar = SidecarProcess::spawn(command).unwrap();
    sidecar.initialize(fast_options());

    let created = create(&mut sidecar, spec_with_every_secret());
    assert_masked("the create reply", &created.to_string());
    assert_eq!(created["spec"]["kafka_cluster"]["credentials"]["password"], "********");
    assert_eq!(created["spec"]["kafka_cluster"]["ssl"]["keystore"]["key_password"], "********");
    assert_eq!(created["spec"]["schema_registry"]["credentials"]["api_secret"], "********");

    // Send back exactly what was shown, with a new name: the stored secrets stay.
    let mut shown = created["spec"].clone();
    shown["name"] = json!("renamed");
    let updated = sidecar.request("connections/update", json!({"id": "secrets", "spec": shown}), WAIT).unwrap();
    assert_masked("the update reply", &updated.to_string());
    let patched = sidecar
        .request(
            "connections/patch",
            json!({"id": "secrets", "patch": {"name": "patched", "kafka_cluster": {"client_id_suffix": "p"}}}),
            WAIT,
        )
        .unwrap();
    assert_eq!(patched["spec"]["name"], "patched");
    assert_eq!(patched["spec"]["kafka_cluster"]["client_id_suffix"], "p");
    assert_eq!(patched["spec"]["kafka_cluster"]["credentials"]["password"], "********");
    let refreshed = sidecar.request("connections/refresh", json!({"id": "secrets"}), WAIT).unwrap();
    assert_masked("the refresh reply", &refreshed.to_string());
    assert_masked("the list reply", &sidecar.request("connections/list", json!({}), WAIT).unwrap().to_string());

    // The stored secrets are still the originals: prove it with a dry run of the shown spec elsewhere
    // (a mask with nothing stored is refused), and by the leak scan of the logs below.
    let mut copy = patched["spec"].clone();
    copy["id"] = json!("copy");
    let error = sidecar.request("connections/create", json!({"spec": copy, "dry_run": true}), WAIT).unwrap_err();
    let sources: Vec<&str> =
        error["data"]["errors"].as_array().unwrap().iter().map(|e| e["source"].as_str().unwrap()).collect();
    assert_eq!(sources.len(), 5, "every masked secret without a stored value is refused: {sources:?}");

    sidecar.request("connections/delete", json!({"id": "secrets"}), WAIT).unwrap();
    let messages = sidecar.drain(Duration::from_millis(500));
    assert!(messages.iter().any(|m| m["params"]["action"] == "DELETED"));
    for message in &messages {
        assert_masked("an event", &message.to_string());
    }
    assert_eq!(sidecar.shutdown().and_then(|s| s.code()), Some(0));
    let logs = std::fs::read_to_string(&stderr_path).unwrap();
    let _ = std::fs::remove_file(&stderr_path);
    assert!(logs.contains("TRACE") || logs.contains("DEBUG"), "trace logging was on");
    assert_masked("the logs", &logs);
}

#[test]
fn patch_follows_rfc_7386_on_the_stored_spec() {
    let mut sidecar = start(fast_options());
    create(
        &mut sidecar,
        json!({"id": "p", "name": "p", "type": "DIRECT",
        "kafka_cluster": {"bootstrap_servers": "127.0.0.1:1", "ssl": {"enabled": false}, "client_id_suffix": "a"},
        "schema_registry": {"uri": "http://127.0.0.1:1"}}),
    );
    // null removes a member; nested objects merge; other members stay.
    let patched = sidecar
        .request(
            "connections/patch",
            json!({"id": "p", "patch": {"schema_registry": null,
            "kafka_cluster": {"client_id_suffix": null, "bootstrap_servers": "127.0.0.1:2"}}}),
            WAIT,
        )
        .unwrap();
    assert_eq!(patched["spec"].get("schema_registry"), None);
    assert_eq!(
        patched["spec"]["kafka_cluster"],
        json!({"bootstrap_servers": "127.0.0.1:2", "ssl": {"enabled": false}})
    );
    assert_eq!(patched["status"].get("schema_registry"), None, "status follows the components");
    // A patch that makes the spec invalid is refused with paths and changes nothing.
    let error = sidecar.request("connections/patch", json!({"id": "p", "patch": {"name": null}}), WAIT).unwrap_err();
    assert_eq!(error["data"]["errors"][0]["source"], "name");
    let error = sidecar
        .request("connections/patch", json!({"id": "p", "patch": {"kafka_cluster": {"ssl": {"enabled": "no"}}}}), WAIT)
        .unwrap_err();
    assert_eq!(error["data"]["errors"][0]["source"], "kafka_cluster.ssl.enabled");
    let stored = sidecar.request("connections/get", json!({"id": "p"}), WAIT).unwrap();
    assert_eq!(stored["spec"]["name"], "p");
}

#[test]
fn a_patch_or_update_that_sends_the_mask_back_keeps_working_credentials() {
    let guarded = FakeSchemaRegistry::start(RegistryBehaviour::RequireBasicAuth {
        username: "alice".into(),
        password: "right".into(),
    })
    .unwrap();
    let mut sidecar = start(json!({"direct": {"refresh_interval_seconds": 3600}}));
    let mut spec = registry_spec("guarded", &guarded.uri());
    spec["id"] = json!("guarded");
    spec["schema_registry"]["credentials"] = json!({"username": "alice", "password": "right"});
    create(&mut sidecar, spec);
    events_until(&mut sidecar, "guarded", "CONNECTED", |e| e["action"] == "CONNECTED");

    let patched =
        sidecar.request("connections/patch", json!({"id": "guarded", "patch": {"name": "renamed"}}), WAIT).unwrap();
    let shown = patched["spec"].clone();
    assert_eq!(shown["schema_registry"]["credentials"]["password"], "********");
    let refreshed = sidecar.request("connections/refresh", json!({"id": "guarded"}), WAIT).unwrap();
    assert_eq!(state(&refreshed, "schema_registry"), "SUCCESS", "the stored password survived the patch: {refreshed}");

    sidecar.request("connections/update", json!({"id": "guarded", "spec": shown}), WAIT).unwrap();
    let refreshed = sidecar.request("connections/refresh", json!({"id": "guarded"}), WAIT).unwrap();
    assert_eq!(state(&refreshed, "schema_registry"), "SUCCESS", "the stored password survived the update: {refreshed}");

    let wrong = json!({"schema_registry": {"credentials": {"password": "wrong"}}});
    sidecar.request("connections/patch", json!({"id": "guarded", "patch": wrong}), WAIT).unwrap();
    let refreshed = sidecar.request("connections/refresh", json!({"id": "guarded"}), WAIT).unwrap();
    assert_eq!(state(&refreshed, "schema_registry"), "FAILED", "a new password replaces the stored one");
}

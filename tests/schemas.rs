//! The Schema Registry data plane (`schemas/*`) end to end over stdio, against the test registry (an
//! in-memory Confluent Schema Registry checked against Confluent's own client in registry_interop.rs):
//! every method, every error code a user can act on, params errors with their paths, and stored
//! connections that no request changes.

mod support;

use serde_json::{json, Value};
use support::*;

const ORDER_V1: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#;
const ORDER_V2: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"amount","type":"double","default":0}]}"#;
const ORDER_BAD: &str =
    r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"currency","type":"string"}]}"#;
const COMMON_PROTO: &str =
    "syntax = \"proto3\";\npackage shop;\nmessage Money { string currency = 1; int64 units = 2; }\n";
const PRICE_PROTO: &str = "syntax = \"proto3\";\npackage shop;\nimport \"common.proto\";\nmessage Price { string sku = 1; shop.Money money = 2; }\n";

/// `params` with `connection_id` added.
fn on(connection_id: &str, params: Value) -> Value {
    let mut all = json!({"connection_id": connection_id});
    all.as_object_mut().unwrap().extend(params.as_object().unwrap().clone());
    all
}

fn code(error: &Value) -> i64 {
    error["code"].as_i64().unwrap_or_default()
}

/// The JSON paths `data.errors` names.
fn paths(error: &Value) -> Vec<String> {
    error["data"]["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| e["source"].as_str().unwrap_or_default().to_string()).collect())
        .unwrap_or_default()
}

/// The stored spec (the status may change meanwhile, with the connection's checks).
fn stored(sidecar: &mut SidecarProcess, id: &str) -> Value {
    call(sidecar, "connections/get", json!({"id": id}))["spec"].clone()
}

fn options() -> Value {
    json!({"check_timeout_seconds": 5, "direct": {"refresh_interval_seconds": 3600}})
}

#[test]
fn every_method_against_a_registry() {
    let registry = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let mut sidecar = start(options());
    let mut spec = registry_spec("sr", &registry.uri());
    spec["id"] = json!("sr");
    create(&mut sidecar, spec);
    let before = stored(&mut sidecar, "sr");
    let sr = |params: Value| on("sr", params);

    // Register: a new schema, the same again (same id and version), a second version, and the same
    // schema under another subject (same id).
    let avro = |schema: &str| json!({"schema_type": "AVRO", "schema": schema});
    let mut params = avro(ORDER_V1);
    params["subject"] = json!("orders-value");
    let first = call(&mut sidecar, "schemas/register", sr(params.clone()));
    assert_eq!(first, json!({"id": 1, "version": 1}));
    assert_eq!(call(&mut sidecar, "schemas/register", sr(params)), first);
    let second = call(
        &mut sidecar,
        "schemas/register",
        sr(json!({"subject": "orders-value", "schema_type": "AVRO", "schema": ORDER_V2})),
    );
    assert_eq!(second, json!({"id": 2, "version": 2}));
    let copy = call(
        &mut sidecar,
        "schemas/register",
        sr(json!({"subject": "copy-value", "schema_type": "AVRO", "schema": ORDER_V1, "timeout_ms": 5000})),
    );
    assert_eq!(copy, json!({"id": 1, "version": 1}));

    // Protobuf with a reference, resolved by the registry.
    call(
        &mut sidecar,
        "schemas/register",
        sr(json!({"subject": "common.proto", "schema_type": "PROTOBUF", "schema": COMMON_PROTO})),
    );
    let reference = json!([{"name": "common.proto", "subject": "common.proto", "version": 1}]);
    let price = call(
        &mut sidecar,
        "schemas/register",
        sr(
            json!({"subject": "prices-value", "schema_type": "PROTOBUF", "schema": PRICE_PROTO, "references": reference, "normalize": true}),
        ),
    );
    assert_eq!(price["version"], 1);

    // Lists.
    let subjects = call(&mut sidecar, "schemas/subjects/list", sr(json!({})));
    assert_eq!(subjects, json!({"data": ["common.proto", "copy-value", "orders-value", "prices-value"]}));
    let prefixed = call(&mut sidecar, "schemas/subjects/list", sr(json!({"prefix": "or"})));
    assert_eq!(prefixed, json!({"data": ["orders-value"]}));
    assert_eq!(
        call(&mut sidecar, "schemas/versions/list", sr(json!({"subject": "orders-value"}))),
        json!({"data": [1, 2]})
    );

    // Get: by version, latest, and id.
    let got = call(&mut sidecar, "schemas/get", sr(json!({"subject": "orders-value", "version": 1})));
    assert_eq!(
        got,
        json!({"subject": "orders-value", "version": 1, "id": 1, "schema_type": "AVRO", "schema": ORDER_V1, "references": []})
    );
    let latest = call(&mut sidecar, "schemas/get", sr(json!({"subject": "orders-value", "version": "latest"})));
    assert_eq!((latest["version"].clone(), latest["id"].clone()), (json!(2), json!(2)));
    let by_id = call(&mut sidecar, "schemas/get", sr(json!({"id": price["id"]})));
    assert_eq!(by_id["schema_type"], "PROTOBUF");
    assert_eq!(by_id["references"], reference);
    assert!(by_id.get("subject").is_none(), "a schema read by id names no subject: {by_id}");

    // Compatibility and config.
    let global = call(&mut sidecar, "schemas/config/get", sr(json!({})));
    assert_eq!(global, json!({"compatibility": "BACKWARD", "source": "global"}));
    let falls_back = call(&mut sidecar, "schemas/config/get", sr(json!({"subject": "orders-value"})));
    assert_eq!(falls_back, json!({"compatibility": "BACKWARD", "source": "global"}));
    let bad = json!({"subject": "orders-value", "schema_type": "AVRO", "schema": ORDER_BAD});
    let verdict = call(&mut sidecar, "schemas/checkCompatibility", sr(bad.clone()));
    assert_eq!(verdict["is_compatible"], false);
    let messages = verdict["messages"].as_array().unwrap();
    assert!(messages.iter().any(|m| m.as_str().unwrap().contains("currency")), "{verdict}");
    let good = json!({"subject": "orders-value", "schema_type": "AVRO", "schema": ORDER_V2, "version": 1});
    assert_eq!(
        call(&mut sidecar, "schemas/checkCompatibility", sr(good)),
        json!({"is_compatible": true, "messages": []})
    );
    // A dry run registers nothing: it says what registering would do.
    let mut dry = bad.clone();
    dry["dry_run"] = json!(true);
    let would = call(&mut sidecar, "schemas/register", sr(dry));
    assert_eq!((would["dry_run"].clone(), would["is_compatible"].clone()), (json!(true), json!(false)), "{would}");
    assert!(would["id"].is_null() && !would["messages"].as_array().unwrap().is_empty(), "{would}");
    let again = call(
        &mut sidecar,
        "schemas/register",
        sr(json!({"subject": "orders-value", "schema_type": "AVRO", "schema": ORDER_V2, "dry_run": true})),
    );
    assert_eq!(again, json!({"id": 2, "version": 2, "dry_run": true, "is_compatible": true}), "already registered");
    let fresh = call(
        &mut sidecar,
        "schemas/register",
        sr(json!({"subject": "brand-new", "schema_type": "AVRO", "schema": ORDER_V1, "dry_run": true})),
    );
    assert_eq!(fresh, json!({"dry_run": true, "is_compatible": true}), "a new subject");
    assert_eq!(
        call(&mut sidecar, "schemas/versions/list", sr(json!({"subject": "orders-value"})))["data"],
        json!([1, 2])
    );
    let subjects = call(&mut sidecar, "schemas/subjects/list", sr(json!({})));
    assert!(!subjects["data"].as_array().unwrap().contains(&json!("brand-new")), "{subjects}");
    let incompatible = refused(&mut sidecar, "schemas/register", sr(bad.clone()));
    assert_eq!(code(&incompatible), -32055, "{incompatible}");
    assert_eq!(incompatible["data"]["error_code"], 409);
    assert_eq!(incompatible["data"]["status"], 409);
    assert_eq!(incompatible["data"]["operation"], "RegisterSchema");
    assert!(incompatible["data"]["message"].as_str().unwrap().contains("incompatible"), "{incompatible}");
    let set = call(&mut sidecar, "schemas/config/set", sr(json!({"subject": "orders-value", "compatibility": "NONE"})));
    assert_eq!(set, json!({"compatibility": "NONE", "source": "subject"}));
    let own = call(&mut sidecar, "schemas/config/get", sr(json!({"subject": "orders-value"})));
    assert_eq!(own, json!({"compatibility": "NONE", "source": "subject"}));
    assert_eq!(call(&mut sidecar, "schemas/register", sr(bad))["version"], 3);
    let set_global = call(&mut sidecar, "schemas/config/set", sr(json!({"compatibility": "FULL_TRANSITIVE"})));
    assert_eq!(set_global, json!({"compatibility": "FULL_TRANSITIVE", "source": "global"}));
    assert_eq!(call(&mut sidecar, "schemas/config/get", sr(json!({})))["compatibility"], "FULL_TRANSITIVE");

    // Refusals, each with its code and the registry's own words in data.
    let cases = [
        ("schemas/versions/list", json!({"subject": "nobody"}), -32052, 40401),
        ("schemas/get", json!({"subject": "orders-value", "version": 9}), -32053, 40402),
        ("schemas/get", json!({"id": 999}), -32054, 40403),
        ("schemas/register", json!({"subject": "x", "schema_type": "AVRO", "schema": "{not json"}), -32056, 42201),
        (
            "schemas/register",
            json!({"subject": "orphan", "schema_type": "PROTOBUF", "schema": PRICE_PROTO}),
            -32056,
            42201,
        ),
        ("schemas/delete", json!({"subject": "copy-value", "permanent": true}), -32057, 40405),
        ("schemas/delete", json!({"subject": "orders-value", "version": 1, "permanent": true}), -32057, 40407),
    ];
    for (method, params, expected, error_code) in cases {
        let error = refused(&mut sidecar, method, sr(params.clone()));
        assert_eq!(
            (code(&error), error["data"]["error_code"].as_i64()),
            (expected, Some(error_code)),
            "{method} {params}: {error}"
        );
        let message = error["message"].as_str().unwrap();
        assert!(!message.ends_with('.') && message.contains(':'), "a message says what to do: {message}");
    }
    let subject_error = refused(&mut sidecar, "schemas/versions/list", sr(json!({"subject": "nobody"})));
    assert_eq!(
        subject_error["message"],
        "Subject 'nobody' not found: check the name; schemas/subjects/list lists the subjects"
    );
    assert_eq!(
        subject_error["data"],
        json!({"error_code": 40401, "message": "Subject 'nobody' not found.", "status": 404, "operation": "ListVersions"})
    );

    // Deletes: soft, then permanent.
    let soft = call(&mut sidecar, "schemas/delete", sr(json!({"subject": "copy-value"})));
    assert_eq!(soft, json!({"versions": [1]}));
    let listed = call(&mut sidecar, "schemas/subjects/list", sr(json!({})));
    assert!(!listed["data"].as_array().unwrap().contains(&json!("copy-value")));
    let with_deleted = call(&mut sidecar, "schemas/subjects/list", sr(json!({"deleted": true})));
    assert!(with_deleted["data"].as_array().unwrap().contains(&json!("copy-value")));
    assert_eq!(call(&mut sidecar, "schemas/delete", sr(json!({"subject": "copy-value", "permanent": true}))), soft);
    let one = call(&mut sidecar, "schemas/delete", sr(json!({"subject": "orders-value", "version": 1})));
    assert_eq!(one, json!({"versions": [1]}));
    assert_eq!(
        call(&mut sidecar, "schemas/versions/list", sr(json!({"subject": "orders-value"}))),
        json!({"data": [2, 3]})
    );
    let all = call(&mut sidecar, "schemas/versions/list", sr(json!({"subject": "orders-value", "deleted": true})));
    assert_eq!(all, json!({"data": [1, 2, 3]}));
    let latest = call(&mut sidecar, "schemas/delete", sr(json!({"subject": "orders-value", "version": "latest"})));
    assert_eq!(latest, json!({"versions": [3]}));

    assert_eq!(stored(&mut sidecar, "sr"), before, "no request changed the stored connection");
}

#[test]
fn bad_params_name_their_paths_and_reach_no_registry() {
    let registry = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let mut sidecar = start(options());
    let mut spec = registry_spec("sr", &registry.uri());
    spec["id"] = json!("sr");
    create(&mut sidecar, spec);
    let before = stored(&mut sidecar, "sr");
    let requests = registry.requests();
    let sr = |params: Value| on("sr", params);
    let cases = [
        ("schemas/get", json!({"subject": "s", "version": 1, "id": 1}), vec!["subject"]),
        ("schemas/get", json!({"subject": "s"}), vec!["version"]),
        ("schemas/get", json!({"version": "latest"}), vec!["subject"]),
        ("schemas/get", json!({}), vec![""]),
        ("schemas/get", json!({"subject": "s", "version": 0}), vec!["version"]),
        ("schemas/get", json!({"subject": "s", "version": "newest"}), vec!["version"]),
        ("schemas/versions/list", json!({"subject": ""}), vec!["subject"]),
        ("schemas/config/set", json!({"compatibility": "SIDEWAYS"}), vec!["compatibility"]),
        ("schemas/register", json!({"subject": "s", "schema_type": "XML", "schema": "<a/>"}), vec!["schema_type"]),
        (
            "schemas/register",
            json!({"subject": "s", "schema_type": "AVRO", "schema": " ",
                   "references": [{"name": "a", "subject": "b", "version": 1}, {"name": "", "subject": "", "version": 0}]}),
            vec!["schema", "references[1].name", "references[1].subject", "references[1].version"],
        ),
        (
            "schemas/checkCompatibility",
            json!({"subject": "s", "schema_type": "AVRO", "schema": "{}", "version": -3}),
            vec!["version"],
        ),
        ("schemas/delete", json!({"subject": "s", "version": 0}), vec!["version"]),
        ("schemas/subjects/list", json!({"timeout_ms": 0}), vec!["timeout_ms"]),
    ];
    for (method, params, expected) in cases {
        let error = refused(&mut sidecar, method, sr(params.clone()));
        assert_eq!(code(&error), -32602, "{method} {params}: {error}");
        assert_eq!(paths(&error), expected, "{method} {params}: {error}");
    }
    assert_eq!(registry.requests(), requests, "bad params reached the registry");
    assert_eq!(stored(&mut sidecar, "sr"), before);
}

#[test]
fn targets_without_a_reachable_registry_say_why() {
    let broken = FakeSchemaRegistry::start(RegistryBehaviour::Status(500)).unwrap();
    let mut sidecar = start(options());
    let unknown = refused(&mut sidecar, "schemas/subjects/list", json!({"connection_id": "nope"}));
    assert_eq!(code(&unknown), -32010);

    create(&mut sidecar, json!({"id": "cc", "name": "cloud", "type": "CCLOUD"}));
    let cloud = refused(&mut sidecar, "schemas/subjects/list", json!({"connection_id": "cc"}));
    // The environment's registry is reached through the session (tests/ccloud_data.rs): without one, it says so.
    assert_eq!(code(&cloud), -32022);
    assert_eq!(cloud["message"], "Connection 'cc' is not signed in to Confluent Cloud: sign in with ccloud/signIn");

    let closed = format!("127.0.0.1:{}", closed_port());
    create(
        &mut sidecar,
        json!({"id": "k", "name": "kafka only", "type": "DIRECT",
        "kafka_cluster": {"bootstrap_servers": closed, "ssl": {"enabled": false}}}),
    );
    let none = refused(&mut sidecar, "schemas/subjects/list", json!({"connection_id": "k"}));
    assert_eq!(code(&none), -32050, "{none}");
    assert!(none["message"].as_str().unwrap().contains("add schema_registry"), "{none}");

    // Nothing listens: the words are the status check's.
    let mut spec = registry_spec("down", &format!("http://127.0.0.1:{}", closed_port()));
    spec["id"] = json!("down");
    let created = create(&mut sidecar, spec);
    let before = stored(&mut sidecar, "down");
    let down = refused(&mut sidecar, "schemas/subjects/list", json!({"connection_id": "down"}));
    assert_eq!(code(&down), -32051, "{down}");
    let message = down["message"].as_str().unwrap();
    assert!(message.starts_with("Connection refused by 'http://127.0.0.1:"), "{message}");
    let status =
        events_until(&mut sidecar, "down", "the check", |e| state(&e["connection"], "schema_registry") == "FAILED");
    let (status_message, _) = error_of(&status.last().unwrap()["connection"], "schema_registry");
    assert_eq!(message, status_message, "the request and the status say the same");
    assert!(created["id"] == "down");
    assert_eq!(stored(&mut sidecar, "down"), before);

    // A registry in trouble.
    let mut spec = registry_spec("broken", &broken.uri());
    spec["id"] = json!("broken");
    create(&mut sidecar, spec);
    let trouble = refused(&mut sidecar, "schemas/subjects/list", json!({"connection_id": "broken"}));
    assert_eq!(code(&trouble), -32051, "{trouble}");
    assert!(trouble["message"].as_str().unwrap().contains("answered HTTP 500: it is having trouble"), "{trouble}");
    assert_eq!(trouble["data"]["status"], 500);
}

#[test]
fn a_registry_with_basic_auth_works_with_the_connections_credentials() {
    let guarded = FakeSchemaRegistry::start(RegistryBehaviour::RequireBasicAuth {
        username: "alice".into(),
        password: "s3cret".into(),
    })
    .unwrap();
    let mut sidecar = start(options());
    let mut spec = registry_spec("guarded", &guarded.uri());
    spec["id"] = json!("guarded");
    spec["schema_registry"]["credentials"] = json!({"username": "alice", "password": "s3cret"});
    create(&mut sidecar, spec.clone());
    let registered = call(
        &mut sidecar,
        "schemas/register",
        on("guarded", json!({"subject": "s", "schema_type": "JSON", "schema": "{\"type\":\"object\"}"})),
    );
    assert_eq!(registered, json!({"id": 1, "version": 1}));
    let got = call(&mut sidecar, "schemas/get", on("guarded", json!({"id": 1})));
    assert_eq!(got["schema_type"], "JSON");

    spec["id"] = json!("anonymous");
    spec["schema_registry"].as_object_mut().unwrap().remove("credentials");
    create(&mut sidecar, spec);
    let denied = refused(&mut sidecar, "schemas/subjects/list", json!({"connection_id": "anonymous"}));
    assert_eq!(code(&denied), -32057, "{denied}");
    assert_eq!(denied["data"]["status"], 401);
    assert!(denied["message"].as_str().unwrap().contains("rejected the credentials (HTTP 401)"), "{denied}");
    assert!(!denied.to_string().contains("s3cret"));
}

//! The real binary over real pipes: LSP lifecycle, exit codes, framing errors, stdout purity.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::*;

#[test]
fn initialize_reports_server_info_and_what_this_build_supports() {
    let mut sidecar = SidecarProcess::spawn(command("warn")).unwrap();
    let result = sidecar.initialize(json!({}));
    assert_eq!(result["serverInfo"]["name"], "ide-sidecar");
    assert_eq!(result["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    let supported = &result["capabilities"]["experimental"]["sidecar"];
    assert_eq!(supported["protocol_version"], "1.0");
    assert_eq!(supported["connection_types"], json!(["LOCAL", "CCLOUD", "DIRECT", "PLATFORM"]));
    let types = supported["credential_types"].as_array().unwrap();
    assert!(types.contains(&json!("scram")) && types.contains(&json!("oauth")), "{types:?}");
    assert_eq!(
        types.contains(&json!("kerberos")),
        cfg!(feature = "kerberos"),
        "Kerberos is announced only when built in"
    );
    assert_eq!(supported["error_codes"]["-32010"], "connection not found");
    // What clients have matched on since the first release: nothing may go missing.
    let methods = [
        "connections/list",
        "connections/get",
        "connections/create",
        "connections/update",
        "connections/patch",
        "connections/delete",
        "connections/refresh",
        "ccloud/signIn",
        "ccloud/signOut",
        "ccloud/resources",
        "kafka/topics/list",
        "kafka/topics/describe",
        "kafka/topics/create",
        "kafka/topics/delete",
        "kafka/topics/alterConfigs",
        "kafka/groups/list",
        "kafka/groups/describe",
        "kafka/groups/resetOffsets",
        "kafka/lag/watch",
        "kafka/lag/unwatch",
        "kafka/records/consume",
        "kafka/records/tail",
        "kafka/records/untail",
        "kafka/records/produce",
        "schemas/subjects/list",
        "schemas/versions/list",
        "schemas/get",
        "schemas/register",
        "schemas/checkCompatibility",
        "schemas/config/get",
        "schemas/config/set",
        "schemas/delete",
    ];
    assert_eq!(supported["methods"], json!(methods));
    assert_eq!(
        supported["notifications"],
        json!(["connections/event", "kafka/lag", "kafka/lag/ended", "kafka/records", "kafka/tail/ended"])
    );
    let codes = supported["error_codes"].as_object().unwrap();
    let mut expected = vec![-32700, -32600, -32601, -32602, -32603, -32800, -32002, -32010, -32011, -32012];
    expected.extend(-32024..=-32020);
    expected.extend(-32042..=-32030);
    expected.extend(-32057..=-32050);
    for code in &expected {
        assert!(codes.contains_key(&code.to_string()), "{code} in {codes:?}");
    }
    assert_eq!(codes.len(), expected.len(), "{codes:?}");
}

#[test]
fn requests_before_initialize_are_refused_and_the_server_stays_up() {
    let mut sidecar = SidecarProcess::spawn(command("warn")).unwrap();
    let error = sidecar.request("connections/list", json!({}), WAIT).unwrap_err();
    assert_eq!(error["code"], -32002);
    sidecar.initialize(json!({}));
    assert_eq!(sidecar.request("connections/list", json!({}), WAIT).unwrap(), json!({"data": []}));
}

#[test]
fn shutdown_then_exit_ends_with_code_0() {
    let mut sidecar = start(json!({}));
    let status = sidecar.shutdown().expect("the sidecar exits after shutdown and exit");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn exit_without_shutdown_ends_with_code_1() {
    let mut sidecar = start(json!({}));
    sidecar.notify("exit", Value::Null);
    let status = sidecar.wait_exit(Duration::from_secs(2)).expect("the sidecar exits on exit");
    assert_eq!(status.code(), Some(1));
}

#[test]
fn end_of_stdin_ends_the_process_within_a_second() {
    let mut sidecar = start(json!({}));
    // A check in flight (a registry that never answers) must not hold the process up.
    let registry = FakeSchemaRegistry::start(RegistryBehaviour::Hang).unwrap();
    create(&mut sidecar, registry_spec("hanging", &registry.uri()));
    wait_until("the check to reach the registry", WAIT, || registry.requests() > 0);
    let stopped = Instant::now();
    sidecar.close_stdin();
    let status = sidecar.wait_exit(Duration::from_secs(1)).expect("the sidecar exits within a second of EOF");
    assert_eq!(status.code(), Some(1), "EOF without shutdown is not an orderly exit");
    assert!(stopped.elapsed() < Duration::from_secs(1));
}

#[test]
fn the_death_of_the_parent_process_ends_the_sidecar() {
    let mut parent = Command::new("sleep").arg("600").spawn().expect("sleep runs");
    let mut sidecar = SidecarProcess::spawn(command("warn")).unwrap();
    let params = json!({"processId": parent.id(), "capabilities": {}});
    sidecar.request("initialize", params, WAIT).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(sidecar.is_running(), "the sidecar keeps running while its parent lives");
    parent.kill().unwrap();
    parent.wait().unwrap();
    assert!(sidecar.wait_exit(Duration::from_secs(1)).is_some(), "the sidecar exits within a second of its parent");
}

#[test]
fn unknown_methods_get_method_not_found() {
    let mut sidecar = start(json!({}));
    let error = sidecar.request("connections/frobnicate", json!({}), WAIT).unwrap_err();
    assert_eq!(error["code"], -32601);
    assert!(sidecar.request("connections/list", json!({}), WAIT).is_ok());
}

#[test]
fn malformed_frames_get_errors_and_the_next_request_is_answered() {
    let mut sidecar = start(json!({}));
    let cases: [(&[u8], i64); 4] = [
        (b"Content-Length: 9\r\n\r\n{not json", -32700),
        (b"Content-Length: 5\r\n\r\n[1,2]", -32600),
        (b"Content-Length: 11\r\n\r\n{\"foo\":\"x\"}", -32600),
        (b"Content-Length: 4\r\n\r\n\xff\xfe\xfd\xfc", -32700),
    ];
    for (bytes, code) in cases {
        sidecar.send_raw(bytes);
        let error = sidecar
            .wait_for(WAIT, |m| m["id"].is_null() && m.get("error").is_some())
            .unwrap_or_else(|| panic!("no error for {:?}", String::from_utf8_lossy(bytes)));
        assert_eq!(error["error"]["code"], code, "{:?}", String::from_utf8_lossy(bytes));
        assert_eq!(sidecar.request("connections/list", json!({}), WAIT).unwrap(), json!({"data": []}));
    }
    // A header line that is not a header: the reader skips to the next frame.
    sidecar.send_raw(b"this is not a header\r\n\r\n");
    assert_eq!(sidecar.request("connections/list", json!({}), WAIT).unwrap(), json!({"data": []}));
}

#[test]
fn params_of_the_wrong_shape_are_invalid_params_with_the_field_path() {
    let mut sidecar = start(json!({}));
    let cases = [
        ("connections/get", json!({"id": 5}), "id"),
        ("connections/get", json!([1]), ""),
        ("connections/create", json!({"spec": {"name": 5, "type": "DIRECT"}}), "name"),
        ("connections/create", json!({"spec": {"name": "n", "type": "NOPE"}}), "type"),
        ("connections/create", json!({"spec": "x"}), ""),
        ("connections/create", json!({"spec": {"name": "n", "type": "DIRECT"}, "dry_run": "yes"}), "dry_run"),
        ("connections/create", json!({}), "spec"),
        ("connections/update", json!({"spec": {}}), "id"),
        ("connections/patch", json!({"id": "x", "patch": [1]}), "patch"),
    ];
    for (method, params, source) in cases {
        let error = sidecar.request(method, params.clone(), WAIT).unwrap_err();
        assert_eq!(error["code"], -32602, "{method} {params}");
        let errors =
            error["data"]["errors"].as_array().unwrap_or_else(|| panic!("data.errors for {method} {params}: {error}"));
        assert_eq!(errors[0]["source"], source, "{method} {params}: {error}");
        assert!(errors[0]["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
}

#[test]
fn a_wrong_type_in_initialization_options_fails_initialize_and_unknown_keys_are_ignored() {
    let mut sidecar = SidecarProcess::spawn(command("warn")).unwrap();
    let params = |options: Value| json!({"processId": null, "capabilities": {}, "initializationOptions": options});
    let error = sidecar
        .request("initialize", params(json!({"direct": {"refresh_interval_seconds": "fast"}})), WAIT)
        .unwrap_err();
    assert_eq!(error["code"], -32602);
    assert_eq!(error["data"]["errors"][0]["source"], "direct.refresh_interval_seconds");
    let error = sidecar.request("initialize", params(json!({"check_timeout_seconds": 0})), WAIT).unwrap_err();
    assert_eq!(error["data"]["errors"][0]["source"], "check_timeout_seconds");
    // The failed initialize left the server uninitialized; a good one works.
    assert_eq!(sidecar.request("connections/list", json!({}), WAIT).unwrap_err()["code"], -32002);
    sidecar.request("initialize", params(json!({"some_future_key": true, "local": {"x": 1}})), WAIT).unwrap();
    assert!(sidecar.request("connections/list", json!({}), WAIT).is_ok());
}

#[test]
fn stdout_carries_only_frames_even_with_trace_logging() {
    let mut command = command("trace");
    command.stderr(Stdio::piped());
    let mut sidecar = SidecarProcess::spawn(command).unwrap();
    sidecar.initialize(fast_options());
    let registry = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let created = create(&mut sidecar, registry_spec("trace", &registry.uri()));
    let id = created["id"].as_str().unwrap();
    events_until(&mut sidecar, id, "SUCCESS", |e| state(&e["connection"], "schema_registry") == "SUCCESS");
    create(&mut sidecar, kafka_spec("refused", &format!("127.0.0.1:{}", closed_port())));
    // Every message read so far passed the strict frame reader, which panics on anything else.
    let all = sidecar.drain(Duration::from_millis(500));
    assert!(all.iter().all(|m| m["jsonrpc"] == "2.0"));
    assert_eq!(sidecar.shutdown().and_then(|s| s.code()), Some(0));
}

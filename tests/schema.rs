//! `schema/` is generated from the protocol types and the method table, and the Neovim plugin's
//! `protocol.lua` from `schema/protocol.json`; this test fails when either is stale.
//! Regenerate with `UPDATE_SCHEMA=1 cargo test --test schema` (`schema/` alone: `ide-sidecar schema`).

use std::path::{Path, PathBuf};

use serde_json::Value;

const REGENERATE: &str = "run `UPDATE_SCHEMA=1 cargo test --test schema` and commit the result";

#[test]
fn schema_folder_matches_the_protocol_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let expected = ide_sidecar::protocol::schema_files();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        for (name, text) in &expected {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
    let mut stale = Vec::new();
    for (name, text) in &expected {
        if std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(text.as_str()) {
            stale.push(name.to_string());
        }
    }
    let present: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    stale.extend(present.into_iter().filter(|name| !expected.contains_key(name.as_str())));
    assert!(stale.is_empty(), "schema/ is stale ({stale:?}): {REGENERATE}");
}

#[test]
fn the_neovim_protocol_table_matches_protocol_json() {
    let path = nvim_protocol_lua();
    let expected =
        protocol_lua(&serde_json::from_str(&ide_sidecar::protocol::schema_files()["protocol.json"]).unwrap());
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(current == expected, "{} is stale: {REGENERATE}", path.display());
}

#[test]
fn protocol_json_lists_every_method_with_its_schema_files() {
    let files = ide_sidecar::protocol::schema_files();
    let table: Value = serde_json::from_str(&files["protocol.json"]).unwrap();
    let methods = table["methods"].as_array().unwrap();
    let names: Vec<&str> = methods.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
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
            "schemas/delete"
        ]
    );
    for method in methods {
        for file in [&method["params_schema"], &method["result_schema"]].into_iter().filter_map(Value::as_str) {
            assert!(files.contains_key(file), "{file} of {method}");
        }
    }
    assert_eq!(table["notifications"][0]["params_schema"], "connections_event.json");
    let codes = table["error_codes"].as_array().unwrap();
    assert!(codes.contains(
        &serde_json::json!({"code": -32010, "name": "connectionNotFound", "meaning": "connection not found"})
    ));
}

#[test]
fn the_spec_schema_names_required_fields_and_every_event_action() {
    let files = ide_sidecar::protocol::schema_files();
    let spec: Value = serde_json::from_str(&files["connection_spec.json"]).unwrap();
    let required = spec["required"].as_array().unwrap();
    assert!(required.contains(&"name".into()) && required.contains(&"type".into()), "{required:?}");
    let event: Value = serde_json::from_str(&files["connections_event.json"]).unwrap();
    let actions = &event["$defs"]["EventAction"];
    let text = actions.to_string();
    for action in ["CREATED", "UPDATED", "DELETED", "CONNECTED", "DISCONNECTED"] {
        assert!(text.contains(action), "{action} in {text}");
    }
}

fn nvim_protocol_lua() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/nvim/lua/ide_sidecar/protocol.lua")
}

/// The method names, notification names and error codes of `protocol.json`, as a Lua module.
fn protocol_lua(table: &Value) -> String {
    let rows = |key: &str| table[key].as_array().cloned().unwrap_or_default();
    let quoted = |value: &Value| serde_json::to_string(value.as_str().expect("a string")).unwrap();
    let mut lua = String::from(
        "-- Generated from schema/protocol.json by tests/schema.rs: do not edit.\n\
         -- Regenerate with `UPDATE_SCHEMA=1 cargo test --test schema`.\n\
         local M = {}\n\n",
    );
    lua += &format!("M.protocol_version = {}\n\n", quoted(&table["protocol_version"]));
    lua += "--- Method names, by the row of the method table (lower camel case).\nM.methods = {\n";
    for method in rows("methods") {
        lua += &format!("  {} = {},\n", method["key"].as_str().unwrap(), quoted(&method["name"]));
    }
    lua += "}\n\n--- Notification names, by the row of the table (lower camel case).\nM.notifications = {\n";
    for notification in rows("notifications") {
        lua += &format!("  {} = {},\n", notification["key"].as_str().unwrap(), quoted(&notification["name"]));
    }
    lua += "}\n\n--- JSON-RPC error codes, by name.\nM.errors = {\n";
    for code in rows("error_codes") {
        let meaning = code["meaning"].as_str().unwrap().replace('\n', " ");
        lua += &format!("  {} = {}, -- {meaning}\n", code["name"].as_str().unwrap(), code["code"]);
    }
    lua += "}\n\nreturn M\n";
    lua
}

#[test]
fn the_spec_schema_carries_the_limits_validation_enforces() {
    use ide_sidecar::protocol::limits::*;
    let spec: serde_json::Value =
        serde_json::from_str(&ide_sidecar::protocol::schema_files()["connection_spec.json"]).unwrap();
    assert_eq!(spec["properties"]["name"]["maxLength"], NAME_MAX);
    assert_eq!(spec["properties"]["id"]["maxLength"], ID_MAX);
    let defs = &spec["$defs"];
    assert_eq!(defs["KafkaClusterConfig"]["properties"]["bootstrap_servers"]["maxLength"], BOOTSTRAP_SERVERS_MAX);
    assert_eq!(defs["SchemaRegistryConfig"]["properties"]["uri"]["maxLength"], URI_MAX);
    assert_eq!(defs["Secret"]["maxLength"], SECRET_MAX);
    assert_eq!(defs["Credentials"]["properties"]["username"]["maxLength"], USERNAME_MAX);
    assert_eq!(defs["Credentials"]["properties"]["connect_timeout_millis"]["maximum"], CONNECT_TIMEOUT_MILLIS_MAX);
    assert_eq!(defs["TrustStore"]["properties"]["path"]["maxLength"], FILE_PATH_MAX);
    let organization = &defs["CCloudConfig"]["properties"]["organization_id"];
    assert_eq!(
        (organization["minLength"].clone(), organization["maxLength"].clone()),
        (ORGANIZATION_ID_LEN.into(), ORGANIZATION_ID_LEN.into())
    );
}

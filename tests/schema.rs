//! `schema/` is generated from the protocol types; this test fails when it is stale.
//! Regenerate with `UPDATE_SCHEMA=1 cargo test --test schema` (or `ide-sidecar schema`).

use std::path::Path;

#[test]
fn schema_folder_matches_the_protocol_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let expected = ide_sidecar::protocol::json_schemas();
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
    assert!(
        stale.is_empty(),
        "schema/ is stale ({stale:?}): run `UPDATE_SCHEMA=1 cargo test --test schema` and commit schema/"
    );
}

#[test]
fn the_spec_schema_names_required_fields_and_every_event_action() {
    let spec: serde_json::Value =
        serde_json::from_str(&ide_sidecar::protocol::json_schemas()["connection_spec.json"]).unwrap();
    let required = spec["required"].as_array().unwrap();
    assert!(required.contains(&"name".into()) && required.contains(&"type".into()), "{required:?}");
    let event: serde_json::Value =
        serde_json::from_str(&ide_sidecar::protocol::json_schemas()["connections_event.json"]).unwrap();
    let actions = &event["$defs"]["EventAction"];
    let text = actions.to_string();
    for action in ["CREATED", "UPDATED", "DELETED", "CONNECTED", "DISCONNECTED"] {
        assert!(text.contains(action), "{action} in {text}");
    }
}

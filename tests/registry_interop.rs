//! The test registry against a real client: Confluent's own `SchemaRegistryClient` and serializers
//! (confluent-kafka from PyPI, in the venv `.ci/install` makes) drive every call the sidecar relies on,
//! so that the fake the other tests use answers as the real Schema Registry does.

mod support;

use std::process::Command;

use support::*;

#[test]
fn confluents_python_client_works_against_the_test_registry() {
    let registry = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/registry_client.py");
    let output = Command::new(python()).arg(script).arg(registry.uri()).output().expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("ok"),
        "the client's script failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    // The script's calls reached this registry (and not some other one).
    assert!(registry.requests() > 30, "only {} requests reached the registry", registry.requests());
}

#[test]
fn basic_auth_guards_the_whole_api() {
    let registry = FakeSchemaRegistry::start(RegistryBehaviour::RequireBasicAuth {
        username: "alice".into(),
        password: "s3cret".into(),
    })
    .unwrap();
    let code =
        "import sys\nfrom confluent_kafka.schema_registry import SchemaRegistryClient, Schema, SchemaRegistryError\n\
        good = SchemaRegistryClient({'url': sys.argv[1], 'basic.auth.user.info': 'alice:s3cret'})\n\
        assert good.register_schema('s', Schema('\"string\"', 'AVRO')) == 1\n\
        try:\n    SchemaRegistryClient({'url': sys.argv[1]}).get_subjects()\n    raise SystemExit('no 401')\n\
        except SchemaRegistryError as e:\n    assert e.http_status_code == 401, e\nprint('ok')\n";
    let output = Command::new(python()).arg("-c").arg(code).arg(registry.uri()).output().expect("python runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// The registry client the decoder uses: a schema by id with its references resolved recursively,
/// each once, in dependency order (a schema after the ones it imports).
#[tokio::test]
async fn the_clients_references_come_each_once_in_dependency_order() {
    use std::sync::Arc;
    use std::time::Duration;

    use ide_sidecar::backends::schemas::registry::{NewSchema, RegistryClient, SchemaReference, VersionRef};
    use ide_sidecar::connections::{ValidSchemaRegistry, ValidTls};

    let registry = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let target = ValidSchemaRegistry { uri: registry.uri(), credentials: None, tls: ValidTls::default() };
    let timeout = Duration::from_secs(10);
    let client = RegistryClient::connect(&target, Arc::default(), timeout).await.unwrap();
    let proto = |body: &str, imports: &[&str]| {
        let imports: String = imports.iter().map(|file| format!("import \"{file}\";\n")).collect();
        format!("syntax = \"proto3\";\npackage p;\n{imports}{body}\n")
    };
    let reference = |name: &str| SchemaReference { name: name.into(), subject: name.into(), version: 1 };
    // base <- left, right <- top (a diamond: base must come once, before left and right).
    let files = [
        ("base.proto", proto("message Base { string a = 1; }", &[]), vec![]),
        ("left.proto", proto("message Left { p.Base b = 1; }", &["base.proto"]), vec![reference("base.proto")]),
        ("right.proto", proto("message Right { p.Base b = 1; }", &["base.proto"]), vec![reference("base.proto")]),
    ];
    for (name, text, references) in files {
        let schema = NewSchema { schema_type: "PROTOBUF".into(), schema: text, references };
        client.register(name, &schema, false, timeout).await.unwrap();
    }
    let top = NewSchema {
        schema_type: "PROTOBUF".into(),
        schema: proto("message Top { p.Left l = 1; p.Right r = 2; }", &["left.proto", "right.proto"]),
        references: vec![reference("left.proto"), reference("right.proto")],
    };
    let id = client.register("top-value", &top, false, timeout).await.unwrap();
    let found = client.schema_by_id(id, timeout).await.unwrap();
    assert_eq!(found.references, top.references);
    let resolved = client.referenced_schemas(&found, timeout).await.unwrap();
    let names: Vec<&str> = resolved.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(names, ["base.proto", "left.proto", "right.proto"]);
    assert!(resolved.iter().all(|(_, schema_type, text)| schema_type == "PROTOBUF" && text.contains("message")));
    let latest = client.schema_by_version("left.proto", VersionRef::Latest, timeout).await.unwrap();
    assert_eq!((latest.subject.as_deref(), latest.version), (Some("left.proto"), Some(1)));
    let missing = client.schema_by_id(999, timeout).await.unwrap_err();
    assert!(matches!(
        missing,
        ide_sidecar::backends::schemas::registry::RegistryError::Refused { error_code: 40403, .. }
    ));
}

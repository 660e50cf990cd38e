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

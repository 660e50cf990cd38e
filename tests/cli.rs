//! The commands a person runs without an editor: `check` and `demo`.

mod support;

use std::process::{Command, Output};

use support::*;

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ide-sidecar"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

#[test]
fn check_prints_the_connection_and_exits_0_only_when_every_component_succeeded() {
    let broker = Tansu::start();
    let registry = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let ok = run(
        &["check", "--bootstrap-servers", &broker.bootstrap(), "--plaintext", "--schema-registry", &registry.uri()],
        None,
    );
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let connection: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(state(&connection, "kafka_cluster"), "SUCCESS");
    assert_eq!(state(&connection, "schema_registry"), "SUCCESS");

    let closed = format!("127.0.0.1:{}", closed_port());
    let failed =
        run(&["check", "--bootstrap-servers", &closed, "--plaintext", "--schema-registry", &registry.uri()], None);
    assert_eq!(failed.status.code(), Some(1));
    let connection: serde_json::Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert!(error_of(&connection, "kafka_cluster").0.contains("Connection refused"));
}

#[test]
fn check_reads_a_spec_file_and_reports_invalid_specs_with_exit_2() {
    let registry = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let spec = format!(r#"{{"name": "file", "type": "DIRECT", "schema_registry": {{"uri": "{}"}}}}"#, registry.uri());
    assert_eq!(run(&["check", "--file", "-"], Some(&spec)).status.code(), Some(0));
    let invalid = run(&["check", "--file", "-"], Some(r#"{"name": "", "type": "DIRECT"}"#));
    assert_eq!(invalid.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&invalid.stderr);
    assert!(stderr.contains("name: Connection name must not be blank"), "{stderr}");
    assert!(invalid.stdout.is_empty());
}

#[test]
fn the_demo_shows_attempting_success_failed_success() {
    let output = run(&["demo"], None);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let kafka_states: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.split("kafka_cluster=").nth(1))
        .map(|rest| rest.split_whitespace().next().unwrap_or_default())
        .collect();
    assert_eq!(kafka_states[..4], ["ATTEMPTING", "SUCCESS", "FAILED", "SUCCESS"], "{stdout}");
    assert!(stdout.contains("sidecar stopped: exit status: 0"), "{stdout}");
}

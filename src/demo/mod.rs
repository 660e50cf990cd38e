//! The built-in demo, and the client pieces it (and the integration tests) drive the sidecar with.
//! Part of the binary, not of the library: `tests/support` includes `client.rs` and
//! `schema_registry.rs` by path, and uses more of them than the demo does.
//!
//! The demo needs nothing installed: it starts librdkafka's in-process mock Kafka cluster and a
//! tiny Schema Registry, starts the sidecar as a child process the way an editor does, creates a
//! connection, and reports the status events while the broker goes down and comes back.

pub mod client;
pub mod schema_registry;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rdkafka::mocking::MockCluster;
use serde_json::{json, Value};

pub use client::SidecarProcess;
pub use schema_registry::{FakeSchemaRegistry, RegistryBehaviour};

const WAIT: Duration = Duration::from_secs(30);

/// A one-line summary of a `connections/event`: action, name and each component's state.
pub fn describe_event(event: &Value) -> String {
    let connection = &event["connection"];
    let mut line = format!(
        "{:<12} {}",
        event["action"].as_str().unwrap_or("?"),
        connection["spec"]["name"].as_str().unwrap_or("?")
    );
    for component in ["ccloud", "kafka_cluster", "schema_registry"] {
        let status = &connection["status"][component];
        if let Some(state) = status["state"].as_str() {
            line.push_str(&format!("  {component}={state}"));
            if let Some(id) = status["cluster_id"].as_str() {
                line.push_str(&format!(" (cluster {id})"));
            }
            if let Some(message) = status["errors"]["auth_status_check"]["message"].as_str() {
                line.push_str(&format!(" [{message}]"));
            }
        }
    }
    line
}

fn state_of(event: &Value, component: &str) -> String {
    event["connection"]["status"][component]["state"].as_str().unwrap_or_default().to_string()
}

/// Runs the demo against the sidecar binary at `sidecar`, reporting each step through `say`.
/// Returns an error naming the step that did not happen.
pub fn run(sidecar: &Path, say: &mut dyn FnMut(&str)) -> Result<(), String> {
    let cluster = MockCluster::new(1).map_err(|e| format!("cannot start the in-process Kafka cluster: {e}"))?;
    let registry = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).map_err(|e| e.to_string())?;
    say(&format!("in-process Kafka cluster at {}, Schema Registry at {}", cluster.bootstrap_servers(), registry.uri()));

    let mut command = Command::new(sidecar);
    command.stderr(Stdio::null());
    let mut sidecar = SidecarProcess::spawn(command).map_err(|e| format!("cannot start {}: {e}", sidecar.display()))?;
    let info = sidecar.initialize(json!({"check_timeout_seconds": 3, "direct": {"refresh_interval_seconds": 1}}));
    say(&format!("sidecar {} started (pid {})", info["serverInfo"]["version"].as_str().unwrap_or("?"), sidecar.pid()));

    let spec = json!({
        "name": "demo", "type": "DIRECT",
        "kafka_cluster": {"bootstrap_servers": cluster.bootstrap_servers(), "ssl": {"enabled": false}},
        "schema_registry": {"uri": registry.uri()}
    });
    let created = sidecar
        .request("connections/create", json!({"spec": spec}), WAIT)
        .map_err(|e| format!("connections/create failed: {e}"))?;
    let id = created["id"].as_str().unwrap_or_default().to_string();

    watch(&mut sidecar, &id, say, "the connection to succeed", &|e| {
        state_of(e, "kafka_cluster") == "SUCCESS" && state_of(e, "schema_registry") == "SUCCESS"
    })?;

    say("-- stopping the Kafka broker");
    cluster.broker_down(1).map_err(|e| e.to_string())?;
    watch(&mut sidecar, &id, say, "the Kafka cluster to fail", &|e| state_of(e, "kafka_cluster") == "FAILED")?;

    say("-- starting the Kafka broker again");
    cluster.broker_up(1).map_err(|e| e.to_string())?;
    watch(&mut sidecar, &id, say, "the Kafka cluster to recover", &|e| state_of(e, "kafka_cluster") == "SUCCESS")?;

    sidecar
        .request("connections/delete", json!({"id": id}), WAIT)
        .map_err(|e| format!("connections/delete failed: {e}"))?;
    watch(&mut sidecar, &id, say, "the DELETED event", &|e| e["action"] == "DELETED")?;
    let status = sidecar.shutdown();
    say(&format!("sidecar stopped: {}", status.map_or("did not exit".to_string(), |s| s.to_string())));
    Ok(())
}

/// Reports events about `id` until one satisfies `done`.
fn watch(
    sidecar: &mut SidecarProcess,
    id: &str,
    say: &mut dyn FnMut(&str),
    goal: &str,
    done: &dyn Fn(&Value) -> bool,
) -> Result<(), String> {
    loop {
        let event =
            sidecar.next_event(id, WAIT).ok_or_else(|| format!("no event within {WAIT:?} while waiting for {goal}"))?;
        say(&describe_event(&event));
        if done(&event) {
            return Ok(());
        }
    }
}

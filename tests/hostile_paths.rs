//! Paths in a spec that name something other than a store: a FIFO, a device that never ends, the
//! sidecar's own stdin and stdout, a directory, a file far too large. Each is refused with a message
//! that names the path and what it is, within the check's time, without blocking the sidecar or
//! growing it. Also: failures whose cause does not change read the same at every check.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::secure::*;
use support::*;

/// `fast_options()`'s check timeout.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Checks a spec once (a dry run) and returns the Connection.
fn dry(sidecar: &mut SidecarProcess, spec: Value) -> Value {
    sidecar.request("connections/create", json!({"spec": spec, "dry_run": true}), WAIT).expect("a dry run answers")
}

fn tls_spec(name: &str, bootstrap: &str, ssl: Value) -> Value {
    json!({"name": name, "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": bootstrap, "ssl": ssl}})
}

fn pem_store(path: &str) -> Value {
    json!({"path": path, "type": "PEM"})
}

fn mkfifo(path: &Path) -> String {
    let status = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
    path.to_string_lossy().into_owned()
}

/// The kafka_cluster error of a checked Connection; panics unless it FAILED.
fn kafka_failure(connection: &Value) -> (String, bool) {
    assert_eq!(state(connection, "kafka_cluster"), "FAILED", "{connection}");
    error_of(connection, "kafka_cluster")
}

/// The peak resident set of the sidecar so far, in MB.
fn peak_mb(sidecar: &SidecarProcess) -> u64 {
    proc_status(sidecar.pid()).2 / 1024
}

#[test]
fn fifos_as_truststores_fail_within_the_check_timeout_and_the_sidecar_keeps_answering() {
    let dir = Scratch::new("fifo");
    let fifos = [mkfifo(&dir.0.join("first.pem")), mkfifo(&dir.0.join("second.pem"))];
    let mut sidecar = start(fast_options());
    let bootstrap = format!("127.0.0.1:{}", closed_port());

    // Two connections: each check used to block a runtime worker in open(), and there are two.
    let created = Instant::now();
    let ids: Vec<String> = fifos
        .iter()
        .enumerate()
        .map(|(n, fifo)| {
            let spec = tls_spec(&format!("fifo-{n}"), &bootstrap, json!({"truststore": pem_store(fifo)}));
            create(&mut sidecar, spec)["id"].as_str().unwrap().to_string()
        })
        .collect();
    for (id, fifo) in ids.iter().zip(&fifos) {
        let events = events_until(&mut sidecar, id, "the FIFO check to fail", |e| e["action"] == "DISCONNECTED");
        let (message, transient) = kafka_failure(&events.last().unwrap()["connection"]);
        assert_eq!(
            message,
            format!("The truststore '{fifo}' is a pipe (FIFO), not a file: give the path of a PEM, PKCS12 or JKS file")
        );
        assert!(!transient);
    }
    assert!(created.elapsed() < CHECK_TIMEOUT, "both failed within the check timeout: {:?}", created.elapsed());

    // Later checks of the same connections keep the sidecar free.
    std::thread::sleep(CHECK_TIMEOUT);
    let listed = sidecar.request("connections/list", json!({}), Duration::from_secs(2)).expect("list answers");
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(2), "{listed}");
    let dry_run = dry(&mut sidecar, tls_spec("fifo", &bootstrap, json!({"truststore": pem_store(&fifos[0])})));
    assert!(kafka_failure(&dry_run).0.contains("is a pipe (FIFO)"), "{dry_run}");
    assert_eq!(sidecar.shutdown().and_then(|status| status.code()), Some(0), "shutdown answers and the sidecar exits");
}

#[test]
fn endless_devices_as_stores_are_refused_and_the_sidecar_stays_small() {
    let mut sidecar = start(fast_options());
    let bootstrap = format!("127.0.0.1:{}", closed_port());
    let cases = [
        (json!({"truststore": pem_store("/dev/zero")}), "The truststore '/dev/zero' is a character device"),
        (json!({"keystore": pem_store("/dev/zero")}), "The keystore '/dev/zero' is a character device"),
        (
            json!({"truststore": pem_store("/dev/urandom"), "keystore": pem_store("/dev/urandom")}),
            "'/dev/urandom' is a character device, not a file: give the path of a PEM, PKCS12 or JKS file",
        ),
    ];
    for (ssl, expected) in &cases {
        let result = dry(&mut sidecar, tls_spec("device", &bootstrap, ssl.clone()));
        let (message, transient) = kafka_failure(&result);
        assert!(message.starts_with(expected) || message.contains(expected), "{ssl}: {message}");
        assert!(!transient);
    }
    // The Schema Registry reads its stores the same way.
    let registry = json!({"name": "registry", "type": "DIRECT", "schema_registry": {"uri": "https://127.0.0.1:1",
        "ssl": {"truststore": pem_store("/dev/zero")}}});
    let result = dry(&mut sidecar, registry);
    assert_eq!(state(&result, "schema_registry"), "FAILED", "{result}");
    let (message, _) = error_of(&result, "schema_registry");
    assert!(message.starts_with("The truststore '/dev/zero' is a character device, not a file"), "{message}");

    // Checked again and again for a while, as stored connections are.
    for (n, (ssl, _)) in cases.iter().enumerate() {
        create(&mut sidecar, tls_spec(&format!("device-{n}"), &bootstrap, ssl.clone()));
    }
    std::thread::sleep(Duration::from_secs(2));
    assert!(peak_mb(&sidecar) < 100, "the sidecar's peak resident set stays small: {} MB", peak_mb(&sidecar));
    assert_eq!(sidecar.shutdown().and_then(|status| status.code()), Some(0));
}

#[test]
fn a_directory_and_the_sidecars_own_stdin_and_stdout_are_refused_by_type() {
    let dir = Scratch::new("directory");
    let directory = dir.0.to_string_lossy().into_owned();
    let mut sidecar = start(fast_options());
    let bootstrap = format!("127.0.0.1:{}", closed_port());
    let cases = [
        (
            json!({"truststore": pem_store(&directory)}),
            format!("The truststore '{directory}' is a directory, not a file"),
        ),
        // The editor's protocol stream: reading it would take the editor's messages.
        (
            json!({"truststore": pem_store("/dev/stdin")}),
            "The truststore '/dev/stdin' is a pipe (FIFO), not a file".into(),
        ),
        (
            json!({"keystore": pem_store("/dev/stdout")}),
            "The keystore '/dev/stdout' is a pipe (FIFO), not a file".into(),
        ),
    ];
    for (ssl, expected) in cases {
        let (message, _) = kafka_failure(&dry(&mut sidecar, tls_spec("not-a-file", &bootstrap, ssl.clone())));
        assert_eq!(message, format!("{expected}: give the path of a PEM, PKCS12 or JKS file"), "{ssl}");
    }
    // The protocol stream is intact: requests still get their answers.
    let listed = sidecar.request("connections/list", json!({}), Duration::from_secs(2)).expect("list answers");
    assert_eq!(listed["data"], json!([]), "{listed}");
    assert_eq!(sidecar.shutdown().and_then(|status| status.code()), Some(0));
}

#[test]
fn a_store_over_the_size_cap_is_refused_with_the_cap_in_the_message() {
    let dir = Scratch::new("large");
    // 200 MB that take no disk (sparse), and one byte over the cap.
    let huge = dir.0.join("huge.p12");
    std::fs::File::create(&huge).unwrap().set_len(200 * 1024 * 1024).unwrap();
    let over = dir.0.join("over.pem");
    std::fs::File::create(&over).unwrap().set_len(4 * 1024 * 1024 + 1).unwrap();
    let mut sidecar = start(fast_options());
    let bootstrap = format!("127.0.0.1:{}", closed_port());
    for (what, path) in [("truststore", &huge), ("keystore", &over)] {
        let path = path.to_string_lossy().into_owned();
        let ssl = json!({what: {"path": path, "type": "PKCS12", "password": "changeit"}});
        let (message, transient) = kafka_failure(&dry(&mut sidecar, tls_spec("large", &bootstrap, ssl)));
        assert_eq!(
            message,
            format!("The {what} '{path}' is larger than 4 MiB, far more than a {what} holds: give the path of a PEM, PKCS12 or JKS file")
        );
        assert!(!transient);
    }
    assert!(peak_mb(&sidecar) < 100, "the file was not read: {} MB", peak_mb(&sidecar));
}

#[cfg(feature = "kerberos")]
#[test]
fn a_fifo_as_keytab_is_refused_by_type() {
    let dir = Scratch::new("keytab");
    let fifo = mkfifo(&dir.0.join("alice.keytab"));
    let mut sidecar = start(fast_options());
    let spec = json!({"name": "kerberos", "type": "DIRECT", "kafka_cluster": {
        "bootstrap_servers": format!("127.0.0.1:{}", closed_port()), "ssl": {"enabled": false},
        "credentials": {"principal": "alice@EXAMPLE.COM", "keytab_path": fifo}}});
    let started = Instant::now();
    let (message, transient) = kafka_failure(&dry(&mut sidecar, spec));
    assert_eq!(message, format!("The keytab '{fifo}' is a pipe (FIFO), not a file: give the path of a keytab file"));
    assert!(!transient);
    assert!(started.elapsed() < CHECK_TIMEOUT, "{:?}", started.elapsed());
    assert_eq!(sidecar.shutdown().and_then(|status| status.code()), Some(0));
}

#[test]
fn a_tls_failure_whose_cause_persists_keeps_its_message_and_sends_no_new_event() {
    // The handshake fails before the terminator forwards anything: no broker is needed behind it.
    let nowhere = closed_port();
    let server = TlsTerminator::start(free_port(), nowhere, "server", None);
    let wrong_host = TlsTerminator::start(free_port(), nowhere, "wrong-host", None);
    let mutual = TlsTerminator::start(free_port(), nowhere, "server", Some("ca.pem"));
    let (ca, other_ca) = (pem_store(&fixture("ca.pem")), pem_store(&fixture("other-ca.pem")));
    let cases = [
        ("wrong CA", server.port, json!({"truststore": other_ca}), "not signed by a CA in the truststore"),
        ("wrong host", wrong_host.port, json!({"truststore": ca}), "does not match host 'localhost'"),
        ("no client certificate", mutual.port, json!({"truststore": ca}), "requires a client certificate"),
        ("system CAs", server.port, json!({}), "not signed by a CA this system trusts"),
    ];
    // One sidecar as usual, one with librdkafka's debug logs on (they word failures differently).
    // Checks every 0.3 s, with time enough for every handshake even on a busy machine (a handshake
    // that times out is another cause, with its own message).
    let options = json!({"check_timeout_seconds": 5, "direct": {"refresh_interval_seconds": 0.3}});
    let mut sidecars = [start(options.clone()), SidecarProcess::spawn(command("librdkafka=trace")).unwrap()];
    sidecars[1].initialize(options);
    let mut checked = Vec::new();
    for (n, sidecar) in sidecars.iter_mut().enumerate() {
        for (name, port, ssl, expected) in &cases {
            let spec = tls_spec(name, &format!("localhost:{port}"), ssl.clone());
            let id = create(sidecar, spec)["id"].as_str().unwrap().to_string();
            let events = events_until(sidecar, &id, name, |e| e["action"] == "DISCONNECTED");
            let (message, _) = kafka_failure(&events.last().unwrap()["connection"]);
            checked.push((n, id, *name, message, *expected));
        }
    }
    // Checked every 0.3 s for a while: librdkafka words the failures differently from one attempt to
    // the next, and the sidecar must not report that as a change.
    let watch = Instant::now();
    let mut changes = Vec::new();
    while watch.elapsed() < Duration::from_secs(20) {
        for (n, sidecar) in sidecars.iter_mut().enumerate() {
            for event in sidecar.drain(Duration::from_millis(500)) {
                changes.push((n, watch.elapsed(), event));
            }
        }
    }
    for (n, id, name, message, _) in &checked {
        let later: Vec<String> = changes
            .iter()
            .filter(|(m, _, event)| m == n && event["params"]["connection"]["id"] == id.as_str())
            .map(|(_, at, event)| {
                format!("after {at:?}: {}", error_of(&event["params"]["connection"], "kafka_cluster").0)
            })
            .collect();
        assert!(later.is_empty(), "{name} (sidecar {n}): first '{message}', then {later:#?}");
    }
    for (_, _, name, message, expected) in &checked {
        assert!(message.contains(expected), "{name}: {message}");
    }
    // Without a truststore the system's CAs are the ones trusted, and the fix is to set one.
    let system = &checked[3].3;
    assert!(system.contains("set ssl.truststore.path") && !system.contains("in the truststore"), "{system}");
}

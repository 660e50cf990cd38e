//! Kafka credentials and TLS against real peers: tansu requiring SCRAM, and socat terminating TLS in
//! front of tansu with certificates from the test CA (`tests/fixtures/tls`).

mod support;

use serde_json::{json, Value};
use support::secure::*;
use support::*;

/// Checks a spec once (a dry run) and returns the Connection.
fn dry(sidecar: &mut SidecarProcess, spec: Value) -> Value {
    sidecar.request("connections/create", json!({"spec": spec, "dry_run": true}), WAIT).expect("a dry run answers")
}

fn scram(bootstrap: &str, algorithm: &str, user: &str, password: &str) -> Value {
    json!({"name": "scram", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": bootstrap, "ssl": {"enabled": false},
        "credentials": {"hash_algorithm": algorithm, "scram_username": user, "scram_password": password}}})
}

#[test]
fn scram_credentials_against_a_broker_that_requires_them() {
    let broker = ScramBroker::start(&[("scram512", "alice", "alice-secret"), ("scram256", "bob", "bob-secret")]);
    let mut sidecar = start(json!({"check_timeout_seconds": 5}));
    let bootstrap = broker.bootstrap();

    let ok = dry(&mut sidecar, scram(&bootstrap, "SCRAM_SHA_512", "alice", "alice-secret"));
    assert_eq!(state(&ok, "kafka_cluster"), "SUCCESS", "{ok}");
    let ok = dry(&mut sidecar, scram(&bootstrap, "SCRAM_SHA_256", "bob", "bob-secret"));
    assert_eq!(state(&ok, "kafka_cluster"), "SUCCESS", "{ok}");

    let wrong = dry(&mut sidecar, scram(&bootstrap, "SCRAM_SHA_512", "alice", "wrong-password"));
    assert_eq!(state(&wrong, "kafka_cluster"), "FAILED");
    let (message, transient) = error_of(&wrong, "kafka_cluster");
    assert!(message.starts_with("Authentication failed for SCRAM-SHA-512 as 'alice'"), "{message}");
    assert!(message.contains("check the username and password"), "{message}");
    assert!(!message.contains("wrong-password"), "no secret in messages: {message}");
    assert!(!transient, "wrong credentials are not transient");

    // No credentials at all against a broker that requires them.
    let anonymous = dry(&mut sidecar, kafka_spec("anonymous", &bootstrap));
    assert_eq!(state(&anonymous, "kafka_cluster"), "FAILED", "{anonymous}");

    // tansu 0.6 enables SCRAM only: PLAIN is refused, and the message says so.
    let plain = json!({"name": "plain", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": bootstrap,
        "ssl": {"enabled": false}, "credentials": {"username": "alice", "password": "alice-secret"}}});
    let refused = dry(&mut sidecar, plain);
    let (message, transient) = error_of(&refused, "kafka_cluster");
    assert!(message.contains("does not enable SASL mechanism PLAIN"), "{message}");
    assert!(!transient);
}

/// A TLS listener in front of tansu: socat on `tls_port` with the given certificate.
struct TlsBroker {
    _broker: BrokerBehind,
    _terminator: TlsTerminator,
    bootstrap: String,
}

fn tls_broker(cert: &str, client_ca: Option<&str>) -> TlsBroker {
    let tls_port = free_port();
    let broker = BrokerBehind::start(tls_port);
    let terminator = TlsTerminator::start(tls_port, broker.port, cert, client_ca);
    TlsBroker { _broker: broker, _terminator: terminator, bootstrap: format!("localhost:{tls_port}") }
}

fn tls_spec(bootstrap: &str, ssl: Value) -> Value {
    json!({"name": "tls", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": bootstrap, "ssl": ssl}})
}

fn truststores() -> Vec<Value> {
    vec![
        json!({"path": fixture("ca.pem"), "type": "PEM"}),
        json!({"path": fixture("truststore.p12"), "type": "PKCS12", "password": "changeit"}),
        json!({"path": fixture("truststore.jks"), "type": "JKS", "password": "changeit"}),
    ]
}

#[test]
fn tls_with_truststores_of_every_type_and_the_failures_that_point_at_the_fix() {
    let good = tls_broker("server", None);
    let wrong_host = tls_broker("wrong-host", None);
    let mut sidecar = start(json!({"check_timeout_seconds": 5}));

    for truststore in truststores() {
        let result = dry(&mut sidecar, tls_spec(&good.bootstrap, json!({"truststore": truststore})));
        assert_eq!(state(&result, "kafka_cluster"), "SUCCESS", "{truststore}: {result}");
        assert_eq!(result["status"]["kafka_cluster"]["cluster_id"], "sidecar-test-cluster");
    }

    let other_ca =
        json!({"truststore": {"path": fixture("other-truststore.jks"), "type": "JKS", "password": "changeit"}});
    let result = dry(&mut sidecar, tls_spec(&good.bootstrap, other_ca));
    let (message, transient) = error_of(&result, "kafka_cluster");
    assert!(message.contains("not signed by a CA in the truststore"), "{message}");
    assert!(!transient);

    let trust = json!({"path": fixture("ca.pem"), "type": "PEM"});
    let result = dry(&mut sidecar, tls_spec(&wrong_host.bootstrap, json!({"truststore": trust})));
    let (message, _) = error_of(&result, "kafka_cluster");
    assert!(message.contains("does not match host 'localhost'"), "{message}");
    assert!(message.contains("verify_hostname"), "{message}");
    let result =
        dry(&mut sidecar, tls_spec(&wrong_host.bootstrap, json!({"truststore": trust, "verify_hostname": false})));
    assert_eq!(state(&result, "kafka_cluster"), "SUCCESS", "{result}");

    let wrong_password =
        json!({"truststore": {"path": fixture("truststore.p12"), "type": "PKCS12", "password": "nope"}});
    let result = dry(&mut sidecar, tls_spec(&good.bootstrap, wrong_password));
    let (message, transient) = error_of(&result, "kafka_cluster");
    assert!(message.starts_with("The truststore password is wrong"), "{message}");
    assert!(!transient);
    let missing = json!({"truststore": {"path": "/nonexistent/ca.pem", "type": "PEM"}});
    let (message, _) = error_of(&dry(&mut sidecar, tls_spec(&good.bootstrap, missing)), "kafka_cluster");
    assert!(message.contains("Cannot read the truststore '/nonexistent/ca.pem'"), "{message}");
}

#[test]
fn mutual_tls_with_keystores_of_every_type() {
    let mtls = tls_broker("server", Some("ca.pem"));
    let mut sidecar = start(json!({"check_timeout_seconds": 5}));
    let trust = json!({"path": fixture("ca.pem"), "type": "PEM"});

    let without = dry(&mut sidecar, tls_spec(&mtls.bootstrap, json!({"truststore": trust})));
    assert_eq!(state(&without, "kafka_cluster"), "FAILED", "{without}");
    let (message, transient) = error_of(&without, "kafka_cluster");
    assert!(message.contains("requires a client certificate: add a keystore"), "{message}");
    assert!(!transient, "{message}");

    for keystore in [
        json!({"path": fixture("keystore.pem"), "type": "PEM", "key_password": "keypass"}),
        json!({"path": fixture("keystore.p12"), "type": "PKCS12", "password": "changeit"}),
        json!({"path": fixture("keystore.jks"), "type": "JKS", "password": "changeit"}),
    ] {
        let result = dry(&mut sidecar, tls_spec(&mtls.bootstrap, json!({"truststore": trust, "keystore": keystore})));
        assert_eq!(state(&result, "kafka_cluster"), "SUCCESS", "{keystore}: {result}");
    }

    let wrong = json!({"path": fixture("keystore.jks"), "type": "JKS", "password": "wrong"});
    let result = dry(&mut sidecar, tls_spec(&mtls.bootstrap, json!({"truststore": trust, "keystore": wrong})));
    let (message, transient) = error_of(&result, "kafka_cluster");
    assert!(message.starts_with("The keystore password is wrong"), "{message}");
    assert!(!transient);
}

#[test]
fn sasl_over_tls() {
    // SCRAM users on a broker behind the TLS terminator.
    let broker = ScramBroker::start(&[("scram512", "carol", "carol-secret")]);
    let tls_port = free_port();
    let terminator = TlsTerminator::start(tls_port, broker.port, "server", None);
    let mut sidecar = start(json!({"check_timeout_seconds": 5}));
    // The broker advertises its plaintext address; bootstrap through TLS is what is checked here.
    let spec = json!({"name": "sasl_ssl", "type": "DIRECT", "kafka_cluster": {
        "bootstrap_servers": format!("127.0.0.1:{}", terminator.port),
        "ssl": {"truststore": {"path": fixture("ca.pem"), "type": "PEM"}},
        "credentials": {"hash_algorithm": "SCRAM_SHA_512", "scram_username": "carol", "scram_password": "wrong"}}});
    let result = dry(&mut sidecar, spec);
    let (message, _) = error_of(&result, "kafka_cluster");
    assert!(
        message.starts_with("Authentication failed for SCRAM-SHA-512 as 'carol'"),
        "TLS worked, then SASL said no: {message}"
    );
}

#[test]
fn no_secret_reaches_stdout_or_stderr_even_at_trace_level() {
    let broker = ScramBroker::start(&[("scram512", "dave", "dave-scram-LEAK-A")]);
    let idp = OAuthServer::start();
    let mtls = tls_broker("server", Some("ca.pem"));
    let mut command = command("trace");
    let log = std::env::temp_dir().join(format!("ide-sidecar-leaks-{}.log", free_port()));
    command.stderr(std::fs::File::create(&log).unwrap());
    let mut sidecar = SidecarProcess::spawn(command).unwrap();
    sidecar.initialize(json!({"check_timeout_seconds": 5, "direct": {"refresh_interval_seconds": 0.5}}));
    let specs = [
        scram(&broker.bootstrap(), "SCRAM_SHA_512", "dave", "dave-scram-LEAK-A"),
        scram(&broker.bootstrap(), "SCRAM_SHA_512", "dave", "wrong-scram-LEAK-B"),
        json!({"name": "plain", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": broker.bootstrap(), "ssl": {"enabled": false},
            "credentials": {"username": "dave", "password": "plain-LEAK-C"}}}),
        json!({"name": "key", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": broker.bootstrap(), "ssl": {"enabled": false},
            "credentials": {"api_key": "KEY", "api_secret": "api-secret-LEAK-D"}}}),
        json!({"name": "oauth", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": broker.bootstrap(), "ssl": {"enabled": false},
            "credentials": {"tokens_url": idp.token_url(), "client_id": "c", "client_secret": "client-secret-LEAK-E"}},
            "schema_registry": {"uri": "http://127.0.0.1:1", "credentials": {"username": "u", "password": "sr-LEAK-F"}}}),
        tls_spec(
            &mtls.bootstrap,
            json!({
            "truststore": {"path": fixture("truststore.jks"), "type": "JKS", "password": "changeit"},
            "keystore": {"path": fixture("keystore.jks"), "type": "JKS", "password": "changeit"}}),
        ),
        tls_spec(
            &mtls.bootstrap,
            json!({
            "truststore": {"path": fixture("truststore.jks"), "type": "JKS", "password": "store-LEAK-G"},
            "keystore": {"path": fixture("keystore.pem"), "type": "PEM", "password": "keystore-LEAK-H", "key_password": "key-LEAK-I"}}),
        ),
    ];
    let mut ids = Vec::new();
    for spec in specs {
        ids.push(create(&mut sidecar, spec)["id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        events_until(&mut sidecar, id, "a checked status", |e| {
            e["action"] == "CONNECTED" || e["action"] == "DISCONNECTED"
        });
        sidecar.request("connections/refresh", json!({"id": id}), WAIT).unwrap();
    }
    let messages = sidecar.drain(std::time::Duration::from_millis(300));
    assert_eq!(sidecar.shutdown().and_then(|s| s.code()), Some(0));
    let logs = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    assert!(logs.contains("facility=\"SASL\""), "librdkafka's own debug logs were on");
    // The private key of the keystore and the JKS store password (changeit) are secrets too.
    let key = std::fs::read_to_string(fixture("client.key")).unwrap();
    let key_line = key.lines().nth(1).unwrap();
    for text in [logs.as_str(), &serde_json::to_string(&messages).unwrap()] {
        assert!(
            !text.contains("LEAK"),
            "a planted secret leaked: {}",
            text.lines().find(|l| l.contains("LEAK")).unwrap_or_default()
        );
        assert!(!text.contains("changeit"), "a store password leaked");
        assert!(!text.contains(key_line), "the private key leaked");
    }
}

#[test]
fn a_port_that_accepts_but_never_answers_kafka_says_so() {
    // Something listening that is not a Kafka broker (or a TLS listener reached in plaintext).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        let mut kept = Vec::new();
        for stream in listener.incoming().take(20).flatten() {
            kept.push(stream);
        }
    });
    let mut sidecar = start(json!({"check_timeout_seconds": 4}));
    let spec = json!({"name": "silent", "type": "DIRECT",
        "kafka_cluster": {"bootstrap_servers": format!("127.0.0.1:{port}"), "ssl": {"enabled": false}}});
    let checked = dry(&mut sidecar, spec);
    let (message, _) = error_of(&checked, "kafka_cluster");
    assert!(message.contains("but does not answer as a Kafka broker"), "{message}");
    assert!(message.contains("set ssl.enabled to true if it is a TLS listener"), "{message}");
    drop(held);
}

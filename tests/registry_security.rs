//! Schema Registry credentials and TLS against real peers: socat terminating TLS in front of the fake
//! registry, and a real OAuth 2.0 server issuing the bearer tokens the registry verifies.

mod support;

use serde_json::{json, Value};
use support::secure::*;
use support::*;

fn dry(sidecar: &mut SidecarProcess, spec: Value) -> Value {
    sidecar.request("connections/create", json!({"spec": spec, "dry_run": true}), WAIT).expect("a dry run answers")
}

fn registry(uri: &str, extra: Value) -> Value {
    let mut spec = json!({"name": "sr", "type": "DIRECT", "schema_registry": {"uri": uri}});
    if let (Some(target), Some(extra)) = (spec["schema_registry"].as_object_mut(), extra.as_object()) {
        target.extend(extra.clone());
    }
    spec
}

/// The fake registry behind socat terminating TLS with the given certificate.
fn https_registry(cert: &str, client_ca: Option<&str>) -> (FakeSchemaRegistry, TlsTerminator, String) {
    let fake = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let backend: u16 = fake.uri().rsplit(':').next().unwrap().parse().unwrap();
    let terminator = TlsTerminator::start(free_port(), backend, cert, client_ca);
    let uri = format!("https://localhost:{}", terminator.port);
    (fake, terminator, uri)
}

#[test]
fn https_with_truststores_of_every_type_and_hostname_checks() {
    let (_fake, _tls, uri) = https_registry("server", None);
    let (_fake2, _tls2, wrong_host_uri) = https_registry("wrong-host", None);
    let mut sidecar = start(json!({"check_timeout_seconds": 5}));
    for truststore in [
        json!({"path": fixture("ca.pem"), "type": "PEM"}),
        json!({"path": fixture("truststore.p12"), "type": "PKCS12", "password": "changeit"}),
        json!({"path": fixture("truststore.jks"), "type": "JKS", "password": "changeit"}),
    ] {
        let result = dry(&mut sidecar, registry(&uri, json!({"ssl": {"truststore": truststore}})));
        assert_eq!(state(&result, "schema_registry"), "SUCCESS", "{truststore}: {result}");
    }
    let untrusted = dry(&mut sidecar, registry(&uri, json!({})));
    let (message, transient) = error_of(&untrusted, "schema_registry");
    // No truststore: the system's CAs are the ones trusted, and the fix is to set a truststore.
    assert!(message.contains("not signed by a CA this system trusts; set ssl.truststore.path"), "{message}");
    assert!(!transient);

    let trust = json!({"truststore": {"path": fixture("ca.pem"), "type": "PEM"}});
    let mismatch = dry(&mut sidecar, registry(&wrong_host_uri, json!({"ssl": trust})));
    let (message, _) = error_of(&mismatch, "schema_registry");
    assert!(message.contains("does not match the host name"), "{message}");
    let relaxed = json!({"truststore": {"path": fixture("ca.pem"), "type": "PEM"}, "verify_hostname": false});
    let result = dry(&mut sidecar, registry(&wrong_host_uri, json!({"ssl": relaxed})));
    assert_eq!(state(&result, "schema_registry"), "SUCCESS", "{result}");
}

#[test]
fn https_requiring_a_client_certificate_with_keystores_of_every_type() {
    let (_fake, _tls, uri) = https_registry("server", Some("ca.pem"));
    let mut sidecar = start(json!({"check_timeout_seconds": 5}));
    let trust = json!({"path": fixture("ca.pem"), "type": "PEM"});
    let without = dry(&mut sidecar, registry(&uri, json!({"ssl": {"truststore": trust}})));
    assert_eq!(state(&without, "schema_registry"), "FAILED", "{without}");
    for keystore in [
        json!({"path": fixture("keystore.pem"), "type": "PEM", "key_password": "keypass"}),
        json!({"path": fixture("keystore.p12"), "type": "PKCS12", "password": "changeit"}),
        json!({"path": fixture("keystore.jks"), "type": "JKS", "password": "changeit"}),
    ] {
        let result = dry(&mut sidecar, registry(&uri, json!({"ssl": {"truststore": trust, "keystore": keystore}})));
        assert_eq!(state(&result, "schema_registry"), "SUCCESS", "{keystore}: {result}");
    }
}

#[test]
fn oauth_bearer_tokens_from_a_real_identity_provider() {
    let idp = OAuthServer::start();
    let guarded =
        FakeSchemaRegistry::start(RegistryBehaviour::RequireBearer { public_key_pem: idp.public_key_pem.clone() })
            .unwrap();
    let mut sidecar = start(json!({"check_timeout_seconds": 5}));
    let credentials = json!({"tokens_url": idp.token_url(), "client_id": "sidecar-sr", "client_secret": "sr-client-secret",
        "scope": "schema_registry"});
    let result = dry(&mut sidecar, registry(&guarded.uri(), json!({"credentials": credentials})));
    assert_eq!(state(&result, "schema_registry"), "SUCCESS", "{result}");
    let request = idp.next_request();
    assert_eq!(request["grant_type"], "client_credentials");
    assert_eq!(request["client_id"], "sidecar-sr");
    assert_eq!(request["client_secret"], "sr-client-secret");
    assert_eq!(request["scope"], "schema_registry");

    // A registry that verifies tokens refuses a request without one.
    let anonymous = dry(&mut sidecar, registry(&guarded.uri(), json!({})));
    assert!(error_of(&anonymous, "schema_registry").0.contains("HTTP 401"));

    let rejected = json!({"tokens_url": idp.token_url(), "client_id": "rejected-client", "client_secret": "x"});
    let result = dry(&mut sidecar, registry(&guarded.uri(), json!({"credentials": rejected})));
    let (message, transient) = error_of(&result, "schema_registry");
    assert!(
        message.contains("rejected the client 'rejected-client': invalid_client (Client authentication failed)"),
        "{message}"
    );
    assert!(!transient);
}

#[test]
fn kafka_oauthbearer_asks_the_identity_provider_for_a_token() {
    let idp = OAuthServer::start();
    let broker = Tansu::start();
    let mut sidecar = start(json!({"check_timeout_seconds": 5}));
    let spec = |client: &str| {
        json!({"name": "oauth", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": broker.bootstrap(),
            "ssl": {"enabled": false}, "credentials": {"tokens_url": idp.token_url(), "client_id": client,
            "client_secret": "kafka-client-secret", "scope": "kafka", "ccloud_logical_cluster_id": "lkc-123"}}})
    };
    let result = dry(&mut sidecar, spec("sidecar-kafka"));
    let request = idp.next_request();
    assert_eq!((request["client_id"].as_str(), request["scope"].as_str()), (Some("sidecar-kafka"), Some("kafka")));
    assert_eq!(request["client_secret"], "kafka-client-secret");
    // tansu enables no OAUTHBEARER: with the token in hand, the broker is what says no.
    let (message, transient) = error_of(&result, "kafka_cluster");
    assert!(message.contains("does not enable SASL mechanism OAUTHBEARER"), "{message}");
    assert!(!transient);

    let result = dry(&mut sidecar, spec("rejected-client"));
    let (message, transient) = error_of(&result, "kafka_cluster");
    assert!(message.contains("rejected the client 'rejected-client': invalid_client"), "{message}");
    assert!(!transient);
}

//! LOCAL connections against real peers on 127.0.0.1: a tansu broker, an HTTP server that answers
//! the Confluent REST proxy's v3 calls the way the real one does (or a server that is not one, or
//! one that never answers), and fake Schema Registries. Every local endpoint is passed through
//! `initializationOptions`, so nothing else running on the machine can change the outcome.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::*;

const CLUSTER_ID: &str = "sidecar-test-cluster";

/// How the server on the REST proxy's port behaves.
#[derive(Clone)]
enum Behaviour {
    /// A Confluent REST proxy whose one broker advertises `listeners`.
    RestProxy { cluster_id: String, listeners: String },
    /// A web server that is not a REST proxy: 404 with an HTML page for every path.
    HtmlNotFound,
    /// A web application: 200 with an HTML page for every path.
    HtmlPage,
    /// Accepts connections, reads the request and never answers.
    Hang,
    /// A REST proxy in trouble: every call answers 500 with the REST proxy's error body.
    Failing,
}

/// A server on 127.0.0.1 that plays the REST proxy (or something else on its port); stops when dropped.
struct FakeRestProxy {
    port: u16,
    stopped: Arc<AtomicBool>,
    paths: Arc<Mutex<Vec<String>>>,
}

impl FakeRestProxy {
    fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the fake REST proxy");
        let port = listener.local_addr().unwrap().port();
        let stopped = Arc::new(AtomicBool::new(false));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let (stop, seen) = (stopped.clone(), paths.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (behaviour, stop, seen) = (behaviour.clone(), stop.clone(), seen.clone());
                std::thread::spawn(move || serve(stream, port, &behaviour, &stop, &seen));
            }
        });
        Self { port, stopped, paths }
    }

    fn uri(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The paths requested so far, in order.
    fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

impl Drop for FakeRestProxy {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, port: u16, behaviour: &Behaviour, stopped: &AtomicBool, paths: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream.try_clone().expect("a clone of the stream"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or_default(), parts.next().unwrap_or("/").to_string());
    paths.lock().unwrap().push(path.clone());
    let html = |status| (status, "text/html", "<html><body><h1>Welcome</h1></body></html>".to_string());
    let (status, content_type, body) = match behaviour {
        Behaviour::Hang => {
            while !stopped.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
            return;
        }
        Behaviour::HtmlNotFound => html(404),
        Behaviour::Failing => {
            (500, "application/json", json!({"error_code": 50002, "message": "Kafka error: Timed out"}).to_string())
        }
        Behaviour::HtmlPage => html(200),
        Behaviour::RestProxy { cluster_id, listeners } if method == "GET" => {
            let (status, body) = rest_proxy_answer(&format!("http://127.0.0.1:{port}"), &path, cluster_id, listeners);
            (status, "application/json", body.to_string())
        }
        Behaviour::RestProxy { .. } => {
            (405, "application/json", json!({"error_code": 405, "message": "HTTP 405 Method Not Allowed"}).to_string())
        }
    };
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Error",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = stream;
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.shutdown(Shutdown::Both);
}

/// The REST proxy v3 answers discovery reads, shaped like the real ones (kafka-rest's
/// `api/v3/openapi.yaml`: `ClusterDataList`, `BrokerDataList`, `BrokerConfigData`, `Error`),
/// for a cluster of one broker whose inter-broker listener is a container host name.
fn rest_proxy_answer(base: &str, path: &str, cluster_id: &str, listeners: &str) -> (u16, Value) {
    let v3 = format!("{base}/v3");
    let cluster = format!("{v3}/clusters/{cluster_id}");
    let related = |tail: &str| json!({"related": format!("{cluster}{tail}")});
    let not_found = |message: String| (404, json!({"error_code": 404, "message": message}));
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["v3", "clusters"] => (
            200,
            json!({
                "kind": "KafkaClusterList",
                "metadata": {"self": format!("{v3}/clusters"), "next": null},
                "data": [{
                    "kind": "KafkaCluster",
                    "metadata": {"self": cluster, "resource_name": format!("crn:///kafka={cluster_id}")},
                    "cluster_id": cluster_id,
                    "controller": related("/brokers/1"),
                    "acls": related("/acls"),
                    "brokers": related("/brokers"),
                    "broker_configs": related("/broker-configs"),
                    "consumer_groups": related("/consumer-groups"),
                    "topics": related("/topics"),
                    "partition_reassignments": related("/topics/-/partitions/-/reassignment"),
                }],
            }),
        ),
        ["v3", "clusters", id, ..] if *id != cluster_id => not_found(format!("Cluster {id} cannot be found.")),
        ["v3", "clusters", _, "brokers"] => (
            200,
            json!({
                "kind": "KafkaBrokerList",
                "metadata": {"self": format!("{cluster}/brokers"), "next": null},
                "data": [{
                    "kind": "KafkaBroker",
                    "metadata": {"self": format!("{cluster}/brokers/1"), "resource_name": format!("crn:///kafka={cluster_id}/broker=1")},
                    "cluster_id": cluster_id,
                    "broker_id": 1,
                    "host": "confluent-local-broker-1",
                    "port": 50002,
                    "rack": null,
                    "configs": related("/brokers/1/configs"),
                    "partition_replicas": related("/brokers/1/partition-replicas"),
                }],
            }),
        ),
        ["v3", "clusters", _, "brokers", "1", "configs", "advertised.listeners"] => (
            200,
            json!({
                "kind": "KafkaBrokerConfig",
                "metadata": {
                    "self": format!("{cluster}/brokers/1/configs/advertised.listeners"),
                    "resource_name": format!("crn:///kafka={cluster_id}/broker=1/config=advertised.listeners"),
                },
                "cluster_id": cluster_id,
                "broker_id": 1,
                "name": "advertised.listeners",
                "value": listeners,
                "is_default": false,
                "is_read_only": true,
                "is_sensitive": false,
                "source": "STATIC_BROKER_CONFIG",
                "synonyms": [{"name": "advertised.listeners", "value": listeners, "source": "STATIC_BROKER_CONFIG"}],
            }),
        ),
        _ => not_found("HTTP 404 Not Found".to_string()),
    }
}

/// Fast checks, with every local endpoint given.
fn local_options(rest_proxy: &str, bootstrap_servers: &str, schema_registry: &str) -> Value {
    json!({
        "check_timeout_seconds": 2,
        "local": {
            "refresh_interval_seconds": 0.3,
            "kafka_rest_uri": rest_proxy,
            "bootstrap_servers": bootstrap_servers,
            "schema_registry_uri": schema_registry,
        },
    })
}

fn closed_uri() -> String {
    format!("http://127.0.0.1:{}", closed_port())
}

fn closed_servers() -> String {
    format!("127.0.0.1:{}", closed_port())
}

fn local_spec(name: &str) -> Value {
    json!({"name": name, "type": "LOCAL"})
}

/// Creates `spec` and returns its first event whose Kafka component is not ATTEMPTING.
fn first_kafka_event(sidecar: &mut SidecarProcess, spec: Value) -> Value {
    let created = create(sidecar, spec);
    let id = created["id"].as_str().unwrap().to_string();
    let events = events_until(sidecar, &id, "the first Kafka check", |e| {
        !matches!(state(&e["connection"], "kafka_cluster").as_str(), "ATTEMPTING" | "<absent>")
    });
    events.last().unwrap().clone()
}

fn first_kafka_result(sidecar: &mut SidecarProcess, spec: Value) -> Value {
    first_kafka_event(sidecar, spec)["connection"].clone()
}

fn dry_run(sidecar: &mut SidecarProcess, spec: Value) -> Value {
    sidecar.request("connections/create", json!({"spec": spec, "dry_run": true}), WAIT).expect("a dry run answers")
}

#[test]
fn the_rest_proxy_reports_the_cluster_and_the_listener_for_this_machine() {
    let broker = Tansu::start();
    let listeners = format!("PLAINTEXT://confluent-local-broker-1:50002,PLAINTEXT_HOST://127.0.0.1:{}", broker.port);
    let proxy = FakeRestProxy::start(Behaviour::RestProxy { cluster_id: CLUSTER_ID.into(), listeners });
    let mut sidecar = start(local_options(&proxy.uri(), &closed_servers(), ""));
    let connection = first_kafka_result(&mut sidecar, local_spec("local"));
    let kafka = &connection["status"]["kafka_cluster"];
    assert_eq!(kafka["state"], "SUCCESS", "{connection:#}");
    assert_eq!(kafka["cluster_id"], CLUSTER_ID);
    assert_eq!(kafka["bootstrap_servers"], broker.bootstrap(), "only the listener meant for this machine");
    assert_eq!(connection["status"].get("schema_registry"), None, "local.schema_registry_uri is empty");
    let id = CLUSTER_ID;
    assert_eq!(
        proxy.paths()[..3],
        [
            "/v3/clusters".to_string(),
            format!("/v3/clusters/{id}/brokers"),
            format!("/v3/clusters/{id}/brokers/1/configs/advertised.listeners"),
        ]
    );
}

#[test]
fn a_cluster_the_rest_proxy_reports_but_that_does_not_answer_is_failed_with_where_it_was_looked_for() {
    let port = closed_port();
    let proxy = FakeRestProxy::start(Behaviour::RestProxy {
        cluster_id: CLUSTER_ID.into(),
        listeners: format!("PLAINTEXT://confluent-local-broker-1:50002,PLAINTEXT_HOST://localhost:{port}"),
    });
    let broker = Tansu::start();
    // The fallback would succeed, but the REST proxy has spoken: its cluster is the local one.
    let mut sidecar = start(local_options(&proxy.uri(), &broker.bootstrap(), ""));
    let result = dry_run(&mut sidecar, local_spec("unreachable"));
    let (message, transient) = error_of(&result, "kafka_cluster");
    let expected = format!(
        "The Confluent Local REST proxy at {} reports Kafka cluster {CLUSTER_ID} at localhost:{port}, but the check failed: Connection refused",
        proxy.uri()
    );
    assert!(message.starts_with(&expected), "{message}");
    assert!(message.contains("set kafka_cluster.bootstrap_servers on this connection") && transient, "{message}");
}

#[test]
fn a_rest_proxy_in_trouble_is_reported_and_the_broker_is_still_tried() {
    let proxy = FakeRestProxy::start(Behaviour::Failing);
    let broker = Tansu::start();
    let mut sidecar = start(local_options(&proxy.uri(), &closed_servers(), ""));
    let (message, _) = error_of(&dry_run(&mut sidecar, local_spec("failing")), "kafka_cluster");
    let expected = format!(
        "the Confluent Local REST proxy at {}, but it answered HTTP 500 to GET /v3/clusters (Kafka error: Timed out)",
        proxy.uri()
    );
    assert!(message.contains(&expected), "{message}");
    let mut sidecar = start(local_options(&proxy.uri(), &broker.bootstrap(), ""));
    let result = dry_run(&mut sidecar, local_spec("failing, then broker"));
    assert_eq!(result["status"]["kafka_cluster"]["bootstrap_servers"], broker.bootstrap(), "{result:#}");
}

#[test]
fn without_a_rest_proxy_the_broker_at_the_configured_bootstrap_servers_is_found() {
    let broker = Tansu::start();
    let mut sidecar = start(local_options(&closed_uri(), &broker.bootstrap(), ""));
    let connection = first_kafka_result(&mut sidecar, local_spec("fallback"));
    let kafka = &connection["status"]["kafka_cluster"];
    assert_eq!(kafka["state"], "SUCCESS", "{connection:#}");
    assert_eq!(kafka["cluster_id"], CLUSTER_ID);
    assert_eq!(kafka["bootstrap_servers"], broker.bootstrap());
}

#[test]
fn nothing_running_fails_with_what_was_tried_then_connects_by_itself_when_the_broker_starts() {
    let rest_proxy = closed_uri();
    let broker_port = closed_port();
    let servers = format!("127.0.0.1:{broker_port}");
    let mut sidecar = start(local_options(&rest_proxy, &servers, ""));
    let created = create(&mut sidecar, local_spec("later"));
    let id = created["id"].as_str().unwrap().to_string();
    let events = events_until(&mut sidecar, &id, "DISCONNECTED", |e| e["action"] == "DISCONNECTED");
    let connection = &events.last().unwrap()["connection"];
    assert_eq!(state(connection, "kafka_cluster"), "FAILED");
    let (message, transient) = error_of(connection, "kafka_cluster");
    assert!(transient, "nothing running yet is transient: {message}");
    assert!(message.starts_with("No local Kafka cluster found"), "{message}");
    for expected in [
        format!("the Confluent Local REST proxy at {rest_proxy}, but it is not running (connection refused)"),
        format!("a Kafka broker at {servers}: Connection refused"),
        "confluent local kafka start".to_string(),
        "kafka_cluster.bootstrap_servers".to_string(),
        "local.kafka_rest_uri and local.bootstrap_servers initializationOptions".to_string(),
    ] {
        assert!(message.contains(&expected), "the message says {expected:?}: {message}");
    }

    // Nobody refreshes: the schedule finds the broker once it runs.
    let _broker = Tansu::start_on(broker_port);
    let started = Instant::now();
    let events = events_until(&mut sidecar, &id, "CONNECTED after the broker started", |e| e["action"] == "CONNECTED");
    let kafka = &events.last().unwrap()["connection"]["status"]["kafka_cluster"];
    assert_eq!(
        (kafka["state"].as_str(), kafka["bootstrap_servers"].as_str()),
        (Some("SUCCESS"), Some(servers.as_str()))
    );
    assert!(started.elapsed() < Duration::from_secs(5), "found on a scheduled check: {:?}", started.elapsed());
}

#[test]
fn a_server_that_is_not_a_rest_proxy_is_named_and_the_broker_is_still_tried() {
    let web_server = FakeRestProxy::start(Behaviour::HtmlNotFound);
    let mut sidecar = start(local_options(&web_server.uri(), &closed_servers(), ""));
    let result = dry_run(&mut sidecar, local_spec("html 404"));
    let (message, transient) = error_of(&result, "kafka_cluster");
    let uri = web_server.uri();
    assert!(
        message.contains(&format!(
            "the server at {uri} is not a Confluent REST proxy (GET /v3/clusters answered HTTP 404)"
        )),
        "{message}"
    );
    assert!(message.contains("then a Kafka broker at 127.0.0.1:"), "the fallback was tried: {message}");
    assert!(transient);

    // A Schema Registry on the REST proxy's port answers 404 with a Confluent error body: still not a REST proxy.
    let registry = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let mut sidecar = start(local_options(&registry.uri(), &closed_servers(), ""));
    let (message, _) = error_of(&dry_run(&mut sidecar, local_spec("registry")), "kafka_cluster");
    assert!(message.contains(&format!("the server at {} is not a Confluent REST proxy", registry.uri())), "{message}");

    // A web page with 200 is not a cluster list; the broker behind the fallback is found.
    let broker = Tansu::start();
    let web_page = FakeRestProxy::start(Behaviour::HtmlPage);
    let mut sidecar = start(local_options(&web_page.uri(), &broker.bootstrap(), ""));
    let result = dry_run(&mut sidecar, local_spec("html 200"));
    assert_eq!(state(&result, "kafka_cluster"), "SUCCESS", "{result:#}");
    assert_eq!(result["status"]["kafka_cluster"]["bootstrap_servers"], broker.bootstrap());
    assert_eq!(web_page.paths(), ["/v3/clusters"]);
}

#[test]
fn a_rest_proxy_port_that_never_answers_costs_only_its_share_of_the_check() {
    let hanging = FakeRestProxy::start(Behaviour::Hang);
    let mut sidecar = start(local_options(&hanging.uri(), &closed_servers(), ""));
    let asked = Instant::now();
    let result = dry_run(&mut sidecar, local_spec("hang"));
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(2), "FAILED within the 2 s check timeout, took {took:?}");
    let (message, transient) = error_of(&result, "kafka_cluster");
    assert!(message.contains("the server there did not answer GET /v3/clusters within 400 ms"), "{message}");
    assert!(message.contains("then a Kafka broker at 127.0.0.1:") && transient, "{message}");

    // With a broker behind the fallback, the hang does not stop it from being found.
    let broker = Tansu::start();
    let mut sidecar = start(local_options(&hanging.uri(), &broker.bootstrap(), ""));
    let result = dry_run(&mut sidecar, local_spec("hang, then broker"));
    assert_eq!(state(&result, "kafka_cluster"), "SUCCESS", "{result:#}");
}

#[test]
fn the_schema_registry_is_the_default_none_or_the_one_in_local_config() {
    let default = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let explicit = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let mut sidecar = start(local_options(&closed_uri(), &closed_servers(), &default.uri()));

    let absent = dry_run(&mut sidecar, local_spec("default registry"));
    assert_eq!(state(&absent, "schema_registry"), "SUCCESS", "{absent:#}");
    assert_eq!((default.requests(), explicit.requests()), (1, 0), "local.schema_registry_uri was checked");

    let mut none = local_spec("no registry");
    none["local_config"] = json!({"schema_registry_uri": ""});
    let none = dry_run(&mut sidecar, none);
    assert_eq!(none["status"].get("schema_registry"), None, "{none:#}");
    assert_eq!(state(&none, "kafka_cluster"), "FAILED", "the Kafka component is there all the same");

    let mut chosen = local_spec("chosen registry");
    chosen["local_config"] = json!({"schema-registry-uri": explicit.uri()});
    let chosen = dry_run(&mut sidecar, chosen);
    assert_eq!(state(&chosen, "schema_registry"), "SUCCESS", "{chosen:#}");
    assert_eq!((default.requests(), explicit.requests()), (1, 1), "local_config.schema_registry_uri was checked");

    // A LOCAL connection is CONNECTED while only its Schema Registry answers.
    let event = first_kafka_event(&mut sidecar, local_spec("registry only"));
    let states = (state(&event["connection"], "kafka_cluster"), state(&event["connection"], "schema_registry"));
    assert_eq!(states, ("FAILED".to_string(), "SUCCESS".to_string()));
    assert_eq!(event["action"], "CONNECTED");
}

#[test]
fn a_kafka_cluster_in_the_spec_overrides_discovery() {
    let broker = Tansu::start();
    let proxy = FakeRestProxy::start(Behaviour::RestProxy {
        cluster_id: "some-other-cluster".into(),
        listeners: format!("PLAINTEXT_HOST://127.0.0.1:{}", closed_port()),
    });
    let mut sidecar = start(local_options(&proxy.uri(), &closed_servers(), ""));
    let mut spec = local_spec("overridden");
    spec["kafka_cluster"] = json!({"bootstrap_servers": broker.bootstrap(), "ssl": {"enabled": false}});
    let result = dry_run(&mut sidecar, spec);
    assert_eq!(state(&result, "kafka_cluster"), "SUCCESS", "{result:#}");
    assert_eq!(result["status"]["kafka_cluster"]["cluster_id"], CLUSTER_ID);
    assert!(proxy.paths().is_empty(), "the REST proxy was not asked: {:?}", proxy.paths());
}

#[test]
fn local_endpoints_in_initialization_options_must_be_http_uris_or_empty() {
    let mut sidecar = SidecarProcess::spawn(command("warn")).unwrap();
    let params = |options: Value| json!({"processId": null, "capabilities": {}, "initializationOptions": options});
    let error = sidecar
        .request("initialize", params(json!({"local": {"kafka_rest_uri": "localhost:8082"}})), WAIT)
        .unwrap_err();
    assert_eq!(error["code"], -32602);
    assert_eq!(error["data"]["errors"][0]["source"], "local.kafka_rest_uri", "{error}");
    sidecar.request("initialize", params(json!({"local": {"kafka_rest_uri": ""}})), WAIT).unwrap();
}

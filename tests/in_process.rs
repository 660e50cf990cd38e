//! The server in-process, over an in-memory duplex with real framing, with scripted checks: fast
//! tests of the protocol's guarantees that need no peers (every method of the table dispatched, a
//! panicking handler, cancellation, the limit on concurrent requests).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ide_sidecar::connections::{BoxFuture, Checks, LocalDiscovery, Outcome};
use ide_sidecar::connections::{ValidKafkaCluster, ValidSchemaRegistry};
use ide_sidecar::protocol::methods::{methods, notifications};
use ide_sidecar::server::framing::{encode, Frame, FrameReader};
use ide_sidecar::server::{serve_with, ServeConfig};
use serde_json::{json, Value};
use tokio::io::{AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf};

const WAIT: Duration = Duration::from_secs(20);

/// Checks whose behaviour is chosen by the bootstrap servers: `panic:1` panics, `hang:1` never
/// ends, `slow:1` takes 300 ms; anything else succeeds. Counts checks running at once.
#[derive(Default)]
struct Scripted {
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    running: AtomicUsize,
    most: AtomicUsize,
}

impl Checks for Scripted {
    fn kafka(&self, target: ValidKafkaCluster, _timeout: Duration) -> BoxFuture<Outcome> {
        let servers = target.bootstrap_servers;
        let counts = self.counts.clone();
        Box::pin(async move {
            let now = counts.running.fetch_add(1, Ordering::SeqCst) + 1;
            counts.most.fetch_max(now, Ordering::SeqCst);
            let outcome = match servers.as_str() {
                "panic:1" => panic!("a scripted panic in a check"),
                "hang:1" => std::future::pending().await,
                "slow:1" => {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    Outcome::Success { cluster_id: Some("slow".into()), bootstrap_servers: None }
                }
                _ => Outcome::Success { cluster_id: Some("ok".into()), bootstrap_servers: None },
            };
            counts.running.fetch_sub(1, Ordering::SeqCst);
            outcome
        })
    }

    fn local_kafka(&self, _: LocalDiscovery, _: Duration) -> BoxFuture<Outcome> {
        Box::pin(async { Outcome::failed("no local cluster in this test", true) })
    }

    fn schema_registry(&self, _: ValidSchemaRegistry, _: Duration) -> BoxFuture<Outcome> {
        Box::pin(async { Outcome::failed("no registry in this test", true) })
    }
}

/// A client on one end of the duplex; the server runs on the other in this process.
struct Client {
    writer: WriteHalf<DuplexStream>,
    reader: FrameReader<BufReader<ReadHalf<DuplexStream>>>,
    server: tokio::task::JoinHandle<bool>,
    /// The `initialize` result.
    initialized: Value,
}

impl Client {
    async fn start(checks: Arc<Scripted>, max_concurrent_requests: usize) -> Self {
        Self::start_with(checks, max_concurrent_requests, None).await
    }

    /// Started by the process `parent` (`initialize.processId`), when given.
    async fn start_with(checks: Arc<Scripted>, max_concurrent_requests: usize, parent: Option<u32>) -> Self {
        let (client, server) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server);
        let config = ServeConfig { max_concurrent_requests };
        let server = tokio::spawn(serve_with(server_read, server_write, checks, config));
        let (read, writer) = tokio::io::split(client);
        let mut client =
            Self { writer, reader: FrameReader::new(BufReader::new(read)), server, initialized: Value::Null };
        client
            .send(json!({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
                "processId": parent, "capabilities": {}, "initializationOptions": {"check_timeout_seconds": 60}}}))
            .await;
        let reply = client.reply(&json!("init")).await;
        client.initialized = reply.get("result").cloned().unwrap_or_else(|| panic!("initialize failed: {reply}"));
        client.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}})).await;
        client
    }

    async fn send(&mut self, message: Value) {
        self.writer.write_all(&encode(message.to_string().as_bytes())).await.unwrap();
    }

    async fn request(&mut self, id: i64, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
    }

    async fn next(&mut self) -> Value {
        match tokio::time::timeout(WAIT, self.reader.next()).await.expect("a message from the server in time") {
            Frame::Body(body) => serde_json::from_slice(&body).unwrap(),
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// The reply to `id`, skipping notifications and other replies.
    async fn reply(&mut self, id: &Value) -> Value {
        loop {
            let message = self.next().await;
            if message.get("method").is_none() && &message["id"] == id {
                return message;
            }
        }
    }

    async fn shutdown(mut self) {
        self.request(999_999, "shutdown", Value::Null).await;
        self.reply(&json!(999_999)).await;
        self.send(json!({"jsonrpc": "2.0", "method": "exit"})).await;
        let clean = tokio::time::timeout(WAIT, self.server).await.expect("the server stops after exit").unwrap();
        assert!(clean, "shutdown was seen before exit");
    }
}

fn dry_run(servers: &str) -> Value {
    json!({"dry_run": true, "spec": {"name": "n", "type": "DIRECT",
        "kafka_cluster": {"bootstrap_servers": servers, "ssl": {"enabled": false}}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_of_the_table_is_announced_and_dispatched() {
    let mut client = Client::start(Arc::default(), 4).await;
    let supported = &client.initialized["capabilities"]["experimental"]["sidecar"];
    let table: Vec<&str> = methods().iter().map(|method| method.name).collect();
    assert_eq!(supported["methods"], json!(table));
    let sent: Vec<&str> = notifications().iter().map(|notification| notification.name).collect();
    assert_eq!(supported["notifications"], json!(sent));
    for (id, method) in (100..).zip(&table) {
        // Params every method decodes or refuses: the point is which code answers.
        client.request(id, method, json!({"id": "nobody"})).await;
        let reply = client.reply(&json!(id)).await;
        let code = &reply["error"]["code"];
        assert!(code != -32601 && code != -32603, "{method} is not dispatched: {reply}");
    }
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_is_answered_and_the_session_and_the_store_go_on() {
    let mut client = Client::start(Arc::default(), 4).await;
    client
        .request(
            1,
            "connections/create",
            json!({"spec": {"id": "kept", "name": "kept", "type": "DIRECT",
        "kafka_cluster": {"bootstrap_servers": "ok:1", "ssl": {"enabled": false}}}}),
        )
        .await;
    assert_eq!(client.reply(&json!(1)).await["result"]["id"], "kept");
    client.request(2, "connections/create", dry_run("panic:1")).await;
    let answer = client.reply(&json!(2)).await;
    assert_eq!(answer["error"]["code"], -32603, "{answer}");
    assert_eq!(answer["error"]["data"], "connections/create", "{answer}");
    // The request was answered by its handler, not only by the transport: its id is free again.
    client.request(2, "connections/get", json!({"id": "kept"})).await;
    let again = client.reply(&json!(2)).await;
    assert_eq!(again["result"]["id"], "kept", "the id of a request that panicked can be used again: {again}");
    client.request(3, "connections/list", json!({})).await;
    let list = client.reply(&json!(3)).await;
    assert_eq!(list["result"]["data"].as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list["result"]["data"][0]["id"], "kept");
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_request_is_answered_request_cancelled_while_others_go_on() {
    let mut client = Client::start(Arc::default(), 4).await;
    client.request(7, "connections/create", dry_run("hang:1")).await;
    client.request(8, "connections/list", json!({})).await;
    assert!(client.reply(&json!(8)).await.get("result").is_some(), "another request is served meanwhile");
    client.send(json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 7}})).await;
    let cancelled = client.reply(&json!(7)).await;
    assert_eq!(cancelled["error"]["code"], -32800, "{cancelled}");
    client.request(9, "connections/create", dry_run("ok:1")).await;
    assert_eq!(client.reply(&json!(9)).await["result"]["status"]["kafka_cluster"]["state"], "SUCCESS");
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_the_limit_wait_and_all_are_answered() {
    let checks = Arc::new(Scripted::default());
    let mut client = Client::start(checks.clone(), 2).await;
    for id in 0..8 {
        client.request(id, "connections/create", dry_run("slow:1")).await;
    }
    let mut answered = Vec::new();
    while answered.len() < 8 {
        let message = client.next().await;
        if let Some(id) = message["id"].as_i64() {
            assert_eq!(message["result"]["status"]["kafka_cluster"]["state"], "SUCCESS", "{message}");
            answered.push(id);
        }
    }
    answered.sort_unstable();
    assert_eq!(answered, (0..8).collect::<Vec<_>>());
    assert_eq!(checks.counts.most.load(Ordering::SeqCst), 2, "two at a time: the limit, and no fewer");
    // A request waiting for a slot can be cancelled too.
    for id in 10..12 {
        client.request(id, "connections/create", dry_run("hang:1")).await;
    }
    client.request(12, "connections/create", dry_run("hang:1")).await;
    // 12 waits behind 10 and 11, which never end: its cancel is answered at once all the same.
    client.send(json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 12}})).await;
    assert_eq!(
        client.next().await,
        json!({"jsonrpc": "2.0", "id": 12, "error": {"code": -32800, "message": "Canceled"}})
    );
    for id in [10, 11] {
        client.send(json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": id}})).await;
        assert_eq!(client.reply(&json!(id)).await["error"]["code"], -32800);
    }
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_parent_stops_the_server_and_not_the_process_it_runs_in() {
    let mut parent = std::process::Command::new("sleep").arg("60").spawn().expect("a stand-in parent");
    let client = Client::start_with(Arc::default(), 4, Some(parent.id())).await;
    parent.kill().unwrap();
    parent.wait().unwrap();
    // The library used to call process::exit here, which would have ended this test process.
    let clean = tokio::time::timeout(Duration::from_secs(5), client.server)
        .await
        .expect("serve returns within a second of the parent's death")
        .unwrap();
    assert!(!clean, "no shutdown was requested: the exit code is 1");
}

//! The tests' fake Confluent Cloud (tests/support/ccloud.rs) as a program, for the editors' tests, which cannot
//! reach it inside `cargo test`: `cargo run --example fake_ccloud` serves the sign-in (OAuth authorize and token
//! endpoints), the control plane, the resource lists, Kafka REST v3 and the Schema Registry on 127.0.0.1, prints
//! one JSON line on stdout, `{"ccloud": {...}}`, the `initializationOptions` to give the sidecar (with the
//! loopback callback port it must listen on), and serves until its stdin closes or it is killed. `--host 127.0.0.2`
//! (another loopback address) serves there instead of on 127.0.0.1: code-server sends an external link to
//! `127.0.0.1` or `localhost` through its own port proxy, which drops the link's path and query.
//!
//! Seeded: environment `env-prod` ("production") with the Kafka clusters `lkc-prod1` ("orders") and `lkc-prod2`
//! ("payments") and the Schema Registry `lsrc-prod1`; `env-dev` ("development") with `lkc-dev1` ("scratch").
//! `lkc-prod1` holds the topic `orders` (2 partitions): partition 0 has a JSON record (key `order-1`) and an
//! Avro record (key `order-2`, `{"id": 2, "item": "coffee"}`, framed with the id of the schema registered as
//! `orders-value`), partition 1 a string record; and the consumer group `billing`.
//!
//! Signing in completes when a browser, or a test with a plain HTTP GET, follows the `sign_in_uri`: the authorize
//! endpoint redirects at once to the sidecar's callback with a code.

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Read;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;
use support::ccloud::data::{reachable_catalog, Cluster, Group, Stored, Topic};
use support::ccloud::{FakeCCloud, ORG_DEFAULT};

/// The Avro schema of `orders-value`.
const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"},{"name":"item","type":"string"}]}"#;

/// Avro's binary encoding of a `long` (zig-zag, then base-128 varint).
fn avro_long(value: i64, out: &mut Vec<u8>) {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// An `Order` in Confluent's wire format: magic byte 0, the schema id (big-endian), the Avro binary body.
fn framed_order(schema_id: u32, id: i64, item: &str) -> Vec<u8> {
    let mut out = vec![0];
    out.extend_from_slice(&schema_id.to_be_bytes());
    avro_long(id, &mut out);
    avro_long(item.len() as i64, &mut out);
    out.extend_from_slice(item.as_bytes());
    out
}

fn usage(problem: &str) -> ! {
    eprintln!("fake_ccloud: {problem}\nusage: fake_ccloud [--host 127.0.0.X]");
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let host = match args.iter().position(|a| a == "--host") {
        Some(at) => args.get(at + 1).cloned().unwrap_or_else(|| usage("--host needs an address")),
        None if args.len() > 1 => usage(&format!("unknown arguments {:?}", &args[1..])),
        None => "127.0.0.1".to_string(),
    };
    if !host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback()) {
        usage(&format!("{host} is not an IPv4 loopback address"));
    }
    let callback_port = support::free_port();
    let fake = FakeCCloud::start_on(&host, callback_port);
    fake.set_catalog(reachable_catalog(&fake.base(), ORG_DEFAULT));
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    fake.data(|data| {
        let schema_id = data.register_avro("lsrc-prod1", "orders-value", ORDER);
        let record = |key: &str, value: Vec<u8>, at: i64| Stored {
            timestamp: now - 60_000 + at,
            headers: vec![("source".into(), Some(b"fake-ccloud".to_vec()))],
            key: Some(key.as_bytes().to_vec()),
            value: Some(value),
        };
        let orders = Topic {
            partitions: vec![
                vec![
                    record("order-1", br#"{"id":1,"item":"tea"}"#.to_vec(), 0),
                    record("order-2", framed_order(schema_id, 2, "coffee"), 1000),
                ],
                vec![record("note-1", b"hello from the fake Confluent Cloud".to_vec(), 2000)],
            ],
            ..Topic::default()
        };
        let mut prod = Cluster::default();
        prod.topics.insert("orders".into(), orders);
        prod.groups.insert(
            "billing".into(),
            Group {
                consumers: vec![("consumer-1".into(), "billing-app".into())],
                committed: vec![("orders".into(), 0, 1, "consumer-1".into())],
            },
        );
        data.clusters.insert("lkc-prod1".into(), prod);
        data.clusters.insert("lkc-prod2".into(), Cluster::default());
        data.clusters.insert("lkc-dev1".into(), Cluster::default());
    });
    let mut options = fake.options(callback_port);
    // The session is checked every 2 s rather than the Rust tests' 0.2 s: an editor's test runs longer.
    options["refresh_interval_seconds"] = json!(2);
    println!("{}", json!({"ccloud": options}));
    eprintln!(
        "fake Confluent Cloud on {}; the sidecar's callback port is {callback_port}; stops when stdin closes",
        fake.base()
    );
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    let refusals = fake.refusals();
    if !refusals.is_empty() {
        eprintln!("fake Confluent Cloud: requests refused: {refusals:?}");
    }
}

//! Interoperability with Confluent's own serializers, both ways, through a real broker (tansu) and
//! the test registry: what confluent-kafka's AvroSerializer, ProtobufSerializer and JSONSerializer
//! write, `kafka/records/consume` decodes to the JSON the producer meant; what
//! `kafka/records/produce` serializes, confluent-kafka's deserializers read back to the same data.
//! The Python side is tests/python/records_interop.py, in the venv `.ci/install` makes.

mod support;

use std::process::Command;

use serde_json::{json, Value};
use support::*;

/// Runs the Python side; its stdout as JSON lines.
fn script(args: &[&str]) -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/records_interop.py");
    let output = Command::new(python()).arg(path).args(args).output().expect("python runs");
    assert!(
        output.status.success(),
        "records_interop.py {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

struct Setup {
    broker: Tansu,
    registry: FakeSchemaRegistry,
    sidecar: SidecarProcess,
    id: String,
}

fn setup() -> Setup {
    let broker = Tansu::start();
    let registry = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).unwrap();
    let mut sidecar = start(json!({"check_timeout_seconds": 10}));
    let mut spec = kafka_spec("interop", &broker.bootstrap());
    spec["schema_registry"] = json!({"uri": registry.uri()});
    let id = create(&mut sidecar, spec)["id"].as_str().unwrap().to_string();
    Setup { broker, registry, sidecar, id }
}

impl Setup {
    fn call(&mut self, method: &str, mut params: Value) -> Value {
        params["connection_id"] = json!(self.id);
        self.sidecar.request(method, params.clone(), CALL).unwrap_or_else(|error| panic!("{method} {params}: {error}"))
    }

    fn topic(&mut self, name: &str) {
        self.call("kafka/topics/create", json!({"topic": name, "partitions": 1}));
    }
}

#[test]
fn values_written_by_confluents_serializers_decode_to_what_the_producer_meant() {
    let mut setup = setup();
    for topic in ["in-avro", "in-protobuf", "in-json"] {
        setup.topic(topic);
    }
    let meant = script(&["produce", &setup.broker.bootstrap(), &setup.registry.uri(), "in"]);
    assert_eq!(meant.len(), 12);
    for (topic, format, extra) in [("in-avro", "AVRO", 2), ("in-protobuf", "PROTOBUF", 0), ("in-json", "JSONSCHEMA", 0)]
    {
        let page = setup.call("kafka/records/consume", json!({"topic": topic, "start": {"from": "beginning"}}));
        let records = page["records"].as_array().unwrap();
        let expected: Vec<&Value> = meant.iter().filter(|m| m["topic"] == topic).collect();
        assert_eq!(records.len(), expected.len() + extra, "{topic}: {page}");
        for (record, meant) in records.iter().zip(&expected) {
            assert_eq!(record["key"]["data"], meant["key"]);
            assert_eq!(record["value"]["format"], format, "{record}");
            assert!(record["value"]["schema_id"].as_u64().is_some());
            assert_eq!(record["value"]["data"], meant["value"], "{topic} {}", meant["key"]);
            assert!(record["value"]["error"].is_null());
        }
    }
    let page = setup.call(
        "kafka/records/consume",
        json!({"topic": "in-avro", "start": {"from": "offsets", "offsets": [{"partition": 0, "offset": 5}]}}),
    );
    let (unknown, corrupt) = (&page["records"][0], &page["records"][1]);
    assert_eq!(
        (unknown["key"]["data"].as_str(), unknown["value"]["format"].as_str()),
        (Some("unknown-id"), Some("BYTES"))
    );
    assert_eq!(unknown["value"]["schema_id"], 999);
    assert!(unknown["value"]["error"].as_str().unwrap().contains("no schema with this id"), "{unknown}");
    assert_eq!(corrupt["value"]["format"], "BYTES");
    assert!(corrupt["value"]["error"].as_str().is_some(), "{corrupt}");
    // Every schema was fetched once, however many records used it.
    let before = setup.registry.requests();
    setup.call("kafka/records/consume", json!({"topic": "in-avro", "start": {"from": "beginning"}}));
    assert_eq!(setup.registry.requests(), before, "schemas are cached by id");
}

#[test]
fn values_the_sidecar_serializes_read_back_in_confluents_deserializers() {
    let mut setup = setup();
    for topic in ["out-avro", "out-protobuf", "out-json", "seed-avro", "seed-protobuf", "seed-json"] {
        setup.topic(topic);
    }
    // Confluent's serializers register the schemas (the sidecar never registers on produce).
    let meant = script(&["produce", &setup.broker.bootstrap(), &setup.registry.uri(), "seed"]);
    let values = |topic: &str| -> Vec<Value> {
        meant.iter().filter(|m| m["topic"] == topic).map(|m| m["value"].clone()).collect()
    };
    for (topic, subject, values) in [
        ("out-avro", "seed-avro-value", values("seed-avro")),
        ("out-protobuf", "seed-protobuf-value", values("seed-protobuf")),
        ("out-json", "seed-json-value", values("seed-json")),
    ] {
        // The Protobuf schema's file holds shop.Line before shop.Order: name the message to write.
        let schema = match topic {
            "out-protobuf" => json!({"subject": subject, "record_name": "shop.Order"}),
            _ => json!({"subject": subject}),
        };
        let records: Vec<Value> = values
            .iter()
            .enumerate()
            .map(|(n, value)| json!({"key": {"data": format!("s{n}")}, "value": {"data": value, "schema": schema}}))
            .collect();
        let result = setup.call("kafka/records/produce", json!({"topic": topic, "records": records}));
        for written in result["records"].as_array().unwrap() {
            assert!(written["error"].is_null(), "{topic}: {written}");
        }
        let kind = topic.trim_start_matches("out-");
        let read = script(&[
            "consume",
            &setup.broker.bootstrap(),
            &setup.registry.uri(),
            topic,
            kind,
            &values.len().to_string(),
        ]);
        let read: Vec<Value> = read.into_iter().map(|r| r["value"].clone()).collect();
        assert_eq!(read, values, "{topic}: what confluent-kafka read back");
    }
    // A value that does not fit its schema names the field; the rest of the batch is written.
    let records = json!([
        {"value": {"data": {"id": "x", "amount": "lots"}, "schema": {"subject": "seed-json-value"}}},
        {"value": {"data": {"id": "y", "amount": 1.5}, "schema": {"subject": "seed-json-value"}}},
        {"value": {"data": {"order_id": "z", "total_cents": "not a number"}, "schema": {"subject": "seed-protobuf-value", "record_name": "shop.Order"}}},
        {"value": {"data": {"id": 1}, "schema": {"subject": "no-such-subject"}}},
        {"value": {"data": {"id": "w", "amount": 1}, "schema": {"subject": "seed-json-value", "version": 99}}}
    ]);
    let result = setup.call("kafka/records/produce", json!({"topic": "out-json", "records": records}));
    let results = result["records"].as_array().unwrap();
    assert!(
        results[0]["error"]["source"].as_str().unwrap().starts_with("records[0].value.data.amount"),
        "{}",
        results[0]
    );
    assert!(results[1]["offset"].as_i64().is_some(), "{}", results[1]);
    assert!(results[2]["error"]["source"].as_str().unwrap().starts_with("records[2].value.data"), "{}", results[2]);
    assert_eq!(results[3]["error"]["source"], "records[3].value.schema");
    assert!(results[3]["error"]["message"].as_str().unwrap().contains("no-such-subject"), "{}", results[3]);
    assert!(results[4]["error"]["message"].as_str().unwrap().contains("no version 99"), "{}", results[4]);
}

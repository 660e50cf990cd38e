//! Throughput of the schema codecs: `cargo bench --bench codecs`. Prints the median records per
//! second of several rounds for Avro decode and encode (a ~1 KB record of ~20 fields), with
//! apache-avro's own decoder for comparison, Protobuf decode and JSON Schema encode. No network.

use std::hint::black_box;
use std::time::Instant;

use ide_sidecar::backends::schemas::codec::{Compiled, SchemaType};
use order::order;
use serde_json::{json, Value};

#[path = "common/order.rs"]
mod order;

const ROUNDS: usize = 7;
const RECORDS_PER_ROUND: usize = 20_000;

/// The median records per second of `ROUNDS` rounds of `RECORDS_PER_ROUND` calls.
fn measure(mut call: impl FnMut()) -> f64 {
    for _ in 0..RECORDS_PER_ROUND / 10 {
        call();
    }
    let mut rates: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..RECORDS_PER_ROUND {
                call();
            }
            RECORDS_PER_ROUND as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[ROUNDS / 2]
}

fn avro_schema() -> Value {
    json!({
        "type": "record", "name": "Order", "namespace": "bench",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "customer_id", "type": "string"},
            {"name": "customer_name", "type": "string"},
            {"name": "email", "type": ["null", "string"], "default": null},
            {"name": "quantity", "type": "int"},
            {"name": "unit_price", "type": "double"},
            {"name": "total", "type": "double"},
            {"name": "discount", "type": ["null", "double"], "default": null},
            {"name": "created_at", "type": "long"},
            {"name": "updated_at", "type": "long"},
            {"name": "status", "type": "string"},
            {"name": "priority", "type": "int"},
            {"name": "notes", "type": "string"},
            {"name": "gift", "type": "boolean"},
            {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
                {"name": "street", "type": "string"},
                {"name": "city", "type": "string"},
                {"name": "zip", "type": "string"},
                {"name": "country", "type": "string"}
            ]}},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "line_ids", "type": {"type": "array", "items": "long"}},
            {"name": "weight", "type": "double"},
            {"name": "warehouse", "type": "int"},
            {"name": "channel", "type": ["null", "string"]}
        ]
    })
}

const PROTO: &str = r#"
syntax = "proto3";
package bench;
message Order {
  message Address { string street = 1; string city = 2; string zip = 3; string country = 4; }
  int64 id = 1; string customer_id = 2; string customer_name = 3; string email = 4; int32 quantity = 5;
  double unit_price = 6; double total = 7; double discount = 8; int64 created_at = 9; int64 updated_at = 10;
  string status = 11; int32 priority = 12; string notes = 13; bool gift = 14; Address address = 15;
  repeated string tags = 16; repeated int64 line_ids = 17; double weight = 18; int32 warehouse = 19;
  string channel = 20;
}
"#;

fn json_schema() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Order", "type": "object",
        "properties": {
            "id": {"type": "integer"}, "customer_id": {"type": "string"}, "customer_name": {"type": "string"},
            "email": {"type": ["string", "null"], "format": "email"}, "quantity": {"type": "integer", "minimum": 1},
            "unit_price": {"type": "number"}, "total": {"type": "number"}, "discount": {"type": ["number", "null"]},
            "created_at": {"type": "integer"}, "updated_at": {"type": "integer"},
            "status": {"enum": ["NEW", "PAID", "SHIPPED"]}, "priority": {"type": "integer"},
            "notes": {"type": "string", "maxLength": 2000}, "gift": {"type": "boolean"},
            "address": {"type": "object", "required": ["street", "city"], "properties": {
                "street": {"type": "string"}, "city": {"type": "string"}, "zip": {"type": "string"},
                "country": {"type": "string", "pattern": "^[A-Z]{2}$"}
            }},
            "tags": {"type": "array", "items": {"type": "string"}},
            "line_ids": {"type": "array", "items": {"type": "integer"}},
            "weight": {"type": "number"}, "warehouse": {"type": "integer"}, "channel": {"type": ["string", "null"]}
        },
        "required": ["id", "customer_id", "status"]
    })
}

fn main() {
    let order = order(8_123_456_789);
    let avro = Compiled::compile(SchemaType::Avro, &avro_schema().to_string(), &[]).expect("the Avro schema compiles");
    let avro_payload = avro.encode(&order).expect("the order encodes");
    let reference = apache_avro::Schema::parse_str(&avro_schema().to_string()).expect("apache-avro parses the schema");

    let mut proto_order = order.clone();
    proto_order["discount"] = json!(0.0);
    let protobuf = Compiled::compile(SchemaType::Protobuf, PROTO, &[]).expect("the .proto compiles");
    let proto_payload = protobuf.encode(&proto_order).expect("the order encodes as Protobuf");

    let json_schema =
        Compiled::compile(SchemaType::Json, &json_schema().to_string(), &[]).expect("the JSON schema compiles");

    let rows = [
        ("Avro decode", avro_payload.len(), measure(|| drop(black_box(avro.decode(black_box(&avro_payload)))))),
        ("Avro encode", avro_payload.len(), measure(|| drop(black_box(avro.encode(black_box(&order)))))),
        (
            "Avro decode by apache-avro from_avro_datum (reference)",
            avro_payload.len(),
            measure(|| {
                let value = apache_avro::from_avro_datum(&reference, &mut black_box(&avro_payload[..]), None);
                drop(black_box(value.map(|v| Value::try_from(v).ok())));
            }),
        ),
        (
            "Protobuf decode",
            proto_payload.len(),
            measure(|| drop(black_box(protobuf.decode(black_box(&proto_payload))))),
        ),
        (
            "JSON Schema encode (validate + write)",
            json_schema.encode(&order).map_or(0, |p| p.len()),
            measure(|| drop(black_box(json_schema.encode(black_box(&order))))),
        ),
    ];
    println!("{:<56} {:>8} {:>14}", "codec", "bytes", "records/s");
    for (name, bytes, rate) in rows {
        println!("{name:<56} {bytes:>8} {rate:>14.0}");
    }
}

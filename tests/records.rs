//! Messages end to end over stdio against a real broker (tansu): pages through every record once,
//! every start, every compression codec, keys, values, headers and timestamps as written by a real
//! producer, filters run in the sidecar, live tails and how they end, and produce read back by a
//! real consumer.

mod support;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use serde_json::{json, Value};
use support::*;

/// A broker, a sidecar and a DIRECT connection to the broker.
struct Setup {
    broker: Tansu,
    sidecar: SidecarProcess,
    id: String,
}

fn setup() -> Setup {
    let broker = Tansu::start();
    let mut sidecar = start(json!({"check_timeout_seconds": 10, "direct": {"refresh_interval_seconds": 5}}));
    let connection = create(&mut sidecar, kafka_spec("records", &broker.bootstrap()));
    let id = connection["id"].as_str().unwrap().to_string();
    Setup { broker, sidecar, id }
}

impl Setup {
    fn topic(&mut self, name: &str, partitions: i32) {
        let id = self.id.clone();
        call(
            &mut self.sidecar,
            "kafka/topics/create",
            json!({"connection_id": id, "topic": name, "partitions": partitions}),
        );
    }

    fn consume(&mut self, params: Value) -> Value {
        let mut params = params;
        params["connection_id"] = json!(self.id);
        call(&mut self.sidecar, "kafka/records/consume", params)
    }

    fn producer(&self, compression: &str) -> BaseProducer {
        // One record per batch: tansu 0.6 reports a partition's high watermark as its last batch's
        // base offset + 1.
        ClientConfig::new()
            .set("bootstrap.servers", self.broker.bootstrap())
            .set("compression.type", compression)
            .set("batch.num.messages", "1")
            .set("linger.ms", "0")
            .create()
            .expect("a producer")
    }
}

fn flush(producer: &BaseProducer) {
    producer.flush(Duration::from_secs(60)).expect("every record is written");
}

/// Pages through a topic from `start` until every partition is at its end; returns the records.
fn page_all(setup: &mut Setup, topic: &str, start: Value, max_records: u64) -> Vec<Value> {
    let mut records = Vec::new();
    let mut page = setup.consume(json!({"topic": topic, "start": start, "max_records": max_records}));
    for _ in 0..1000 {
        let got = page["records"].as_array().unwrap();
        assert!(got.len() as u64 <= max_records, "a page holds at most max_records");
        records.extend(got.iter().cloned());
        if page["partitions"].as_array().unwrap().iter().all(|p| p["at_end"] == true) {
            return records;
        }
        let cursor = page["cursor"].clone();
        page = setup.consume(json!({"topic": topic, "cursor": cursor, "max_records": max_records}));
    }
    panic!("paging {topic} did not reach the end in 1000 pages")
}

#[test]
fn paging_reads_every_record_once_in_order_whatever_the_codec() {
    let mut setup = setup();
    setup.topic("pages", 3);
    let codecs = ["none", "gzip", "snappy", "lz4", "zstd"];
    for (c, codec) in codecs.iter().enumerate() {
        let producer = setup.producer(codec);
        for n in 0..2000 {
            let key = format!("{codec}-{n}");
            let value =
                if n % 2 == 0 { format!("{{\"codec\":\"{codec}\",\"n\":{n}}}") } else { format!("text {codec} {n}") };
            producer
                .send(BaseRecord::to("pages").partition(((c * 2000 + n) % 3) as i32).key(&key).payload(&value))
                .expect("queued");
        }
        flush(&producer);
    }
    let records = page_all(&mut setup, "pages", json!({"from": "beginning"}), 500);
    assert_eq!(records.len(), 10_000, "every record once");
    let mut seen = HashSet::new();
    let mut last: BTreeMap<i64, i64> = BTreeMap::new();
    for record in &records {
        let (partition, offset) = (record["partition"].as_i64().unwrap(), record["offset"].as_i64().unwrap());
        assert!(seen.insert((partition, offset)), "{partition}/{offset} twice");
        let previous = last.insert(partition, offset).unwrap_or(-1);
        assert_eq!(offset, previous + 1, "partition {partition} in order without gaps");
        let key = record["key"]["data"].as_str().unwrap();
        let (codec, n) = key.split_once('-').unwrap();
        let n: u64 = n.parse().unwrap();
        if n % 2 == 0 {
            assert_eq!(record["value"]["format"], "JSON");
            assert_eq!(record["value"]["data"], json!({"codec": codec, "n": n}));
        } else {
            assert_eq!(record["value"]["format"], "STRING");
            assert_eq!(record["value"]["data"], format!("text {codec} {n}"));
        }
    }
    assert_eq!(last.values().map(|offset| offset + 1).sum::<i64>(), 10_000);
    // Bigger pages read the same records.
    assert_eq!(page_all(&mut setup, "pages", json!({"from": "beginning"}), 5000).len(), 10_000);
}

#[test]
fn records_show_keys_values_headers_and_timestamps_as_written() {
    let mut setup = setup();
    setup.topic("shapes", 1);
    let producer = setup.producer("none");
    let headers = OwnedHeaders::new()
        .insert(Header { key: "source", value: Some("web") })
        .insert(Header { key: "raw", value: Some(&[0xffu8, 0x00][..]) })
        .insert(Header { key: "empty", value: None::<&[u8]> });
    producer
        .send(BaseRecord::to("shapes").key("k0").payload("hello").headers(headers).timestamp(1_700_000_000_123))
        .unwrap();
    producer.send(BaseRecord::<[u8], str>::to("shapes").payload("no key")).unwrap();
    producer.send(BaseRecord::<str, [u8]>::to("shapes").key("tombstone")).unwrap();
    producer.send(BaseRecord::to("shapes").key(&[0xfe_u8, 0xff][..]).payload("[1, 2, 3]")).unwrap();
    producer.send(BaseRecord::to("shapes").key("long").payload(&"x".repeat(3000))).unwrap();
    flush(&producer);
    let page = setup.consume(json!({"topic": "shapes", "start": {"from": "beginning"}, "message_max_bytes": 1000}));
    let records = page["records"].as_array().unwrap();
    assert_eq!(records.len(), 5);
    let first = &records[0];
    assert_eq!(
        (first["timestamp"].as_i64(), first["timestamp_type"].as_str()),
        (Some(1_700_000_000_123), Some("CREATE_TIME"))
    );
    assert_eq!(first["key"], json!({"format": "STRING", "data": "k0"}));
    assert_eq!(first["value"], json!({"format": "STRING", "data": "hello"}));
    assert_eq!(
        first["headers"],
        json!([{"key": "source", "value": "web"}, {"key": "raw", "value": "/wA=", "base64": true}, {"key": "empty", "value": null}])
    );
    assert_eq!(records[1]["key"], json!({"format": "NULL", "data": null}));
    assert_eq!(records[2]["value"], json!({"format": "NULL", "data": null}));
    assert_eq!(records[3]["key"], json!({"format": "BYTES", "data": "/v8="}));
    assert_eq!(records[3]["value"], json!({"format": "JSON", "data": [1, 2, 3]}));
    let long = &records[4]["value"];
    assert_eq!((long["truncated"].as_bool(), long["size"].as_u64()), (Some(true), Some(3000)));
    assert_eq!(long["data"].as_str().unwrap().len(), 1000);
    let partition = &page["partitions"][0];
    assert_eq!((partition["next_offset"].as_i64(), partition["high_watermark"].as_i64()), (Some(5), Some(5)));
    assert_eq!(partition["at_end"], true);
}

#[test]
fn every_start_begins_where_asked() {
    let mut setup = setup();
    setup.topic("starts", 1);
    let producer = setup.producer("none");
    for n in 0..20i64 {
        producer
            .send(BaseRecord::to("starts").key(&n.to_string()).payload("v").timestamp(1_000_000 + n * 1000))
            .unwrap();
    }
    flush(&producer);
    let offsets = |page: &Value| -> Vec<i64> {
        page["records"].as_array().unwrap().iter().map(|r| r["offset"].as_i64().unwrap()).collect()
    };
    // Default: the last max_records of each partition.
    let page = setup.consume(json!({"topic": "starts", "max_records": 5}));
    assert_eq!(offsets(&page), vec![15, 16, 17, 18, 19]);
    // End: nothing yet, at the end.
    let page = setup.consume(json!({"topic": "starts", "start": {"from": "end"}}));
    assert_eq!((offsets(&page).len(), page["partitions"][0]["at_end"].as_bool()), (0, Some(true)));
    // Offsets.
    let page = setup.consume(json!({"topic": "starts", "start": {"from": "offsets", "offsets": [{"partition": 0, "offset": 7}]}, "max_records": 3}));
    assert_eq!(offsets(&page), vec![7, 8, 9]);
    assert_eq!(page["cursor"]["partitions"][0]["offset"], 10);
    // Timestamp: the first record at or after it, never one before (tansu answers the lookup with
    // offset 0 whatever the time: the sidecar checks the records' own timestamps).
    let page = setup
        .consume(json!({"topic": "starts", "start": {"from": "timestamp", "timestamp": 1_010_500}, "max_records": 2}));
    assert_eq!(offsets(&page), vec![11, 12]);
    let next = setup.consume(json!({"topic": "starts", "cursor": page["cursor"], "max_records": 100}));
    assert_eq!(offsets(&next), (13..20).collect::<Vec<_>>());
    // A cursor at the end (its reader kept, and paused meanwhile) sees the records written later.
    let at_end = setup.consume(json!({"topic": "starts", "cursor": next["cursor"]}));
    assert_eq!((offsets(&at_end).len(), at_end["partitions"][0]["at_end"].as_bool()), (0, Some(true)));
    for n in 20..22i64 {
        producer
            .send(BaseRecord::to("starts").key(&n.to_string()).payload("v").timestamp(1_000_000 + n * 1000))
            .unwrap();
    }
    flush(&producer);
    let later = setup.consume(json!({"topic": "starts", "cursor": at_end["cursor"]}));
    assert_eq!(offsets(&later), vec![20, 21]);
    let page =
        setup.consume(json!({"topic": "starts", "start": {"from": "timestamp", "timestamp": 9_000_000_000_000i64}}));
    assert_eq!(offsets(&page).len(), 0);
    assert_eq!(page["partitions"][0]["nothing_at_or_after_timestamp"], true, "{page}");
}

#[test]
fn filters_run_in_the_sidecar_and_say_what_they_scanned() {
    let mut setup = setup();
    setup.topic("search", 2);
    let producer = setup.producer("lz4");
    for n in 0..1000 {
        let value = if n % 100 == 7 { format!("{{\"note\": \"found the Needle {n}\"}}") } else { format!("hay {n}") };
        let headers =
            OwnedHeaders::new().insert(Header { key: "kind", value: Some(if n % 2 == 0 { "even" } else { "odd" }) });
        producer
            .send(BaseRecord::to("search").partition(n % 2).key(&format!("k{n}")).payload(&value).headers(headers))
            .unwrap();
    }
    flush(&producer);
    let page =
        setup.consume(json!({"topic": "search", "start": {"from": "beginning"}, "filter": {"contains": "NEEDLE"}}));
    let found = page["records"].as_array().unwrap();
    assert_eq!(found.len(), 10, "only the matches are sent");
    assert_eq!(page["scanned"], 1000);
    assert!(found.iter().all(|r| r["value"]["data"]["note"].as_str().unwrap().contains("Needle")));
    let page = setup.consume(json!({"topic": "search", "start": {"from": "beginning"}, "filter": {"key": "k42"}}));
    assert_eq!(page["records"].as_array().unwrap().len(), 1);
    let page = setup.consume(json!({"topic": "search", "start": {"from": "beginning"},
        "filter": {"contains": "needle", "header": {"key": "kind", "value": "odd"}}}));
    assert_eq!(page["records"].as_array().unwrap().len(), 10, "n % 100 == 7 is odd");
}

fn next_notification(sidecar: &mut SidecarProcess, method: &str, subscription: &str) -> Value {
    sidecar
        .wait_for(CALL, |m| m["method"] == method && m["params"]["subscription_id"] == subscription)
        .unwrap_or_else(|| panic!("no {method} for {subscription}"))["params"]
        .clone()
}

#[test]
fn tails_push_new_records_and_end_with_a_reason() {
    let mut setup = setup();
    setup.topic("live", 2);
    let producer = setup.producer("snappy");
    producer.send(BaseRecord::to("live").partition(0).key("old").payload("before the tail")).unwrap();
    flush(&producer);
    let id = setup.id.clone();
    let tail = call(&mut setup.sidecar, "kafka/records/tail", json!({"connection_id": id, "topic": "live"}));
    let subscription = tail["subscription_id"].as_str().unwrap().to_string();
    let filtered = call(
        &mut setup.sidecar,
        "kafka/records/tail",
        json!({"connection_id": id, "topic": "live", "filter": {"contains": "wanted"}}),
    );
    let filtered = filtered["subscription_id"].as_str().unwrap().to_string();
    std::thread::sleep(Duration::from_millis(500));
    for n in 0..5 {
        let value = if n == 3 { "wanted one" } else { "other" };
        producer.send(BaseRecord::to("live").partition(n % 2).key(&format!("new-{n}")).payload(value)).unwrap();
    }
    flush(&producer);
    let mut keys = Vec::new();
    while keys.len() < 5 {
        let batch = next_notification(&mut setup.sidecar, "kafka/records", &subscription);
        keys.extend(
            batch["records"].as_array().unwrap().iter().map(|r| r["key"]["data"].as_str().unwrap().to_string()),
        );
    }
    keys.sort();
    assert_eq!(keys, ["new-0", "new-1", "new-2", "new-3", "new-4"], "only records written after the tail started");
    let batch = next_notification(&mut setup.sidecar, "kafka/records", &filtered);
    assert_eq!(batch["records"].as_array().unwrap().len(), 1);
    assert_eq!(batch["records"][0]["value"]["data"], "wanted one");

    call(&mut setup.sidecar, "kafka/records/untail", json!({"subscription_id": subscription}));
    let ended = next_notification(&mut setup.sidecar, "kafka/tail/ended", &subscription);
    assert_eq!(ended["reason"], "UNTAIL");
    let unknown = refused(&mut setup.sidecar, "kafka/records/untail", json!({"subscription_id": subscription}));
    assert_eq!(unknown["code"], -32041);

    // Deleting the topic through the sidecar ends its tails first.
    call(&mut setup.sidecar, "kafka/topics/delete", json!({"connection_id": id, "topic": "live"}));
    let ended = next_notification(&mut setup.sidecar, "kafka/tail/ended", &filtered);
    assert_eq!(ended["reason"], "TOPIC_DELETED");

    // Deleting the connection ends the rest.
    setup.topic("other", 1);
    let tail = call(
        &mut setup.sidecar,
        "kafka/records/tail",
        json!({"connection_id": id, "topic": "other", "start": {"from": "beginning"}}),
    );
    let last = tail["subscription_id"].as_str().unwrap().to_string();
    call(&mut setup.sidecar, "connections/delete", json!({"id": id}));
    let ended = next_notification(&mut setup.sidecar, "kafka/tail/ended", &last);
    assert_eq!(ended["reason"], "CONNECTION_DELETED");
    assert!(setup.sidecar.is_running());
}

#[test]
fn a_session_runs_at_most_sixteen_tails_and_a_changed_connection_ends_them() {
    let mut setup = setup();
    setup.topic("busy", 1);
    let id = setup.id.clone();
    let mut tails = Vec::new();
    for _ in 0..16 {
        let tail = call(&mut setup.sidecar, "kafka/records/tail", json!({"connection_id": id, "topic": "busy"}));
        tails.push(tail["subscription_id"].as_str().unwrap().to_string());
    }
    let seventeenth = refused(&mut setup.sidecar, "kafka/records/tail", json!({"connection_id": id, "topic": "busy"}));
    assert_eq!(seventeenth["code"], -32042, "{seventeenth}");
    call(&mut setup.sidecar, "kafka/records/untail", json!({"subscription_id": tails[0]}));
    next_notification(&mut setup.sidecar, "kafka/tail/ended", &tails[0]);
    let again = call(&mut setup.sidecar, "kafka/records/tail", json!({"connection_id": id, "topic": "busy"}));
    tails[0] = again["subscription_id"].as_str().unwrap().to_string();
    // A changed spec ends every tail of the connection, each saying so.
    call(&mut setup.sidecar, "connections/patch", json!({"id": id, "patch": {"name": "renamed"}}));
    for tail in &tails {
        let ended = next_notification(&mut setup.sidecar, "kafka/tail/ended", tail);
        assert_eq!(ended["reason"], "CONNECTION_UPDATED", "{ended}");
    }
}

#[test]
fn produce_writes_what_a_real_consumer_reads_and_reports_each_record() {
    let mut setup = setup();
    setup.topic("written", 3);
    let id = setup.id.clone();
    let records = json!([
        {"key": {"data": "k1"}, "value": {"data": "plain text"}, "headers": [{"key": "h", "value": "v"}, {"key": "b", "value": "AAE=", "base64": true}]},
        {"partition": 2, "timestamp": 1_600_000_000_000i64, "key": {"data": {"id": 7}}, "value": {"data": {"amount": 12.5, "items": [1, 2]}}},
        {"key": {"data": "AAEC", "format": "BYTES"}, "value": null},
        {"value": {"data": "not base64!", "format": "BYTES"}},
        {"value": {"data": {"x": 1}, "format": "AVRO"}},
        {"value": {"data": 42, "format": "STRING"}},
        {"partition": 3, "value": {"data": "nowhere"}}
    ]);
    let dry = call(
        &mut setup.sidecar,
        "kafka/records/produce",
        json!({"connection_id": id, "topic": "written", "records": records, "dry_run": true}),
    );
    assert!(dry["records"][0]["offset"].is_null(), "a dry run writes nothing");
    assert_eq!(dry["records"][0]["value_size"], 10);
    let result = call(
        &mut setup.sidecar,
        "kafka/records/produce",
        json!({"connection_id": id, "topic": "written", "records": records}),
    );
    let results = result["records"].as_array().unwrap();
    assert_eq!(results.len(), 7);
    for written in &results[0..3] {
        assert!(written["offset"].as_i64().is_some() && written["error"].is_null(), "{written}");
    }
    assert_eq!(results[1]["partition"], 2);
    assert_eq!(results[1]["timestamp"], 1_600_000_000_000i64);
    assert_eq!(results[3]["error"]["source"], "records[3].value.data");
    assert_eq!(results[4]["error"]["source"], "records[4].value.schema");
    assert!(results[4]["error"]["message"].as_str().unwrap().contains("no Schema Registry"));
    assert_eq!(results[5]["error"]["source"], "records[5].value.data");
    assert_eq!(results[6]["error"]["source"], "records[6].partition");
    let missing = refused(
        &mut setup.sidecar,
        "kafka/records/produce",
        json!({"connection_id": id, "topic": "no-such-topic", "records": [{"value": {"data": "x"}}]}),
    );
    assert_eq!(missing["code"], -32033, "{missing}");

    // Only the three good records were written (the dry run wrote nothing). The sidecar's producer
    // batches, and tansu's high watermark then stops at the last batch's first record: the page still
    // reads every record, because it ends at librdkafka's end of partition, not at the watermark.
    let page = setup.consume(json!({"topic": "written", "start": {"from": "beginning"}}));
    assert_eq!(page["records"].as_array().unwrap().len(), 3, "{page}");
    // A real consumer reads exactly what was written, where the reply said.
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", setup.broker.bootstrap())
        .set("group.id", "check")
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    for partition in 0..3 {
        assignment.add_partition_offset("written", partition, Offset::Beginning).unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut read = BTreeMap::new();
    let deadline = Instant::now() + CALL;
    while read.len() < 3 && Instant::now() < deadline {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) {
            let headers: Vec<(String, Option<Vec<u8>>)> = message
                .headers()
                .map(|h| h.iter().map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec))).collect())
                .unwrap_or_default();
            read.insert(
                (message.partition(), message.offset()),
                (message.key().map(<[u8]>::to_vec), message.payload().map(<[u8]>::to_vec), headers),
            );
        }
    }
    let at = |i: usize| (results[i]["partition"].as_i64().unwrap() as i32, results[i]["offset"].as_i64().unwrap());
    let first = &read[&at(0)];
    assert_eq!((first.0.as_deref(), first.1.as_deref()), (Some(&b"k1"[..]), Some(&b"plain text"[..])));
    assert_eq!(first.2, vec![("h".to_string(), Some(b"v".to_vec())), ("b".to_string(), Some(vec![0, 1]))]);
    let second = &read[&at(1)];
    assert_eq!(
        serde_json::from_slice::<Value>(second.1.as_ref().unwrap()).unwrap(),
        json!({"amount": 12.5, "items": [1, 2]})
    );
    assert_eq!(read[&at(2)].0.as_deref(), Some(&[0u8, 1, 2][..]));
    assert_eq!(read[&at(2)].1, None, "a null value is a tombstone");

    // The same key always lands in the same partition (murmur2, as Java clients place it).
    let same = json!([{"key": {"data": "sticky"}, "value": {"data": "1"}}, {"key": {"data": "sticky"}, "value": {"data": "2"}}]);
    let placed = call(
        &mut setup.sidecar,
        "kafka/records/produce",
        json!({"connection_id": id, "topic": "written", "records": same}),
    );
    assert_eq!(placed["records"][0]["partition"], placed["records"][1]["partition"]);
}

#[test]
fn bad_requests_are_refused_with_the_field_and_change_nothing() {
    let mut setup = setup();
    setup.topic("checked", 2);
    let id = setup.id.clone();
    let before = call(&mut setup.sidecar, "connections/get", json!({"id": id}))["spec"].clone();
    let cases = [
        ("kafka/records/consume", json!({"topic": "checked", "max_records": 0}), "max_records"),
        ("kafka/records/consume", json!({"topic": "checked", "max_records": 10_001}), "max_records"),
        ("kafka/records/consume", json!({"topic": "checked", "message_max_bytes": 99_999_999}), "message_max_bytes"),
        ("kafka/records/consume", json!({"topic": "checked", "partitions": [5]}), "partitions"),
        ("kafka/records/consume", json!({"topic": "checked", "partitions": [-1]}), "partitions[0]"),
        ("kafka/records/consume", json!({"topic": "checked", "start": {"from": "timestamp"}}), "start.timestamp"),
        ("kafka/records/consume", json!({"topic": "checked", "start": {"from": "sideways"}}), "start.from"),
        (
            "kafka/records/consume",
            json!({"topic": "checked", "start": {"from": "end"}, "cursor": {"topic": "checked", "partitions": []}}),
            "cursor",
        ),
        (
            "kafka/records/consume",
            json!({"topic": "checked", "cursor": {"topic": "other", "partitions": [{"partition": 0, "offset": 0}]}}),
            "cursor.topic",
        ),
        ("kafka/records/consume", json!({"topic": "checked", "filter": {"contains": ""}}), "filter.contains"),
        ("kafka/records/consume", json!({"topic": "bad name!"}), "topic"),
        ("kafka/records/tail", json!({"topic": "checked", "partitions": [0, 0]}), "partitions[1]"),
        ("kafka/records/produce", json!({"topic": "checked", "records": []}), "records"),
        (
            "kafka/records/produce",
            json!({"topic": "checked", "records": vec![json!({"value": {"data": "x"}}); 10_001]}),
            "records",
        ),
        ("kafka/records/produce", json!({"topic": "checked", "records": [{"partition": -2}]}), "records[0].partition"),
        (
            "kafka/records/produce",
            json!({"topic": "checked", "records": [{"headers": [{"key": "h", "value": 5}]}]}),
            "records[0].headers[0].value",
        ),
    ];
    for (method, mut params, source) in cases {
        params["connection_id"] = json!(id);
        let error = refused(&mut setup.sidecar, method, params.clone());
        assert_eq!(error["code"], -32602, "{method} {params}: {error}");
        let sources: Vec<&str> =
            error["data"]["errors"].as_array().unwrap().iter().map(|e| e["source"].as_str().unwrap()).collect();
        assert!(sources.contains(&source), "{method} {params}: {sources:?}");
    }
    let missing =
        refused(&mut setup.sidecar, "kafka/records/consume", json!({"connection_id": id, "topic": "nowhere"}));
    assert_eq!(missing["code"], -32033, "{missing}");
    let unknown =
        refused(&mut setup.sidecar, "kafka/records/consume", json!({"connection_id": "nope", "topic": "checked"}));
    assert_eq!(unknown["code"], -32010);
    assert_eq!(call(&mut setup.sidecar, "connections/get", json!({"id": id}))["spec"], before);
    assert!(setup.sidecar.is_running());
}

#[test]
fn a_cancelled_search_stops() {
    let mut setup = setup();
    setup.topic("haystack", 1);
    let producer = setup.producer("none");
    for n in 0..20_000 {
        producer.send(BaseRecord::to("haystack").key(&format!("{n}")).payload(&"hay ".repeat(50))).unwrap();
    }
    flush(&producer);
    let id = setup.id.clone();
    setup.sidecar.send(&json!({"jsonrpc": "2.0", "id": 9001, "method": "kafka/records/consume", "params":
        {"connection_id": id, "topic": "haystack", "start": {"from": "beginning"}, "filter": {"contains": "needle"}, "max_records": 1}}));
    setup.sidecar.notify("$/cancelRequest", json!({"id": 9001}));
    let reply = setup.sidecar.response_to(&json!(9001), CALL).expect("a reply to the cancelled request");
    assert_eq!(reply["error"]["code"], -32800, "{reply}");
    // The sidecar goes on answering.
    let page = setup.consume(json!({"topic": "haystack", "max_records": 1}));
    assert_eq!(page["records"][0]["offset"], 19_999);
}

#[test]
fn a_topic_the_credentials_may_not_read_is_refused_in_kafkas_words() {
    use rdkafka::mocking::MockCluster;
    use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("secret", 1, 1).unwrap();
    cluster.create_topic("fenced", 1, 1).unwrap();
    let producer: BaseProducer =
        ClientConfig::new().set("bootstrap.servers", cluster.bootstrap_servers()).create().unwrap();
    producer.send(BaseRecord::to("fenced").key("k").payload("v")).unwrap();
    flush(&producer);
    let mut sidecar = start(json!({"check_timeout_seconds": 5}));
    let id = create(&mut sidecar, kafka_spec("mock", &cluster.bootstrap_servers()))["id"].as_str().unwrap().to_string();
    // The metadata says so.
    cluster.topic_error("secret", RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED).unwrap();
    let denied = refused(&mut sidecar, "kafka/records/consume", json!({"connection_id": id, "topic": "secret"}));
    assert_eq!(denied["code"], -32037, "{denied}");
    assert!(denied["message"].as_str().unwrap().contains("ACL"), "{denied}");
    // The fetch says so.
    cluster.request_errors(RDKafkaApiKey::Fetch, &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED; 20]);
    let denied = refused(
        &mut sidecar,
        "kafka/records/consume",
        json!({"connection_id": id, "topic": "fenced", "start": {"from": "beginning"}}),
    );
    assert_eq!(denied["code"], -32037, "{denied}");
    assert!(sidecar.is_running());
}

#[test]
fn a_kept_reader_at_the_end_still_sees_records_written_since() {
    let mut setup = setup();
    setup.topic("quiet", 2);
    // The empty topic's page answers at once; its reader is kept, and its end-of-partition events
    // arrive after the answer.
    let empty = setup.consume(json!({"topic": "quiet", "start": {"from": "beginning"}}));
    assert_eq!(empty["records"].as_array().unwrap().len(), 0);
    std::thread::sleep(Duration::from_millis(500));
    let producer = setup.producer("none");
    for partition in 0..2 {
        producer.send(BaseRecord::to("quiet").partition(partition).key("k").payload("written later")).unwrap();
    }
    flush(&producer);
    let page = setup.consume(json!({"topic": "quiet", "start": {"from": "beginning"}}));
    assert_eq!(page["records"].as_array().unwrap().len(), 2, "{page}");
    // Pages of one: a cursor at a partition's cached end is planned afresh, so nothing is skipped.
    for partition in 0..2 {
        producer.send(BaseRecord::to("quiet").partition(partition).key("k").payload("and more")).unwrap();
    }
    flush(&producer);
    assert_eq!(page_all(&mut setup, "quiet", json!({"from": "beginning"}), 1).len(), 4);
}

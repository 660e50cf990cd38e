//! The Kafka data plane end to end over stdio against a real broker (tansu): topics, consumer groups
//! with lag, offset resets and live lag, with a real producer and a real consumer group beside the
//! sidecar; and the errors a user can act on.

mod support;

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use serde_json::{json, Value};
use support::*;

fn options() -> Value {
    json!({"check_timeout_seconds": 10, "direct": {"refresh_interval_seconds": 1}})
}

/// Writes records one batch each: tansu 0.6 reports a partition's high watermark as its last batch's
/// base offset + 1 (confluent-kafka's `get_watermark_offsets` sees the same), so batches of one
/// keep the offsets exact.
fn produce(bootstrap: &str, topic: &str, per_partition: &[(i32, usize)]) {
    let producer: BaseProducer = ClientConfig::new().set("bootstrap.servers", bootstrap).create().expect("a producer");
    for (partition, count) in per_partition {
        for n in 0..*count {
            let payload = format!("record {n}");
            let key = format!("key-{partition}-{n}");
            producer
                .send(BaseRecord::to(topic).partition(*partition).key(&key).payload(&payload))
                .expect("the record is queued");
            producer.flush(Duration::from_secs(20)).expect("the record is written");
        }
    }
}

fn consumer(bootstrap: &str, group: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("a consumer")
}

/// Reads `count` records of `topic` in `group` as a member of the group, commits `commits`
/// (partition, offset), and leaves the group.
fn consume_and_commit(bootstrap: &str, topic: &str, group: &str, count: usize, commits: &[(i32, i64)]) {
    let consumer = consumer(bootstrap, group);
    consumer.subscribe(&[topic]).expect("subscribed");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut read = 0;
    while read < count {
        assert!(Instant::now() < deadline, "timed out consuming {count} records of {topic} (read {read})");
        if let Some(message) = consumer.poll(Duration::from_millis(200)) {
            assert!(message.expect("a record").payload().is_some());
            read += 1;
        }
    }
    let mut offsets = TopicPartitionList::new();
    for (partition, offset) in commits {
        offsets.add_partition_offset(topic, *partition, Offset::Offset(*offset)).unwrap();
    }
    consumer.commit(&offsets, CommitMode::Sync).expect("committed");
    consumer.unsubscribe();
    drop(consumer);
}

fn lag_events(sidecar: &mut SidecarProcess, watch_id: &str, window: Duration) -> Vec<Value> {
    let all = sidecar.drain(window);
    let (lag, others): (Vec<Value>, Vec<Value>) =
        all.into_iter().partition(|m| m["method"] == "kafka/lag" && m["params"]["watch_id"] == watch_id);
    sidecar.backlog.extend(others);
    lag.into_iter().map(|m| m["params"].clone()).collect()
}

fn next_lag(sidecar: &mut SidecarProcess, watch_id: &str, timeout: Duration) -> Value {
    sidecar
        .wait_for(timeout, |m| m["method"] == "kafka/lag" && m["params"]["watch_id"] == watch_id)
        .unwrap_or_else(|| panic!("no kafka/lag for {watch_id} within {timeout:?}"))["params"]
        .clone()
}

fn code(error: &Value) -> i64 {
    error["code"].as_i64().unwrap_or_default()
}

#[test]
fn topics_groups_lag_and_resets_against_a_real_broker() {
    let broker = Tansu::start();
    let bootstrap = broker.bootstrap();
    let mut sidecar = start(options());
    create(
        &mut sidecar,
        json!({"id": "k", "name": "tansu", "type": "DIRECT",
        "kafka_cluster": {"bootstrap_servers": bootstrap, "ssl": {"enabled": false}}}),
    );
    let target = |extra: Value| {
        let mut params = json!({"connection_id": "k"});
        params.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        params
    };

    // Topics: create, refuse a duplicate, list, describe.
    let created = call(&mut sidecar, "kafka/topics/create", target(json!({"topic": "orders", "partitions": 3})));
    assert_eq!(created, json!({"name": "orders", "validate_only": false}));
    call(&mut sidecar, "kafka/topics/create", target(json!({"topic": "audit", "partitions": 1})));
    let duplicate = refused(&mut sidecar, "kafka/topics/create", target(json!({"topic": "orders", "partitions": 3})));
    assert_eq!(code(&duplicate), -32034, "{duplicate}");
    assert_eq!(duplicate["data"]["error"], "TOPIC_ALREADY_EXISTS", "{duplicate}");
    assert_eq!(duplicate["data"]["operation"], "CreateTopics");
    assert!(duplicate["message"].as_str().unwrap().contains("'orders'"), "{duplicate}");

    let listed = call(&mut sidecar, "kafka/topics/list", target(json!({})));
    let names: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"orders") && names.contains(&"audit"), "{listed}");
    assert!(names.windows(2).all(|pair| pair[0] <= pair[1]), "sorted by name: {names:?}");
    assert!(names.iter().all(|name| !name.starts_with("__")), "no internal topics unless asked: {names:?}");
    let orders = listed["data"].as_array().unwrap().iter().find(|t| t["name"] == "orders").unwrap();
    assert_eq!(orders, &json!({"name": "orders", "partitions_count": 3, "replication_factor": 1, "internal": false}));

    produce(&bootstrap, "orders", &[(0, 4), (1, 3), (2, 3)]);
    let described = call(&mut sidecar, "kafka/topics/describe", target(json!({"topic": "orders"})));
    let partitions = described["partitions"].as_array().unwrap();
    assert_eq!(partitions.len(), 3, "{described}");
    let latest: Vec<i64> = partitions.iter().map(|p| p["latest_offset"].as_i64().unwrap()).collect();
    assert_eq!(latest, [4, 3, 3], "{described}");
    assert!(partitions.iter().all(|p| p["earliest_offset"] == 0 && p["leader"].as_i64().unwrap() >= 0), "{described}");
    assert!(partitions.iter().all(|p| p["replicas"].as_array().unwrap().len() == 1), "{described}");

    // A real consumer group reads the 10 records, commits 6 of them (2 per partition), and leaves.
    consume_and_commit(&bootstrap, "orders", "billing", 10, &[(0, 2), (1, 2), (2, 2)]);
    let groups = call(&mut sidecar, "kafka/groups/list", target(json!({})));
    let billing = groups["data"].as_array().unwrap().iter().find(|g| g["group_id"] == "billing").cloned();
    let billing = billing.unwrap_or_else(|| panic!("billing is listed: {groups}"));
    assert_eq!(billing["members_count"], 0, "{billing}");
    let group = call(&mut sidecar, "kafka/groups/describe", target(json!({"group_id": "billing"})));
    assert_eq!(group["total_lag"], 4, "10 written, 6 committed: {group}");
    assert_eq!(group["members"], json!([]), "{group}");
    let sum: i64 = group["partitions"].as_array().unwrap().iter().map(|p| p["lag"].as_i64().unwrap()).sum();
    assert_eq!(sum, 4);

    // Live lag: the first reading, then silence while nothing changes, then the producer's news.
    let watch = call(&mut sidecar, "kafka/lag/watch", target(json!({"group_ids": ["billing"], "interval_ms": 500})));
    let watch_id = watch["watch_id"].as_str().unwrap().to_string();
    let first = next_lag(&mut sidecar, &watch_id, CALL);
    assert_eq!((first["group_id"].clone(), first["total_lag"].clone()), (json!("billing"), json!(4)), "{first}");
    let quiet = lag_events(&mut sidecar, &watch_id, Duration::from_millis(2_000));
    assert!(quiet.is_empty(), "nothing changed, nothing is pushed: {quiet:?}");
    produce(&bootstrap, "orders", &[(1, 5)]);
    // Each push is news: the lag grows with every record until it reaches 9 (4 + 5).
    let mut last = 4;
    while last < 9 {
        let news = next_lag(&mut sidecar, &watch_id, CALL);
        let total = news["total_lag"].as_i64().unwrap();
        assert!(total > last && total <= 9, "{news}");
        last = total;
    }

    // Resets: a dry run changes nothing; the real one moves the group back to the start.
    let dry = call(
        &mut sidecar,
        "kafka/groups/resetOffsets",
        target(json!({"group_id": "billing", "topic": "orders", "to": "earliest", "dry_run": true})),
    );
    assert_eq!(dry["dry_run"], true);
    assert!(dry["partitions"].as_array().unwrap().iter().all(|p| p["new_offset"] == 0), "{dry}");
    let committed_before: i64 =
        dry["partitions"].as_array().unwrap().iter().map(|p| p["old_offset"].as_i64().unwrap_or(0)).sum();
    assert_eq!(committed_before, 6, "{dry}");
    let unchanged = call(&mut sidecar, "kafka/groups/describe", target(json!({"group_id": "billing"})));
    assert_eq!(unchanged["total_lag"], 9, "a dry run commits nothing: {unchanged}");
    let reset = call(
        &mut sidecar,
        "kafka/groups/resetOffsets",
        target(json!({"group_id": "billing", "topic": "orders", "to": "earliest"})),
    );
    assert_eq!(reset["dry_run"], false);
    let after = call(&mut sidecar, "kafka/groups/describe", target(json!({"group_id": "billing"})));
    assert_eq!(after["total_lag"], 15, "{after}");
    assert_eq!(next_lag(&mut sidecar, &watch_id, CALL)["total_lag"], 15, "the watch hears of the reset");
    let to_offsets = call(
        &mut sidecar,
        "kafka/groups/resetOffsets",
        target(json!({"group_id": "billing", "topic": "orders", "to": {"offsets": [{"partition": 1, "offset": 8}]}})),
    );
    assert_eq!(to_offsets["partitions"], json!([{"partition": 1, "old_offset": 0, "new_offset": 8}]));
    let past_end = refused(
        &mut sidecar,
        "kafka/groups/resetOffsets",
        target(json!({"group_id": "billing", "topic": "orders", "to": {"offsets": [{"partition": 0, "offset": 99}]}})),
    );
    assert_eq!(code(&past_end), -32038, "{past_end}");
    assert!(past_end["message"].as_str().unwrap().contains("0 to 4"), "{past_end}");
    let latest_reset = call(
        &mut sidecar,
        "kafka/groups/resetOffsets",
        target(json!({"group_id": "billing", "topic": "orders", "to": "latest", "partitions": [0]})),
    );
    assert_eq!(latest_reset["partitions"], json!([{"partition": 0, "old_offset": 0, "new_offset": 4}]));

    // A group with a member cannot be reset.
    let member = consumer(&bootstrap, "billing");
    member.subscribe(&["orders"]).unwrap();
    wait_until("the consumer to join billing", CALL, || {
        member.poll(Duration::from_millis(100));
        let group = call(&mut sidecar, "kafka/groups/describe", target(json!({"group_id": "billing"})));
        !group["members"].as_array().unwrap().is_empty()
    });
    let busy = refused(
        &mut sidecar,
        "kafka/groups/resetOffsets",
        target(json!({"group_id": "billing", "topic": "orders", "to": "earliest"})),
    );
    assert_eq!(code(&busy), -32036, "{busy}");
    assert!(busy["message"].as_str().unwrap().contains("active member"), "{busy}");
    // (tansu 0.6 describes a member without its client id, host or assignment, so the assignment's
    // decoding is tested on the consumer protocol's bytes, in src/backends/kafka/data.rs.)
    drop(member);

    // What a user can act on, each with its own code.
    let missing_topic = refused(&mut sidecar, "kafka/topics/describe", target(json!({"topic": "nope"})));
    assert_eq!(code(&missing_topic), -32033, "{missing_topic}");
    let missing_group = refused(&mut sidecar, "kafka/groups/describe", target(json!({"group_id": "nobody"})));
    assert_eq!(code(&missing_group), -32035, "{missing_group}");
    let delete_missing = refused(&mut sidecar, "kafka/topics/delete", target(json!({"topic": "nope"})));
    assert_eq!(code(&delete_missing), -32033, "{delete_missing}");

    // Configs: set one, read it back in describe.
    call(
        &mut sidecar,
        "kafka/topics/alterConfigs",
        target(json!({"topic": "orders", "set": {"retention.ms": "3600000"}})),
    );
    let described = call(&mut sidecar, "kafka/topics/describe", target(json!({"topic": "orders"})));
    let retention = described["configs"].as_array().unwrap().iter().find(|c| c["name"] == "retention.ms").cloned();
    assert_eq!(retention.map(|c| c["value"].clone()), Some(json!("3600000")), "{described}");
    // (tansu 0.6 also accepts configs for a topic that does not exist: no refusal to check there.)
    // (tansu 0.6 creates the topic even with validate_only, so only the reply is checked here.)
    let validated = call(
        &mut sidecar,
        "kafka/topics/create",
        target(
            json!({"topic": "checked", "partitions": 2, "validate_only": true, "configs": {"cleanup.policy": "compact"}}),
        ),
    );
    assert_eq!(validated, json!({"name": "checked", "validate_only": true}));

    // Deleting a topic.
    call(&mut sidecar, "kafka/topics/delete", target(json!({"topic": "audit"})));
    let listed = call(&mut sidecar, "kafka/topics/list", target(json!({})));
    assert!(!listed["data"].as_array().unwrap().iter().any(|t| t["name"] == "audit"), "{listed}");

    // Deleting the connection ends its watch, and says so.
    call(&mut sidecar, "connections/delete", json!({"id": "k"}));
    let ended = sidecar
        .wait_for(CALL, |m| m["method"] == "kafka/lag/ended")
        .expect("kafka/lag/ended after the connection was deleted");
    assert_eq!(ended["params"]["watch_id"], watch_id.as_str());
    assert!(ended["params"]["reason"].as_str().unwrap().contains("deleted"), "{ended}");
    let gone = refused(&mut sidecar, "kafka/lag/unwatch", json!({"watch_id": watch_id}));
    assert_eq!(code(&gone), -32040, "{gone}");
    assert!(sidecar.shutdown().is_some_and(|status| status.success()));
}

#[test]
fn bad_params_name_the_field_and_change_nothing() {
    let broker = Tansu::start();
    let mut sidecar = start(options());
    create(&mut sidecar, kafka_spec("tansu", &broker.bootstrap()));
    let id =
        sidecar.request("connections/list", json!({}), CALL).unwrap()["data"][0]["id"].as_str().unwrap().to_string();
    let before = call(&mut sidecar, "connections/get", json!({"id": id}));
    let cases = [
        ("kafka/topics/create", json!({"connection_id": id, "topic": "t", "partitions": -1}), "partitions"),
        (
            "kafka/topics/create",
            json!({"connection_id": id, "topic": "t", "replication_factor": 0}),
            "replication_factor",
        ),
        ("kafka/topics/create", json!({"connection_id": id, "topic": ""}), "topic"),
        ("kafka/topics/create", json!({"connection_id": id, "topic": "has space"}), "topic"),
        ("kafka/topics/create", json!({"connection_id": id, "topic": "t", "partitions": "three"}), "partitions"),
        ("kafka/topics/describe", json!({"connection_id": id}), "topic"),
        ("kafka/topics/alterConfigs", json!({"connection_id": id, "topic": "t"}), "set"),
        ("kafka/groups/describe", json!({"connection_id": id, "group_id": ""}), "group_id"),
        (
            "kafka/groups/resetOffsets",
            json!({"connection_id": id, "group_id": "g", "topic": "t", "to": "sideways"}),
            "to",
        ),
        (
            "kafka/groups/resetOffsets",
            json!({"connection_id": id, "group_id": "g", "topic": "t", "to": {"offsets": [{"partition": 0, "offset": -5}]}}),
            "to.offsets[0].offset",
        ),
        (
            "kafka/groups/resetOffsets",
            json!({"connection_id": id, "group_id": "g", "topic": "t", "to": "earliest", "partitions": [1, 1]}),
            "partitions[1]",
        ),
        ("kafka/lag/watch", json!({"connection_id": id, "group_ids": []}), "group_ids"),
        ("kafka/lag/watch", json!({"connection_id": id, "group_ids": ["g"], "interval_ms": 10}), "interval_ms"),
        ("kafka/topics/list", json!({"connection_id": id, "timeout_ms": 0}), "timeout_ms"),
        ("kafka/topics/list", json!({}), "connection_id"),
    ];
    for (method, params, field) in cases {
        let error = refused(&mut sidecar, method, params.clone());
        assert_eq!(code(&error), -32602, "{method} {params}: {error}");
        let sources: Vec<&str> =
            error["data"]["errors"].as_array().unwrap().iter().map(|e| e["source"].as_str().unwrap()).collect();
        assert!(sources.contains(&field), "{method} {params}: {field} not in {sources:?}");
    }
    let unknown = refused(&mut sidecar, "kafka/topics/list", json!({"connection_id": "nobody"}));
    assert_eq!(code(&unknown), -32010, "{unknown}");
    let wrong_cluster =
        refused(&mut sidecar, "kafka/topics/list", json!({"connection_id": id, "cluster_id": "another-cluster"}));
    assert_eq!(code(&wrong_cluster), -32602, "{wrong_cluster}");
    assert!(wrong_cluster["message"].as_str().unwrap().contains("sidecar-test-cluster"), "{wrong_cluster}");
    call(&mut sidecar, "kafka/topics/list", json!({"connection_id": id, "cluster_id": "sidecar-test-cluster"}));
    let after = call(&mut sidecar, "connections/get", json!({"id": id}));
    assert_eq!(before["spec"], after["spec"], "nothing a data-plane request does changes the connection");
    // Nothing was created by the refused requests.
    let listed = call(&mut sidecar, "kafka/topics/list", json!({"connection_id": id}));
    assert_eq!(listed["data"], json!([]), "{listed}");
    assert!(sidecar.is_running());
}

#[test]
fn targets_the_data_plane_cannot_reach_say_why() {
    let mut sidecar = start(options());
    let port = closed_port();
    create(
        &mut sidecar,
        json!({"id": "down", "name": "down", "type": "DIRECT",
        "kafka_cluster": {"bootstrap_servers": format!("127.0.0.1:{port}"), "ssl": {"enabled": false}}}),
    );
    create(
        &mut sidecar,
        json!({"id": "sr", "name": "registry only", "type": "DIRECT",
        "schema_registry": {"uri": "http://127.0.0.1:1"}}),
    );
    create(&mut sidecar, json!({"id": "cloud", "name": "cloud", "type": "CCLOUD"}));

    let down = refused(&mut sidecar, "kafka/topics/list", json!({"connection_id": "down", "timeout_ms": 3000}));
    assert_eq!(code(&down), -32030, "{down}");
    // The same words as the connection's status.
    let status = sidecar
        .wait_for(CALL, |m| {
            m["method"] == "connections/event"
                && m["params"]["connection"]["id"] == "down"
                && m["params"]["connection"]["status"]["kafka_cluster"]["state"] == "FAILED"
        })
        .expect("the connection fails");
    let status_message = status["params"]["connection"]["status"]["kafka_cluster"]["errors"]["auth_status_check"]
        ["message"]
        .as_str()
        .unwrap()
        .to_string();
    let message = down["message"].as_str().unwrap();
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    let first_words = |text: &str| text.split(':').next().unwrap_or_default().to_string();
    assert_eq!(first_words(message), first_words(&status_message), "{message} vs {status_message}");

    let none = refused(&mut sidecar, "kafka/groups/list", json!({"connection_id": "sr"}));
    assert_eq!(code(&none), -32031, "{none}");
    let cloud = refused(&mut sidecar, "kafka/topics/list", json!({"connection_id": "cloud"}));
    // A CCLOUD connection reaches its clusters through its session (tests/ccloud_data.rs): without one, it says so.
    assert_eq!(code(&cloud), -32022, "{cloud}");
    assert_eq!(cloud["message"], "Connection 'cloud' is not signed in to Confluent Cloud: sign in with ccloud/signIn");
    assert!(sidecar.shutdown().is_some_and(|status| status.success()));
}

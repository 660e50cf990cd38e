//! The data plane on Confluent Cloud clusters, end to end: the real binary signs in through the fake
//! Confluent Cloud, lists the resources, then works on a cluster named by `cluster_id` through the
//! fake's Kafka REST v3 surface and the environment's Schema Registry (both taking only the
//! session's data-plane token, the registry only with its `target-sr-cluster`), and fails in the
//! session's words once the session has expired.

mod support;

use serde_json::{json, Value};
use support::ccloud::data::{reachable_catalog, Cluster, Group, Topic};
use support::ccloud::resources;
use support::ccloud::*;
use support::*;

const AVRO: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"},{"name":"item","type":"string"}]}"#;

struct Cloud {
    sidecar: SidecarProcess,
    fake: FakeCCloud,
}

impl Cloud {
    /// Signed in as connection `cloud`, with the clusters of [`reachable_catalog`] served by the fake:
    /// `lkc-prod1` holds topic `orders` (2 partitions) and group `billing`.
    fn start() -> Self {
        Self::start_logging_to(None)
    }

    /// As [`Cloud::start`], with the sidecar's trace-level logs written to `log` when given.
    fn start_logging_to(log: Option<&std::path::Path>) -> Self {
        let port = free_port();
        let fake = FakeCCloud::start(port);
        fake.set_catalog(reachable_catalog(&fake.base(), ORG_DEFAULT));
        fake.data(|data| {
            let mut prod = Cluster::default();
            prod.topics.insert("orders".into(), Topic { partitions: vec![Vec::new(), Vec::new()], ..Topic::default() });
            prod.groups.insert(
                "billing".into(),
                Group {
                    consumers: vec![("consumer-1".into(), "billing-app".into())],
                    committed: vec![("orders".into(), 0, 0, "consumer-1".into())],
                },
            );
            data.clusters.insert("lkc-prod1".into(), prod);
            data.clusters.insert("lkc-prod2".into(), Cluster::default());
            data.clusters.insert("lkc-dev1".into(), Cluster::default());
        });
        let options = json!({"check_timeout_seconds": 5, "ccloud": fake.options(port)});
        let sidecar = match log {
            None => start(options),
            Some(log) => {
                let mut command = command("trace");
                command.stderr(std::fs::File::create(log).unwrap());
                let mut sidecar = SidecarProcess::spawn(command).unwrap();
                sidecar.initialize(options);
                sidecar
            }
        };
        let mut cloud = Cloud { sidecar, fake };
        create(&mut cloud.sidecar, json!({"id": "cloud", "name": "Cloud", "type": "CCLOUD"}));
        let result = cloud.sidecar.request("ccloud/signIn", json!({"id": "cloud"}), WAIT).expect("ccloud/signIn");
        let page = follow_sign_in(result["sign_in_uri"].as_str().unwrap());
        assert_eq!(page.status, 200, "{}", page.body);
        cloud.until("SUCCESS");
        cloud
    }

    fn until(&mut self, wanted: &str) -> Value {
        let events = events_until(&mut self.sidecar, "cloud", &format!("ccloud {wanted}"), |event| {
            state(&event["connection"], "ccloud") == wanted
        });
        events.last().unwrap()["connection"].clone()
    }

    /// A request on `lkc-prod1` of connection `cloud`, with `params` added.
    fn call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let mut full = json!({"connection_id": "cloud", "cluster_id": "lkc-prod1"});
        for (key, value) in params.as_object().unwrap() {
            full[key] = value.clone();
        }
        self.sidecar.request(method, full, WAIT)
    }

    fn ok(&mut self, method: &str, params: Value) -> Value {
        self.call(method, params).unwrap_or_else(|error| panic!("{method}: {error}"))
    }

    fn assert_no_refusals(&self) {
        assert_eq!(self.fake.refusals(), Vec::<String>::new(), "the fake refused requests the sidecar made");
    }
}

fn code(error: &Value) -> i64 {
    error["code"].as_i64().unwrap_or_default()
}

fn message(error: &Value) -> String {
    error["message"].as_str().unwrap_or_default().to_string()
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|topic| topic["name"].as_str().unwrap()).collect()
}

#[test]
fn topics_records_groups_and_schemas_on_a_cloud_cluster_then_the_session_expires() {
    let mut cloud = Cloud::start();
    let resources = cloud.sidecar.request("ccloud/resources", json!({"connection_id": "cloud"}), WAIT).unwrap();
    assert_eq!(resources["environments"][0]["kafka_clusters"][0]["rest_endpoint"], cloud.fake.base());

    // Topics.
    assert_eq!(names(&cloud.ok("kafka/topics/list", json!({}))["data"]), ["orders"]);
    let created = cloud.ok(
        "kafka/topics/create",
        json!({"topic": "events", "partitions": 2, "configs": {"cleanup.policy": "compact"}}),
    );
    assert_eq!(created, json!({"name": "events", "validate_only": false}));
    let again = cloud.call("kafka/topics/create", json!({"topic": "events"})).unwrap_err();
    assert_eq!(code(&again), -32034, "{again}");
    assert_eq!(again["data"]["error"], "40002", "REST's own error code in data: {again}");
    assert_eq!(again["data"]["message"], "Topic 'events' already exists.");
    let listed = cloud.ok("kafka/topics/list", json!({}));
    assert_eq!(
        listed["data"][0],
        json!({"name": "events", "partitions_count": 2, "replication_factor": 3, "internal": false})
    );
    cloud.ok("kafka/topics/alterConfigs", json!({"topic": "events", "set": {"retention.ms": "60000"}}));
    let described = cloud.ok("kafka/topics/describe", json!({"topic": "events"}));
    assert_eq!(described["partitions"].as_array().unwrap().len(), 2);
    assert_eq!(described["partitions"][1]["earliest_offset"], 0);
    assert_eq!(described["partitions"][1]["latest_offset"], 0);
    assert_eq!(described["partitions"][1]["leader"], 0);
    assert_eq!(described["partitions"][1]["replicas"], json!([0, 1, 2]));
    assert_eq!(described["partitions"][1]["isr"], json!([0, 1]), "broker 2 is out of sync in the fake");
    let configs: Vec<(&str, &str)> = described["configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["value"].as_str().unwrap()))
        .collect();
    assert_eq!(configs, [("cleanup.policy", "compact"), ("retention.ms", "60000")]);
    let missing = cloud.call("kafka/topics/describe", json!({"topic": "nope"})).unwrap_err();
    assert_eq!(code(&missing), -32033, "an unknown topic keeps the native code: {missing}");
    assert_eq!(missing["data"]["error"], "40403");

    // Schemas: the environment's registry, reached through a Kafka cluster id or the registry's own.
    let registered =
        cloud.ok("schemas/register", json!({"subject": "events-value", "schema_type": "AVRO", "schema": AVRO}));
    let id = registered["id"].as_u64().unwrap();
    let subjects = cloud.ok("schemas/subjects/list", json!({"cluster_id": "lsrc-prod1"}));
    assert_eq!(subjects["data"], json!(["events-value"]), "{subjects}");
    let schema = cloud.ok("schemas/get", json!({"subject": "events-value", "version": "latest"}));
    assert_eq!(schema["id"].as_u64(), Some(id));
    let no_registry = cloud.call("schemas/subjects/list", json!({"cluster_id": "lkc-dev1"})).unwrap_err();
    assert_eq!(code(&no_registry), -32050, "env-dev has no registry: {no_registry}");

    // Records: produce (Avro serialized in the sidecar, sent as BINARY), then read them back decoded.
    let produced = cloud.ok(
        "kafka/records/produce",
        json!({"topic": "events", "records": [
            {"partition": 0, "key": {"data": "order-1"}, "headers": [{"key": "source", "value": "test"}],
                "value": {"data": {"id": 7, "item": "tea"}, "schema": {"subject": "events-value"}}},
            {"partition": 1, "timestamp": 1_700_000_123_456_i64, "value": {"data": {"plain": true}}},
            {"partition": 0, "value": {"data": "second"}}
        ]}),
    );
    let written: Vec<(i64, i64)> = produced["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["partition"].as_i64().unwrap(), r["offset"].as_i64().unwrap()))
        .collect();
    assert_eq!(written, [(0, 0), (1, 0), (0, 1)], "{produced}");
    assert_eq!(produced["records"][1]["timestamp"], 1_700_000_123_456_i64);

    let page = cloud.ok("kafka/records/consume", json!({"topic": "events", "start": {"from": "beginning"}}));
    let records = page["records"].as_array().unwrap();
    assert_eq!(records.len(), 3, "{page}");
    assert_eq!(records[0]["value"], json!({"format": "AVRO", "data": {"id": 7, "item": "tea"}, "schema_id": id}));
    assert_eq!(records[0]["key"], json!({"format": "STRING", "data": "order-1"}));
    assert_eq!(records[0]["headers"], json!([{"key": "source", "value": "test"}]));
    assert_eq!(records[1]["value"], json!({"format": "STRING", "data": "second"}));
    assert_eq!(records[2]["value"], json!({"format": "JSON", "data": {"plain": true}}));
    assert_eq!(records[2]["timestamp"], 1_700_000_123_456_i64);
    assert_eq!(
        page["cursor"],
        json!({"topic": "events", "partitions": [{"partition": 0, "offset": 2}, {"partition": 1, "offset": 1}]})
    );
    assert!(page["partitions"].as_array().unwrap().iter().all(|p| p["at_end"] == true), "{page}");

    // Paging: one record a page, the cursor carrying the position, until the end.
    let mut seen = Vec::new();
    let mut params = json!({"topic": "events", "max_records": 1, "start": {"from": "beginning"}});
    for _ in 0..5 {
        let page = cloud.ok("kafka/records/consume", params.clone());
        for record in page["records"].as_array().unwrap() {
            seen.push((record["partition"].as_i64().unwrap(), record["offset"].as_i64().unwrap()));
        }
        if page["partitions"].as_array().unwrap().iter().all(|p| p["at_end"] == true) {
            break;
        }
        params = json!({"topic": "events", "max_records": 1, "cursor": page["cursor"]});
    }
    seen.sort_unstable();
    assert_eq!(seen, [(0, 0), (0, 1), (1, 0)]);
    let filtered = cloud.ok(
        "kafka/records/consume",
        json!({"topic": "events", "start": {"from": "beginning"}, "filter": {"contains": "TEA"}}),
    );
    assert_eq!(filtered["records"].as_array().unwrap().len(), 1, "{filtered}");
    assert_eq!(filtered["scanned"], 3);

    // Consumer groups.
    cloud
        .ok("kafka/records/produce", json!({"topic": "orders", "records": [{"partition": 0, "value": {"data": "x"}}]}));
    let groups = cloud.ok("kafka/groups/list", json!({}));
    assert_eq!(
        groups["data"],
        json!([{"group_id": "billing", "state": "STABLE", "protocol_type": "consumer", "members_count": 1}])
    );
    let group = cloud.ok("kafka/groups/describe", json!({"group_id": "billing"}));
    assert_eq!(group["total_lag"], 1, "{group}");
    assert_eq!(group["members"][0]["assignments"], json!([{"topic": "orders", "partitions": [0]}]));
    let unknown_group = cloud.call("kafka/groups/describe", json!({"group_id": "nobody"})).unwrap_err();
    assert_eq!(code(&unknown_group), -32035, "{unknown_group}");

    // Live lag, polled through REST: the first reading, then news when the lag grows.
    let watch = cloud.ok("kafka/lag/watch", json!({"group_ids": ["billing", "nobody"], "interval_ms": 500}));
    let watch_id = watch["watch_id"].as_str().unwrap().to_string();
    let lag_of = |message: &Value, group: &str, total: i64| {
        message["method"] == "kafka/lag"
            && message["params"]["watch_id"] == watch_id.as_str()
            && message["params"]["group_id"] == group
            && message["params"]["total_lag"] == total
    };
    let first = cloud.sidecar.wait_for(WAIT, |m| lag_of(m, "billing", 1)).expect("the first reading");
    assert_eq!(first["params"]["partitions"][0]["member_id"], "consumer-1", "{first}");
    let gone = cloud.sidecar.wait_for(WAIT, |m| lag_of(m, "nobody", 0)).expect("the unknown group, once");
    assert_eq!(gone["params"]["gone"], true);
    cloud
        .ok("kafka/records/produce", json!({"topic": "orders", "records": [{"partition": 0, "value": {"data": "y"}}]}));
    cloud.sidecar.wait_for(WAIT, |m| lag_of(m, "billing", 2)).expect("news of the grown lag");
    cloud.sidecar.request("kafka/lag/unwatch", json!({"watch_id": watch_id}), WAIT).expect("unwatch");

    // A live tail, polling REST: from the end, so only what is written after it starts.
    let tail = cloud.ok("kafka/records/tail", json!({"topic": "events"}));
    let subscription = tail["subscription_id"].as_str().unwrap().to_string();
    cloud.ok(
        "kafka/records/produce",
        json!({"topic": "events", "records": [{"partition": 1, "key": {"data": "late"},
            "value": {"data": {"id": 8, "item": "jam"}, "schema": {"subject": "events-value"}}}]}),
    );
    let batch = cloud
        .sidecar
        .wait_for(WAIT, |m| m["method"] == "kafka/records" && m["params"]["subscription_id"] == subscription.as_str())
        .expect("a batch of the tail");
    let tailed = batch["params"]["records"].as_array().unwrap();
    assert_eq!(tailed.len(), 1, "only the record written after the tail started: {batch}");
    assert_eq!(tailed[0]["value"], json!({"format": "AVRO", "data": {"id": 8, "item": "jam"}, "schema_id": id}));
    assert_eq!((tailed[0]["partition"].as_i64(), tailed[0]["offset"].as_i64()), (Some(1), Some(1)));
    cloud.sidecar.request("kafka/records/untail", json!({"subscription_id": subscription}), WAIT).expect("untail");
    let ended = cloud
        .sidecar
        .wait_for(WAIT, |m| {
            m["method"] == "kafka/tail/ended" && m["params"]["subscription_id"] == subscription.as_str()
        })
        .expect("the tail ends");
    assert_eq!(ended["params"]["reason"], "UNTAIL");
    let no_topic = cloud.call("kafka/records/tail", json!({"topic": "nope"})).unwrap_err();
    assert_eq!(code(&no_topic), -32033, "{no_topic}");

    // What REST cannot do here says so, with a stable code.
    let reset = cloud
        .call("kafka/groups/resetOffsets", json!({"group_id": "billing", "topic": "orders", "to": "earliest"}))
        .unwrap_err();
    assert_eq!(code(&reset), -32032, "{reset}");
    assert!(message(&reset).contains("not available on Confluent Cloud clusters yet"), "{reset}");

    // Targets: cluster_id is required, and must be one of the connection's.
    let unknown = cloud.call("kafka/topics/list", json!({"cluster_id": "lkc-elsewhere"})).unwrap_err();
    assert_eq!(code(&unknown), -32602, "{unknown}");
    assert_eq!(unknown["data"]["errors"][0]["source"], "cluster_id");
    let without = cloud.sidecar.request("kafka/topics/list", json!({"connection_id": "cloud"}), WAIT).unwrap_err();
    assert_eq!(without["data"]["errors"][0]["source"], "cluster_id", "{without}");
    let registry_as_kafka = cloud.call("kafka/topics/list", json!({"cluster_id": "lsrc-prod1"})).unwrap_err();
    assert_eq!(code(&registry_as_kafka), -32602, "a registry id is not a Kafka cluster: {registry_as_kafka}");

    cloud.ok("kafka/topics/delete", json!({"topic": "events"}));
    assert_eq!(names(&cloud.ok("kafka/topics/list", json!({}))["data"]), ["orders"]);
    cloud.assert_no_refusals();

    // The session expires: every method says so in the session's words.
    cloud.fake.set(|b| b.sessions_invalid = true);
    let expired = cloud.until("EXPIRED");
    let said = expired["status"]["ccloud"]["errors"]["auth_status_check"]["message"].as_str().unwrap().to_string();
    let words = format!("The Confluent Cloud session of connection 'cloud' has expired ({said})");
    for (method, params) in [
        ("kafka/topics/list", json!({})),
        ("kafka/topics/describe", json!({"topic": "orders"})),
        ("kafka/topics/create", json!({"topic": "more"})),
        ("kafka/records/consume", json!({"topic": "orders"})),
        ("kafka/records/produce", json!({"topic": "orders", "records": [{"value": {"data": "x"}}]})),
        ("kafka/groups/list", json!({})),
        ("kafka/lag/watch", json!({"group_ids": ["billing"]})),
        ("kafka/records/tail", json!({"topic": "orders"})),
        ("schemas/subjects/list", json!({})),
        ("schemas/get", json!({"id": id})),
    ] {
        let error = cloud.call(method, params).unwrap_err();
        assert_eq!((code(&error), message(&error)), (-32022, words.clone()), "{method}");
    }
}

#[test]
fn refusals_of_the_data_plane_have_their_codes_and_throttling_waits_once() {
    let mut cloud = Cloud::start();
    // 429 with Retry-After: waited for once, then the call succeeds.
    cloud.fake.data(|d| d.errors.push(("/topics".into(), 429, Some(1))));
    let started = std::time::Instant::now();
    assert_eq!(names(&cloud.ok("kafka/topics/list", json!({}))["data"]), ["orders"]);
    assert!(started.elapsed() >= std::time::Duration::from_millis(900), "waited for Retry-After");
    // Twice in a row: the second is the answer.
    cloud.fake.data(|d| {
        d.errors.push(("/topics".into(), 429, Some(1)));
        d.errors.push(("/topics".into(), 429, Some(1)));
    });
    let limited = cloud.call("kafka/topics/list", json!({})).unwrap_err();
    assert_eq!(code(&limited), -32023, "{limited}");
    assert!(message(&limited).ends_with("try again in 1 s"), "{limited}");
    // 403: refused, with REST's error in data.
    cloud.fake.data(|d| d.errors.push(("/consumer-groups".into(), 403, None)));
    let denied = cloud.call("kafka/groups/list", json!({})).unwrap_err();
    assert_eq!(code(&denied), -32023, "{denied}");
    assert_eq!(denied["data"]["error"], "403");
    assert!(denied["data"]["operation"]
        .as_str()
        .unwrap()
        .starts_with("GET /kafka/v3/clusters/lkc-prod1/consumer-groups"));
    // 5xx: unavailable.
    cloud.fake.data(|d| d.errors.push(("/partitions".into(), 503, None)));
    let trouble = cloud.call("kafka/topics/describe", json!({"topic": "orders"})).unwrap_err();
    assert_eq!(code(&trouble), -32024, "{trouble}");
    // A 401 while the session is still good: the session is checked, and the reply is REST's 401.
    let checks = cloud.fake.check_jwt_calls();
    cloud.fake.data(|d| d.errors.push(("/topics".into(), 401, None)));
    let refused = cloud.call("kafka/topics/list", json!({})).unwrap_err();
    assert_eq!(code(&refused), -32022, "{refused}");
    assert!(message(&refused).contains("answered HTTP 401"), "{refused}");
    assert!(cloud.fake.check_jwt_calls() > checks, "the session was checked");
    // And everything works again.
    assert_eq!(names(&cloud.ok("kafka/topics/list", json!({}))["data"]), ["orders"]);

    // A cluster created after the listing was cached: the miss reads the listing once more.
    let mut catalog = reachable_catalog(&cloud.fake.base(), ORG_DEFAULT);
    let mut fresh = resources::kafka_cluster("env-dev", "lkc-new1", "fresh", "AWS", "us-east-2");
    fresh["spec"]["http_endpoint"] = json!(cloud.fake.base());
    catalog.environments[1].clusters.push(fresh);
    cloud.fake.set_catalog(catalog);
    cloud.fake.data(|d| {
        let mut cluster = Cluster::default();
        cluster.topics.insert("new-topic".into(), Topic { partitions: vec![Vec::new()], ..Topic::default() });
        d.clusters.insert("lkc-new1".into(), cluster);
    });
    let listed = cloud.ok("kafka/topics/list", json!({"cluster_id": "lkc-new1"}));
    assert_eq!(names(&listed["data"]), ["new-topic"]);
    cloud.assert_no_refusals();
}

#[test]
fn data_plane_tokens_never_reach_responses_events_or_logs() {
    let log = std::env::temp_dir().join(format!("ide-sidecar-ccloud-data-{}.log", std::process::id()));
    let mut cloud = Cloud::start_logging_to(Some(&log));
    let mut wire = vec![cloud.ok("kafka/topics/list", json!({}))];
    wire.push(cloud.ok("schemas/register", json!({"subject": "orders-value", "schema_type": "AVRO", "schema": AVRO})));
    wire.push(cloud.ok(
        "kafka/records/produce",
        json!({"topic": "orders", "records": [{"value": {"data": {"id": 1, "item": "x"}, "schema": {"subject": "orders-value"}}}]}),
    ));
    wire.push(cloud.ok("kafka/records/consume", json!({"topic": "orders", "start": {"from": "beginning"}})));
    wire.push(cloud.ok("kafka/topics/describe", json!({"topic": "orders"})));
    wire.push(cloud.ok("kafka/groups/describe", json!({"group_id": "billing"})));
    cloud.fake.data(|d| d.errors.push(("/topics".into(), 401, None)));
    wire.push(cloud.call("kafka/topics/list", json!({})).unwrap_err());
    cloud.fake.data(|d| d.errors.push(("/topics".into(), 403, None)));
    wire.push(cloud.call("kafka/topics/list", json!({})).unwrap_err());
    wire.extend(cloud.sidecar.drain(std::time::Duration::from_millis(300)));
    cloud.sidecar.shutdown();
    let logs = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    assert!(logs.contains("TRACE"), "trace logging was on");
    let wire = serde_json::to_string(&wire).unwrap();
    let secrets = cloud.fake.secrets();
    assert!(secrets.iter().any(|s| s.starts_with("dptoken-")), "a data-plane token was issued");
    for secret in secrets {
        assert!(!wire.contains(&secret), "a secret reached a response or an event");
        assert!(!logs.contains(&secret), "a secret reached the logs");
    }
    cloud.assert_no_refusals();
}

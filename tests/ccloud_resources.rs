//! `ccloud/resources` end to end: the real binary signs in through the fake Confluent Cloud (see
//! tests/ccloud.rs for the sign-in itself), then lists organizations, environments, clusters,
//! registries and compute pools from the fake's public API lists, which page two items at a time and
//! check the bearer token, the organization and the params as the real ones do.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::ccloud::resources::{self, Catalog};
use support::ccloud::*;
use support::*;

struct Cloud {
    sidecar: SidecarProcess,
    fake: FakeCCloud,
}

fn start_cloud() -> Cloud {
    start_cloud_checking_every(None)
}

/// With `check_interval_seconds`, the session is checked that often instead of every 0.2 s.
fn start_cloud_checking_every(check_interval_seconds: Option<f64>) -> Cloud {
    let port = free_port();
    let fake = FakeCCloud::start(port);
    let mut ccloud = fake.options(port);
    if let Some(seconds) = check_interval_seconds {
        ccloud["refresh_interval_seconds"] = json!(seconds);
    }
    let sidecar = start(json!({"check_timeout_seconds": 5, "ccloud": ccloud}));
    Cloud { sidecar, fake }
}

fn cloud_spec(id: &str) -> Value {
    json!({"id": id, "name": format!("Cloud {id}"), "type": "CCLOUD"})
}

impl Cloud {
    fn until(&mut self, id: &str, wanted: &str) -> Value {
        let events = events_until(&mut self.sidecar, id, &format!("ccloud {wanted}"), |event| {
            state(&event["connection"], "ccloud") == wanted
        });
        events.last().unwrap()["connection"].clone()
    }

    fn signed_in(&mut self, id: &str) {
        create(&mut self.sidecar, cloud_spec(id));
        let result = self.sidecar.request("ccloud/signIn", json!({"id": id}), WAIT).expect("ccloud/signIn");
        let page = follow_sign_in(result["sign_in_uri"].as_str().unwrap());
        assert_eq!(page.status, 200, "{}", page.body);
        self.until(id, "SUCCESS");
    }

    fn resources(&mut self, params: Value) -> Result<Value, Value> {
        self.sidecar.request("ccloud/resources", params, WAIT)
    }

    fn assert_no_refusals(&self) {
        assert_eq!(self.fake.refusals(), Vec::<String>::new(), "the fake refused requests the sidecar made");
    }
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|item| item["id"].as_str().unwrap()).collect()
}

fn environment<'a>(result: &'a Value, id: &str) -> &'a Value {
    result["environments"].as_array().unwrap().iter().find(|env| env["id"] == id).unwrap_or_else(|| panic!("{id}"))
}

fn code(error: &Value) -> i64 {
    error["code"].as_i64().unwrap_or_default()
}

fn message(error: &Value) -> String {
    error["message"].as_str().unwrap_or_default().to_string()
}

#[test]
fn lists_every_environment_with_its_clusters_registry_and_pools_across_pages() {
    let mut cloud = start_cloud();
    cloud.signed_in("cloud");
    let result = cloud.resources(json!({"connection_id": "cloud"})).expect("ccloud/resources");

    assert_eq!(
        result["organizations"],
        json!([{"id": ORG_DEFAULT, "name": "Wonderland", "current": true},
            {"id": ORG_OTHER, "name": "Looking Glass", "current": false}])
    );
    assert_eq!(ids(&result["environments"]), ["env-prod", "env-dev", "env-stage", "env-qa", "env-sbx"]);
    let prod = environment(&result, "env-prod");
    assert_eq!(prod["name"], "production");
    assert_eq!(ids(&prod["kafka_clusters"]), ["lkc-prod1", "lkc-prod2", "lkc-prod3"], "both pages of clusters");
    assert_eq!(
        prod["kafka_clusters"][0],
        json!({"id": "lkc-prod1", "name": "orders", "provider": "AWS", "region": "us-east-2",
            "bootstrap_servers": "pkc-prod1.us-east-2.aws.confluent.cloud:9092",
            "rest_endpoint": "https://pkc-prod1.us-east-2.aws.confluent.cloud:443"})
    );
    assert_eq!(prod["kafka_clusters"][2]["provider"], "GCP");
    assert_eq!(
        prod["schema_registry"],
        json!({"id": "lsrc-prod1", "uri": "https://psrc-prod1.us-east-2.aws.confluent.cloud"})
    );
    assert_eq!(
        prod["flink_compute_pools"],
        json!([{"id": "lfcp-prod1", "name": "analytics", "provider": "AWS", "region": "us-east-2", "max_cfu": 10}])
    );
    let dev = environment(&result, "env-dev");
    assert!(dev.get("schema_registry").is_none(), "an environment without a registry has none: {dev}");
    assert_eq!(dev["kafka_clusters"][0]["provider"], "AZURE");
    assert_eq!(dev["flink_compute_pools"], json!([]));
    let stage = environment(&result, "env-stage");
    assert_eq!(ids(&stage["flink_compute_pools"]), ["lfcp-stage1", "lfcp-stage2", "lfcp-stage3"]);
    assert_eq!(ids(&stage["kafka_clusters"]), ["lkc-stage1", "lkc-stage2"]);
    assert_eq!(environment(&result, "env-qa")["kafka_clusters"], json!([]));
    let read_at = result["read_at"].as_str().unwrap();
    assert!(read_at.len() == 20 && read_at.ends_with('Z') && &read_at[10..11] == "T", "{read_at}");

    let calls = cloud.fake.list_calls();
    let pages = |prefix: &str| calls.iter().filter(|call| call.starts_with(prefix)).count();
    assert_eq!(pages("/api/org/v2/environments?"), 3, "five environments come in three pages: {calls:#?}");
    assert_eq!(pages("/api/cmk/v2/clusters?environment=env-prod&"), 2, "{calls:#?}");
    assert_eq!(pages("/api/cmk/v2/clusters?environment=env-stage&"), 1, "a full last page names no next: {calls:#?}");
    assert_eq!(pages("/api/fcpm/v2/compute-pools?environment=env-stage&"), 2);
    cloud.assert_no_refusals();
}

#[test]
fn answers_are_cached_thirty_seconds_and_refresh_or_another_organization_reads_again() {
    let mut cloud = start_cloud();
    cloud.signed_in("cloud");
    let first = cloud.resources(json!({"connection_id": "cloud"})).unwrap();
    let served = cloud.fake.list_calls().len();
    let second = cloud.resources(json!({"connection_id": "cloud"})).unwrap();
    assert_eq!(second, first, "the cached answer, with the time it was read");
    assert_eq!(cloud.fake.list_calls().len(), served, "a second call within 30 s does not reach Confluent Cloud");

    let refreshed = cloud.resources(json!({"connection_id": "cloud", "refresh": true})).unwrap();
    assert_eq!(cloud.fake.list_calls().len(), 2 * served, "refresh: true reads everything again");
    assert_eq!(refreshed["environments"], first["environments"]);

    // Another organization is another session: nothing cached for the old one is shown.
    let switched = json!({"id": "cloud", "patch": {"ccloud_config": {"organization_id": ORG_OTHER}}});
    cloud.sidecar.request("connections/patch", switched, WAIT).expect("the switch succeeds");
    let other = cloud.resources(json!({"connection_id": "cloud"})).unwrap();
    assert_eq!(ids(&other["environments"]), ["env-glass"]);
    let current: Vec<_> = other["organizations"].as_array().unwrap().iter().map(|o| o["current"].clone()).collect();
    assert_eq!(current, [json!(false), json!(true)]);
    cloud.assert_no_refusals();
}

#[test]
fn connections_without_a_session_are_refused_in_the_words_of_their_status() {
    let mut cloud = start_cloud();
    create(&mut cloud.sidecar, cloud_spec("cloud"));
    let error = cloud.resources(json!({"connection_id": "cloud"})).unwrap_err();
    assert_eq!(code(&error), -32022, "{error}");
    assert_eq!(message(&error), "Connection 'cloud' is not signed in to Confluent Cloud: sign in with ccloud/signIn");

    let mut direct = registry_spec("direct", &format!("http://127.0.0.1:{}", closed_port()));
    direct["id"] = json!("direct");
    create(&mut cloud.sidecar, direct);
    let error = cloud.resources(json!({"connection_id": "direct"})).unwrap_err();
    assert_eq!(code(&error), -32021, "{error}");
    assert!(message(&error).contains("only CCLOUD connections have Confluent Cloud resources"), "{error}");
    assert_eq!(code(&cloud.resources(json!({"connection_id": "missing"})).unwrap_err()), -32010);

    // The session expires: the answer says so as the status does, and is not served from the cache.
    cloud.sidecar.request("ccloud/signIn", json!({"id": "cloud"}), WAIT).unwrap();
    let uri = cloud.sidecar.request("connections/get", json!({"id": "cloud"}), WAIT).unwrap()["metadata"]
        ["sign_in_uri"]
        .as_str()
        .unwrap()
        .to_string();
    follow_sign_in(&uri);
    cloud.until("cloud", "SUCCESS");
    cloud.resources(json!({"connection_id": "cloud"})).expect("signed in, it lists");
    cloud.fake.set(|b| b.sessions_invalid = true);
    let expired = cloud.until("cloud", "EXPIRED");
    let said = expired["status"]["ccloud"]["errors"]["auth_status_check"]["message"].as_str().unwrap().to_string();
    let error = cloud.resources(json!({"connection_id": "cloud"})).unwrap_err();
    assert_eq!(code(&error), -32022, "{error}");
    assert_eq!(message(&error), format!("The Confluent Cloud session of connection 'cloud' has expired ({said})"));
    assert!(said.contains("sign in again"), "{said}");
}

#[test]
fn a_refused_token_checks_the_session_at_once() {
    // Checked hourly: only the check the refusal starts can notice the revoked session.
    let mut cloud = start_cloud_checking_every(Some(3600.0));
    cloud.signed_in("cloud");
    let checks = cloud.fake.check_jwt_calls();
    cloud.fake.set(|b| b.sessions_invalid = true);
    let error = cloud.resources(json!({"connection_id": "cloud"})).unwrap_err();
    assert_eq!(code(&error), -32022, "{error}");
    assert!(message(&error).contains("answered HTTP 401: The access token is expired or was revoked"), "{error}");
    assert!(message(&error).ends_with("sign in again with ccloud/signIn"), "{error}");
    let expired = cloud.until("cloud", "EXPIRED");
    assert!(cloud.fake.check_jwt_calls() > checks, "the session was checked");
    assert_eq!(expired["status"]["authentication"]["status"], "INVALID_TOKEN");
    let error = cloud.resources(json!({"connection_id": "cloud"})).unwrap_err();
    assert!(message(&error).starts_with("The Confluent Cloud session of connection 'cloud' has expired"), "{error}");
}

#[test]
fn throttling_honours_retry_after_once_and_refusals_say_what_to_do() {
    let mut cloud = start_cloud();
    cloud.signed_in("cloud");
    let throttle = |retry_after| ListError { path: "/api/org/v2/environments", status: 429, retry_after };

    // One 429 with a Retry-After the request has time for: waited for, then the list is read.
    cloud.fake.set(|b| b.list_errors = vec![throttle(Some(1))]);
    let result = cloud.resources(json!({"connection_id": "cloud", "refresh": true})).expect("read after the wait");
    assert_eq!(result["environments"].as_array().unwrap().len(), 5);

    // A second 429 in a row is not waited for again.
    cloud.fake.set(|b| b.list_errors = vec![throttle(Some(1)), throttle(Some(1))]);
    let error = cloud.resources(json!({"connection_id": "cloud", "refresh": true})).unwrap_err();
    assert_eq!(code(&error), -32023, "{error}");
    assert!(message(&error).contains("answered HTTP 429") && message(&error).ends_with("try again in 1 s"), "{error}");

    // A Retry-After past the request's time is not waited for at all.
    cloud.fake.set(|b| b.list_errors = vec![throttle(Some(120))]);
    let error = cloud.resources(json!({"connection_id": "cloud", "refresh": true, "timeout_ms": 3000})).unwrap_err();
    assert_eq!(code(&error), -32023, "{error}");
    assert!(message(&error).ends_with("try again in 120 s"), "{error}");
    cloud.fake.set(|b| b.list_errors.clear());

    let cases: [(&'static str, u16, i64, &str); 4] = [
        ("/api/org/v2/environments", 401, -32022, "sign in again with ccloud/signIn"),
        ("/api/cmk/v2/clusters", 403, -32023, "ask an administrator of the organization for access"),
        ("/api/fcpm/v2/compute-pools", 503, -32024, "answered HTTP 503: the fake answers 503): try again later"),
        ("/api/srcm/v3/clusters", 404, -32023, "with HTTP 404: the fake answers 404"),
    ];
    for (path, status, expected, words) in cases {
        cloud.fake.set(|b| b.failing_lists = vec![(path, status)]);
        let error = cloud.resources(json!({"connection_id": "cloud", "refresh": true})).unwrap_err();
        assert_eq!(code(&error), expected, "{path} {status}: {error}");
        assert!(message(&error).contains(words), "{path} {status}: {error}");
        assert!(message(&error).contains(path), "the message names the call: {error}");
    }
    // The control plane came back: the failures left nothing behind.
    cloud.fake.set(|b| b.failing_lists.clear());
    cloud.resources(json!({"connection_id": "cloud", "refresh": true})).expect("reads again");

    let wire =
        serde_json::to_string(&cloud.sidecar.drain(Duration::from_millis(100))).unwrap() + &error_texts(&mut cloud);
    for secret in cloud.fake.secrets() {
        assert!(!wire.contains(&secret), "a token reached a response");
    }
    cloud.assert_no_refusals();
}

/// The answers to a few failing requests, as text.
fn error_texts(cloud: &mut Cloud) -> String {
    cloud
        .fake
        .set(|b| b.list_errors = vec![ListError { path: "/api/org/v2/organizations", status: 401, retry_after: None }]);
    let error = cloud.resources(json!({"connection_id": "cloud", "refresh": true})).unwrap_err();
    cloud.fake.set(|b| b.list_errors.clear());
    error.to_string()
}

#[test]
fn malformed_answers_and_endless_paging_are_clear_errors() {
    let mut cloud = start_cloud();
    cloud.signed_in("cloud");
    cloud.fake.set(|b| b.malformed_lists = true);
    let error = cloud.resources(json!({"connection_id": "cloud"})).unwrap_err();
    assert_eq!(code(&error), -32024, "{error}");
    assert!(message(&error).contains("is not what its API documents (it has no data list)"), "{error}");

    cloud.fake.set(|b| {
        b.malformed_lists = false;
        b.endless_paging = true;
    });
    let before = cloud.fake.list_calls().len();
    let error = cloud.resources(json!({"connection_id": "cloud", "timeout_ms": 60000})).unwrap_err();
    assert_eq!(code(&error), -32024, "{error}");
    assert!(message(&error).contains("after 100 pages"), "{error}");
    // Pages after the first only (a first page may still arrive from the listing abandoned above).
    let calls = cloud.fake.list_calls().split_off(before);
    let pages =
        |list: &str| calls.iter().filter(|call| call.starts_with(list) && !call.ends_with("page_token=")).count();
    let (organizations, environments) = (pages("/api/org/v2/organizations?"), pages("/api/org/v2/environments?"));
    assert_eq!(organizations.max(environments), 99, "the list that failed was read to its bound, and no further");
    assert!(organizations <= 99 && environments <= 99, "{organizations} and {environments} further pages");

    cloud.fake.set(|b| b.endless_paging = false);
    cloud.resources(json!({"connection_id": "cloud"})).expect("nothing failed was cached");
    cloud.assert_no_refusals();
}

#[test]
fn many_environments_are_listed_concurrently_within_the_bound() {
    let mut cloud = start_cloud();
    let base = cloud.fake.base();
    let mut catalog = Catalog {
        organizations: vec![resources::organization(&base, ORG_DEFAULT, "Wonderland")],
        ..Default::default()
    };
    for e in 0..20 {
        let id = format!("env-{e:02}");
        let clusters =
            (0..5).map(|c| resources::kafka_cluster(&id, &format!("lkc-{e:02}{c}"), "c", "AWS", "us-east-2")).collect();
        catalog.environments.push(resources::Environment {
            organization: ORG_DEFAULT.to_string(),
            item: resources::environment(&base, ORG_DEFAULT, &id, &id),
            clusters,
            registries: vec![resources::schema_registry(&id, &format!("lsrc-{e:02}"), "AWS", "us-east-2")],
            pools: vec![],
        });
    }
    cloud.fake.set_catalog(catalog);
    // Each answer takes a while, so that calls the sidecar makes at once are answered at once.
    cloud.fake.set(|b| b.list_delay = Some(Duration::from_millis(20)));
    cloud.signed_in("cloud");
    let result = cloud.resources(json!({"connection_id": "cloud", "timeout_ms": 60_000})).unwrap();
    let most = cloud.fake.most_lists_in_flight();
    assert!(most <= 8, "at most 8 calls in flight, not {most}");
    let environments = result["environments"].as_array().unwrap();
    assert_eq!(environments.len(), 20);
    assert!(environments.iter().all(|env| env["kafka_clusters"].as_array().unwrap().len() == 5));
    assert_eq!(environments[7]["schema_registry"]["id"], "lsrc-07");
    cloud.assert_no_refusals();
}

#[test]
fn bad_params_are_reported_at_their_path_and_change_nothing() {
    let mut cloud = start_cloud();
    cloud.signed_in("cloud");
    let cases = [
        (json!({}), "connection_id"),
        (json!({"connection_id": 7}), "connection_id"),
        (json!({"connection_id": "cloud", "refresh": "yes"}), "refresh"),
        (json!({"connection_id": "cloud", "timeout_ms": 0}), "timeout_ms"),
        (json!({"connection_id": "cloud", "timeout_ms": 600_001}), "timeout_ms"),
    ];
    for (params, path) in cases {
        let error = cloud.resources(params.clone()).unwrap_err();
        assert_eq!(code(&error), -32602, "{params}: {error}");
        assert_eq!(error["data"]["errors"][0]["source"], path, "{params}: {error}");
    }
    assert_eq!(cloud.fake.list_calls(), Vec::<String>::new(), "nothing was read for bad params");
    cloud.resources(json!({"connection_id": "cloud"})).expect("the process is still up");
}

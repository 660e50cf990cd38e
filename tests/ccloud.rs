//! Confluent Cloud sign-in end to end: the real binary, a fake Confluent Cloud on 127.0.0.1 that
//! checks PKCE, state, client id and redirect URI the way the real services do, and a "browser"
//! that follows the sign-in URI. Every test uses a free port for the callback.

mod support;

use std::net::TcpListener;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};
use support::ccloud::*;
use support::*;

const EDITOR_CALLBACK: &str = "vscode://confluentinc.vscode-confluent/authCallback";

/// A sidecar pointed at a fresh fake Confluent Cloud, with `ccloud` options merged over the fake's.
struct Cloud {
    sidecar: SidecarProcess,
    fake: FakeCCloud,
    port: u16,
}

fn options(fake: &FakeCCloud, port: u16, overrides: Value) -> Value {
    let mut ccloud = fake.options(port);
    if let (Some(ccloud), Some(overrides)) = (ccloud.as_object_mut(), overrides.as_object()) {
        ccloud.extend(overrides.clone());
    }
    json!({"check_timeout_seconds": 5, "ccloud": ccloud})
}

fn start_cloud(overrides: Value) -> Cloud {
    let port = free_port();
    let fake = FakeCCloud::start(port);
    let sidecar = start(options(&fake, port, overrides));
    Cloud { sidecar, fake, port }
}

fn cloud_spec(id: &str, organization_id: Option<&str>) -> Value {
    let mut spec = json!({"id": id, "name": format!("Cloud {id}"), "type": "CCLOUD",
        "ccloud_config": {"ide_auth_callback_uri": EDITOR_CALLBACK}});
    if let Some(organization_id) = organization_id {
        spec["ccloud_config"]["organization_id"] = json!(organization_id);
    }
    spec
}

fn ccloud_state(connection: &Value) -> String {
    state(connection, "ccloud")
}

fn sign_in_error(connection: &Value, phase: &str) -> (String, bool) {
    let error = &connection["status"]["ccloud"]["errors"][phase];
    (error["message"].as_str().unwrap_or("<none>").to_string(), error["is_transient"].as_bool().unwrap_or(false))
}

/// `status.authentication` is `status.ccloud` in the seed's words.
fn assert_derived(connection: &Value) {
    let ccloud = &connection["status"]["ccloud"];
    let auth = &connection["status"]["authentication"];
    let expected = match ccloud["state"].as_str() {
        Some("NONE" | "ATTEMPTING") => "NO_TOKEN",
        Some("SUCCESS") => "VALID_TOKEN",
        Some("EXPIRED") => "INVALID_TOKEN",
        Some("FAILED") => "FAILED",
        other => panic!("unexpected ccloud state {other:?} in {connection:#}"),
    };
    assert_eq!(auth["status"], expected, "{connection:#}");
    for field in ["requires_authentication_at", "user", "errors"] {
        assert_eq!(auth[field], ccloud[field], "authentication.{field} follows ccloud: {connection:#}");
    }
}

impl Cloud {
    fn create(&mut self, spec: Value) -> Value {
        let created = create(&mut self.sidecar, spec);
        assert_derived(&created);
        created
    }

    fn sign_in(&mut self, id: &str) -> String {
        let result = self
            .sidecar
            .request("ccloud/signIn", json!({"id": id}), WAIT)
            .unwrap_or_else(|error| panic!("ccloud/signIn of {id} failed: {error}"));
        result["sign_in_uri"].as_str().expect("a sign_in_uri").to_string()
    }

    /// Waits for `id` to reach `state`, checking the derived authentication of every event on the way.
    fn until(&mut self, id: &str, state: &str) -> Vec<Value> {
        let events = events_until(&mut self.sidecar, id, &format!("ccloud {state}"), |event| {
            ccloud_state(&event["connection"]) == state
        });
        for event in &events {
            assert_derived(&event["connection"]);
        }
        events
    }

    /// Creates `id`, signs in through the browser and waits for SUCCESS.
    fn signed_in(&mut self, id: &str, organization_id: Option<&str>) -> Value {
        self.create(cloud_spec(id, organization_id));
        let uri = self.sign_in(id);
        let page = follow_sign_in(&uri);
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("Signed in to Confluent Cloud"), "{}", page.body);
        let events = self.until(id, "SUCCESS");
        events.last().unwrap()["connection"].clone()
    }

    fn get(&mut self, id: &str) -> Value {
        self.sidecar.request("connections/get", json!({"id": id}), WAIT).expect("get succeeds")
    }

    fn assert_no_refusals(&self) {
        assert_eq!(self.fake.refusals(), Vec::<String>::new(), "the fake refused requests the sidecar made");
    }
}

/// Seconds since the epoch of an RFC 3339 UTC time such as `2026-01-02T03:04:05Z`.
fn unix_seconds(rfc3339: &str) -> i64 {
    let number = |range: std::ops::Range<usize>| rfc3339[range].parse::<i64>().expect("digits");
    assert_eq!((rfc3339.len(), &rfc3339[10..11], &rfc3339[19..]), (20, "T", "Z"), "{rfc3339}");
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let (y, m) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    days * 86_400 + number(11..13) * 3600 + number(14..16) * 60 + number(17..19)
}

fn now_unix() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn sign_in_goes_attempting_then_success_and_the_listener_lives_only_while_pending() {
    let mut cloud = start_cloud(json!({}));
    let created = cloud.create(cloud_spec("cloud", None));
    assert_eq!(created["status"], json!({"authentication": {"status": "NO_TOKEN"}, "ccloud": {"state": "NONE"}}));

    let uri = created["metadata"]["sign_in_uri"].as_str().expect("metadata.sign_in_uri").to_string();
    let parsed = url::Url::parse(&uri).unwrap();
    assert_eq!(format!("{}{}", &cloud.fake.base(), "/oauth/authorize"), uri.split('?').next().unwrap());
    let query: std::collections::HashMap<String, String> = parsed.query_pairs().into_owned().collect();
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["redirect_uri"], cloud.fake.redirect_uri());
    assert_eq!(query["scope"], "email openid offline_access");
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["code_challenge"].len(), 43);
    assert!(query["state"].len() >= 16);
    assert!(!listening(cloud.port), "nothing listens on the callback port before ccloud/signIn");

    assert_eq!(cloud.sign_in("cloud"), uri, "signIn returns the connection's sign-in URI");
    assert!(listening(cloud.port), "the callback listener runs while the sign-in is pending");
    let started = now_unix();
    let page = follow_sign_in(&uri);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Signed in to Confluent Cloud"), "{}", page.body);
    assert!(page.body.contains(&format!("url={EDITOR_CALLBACK}?success=true")), "{}", page.body);
    wait_until("the callback listener to stop", WAIT, || !listening(cloud.port));

    let events = cloud.until("cloud", "SUCCESS");
    let actions: Vec<(&str, String)> =
        events.iter().map(|e| (e["action"].as_str().unwrap(), ccloud_state(&e["connection"]))).collect();
    assert_eq!(
        actions,
        [("CREATED", "NONE".to_string()), ("DISCONNECTED", "ATTEMPTING".into()), ("CONNECTED", "SUCCESS".into())]
    );
    let success = &events[2]["connection"]["status"]["ccloud"];
    assert_eq!(
        success["user"],
        json!({"id": USER_ID, "username": USER_EMAIL, "first_name": "Alice", "last_name": "Liddell", "auth_type": "AUTH_TYPE_LOCAL"})
    );
    assert!(success.get("errors").is_none());
    let requires_at = unix_seconds(success["requires_authentication_at"].as_str().expect("requires_authentication_at"));
    let expected = started + 8 * 3600;
    assert!(
        (requires_at - expected).abs() <= 120,
        "requires_authentication_at is sign-in + 8 hours: {requires_at} vs {expected}"
    );
    assert_ne!(
        events[1]["connection"]["metadata"]["sign_in_uri"].as_str(),
        Some(uri.as_str()),
        "a used sign-in request is replaced by a fresh one"
    );
    assert_eq!(cloud.get("cloud")["status"], events[2]["connection"]["status"]);
    assert_eq!(cloud.fake.session_organizations(), [None], "the user's default organization");
    cloud.assert_no_refusals();

    // The session is checked on the CCloud schedule and stays SUCCESS without events.
    wait_until("check_jwt calls", WAIT, || cloud.fake.check_jwt_calls() >= 3);
    let quiet = cloud.sidecar.drain(Duration::from_millis(300));
    assert!(quiet.iter().all(|m| m["method"] != "connections/event"), "{quiet:#?}");
}

#[test]
fn a_callback_with_an_unknown_or_missing_state_changes_nothing() {
    let mut cloud = start_cloud(json!({}));
    cloud.create(cloud_spec("cloud", None));
    cloud.sidecar.next_event("cloud", WAIT).expect("CREATED");
    let uri = cloud.sign_in("cloud");
    let before = cloud.get("cloud");
    let callback = cloud.fake.redirect_uri().to_string();

    for query in ["?state=not-the-state&code=abc", "?code=abc", ""] {
        let page = http("GET", &format!("{callback}{query}")).unwrap();
        assert_eq!(page.status, 400, "{query}");
        assert!(page.body.contains("Unknown sign-in"), "{}", page.body);
    }
    let page = http("POST", &format!("{callback}?state=x&code=y")).unwrap();
    assert_eq!((page.status, page.header("Allow")), (405, Some("GET")), "only GET on the callback path");
    let page = http("GET", &format!("http://127.0.0.1:{}/api/anything", cloud.port)).unwrap();
    assert_eq!(page.status, 404);

    assert_eq!(cloud.get("cloud"), before, "the connection is unchanged");
    let seen = cloud.sidecar.drain(Duration::from_millis(300));
    assert!(seen.iter().all(|m| m["method"] != "connections/event"), "no events: {seen:#?}");
    assert!(listening(cloud.port), "still waiting for the real callback");

    let page = follow_sign_in(&uri);
    assert!(page.body.contains("Signed in"), "{}", page.body);
    cloud.until("cloud", "SUCCESS");
    cloud.assert_no_refusals();
}

#[test]
fn a_pkce_mismatch_is_a_failed_sign_in_with_the_servers_reason() {
    let mut cloud = start_cloud(json!({}));
    cloud.create(cloud_spec("cloud", None));
    let uri = cloud.sign_in("cloud");
    // Someone swapped the challenge on the way to the authorization server.
    let mut tampered = url::Url::parse(&uri).unwrap();
    let pairs: Vec<(String, String)> = tampered.query_pairs().into_owned().collect();
    tampered.query_pairs_mut().clear();
    for (name, value) in pairs {
        let value = if name == "code_challenge" { "A".repeat(43) } else { value };
        tampered.query_pairs_mut().append_pair(&name, &value);
    }
    let page = follow_sign_in(tampered.as_str());
    assert!(page.body.contains("Sign-in to Confluent Cloud failed"), "{}", page.body);
    assert!(page.body.contains(&format!("url={EDITOR_CALLBACK}?success=false")), "{}", page.body);

    let events = cloud.until("cloud", "FAILED");
    let failed = &events.last().unwrap()["connection"];
    let (message, transient) = sign_in_error(failed, "sign_in");
    assert!(message.contains("refused the sign-in code: invalid_grant (Failed to verify code verifier)"), "{message}");
    assert!(!transient);
    assert!(page.body.contains("Failed to verify code verifier"), "the page says what happened too");
    assert_eq!(cloud.fake.refusals(), ["token: PKCE"]);
}

#[test]
fn each_failing_exchange_step_is_failed_with_its_own_message() {
    let mut cloud = start_cloud(json!({}));
    cloud.create(cloud_spec("cloud", None));
    type Setter = fn(&mut Behaviour);
    let cases: [(&str, Setter, &str); 6] = [
        (
            "token endpoint answers HTML",
            |b| b.token_garbage = true,
            "answered with something that is not a token response",
        ),
        ("sessions answers an error", |b| b.session_error = true, "Confluent Cloud refused to open a session (POST "),
        (
            "sessions answers garbage",
            |b| b.session_garbage = true,
            "/api/sessions with something that is not a JSON object (HTTP 201)",
        ),
        (
            "sessions without the cookie",
            |b| b.session_without_cookie = true,
            "/api/sessions answered without the auth_token cookie",
        ),
        (
            "access_tokens answers an error",
            |b| b.access_token_error = true,
            "Confluent Cloud refused a data-plane token (POST ",
        ),
        (
            "access_tokens answers garbage",
            |b| b.access_token_garbage = true,
            "/api/access_tokens with something that is not a JSON object (HTTP 201)",
        ),
    ];
    let reasons =
        ["", "Unauthorized: the id token was revoked", "", "", "Forbidden: data-plane access is disabled", ""];
    for ((what, set, expected), reason) in cases.into_iter().zip(reasons) {
        cloud.fake.set(|b| *b = Behaviour::default());
        cloud.fake.set(set);
        let uri = cloud.sign_in("cloud");
        let page = follow_sign_in(&uri);
        assert!(page.body.contains("Sign-in to Confluent Cloud failed"), "{what}: {}", page.body);
        let events = cloud.until("cloud", "FAILED");
        let (message, transient) = sign_in_error(&events.last().unwrap()["connection"], "sign_in");
        assert!(message.contains(expected), "{what}: {message}");
        assert!(message.contains(reason), "{what}: the server's reason is in the message: {message}");
        assert!(!transient, "{what}");
    }
    cloud.fake.set(|b| *b = Behaviour::default());
    let uri = cloud.sign_in("cloud");
    follow_sign_in(&uri);
    let events = cloud.until("cloud", "SUCCESS");
    assert!(
        events.last().unwrap()["connection"]["status"]["ccloud"].get("errors").is_none(),
        "a new sign-in clears the errors"
    );
    cloud.assert_no_refusals();
}

#[test]
fn tokens_are_refreshed_before_they_expire() {
    let mut cloud = start_cloud(json!({"token_lifetime_seconds": 0.5}));
    cloud.signed_in("cloud", None);
    wait_until("three refreshes", WAIT, || cloud.fake.refresh_grants() >= 3);
    assert!(
        cloud.fake.session_organizations().len() >= cloud.fake.refresh_grants(),
        "each refresh opens a new session"
    );
    wait_until("a check with a refreshed token", WAIT, || {
        let checked = cloud.fake.checked_tokens();
        checked.iter().collect::<std::collections::HashSet<_>>().len() >= 2
    });
    let seen = cloud.sidecar.drain(Duration::from_millis(300));
    assert!(seen.iter().all(|m| m["method"] != "connections/event"), "refreshes that work change nothing: {seen:#?}");
    let connection = cloud.get("cloud");
    assert_eq!(ccloud_state(&connection), "SUCCESS");
    assert!(connection["status"]["ccloud"].get("errors").is_none());
    cloud.assert_no_refusals();
}

#[test]
fn a_rejected_refresh_token_is_failed() {
    let mut cloud = start_cloud(json!({"token_lifetime_seconds": 0.5}));
    cloud.signed_in("cloud", None);
    cloud.fake.set(|b| b.reject_refresh = true);
    let events = cloud.until("cloud", "FAILED");
    let failed = &events.last().unwrap()["connection"];
    let (message, transient) = sign_in_error(failed, "token_refresh");
    assert!(
        message.contains("refused the refresh token: invalid_grant (Unknown or invalid refresh token.)"),
        "{message}"
    );
    assert!(!transient);
    assert!(failed["status"]["ccloud"].get("requires_authentication_at").is_none());
    assert_eq!(failed["status"]["authentication"]["status"], "FAILED");
}

#[test]
fn an_invalid_session_is_expired_and_signing_in_again_succeeds() {
    let mut cloud = start_cloud(json!({}));
    cloud.signed_in("cloud", None);

    // A control plane in trouble is a transient error; the state stays SUCCESS.
    cloud.fake.set(|b| b.check_unavailable = true);
    let events = events_until(&mut cloud.sidecar, "cloud", "a transient check error", |e| {
        e["connection"]["status"]["ccloud"]["errors"]["auth_status_check"].is_object()
    });
    let noted = &events.last().unwrap()["connection"];
    assert_eq!(
        (events.last().unwrap()["action"].as_str(), ccloud_state(noted).as_str()),
        (Some("CONNECTED"), "SUCCESS")
    );
    let (message, transient) = sign_in_error(noted, "auth_status_check");
    assert!(message.contains("HTTP 503") && transient, "{message}");
    assert_derived(noted);
    cloud.fake.set(|b| b.check_unavailable = false);
    events_until(&mut cloud.sidecar, "cloud", "the error to clear", |e| {
        e["connection"]["status"]["ccloud"].get("errors").is_none()
    });

    cloud.fake.set(|b| b.sessions_invalid = true);
    let events = cloud.until("cloud", "EXPIRED");
    let expired = &events.last().unwrap()["connection"];
    assert_eq!(expired["status"]["authentication"]["status"], "INVALID_TOKEN");
    let (message, transient) = sign_in_error(expired, "auth_status_check");
    assert!(message.contains("token is expired or was revoked") && !transient, "{message}");

    cloud.fake.set(|b| b.sessions_invalid = false);
    let uri = cloud.sign_in("cloud");
    follow_sign_in(&uri);
    let events = cloud.until("cloud", "SUCCESS");
    assert_eq!(events.last().unwrap()["connection"]["status"]["authentication"]["status"], "VALID_TOKEN");
}

#[test]
fn the_absolute_lifetime_ends_the_session() {
    let mut cloud = start_cloud(json!({"absolute_lifetime_seconds": 1.5, "token_lifetime_seconds": 1}));
    let started = Instant::now();
    cloud.signed_in("cloud", None);
    let events = cloud.until("cloud", "NONE");
    assert!(started.elapsed() >= Duration::from_millis(1500));
    let ended = &events.last().unwrap()["connection"];
    assert_eq!(ended["status"], json!({"authentication": {"status": "NO_TOKEN"}, "ccloud": {"state": "NONE"}}));
    assert_eq!(events.last().unwrap()["action"], "DISCONNECTED");
    let checks = cloud.fake.check_jwt_calls();
    let quiet = cloud.sidecar.drain(Duration::from_millis(500));
    assert!(quiet.iter().all(|m| m["method"] != "connections/event"));
    assert_eq!(cloud.fake.check_jwt_calls(), checks, "an ended session is not checked");
}

#[test]
fn sign_out_drops_the_session() {
    let mut cloud = start_cloud(json!({}));
    cloud.signed_in("cloud", None);
    let out = cloud.sidecar.request("ccloud/signOut", json!({"id": "cloud"}), WAIT).expect("signOut succeeds");
    assert_eq!(out["status"], json!({"authentication": {"status": "NO_TOKEN"}, "ccloud": {"state": "NONE"}}));
    assert!(out["metadata"]["sign_in_uri"].is_string());
    let events = cloud.until("cloud", "NONE");
    assert_eq!(events.last().unwrap()["action"], "DISCONNECTED");
    let checks = cloud.fake.check_jwt_calls();
    cloud.sidecar.drain(Duration::from_millis(500));
    assert_eq!(cloud.fake.check_jwt_calls(), checks, "nothing is checked after sign-out");
}

#[test]
fn an_organization_change_switches_the_session_or_is_refused() {
    let mut cloud = start_cloud(json!({}));
    cloud.signed_in("cloud", None);

    let updated = cloud
        .sidecar
        .request("connections/update", json!({"id": "cloud", "spec": cloud_spec("cloud", Some(ORG_OTHER))}), WAIT)
        .expect("switching to an organization of the user succeeds");
    assert_eq!(ccloud_state(&updated), "SUCCESS");
    assert_eq!(cloud.fake.session_organizations().last(), Some(&Some(ORG_OTHER.to_string())));
    let event = cloud.sidecar.next_event("cloud", WAIT).expect("UPDATED");
    assert_eq!((event["action"].as_str(), &event["connection"]), (Some("UPDATED"), &updated));
    assert_derived(&updated);

    let unknown = "9d3c1f0e-1111-4222-8333-444455556666";
    for (method, params) in [
        ("connections/update", json!({"id": "cloud", "spec": cloud_spec("cloud", Some(unknown))})),
        ("connections/patch", json!({"id": "cloud", "patch": {"ccloud_config": {"organization_id": unknown}}})),
    ] {
        let error = cloud.sidecar.request(method, params, WAIT).unwrap_err();
        assert_eq!(error["code"], -32602, "{method}: {error}");
        assert_eq!(error["data"]["errors"][0]["source"], "ccloud_config.organization_id", "{method}: {error}");
        let detail = error["data"]["errors"][0]["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("User is not a member of organization {unknown}")), "{detail}");
        assert_eq!(cloud.get("cloud"), updated, "{method}: the connection is as it was");
    }
    let seen = cloud.sidecar.drain(Duration::from_millis(300));
    assert!(seen.iter().all(|m| m["method"] != "connections/event"), "refused changes send nothing: {seen:#?}");
    assert_eq!(cloud.fake.refusals(), ["sessions: unknown organization", "sessions: unknown organization"]);
}

fn start_with_capabilities(fake: &FakeCCloud, port: u16, capabilities: Value) -> SidecarProcess {
    let mut sidecar = SidecarProcess::spawn(command("warn")).expect("the sidecar binary starts");
    let params = json!({"processId": null, "capabilities": capabilities,
        "initializationOptions": options(fake, port, json!({}))});
    sidecar.request("initialize", params, WAIT).expect("initialize succeeds");
    sidecar.notify("initialized", json!({}));
    sidecar
}

fn is_show_document(message: &Value) -> bool {
    message["method"] == "window/showDocument"
}

#[test]
fn show_document_is_sent_only_to_clients_that_support_it() {
    let port = free_port();
    let fake = FakeCCloud::start(port);
    let mut editor = start_with_capabilities(&fake, port, json!({"window": {"showDocument": {"support": true}}}));
    create(&mut editor, cloud_spec("cloud", None));
    let result = editor.request("ccloud/signIn", json!({"id": "cloud"}), WAIT).unwrap();
    let request = editor.wait_for(WAIT, is_show_document).expect("window/showDocument within the wait");
    assert_eq!(request["params"], json!({"uri": result["sign_in_uri"], "external": true, "takeFocus": true}));
    editor.send(&json!({"jsonrpc": "2.0", "id": request["id"], "result": {"success": true}}));

    editor.request("ccloud/signIn", json!({"id": "cloud", "open_browser": false}), WAIT).unwrap();
    assert!(editor.wait_for(Duration::from_millis(500), is_show_document).is_none(), "open_browser: false");

    let mut plain =
        start_with_capabilities(&fake, free_port(), json!({"window": {"showDocument": {"support": false}}}));
    create(&mut plain, cloud_spec("cloud", None));
    plain.request("ccloud/signIn", json!({"id": "cloud"}), WAIT).unwrap();
    assert!(plain.wait_for(Duration::from_millis(500), is_show_document).is_none(), "a client without support");
}

#[test]
fn a_callback_port_in_use_is_a_sign_in_error() {
    let mut cloud = start_cloud(json!({}));
    cloud.create(cloud_spec("cloud", None));
    let squatter = TcpListener::bind(("127.0.0.1", cloud.port)).unwrap();
    let error = cloud.sidecar.request("ccloud/signIn", json!({"id": "cloud"}), WAIT).unwrap_err();
    assert_eq!(error["code"], -32020);
    let message = error["message"].as_str().unwrap().to_string();
    assert!(message.contains(&format!("port {} on 127.0.0.1 is already in use", cloud.port)), "{message}");
    let events = cloud.until("cloud", "FAILED");
    assert_eq!(sign_in_error(&events.last().unwrap()["connection"], "sign_in"), (message, true));

    drop(squatter);
    let uri = cloud.sign_in("cloud");
    follow_sign_in(&uri);
    cloud.until("cloud", "SUCCESS");
}

#[test]
fn sign_in_methods_refuse_what_they_cannot_sign_in() {
    let mut cloud = start_cloud(json!({}));
    let mut direct = registry_spec("direct", &format!("http://127.0.0.1:{}", closed_port()));
    direct["id"] = json!("direct");
    create(&mut cloud.sidecar, direct);
    let cases = [
        ("ccloud/signIn", json!({"id": "missing"}), -32010),
        ("ccloud/signOut", json!({"id": "missing"}), -32010),
        ("ccloud/signIn", json!({"id": "direct"}), -32021),
        ("ccloud/signOut", json!({"id": "direct"}), -32021),
        ("ccloud/signIn", json!({}), -32602),
        ("ccloud/signIn", json!({"id": "direct", "open_browser": "yes"}), -32602),
    ];
    for (method, params, code) in cases {
        let error = cloud.sidecar.request(method, params.clone(), WAIT).unwrap_err();
        assert_eq!(error["code"], code, "{method} {params}: {error}");
    }
    assert!(!listening(cloud.port));
}

#[test]
fn a_pending_sign_in_stops_listening_after_its_time_limit() {
    let mut cloud = start_cloud(json!({"sign_in_timeout_seconds": 0.5}));
    cloud.create(cloud_spec("cloud", None));
    let uri = cloud.sign_in("cloud");
    assert!(listening(cloud.port));
    wait_until("the listener to give up after its time limit", WAIT, || !listening(cloud.port));
    let authorize = http("GET", &uri).unwrap();
    let callback = authorize.header("Location").unwrap().to_string();
    assert!(http("GET", &callback).is_err(), "nobody answers a late browser");
    assert_eq!(ccloud_state(&cloud.get("cloud")), "NONE");
}

#[test]
fn tokens_never_reach_responses_events_or_logs() {
    let port = free_port();
    let fake = FakeCCloud::start(port);
    let log_path = std::env::temp_dir().join(format!("ide-sidecar-ccloud-{}.log", std::process::id()));
    let mut command = command("trace");
    command.stderr(std::fs::File::create(&log_path).unwrap());
    let mut sidecar = SidecarProcess::spawn(command).unwrap();
    sidecar.initialize(options(&fake, port, json!({"token_lifetime_seconds": 0.5})));
    let mut cloud = Cloud { sidecar, fake, port };
    let mut wire = Vec::new();

    wire.push(cloud.create(cloud_spec("cloud", None)));
    let uri = cloud.sign_in("cloud");
    follow_sign_in(&uri);
    wire.extend(cloud.until("cloud", "SUCCESS"));
    wire.push(cloud.sidecar.request("ccloud/resources", json!({"connection_id": "cloud"}), WAIT).unwrap());
    wait_until("two refreshes", WAIT, || cloud.fake.refresh_grants() >= 2);
    let switched = cloud
        .sidecar
        .request("connections/update", json!({"id": "cloud", "spec": cloud_spec("cloud", Some(ORG_OTHER))}), WAIT)
        .unwrap();
    wire.push(switched);
    wire.push(cloud.sidecar.request("connections/refresh", json!({"id": "cloud"}), WAIT).unwrap());
    wire.push(cloud.sidecar.request("connections/list", json!({}), WAIT).unwrap());
    wire.push(cloud.sidecar.request("ccloud/signOut", json!({"id": "cloud"}), WAIT).unwrap());
    wire.extend(cloud.sidecar.drain(Duration::from_millis(300)));
    cloud.sidecar.shutdown();
    let logs = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    assert!(logs.contains("TRACE"), "trace logging was on");

    let wire = serde_json::to_string(&wire).unwrap();
    let secrets = cloud.fake.secrets();
    assert!(secrets.len() >= 12, "codes, verifiers and every kind of token were issued: {}", secrets.len());
    for secret in secrets {
        assert!(!wire.contains(&secret), "a secret reached a response or an event");
        assert!(!logs.contains(&secret), "a secret reached the logs");
    }
    cloud.assert_no_refusals();
}

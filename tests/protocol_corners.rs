//! Protocol corners third-party clients hit (pygls, eglot, pytest-lsp) and inputs sized to hurt:
//! each is answered as the client needs, at once, and the session goes on.

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::*;

fn framed(body: &[u8]) -> Vec<u8> {
    [format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes(), body.to_vec()].concat()
}

/// The one reply whose `id` equals `id` (compared as JSON), within the wait.
fn reply(sidecar: &mut SidecarProcess, id: &Value) -> Value {
    sidecar.response_to(id, WAIT).unwrap_or_else(|| panic!("no reply with id {id} within {WAIT:?}"))
}

#[test]
fn an_unknown_dollar_request_is_answered_method_not_found_and_a_notification_is_not() {
    let mut sidecar = start(json!({}));
    sidecar.send_raw(&framed(br#"{"jsonrpc":"2.0","id":41,"method":"$/unknownThing","params":{}}"#));
    let answer = reply(&mut sidecar, &json!(41));
    assert_eq!(answer["error"]["code"], -32601, "{answer}");
    sidecar.backlog.clear();
    sidecar.send_raw(&framed(br#"{"jsonrpc":"2.0","method":"$/unknownThing","params":{}}"#));
    let list = sidecar.request("connections/list", json!({}), WAIT).expect("list answers");
    assert_eq!(list["data"], json!([]));
    let stray = sidecar.wait_for(Duration::from_millis(200), |m| m.get("error").is_some());
    assert!(stray.is_none(), "a notification got an answer: {stray:?}");
}

#[test]
fn params_omitted_or_null_count_as_empty() {
    let mut sidecar = start(json!({}));
    sidecar.send_raw(&framed(br#"{"jsonrpc":"2.0","id":1,"method":"connections/list"}"#));
    assert_eq!(reply(&mut sidecar, &json!(1))["result"], json!({"data": []}));
    sidecar.send_raw(&framed(br#"{"jsonrpc":"2.0","id":2,"method":"connections/list","params":null}"#));
    assert_eq!(reply(&mut sidecar, &json!(2))["result"], json!({"data": []}));
    // A method that needs params still says which one is missing.
    sidecar.send_raw(&framed(br#"{"jsonrpc":"2.0","id":3,"method":"connections/get"}"#));
    let answer = reply(&mut sidecar, &json!(3));
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    assert_eq!(answer["error"]["data"]["errors"][0]["source"], "id", "{answer}");
    sidecar.send_raw(&framed(br#"{"jsonrpc":"2.0","id":4,"method":"connections/create","params":null}"#));
    let answer = reply(&mut sidecar, &json!(4));
    assert_eq!(answer["error"]["data"]["errors"][0]["source"], "spec", "{answer}");
    // shutdown and exit take no params: still fine without them.
    assert_eq!(sidecar.shutdown().and_then(|s| s.code()), Some(0));
}

#[test]
fn an_id_the_server_cannot_take_is_echoed_so_the_client_can_match_the_error() {
    let mut sidecar = start(json!({}));
    for id in ["1.5", "18446744073709551615", "-9223372036854775809", "1e3"] {
        let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"connections/list","params":{{}}}}"#);
        sidecar.backlog.clear();
        sidecar.send_raw(&framed(body.as_bytes()));
        let sent: Value = serde_json::from_str(id).unwrap();
        let answer = sidecar
            .wait_for(WAIT, |m| m.get("error").is_some())
            .unwrap_or_else(|| panic!("no error for the request with id {id}"));
        assert_eq!(answer["id"], sent, "the error for id {id} carries another id: {answer}");
        assert_eq!(answer["error"]["code"], -32600, "{answer}");
    }
    // Ids it can take are served as before.
    sidecar.send_raw(&framed(br#"{"jsonrpc":"2.0","id":9223372036854775807,"method":"connections/list"}"#));
    assert_eq!(reply(&mut sidecar, &json!(i64::MAX))["result"], json!({"data": []}));
}

#[test]
fn a_declared_length_over_the_limit_is_answered_at_once_and_the_session_goes_on() {
    let mut sidecar = start(json!({}));
    // Four gigabytes announced and never sent: nothing may wait for them.
    sidecar
        .send_raw(b"Content-Length: 4294967296\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"connections/list\"");
    let asked = Instant::now();
    let error = sidecar.wait_for(WAIT, |m| m.get("error").is_some()).expect("the oversized frame is answered");
    assert_eq!(error["error"]["code"], -32600, "{error}");
    assert_eq!(error["id"], Value::Null);
    assert!(asked.elapsed() < Duration::from_secs(5), "answered only after {:?}", asked.elapsed());
    let list = sidecar.request("connections/list", json!({}), WAIT).expect("the next request is served");
    assert_eq!(list["data"], json!([]));
    assert_eq!(sidecar.shutdown().and_then(|s| s.code()), Some(0), "shutdown and exit are still seen");
}

#[test]
fn a_million_bad_bootstrap_servers_get_a_short_answer_fast() {
    let mut sidecar = start(json!({}));
    let servers = "bad host,".repeat(1_000_000);
    let spec = json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": servers}});
    let asked = Instant::now();
    let error = sidecar.request("connections/create", json!({"spec": spec}), WAIT).expect_err("refused");
    let took = asked.elapsed();
    let problems = error["data"]["errors"].as_array().expect("problems listed").clone();
    assert!(problems.len() <= 8, "{} problems reported", problems.len());
    let text = error.to_string();
    assert!(text.len() < 4096, "a reply of {} bytes", text.len());
    assert!(text.contains("at most 256 characters"), "{text}");
    // Generous on a shared machine: the old code took about a minute for 2 MB.
    assert!(took < Duration::from_secs(10), "answered after {took:?}");
    let (_, rss_kb, _) = proc_status(sidecar.pid());
    assert!(rss_kb < 200 * 1024, "RSS {rss_kb} kB after the request");
    // A long single entry is quoted by a short prefix only.
    let long_host = format!("{}:notaport", "h".repeat(100_000));
    let spec = json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": long_host}});
    let error = sidecar.request("connections/create", json!({"spec": spec}), WAIT).expect_err("refused");
    assert!(error.to_string().len() < 2048, "{} bytes", error.to_string().len());
}

#[test]
fn a_secret_sent_with_the_wrong_type_is_never_echoed() {
    let mut sidecar = start(json!({}));
    for (field, value) in [
        ("password", json!(987654321)),
        ("password", json!(3.25)),
        ("password", json!(true)),
        ("api_secret", json!(123456789012u64)),
    ] {
        let spec = json!({"name": "n", "type": "DIRECT", "kafka_cluster": {
            "bootstrap_servers": "127.0.0.1:1", "credentials": {"username": "u", field: value}}});
        let error = sidecar.request("connections/create", json!({"spec": spec}), WAIT).expect_err("refused");
        let text = error.to_string();
        assert!(!text.contains(&value.to_string()), "{field} = {value} echoed: {text}");
        assert!(text.contains("invalid type"), "the type is still named: {text}");
    }
    // A huge value of the wrong type is not echoed either.
    let spec = json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "127.0.0.1:1",
        "ssl": {"enabled": "y".repeat(1_000_000)}}});
    let error = sidecar.request("connections/create", json!({"spec": spec}), WAIT).expect_err("refused");
    assert!(error.to_string().len() < 1024, "{} bytes", error.to_string().len());
}

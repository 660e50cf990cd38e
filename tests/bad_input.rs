//! Bad input of every kind, each answered as JSON-RPC requires, with the process alive and the
//! store unchanged afterwards.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::*;

/// What a bad input must get back.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// An error response with this code, for the request's id (or `null` when it has none).
    Error(i64),
    /// Nothing: a notification gets no response, and so does a response to an unknown request.
    Nothing,
}

struct Case {
    name: String,
    bytes: Vec<u8>,
    expect: Expect,
}

fn framed(body: &[u8]) -> Vec<u8> {
    [format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes(), body.to_vec()].concat()
}

fn case(name: impl Into<String>, bytes: Vec<u8>, expect: Expect) -> Case {
    Case { name: name.into(), bytes, expect }
}

fn request(id: i64, method: &str, params: Value) -> Vec<u8> {
    framed(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string().as_bytes())
}

fn valid_spec() -> Value {
    json!({"name": "n", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "127.0.0.1:1", "ssl": {"enabled": false}}})
}

/// Sets `path` (dotted) in a copy of `spec` to `value`.
fn with(spec: &Value, path: &str, value: Value) -> Value {
    let mut spec = spec.clone();
    let mut target = &mut spec;
    let parts: Vec<&str> = path.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        if !target[*part].is_object() {
            target[*part] = json!({});
        }
        target = &mut target[*part];
    }
    target[parts[parts.len() - 1]] = value;
    spec
}

fn cases() -> Vec<Case> {
    use Expect::*;
    let mut all = vec![
        // Framing.
        case("no Content-Length", b"Content-Type: application/json\r\n\r\n{}".to_vec(), Error(-32700)),
        case("Content-Length not a number", b"Content-Length: ten\r\n\r\n".to_vec(), Error(-32700)),
        case("negative Content-Length", b"Content-Length: -5\r\n\r\n".to_vec(), Error(-32700)),
        case(
            "Content-Length overflowing u64",
            b"Content-Length: 184467440737095516160\r\n\r\n".to_vec(),
            Error(-32700),
        ),
        case("header without colon", b"Content-Length 2\r\n\r\n".to_vec(), Error(-32700)),
        case("header line of 100 kB", [vec![b'X'; 100_000], b"\r\n\r\n".to_vec()].concat(), Error(-32700)),
        case(
            "body over the 16 MiB limit",
            {
                let mut bytes = format!("Content-Length: {}\r\n\r\n", 17 * 1024 * 1024).into_bytes();
                bytes.resize(bytes.len() + 17 * 1024 * 1024, b' ');
                bytes
            },
            Error(-32600),
        ),
        case("body not JSON", framed(b"hello"), Error(-32700)),
        case("body truncated JSON", framed(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"meth"), Error(-32700)),
        case("body of invalid UTF-8", framed(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\xfe\"}"), Error(-32700)),
        case("body is an empty string", framed(b""), Error(-32700)),
        case("body with a trailing comma", framed(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",}"), Error(-32700)),
        case("very deep JSON", framed(&[vec![b'['; 100_000], vec![b']'; 100_000]].concat()), Error(-32700)),
        case(
            "Content-Length larger than the JSON, padded",
            {
                let body = br#"{"jsonrpc":"2.0","id":1,"method":"connections/list","params":{}}"#;
                [format!("Content-Length: {}\r\n\r\n", body.len() + 5).into_bytes(), body.to_vec(), b"xxxxx".to_vec()]
                    .concat()
            },
            Error(-32700),
        ),
        case(
            "Content-Length shorter than the JSON",
            {
                let body = br#"{"jsonrpc":"2.0","id":1,"method":"connections/list","params":{}}"#;
                [format!("Content-Length: {}\r\n\r\n", body.len() - 3).into_bytes(), body.to_vec()].concat()
            },
            Error(-32700),
        ),
        case("a zero-length frame", b"Content-Length: 0\r\n\r\n".to_vec(), Error(-32700)),
        // JSON-RPC shape.
        case("JSON number", framed(b"42"), Error(-32600)),
        case("JSON string", framed(b"\"hello\""), Error(-32600)),
        case("JSON null", framed(b"null"), Error(-32600)),
        case("empty batch", framed(b"[]"), Error(-32600)),
        case(
            "batch of one request",
            framed(br#"[{"jsonrpc":"2.0","id":1,"method":"connections/list","params":{}}]"#),
            Error(-32600),
        ),
        case("batch of numbers", framed(b"[1,2,3]"), Error(-32600)),
        case("empty object", framed(b"{}"), Error(-32600)),
        case(
            "jsonrpc 1.0",
            framed(br#"{"jsonrpc":"1.0","id":1,"method":"connections/list","params":{}}"#),
            Error(-32600),
        ),
        case("jsonrpc missing", framed(br#"{"id":1,"method":"connections/list","params":{}}"#), Error(-32600)),
        case("jsonrpc a number", framed(br#"{"jsonrpc":2,"id":1,"method":"connections/list"}"#), Error(-32600)),
        case("method a number", framed(br#"{"jsonrpc":"2.0","id":1,"method":5}"#), Error(-32600)),
        case("method null", framed(br#"{"jsonrpc":"2.0","id":1,"method":null}"#), Error(-32600)),
        case(
            "id an object",
            framed(br#"{"jsonrpc":"2.0","id":{"a":1},"method":"connections/list","params":{}}"#),
            Error(-32600),
        ),
        case(
            "id an array",
            framed(br#"{"jsonrpc":"2.0","id":[1],"method":"connections/list","params":{}}"#),
            Error(-32600),
        ),
        case(
            "id a float",
            framed(br#"{"jsonrpc":"2.0","id":1.5,"method":"connections/list","params":{}}"#),
            Error(-32600),
        ),
        case("neither method nor result", framed(br#"{"jsonrpc":"2.0","id":1}"#), Error(-32600)),
        case("response to a request never sent", framed(br#"{"jsonrpc":"2.0","id":987,"result":{}}"#), Nothing),
        case(
            "error response never asked for",
            framed(br#"{"jsonrpc":"2.0","id":988,"error":{"code":1,"message":"x"}}"#),
            Nothing,
        ),
        case("response with a bad error object", framed(br#"{"jsonrpc":"2.0","id":5,"error":"nope"}"#), Error(-32600)),
        case(
            "unknown notification",
            framed(br#"{"jsonrpc":"2.0","method":"connections/whatever","params":{}}"#),
            Nothing,
        ),
        case(
            "notification of a request method",
            framed(br#"{"jsonrpc":"2.0","method":"connections/list","params":{}}"#),
            Nothing,
        ),
        case(
            "cancel of an unknown request",
            framed(br#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":12345}}"#),
            Nothing,
        ),
        case("second initialize", request(1, "initialize", json!({"capabilities": {}})), Error(-32600)),
    ];
    for method in [
        "connections/frobnicate",
        "connection/list",
        "CONNECTIONS/LIST",
        "",
        "workspace/unknownThing",
        "ccloud/unknown",
    ] {
        all.push(case(format!("unknown method {method:?}"), request(7, method, json!({})), Error(-32601)));
    }
    // Params that are not objects, for every method.
    let methods = [
        "connections/list",
        "connections/get",
        "connections/create",
        "connections/update",
        "connections/patch",
        "connections/delete",
        "connections/refresh",
    ];
    for method in methods {
        for params in [json!([]), json!([{"id": "x"}]), json!("x"), json!(1), json!(true)] {
            all.push(case(format!("{method} with params {params}"), request(8, method, params), Error(-32602)));
        }
        if method != "connections/list" {
            all.push(case(format!("{method} with empty params"), request(8, method, json!({})), Error(-32602)));
        }
    }
    for method in ["connections/get", "connections/delete", "connections/refresh"] {
        for id in [json!(1), json!(null), json!(["a"]), json!({"a": 1}), json!(false)] {
            all.push(case(format!("{method} with id {id}"), request(9, method, json!({"id": id})), Error(-32602)));
        }
    }
    // Wrong types in every field of a spec.
    let spec = valid_spec();
    let wrong_types: Vec<(&str, Value)> = vec![
        ("id", json!(5)),
        ("name", json!(5)),
        ("name", json!(["n"])),
        ("type", json!(1)),
        ("type", json!("direct-ish")),
        ("ccloud_config", json!("x")),
        ("ccloud_config.organization_id", json!(1)),
        ("ccloud_config.ide_auth_callback_uri", json!(true)),
        ("local_config", json!(5)),
        ("local_config.schema_registry_uri", json!(1)),
        ("kafka_cluster", json!("x")),
        ("kafka_cluster.bootstrap_servers", json!(9092)),
        ("kafka_cluster.client_id_suffix", json!({})),
        ("kafka_cluster.credentials", json!([])),
        ("kafka_cluster.credentials.username", json!(1)),
        ("kafka_cluster.credentials.password", json!(1)),
        ("kafka_cluster.credentials.api_key", json!([])),
        ("kafka_cluster.credentials.api_secret", json!({})),
        ("kafka_cluster.credentials.hash_algorithm", json!("MD5")),
        ("kafka_cluster.credentials.scram_username", json!(2)),
        ("kafka_cluster.credentials.scram_password", json!(null)),
        ("kafka_cluster.credentials.tokens_url", json!(1)),
        ("kafka_cluster.credentials.client_id", json!(1)),
        ("kafka_cluster.credentials.client_secret", json!(1)),
        ("kafka_cluster.credentials.scope", json!(1)),
        ("kafka_cluster.credentials.connect_timeout_millis", json!("10")),
        ("kafka_cluster.credentials.connect_timeout_millis", json!(-1)),
        ("kafka_cluster.credentials.ccloud_logical_cluster_id", json!(1)),
        ("kafka_cluster.credentials.ccloud_identity_pool_id", json!(1)),
        ("kafka_cluster.credentials.principal", json!(1)),
        ("kafka_cluster.credentials.keytab_path", json!(1)),
        ("kafka_cluster.credentials.service_name", json!(1)),
        ("kafka_cluster.ssl", json!(true)),
        ("kafka_cluster.ssl.enabled", json!("false")),
        ("kafka_cluster.ssl.verify_hostname", json!(0)),
        ("kafka_cluster.ssl.truststore", json!("x")),
        ("kafka_cluster.ssl.truststore.path", json!(1)),
        ("kafka_cluster.ssl.truststore.password", json!(1)),
        ("kafka_cluster.ssl.truststore.type", json!("PFX")),
        ("kafka_cluster.ssl.keystore.path", json!(1)),
        ("kafka_cluster.ssl.keystore.key_password", json!(1)),
        ("kafka_cluster.ssl.keystore.type", json!(1)),
        ("schema_registry", json!([])),
        ("schema_registry.uri", json!(1)),
        ("schema_registry.id", json!(1)),
        ("schema_registry.credentials", json!("x")),
        ("schema_registry.ssl", json!(1)),
    ];
    for (path, value) in wrong_types {
        let params = json!({"spec": with(&spec, path, value.clone())});
        all.push(case(
            format!("create with {path} = {value}"),
            request(10, "connections/create", params),
            Error(-32602),
        ));
    }
    // Content that decodes but is not valid, and huge values.
    let invalid: Vec<(&str, Value)> = vec![
        ("name", json!("")),
        ("name", json!("x".repeat(1_000_000))),
        ("id", json!("i".repeat(100_000))),
        ("kafka_cluster.bootstrap_servers", json!("h:1,".repeat(100_000))),
        ("kafka_cluster.bootstrap_servers", json!("host:99999")),
        ("schema_registry.uri", json!("javascript:alert(1)")),
        ("kafka_cluster.credentials.password", json!("p".repeat(2_000_000))),
    ];
    for (path, value) in invalid {
        let shown: String = value.to_string().chars().take(40).collect();
        let params = json!({"spec": with(&spec, path, value)});
        all.push(case(
            format!("create with invalid {path} = {shown}"),
            request(11, "connections/create", params),
            Error(-32602),
        ));
    }
    all.push(case(
        "update changing the type",
        request(12, "connections/update", json!({"id": "kept", "spec": with(&spec, "type", json!("LOCAL"))})),
        Error(-32602),
    ));
    all.push(case(
        "patch that is not an object",
        request(13, "connections/patch", json!({"id": "kept", "patch": "x"})),
        Error(-32602),
    ));
    all.push(case(
        "patch making the name null",
        request(14, "connections/patch", json!({"id": "kept", "patch": {"name": null}})),
        Error(-32602),
    ));
    all.push(case(
        "patch with a wrong type",
        request(15, "connections/patch", json!({"id": "kept", "patch": {"kafka_cluster": {"ssl": {"enabled": "no"}}}})),
        Error(-32602),
    ));
    all.push(case(
        "create a duplicate id",
        request(16, "connections/create", json!({"spec": with(&spec, "id", json!("kept"))})),
        Error(-32011),
    ));
    all.push(case("get an unknown id", request(17, "connections/get", json!({"id": "missing"})), Error(-32010)));
    all.push(case("delete an unknown id", request(18, "connections/delete", json!({"id": "missing"})), Error(-32010)));
    all
}

#[test]
fn over_a_hundred_bad_inputs_each_get_their_answer_and_change_nothing() {
    let cases = cases();
    assert!(cases.len() >= 100, "only {} cases", cases.len());
    let mut sidecar = start(json!({"direct": {"refresh_interval_seconds": 3600}, "check_timeout_seconds": 1}));
    sidecar
        .request("connections/create", json!({"spec": with(&valid_spec(), "id", json!("kept"))}), WAIT)
        .expect("the baseline connection is created");
    let list = |sidecar: &mut SidecarProcess| {
        let mut data = sidecar.request("connections/list", json!({}), WAIT).expect("list answers")["data"].clone();
        for connection in data.as_array_mut().unwrap() {
            // The status (and the revision, which follows it) changes as checks run; the rest must not.
            connection.as_object_mut().unwrap().remove("status");
            connection["metadata"].as_object_mut().unwrap().remove("revision");
        }
        data
    };
    let baseline = list(&mut sidecar);
    assert_eq!(baseline.as_array().unwrap().len(), 1);
    for case in cases {
        sidecar.backlog.clear();
        sidecar.send_raw(&case.bytes);
        // A marker request right after: its answer proves everything before it was handled.
        let marker = json!("marker");
        sidecar.send(&json!({"jsonrpc": "2.0", "id": marker, "method": "connections/list", "params": {}}));
        let answer = sidecar.response_to(&marker, WAIT);
        assert!(
            answer.is_some(),
            "{}: no answer to the next request; the process is {}",
            case.name,
            if sidecar.is_running() { "running" } else { "gone" }
        );
        // Requests run concurrently, so the reply to the bad input may come after the marker's.
        let is_reply = |m: &Value| m.get("method").is_none() && (m.get("error").is_some() || m.get("result").is_some());
        let settle = match case.expect {
            Expect::Error(_) => WAIT,
            Expect::Nothing => Duration::from_millis(100),
        };
        let late = sidecar.wait_for(settle, is_reply);
        let mut replies: Vec<Value> = late.into_iter().collect();
        replies.extend(sidecar.backlog.drain(..).filter(is_reply));
        match case.expect {
            Expect::Error(code) => {
                assert_eq!(replies.len(), 1, "{}: expected one error reply, got {replies:#?}", case.name);
                assert_eq!(replies[0]["error"]["code"], code, "{}: {}", case.name, replies[0]);
                assert_eq!(replies[0]["jsonrpc"], "2.0");
                let message = replies[0]["error"]["message"].as_str().unwrap_or_default();
                assert!(!message.is_empty(), "{}: an error says something", case.name);
            }
            Expect::Nothing => assert!(replies.is_empty(), "{}: expected no reply, got {replies:#?}", case.name),
        }
        assert_eq!(list(&mut sidecar), baseline, "{}: the store changed", case.name);
    }
    assert!(sidecar.is_running());
    assert_eq!(sidecar.shutdown().and_then(|s| s.code()), Some(0));
}

#[test]
fn a_body_cut_short_by_the_end_of_input_ends_the_process_cleanly() {
    let mut sidecar = start(json!({}));
    sidecar.send_raw(b"Content-Length: 100\r\n\r\n{\"jsonrpc\":");
    sidecar.close_stdin();
    let status = sidecar.wait_exit(Duration::from_secs(1)).expect("the sidecar exits at end of input");
    assert_eq!(status.code(), Some(1));
}

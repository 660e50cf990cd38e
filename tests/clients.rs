//! Kafka clients are closed when nothing uses them, against a real broker: dry runs and edits leave
//! no threads or file handles behind, a stored connection keeps its one client, and past the cap a
//! check says what to do. Timings belong to the bench; these bounds are generous.

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::*;

/// How long the process may take to return to its idle baseline: the pool's grace (15 s) and the
/// reaper's closing, with room for a slow, shared machine.
const RETURN_WAIT: Duration = Duration::from_secs(60);
/// Above the baseline and still idle: the pool's reaper thread, and tokio's blocking threads that
/// linger for 10 s after the last check.
const SLACK_THREADS: u64 = 8;
const SLACK_FILES: usize = 8;
/// The name of the thread that polls one client's events: one per open client.
const CLIENT_THREAD: &str = "kafka-events";
/// The most clients the sidecar opens at once.
const CAP: usize = 64;

/// (threads, open file handles) of the sidecar.
fn usage(sidecar: &SidecarProcess) -> (u64, usize) {
    (proc_status(sidecar.pid()).0, open_files(sidecar.pid()))
}

/// Waits until the sidecar is back near `baseline`; returns what it had then.
fn back_to(sidecar: &SidecarProcess, baseline: (u64, usize), after: &str) -> (u64, usize) {
    let deadline = Instant::now() + RETURN_WAIT;
    loop {
        let now = usage(sidecar);
        if now.0 <= baseline.0 + SLACK_THREADS && now.1 <= baseline.1 + SLACK_FILES {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "after {after}, still {now:?} (threads, open files) {RETURN_WAIT:?} later; the baseline was {baseline:?} and {} clients are open",
            threads_named(sidecar.pid(), CLIENT_THREAD).len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn spec_with_suffix(name: &str, broker: &Tansu, suffix: &str) -> Value {
    let mut spec = kafka_spec(name, &broker.bootstrap());
    spec["kafka_cluster"]["client_id_suffix"] = json!(suffix);
    spec
}

fn id_of(connection: &Value) -> String {
    connection["id"].as_str().expect("a connection has an id").to_string()
}

#[test]
fn a_hundred_dry_runs_with_distinct_settings_leave_no_clients_open() {
    let broker = Tansu::start();
    let mut sidecar = start(json!({}));
    let baseline = usage(&sidecar);
    for n in 0..100 {
        let spec = spec_with_suffix(&format!("dry-{n}"), &broker, &format!("dry-{n}"));
        let checked = sidecar
            .request("connections/create", json!({"spec": spec, "dry_run": true}), WAIT)
            .expect("a dry run answers");
        assert_eq!(state(&checked, "kafka_cluster"), "SUCCESS", "dry run {n}: {checked:#}");
        let open = threads_named(sidecar.pid(), CLIENT_THREAD).len();
        assert!(open <= CAP, "{open} clients open after dry run {n}");
    }
    let after = usage(&sidecar);
    let back = back_to(&sidecar, baseline, "100 dry runs");
    wait_until("no client to be open", WAIT, || threads_named(sidecar.pid(), CLIENT_THREAD).is_empty());
    eprintln!("idle {baseline:?}, right after 100 dry runs {after:?}, back to {back:?} (threads, open files)");
}

#[test]
fn a_hundred_edits_of_one_connection_leave_its_one_client() {
    let mut broker = Tansu::start();
    // Only the client's own signal can report the stopped broker at the end, not the schedule.
    let mut sidecar = start(json!({"direct": {"refresh_interval_seconds": 3600}, "check_timeout_seconds": 5}));
    let id = id_of(&create(&mut sidecar, spec_with_suffix("edited", &broker, "edit-0")));
    events_until(&mut sidecar, &id, "CONNECTED", |e| e["action"] == "CONNECTED");
    // One client in use, as at the end.
    let baseline = usage(&sidecar);
    for n in 1..=100 {
        let spec = spec_with_suffix("edited", &broker, &format!("edit-{n}"));
        sidecar.request("connections/update", json!({"id": id, "spec": spec}), WAIT).expect("the update is applied");
        events_until(&mut sidecar, &id, &format!("CONNECTED after edit {n}"), |e| e["action"] == "CONNECTED");
        let open = threads_named(sidecar.pid(), CLIENT_THREAD).len();
        assert!(open <= CAP, "{open} clients open after edit {n}");
    }
    let after = usage(&sidecar);
    let back = back_to(&sidecar, baseline, "100 edits");
    let connection = sidecar.request("connections/get", json!({"id": id}), WAIT).expect("get");
    assert_eq!(state(&connection, "kafka_cluster"), "SUCCESS");
    // Near the baseline may still be one client more, on its way out.
    wait_until("one client, the connection's own", WAIT, || threads_named(sidecar.pid(), CLIENT_THREAD).len() == 1);
    eprintln!("one connection {baseline:?}, right after 100 edits {after:?}, back to {back:?} (threads, open files)");

    // And it is the live client the connection watches: a stopped broker is reported at once.
    let stopped = Instant::now();
    broker.stop();
    events_until(&mut sidecar, &id, "DISCONNECTED", |e| e["action"] == "DISCONNECTED");
    assert!(stopped.elapsed() < Duration::from_secs(10), "reported {:?} after the broker stopped", stopped.elapsed());
}

#[test]
fn a_stored_connection_keeps_its_client_across_checks_refreshes_and_dry_runs() {
    let broker = Tansu::start();
    let mut sidecar = start(json!({"direct": {"refresh_interval_seconds": 0.5}}));
    let spec = spec_with_suffix("kept", &broker, "kept");
    let id = id_of(&create(&mut sidecar, spec.clone()));
    events_until(&mut sidecar, &id, "CONNECTED", |e| e["action"] == "CONNECTED");
    let client = threads_named(sidecar.pid(), CLIENT_THREAD);
    assert_eq!(client.len(), 1);
    // A dry run of the same settings ends while the stored connection uses the client.
    let mut same = spec.clone();
    same["name"] = json!("kept, dry run");
    let checked =
        sidecar.request("connections/create", json!({"spec": same, "dry_run": true}), WAIT).expect("a dry run answers");
    assert_eq!(state(&checked, "kafka_cluster"), "SUCCESS");
    // Longer than the pool's grace (15 s), with a check every half second and refreshes.
    let watched = Instant::now();
    while watched.elapsed() < Duration::from_secs(20) {
        assert_eq!(
            threads_named(sidecar.pid(), CLIENT_THREAD),
            client,
            "the client was replaced after {:?}",
            watched.elapsed()
        );
        let refreshed = sidecar.request("connections/refresh", json!({"id": id}), WAIT).expect("refresh");
        assert_eq!(state(&refreshed, "kafka_cluster"), "SUCCESS");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn past_the_client_cap_a_check_fails_and_says_what_to_do() {
    let broker = Tansu::start();
    let mut sidecar = start(json!({"direct": {"refresh_interval_seconds": 3600}}));
    let ids: Vec<String> = (0..CAP)
        .map(|n| id_of(&create(&mut sidecar, spec_with_suffix(&format!("capped-{n}"), &broker, &format!("cap-{n}")))))
        .collect();
    for id in &ids {
        events_until(&mut sidecar, id, "CONNECTED", |e| e["action"] == "CONNECTED");
    }
    let one_more = id_of(&create(&mut sidecar, spec_with_suffix("one too many", &broker, "cap-extra")));
    let events = events_until(&mut sidecar, &one_more, "DISCONNECTED", |e| e["action"] == "DISCONNECTED");
    let connection = &events.last().unwrap()["connection"];
    assert_eq!(state(connection, "kafka_cluster"), "FAILED");
    let (message, _) = error_of(connection, "kafka_cluster");
    assert!(message.contains("at most 64") && message.contains("delete connections you no longer need"), "{message}");
    assert_eq!(threads_named(sidecar.pid(), CLIENT_THREAD).len(), CAP, "no client in use was closed");

    // A deleted connection frees its client for the next check.
    sidecar.request("connections/delete", json!({"id": ids[0]}), WAIT).expect("delete");
    wait_until("the connection over the cap to connect once a client is free", WAIT, || {
        let refreshed = sidecar.request("connections/refresh", json!({"id": one_more}), WAIT).expect("refresh");
        state(&refreshed, "kafka_cluster") == "SUCCESS"
    });
    // The deleted connection's client is closed (by the reaper, so a moment later).
    wait_until("the evicted client to close", WAIT, || threads_named(sidecar.pid(), CLIENT_THREAD).len() == CAP);
}

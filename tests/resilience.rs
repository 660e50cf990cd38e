//! Shared Kafka clients and event-driven status against a real broker that comes and goes.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::*;

/// (threads, resident set in kB) of a running process.
fn threads_and_rss(pid: u32) -> (u64, u64) {
    let (threads, rss, _) = proc_status(pid);
    (threads, rss)
}

#[test]
fn connections_to_one_cluster_share_one_client() {
    let broker = Tansu::start();
    let mut sidecar = start(json!({"direct": {"refresh_interval_seconds": 3600}}));
    let (idle_threads, _) = threads_and_rss(sidecar.pid());
    let ids: Vec<String> = (0..60)
        .map(|n| {
            create(&mut sidecar, kafka_spec(&format!("shared-{n}"), &broker.bootstrap()))["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for id in &ids {
        events_until(&mut sidecar, id, "CONNECTED", |e| e["action"] == "CONNECTED");
    }
    let (threads, _) = threads_and_rss(sidecar.pid());
    // One librdkafka client has a handful of threads; sixty would have hundreds.
    assert!(threads < idle_threads + 25, "{threads} threads for 60 connections to one cluster (idle: {idle_threads})");
}

#[test]
fn a_stopped_broker_is_reported_without_waiting_for_the_schedule() {
    let mut broker = Tansu::start();
    // The schedule would look again in an hour: only the client's own signal can tell in time.
    let mut sidecar = start(json!({"direct": {"refresh_interval_seconds": 3600}, "check_timeout_seconds": 5}));
    let id = create(&mut sidecar, kafka_spec("watched", &broker.bootstrap()))["id"].as_str().unwrap().to_string();
    events_until(&mut sidecar, &id, "CONNECTED", |e| e["action"] == "CONNECTED");
    let stopped = Instant::now();
    broker.stop();
    let events = events_until(&mut sidecar, &id, "DISCONNECTED", |e| e["action"] == "DISCONNECTED");
    assert_eq!(state(&events.last().unwrap()["connection"], "kafka_cluster"), "FAILED");
    assert!(stopped.elapsed() < Duration::from_secs(10), "reported {:?} after the broker stopped", stopped.elapsed());
}

#[test]
fn a_broker_restarted_twenty_times_is_followed_each_time_without_growing() {
    let port = free_port();
    let mut broker = Tansu::start_on(port);
    let mut sidecar = start(json!({"direct": {"refresh_interval_seconds": 0.3}, "check_timeout_seconds": 2}));
    let bootstrap = format!("127.0.0.1:{port}");
    let id = create(&mut sidecar, kafka_spec("restarted", &bootstrap))["id"].as_str().unwrap().to_string();
    events_until(&mut sidecar, &id, "CONNECTED", |e| e["action"] == "CONNECTED");
    let mut samples = Vec::new();
    for round in 0..20 {
        broker.stop();
        events_until(&mut sidecar, &id, &format!("DISCONNECTED in round {round}"), |e| e["action"] == "DISCONNECTED");
        broker = Tansu::start_on(port);
        events_until(&mut sidecar, &id, &format!("CONNECTED in round {round}"), |e| e["action"] == "CONNECTED");
        samples.push(threads_and_rss(sidecar.pid()));
    }
    let (first_threads, first_rss) = samples[4];
    let (last_threads, last_rss) = *samples.last().unwrap();
    assert!(last_threads <= first_threads + 2, "threads grew: {samples:?}");
    assert!(last_rss < first_rss + 8 * 1024, "RSS grew by more than 8 MB over 15 restarts: {samples:?}");
}

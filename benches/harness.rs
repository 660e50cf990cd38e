//! The benchmark harness: `cargo bench --bench harness` (add `-- --quick` for fewer repetitions, or
//! `-- --data-plane-only`, `-- --messages-only` or `-- --ccloud-only` to print that section's rows without writing
//! `docs/benchmarks.md`).
//!
//! It drives the release binary over stdio exactly as an editor does, against a real tansu broker on
//! 127.0.0.1, and compares create -> CONNECTED with a fresh librdkafka client fetching metadata
//! (`confluent-kafka` from PyPI, timed in-process) in the same run. It prints a table and writes it to
//! `docs/benchmarks.md` with a description of the machine. Medians and ratios, not single runs: these
//! machines are shared and noisy.

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "harness/ccloud.rs"]
mod ccloud;
#[path = "harness/messages.rs"]
mod messages;
#[path = "common/order.rs"]
mod order;

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use support::*;

const LONG_WAIT: Duration = Duration::from_secs(120);

/// CPU time (user + system) a process has used, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn spawn_release() -> SidecarProcess {
    SidecarProcess::spawn(command("warn")).expect("the sidecar starts")
}

struct Row {
    what: String,
    value: String,
    goal: String,
    met: Option<bool>,
}

fn row(what: impl Into<String>, value: impl Into<String>, goal: impl Into<String>, met: Option<bool>) -> Row {
    Row { what: what.into(), value: value.into(), goal: goal.into(), met }
}

/// Spawn -> initialize reply, and the idle process after it.
fn startup(runs: usize, rows: &mut Vec<Row>) {
    let mut times = Vec::new();
    let mut rss = Vec::new();
    let mut threads = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let mut sidecar = spawn_release();
        sidecar.request("initialize", json!({"processId": null, "capabilities": {}}), WAIT).expect("initialize");
        times.push(ms(started.elapsed()));
        sidecar.notify("initialized", json!({}));
        std::thread::sleep(Duration::from_millis(200));
        let (t, r, _) = proc_status(sidecar.pid());
        threads.push(t as f64);
        rss.push(r as f64 / 1024.0);
        sidecar.shutdown();
    }
    let init = median(&mut times);
    let rss = median(&mut rss);
    let threads = median(&mut threads);
    rows.push(row(
        format!("spawn -> initialize reply (median of {runs})"),
        format!("{init:.1} ms"),
        "<= 5 ms",
        Some(init <= 5.0),
    ));
    rows.push(row("idle RSS after initialize", format!("{rss:.1} MB"), "<= 10 MB", Some(rss <= 10.0)));
    rows.push(row("idle OS threads after initialize", format!("{threads:.0}"), "", None));
}

/// N connections to one broker until every one is CONNECTED.
fn many(broker: &Tansu, count: usize, rows: &mut Vec<Row>) {
    let mut sidecar = spawn_release();
    sidecar.initialize(json!({}));
    let started = Instant::now();
    let mut pending = std::collections::HashSet::new();
    for n in 0..count {
        let spec = kafka_spec(&format!("bench-{n}"), &broker.bootstrap());
        let id = sidecar.request("connections/create", json!({"spec": spec}), WAIT).expect("create")["id"].clone();
        pending.insert(id.as_str().unwrap().to_string());
    }
    let mut peak_threads = 0;
    while !pending.is_empty() {
        let event = sidecar
            .wait_for(LONG_WAIT, |m| m["method"] == "connections/event" && m["params"]["action"] == "CONNECTED")
            .expect("every connection turns CONNECTED");
        pending.remove(event["params"]["connection"]["id"].as_str().unwrap_or_default());
        peak_threads = peak_threads.max(proc_status(sidecar.pid()).0);
    }
    let wall = started.elapsed();
    let (threads, _, peak_rss) = proc_status(sidecar.pid());
    let peak_threads = peak_threads.max(threads);
    let peak_mb = peak_rss as f64 / 1024.0;
    let (goal, met) = if count == 1000 {
        ("<= 5 s, <= 64 threads, <= 150 MB", Some(wall.as_secs_f64() <= 5.0 && peak_threads <= 64 && peak_mb <= 150.0))
    } else {
        ("", None)
    };
    rows.push(row(
        format!("{count} DIRECT connections to one broker, all CONNECTED"),
        format!("{:.2} s, peak {peak_threads} threads, peak RSS {peak_mb:.1} MB", wall.as_secs_f64()),
        goal,
        met,
    ));
    sidecar.shutdown();
}

/// create -> CONNECTED for a cluster configuration not seen before (so a fresh client, as the
/// peer's), against a fresh confluent-kafka AdminClient fetching metadata, in the same run.
fn create_to_connected(broker: &Tansu, runs: usize, rows: &mut Vec<Row>) {
    let mut sidecar = spawn_release();
    sidecar.initialize(json!({"direct": {"refresh_interval_seconds": 3600}}));
    let mut ours = Vec::new();
    let mut shared = Vec::new();
    for n in 0..runs {
        let mut spec = kafka_spec(&format!("latency-{n}"), &broker.bootstrap());
        spec["kafka_cluster"]["client_id_suffix"] = json!(format!("run-{n}"));
        let started = Instant::now();
        let id =
            sidecar.request("connections/create", json!({"spec": spec.clone()}), WAIT).expect("create")["id"].clone();
        let id = id.as_str().unwrap().to_string();
        events_until(&mut sidecar, &id, "CONNECTED", |e| e["action"] == "CONNECTED");
        ours.push(ms(started.elapsed()));
        // The same configuration again: the shared client answers.
        spec["name"] = json!(format!("latency-{n}-again"));
        let started = Instant::now();
        let id = sidecar.request("connections/create", json!({"spec": spec}), WAIT).expect("create")["id"].clone();
        let id = id.as_str().unwrap().to_string();
        events_until(&mut sidecar, &id, "CONNECTED", |e| e["action"] == "CONNECTED");
        shared.push(ms(started.elapsed()));
    }
    sidecar.shutdown();
    let peer = peer_metadata_times(&broker.bootstrap(), runs);
    let ours = median(&mut ours);
    let shared = median(&mut shared);
    let peer_median = peer.map(|mut peer| median(&mut peer));
    match peer_median {
        Some(peer) => {
            let ratio = ours / peer;
            rows.push(row(
                format!("create -> CONNECTED, new configuration (median of {runs})"),
                format!("{ours:.1} ms; peer (fresh librdkafka client, metadata) {peer:.1} ms; ratio {ratio:.2}"),
                "<= 1.2x the peer",
                Some(ratio <= 1.2),
            ));
        }
        None => rows.push(row(
            format!("create -> CONNECTED, new configuration (median of {runs})"),
            format!("{ours:.1} ms; peer not measured (pip install confluent-kafka)"),
            "<= 1.2x the peer",
            None,
        )),
    }
    let versus = peer_median.map_or(String::new(), |peer| format!("; ratio to the peer {:.2}", shared / peer));
    rows.push(row(
        format!("create -> CONNECTED, configuration already in use (median of {runs})"),
        format!("{shared:.1} ms{versus}"),
        "",
        None,
    ));
}

const PEER: &str = r#"
import json, sys, time
from confluent_kafka.admin import AdminClient
servers, runs = sys.argv[1], int(sys.argv[2])
times = []
for n in range(runs):
    started = time.perf_counter()
    client = AdminClient({"bootstrap.servers": servers, "client.id": f"peer-{n}"})
    client.list_topics(timeout=10)
    times.append((time.perf_counter() - started) * 1000)
    del client
print(json.dumps(times))
"#;

fn peer_metadata_times(servers: &str, runs: usize) -> Option<Vec<f64>> {
    let output = Command::new("python3").args(["-c", PEER, servers, &runs.to_string()]).output().ok()?;
    if !output.status.success() {
        eprintln!("peer not measured: {}", String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or_default());
        return None;
    }
    serde_json::from_slice(&output.stdout).ok()
}

/// Broker stop -> DISCONNECTED, then broker start -> CONNECTED, with the production schedule (15 s).
fn stop_to_disconnected(runs: usize, rows: &mut Vec<Row>) {
    let mut times = Vec::new();
    let mut back = Vec::new();
    for n in 0..runs {
        let port = free_port();
        let mut broker = Tansu::start_on(port);
        let mut sidecar = spawn_release();
        sidecar.initialize(json!({}));
        let id = sidecar
            .request("connections/create", json!({"spec": kafka_spec(&format!("stop-{n}"), &broker.bootstrap())}), WAIT)
            .expect("create")["id"]
            .as_str()
            .unwrap()
            .to_string();
        events_until(&mut sidecar, &id, "CONNECTED", |e| e["action"] == "CONNECTED");
        std::thread::sleep(Duration::from_millis(300));
        let stopped = Instant::now();
        broker.stop();
        events_until(&mut sidecar, &id, "DISCONNECTED", |e| e["action"] == "DISCONNECTED");
        times.push(ms(stopped.elapsed()));
        // A restart a moment later (an operator restarting the broker): seen at the first retry.
        std::thread::sleep(Duration::from_millis(300));
        let started = Instant::now();
        let _broker = Tansu::start_on(port);
        events_until(&mut sidecar, &id, "CONNECTED again", |e| e["action"] == "CONNECTED");
        back.push(ms(started.elapsed()));
        sidecar.shutdown();
    }
    let median_stop = median(&mut times);
    rows.push(row(
        format!("broker stop -> DISCONNECTED event (median of {runs})"),
        format!("{median_stop:.0} ms"),
        "<= 2 s",
        Some(median_stop <= 2000.0),
    ));
    let median_back = median(&mut back);
    rows.push(row(
        format!(
            "broker start -> CONNECTED event, 0.3 s after the DISCONNECTED (median of {runs}; the schedule is 15 s)"
        ),
        format!("{median_back:.0} ms"),
        "<= 2 s",
        Some(median_back <= 2000.0),
    ));
}

/// CPU used by the sidecar with 100 healthy connections on the production schedule.
fn idle_cpu(broker: &Tansu, window: Duration, rows: &mut Vec<Row>) {
    let mut sidecar = spawn_release();
    sidecar.initialize(json!({}));
    let mut ids = Vec::new();
    for n in 0..100 {
        let spec = kafka_spec(&format!("cpu-{n}"), &broker.bootstrap());
        ids.push(
            sidecar.request("connections/create", json!({"spec": spec}), WAIT).expect("create")["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    for id in &ids {
        events_until(&mut sidecar, id, "CONNECTED", |e| e["action"] == "CONNECTED");
    }
    let before = cpu_seconds(sidecar.pid());
    let started = Instant::now();
    std::thread::sleep(window);
    let used = cpu_seconds(sidecar.pid()) - before;
    let share = used / started.elapsed().as_secs_f64() * 100.0;
    let per_minute = used * 60.0 / started.elapsed().as_secs_f64();
    rows.push(row(
        format!("CPU with 100 healthy connections (over {} s)", window.as_secs()),
        format!("{per_minute:.2} CPU-s per minute ({share:.2}% of a core)"),
        "< 1% of a core",
        Some(share < 1.0),
    ));
    sidecar.shutdown();
}

/// (threads, open file handles) of the sidecar.
fn usage(sidecar: &SidecarProcess) -> (u64, usize) {
    (proc_status(sidecar.pid()).0, open_files(sidecar.pid()))
}

fn usage_text((threads, files): (u64, usize)) -> String {
    format!("{threads} threads, {files} open files")
}

/// How long until the sidecar is back near `baseline` (a few threads above it: the pool's reaper and
/// tokio's blocking threads, which linger 10 s), and what it has then.
fn time_to_return(sidecar: &SidecarProcess, baseline: (u64, usize)) -> Option<(Duration, (u64, usize))> {
    let started = Instant::now();
    while started.elapsed() < LONG_WAIT {
        let now = usage(sidecar);
        if now.0 <= baseline.0 + 8 && now.1 <= baseline.1 + 8 {
            return Some((started.elapsed(), now));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn returned_row(what: &str, returned: Option<(Duration, (u64, usize))>, rows: &mut Vec<Row>) {
    match returned {
        Some((took, now)) => rows.push(row(
            what,
            format!("{} after {:.1} s", usage_text(now), took.as_secs_f64()),
            "<= 60 s",
            Some(took <= Duration::from_secs(60)),
        )),
        None => rows.push(row(what, format!("not back after {} s", LONG_WAIT.as_secs()), "<= 60 s", Some(false))),
    }
}

/// Threads and file handles through 100 dry runs and 100 edits, each with settings of its own (so
/// each needs a client of its own), and how long until the unused clients are closed.
fn client_lifecycle(broker: &Tansu, rows: &mut Vec<Row>) {
    let with_suffix = |name: &str, suffix: String| {
        let mut spec = kafka_spec(name, &broker.bootstrap());
        spec["kafka_cluster"]["client_id_suffix"] = json!(suffix);
        spec
    };
    let mut sidecar = spawn_release();
    sidecar.initialize(json!({}));
    let idle = usage(&sidecar);
    rows.push(row("idle threads and open files after initialize", usage_text(idle), "", None));
    for n in 0..100 {
        let spec = with_suffix(&format!("dry-{n}"), format!("dry-{n}"));
        sidecar.request("connections/create", json!({"spec": spec, "dry_run": true}), WAIT).expect("a dry run");
    }
    rows.push(row("right after 100 dry runs, each with its own settings", usage_text(usage(&sidecar)), "", None));
    returned_row("back near idle after the dry runs", time_to_return(&sidecar, idle), rows);

    let id = sidecar
        .request("connections/create", json!({"spec": with_suffix("edited", "edit-0".into())}), WAIT)
        .expect("create")["id"]
        .as_str()
        .unwrap()
        .to_string();
    events_until(&mut sidecar, &id, "CONNECTED", |e| e["action"] == "CONNECTED");
    let one = usage(&sidecar);
    rows.push(row("one stored connection", usage_text(one), "", None));
    for n in 1..=100 {
        let spec = with_suffix("edited", format!("edit-{n}"));
        sidecar.request("connections/update", json!({"id": id, "spec": spec}), WAIT).expect("update");
        events_until(&mut sidecar, &id, "CONNECTED", |e| e["action"] == "CONNECTED");
    }
    rows.push(row("right after 100 edits of it, each to new settings", usage_text(usage(&sidecar)), "", None));
    returned_row("back to one connection's client after the edits", time_to_return(&sidecar, one), rows);
    sidecar.shutdown();
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or("?".to_string(), |kb| format!("{} GiB", kb / 1024 / 1024));
    let run = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    format!(
        "{cores} cores ({cpu}), {memory} memory, Linux {}, {}, tansu {}, peer {}",
        run("uname", &["-r"]),
        run("rustc", &["--version"]),
        run(&tansu_binary().to_string_lossy(), &["--version"]).trim_start_matches("tansu "),
        run("python3", &["-c", "import confluent_kafka as c; print('confluent-kafka', c.version()[0], 'librdkafka', c.libversion()[0])"]),
    )
}

const DATA_PLANE_SETUP: &str = r#"
import json, sys, time
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
servers, topics, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
admin = AdminClient({"bootstrap.servers": servers})
new = [NewTopic(f"bench-{n:04}", 1, 1) for n in range(topics)] + [NewTopic("wide", 100, 1)]
for future in admin.create_topics(new, request_timeout=60).values():
    future.result()
producer = Producer({"bootstrap.servers": servers})
for partition in range(100):
    for n in range(3):
        producer.produce("wide", b"x", partition=partition)
        producer.flush()
for group in ["wide-group"] + [f"watched-{n:02}" for n in range(50)]:
    consumer = Consumer({"bootstrap.servers": servers, "group.id": group})
    partitions = range(100) if group == "wide-group" else [0]
    consumer.commit(offsets=[TopicPartition("wide", p, 1) for p in partitions], asynchronous=False)
    consumer.close()
times = []
for n in range(runs):
    started = time.perf_counter()
    client = AdminClient({"bootstrap.servers": servers, "client.id": f"peer-list-{n}"})
    listed = client.list_topics(timeout=10)
    times.append((time.perf_counter() - started) * 1000)
    assert len(listed.topics) >= topics
    del client
print(json.dumps(times))
"#;

/// The data plane: `kafka/topics/list` with 1,000 topics against a fresh confluent-kafka AdminClient,
/// `kafka/groups/describe` with lag on a 100-partition topic, and 50 groups watched at 1 s.
fn data_plane(runs: usize, window: Duration, rows: &mut Vec<Row>) {
    const TOPICS: usize = 1000;
    let broker = Tansu::start();
    let output = Command::new("python3")
        .args(["-c", DATA_PLANE_SETUP, &broker.bootstrap(), &TOPICS.to_string(), &runs.to_string()])
        .output();
    let peer: Option<Vec<f64>> = match output {
        Ok(output) if output.status.success() => serde_json::from_slice(&output.stdout).ok(),
        Ok(output) => {
            eprintln!("data plane not measured: {}", String::from_utf8_lossy(&output.stderr));
            return;
        }
        Err(error) => {
            eprintln!("data plane not measured: python3: {error}");
            return;
        }
    };
    let log = std::env::temp_dir().join(format!("ide-sidecar-bench-lag-{}.log", std::process::id()));
    let mut command = command("ide_sidecar::server::lag=debug");
    command.stderr(std::fs::File::create(&log).expect("a log file"));
    let mut sidecar = SidecarProcess::spawn(command).expect("the sidecar starts");
    sidecar.initialize(json!({"direct": {"refresh_interval_seconds": 3600}}));
    let spec = kafka_spec("data plane", &broker.bootstrap());
    let id = sidecar.request("connections/create", json!({"spec": spec}), WAIT).expect("create")["id"]
        .as_str()
        .unwrap()
        .to_string();
    events_until(&mut sidecar, &id, "CONNECTED", |e| e["action"] == "CONNECTED");

    let mut list = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let listed = sidecar.request("kafka/topics/list", json!({"connection_id": id}), WAIT).expect("list");
        list.push(ms(started.elapsed()));
        assert!(listed["data"].as_array().unwrap().len() > TOPICS);
    }
    let ours = median(&mut list);
    match peer.map(|mut peer| median(&mut peer)) {
        Some(peer) => rows.push(row(
            format!("kafka/topics/list, {TOPICS} topics (median of {runs})"),
            format!(
                "{ours:.1} ms; peer (fresh confluent-kafka AdminClient, list_topics) {peer:.1} ms; ratio {:.2}",
                ours / peer
            ),
            "<= 1.5x the peer and <= 50 ms",
            Some(ours / peer <= 1.5 && ours <= 50.0),
        )),
        None => rows.push(row(
            format!("kafka/topics/list, {TOPICS} topics (median of {runs})"),
            format!("{ours:.1} ms; peer not measured"),
            "<= 1.5x the peer and <= 50 ms",
            Some(ours <= 50.0),
        )),
    }

    let mut describe = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let group = sidecar
            .request("kafka/groups/describe", json!({"connection_id": id, "group_id": "wide-group"}), WAIT)
            .expect("describe");
        describe.push(ms(started.elapsed()));
        assert_eq!(group["partitions"].as_array().unwrap().len(), 100, "{group}");
    }
    let describe = median(&mut describe);
    rows.push(row(
        format!("kafka/groups/describe with lag, 100 partitions (median of {runs})"),
        format!("{describe:.1} ms"),
        "<= 50 ms",
        Some(describe <= 50.0),
    ));

    for n in 0..50 {
        let params = json!({"connection_id": id, "group_ids": [format!("watched-{n:02}")], "interval_ms": 1000});
        sidecar.request("kafka/lag/watch", params, WAIT).expect("watch");
    }
    // Let the first readings go out, then measure a quiet window.
    std::thread::sleep(Duration::from_secs(3));
    sidecar.drain(Duration::from_millis(10));
    let polls_before = std::fs::read_to_string(&log).unwrap_or_default().matches("lag poll").count();
    let cpu_before = cpu_seconds(sidecar.pid());
    std::thread::sleep(window);
    let cpu = cpu_seconds(sidecar.pid()) - cpu_before;
    let polls = std::fs::read_to_string(&log).unwrap_or_default().matches("lag poll").count() - polls_before;
    let pushed = sidecar.drain(Duration::from_millis(10)).iter().filter(|m| m["method"] == "kafka/lag").count();
    let share = cpu / window.as_secs_f64() * 100.0;
    rows.push(row(
        format!("50 groups watched at 1 s, 50 watches on one connection (over {} s)", window.as_secs()),
        format!(
            "{share:.2}% of a core; {polls} polls ({:.2} per second, all 50 groups each); {pushed} kafka/lag sent (nothing changed)",
            polls as f64 / window.as_secs_f64()
        ),
        "< 2% of a core, one poll per connection",
        Some(share < 2.0 && (polls as f64) <= window.as_secs_f64() * 1.2),
    ));
    sidecar.shutdown();
    let _ = std::fs::remove_file(&log);
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (runs, stops, window) = if quick { (5, 3, Duration::from_secs(10)) } else { (25, 5, Duration::from_secs(30)) };
    let mut rows = Vec::new();
    let data_plane_only = std::env::args().any(|a| a == "--data-plane-only");
    let messages_only = std::env::args().any(|a| a == "--messages-only");
    let ccloud_only = std::env::args().any(|a| a == "--ccloud-only");
    if data_plane_only || messages_only || ccloud_only {
        if data_plane_only {
            data_plane(runs, window, &mut rows);
        }
        if messages_only {
            messages::messages(quick, &mut rows);
        }
        if ccloud_only {
            ccloud::resources(runs, &mut rows);
        }
        for row in &rows {
            println!("| {} | {} | {} | {:?} |", row.what, row.value, row.goal, row.met);
        }
        return;
    }
    eprintln!("startup...");
    startup(if quick { 10 } else { 50 }, &mut rows);
    let broker = Tansu::start();
    eprintln!("create -> CONNECTED...");
    create_to_connected(&broker, runs, &mut rows);
    for count in [1, 100, 1000] {
        eprintln!("{count} connections...");
        many(&broker, count, &mut rows);
    }
    eprintln!("broker stop...");
    stop_to_disconnected(stops, &mut rows);
    eprintln!("idle CPU...");
    idle_cpu(&broker, window, &mut rows);
    eprintln!("clients through dry runs and edits...");
    client_lifecycle(&broker, &mut rows);
    eprintln!("data plane...");
    data_plane(runs, window, &mut rows);
    eprintln!("messages...");
    messages::messages(quick, &mut rows);
    eprintln!("Confluent Cloud resources...");
    ccloud::resources(runs, &mut rows);

    let mut table = String::from("| measure | result | goal | met |\n|---|---|---|---|\n");
    for row in &rows {
        let met = match row.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        let _ = writeln!(table, "| {} | {} | {} | {met} |", row.what, row.value, row.goal);
    }
    let document = format!(
        "# Benchmarks\n\nMeasured with `cargo bench --bench harness`{} on {} UTC.\n\nMachine: {}.\n\n{table}\n\
         The sidecar is the release build, driven over stdio as an editor does; the broker is tansu on 127.0.0.1 with in-memory storage. \
         Times are wall-clock medians on a shared, noisy machine; compare ratios within one run rather than absolute numbers across runs.\n\n\
         create -> CONNECTED is timed from the moment the harness writes `connections/create` to the moment it reads the \
         `CONNECTED` event, so it includes the stdio round trip and the JSON of the reply and of two events; the peer is timed \
         in-process (client creation and one metadata request). With a new configuration the sidecar also creates a librdkafka \
         client (about half a millisecond of its time); with a configuration already in use it only asks the shared client.\n\n\
         Dry runs and edits: each of the 100 has settings of its own (its own `client_id_suffix`), so each needs a librdkafka \
         client of its own (about five threads and four to eight file handles). A dry run's client is closed when the dry run \
         ends; a client no connection uses any more is closed 15 s after its last use, and at most 64 are open at once. \
         \"Back\" means within 8 threads and 8 open files of the figure before (the pool's reaper thread and tokio's \
         blocking threads, which linger 10 s after a check).\n\n\
         Data plane: the topics are created, the records written and the offsets committed by confluent-kafka before the timing \
         starts. The sidecar answers on the connection's long-lived client, over stdio; the peer makes a fresh AdminClient and \
         lists the topics in-process, as a tool without a long-lived client must. A lag watch reads every watched group once \
         per poll (one poll per connection at the shortest interval of its watches) and sends `kafka/lag` only when a lag changed.\n\n{}",
        if quick { " -- --quick" } else { "" },
        run_date(),
        machine(),
        messages::NOTES,
    );
    println!("{table}");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/benchmarks.md");
    let _ = std::fs::create_dir_all(path.parent().unwrap());
    std::fs::write(&path, document).expect("docs/benchmarks.md is written");
    println!("written to {}", path.display());
}

fn run_date() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

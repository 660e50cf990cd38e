//! The harness's messages section (`-- --messages-only` runs it alone and writes nothing): reading,
//! searching and writing records through the release binary over stdio, one request per page as an
//! editor pages, beside confluent-kafka (the same librdkafka, in-process: the floor) and kafkajs (the
//! client vscode-kafka runs) in the same run, against one tansu broker and the test Schema Registry.
//! The records are written by benches/messages.py before any timing starts.

use std::path::{Path, PathBuf};

use ide_sidecar::backends::schemas::codec::{Compiled, SchemaType};
use serde_json::Value;

use super::order::order;
use super::*;

/// The scan: records of 1 KB, one in `NEEDLE_EVERY` holding "needle".
const SCAN: usize = 200_000;
const SIZE: usize = 1000;
const NEEDLE_EVERY: usize = 1000;
const PAGE: usize = 500;
/// Peak memory: a million records of 1 KB (tansu holds them in about 1 GB; writing them takes some 12 s).
const MANY: usize = 1_000_000;
const MANY_SIZE: usize = 1000;
const FIRST_PAGES: usize = 10;
const AVRO_SCAN: usize = 100_000;
const PRODUCE: usize = 10_000;
const CALL: Duration = Duration::from_secs(120);

/// How the messages rows are measured, for docs/benchmarks.md.
pub const NOTES: &str = "Messages: confluent-kafka writes the records (benches/messages.py) before any timing starts. \
    A scan pages from the beginning to the end with `kafka/records/consume`, one request per page of 500 with the \
    cursor passed back, timed from the first request to the last page read and parsed by the harness. The confluent-kafka \
    Consumer (assigned from the beginning, no group, `consume(500)` batches) and kafkajs 2.2.4 (`eachBatch`, timed from \
    the end of its first batch, so its group join is not counted) read the same records in-process; both are given a \
    fetch wait of 10 ms (`fetch.wait.max.ms`, kafkajs `maxWaitTimeInMs`), as the sidecar's readers use, because tansu \
    holds a fetch for the whole wait when it has little to send. The filter row's bytes are the JSON of the pages' \
    results. Peak RSS is the fresh sidecar's VmHWM after paging through a million records of 1 KB. The Avro \
    decoder alone is timed in the harness on one encoded order (`cargo bench --bench codecs` measures the same \
    record). Produce sends 10,000 records in one request on the \
    connection's shared client, against a warm in-process Producer producing each and flushing; the Avro rows use \
    the subject confluent-kafka's AvroSerializer registered.\n";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/messages.py")
}

/// Runs a command of benches/messages.py in the tests' venv; its JSON line.
fn peer(args: &[&str]) -> Value {
    let output = Command::new(python()).arg(script()).args(args).output().expect("the venv's python runs");
    assert!(output.status.success(), "messages.py {args:?} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("messages.py prints a JSON line")
}

/// kafkajs reading `count` records of `topic` from the beginning: records per second, or why not.
fn kafkajs(bootstrap: &str, topic: &str, count: usize) -> Result<f64, String> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/kafkajs");
    if !folder.join("node_modules/kafkajs").exists() {
        return Err("kafkajs is not installed: run `npm ci --prefix benches/kafkajs`".into());
    }
    let output = Command::new("node")
        .arg(folder.join("consume.js"))
        .args([bootstrap, topic, &count.to_string()])
        .output()
        .map_err(|error| format!("node does not run: {error}"))?;
    if !output.status.success() {
        return Err(format!("kafkajs failed: {}", String::from_utf8_lossy(&output.stderr).trim()));
    }
    let result: Value = serde_json::from_slice(&output.stdout).map_err(|error| format!("kafkajs printed {error}"))?;
    Ok(result["timed"].as_f64().unwrap_or(0.0) / result["seconds"].as_f64().unwrap_or(f64::NAN))
}

/// The text value record `n` gets (benches/messages.py writes the same).
fn text_value(n: usize, size: usize) -> String {
    const FILLER: &str = "The quick brown fox jumps over the lazy dog while the editor pages through records. ";
    let mut text = format!("record {n:09} ");
    while text.len() < size {
        text.push_str(FILLER);
    }
    text.truncate(size);
    text
}

/// A release sidecar with one connection to the broker and the registry.
struct Session {
    sidecar: SidecarProcess,
    id: String,
}

impl Session {
    fn start(broker: &Tansu, registry: &FakeSchemaRegistry) -> Self {
        // BENCH_LOG=<file> keeps the sidecar's debug log (a "records page" line per page, with its time).
        let mut sidecar = match std::env::var_os("BENCH_LOG") {
            Some(path) => {
                let mut command = command("ide_sidecar=debug");
                command
                    .stderr(std::fs::File::options().create(true).append(true).open(path).expect("the BENCH_LOG file"));
                SidecarProcess::spawn(command).expect("the sidecar starts")
            }
            None => spawn_release(),
        };
        sidecar.initialize(json!({"check_timeout_seconds": 10}));
        let mut spec = kafka_spec("messages", &broker.bootstrap());
        spec["schema_registry"] = json!({"uri": registry.uri()});
        let id = create(&mut sidecar, spec)["id"].as_str().unwrap().to_string();
        let mut session = Self { sidecar, id };
        // The connection's client is up before anything is timed.
        session.call("kafka/topics/list", json!({}));
        session
    }

    fn call(&mut self, method: &str, mut params: Value) -> Value {
        params["connection_id"] = json!(self.id);
        let result = self.sidecar.request(method, params, CALL).unwrap_or_else(|error| panic!("{method}: {error}"));
        // Status events are not what is measured: keep the backlog from growing.
        self.sidecar.backlog.clear();
        result
    }
}

#[derive(Default)]
struct Scan {
    /// Records returned (matches, with a filter).
    records: usize,
    scanned: u64,
    /// The JSON of the pages' results.
    bytes: usize,
    seconds: f64,
    /// CPU time the sidecar used (user + system).
    cpu: f64,
    pages: Vec<f64>,
}

impl Scan {
    fn rate(&self) -> f64 {
        self.scanned as f64 / self.seconds
    }
}

/// Pages through `topic` from the beginning to its end, as an editor does: one request per page,
/// the cursor passed back.
fn scan(session: &mut Session, topic: &str, filter: Option<&Value>) -> Scan {
    let mut params = json!({"topic": topic, "start": {"from": "beginning"}, "max_records": PAGE});
    let mut result = Scan::default();
    let mut uncounted = Duration::ZERO;
    let cpu_before = cpu_seconds(session.sidecar.pid());
    let started = Instant::now();
    loop {
        if let Some(filter) = filter {
            params["filter"] = filter.clone();
        }
        let page_started = Instant::now();
        let page = session.call("kafka/records/consume", params);
        result.pages.push(ms(page_started.elapsed()));
        // Counting the bytes is the harness's work, not the sidecar's: left out of the time.
        let counting = Instant::now();
        result.bytes += page.to_string().len();
        uncounted += counting.elapsed();
        result.records += page["records"].as_array().map_or(0, Vec::len);
        result.scanned += page["scanned"].as_u64().unwrap_or(0);
        let partitions = page["partitions"].as_array().expect("a page has partitions");
        if partitions.iter().all(|p| p["at_end"] == true) {
            break;
        }
        assert!(result.pages.len() < 10 * MANY / PAGE, "the scan of {topic} does not reach the end");
        params = json!({"topic": topic, "cursor": page["cursor"], "max_records": PAGE});
    }
    result.seconds = (started.elapsed() - uncounted).as_secs_f64();
    result.cpu = cpu_seconds(session.sidecar.pid()) - cpu_before;
    result
}

fn ratio_row(rows: &mut Vec<Row>, what: String, ours: f64, peer: f64, goal: f64, peer_name: &str, note: &str) {
    rows.push(row(
        what,
        format!("{ours:.0} records/s; {peer_name} {peer:.0} records/s; ratio {:.2}{note}", ours / peer),
        format!(">= {goal}x {peer_name}"),
        Some(ours / peer >= goal),
    ));
}

/// Median records per second of `runs` calls of `measure`, each giving (records, seconds).
fn median_rate(runs: usize, mut measure: impl FnMut() -> (f64, f64)) -> f64 {
    let mut rates: Vec<f64> = (0..runs)
        .map(|_| {
            let (records, seconds) = measure();
            records / seconds
        })
        .collect();
    median(&mut rates)
}

pub fn messages(quick: bool, rows: &mut Vec<Row>) {
    let runs = if quick { 1 } else { 3 };
    let broker = Tansu::start();
    let bootstrap = broker.bootstrap();
    let registry = FakeSchemaRegistry::start(RegistryBehaviour::Healthy).expect("the test registry starts");

    eprintln!("messages: writing {SCAN} records of {SIZE} B...");
    peer(&["fill", &bootstrap, "scan", &SCAN.to_string(), &SIZE.to_string(), &NEEDLE_EVERY.to_string()]);
    let mut session = Session::start(&broker, &registry);
    let plain = scan_rows(&bootstrap, &mut session, runs, rows);
    filter_row(&mut session, &plain, runs, rows);
    first_page_rows(&bootstrap, &mut session, rows);
    avro_row(&bootstrap, &registry, &mut session, runs, rows);
    produce_rows(&bootstrap, &registry, &mut session, runs, rows);
    session.sidecar.shutdown();
    memory_row(&broker, &registry, rows);
}

/// 1. The scan, and the same scan by the peers; the median scan.
fn scan_rows(bootstrap: &str, session: &mut Session, runs: usize, rows: &mut Vec<Row>) -> Scan {
    eprintln!("messages: scans...");
    let mut scans: Vec<Scan> = (0..runs).map(|_| scan(session, "scan", None)).collect();
    for done in &scans {
        assert_eq!(done.records, SCAN, "the scan reads every record");
    }
    scans.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
    let plain = scans.swap_remove(runs / 2);
    let mut page_times = plain.pages.clone();
    let ours = plain.rate();
    rows.push(row(
        format!(
            "scan {SCAN} records of 1 KB from the beginning, kafka/records/consume pages of {PAGE} (median of {runs})"
        ),
        format!(
            "{ours:.0} records/s ({:.1} MB/s of JSON); {} pages, median page {:.1} ms; sidecar CPU {:.2} s of {:.2} s",
            plain.bytes as f64 / plain.seconds / 1e6,
            plain.pages.len(),
            median(&mut page_times),
            plain.cpu,
            plain.seconds
        ),
        "",
        None,
    ));
    let floor = median_rate(runs, || {
        let result = peer(&["consume", bootstrap, "scan", &SCAN.to_string()]);
        (result["records"].as_f64().unwrap(), result["seconds"].as_f64().unwrap())
    });
    ratio_row(
        rows,
        format!("the same scan: sidecar vs confluent-kafka Consumer in-process (median of {runs})"),
        ours,
        floor,
        0.5,
        "confluent-kafka",
        "",
    );
    let measured: Result<Vec<f64>, String> = (0..runs).map(|_| kafkajs(bootstrap, "scan", SCAN)).collect();
    match measured {
        Err(why) => eprintln!("the kafkajs row is skipped: {why}"),
        Ok(mut rates) => ratio_row(
            rows,
            format!("the same scan: sidecar vs kafkajs 2.2.4 in-process (median of {runs})"),
            ours,
            median(&mut rates),
            1.5,
            "kafkajs",
            "",
        ),
    }
    plain
}

/// 4. A search with few matches over the same records.
fn filter_row(session: &mut Session, plain: &Scan, runs: usize, rows: &mut Vec<Row>) {
    eprintln!("messages: filter scan...");
    let filter = json!({"contains": "needle"});
    let mut searches: Vec<Scan> = (0..runs).map(|_| scan(session, "scan", Some(&filter))).collect();
    for done in &searches {
        assert_eq!((done.scanned, done.records), (SCAN as u64, SCAN / NEEDLE_EVERY), "the search sees every match");
    }
    searches.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
    let search = searches.swap_remove(runs / 2);
    rows.push(row(
        format!("filter {{contains: \"needle\"}} over the same {SCAN} (0.1% match; median of {runs})"),
        format!(
            "{:.0} records scanned/s, ratio to the plain scan {:.2}; {} matches in {} pages, {:.0} KB sent (plain scan {:.0} MB)",
            search.rate(),
            search.rate() / plain.rate(),
            search.records,
            search.pages.len(),
            search.bytes as f64 / 1e3,
            plain.bytes as f64 / 1e6
        ),
        ">= the plain scan's throughput",
        Some(search.rate() >= plain.rate()),
    ));
}

/// 2. The first page: on a topic the connection never read, then again (a reader is kept).
fn first_page_rows(bootstrap: &str, session: &mut Session, rows: &mut Vec<Row>) {
    eprintln!("messages: first pages...");
    let topics: Vec<String> = (0..FIRST_PAGES).map(|n| format!("first-{n}")).collect();
    peer(&["fill", bootstrap, &topics.join(","), "1000", &SIZE.to_string(), "0"]);
    let first_page = |session: &mut Session, topic: &str| {
        let started = Instant::now();
        let page = session.call("kafka/records/consume", json!({"topic": topic, "start": {"from": "beginning"}}));
        let took = ms(started.elapsed());
        assert_eq!(page["records"].as_array().map(Vec::len), Some(PAGE), "a full first page of {topic}");
        took
    };
    let mut cold: Vec<f64> = topics.iter().map(|topic| first_page(session, topic)).collect();
    let mut warm: Vec<f64> = (0..FIRST_PAGES).map(|_| first_page(session, &topics[0])).collect();
    let (cold, warm) = (median(&mut cold), median(&mut warm));
    rows.push(row(
        format!("first page of {PAGE} (start: beginning) on a topic never read (median of {FIRST_PAGES} topics)"),
        format!("{cold:.1} ms"),
        "<= 100 ms",
        Some(cold <= 100.0),
    ));
    rows.push(row(
        format!("the same first page again, the topic's reader kept (median of {FIRST_PAGES})"),
        format!("{warm:.1} ms"),
        "<= 100 ms",
        Some(warm <= 100.0),
    ));
}

/// 5. Avro values written by Confluent's serializer, decoded through the registry.
fn avro_row(bootstrap: &str, registry: &FakeSchemaRegistry, session: &mut Session, runs: usize, rows: &mut Vec<Row>) {
    eprintln!("messages: Avro...");
    peer(&["fill", bootstrap, "avro-scan", "0", "0", "0"]);
    peer(&["avro", bootstrap, &registry.uri(), "avro-scan", &AVRO_SCAN.to_string(), "exact-end"]);
    let check = session
        .call("kafka/records/consume", json!({"topic": "avro-scan", "start": {"from": "beginning"}, "max_records": 1}));
    let value = &check["records"][0]["value"];
    assert_eq!((value["format"].as_str(), &value["data"]), (Some("AVRO"), &order(0)), "the order decodes: {value}");
    let mut avro_scans: Vec<f64> = (0..runs)
        .map(|_| {
            let done = scan(session, "avro-scan", None);
            assert_eq!(done.records, AVRO_SCAN);
            done.rate()
        })
        .collect();
    let avro_pages = median(&mut avro_scans);
    let schema = peer(&["schema"]).to_string();
    let compiled = Compiled::compile(SchemaType::Avro, &schema, &[]).expect("the order schema compiles");
    let payload = compiled.encode(&order(7)).expect("the order encodes");
    let mut decoder: Vec<f64> = (0..5)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..20_000 {
                std::hint::black_box(compiled.decode(std::hint::black_box(&payload)).is_ok());
            }
            20_000.0 / started.elapsed().as_secs_f64()
        })
        .collect();
    let decoder = median(&mut decoder);
    rows.push(row(
        format!("Avro values ({} B, 20 fields, AvroSerializer) decoded through consume pages, {AVRO_SCAN} records (median of {runs})", payload.len()),
        format!("{avro_pages:.0} records/s through pages; decoder alone {decoder:.0} records/s"),
        ">= 100,000 records/s in the decoder",
        Some(decoder >= 100_000.0),
    ));
}

/// 6. Produce: one request of 10,000 records against a warm in-process producer.
fn produce_rows(
    bootstrap: &str,
    registry: &FakeSchemaRegistry,
    session: &mut Session,
    runs: usize,
    rows: &mut Vec<Row>,
) {
    eprintln!("messages: produce...");
    peer(&["fill", bootstrap, "produce-peer,produce-sidecar,avro-peer,avro-sidecar", "0", "0", "0"]);
    let texts: Vec<Value> = (0..PRODUCE)
        .map(|n| json!({"key": {"data": format!("k{n}")}, "value": {"data": text_value(n, SIZE)}}))
        .collect();
    let produce = |session: &mut Session, topic: &str, records: &[Value], cpu: &mut Vec<f64>| {
        let params = json!({"topic": topic, "records": records, "timeout_ms": CALL.as_millis() as u64});
        let cpu_before = cpu_seconds(session.sidecar.pid());
        let started = Instant::now();
        let result = session.call("kafka/records/produce", params);
        let seconds = started.elapsed().as_secs_f64();
        cpu.push(cpu_seconds(session.sidecar.pid()) - cpu_before);
        let written = result["records"].as_array().expect("a result per record");
        assert_eq!(written.len(), records.len());
        assert!(written.iter().all(|r| r["error"].is_null()), "every record is written: {}", written[0]);
        (records.len() as f64, seconds)
    };
    let mut cpu = Vec::new();
    let ours = median_rate(runs, || produce(session, "produce-sidecar", &texts, &mut cpu));
    let theirs = median_rate(runs, || {
        let result = peer(&["produce", bootstrap, "produce-peer", &PRODUCE.to_string(), &SIZE.to_string()]);
        (PRODUCE as f64, result["seconds"].as_f64().unwrap())
    });
    ratio_row(
        rows,
        format!("produce {PRODUCE} records of 1 KB in one kafka/records/produce (median of {runs})"),
        ours,
        theirs,
        0.5,
        "confluent-kafka Producer (produce + flush)",
        &format!("; sidecar CPU {:.2} s per request", median(&mut cpu)),
    );
    // The peer's serializer registers avro-peer-value, which the sidecar then writes with.
    let theirs = median_rate(runs, || {
        let result = peer(&["avro", bootstrap, &registry.uri(), "avro-peer", &PRODUCE.to_string()]);
        (PRODUCE as f64, result["seconds"].as_f64().unwrap())
    });
    let orders: Vec<Value> = (0..PRODUCE)
        .map(|n| json!({"key": {"data": format!("k{n}")}, "value": {"data": order(n as i64), "schema": {"subject": "avro-peer-value"}}}))
        .collect();
    let mut cpu = Vec::new();
    let ours = median_rate(runs, || produce(session, "avro-sidecar", &orders, &mut cpu));
    ratio_row(
        rows,
        format!("produce {PRODUCE} Avro orders with schema {{subject}} in one request (median of {runs})"),
        ours,
        theirs,
        0.5,
        "confluent-kafka AvroSerializer + Producer",
        &format!("; sidecar CPU {:.2} s per request", median(&mut cpu)),
    );
}

/// 3. Peak memory of a fresh sidecar paging through a million records.
fn memory_row(broker: &Tansu, registry: &FakeSchemaRegistry, rows: &mut Vec<Row>) {
    eprintln!("messages: writing {MANY} records of {MANY_SIZE} B...");
    peer(&["fill", &broker.bootstrap(), "many", &MANY.to_string(), &MANY_SIZE.to_string(), "0"]);
    let mut session = Session::start(broker, registry);
    let done = scan(&mut session, "many", None);
    assert_eq!(done.records, MANY);
    let peak = proc_status(session.sidecar.pid()).2 as f64 / 1024.0;
    rows.push(row(
        format!("peak RSS (VmHWM) of a fresh sidecar paging through {MANY} records of 1 KB, pages of {PAGE}"),
        format!("{peak:.1} MB; {:.0} records/s", done.rate()),
        "<= 100 MB",
        Some(peak <= 100.0),
    ));
    session.sidecar.shutdown();
}

//! Shared pieces of the integration tests: starting the real binary, real peers on 127.0.0.1,
//! and waits that name what hung.
#![allow(dead_code)]

pub mod ccloud;
pub mod secure;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

// The demo's framed client and tiny Schema Registry live in the binary (src/demo/); the tests share them.
#[path = "../../src/demo/client.rs"]
mod client;
#[path = "../../src/demo/schema_registry.rs"]
mod schema_registry;

#[allow(unused_imports)]
pub use client::SidecarProcess;
#[allow(unused_imports)]
pub use schema_registry::{FakeSchemaRegistry, RegistryBehaviour};
use serde_json::{json, Value};

pub const WAIT: Duration = Duration::from_secs(20);

/// The sidecar binary under test, with logs going to `stderr` as the test chooses. (`option_env!`:
/// cargo names the binary to tests and benches only; examples/fake_ccloud.rs shares this module.)
pub fn command(rust_log: &str) -> Command {
    let Some(binary) = option_env!("CARGO_BIN_EXE_ide-sidecar") else {
        panic!("cargo names the sidecar binary to tests and benches only")
    };
    let mut command = Command::new(binary);
    command.env("RUST_LOG", rust_log).stderr(Stdio::null());
    command
}

/// A sidecar that has answered `initialize` with these options.
pub fn start(options: Value) -> SidecarProcess {
    let mut sidecar = SidecarProcess::spawn(command("warn")).expect("the sidecar binary starts");
    sidecar.initialize(options);
    sidecar
}

/// Fast schedules and timeouts, so tests see changes quickly.
pub fn fast_options() -> Value {
    json!({"check_timeout_seconds": 2, "direct": {"refresh_interval_seconds": 0.3}, "local": {"refresh_interval_seconds": 0.3}})
}

/// A port nothing listens on now, for the test to bind later. It comes from below the kernel's
/// ephemeral range (32768 and up), where the source ports of outgoing connections are taken, so
/// no client's connection can land on it before the test binds it; within one test binary ports
/// are handed out in turn from a start that depends on the process id, so two tests never share one.
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const FIRST: u32 = 20_000;
    const COUNT: u32 = 12_000;
    let start = std::process::id() * 97 % COUNT;
    (0..COUNT)
        .map(|_| (FIRST + (start + NEXT.fetch_add(1, Ordering::Relaxed)) % COUNT) as u16)
        .find(|&port| TcpListener::bind(("127.0.0.1", port)).is_ok())
        .expect("a free port below the ephemeral range")
}

/// A port where nothing listens.
pub fn closed_port() -> u16 {
    free_port()
}

pub fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The state of one component in a Connection (or in an event's connection).
pub fn state(connection: &Value, component: &str) -> String {
    connection["status"][component]["state"].as_str().unwrap_or("<absent>").to_string()
}

pub fn error_of(connection: &Value, component: &str) -> (String, bool) {
    let error = &connection["status"][component]["errors"]["auth_status_check"];
    (error["message"].as_str().unwrap_or_default().to_string(), error["is_transient"].as_bool().unwrap_or(false))
}

/// Waits for the next event about `id` whose connection satisfies `accept`, returning every event
/// seen on the way (the accepted one last).
pub fn events_until(sidecar: &mut SidecarProcess, id: &str, what: &str, accept: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let event = sidecar
            .next_event(id, WAIT)
            .unwrap_or_else(|| panic!("no event for '{id}' within {WAIT:?} while waiting for {what}; seen: {seen:#?}"));
        let done = accept(&event);
        seen.push(event);
        if done {
            return seen;
        }
    }
}

/// The `tansu` broker: `$TANSU`, then `~/.cargo/bin/tansu`, then `tansu` on PATH.
pub fn tansu_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TANSU") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let installed = home.join(".cargo/bin/tansu");
    if installed.exists() {
        installed
    } else {
        PathBuf::from("tansu")
    }
}

/// The Python of the tests' venv, where confluent-kafka (with its Avro, Protobuf, JSON Schema and
/// Schema Registry extras) is installed: `$IDE_SIDECAR_PYTHON`, else the venv `.ci/install` creates at
/// `${XDG_CACHE_HOME:-$HOME/.cache}/ide-sidecar-ci/py`. Panics naming `.ci/install` when it is missing.
pub fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("IDE_SIDECAR_PYTHON") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(".cache"));
    let python = cache.join("ide-sidecar-ci/py/bin/python");
    assert!(
        python.exists(),
        "no Python with confluent-kafka at {}: run .ci/install (or set IDE_SIDECAR_PYTHON)",
        python.display()
    );
    python
}

/// A real Kafka broker (tansu, in memory) on 127.0.0.1; killed when dropped.
pub struct Tansu {
    child: Child,
    pub port: u16,
}

impl Tansu {
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    pub fn start_on(port: u16) -> Self {
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(tansu_binary())
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url])
            .args(["--storage-engine", "memory://tansu/", "--cluster-id", "sidecar-test-cluster"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tansu starts (install it with: cargo install tansu --version 0.6.0 --features dynostore,libsql)");
        let broker = Self { child, port };
        wait_until("tansu to listen", WAIT, || TcpStream::connect(("127.0.0.1", port)).is_ok());
        broker
    }

    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A DIRECT spec for a plaintext Kafka cluster.
pub fn kafka_spec(name: &str, bootstrap: &str) -> Value {
    json!({"name": name, "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": bootstrap, "ssl": {"enabled": false}}})
}

pub fn registry_spec(name: &str, uri: &str) -> Value {
    json!({"name": name, "type": "DIRECT", "schema_registry": {"uri": uri}})
}

/// How long a data-plane request in a test may take.
pub const CALL: Duration = Duration::from_secs(30);

/// A request that must succeed; its result.
pub fn call(sidecar: &mut SidecarProcess, method: &str, params: Value) -> Value {
    sidecar.request(method, params.clone(), CALL).unwrap_or_else(|error| panic!("{method} {params} failed: {error}"))
}

/// A request that must fail; its error.
pub fn refused(sidecar: &mut SidecarProcess, method: &str, params: Value) -> Value {
    match sidecar.request(method, params.clone(), CALL) {
        Ok(result) => panic!("{method} {params} succeeded: {result}"),
        Err(error) => error,
    }
}

pub fn create(sidecar: &mut SidecarProcess, spec: Value) -> Value {
    sidecar.request("connections/create", json!({"spec": spec}), WAIT).expect("create succeeds")
}

/// (threads, resident set kB, peak resident set kB) of a running process, from /proc.
pub fn proc_status(pid: u32) -> (u64, u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|value| value.parse().ok())
            .unwrap_or(0)
    };
    (field("Threads:"), field("VmRSS:"), field("VmHWM:"))
}

/// How many file handles a running process has open.
pub fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |entries| entries.count())
}

/// The ids of a running process's threads with this name, sorted.
pub fn threads_named(pid: u32, name: &str) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    let mut ids: Vec<u32> = tasks
        .flatten()
        .filter(|task| std::fs::read_to_string(task.path().join("comm")).is_ok_and(|comm| comm.trim_end() == name))
        .filter_map(|task| task.file_name().to_str()?.parse().ok())
        .collect();
    ids.sort_unstable();
    ids
}

//! The shared store (`initializationOptions.store`) end to end: several real sidecar processes
//! sharing one state directory and a real Secret Service (gnome-keyring in a D-Bus session this
//! test starts for itself), against the fake Confluent Cloud.

mod support;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::ccloud::*;
use support::*;

/// A D-Bus session bus with an unlocked gnome-keyring on it; both stop when dropped. Only the
/// sidecars this test spawns get its address.
struct Keyring {
    address: String,
    dbus_pid: i32,
    daemon: Child,
    home: PathBuf,
}

impl Keyring {
    fn start() -> Self {
        let home = temp_dir("keyring");
        let output = Command::new("dbus-daemon")
            .args(["--session", "--fork", "--print-address=1", "--print-pid=1"])
            .stderr(Stdio::null())
            .output()
            .expect("dbus-daemon runs (Debian: apt-get install dbus; .ci/install does)");
        let printed = String::from_utf8_lossy(&output.stdout).to_string();
        let mut lines = printed.lines();
        let address = lines.next().expect("dbus-daemon prints its address").trim().to_string();
        let dbus_pid: i32 = lines.next().and_then(|pid| pid.trim().parse().ok()).expect("dbus-daemon prints its pid");
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_RUNTIME_DIR", &home)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon runs (Debian: apt-get install gnome-keyring; .ci/install does)");
        let mut stdin = daemon.stdin.take().unwrap();
        stdin.write_all(b"keyring-test-password").unwrap();
        drop(stdin);
        let keyring = Self { address, dbus_pid, daemon, home };
        wait_until("the Secret Service on the test's D-Bus session", WAIT, || keyring.serves());
        keyring
    }

    fn serves(&self) -> bool {
        let output = Command::new("dbus-send")
            .args(["--session", "--print-reply", "--dest=org.freedesktop.DBus", "/"])
            .args(["org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output();
        output.is_ok_and(|output| String::from_utf8_lossy(&output.stdout).contains("boolean true"))
    }

    /// `secret-tool search --all service ide-sidecar`: every item the sidecars stored, secrets shown.
    fn items(&self) -> String {
        let output = Command::new("secret-tool")
            .args(["search", "--all", "--unlock", "service", "ide-sidecar"])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .expect("secret-tool runs (Debian: libsecret-tools)");
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
        unsafe { libc::kill(self.dbus_pid, libc::SIGTERM) };
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ide-sidecar-{what}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One test's world: a store directory, the fake Confluent Cloud, and how sidecars reach a keychain.
struct World {
    store: PathBuf,
    logs: PathBuf,
    fake: FakeCCloud,
    port: u16,
    keyring: Option<Keyring>,
    started: usize,
    ccloud_overrides: Value,
}

impl World {
    fn new(keychain: bool) -> Self {
        let port = free_port();
        let root = temp_dir("store-test");
        Self {
            store: root.join("state"),
            logs: root,
            fake: FakeCCloud::start(port),
            port,
            keyring: keychain.then(Keyring::start),
            started: 0,
            ccloud_overrides: json!({}),
        }
    }

    fn options(&self) -> Value {
        let mut ccloud = self.fake.options(self.port);
        if let (Some(ccloud), Some(overrides)) = (ccloud.as_object_mut(), self.ccloud_overrides.as_object()) {
            ccloud.extend(overrides.clone());
        }
        json!({"check_timeout_seconds": 5, "ccloud": ccloud, "store": {"enabled": true, "directory": self.store}})
    }

    /// A sidecar on this world's store; its log goes to `sidecar-N.log` beside the store.
    fn sidecar(&mut self) -> (SidecarProcess, Value) {
        self.started += 1;
        let log = File::create(self.logs.join(format!("sidecar-{}.log", self.started))).unwrap();
        let mut command = command("info,ide_sidecar=debug");
        command.stderr(log).env_remove("DBUS_SESSION_BUS_ADDRESS").env("XDG_RUNTIME_DIR", &self.logs);
        if let Some(keyring) = &self.keyring {
            command.env("DBUS_SESSION_BUS_ADDRESS", &keyring.address);
        }
        let mut sidecar = SidecarProcess::spawn(command).expect("the sidecar starts");
        let initialized = sidecar.initialize(self.options());
        (sidecar, initialized)
    }

    fn sidecars(&mut self, n: usize) -> Vec<SidecarProcess> {
        (0..n).map(|_| self.sidecar().0).collect()
    }

    /// Every file under the store directory and the logs, as text.
    fn everything_on_disk(&self) -> String {
        let mut text = String::new();
        for dir in [&self.store, &self.logs] {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                if entry.path().is_file() {
                    text.push_str(&String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()));
                }
            }
        }
        text
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.logs);
        } else {
            eprintln!("sidecar logs kept in {}", self.logs.display());
        }
    }
}

fn cloud_spec(id: &str) -> Value {
    json!({"id": id, "name": format!("Cloud {id}"), "type": "CCLOUD"})
}

fn ccloud_state(connection: &Value) -> String {
    state(connection, "ccloud")
}

fn get(sidecar: &mut SidecarProcess, id: &str) -> Result<Value, Value> {
    sidecar.request("connections/get", json!({"id": id}), WAIT)
}

/// Waits for an event about `id` whose connection satisfies `accept`.
fn until(sidecar: &mut SidecarProcess, id: &str, what: &str, accept: impl Fn(&Value) -> bool) -> Value {
    events_until(sidecar, id, what, |event| accept(event)).pop().unwrap()
}

fn until_ccloud(sidecar: &mut SidecarProcess, id: &str, wanted: &str) -> Value {
    until(sidecar, id, &format!("ccloud {wanted}"), |event| ccloud_state(&event["connection"]) == wanted)
}

fn sign_in(sidecar: &mut SidecarProcess, id: &str) {
    let result = sidecar.request("ccloud/signIn", json!({"id": id}), WAIT).expect("ccloud/signIn succeeds");
    let page = follow_sign_in(result["sign_in_uri"].as_str().unwrap());
    assert_eq!(page.status, 200, "{}", page.body);
}

fn kill(mut sidecar: SidecarProcess) {
    unsafe { libc::kill(sidecar.pid() as i32, libc::SIGKILL) };
    sidecar.wait_exit(WAIT);
}

#[test]
fn one_sign_in_signs_in_every_window_and_one_sign_out_signs_out_every_window() {
    let mut world = World::new(true);
    let (mut first, initialized) = world.sidecar();
    let store = &initialized["capabilities"]["experimental"]["sidecar"]["store"];
    assert_eq!(store["keychain"], true, "{initialized:#}");
    assert_eq!(store["message"], Value::Null);
    let mut others = world.sidecars(2);

    create(&mut first, cloud_spec("cloud"));
    for other in &mut others {
        let created = until(other, "cloud", "CREATED", |event| event["action"] == "CREATED");
        assert_eq!(ccloud_state(&created["connection"]), "NONE");
    }
    let started = Instant::now();
    sign_in(&mut first, "cloud");
    until_ccloud(&mut first, "cloud", "SUCCESS");
    for other in &mut others {
        let signed_in = until_ccloud(other, "cloud", "SUCCESS");
        assert_eq!(signed_in["connection"]["status"]["ccloud"]["user"]["username"], USER_EMAIL);
    }
    assert!(started.elapsed() < Duration::from_secs(5), "every window signed in within {:?}", started.elapsed());
    // The others' sessions work: check_jwt accepts the tokens they were given.
    std::thread::sleep(Duration::from_millis(800));
    for other in &mut others {
        assert_eq!(ccloud_state(&get(other, "cloud").unwrap()), "SUCCESS");
    }
    assert_eq!(world.fake.refusals(), Vec::<String>::new());

    let signed_out = others[1].request("ccloud/signOut", json!({"id": "cloud"}), WAIT).expect("signOut succeeds");
    assert_eq!(ccloud_state(&signed_out), "NONE");
    until_ccloud(&mut first, "cloud", "NONE");
    until_ccloud(&mut others[0], "cloud", "NONE");
    assert!(!world.keyring.as_ref().unwrap().items().contains("ccloud-session/cloud"), "the session's tokens are gone");

    // Signing in again in another window works the same way, and a delete in one deletes everywhere.
    sign_in(&mut others[0], "cloud");
    until_ccloud(&mut first, "cloud", "SUCCESS");
    until_ccloud(&mut others[1], "cloud", "SUCCESS");
    first.request("connections/delete", json!({"id": "cloud"}), WAIT).expect("delete succeeds");
    for other in &mut others {
        until(other, "cloud", "DELETED", |event| event["action"] == "DELETED");
        assert!(get(other, "cloud").is_err());
    }
    assert!(!world.keyring.as_ref().unwrap().items().contains("|ccloud-session/cloud"));
    assert_eq!(world.fake.refusals(), Vec::<String>::new());
}

#[test]
fn a_restarted_sidecar_is_signed_in_without_a_browser_until_the_lifetime_ends() {
    let mut world = World::new(true);
    let mut sidecars = world.sidecars(2);
    create(&mut sidecars[0], cloud_spec("cloud"));
    let mut plain = kafka_spec("plain", "127.0.0.1:1");
    plain["id"] = json!("plain");
    create(&mut sidecars[0], plain);
    sign_in(&mut sidecars[0], "cloud");
    until_ccloud(&mut sidecars[1], "cloud", "SUCCESS");
    let before = get(&mut sidecars[0], "cloud").unwrap();
    for sidecar in sidecars {
        kill(sidecar);
    }

    let (mut restarted, _) = world.sidecar();
    // What the store holds arrives as events after `initialize`, the session's state too.
    until(&mut restarted, "plain", "CREATED", |event| event["action"] == "CREATED");
    until_ccloud(&mut restarted, "cloud", "SUCCESS");
    let listed = restarted.request("connections/list", json!({}), WAIT).expect("list succeeds");
    let ids: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["cloud", "plain"], "{listed:#}");
    let cloud = get(&mut restarted, "cloud").unwrap();
    assert_eq!(ccloud_state(&cloud), "SUCCESS", "{cloud:#}");
    assert_eq!(
        cloud["status"]["ccloud"]["requires_authentication_at"],
        before["status"]["ccloud"]["requires_authentication_at"],
        "the session keeps its 8-hour end"
    );
    // Its session is real: the control plane keeps accepting it.
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(ccloud_state(&get(&mut restarted, "cloud").unwrap()), "SUCCESS");
    assert_eq!(world.fake.refusals(), Vec::<String>::new());
    kill(restarted);

    // The README's wipe of the keychain: the tokens are gone, so the next start is signed out (and says why).
    let keyring = world.keyring.as_ref().unwrap();
    let cleared = Command::new("secret-tool")
        .args(["clear", "service", "ide-sidecar"])
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.address)
        .status()
        .unwrap();
    assert!(cleared.success());
    assert!(!keyring.items().contains("ccloud-session"));
    let (mut wiped, _) = world.sidecar();
    assert_eq!(ccloud_state(&get(&mut wiped, "cloud").unwrap()), "NONE");
    assert_eq!(get(&mut wiped, "plain").unwrap()["spec"]["name"], "plain");
    let log = std::fs::read_to_string(world.logs.join("sidecar-4.log")).unwrap();
    assert!(log.contains("does not hold this stored session's tokens"), "{log}");
}

#[test]
fn a_session_past_its_lifetime_is_not_restored() {
    let mut world = World::new(true);
    world.ccloud_overrides = json!({"absolute_lifetime_seconds": 2});
    let (mut first, _) = world.sidecar();
    create(&mut first, cloud_spec("cloud"));
    sign_in(&mut first, "cloud");
    until_ccloud(&mut first, "cloud", "SUCCESS");
    kill(first);
    std::thread::sleep(Duration::from_millis(2500));
    let (mut restarted, _) = world.sidecar();
    assert_eq!(ccloud_state(&get(&mut restarted, "cloud").unwrap()), "NONE");
}

#[test]
fn concurrent_refreshes_with_rotating_refresh_tokens_never_fail_a_session() {
    let mut world = World::new(true);
    // Tokens live 1 s: each window would refresh every 0.8 s on its own.
    world.ccloud_overrides = json!({"token_lifetime_seconds": 1});
    let mut sidecars = world.sidecars(3);
    create(&mut sidecars[0], cloud_spec("cloud"));
    for sidecar in &mut sidecars[1..] {
        until(sidecar, "cloud", "CREATED", |event| event["action"] == "CREATED");
    }
    sign_in(&mut sidecars[0], "cloud");
    for sidecar in &mut sidecars {
        until_ccloud(sidecar, "cloud", "SUCCESS");
    }
    let grants_before = world.fake.refresh_grants();
    std::thread::sleep(Duration::from_secs(6));
    let grants = world.fake.refresh_grants() - grants_before;
    assert_eq!(world.fake.refusals(), Vec::<String>::new(), "no refresh token was presented twice");
    assert!(grants >= 4, "the session was refreshed ({grants} refresh grants in 6 s)");
    assert!(grants <= 12, "one window refreshes for all ({grants} refresh grants in 6 s)");
    for sidecar in &mut sidecars {
        let events = sidecar.drain(Duration::from_millis(100));
        let failed = events.iter().any(|event| {
            event["params"]["connection"]["status"]["ccloud"]["state"].as_str().is_some_and(|s| s != "SUCCESS")
        });
        assert!(!failed, "{events:#?}");
        let cloud = get(sidecar, "cloud").unwrap();
        assert_eq!(ccloud_state(&cloud), "SUCCESS", "{cloud:#}");
        assert_eq!(cloud["status"]["ccloud"]["errors"], Value::Null, "{cloud:#}");
    }
}

#[test]
fn creates_updates_and_deletes_in_one_window_show_in_the_others_with_their_secrets_in_the_keychain() {
    let mut world = World::new(true);
    let mut sidecars = world.sidecars(3);
    let password = "planted-password-7f3a";
    let mut spec = kafka_spec("secured", "127.0.0.1:1");
    spec["id"] = json!("secured");
    spec["kafka_cluster"]["credentials"] = json!({"username": "u", "password": password});
    create(&mut sidecars[0], spec.clone());
    for sidecar in &mut sidecars[1..] {
        let created = until(sidecar, "secured", "CREATED", |event| event["action"] == "CREATED");
        assert_eq!(created["connection"]["spec"]["kafka_cluster"]["credentials"]["password"], "********");
    }
    assert!(!world.everything_on_disk().contains(password), "the password is not in a file");
    assert!(world.keyring.as_ref().unwrap().items().contains(password), "the password is in the keychain");

    // Another window updates it sending the mask back: it holds the secret, so the update is valid.
    let mut renamed = spec.clone();
    renamed["name"] = json!("renamed");
    renamed["kafka_cluster"]["credentials"]["password"] = json!("********");
    sidecars[1]
        .request("connections/update", json!({"id": "secured", "spec": renamed}), WAIT)
        .expect("an update with the stored secret succeeds");
    for index in [0, 2] {
        until(&mut sidecars[index], "secured", "UPDATED renamed", |event| {
            event["action"] == "UPDATED" && event["connection"]["spec"]["name"] == "renamed"
        });
    }

    // Two windows change the same connection at once: every window ends with the same one.
    for (index, name) in [(0, "from-first"), (2, "from-third")] {
        let mut changed = renamed.clone();
        changed["name"] = json!(name);
        let body = json!({"jsonrpc": "2.0", "id": 900 + index, "method": "connections/update",
            "params": {"id": "secured", "spec": changed}});
        sidecars[index].send(&body);
    }
    let mut names = Vec::new();
    wait_until("every window to show the same name", WAIT, || {
        names = sidecars
            .iter_mut()
            .map(|sidecar| get(sidecar, "secured").unwrap()["spec"]["name"].as_str().unwrap().to_string())
            .collect();
        names.iter().all(|name| name == &names[0]) && names[0].starts_with("from-")
    });
    std::thread::sleep(Duration::from_millis(1000));
    let settled: Vec<String> = sidecars
        .iter_mut()
        .map(|sidecar| get(sidecar, "secured").unwrap()["spec"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(settled, names, "the result holds");

    sidecars[2].request("connections/delete", json!({"id": "secured"}), WAIT).expect("delete succeeds");
    for index in [0, 1] {
        until(&mut sidecars[index], "secured", "DELETED", |event| event["action"] == "DELETED");
    }
    assert!(!world.keyring.as_ref().unwrap().items().contains(password), "the deleted connection's secret is gone");
}

#[test]
fn without_a_keychain_secrets_stay_in_memory_and_never_reach_a_file() {
    let mut world = World::new(false);
    let (mut first, initialized) = world.sidecar();
    let store = &initialized["capabilities"]["experimental"]["sidecar"]["store"];
    assert_eq!(store["keychain"], false, "{initialized:#}");
    assert!(store["message"].as_str().is_some_and(|m| m.contains("memory only")), "{initialized:#}");
    let (mut second, _) = world.sidecar();

    let password = "planted-password-91c2";
    let mut secured = kafka_spec("secured", "127.0.0.1:1");
    secured["id"] = json!("secured");
    secured["kafka_cluster"]["credentials"] = json!({"username": "u", "password": password});
    create(&mut first, secured);
    let mut plain = kafka_spec("plain", "127.0.0.1:1");
    plain["id"] = json!("plain");
    create(&mut first, plain);
    create(&mut first, cloud_spec("cloud"));
    sign_in(&mut first, "cloud");
    until_ccloud(&mut first, "cloud", "SUCCESS");

    // What has no secret is shared; what has one stays in the window that holds it.
    until(&mut second, "plain", "CREATED", |event| event["action"] == "CREATED");
    until(&mut second, "cloud", "CREATED", |event| event["action"] == "CREATED");
    std::thread::sleep(Duration::from_millis(1000));
    assert!(get(&mut second, "secured").is_err());
    assert_eq!(ccloud_state(&get(&mut second, "cloud").unwrap()), "NONE", "the session is not shared");
    assert_eq!(ccloud_state(&get(&mut first, "cloud").unwrap()), "SUCCESS");

    let on_disk = world.everything_on_disk();
    assert!(on_disk.contains("\"plain\""), "the state file holds the shared connection");
    let mut planted = world.fake.secrets();
    planted.push(password.to_string());
    for secret in planted {
        assert!(!on_disk.contains(&secret), "a secret reached a file");
    }
    let logs = std::fs::read_to_string(world.logs.join("sidecar-1.log")).unwrap();
    assert_eq!(logs.matches("No OS keychain answered").count(), 1, "said once: {logs}");
}

#[test]
fn a_write_cut_short_loses_nothing_and_an_unreadable_file_is_moved_aside() {
    let mut world = World::new(false);
    let (mut first, _) = world.sidecar();
    for name in ["one", "two"] {
        let mut spec = kafka_spec(name, "127.0.0.1:1");
        spec["id"] = json!(name);
        create(&mut first, spec);
    }
    let state_file = world.store.join("state.json");
    wait_until("both connections written", WAIT, || {
        std::fs::read_to_string(&state_file).is_ok_and(|text| text.contains("\"two\""))
    });
    // A sidecar killed in the middle of a write leaves its temp file, never a half-written state.json.
    kill(first);
    std::fs::write(world.store.join(".state.json.tmp-4242-cut"), "{\"format\": 1, \"generation\": 9, \"conn").unwrap();
    let (mut second, _) = world.sidecar();
    for name in ["one", "two"] {
        assert_eq!(get(&mut second, name).unwrap()["spec"]["name"], name);
    }
    let mut three = kafka_spec("three", "127.0.0.1:1");
    three["id"] = json!("three");
    create(&mut second, three);
    wait_until("the next write", WAIT, || std::fs::read_to_string(&state_file).is_ok_and(|t| t.contains("three")));
    assert!(!world.store.join(".state.json.tmp-4242-cut").exists(), "the partial write was cleared");

    // A state file that is not ours (corrupt, or from a newer sidecar) is moved aside, not lost, and
    // the running sidecar writes what it holds again.
    std::fs::write(&state_file, "{\"format\": 1, \"generation\": 3, \"connections\": [").unwrap();
    wait_until("the unreadable file moved aside", WAIT, || aside(&world.store).len() == 1);
    assert_eq!(
        std::fs::read_to_string(&aside(&world.store)[0]).unwrap(),
        "{\"format\": 1, \"generation\": 3, \"connections\": ["
    );
    wait_until("the state written again", WAIT, || {
        std::fs::read_to_string(&state_file).is_ok_and(|text| ["one", "two", "three"].iter().all(|n| text.contains(n)))
    });
    assert_eq!(get(&mut second, "two").unwrap()["spec"]["name"], "two");

    // Wiping the directory while a sidecar runs deletes its stored connections, as another window would.
    let moved = world.logs.join("wiped");
    std::fs::rename(&world.store, &moved).unwrap();
    until(&mut second, "two", "DELETED", |event| event["action"] == "DELETED");
    let mut four = kafka_spec("four", "127.0.0.1:1");
    four["id"] = json!("four");
    create(&mut second, four);
    wait_until("a new state file", WAIT, || std::fs::read_to_string(&state_file).is_ok_and(|t| t.contains("four")));
    std::fs::remove_dir_all(&world.store).unwrap();
    std::fs::rename(&moved, &world.store).unwrap();
    kill(second);

    std::fs::write(&state_file, "{\"format\": 99, \"from\": \"the future\"}").unwrap();
    let (mut third, _) = world.sidecar();
    let listed = third.request("connections/list", json!({}), WAIT).expect("list succeeds");
    assert_eq!(listed["data"], json!([]), "a newer format is not read");
    assert_eq!(aside(&world.store).len(), 2, "and it is kept aside");
    let log = std::fs::read_to_string(world.logs.join("sidecar-3.log")).unwrap();
    assert!(log.contains("newer than this sidecar's") && log.contains("moved aside"), "{log}");
}

fn aside(store: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(store)
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.file_name().unwrap().to_string_lossy().starts_with("state.json.unreadable-"))
        .collect();
    found.sort();
    found
}

#[test]
fn the_store_is_off_unless_asked_and_a_relative_directory_is_refused() {
    let mut sidecar = SidecarProcess::spawn(command("warn")).unwrap();
    let initialized = sidecar.initialize(json!({}));
    assert!(initialized["capabilities"]["experimental"]["sidecar"].get("store").is_none(), "{initialized:#}");
    let mut refused = SidecarProcess::spawn(command("warn")).unwrap();
    let params = json!({"processId": null, "capabilities": {},
        "initializationOptions": {"store": {"enabled": true, "directory": "relative/dir"}}});
    let error = refused.request("initialize", params, WAIT).expect_err("a relative directory is refused");
    assert!(error.to_string().contains("store.directory"), "{error}");
}

#[test]
fn a_clean_shutdown_writes_every_change_first() {
    let (mut world, mut first, names) = twenty_connections();
    assert!(first.shutdown().is_some_and(|status| status.success()));
    assert_eq!(stored_ids(&mut world), names, "in creation order");
}

#[test]
fn a_process_that_dies_holding_the_refresh_lock_does_not_block_the_others() {
    let mut world = World::new(true);
    world.ccloud_overrides = json!({"token_lifetime_seconds": 1});
    let (mut sidecar, _) = world.sidecar();
    create(&mut sidecar, cloud_spec("cloud"));
    // Another process takes the session's refresh lock before the first refresh falls due, and keeps it.
    let lock =
        world.store.join(format!("refresh-{}.lock", "cloud".bytes().map(|b| format!("{b:02x}")).collect::<String>()));
    // One process holds the lock on its only descriptor of the file: the shell execs into `sleep`.
    let mut holder = Command::new("sh")
        .args(["-c", "exec 9>\"$0\"; flock 9 || exit 1; exec sleep 60"])
        .arg(&lock)
        .spawn()
        .expect("sh and flock (util-linux) run");
    wait_until("the other process to hold the lock", WAIT, || {
        Command::new("flock").args(["--nonblock"]).arg(&lock).arg("true").status().is_ok_and(|s| !s.success())
    });
    sign_in(&mut sidecar, "cloud");
    until_ccloud(&mut sidecar, "cloud", "SUCCESS");
    std::thread::sleep(Duration::from_millis(2000));
    assert_eq!(world.fake.refresh_grants(), 0, "no refresh while another process holds the lock");
    holder.kill().unwrap();
    holder.wait().unwrap();
    wait_until("a refresh once the holder died", WAIT, || world.fake.refresh_grants() > 0);
    assert_eq!(ccloud_state(&get(&mut sidecar, "cloud").unwrap()), "SUCCESS");
    assert_eq!(world.fake.refusals(), Vec::<String>::new());
}

#[test]
fn a_sidecar_whose_editor_went_away_writes_every_change_first() {
    let (mut world, mut first, names) = twenty_connections();
    // End of input, as when the editor dies: no shutdown, no exit.
    first.close_stdin();
    assert!(first.wait_exit(WAIT).is_some(), "the sidecar exits at the end of its input");
    assert_eq!(stored_ids(&mut world), names);
}

/// A store (no keychain) and a sidecar on it that created 20 connections, and their ids in order.
fn twenty_connections() -> (World, SidecarProcess, Vec<String>) {
    let mut world = World::new(false);
    let (mut first, _) = world.sidecar();
    let names: Vec<String> = (0..20).map(|n| format!("c{n}")).collect();
    for name in &names {
        let mut spec = kafka_spec(name, "127.0.0.1:1");
        spec["id"] = json!(name);
        create(&mut first, spec);
    }
    (world, first, names)
}

/// The ids a new sidecar on the store lists, in order.
fn stored_ids(world: &mut World) -> Vec<String> {
    let (mut second, _) = world.sidecar();
    let listed = second.request("connections/list", json!({}), WAIT).expect("list succeeds");
    listed["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

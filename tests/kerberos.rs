//! Kerberos (SASL GSSAPI, the `kerberos` feature) with real tools: keytabs made by `ktutil` and
//! `kadmin.local`, the sidecar's and librdkafka's `kinit`, a real MIT KDC (`krb5kdc`) on 127.0.0.1,
//! tansu (which has no GSSAPI), and a stand-in broker that accepts the GSSAPI mechanism so that the
//! client's half of the Kerberos exchange runs (it cannot accept the ticket: no GSSAPI broker here).
//!
//! Needs krb5-user (kinit, ktutil, klist), krb5-kdc and krb5-admin-server (krb5kdc, kdb5_util,
//! kadmin.local) and libsasl2-modules-gssapi-mit; `.ci/run` installs them.
#![cfg(feature = "kerberos")]

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use support::secure::Scratch;
use support::*;

const REALM: &str = "SIDECAR.TEST";

/// A Kerberos tool from krb5-user, krb5-kdc or krb5-admin-server (some live in /usr/sbin).
fn tool(name: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"] {
        let path = Path::new(dir).join(name);
        if path.exists() {
            return path;
        }
    }
    panic!("{name} is missing: install krb5-user, krb5-kdc and krb5-admin-server (apt-get install krb5-user krb5-kdc krb5-admin-server)")
}

/// Runs a Kerberos tool with this realm's configuration; panics with its output when it fails.
fn run(realm: &Realm, name: &str, args: &[&str], input: &str) -> String {
    let mut child = Command::new(tool(name))
        .args(args)
        .envs(realm.env())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("{name} starts: {error}"));
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{name} {args:?} failed: {text}");
    text
}

/// A realm SIDECAR.TEST in a scratch folder: its krb5.conf, keytabs, the ticket cache of the
/// sidecar under test, and (for `with_kdc`) a real KDC.
struct Realm {
    dir: Scratch,
    kdc: Option<Child>,
    /// A "KDC" that takes UDP datagrams and TCP connections and never answers.
    _silent: Option<(TcpListener, UdpSocket)>,
}

impl Realm {
    /// krb5.conf names a KDC on a closed port of 127.0.0.1.
    fn unreachable() -> Self {
        let realm = Self { dir: Scratch::new("krb5"), kdc: None, _silent: None };
        realm.write_conf(closed_port());
        realm
    }

    /// krb5.conf names a KDC on 127.0.0.1 that never answers (kinit waits about 25 s for it).
    fn silent() -> Self {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        let udp = UdpSocket::bind(("127.0.0.1", port)).unwrap();
        let realm = Self { dir: Scratch::new("krb5-silent"), kdc: None, _silent: Some((tcp, udp)) };
        realm.write_conf(port);
        realm
    }

    /// A real MIT KDC on 127.0.0.1 (UDP and TCP), with a fresh database.
    fn with_kdc() -> Self {
        let mut realm = Self { dir: Scratch::new("kdc"), kdc: None, _silent: None };
        let port = free_port();
        realm.write_conf(port);
        let dir = realm.dir.0.display().to_string();
        let kdc_conf = format!(
            "[kdcdefaults]\n  kdc_ports = {port}\n  kdc_tcp_ports = {port}\n[realms]\n  {REALM} = {{\n    database_name = {dir}/principal\n    \
             key_stash_file = {dir}/stash\n    acl_file = {dir}/kadm5.acl\n    kdc_ports = {port}\n    kdc_tcp_ports = {port}\n  }}\n\
             [logging]\n  kdc = FILE:{dir}/kdc.log\n"
        );
        std::fs::write(realm.path("kdc.conf"), kdc_conf).unwrap();
        run(&realm, "kdb5_util", &["create", "-s", "-r", REALM, "-P", "master-password"], "");
        let kdc = Command::new(tool("krb5kdc"))
            .args(["-n", "-r", REALM])
            .envs(realm.env())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("krb5kdc starts");
        realm.kdc = Some(kdc);
        wait_until("the KDC to listen", WAIT, || TcpStream::connect(("127.0.0.1", port)).is_ok());
        realm
    }

    fn write_conf(&self, port: u16) {
        let conf = format!(
            "[libdefaults]\n  default_realm = {REALM}\n  dns_lookup_kdc = false\n  dns_lookup_realm = false\n  rdns = false\n  \
             dns_canonicalize_hostname = false\n  udp_preference_limit = 1\n[realms]\n  {REALM} = {{\n    kdc = 127.0.0.1:{port}\n  }}\n"
        );
        std::fs::write(self.path("krb5.conf"), conf).unwrap();
    }

    fn path(&self, name: &str) -> String {
        self.dir.0.join(name).display().to_string()
    }

    /// What every Kerberos program of the test, the sidecar included, runs with.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("KRB5_CONFIG", self.path("krb5.conf")),
            ("KRB5_KDC_PROFILE", self.path("kdc.conf")),
            ("KRB5CCNAME", format!("FILE:{}", self.path("ccache"))),
        ]
    }

    /// A keytab made by ktutil from a password (no KDC involved).
    fn ktutil_keytab(&self, principal: &str, name: &str) -> String {
        let keytab = self.path(name);
        let script = format!(
            "addent -password -p {principal} -k 1 -e aes256-cts-hmac-sha1-96\nsome-password\nwkt {keytab}\nquit\n"
        );
        run(self, "ktutil", &[], &script);
        keytab
    }

    /// A principal the KDC knows, with a random key exported to a keytab.
    fn principal_with_keytab(&self, principal: &str, name: &str) -> String {
        let keytab = self.path(name);
        run(self, "kadmin.local", &["-r", REALM, "-q", &format!("addprinc -randkey {principal}")], "");
        run(self, "kadmin.local", &["-r", REALM, "-q", &format!("ktadd -k {keytab} {principal}")], "");
        keytab
    }

    fn kadmin(&self, query: &str) {
        run(self, "kadmin.local", &["-r", REALM, "-q", query], "");
    }

    /// The tickets in the sidecar's ticket cache.
    fn tickets(&self) -> String {
        Command::new(tool("klist"))
            .envs(self.env())
            .output()
            .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
            .unwrap_or_default()
    }

    /// A sidecar that uses this realm, with `extra` environment.
    fn sidecar(&self, extra: &[(&str, &str)]) -> SidecarProcess {
        let mut command = command("warn");
        command.envs(self.env());
        for (key, value) in extra {
            command.env(key, value);
        }
        let mut sidecar = SidecarProcess::spawn(command).expect("the sidecar binary starts");
        sidecar.initialize(json!({"check_timeout_seconds": 6}));
        sidecar
    }
}

impl Drop for Realm {
    fn drop(&mut self) {
        if let Some(kdc) = self.kdc.as_mut() {
            let _ = kdc.kill();
            let _ = kdc.wait();
        }
    }
}

fn kerberos_spec(bootstrap: &str, principal: &str, keytab: &str) -> Value {
    json!({"name": "kerberos", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": bootstrap,
        "ssl": {"enabled": false}, "credentials": {"principal": principal, "keytab_path": keytab}}})
}

/// Checks a spec once (a dry run); returns the Kafka error message and whether it is transient.
fn dry_failure(sidecar: &mut SidecarProcess, spec: Value) -> (String, bool) {
    let connection =
        sidecar.request("connections/create", json!({"spec": spec, "dry_run": true}), WAIT).expect("a dry run answers");
    assert_eq!(state(&connection, "kafka_cluster"), "FAILED", "{connection}");
    error_of(&connection, "kafka_cluster")
}

#[test]
fn an_unreachable_kdc_is_a_transient_failure_that_names_the_realm_and_krb5_conf() {
    let realm = Realm::unreachable();
    let keytab = realm.ktutil_keytab(&format!("alice@{REALM}"), "alice.keytab");
    let broker = Tansu::start();
    let mut sidecar = realm.sidecar(&[]);

    let created = create(&mut sidecar, kerberos_spec(&broker.bootstrap(), &format!("alice@{REALM}"), &keytab));
    let id = created["id"].as_str().unwrap().to_string();
    let events = events_until(&mut sidecar, &id, "the Kerberos check to fail", |event| {
        state(&event["connection"], "kafka_cluster") == "FAILED"
    });
    let (message, transient) = error_of(&events.last().unwrap()["connection"], "kafka_cluster");
    assert!(
        message.starts_with(&format!("Cannot reach the Kerberos KDC of realm '{REALM}' to log in as 'alice@{REALM}'")),
        "{message}"
    );
    assert!(message.contains(&realm.path("krb5.conf")), "names the krb5.conf in use: {message}");
    assert!(message.contains("(kinit: Cannot contact any KDC for realm"), "quotes kinit: {message}");
    assert!(!message.ends_with('.'), "{message}");
    assert!(transient, "an unreachable KDC is transient");
}

#[test]
fn a_kdc_that_never_answers_is_given_up_on_within_the_check() {
    let realm = Realm::silent();
    let keytab = realm.ktutil_keytab(&format!("alice@{REALM}"), "alice.keytab");
    let broker = Tansu::start();
    let mut sidecar = realm.sidecar(&[]);

    let started = std::time::Instant::now();
    let (message, transient) =
        dry_failure(&mut sidecar, kerberos_spec(&broker.bootstrap(), &format!("alice@{REALM}"), &keytab));
    // 40% of check_timeout_seconds (6).
    assert!(
        message.starts_with(&format!("kinit did not get a Kerberos ticket for 'alice@{REALM}' within 2400 ms")),
        "{message}"
    );
    assert!(message.contains(&realm.path("krb5.conf")), "{message}");
    assert!(transient);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "answered within the check: {:?}",
        started.elapsed()
    );
    // The kinit that was given up on is gone, not left waiting for the KDC.
    wait_until("the abandoned kinit to be killed", WAIT, || children_named(sidecar.pid(), "kinit") == 0);
}

/// How many child processes of `parent` have this command name (from /proc).
fn children_named(parent: u32, name: &str) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0 };
    entries
        .flatten()
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .filter(|stat| {
            // pid (comm) state ppid ...
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { return false };
            let ppid = stat[close + 1..].split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok());
            &stat[open + 1..close] == name && ppid == Some(parent)
        })
        .count()
}

#[test]
fn keytab_principal_and_kinit_problems_are_not_transient_and_say_what_to_fix() {
    let realm = Realm::unreachable();
    let keytab = realm.ktutil_keytab(&format!("alice@{REALM}"), "alice.keytab");
    let broker = Tansu::start();
    let bootstrap = broker.bootstrap();
    let mut sidecar = realm.sidecar(&[]);

    // Missing: checked before kinit runs (kinit itself would blame the unreachable KDC first).
    let missing = realm.path("missing.keytab");
    let (message, transient) = dry_failure(&mut sidecar, kerberos_spec(&bootstrap, "alice", &missing));
    assert!(
        message.starts_with(&format!("Cannot read the keytab '{missing}': No such file or directory")),
        "{message}"
    );
    assert!(message.contains("check keytab_path"), "{message}");
    assert!(!transient);

    // Not a keytab.
    let (message, transient) = dry_failure(&mut sidecar, kerberos_spec(&bootstrap, "alice", &realm.path("krb5.conf")));
    assert!(message.contains("is not a keytab"), "{message}");
    assert!(!transient);

    // A principal the keytab does not hold: kinit finds out without asking the KDC.
    let (message, transient) = dry_failure(&mut sidecar, kerberos_spec(&bootstrap, &format!("bob@{REALM}"), &keytab));
    assert!(
        message.starts_with(&format!("The keytab '{keytab}' holds no key for principal 'bob@{REALM}'")),
        "{message}"
    );
    assert!(message.contains("Keytab contains no suitable keys"), "quotes kinit: {message}");
    assert!(!transient);

    // No kinit on the sidecar's PATH.
    let empty = Scratch::new("no-kinit");
    let mut without_kinit = realm.sidecar(&[("PATH", &empty.0.display().to_string())]);
    let (message, transient) =
        dry_failure(&mut without_kinit, kerberos_spec(&bootstrap, &format!("alice@{REALM}"), &keytab));
    assert!(message.starts_with("Kerberos needs kinit"), "{message}");
    assert!(message.contains("install krb5-user"), "{message}");
    assert!(!transient);
}

#[test]
fn with_a_real_kdc_kinit_gets_a_ticket_and_the_broker_without_gssapi_is_named() {
    let realm = Realm::with_kdc();
    let alice = format!("alice@{REALM}");
    let keytab = realm.principal_with_keytab(&alice, "alice.keytab");
    let broker = Tansu::start();
    let bootstrap = broker.bootstrap();
    let mut sidecar = realm.sidecar(&[]);

    // kinit logs in, then tansu refuses the mechanism.
    let (message, transient) = dry_failure(&mut sidecar, kerberos_spec(&bootstrap, &alice, &keytab));
    assert!(
        message.starts_with(&format!(
            "The broker at '{bootstrap}' does not enable SASL mechanism GSSAPI: use credentials for a mechanism it enables"
        )),
        "{message}"
    );
    assert!(!transient);
    let tickets = realm.tickets();
    assert!(tickets.contains(&format!("Default principal: {alice}")), "{tickets}");
    assert!(tickets.contains(&format!("krbtgt/{REALM}@{REALM}")), "{tickets}");

    // A keytab whose key the KDC no longer has (the principal's key changed since the export).
    let carol = format!("carol@{REALM}");
    let stale = realm.principal_with_keytab(&carol, "carol.keytab");
    realm.kadmin(&format!("cpw -randkey {carol}"));
    let (message, transient) = dry_failure(&mut sidecar, kerberos_spec(&bootstrap, &carol, &stale));
    assert!(message.contains("the keytab is out of date"), "{message}");
    assert!(!transient);

    // A principal the KDC does not know.
    let dave = format!("dave@{REALM}");
    let orphan = realm.principal_with_keytab(&dave, "dave.keytab");
    realm.kadmin(&format!("delprinc -force {dave}"));
    let (message, transient) = dry_failure(&mut sidecar, kerberos_spec(&bootstrap, &dave, &orphan));
    assert!(message.starts_with(&format!("The KDC of realm '{REALM}' does not know principal '{dave}'")), "{message}");
    assert!(!transient);

    // Cyrus SASL without its GSSAPI plugin (SASL_PATH points where there is none).
    let no_plugins = Scratch::new("no-sasl-plugins");
    let mut without_plugin = realm.sidecar(&[("SASL_PATH", &no_plugins.0.display().to_string())]);
    let (message, transient) = dry_failure(&mut without_plugin, kerberos_spec(&bootstrap, &alice, &keytab));
    assert!(message.starts_with("Cyrus SASL on this machine has no GSSAPI plugin"), "{message}");
    assert!(message.contains("install libsasl2-modules-gssapi-mit"), "{message}");
    assert!(!transient);
}

#[test]
fn the_client_asks_the_kdc_for_the_brokers_service_ticket_and_sends_it() {
    let realm = Realm::with_kdc();
    let alice = format!("alice@{REALM}");
    let keytab = realm.principal_with_keytab(&alice, "alice.keytab");
    realm.kadmin(&format!("addprinc -randkey kafka/localhost@{REALM}"));
    let broker = GssapiBroker::start();
    let bootstrap = format!("localhost:{}", broker.port);
    let mut sidecar = realm.sidecar(&[]);

    // The stand-in broker takes the mechanism and receives the client's first GSSAPI token (a
    // Kerberos AP-REQ for kafka/localhost), which it cannot accept: it refuses the login.
    let (message, transient) = dry_failure(&mut sidecar, kerberos_spec(&bootstrap, &alice, &keytab));
    assert!(
        message.starts_with(&format!("Authentication failed for GSSAPI as '{alice}' at '{bootstrap}'")),
        "{message}"
    );
    assert!(message.contains("check the principal, and the broker's Kerberos setup"), "{message}");
    assert!(!transient);
    let tokens = broker.tokens.lock().unwrap().clone();
    assert!(
        tokens.iter().any(|token| token.first() == Some(&0x60)),
        "the broker got a GSSAPI initial context token: {tokens:?}"
    );
    let log = std::fs::read_to_string(realm.path("kdc.log")).unwrap_or_default();
    assert!(
        log.lines().any(|line| line.contains("TGS_REQ")
            && line.contains("ISSUE")
            && line.contains(&format!("{alice} for kafka/localhost@{REALM}"))),
        "the KDC issued the service ticket: {log}"
    );
    let tickets = realm.tickets();
    assert!(tickets.contains(&format!("kafka/localhost@{REALM}")), "the service ticket is cached: {tickets}");

    // A service name the KDC does not know: the Kerberos library's own words, explained.
    let mut spec = kerberos_spec(&bootstrap, &alice, &keytab);
    spec["kafka_cluster"]["credentials"]["service_name"] = json!("nosuchservice");
    let (message, transient) = dry_failure(&mut sidecar, spec);
    assert!(
        message.starts_with(&format!(
            "The KDC knows no Kerberos service principal for the broker at '{bootstrap}': check service_name"
        )),
        "{message}"
    );
    assert!(message.contains(&format!("nosuchservice/localhost@{REALM} not found in Kerberos database")), "{message}");
    assert!(!transient);
}

/// A stand-in Kafka broker on 127.0.0.1 that speaks just enough of the protocol for a SASL GSSAPI
/// login: ApiVersions, SaslHandshake (GSSAPI accepted), SaslAuthenticate (the token is kept, the
/// login refused with SASL_AUTHENTICATION_FAILED, since checking a Kerberos ticket needs a GSSAPI
/// acceptor this test does not have).
struct GssapiBroker {
    port: u16,
    tokens: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl GssapiBroker {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let tokens = Arc::new(Mutex::new(Vec::new()));
        let kept = tokens.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = kept.clone();
                std::thread::spawn(move || serve(stream, &kept));
            }
        });
        Self { port, tokens }
    }
}

fn serve(mut stream: TcpStream, tokens: &Mutex<Vec<Vec<u8>>>) {
    loop {
        let mut size = [0u8; 4];
        if stream.read_exact(&mut size).is_err() {
            return;
        }
        let mut request = vec![0u8; u32::from_be_bytes(size) as usize];
        if stream.read_exact(&mut request).is_err() {
            return;
        }
        let api_key = i16::from_be_bytes([request[0], request[1]]);
        let version = i16::from_be_bytes([request[2], request[3]]);
        let correlation = &request[4..8];
        let client_id_length = i16::from_be_bytes([request[8], request[9]]).max(0) as usize;
        let body = &request[10 + client_id_length..];
        let mut response = correlation.to_vec();
        match api_key {
            // ApiVersions: v3 and up is a flexible version (compact arrays, tagged fields).
            18 => {
                let apis: [(i16, i16, i16); 3] = [(18, 0, 3), (17, 0, 1), (36, 0, 0)];
                response.extend(0i16.to_be_bytes());
                if version >= 3 {
                    response.push(apis.len() as u8 + 1);
                    for (key, min, max) in apis {
                        response.extend(key.to_be_bytes());
                        response.extend(min.to_be_bytes());
                        response.extend(max.to_be_bytes());
                        response.push(0);
                    }
                    response.extend(0i32.to_be_bytes());
                    response.push(0);
                } else {
                    response.extend((apis.len() as i32).to_be_bytes());
                    for (key, min, max) in apis {
                        response.extend(key.to_be_bytes());
                        response.extend(min.to_be_bytes());
                        response.extend(max.to_be_bytes());
                    }
                    if version >= 1 {
                        response.extend(0i32.to_be_bytes());
                    }
                }
            }
            // SaslHandshake: GSSAPI it is.
            17 => {
                response.extend(0i16.to_be_bytes());
                response.extend(1i32.to_be_bytes());
                response.extend(6i16.to_be_bytes());
                response.extend(b"GSSAPI");
            }
            // SaslAuthenticate v0: keep the client's token, refuse the login.
            36 => {
                let length = i32::from_be_bytes([body[0], body[1], body[2], body[3]]).max(0) as usize;
                tokens.lock().unwrap().push(body[4..4 + length].to_vec());
                let text = b"this test broker cannot accept Kerberos tickets";
                response.extend(58i16.to_be_bytes());
                response.extend((text.len() as i16).to_be_bytes());
                response.extend(text);
                response.extend(0i32.to_be_bytes());
            }
            _ => return,
        }
        let mut frame = (response.len() as u32).to_be_bytes().to_vec();
        frame.extend(response);
        if stream.write_all(&frame).is_err() {
            return;
        }
    }
}

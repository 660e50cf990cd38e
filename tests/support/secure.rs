//! Peers for credentials and TLS tests: tansu requiring SCRAM, and socat as a TLS terminator.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::{free_port, tansu_binary, wait_until, WAIT};

/// The committed TLS fixtures (see `tests/fixtures/tls/make.sh`).
pub fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls").join(name).to_string_lossy().into_owned()
}

/// A scratch folder, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let unique = format!("ide-sidecar-{name}-{}-{}", std::process::id(), free_port());
        let path = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn spawn_tansu(dir: &Path, port: u16, advertised: &str, authentication: bool) -> Child {
    let listener = format!("tcp://127.0.0.1:{port}");
    let mut command = Command::new(tansu_binary());
    command
        .current_dir(dir)
        .args(["broker", "--listener-url", &listener, "--advertised-listener-url", advertised])
        .args(["--storage-engine", "sqlite://scram.db", "--cluster-id", "sidecar-test-cluster"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if authentication {
        command.arg("--authentication");
    }
    let child = command.spawn().expect("tansu starts");
    wait_until("tansu to listen", WAIT, || TcpStream::connect(("127.0.0.1", port)).is_ok());
    child
}

/// A tansu broker that requires SCRAM, with the given users `(mechanism, name, password)` where the
/// mechanism is `scram256` or `scram512`. Users must be added before authentication is switched on,
/// so the broker starts once without it, gets its users, and starts again with it.
pub struct ScramBroker {
    child: Child,
    pub port: u16,
    _dir: Scratch,
}

impl ScramBroker {
    pub fn start(users: &[(&str, &str, &str)]) -> Self {
        let dir = Scratch::new("scram");
        let port = free_port();
        let advertised = format!("tcp://127.0.0.1:{port}");
        let mut setup = spawn_tansu(&dir.0, port, &advertised, false);
        for (mechanism, name, password) in users {
            let status = Command::new(tansu_binary())
                .current_dir(&dir.0)
                .args(["user", "create", "--broker", &advertised, "--mechanism", mechanism, name, password])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("tansu user create runs");
            assert!(status.success(), "tansu user create {name}");
        }
        let _ = setup.kill();
        let _ = setup.wait();
        wait_until("the setup broker to stop listening", WAIT, || TcpStream::connect(("127.0.0.1", port)).is_err());
        let child = spawn_tansu(&dir.0, port, &advertised, true);
        Self { child, port, _dir: dir }
    }

    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for ScramBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// socat terminating TLS on `port` and forwarding to `backend` in plaintext.
pub struct TlsTerminator {
    child: Child,
    pub port: u16,
}

impl TlsTerminator {
    /// `cert` names a fixture pair (`server` uses server.pem and server.key); `client_ca` makes the
    /// terminator require a client certificate signed by it.
    pub fn start(port: u16, backend: u16, cert: &str, client_ca: Option<&str>) -> Self {
        let verify = match client_ca {
            Some(ca) => format!("verify=1,cafile={}", fixture(ca)),
            None => "verify=0".to_string(),
        };
        let listen = format!(
            "openssl-listen:{port},reuseaddr,fork,bind=127.0.0.1,cert={},key={},{verify}",
            fixture(&format!("{cert}.pem")),
            fixture(&format!("{cert}.key"))
        );
        let child = Command::new("socat")
            .args([listen, format!("tcp:127.0.0.1:{backend}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("socat starts (apt-get install socat)");
        wait_until("socat to listen", WAIT, || TcpStream::connect(("127.0.0.1", port)).is_ok());
        Self { child, port }
    }
}

impl Drop for TlsTerminator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plaintext tansu broker that advertises `localhost:advertised_port`, for use behind a terminator.
pub struct BrokerBehind {
    child: Child,
    pub port: u16,
    _dir: Scratch,
}

impl BrokerBehind {
    pub fn start(advertised_port: u16) -> Self {
        let dir = Scratch::new("tls");
        let port = free_port();
        let child = spawn_tansu(&dir.0, port, &format!("tcp://localhost:{advertised_port}"), false);
        Self { child, port, _dir: dir }
    }
}

impl Drop for BrokerBehind {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real OAuth 2.0 server (oauth2-mock-server, from `tests/oauth`) on 127.0.0.1, reporting each
/// token request it gets. Needs `npm ci --prefix tests/oauth` once.
pub struct OAuthServer {
    child: Child,
    pub port: u16,
    /// The PEM public key its tokens are signed with.
    pub public_key_pem: String,
    requests: std::sync::mpsc::Receiver<serde_json::Value>,
}

impl OAuthServer {
    pub fn start() -> Self {
        use std::io::BufRead;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oauth/server.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .arg("0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the OAuth server (npm ci --prefix tests/oauth)");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) {
                    if tx.send(value).is_err() {
                        return;
                    }
                }
            }
        });
        let ready =
            rx.recv_timeout(WAIT).expect("the OAuth server says it is ready (is tests/oauth/node_modules installed?)");
        let port = ready["port"].as_u64().expect("a port") as u16;
        let key = &ready["jwks"][0];
        let public_key_pem = rsa_public_key_pem(key["n"].as_str().unwrap(), key["e"].as_str().unwrap());
        Self { child, port, public_key_pem, requests: rx }
    }

    pub fn token_url(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    /// The next token request the server received.
    pub fn next_request(&self) -> serde_json::Value {
        self.requests.recv_timeout(WAIT).expect("a token request reached the OAuth server")
    }
}

impl Drop for OAuthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rsa_public_key_pem(n: &str, e: &str) -> String {
    use base64::Engine as _;
    let decode = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).unwrap();
    let n = openssl::bn::BigNum::from_slice(&decode(n)).unwrap();
    let e = openssl::bn::BigNum::from_slice(&decode(e)).unwrap();
    let rsa = openssl::rsa::Rsa::from_public_components(n, e).unwrap();
    String::from_utf8(openssl::pkey::PKey::from_rsa(rsa).unwrap().public_key_to_pem().unwrap()).unwrap()
}

//! A small HTTP server on 127.0.0.1 that plays a Confluent Schema Registry: healthy (or once the
//! credentials it requires are given), it is an in-memory registry ([`api`], written from Confluent's
//! public API reference, with its rules in [`rules`]); its other behaviours are the failures tests need
//! (401 with the registry's error body, not a registry, an HTTP status, no answer). The demo shows a
//! Schema Registry with it.

#[path = "registry_api.rs"]
pub mod api;
#[path = "registry_rules.rs"]
pub mod rules;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the fake registry behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryBehaviour {
    /// Answers like a real Schema Registry.
    Healthy,
    /// Requires HTTP basic auth with these credentials (then answers as [`Self::Healthy`]).
    RequireBasicAuth { username: String, password: String },
    /// Requires a bearer token signed (RS256) with the key whose public half is given, as a registry
    /// behind an OAuth identity provider does.
    RequireBearer { public_key_pem: String },
    /// Answers every path with 404, as a web server that is not a registry would.
    NotARegistry,
    /// Answers every request with this status.
    Status(u16),
    /// Accepts connections and never answers.
    Hang,
}

/// A running fake registry; stops when dropped.
pub struct FakeSchemaRegistry {
    port: u16,
    stopped: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
}

impl FakeSchemaRegistry {
    pub fn start(behaviour: RegistryBehaviour) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let stopped = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let registry = Arc::new(Mutex::new(api::Registry::default()));
        let (stop, count) = (stopped.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let behaviour = behaviour.clone();
                let (stop, count, registry) = (stop.clone(), count.clone(), registry.clone());
                std::thread::spawn(move || serve(stream, &behaviour, &stop, &count, &registry));
            }
        });
        Ok(Self { port, stopped, requests })
    }

    pub fn uri(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many requests it has read so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for FakeSchemaRegistry {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// The largest request body read; a schema is far smaller.
const MAX_BODY: usize = 16 * 1024 * 1024;

fn serve(
    stream: TcpStream,
    behaviour: &RegistryBehaviour,
    stopped: &AtomicBool,
    requests: &AtomicUsize,
    registry: &Mutex<api::Registry>,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(stream) => stream,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut authorization = None;
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("authorization") {
                authorization = Some(value.trim().to_string());
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length.min(MAX_BODY)];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let mut words = request_line.split_whitespace();
    let method = words.next().unwrap_or("GET").to_string();
    let path = words.next().unwrap_or("/").to_string();
    let answer = || {
        let request = api::Request { method: &method, path: &path, body: &body };
        registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).answer(&request)
    };
    let (status, body) = match behaviour {
        RegistryBehaviour::Hang => {
            while !stopped.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
            return;
        }
        RegistryBehaviour::NotARegistry => (404, "<html><body>Not Found</body></html>".to_string()),
        RegistryBehaviour::Status(code) => {
            (*code, format!("{{\"error_code\":{code},\"message\":\"Internal Server Error\"}}"))
        }
        RegistryBehaviour::RequireBasicAuth { username, password } => {
            let expected = format!("Basic {}", base64(&format!("{username}:{password}")));
            if authorization.as_deref() == Some(expected.as_str()) {
                answer()
            } else {
                (401, r#"{"error_code":401,"message":"Unauthorized"}"#.to_string())
            }
        }
        RegistryBehaviour::RequireBearer { public_key_pem } => {
            let token = authorization.as_deref().and_then(|value| value.strip_prefix("Bearer "));
            if token.is_some_and(|token| signed_by(token, public_key_pem)) {
                answer()
            } else {
                (401, r#"{"error_code":401,"message":"Unauthorized"}"#.to_string())
            }
        }
        RegistryBehaviour::Healthy => answer(),
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        _ => "Error",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = stream;
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.shutdown(Shutdown::Both);
}

/// Whether `token` is a JWT whose RS256 signature verifies with the PEM public key.
fn signed_by(token: &str, public_key_pem: &str) -> bool {
    use base64::Engine as _;
    let Some((signed, signature)) = token.rsplit_once('.') else { return false };
    let Ok(signature) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature) else { return false };
    let Ok(key) = openssl::pkey::PKey::public_key_from_pem(public_key_pem.as_bytes()) else { return false };
    let Ok(mut verifier) = openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &key) else {
        return false;
    };
    verifier.verify_oneshot(&signature, signed.as_bytes()).unwrap_or(false)
}

fn base64(input: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(input)
}

#[cfg(test)]
mod tests {
    #[test]
    fn basic_auth_header_matches_rfc_7617() {
        assert_eq!(super::base64("alice:secret"), "YWxpY2U6c2VjcmV0");
    }
}

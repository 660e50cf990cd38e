//! A small JSON-RPC client that starts the sidecar as a child process and speaks LSP-framed JSON to
//! it, as an editor would. The demo uses it, and so do the integration tests. It reads stdout
//! strictly: anything that is not a well-formed frame is reported as [`Incoming::Garbage`].

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// What arrived on the sidecar's stdout.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Message(Value),
    /// Bytes that are not a frame: the server broke the rule that stdout is the wire.
    Garbage(String),
    /// stdout closed.
    Closed,
}

/// A running sidecar and the client end of its stdio.
pub struct SidecarProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Incoming>,
    /// Notifications and unmatched messages received while waiting for a response.
    pub backlog: VecDeque<Value>,
    next_id: i64,
}

impl SidecarProcess {
    /// Starts `command` with piped stdin and stdout (stderr as the command says).
    pub fn spawn(mut command: Command) -> std::io::Result<Self> {
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let item = read_frame(&mut reader);
                let done = matches!(item, Incoming::Closed | Incoming::Garbage(_));
                if tx.send(item).is_err() || done {
                    return;
                }
            }
        });
        Ok(Self { child, stdin, incoming, backlog: VecDeque::new(), next_id: 1 })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes raw bytes to the sidecar's stdin.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        if let Some(stdin) = self.stdin.as_mut() {
            // A closed pipe shows up as a missing answer, which the caller reports.
            let _ = stdin.write_all(bytes).and_then(|()| stdin.flush());
        }
    }

    /// Writes one framed message.
    pub fn send(&mut self, message: &Value) {
        let body = message.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Closes stdin (end of file for the sidecar).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Sends a request and waits for its response. `Ok(result)` or `Err(error object)`.
    pub fn request(&mut self, method: &str, params: Value, timeout: Duration) -> Result<Value, Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let response = self
            .response_to(&json!(id), timeout)
            .unwrap_or_else(|| panic!("no response to {method} (id {id}) within {timeout:?}"));
        match response.get("error") {
            Some(error) => Err(error.clone()),
            None => Ok(response.get("result").cloned().unwrap_or(Value::Null)),
        }
    }

    /// Waits for the response with `id`, keeping everything else in the backlog.
    pub fn response_to(&mut self, id: &Value, timeout: Duration) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let message = self.next_incoming(deadline)?;
            if message.get("method").is_none() && message.get("id") == Some(id) {
                return Some(message);
            }
            self.backlog.push_back(message);
        }
    }

    /// The next message from stdout (backlog first is the caller's business). Panics on garbage.
    fn next_incoming(&mut self, deadline: Instant) -> Option<Value> {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.incoming.recv_timeout(wait) {
            Ok(Incoming::Message(message)) => Some(message),
            Ok(Incoming::Garbage(text)) => {
                panic!("the sidecar wrote something that is not a frame to stdout: {text:?}")
            }
            Ok(Incoming::Closed) | Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => None,
        }
    }

    /// Waits for a message (backlog first) that `accept` takes; earlier ones stay in the backlog.
    pub fn wait_for(&mut self, timeout: Duration, mut accept: impl FnMut(&Value) -> bool) -> Option<Value> {
        if let Some(index) = self.backlog.iter().position(&mut accept) {
            return self.backlog.remove(index);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let message = self.next_incoming(deadline)?;
            if accept(&message) {
                return Some(message);
            }
            self.backlog.push_back(message);
        }
    }

    /// Waits for the next `connections/event` about `id` (in arrival order).
    pub fn next_event(&mut self, id: &str, timeout: Duration) -> Option<Value> {
        self.wait_for(timeout, |m| m["method"] == "connections/event" && m["params"]["connection"]["id"] == id)
            .map(|m| m["params"].clone())
    }

    /// Everything that arrives within `window`, without waiting for anything in particular.
    pub fn drain(&mut self, window: Duration) -> Vec<Value> {
        let deadline = Instant::now() + window;
        let mut all: Vec<Value> = self.backlog.drain(..).collect();
        while let Some(message) = self.next_incoming(deadline) {
            all.push(message);
        }
        all
    }

    /// Sends `initialize` (with `initializationOptions`) and `initialized`; returns the result.
    pub fn initialize(&mut self, options: Value) -> Value {
        let params = json!({"processId": null, "capabilities": {}, "initializationOptions": options,
            "clientInfo": {"name": "ide-sidecar-client"}});
        let result = self.request("initialize", params, Duration::from_secs(10)).expect("initialize succeeds");
        self.notify("initialized", json!({}));
        result
    }

    /// `shutdown` then `exit`; returns the exit status.
    pub fn shutdown(&mut self) -> Option<ExitStatus> {
        let _ = self.request("shutdown", Value::Null, Duration::from_secs(10));
        self.notify("exit", Value::Null);
        self.wait_exit(Duration::from_secs(5))
    }

    /// Waits for the process to end.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for SidecarProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one LSP frame strictly: `Content-Length` (and optionally `Content-Type`) headers, a blank
/// line, then exactly that many bytes of JSON.
fn read_frame(reader: &mut impl BufRead) -> Incoming {
    let mut length = None;
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) if length.is_none() => return Incoming::Closed,
            Ok(0) | Err(_) => return Incoming::Garbage(String::from_utf8_lossy(&line).into_owned()),
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line).into_owned();
        if text == "\r\n" {
            break;
        }
        let Some(header) = text.strip_suffix("\r\n") else { return Incoming::Garbage(text) };
        match header.split_once(": ") {
            Some((name, value)) if name.eq_ignore_ascii_case("content-length") => match value.parse::<usize>() {
                Ok(n) => length = Some(n),
                Err(_) => return Incoming::Garbage(text),
            },
            Some((name, _)) if name.eq_ignore_ascii_case("content-type") => {}
            _ => return Incoming::Garbage(text),
        }
    }
    let Some(length) = length else { return Incoming::Garbage("a frame without Content-Length".into()) };
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return Incoming::Garbage("a truncated frame".into());
    }
    match serde_json::from_slice(&body) {
        Ok(value) => Incoming::Message(value),
        Err(_) => Incoming::Garbage(String::from_utf8_lossy(&body).into_owned()),
    }
}

//! The stdio loop around tower-lsp-server's service: read frames, dispatch requests concurrently,
//! write every outgoing message (responses, notifications, server-to-client requests) from one
//! writer so frames never interleave.

use std::collections::HashMap;
use std::future::poll_fn;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use futures::{FutureExt, SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tower::Service;
use tower_lsp_server::jsonrpc::{Error, Request, Response};
use tower_lsp_server::{ClientSocket, LspService};

use super::errors::handler_panicked;
use super::framing::{self, Frame};
use super::{Lifecycle, Sidecar};

/// Serves until `exit` or end of input, running at most `max_requests` requests at once.
///
/// Requests run concurrently, each in its own task: past the limit, a request waits for a slot (in
/// arrival order) while the reader goes on, so a `$/cancelRequest` for a waiting or running request
/// is still seen and answered (-32800 for the cancelled request). Notifications are handled in the
/// order they arrive, before the next message is read. A handler that panics is answered with
/// -32603 naming the method.
pub async fn run<I, O>(
    input: I,
    output: O,
    mut service: LspService<Sidecar>,
    socket: ClientSocket,
    max_requests: usize,
    lifecycle: &Lifecycle,
) where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let (mut server_requests, mut client_responses) = socket.split();
    let (out_tx, out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer = tokio::spawn(write_all(output, out_rx));
    let forward_tx = out_tx.clone();
    let forwarder = tokio::spawn(async move {
        while let Some(request) = server_requests.next().await {
            if let Ok(body) = serde_json::to_vec(&request) {
                let _ = forward_tx.send(body);
            }
        }
    });

    let slots = Arc::new(Semaphore::new(max_requests.max(1)));
    // Requests waiting for a slot, by id (as JSON text), with what cancels the wait.
    let waiting: Waiting = Arc::default();
    let mut reader = framing::FrameReader::new(BufReader::new(input));
    loop {
        let frame = tokio::select! {
            frame = reader.next() => frame,
            () = lifecycle.stopped() => break,
        };
        let body = match frame {
            Frame::Eof => break,
            Frame::Malformed(problem) => {
                tracing::warn!(%problem, "malformed frame skipped");
                let error = match problem {
                    framing::FrameError::TooLarge(_) => invalid_request(problem.to_string()),
                    _ => parse_error(problem.to_string()),
                };
                send_error(&out_tx, Value::Null, error);
                continue;
            }
            Frame::Body(body) => body,
        };
        match classify(&body) {
            Incoming::Request(request) => {
                let is_exit = request.method() == "exit";
                // tower-lsp drops unknown `$/` messages silently, as LSP asks for notifications;
                // a request (with an id) among them must still be answered.
                let unanswered = request.id().filter(|_| request.method().starts_with("$/")).map(|id| {
                    let error =
                        Error { data: Some(Value::from(request.method().to_string())), ..Error::method_not_found() };
                    Response::from_error(id.clone(), error)
                });
                let method = request.method().to_string();
                let id = request.id().cloned();
                let cancelled_id = request.params().and_then(|params| params.get("id")).map(Value::to_string);
                if poll_fn(|cx| service.poll_ready(cx)).await.is_err() {
                    break;
                }
                // The call registers the request for `$/cancelRequest` at once; it runs when polled.
                let call = service.call(request);
                let Some(id) = id else {
                    // A cancel for a request still waiting for a slot is answered here, at once;
                    // tower-lsp cancels the running ones.
                    if method == "$/cancelRequest" {
                        cancel_waiting(&waiting, &cancelled_id);
                    }
                    // A notification: handled before the next message, so notifications keep their order.
                    let _ = AssertUnwindSafe(call).catch_unwind().await;
                    if is_exit {
                        break;
                    }
                    continue;
                };
                let out = out_tx.clone();
                let slots = slots.clone();
                let (cancel, mut cancelled) = oneshot::channel();
                let key = serde_json::to_string(&id).unwrap_or_default();
                lock(&waiting).insert(key.clone(), cancel);
                let waiting = waiting.clone();
                tokio::spawn(async move {
                    let slot = tokio::select! {
                        slot = slots.acquire_owned() => slot,
                        _ = &mut cancelled => {
                            send(&out, &Response::from_error(id, Error::request_cancelled()));
                            return;
                        }
                    };
                    lock(&waiting).remove(&key);
                    let Ok(_slot) = slot else { return };
                    match (AssertUnwindSafe(call).catch_unwind().await, unanswered) {
                        (Ok(Ok(Some(response))), _) => send(&out, &response),
                        (Ok(Ok(None)), Some(not_found)) => send(&out, &not_found),
                        (Ok(_), _) => {}
                        (Err(_), _) => {
                            tracing::error!(method, "a request handler panicked");
                            send(&out, &Response::from_error(id, handler_panicked(&method)));
                        }
                    }
                });
            }
            Incoming::Response(response) => {
                let _ = client_responses.send(response).await;
            }
            Incoming::Invalid(id, error) => send_error(&out_tx, id, error),
        }
    }
    forwarder.abort();
    drop(out_tx);
    drop(service);
    // Let responses already produced reach the client; in-flight work is abandoned.
    let _ = tokio::time::timeout(std::time::Duration::from_millis(250), writer).await;
}

type Waiting = Arc<Mutex<HashMap<String, oneshot::Sender<()>>>>;

fn lock(waiting: &Waiting) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<()>>> {
    waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Answers a waiting request's cancellation at once (its task sends -32800).
fn cancel_waiting(waiting: &Waiting, id: &Option<String>) {
    if let Some(cancel) = id.as_ref().and_then(|id| lock(waiting).remove(id)) {
        let _ = cancel.send(());
    }
}

enum Incoming {
    Request(Request),
    Response(Response),
    /// Neither, answered with this error and the message's own `id` as it came (any JSON value,
    /// so that a client can match even an id this server does not accept).
    Invalid(Value, Error),
}

/// Tells requests and notifications from responses and from things that are neither.
fn classify(body: &[u8]) -> Incoming {
    let mut value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(error) => return Incoming::Invalid(Value::Null, parse_error(format!("the body is not JSON: {error}"))),
    };
    let Some(object) = value.as_object_mut() else {
        let what = if value.is_array() { "batches are not supported" } else { "a message must be a JSON object" };
        return Incoming::Invalid(Value::Null, invalid_request(what.to_string()));
    };
    let raw_id = object.get("id").cloned().unwrap_or(Value::Null);
    if object.get("jsonrpc") != Some(&Value::from("2.0")) {
        return Incoming::Invalid(raw_id, invalid_request("\"jsonrpc\" must be \"2.0\"".into()));
    }
    let id_ok = match &raw_id {
        Value::Null | Value::String(_) => true,
        Value::Number(number) => number.is_i64(),
        _ => false,
    };
    if object.contains_key("method") {
        if !id_ok {
            let detail = "a request id must be a string or an integer from -2^63 to 2^63-1";
            return Incoming::Invalid(raw_id, invalid_request(detail.into()));
        }
        // Absent params and `null` params mean the same in JSON-RPC; handlers see `null` for both.
        if !object.contains_key("params") {
            object.insert("params".into(), Value::Null);
        }
        return match serde_json::from_value::<Request>(value) {
            Ok(request) => Incoming::Request(request),
            Err(error) => Incoming::Invalid(raw_id, invalid_request(format!("not a valid request: {error}"))),
        };
    }
    if object.contains_key("result") || object.contains_key("error") {
        return match serde_json::from_value::<Response>(value) {
            Ok(response) => Incoming::Response(response),
            Err(error) => Incoming::Invalid(Value::Null, invalid_request(format!("not a valid response: {error}"))),
        };
    }
    Incoming::Invalid(raw_id, invalid_request("a message needs a \"method\", or a \"result\" or \"error\"".into()))
}

fn parse_error(detail: String) -> Error {
    Error { data: Some(Value::from(detail)), ..Error::parse_error() }
}

fn invalid_request(detail: String) -> Error {
    Error { data: Some(Value::from(detail)), ..Error::invalid_request() }
}

fn send(out: &mpsc::UnboundedSender<Vec<u8>>, response: &Response) {
    if let Ok(body) = serde_json::to_vec(response) {
        let _ = out.send(body);
    }
}

/// An error response with the id exactly as the client sent it.
fn send_error(out: &mpsc::UnboundedSender<Vec<u8>>, id: Value, error: Error) {
    let response = serde_json::json!({"jsonrpc": "2.0", "id": id, "error": error});
    if let Ok(body) = serde_json::to_vec(&response) {
        let _ = out.send(body);
    }
}

async fn write_all<O: AsyncWrite + Unpin>(mut output: O, mut bodies: mpsc::UnboundedReceiver<Vec<u8>>) {
    while let Some(body) = bodies.recv().await {
        if output.write_all(&framing::encode(&body)).await.is_err() || output.flush().await.is_err() {
            return;
        }
    }
}

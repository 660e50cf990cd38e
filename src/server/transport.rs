//! The stdio loop around tower-lsp-server's service: read frames, dispatch requests concurrently,
//! write every outgoing message (responses, notifications, server-to-client requests) from one
//! writer so frames never interleave.

use std::future::poll_fn;

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tower::Service;
use tower_lsp_server::jsonrpc::{Error, Id, Request, Response};
use tower_lsp_server::{ClientSocket, LspService};

use super::framing::{self, Frame};
use super::Sidecar;

/// Serves until `exit` or end of input.
pub async fn run<I, O>(input: I, output: O, mut service: LspService<Sidecar>, socket: ClientSocket)
where
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

    let mut reader = BufReader::new(input);
    loop {
        let body = match framing::read_frame(&mut reader).await {
            Frame::Eof => break,
            Frame::Malformed(problem) => {
                tracing::warn!(%problem, "malformed frame skipped");
                let error = match problem {
                    framing::FrameError::TooLarge(_) => invalid_request(problem.to_string()),
                    _ => parse_error(problem.to_string()),
                };
                send(&out_tx, &Response::from_error(Id::Null, error));
                continue;
            }
            Frame::Body(body) => body,
        };
        match classify(&body) {
            Incoming::Request(request) => {
                let is_exit = request.method() == "exit";
                if poll_fn(|cx| service.poll_ready(cx)).await.is_err() {
                    break;
                }
                let call = service.call(request);
                let out = out_tx.clone();
                let handle = tokio::spawn(async move {
                    if let Ok(Some(response)) = call.await {
                        send(&out, &response);
                    }
                });
                if is_exit {
                    let _ = handle.await;
                    break;
                }
            }
            Incoming::Response(response) => {
                let _ = client_responses.send(response).await;
            }
            Incoming::Invalid(id, error) => send(&out_tx, &Response::from_error(id, error)),
        }
    }
    forwarder.abort();
    drop(out_tx);
    drop(service);
    // Let responses already produced reach the client; in-flight work is abandoned.
    let _ = tokio::time::timeout(std::time::Duration::from_millis(250), writer).await;
}

enum Incoming {
    Request(Request),
    Response(Response),
    Invalid(Id, Error),
}

/// Tells requests and notifications from responses and from things that are neither.
fn classify(body: &[u8]) -> Incoming {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(error) => return Incoming::Invalid(Id::Null, parse_error(format!("the body is not JSON: {error}"))),
    };
    let id = value.get("id").and_then(|id| serde_json::from_value::<Id>(id.clone()).ok()).unwrap_or(Id::Null);
    let Some(object) = value.as_object() else {
        let what = if value.is_array() { "batches are not supported" } else { "a message must be a JSON object" };
        return Incoming::Invalid(Id::Null, invalid_request(what.to_string()));
    };
    if object.get("jsonrpc") != Some(&Value::from("2.0")) {
        return Incoming::Invalid(id, invalid_request("\"jsonrpc\" must be \"2.0\"".into()));
    }
    if object.contains_key("method") {
        return match serde_json::from_value::<Request>(value) {
            Ok(request) => Incoming::Request(request),
            Err(error) => Incoming::Invalid(id, invalid_request(format!("not a valid request: {error}"))),
        };
    }
    if object.contains_key("result") || object.contains_key("error") {
        return match serde_json::from_value::<Response>(value) {
            Ok(response) => Incoming::Response(response),
            Err(error) => Incoming::Invalid(Id::Null, invalid_request(format!("not a valid response: {error}"))),
        };
    }
    Incoming::Invalid(id, invalid_request("a message needs a \"method\", or a \"result\" or \"error\"".into()))
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

async fn write_all<O: AsyncWrite + Unpin>(mut output: O, mut bodies: mpsc::UnboundedReceiver<Vec<u8>>) {
    while let Some(body) = bodies.recv().await {
        if output.write_all(&framing::encode(&body)).await.is_err() || output.flush().await.is_err() {
            return;
        }
    }
}

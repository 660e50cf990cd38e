//! The loopback listener that receives the browser's redirect after sign-in.
//!
//! It is bound to 127.0.0.1 only, on the port of the registered redirect URI, and runs only while
//! a sign-in is pending: the manager holds the [`CallbackListener`] and drops it when nothing is
//! pending, which stops the accept loop and frees the port. It answers `GET` on the callback path
//! and nothing else, one request per connection, each bounded in size and time so a stray client
//! cannot hold it up, and at most [`MAX_CONNECTIONS`] at once: further connections wait in the
//! kernel's backlog, so a flood of idle sockets cannot use up the process's file handles (which the
//! Kafka and registry checks need). The query (which carries the authorization code) is never logged.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::connections::ccloud::{
    CCloudError, CCloudStep, CallbackHandler, CallbackListener, CallbackOutcome, CallbackQuery, SecretToken,
};

/// The path of the redirect URI registered for the public client.
pub const CALLBACK_PATH: &str = "/gateway/v1/callback-vscode-docs";
/// How long a browser may take to send its request; the exchange that follows has its own timeout.
pub const CALLBACK_TIMEOUT: Duration = Duration::from_secs(10);
/// How many callback connections are served at once. A browser opens one or two.
pub const MAX_CONNECTIONS: usize = 16;
/// The largest request head accepted (a redirect with a code and state is far smaller).
const MAX_HEAD: usize = 16 * 1024;

/// Stops the accept loop (and so closes the listening socket) when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Binds 127.0.0.1:`port` now, so that a port in use is reported to the caller at once.
pub fn listen(port: u16, on_callback: CallbackHandler) -> Result<CallbackListener, CCloudError> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let bound = std::net::TcpListener::bind(address)
        .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
        .and_then(TcpListener::from_std)
        .map_err(|error| {
            let message = match error.kind() {
                std::io::ErrorKind::AddrInUse => format!(
                    "Cannot receive the sign-in from the browser: port {port} on 127.0.0.1 is already in use by another \
                     program (perhaps another editor's sidecar); close it and sign in again"
                ),
                _ => format!("Cannot listen on {address} for the sign-in from the browser: {error}"),
            };
            CCloudError { step: CCloudStep::Listen, message, transient: true }
        })?;
    tracing::debug!(%address, "listening for the sign-in callback");
    Ok(CallbackListener::new(AbortOnDrop(tokio::spawn(accept(bound, on_callback)))))
}

async fn accept(listener: TcpListener, on_callback: CallbackHandler) {
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        // A slot first, then a connection: past the limit, connections wait unaccepted.
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        match listener.accept().await {
            // Each request is answered by its own task, which outlives the listener: a callback
            // that ends the last pending sign-in still gets its page.
            Ok((stream, _)) => {
                let on_callback = on_callback.clone();
                tokio::spawn(async move {
                    serve(stream, on_callback).await;
                    drop(slot);
                });
            }
            Err(error) => {
                // Out of file descriptors, say: back off rather than spin.
                tracing::warn!(%error, "accepting a sign-in callback connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// A response: status line, extra headers, HTML body.
struct Page {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: String,
}

async fn serve(mut stream: TcpStream, on_callback: CallbackHandler) {
    let page = match tokio::time::timeout(CALLBACK_TIMEOUT, read_head(&mut stream)).await {
        Ok(Some(head)) => respond(&head, &on_callback).await,
        Ok(None) => plain("400 Bad Request", "This is not an HTTP request the sidecar understands."),
        Err(_) => plain("408 Request Timeout", "The request did not arrive in time."),
    };
    let mut response = format!(
        "HTTP/1.1 {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\
         Referrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n",
        page.status,
        page.body.len()
    );
    for (name, value) in &page.headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&page.body);
    // The browser may have gone; the sign-in has been handled either way.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Reads up to the end of the request head, or `None` when it is too large or the peer gave up.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        head.extend_from_slice(&chunk[..read]);
        if let Some(end) = head.windows(4).position(|window| window == b"\r\n\r\n") {
            head.truncate(end);
            return String::from_utf8(head).ok();
        }
        if head.len() > MAX_HEAD {
            return None;
        }
    }
}

async fn respond(head: &str, on_callback: &CallbackHandler) -> Page {
    let request_line = head.lines().next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return plain("400 Bad Request", "This is not an HTTP request the sidecar understands.");
    };
    if !version.starts_with("HTTP/1.") {
        return plain("400 Bad Request", "This is not an HTTP request the sidecar understands.");
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != CALLBACK_PATH {
        return plain("404 Not Found", "Nothing here: this port only receives the Confluent Cloud sign-in.");
    }
    if method != "GET" {
        let mut page = plain("405 Method Not Allowed", "The sign-in callback accepts GET only.");
        page.headers.push(("Allow", "GET".into()));
        return page;
    }
    let mut callback = CallbackQuery::default();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "state" => callback.state = Some(value.into_owned()),
            "code" => callback.code = Some(SecretToken::new(value.into_owned())),
            "error" => callback.error = Some(value.into_owned()),
            "error_description" => callback.error_description = Some(value.into_owned()),
            _ => {}
        }
    }
    render(on_callback(callback).await)
}

/// The page the browser shows, and a redirect back to the editor when it gave a callback URI.
fn render(outcome: CallbackOutcome) -> Page {
    match outcome {
        CallbackOutcome::SignedIn { redirect_to } => html(
            "200 OK",
            "Signed in to Confluent Cloud",
            "You are signed in. You can close this tab and return to your editor.",
            redirect_to.as_deref().and_then(|uri| back_to_editor(uri, true)),
        ),
        CallbackOutcome::Failed { message, redirect_to } => html(
            "200 OK",
            "Sign-in to Confluent Cloud failed",
            &format!("{message}. Return to your editor and sign in again."),
            redirect_to.as_deref().and_then(|uri| back_to_editor(uri, false)),
        ),
        CallbackOutcome::UnknownState => html(
            "400 Bad Request",
            "Unknown sign-in",
            "This sign-in is not one the sidecar is waiting for: it may have been used already, or have timed out. \
             Start the sign-in again from your editor.",
            None,
        ),
    }
}

/// The editor's callback URI with `success=true|false` added to its query.
fn back_to_editor(uri: &str, success: bool) -> Option<String> {
    let mut url = url::Url::parse(uri).ok()?;
    url.query_pairs_mut().append_pair("success", if success { "true" } else { "false" });
    Some(url.to_string())
}

fn html(status: &'static str, title: &str, text: &str, redirect: Option<String>) -> Page {
    let (refresh, link) = match &redirect {
        Some(uri) => (
            format!("<meta http-equiv=\"refresh\" content=\"0;url={}\">", escape(uri)),
            format!("<p><a href=\"{}\">Return to the editor</a></p>", escape(uri)),
        ),
        None => (String::new(), String::new()),
    };
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>{refresh}</head>\n\
         <body style=\"font-family: sans-serif; margin: 3em\"><h1>{title}</h1><p>{}</p>{link}</body></html>\n",
        escape(text),
        title = escape(title),
    );
    Page { status, headers: Vec::new(), body }
}

fn plain(status: &'static str, text: &str) -> Page {
    html(status, "ide-sidecar", text, None)
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Connections to `port` the listener has accepted: established sockets on that local port with a
    /// file attached (inode not 0); those still waiting in the kernel's backlog have none. Other tests
    /// in this process open files too, so counting the process's handles would not do.
    fn accepted(port: u16) -> usize {
        let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
        table
            .lines()
            .skip(1)
            .filter(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let local_port =
                    fields.get(1).and_then(|a| a.rsplit(':').next()).and_then(|p| u16::from_str_radix(p, 16).ok());
                local_port == Some(port)
                    && fields.get(3) == Some(&"01")
                    && fields.get(9).is_some_and(|inode| *inode != "0")
            })
            .count()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flood_of_idle_connections_holds_few_handles_and_the_callback_still_gets_through() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let handler: CallbackHandler = std::sync::Arc::new(|query: CallbackQuery| {
            Box::pin(async move {
                assert_eq!(query.state.as_deref(), Some("s"));
                CallbackOutcome::SignedIn { redirect_to: None }
            })
        });
        let listener = listen(port, handler).unwrap();
        let mut idle = Vec::new();
        for _ in 0..100 {
            idle.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        // 100 of them are this test's own ends; the sidecar's side holds at most the limit
        // (the rest wait in the kernel's backlog, which holds 128).
        let held = accepted(port);
        assert!(held <= MAX_CONNECTIONS, "the listener holds {held} sockets for 100 idle connections");
        assert!(held > 0, "the test sees the accepted sockets");
        drop(idle);
        let mut browser = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        browser
            .write_all(format!("GET {CALLBACK_PATH}?state=s&code=c HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut page = String::new();
        tokio::time::timeout(Duration::from_secs(5), browser.read_to_string(&mut page)).await.unwrap().unwrap();
        assert!(page.starts_with("HTTP/1.1 200 OK") && page.contains("You are signed in"), "{page}");
        drop(listener);
    }

    #[test]
    fn pages_escape_messages_and_redirect_with_the_outcome() {
        let page = render(CallbackOutcome::Failed {
            message: "server said <script>".into(),
            redirect_to: Some("vscode://confluentinc.vscode-confluent/authCallback".into()),
        });
        assert!(page.body.contains("server said &lt;script&gt;"));
        assert!(page.body.contains("url=vscode://confluentinc.vscode-confluent/authCallback?success=false"));
        let page = render(CallbackOutcome::SignedIn { redirect_to: Some("vscode://x/cb?from=ide".into()) });
        assert!(page.body.contains("vscode://x/cb?from=ide&amp;success=true"));
        let page = render(CallbackOutcome::SignedIn { redirect_to: None });
        assert!(!page.body.contains("refresh"));
        assert_eq!(render(CallbackOutcome::UnknownState).status, "400 Bad Request");
    }
}

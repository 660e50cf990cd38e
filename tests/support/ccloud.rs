//! A fake Confluent Cloud on 127.0.0.1 that plays, strictly, the services sign-in talks to: the
//! OAuth 2.0 authorization server (authorize endpoint that signs the user in at once and redirects
//! with a code; token endpoint that checks the client id, the redirect URI and the PKCE verifier
//! against the S256 challenge, refuses a code used twice, and rotates refresh tokens), and the
//! control plane (`POST /api/sessions` with the `auth_token` cookie and the user's organizations,
//! `POST /api/access_tokens`, `GET /api/check_jwt`), and the resource lists of the public API that
//! `ccloud/resources` reads (in [`resources`]). Each failure mode the sidecar must explain can be
//! switched on. Also: a tiny HTTP client that follows the sign-in URI as a browser would.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};

pub mod data;
pub mod resources;

pub const CLIENT_ID: &str = "test-client-id";
pub const CALLBACK_PATH: &str = "/gateway/v1/callback-vscode-docs";
pub const ORG_DEFAULT: &str = "0b6d4b0e-7a5c-4e36-9a0c-0c6fd58fa3d1";
pub const ORG_OTHER: &str = "5e1f7c2a-93d4-4b8e-8f1a-2c3d4e5f6a7b";
pub const USER_EMAIL: &str = "alice@example.com";
pub const USER_ID: &str = "u-alice1";

/// The failure modes, all off by default.
#[derive(Clone, Debug, Default)]
pub struct Behaviour {
    /// The token endpoint answers HTML instead of a token response.
    pub token_garbage: bool,
    /// The refresh grant refuses every refresh token.
    pub reject_refresh: bool,
    /// `POST /api/sessions` answers `{"error": {...}}`.
    pub session_error: bool,
    /// `POST /api/sessions` answers something that is not JSON.
    pub session_garbage: bool,
    /// `POST /api/sessions` answers without the `auth_token` cookie.
    pub session_without_cookie: bool,
    /// `POST /api/access_tokens` answers `{"error": {...}}`.
    pub access_token_error: bool,
    /// `POST /api/access_tokens` answers something that is not JSON.
    pub access_token_garbage: bool,
    /// `GET /api/check_jwt` says every session is invalid.
    pub sessions_invalid: bool,
    /// `GET /api/check_jwt` answers HTTP 503.
    pub check_unavailable: bool,
    /// Answers for the resource lists, each used once by the first list request whose path it names.
    pub list_errors: Vec<ListError>,
    /// Statuses that every request to a list's path gets while they are set (unlike `list_errors`, a
    /// request still in flight from an earlier, abandoned listing cannot use them up).
    pub failing_lists: Vec<(&'static str, u16)>,
    /// The resource lists always name a next page.
    pub endless_paging: bool,
    /// The resource lists answer `data` that is not a list.
    pub malformed_lists: bool,
    /// How long each list request takes to answer, so that requests made at once overlap here.
    pub list_delay: Option<Duration>,
    /// The most items a list page holds (default [`resources::PAGE_SIZE`]).
    pub page_size: Option<usize>,
}

/// One answer a resource list gives instead of its page.
#[derive(Clone, Debug)]
pub struct ListError {
    /// Such as `/api/org/v2/environments`.
    pub path: &'static str,
    pub status: u16,
    pub retry_after: Option<u64>,
}

struct Grant {
    challenge: String,
    redirect_uri: String,
    used: bool,
}

#[derive(Default)]
struct State {
    behaviour: Behaviour,
    codes: HashMap<String, Grant>,
    id_tokens: HashSet<String>,
    refresh_tokens: HashSet<String>,
    /// Each control-plane token with the organization of its session.
    control_plane_tokens: HashMap<String, String>,
    catalog: resources::Catalog,
    /// Every resource list request answered with a page: path, environment and page token.
    list_calls: Vec<String>,
    /// The `page_token`s handed out in `metadata.next`: the only ones the lists take.
    page_tokens: HashSet<String>,
    /// List requests being answered now, and the most there ever were at once.
    lists_in_flight: usize,
    most_lists_in_flight: usize,
    /// The data-plane tokens issued by `POST /api/access_tokens`: the only bearers the data plane takes.
    data_plane_tokens: HashSet<String>,
    /// The Kafka REST and Schema Registry surfaces (in [`data`]).
    data: data::DataPlane,
    /// Every secret issued or received (codes, verifiers, tokens), for the leak scans.
    secrets: Vec<String>,
    /// Organization asked for by each `POST /api/sessions` that succeeded.
    session_organizations: Vec<Option<String>>,
    refresh_grants: usize,
    check_jwt_calls: usize,
    /// Control-plane tokens presented to `check_jwt`, in order.
    checked_tokens: Vec<String>,
    /// Requests refused, with why: the tests assert there were none they did not expect.
    refusals: Vec<String>,
}

/// The fake; stops when dropped.
pub struct FakeCCloud {
    host: String,
    port: u16,
    redirect_uri: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeCCloud {
    /// A fake that expects the sidecar's redirect URI on `callback_port`.
    pub fn start(callback_port: u16) -> Self {
        Self::start_on("127.0.0.1", callback_port)
    }

    /// A fake listening on `host`, another loopback address such as 127.0.0.2 when a client treats
    /// `127.0.0.1` specially (code-server sends links to it through its port proxy, losing their paths).
    pub fn start_on(host: &str, callback_port: u16) -> Self {
        let listener = TcpListener::bind((host, 0)).expect("the fake Confluent Cloud binds");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let redirect_uri = format!("http://127.0.0.1:{callback_port}{CALLBACK_PATH}");
        let base = format!("http://{host}:{port}");
        let state = Arc::new(Mutex::new(State { catalog: resources::Catalog::standard(&base), ..State::default() }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop, redirect_uri) = (state.clone(), stop.clone(), redirect_uri.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (state, redirect_uri) = (state.clone(), redirect_uri.clone());
                            std::thread::spawn(move || serve(stream, &state, &redirect_uri));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Self { host: host.to_string(), port, redirect_uri, state, stop, thread: Some(thread) }
    }

    pub fn base(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }

    /// The `ccloud` section of `initializationOptions` that points the sidecar here.
    pub fn options(&self, callback_port: u16) -> Value {
        json!({
            "authorize_uri": format!("{}/oauth/authorize", self.base()),
            "token_uri": format!("{}/oauth/token", self.base()),
            "control_plane_uri": self.base(),
            "client_id": CLIENT_ID,
            "callback_port": callback_port,
            "refresh_interval_seconds": 0.2,
        })
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.state().behaviour);
    }

    pub fn secrets(&self) -> Vec<String> {
        self.state().secrets.clone()
    }

    pub fn session_organizations(&self) -> Vec<Option<String>> {
        self.state().session_organizations.clone()
    }

    pub fn refresh_grants(&self) -> usize {
        self.state().refresh_grants
    }

    pub fn check_jwt_calls(&self) -> usize {
        self.state().check_jwt_calls
    }

    pub fn checked_tokens(&self) -> Vec<String> {
        self.state().checked_tokens.clone()
    }

    pub fn refusals(&self) -> Vec<String> {
        self.state().refusals.clone()
    }

    /// The resource list pages served so far, as `path?environment=..&page_token=..`.
    pub fn list_calls(&self) -> Vec<String> {
        self.state().list_calls.clone()
    }

    /// The most list requests that were ever being answered at once.
    pub fn most_lists_in_flight(&self) -> usize {
        self.state().most_lists_in_flight
    }

    /// Reads or changes the data plane's clusters, registries and one-shot errors.
    pub fn data<T>(&self, change: impl FnOnce(&mut data::DataPlane) -> T) -> T {
        change(&mut self.state().data)
    }

    /// The resources the lists serve (by default [`resources::Catalog::standard`]).
    pub fn set_catalog(&self, catalog: resources::Catalog) {
        self.state().catalog = catalog;
    }
}

impl Drop for FakeCCloud {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A parsed HTTP request.
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

/// A response to write.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn json(status: u16, body: Value) -> Self {
        Self { status, headers: vec![("Content-Type".into(), "application/json".into())], body: body.to_string() }
    }

    fn text(status: u16, body: &str) -> Self {
        Self { status, headers: vec![("Content-Type".into(), "text/html".into())], body: body.into() }
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.trim().to_lowercase(), value.trim().to_string());
    }
    let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    Some(Request { method, path: path.to_string(), query, headers, body })
}

fn serve(mut stream: TcpStream, state: &Mutex<State>, redirect_uri: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(request) = read_request(&mut stream) else { return };
    let listing = resources::is_list(&request.path);
    let delay = {
        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
        if listing {
            state.lists_in_flight += 1;
            state.most_lists_in_flight = state.most_lists_in_flight.max(state.lists_in_flight);
        }
        state.behaviour.list_delay.filter(|_| listing)
    };
    if let Some(delay) = delay {
        std::thread::sleep(delay);
    }
    let response = {
        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
        // Counted until the answer is ready, not written: the client may send its next request as
        // soon as it has read this one, before this thread gets to run again.
        if listing {
            state.lists_in_flight -= 1;
        }
        route(&request, &mut state, redirect_uri)
    };
    let reason = match response.status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Other",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        response.status,
        response.body.len()
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(response.body.as_bytes());
}

fn issue(state: &mut State, prefix: &str) -> String {
    let token = format!("{prefix}-{}", uuid::Uuid::new_v4().simple());
    state.secrets.push(token.clone());
    token
}

fn refuse(state: &mut State, why: String, response: Response) -> Response {
    state.refusals.push(why);
    response
}

fn bearer(request: &Request) -> Option<String> {
    request.headers.get("authorization")?.strip_prefix("Bearer ").map(str::to_string)
}

fn control_plane_error(code: u16, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

fn route(request: &Request, state: &mut State, redirect_uri: &str) -> Response {
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/oauth/authorize") => authorize(request, state, redirect_uri),
        ("POST", "/oauth/token") => token(request, state),
        ("POST", "/api/sessions") => sessions(request, state),
        ("POST", "/api/access_tokens") => access_tokens(request, state),
        ("GET", "/api/check_jwt") => check_jwt(request, state),
        ("GET", path) if resources::is_list(path) => resources::list(request, state),
        (_, path) if data::is_data(path) => data::serve(request, state),
        (method, path) => refuse(state, format!("{method} {path}"), Response::text(404, "not found")),
    }
}

/// Signs the user in at once: a redirect to the redirect URI with a code, after checking the
/// request as an authorization server does.
fn authorize(request: &Request, state: &mut State, redirect_uri: &str) -> Response {
    let q = |name: &str| request.query.get(name).cloned().unwrap_or_default();
    let problems = [
        (q("response_type") != "code", "response_type must be code"),
        (q("client_id") != CLIENT_ID, "unknown client_id"),
        (q("redirect_uri") != redirect_uri, "redirect_uri is not the one registered"),
        (q("code_challenge_method") != "S256", "code_challenge_method must be S256"),
        (q("code_challenge").len() != 43, "code_challenge must be a base64url SHA-256"),
        (q("state").is_empty(), "state is required"),
        (
            !["openid", "email", "offline_access"].iter().all(|s| q("scope").split(' ').any(|given| given == *s)),
            "scope must include openid email offline_access",
        ),
    ];
    if let Some((_, why)) = problems.iter().find(|(bad, _)| *bad) {
        return refuse(state, format!("authorize: {why}"), Response::text(400, why));
    }
    let code = issue(state, "code");
    state
        .codes
        .insert(code.clone(), Grant { challenge: q("code_challenge"), redirect_uri: q("redirect_uri"), used: false });
    let mut location = url::Url::parse(&q("redirect_uri")).unwrap();
    location.query_pairs_mut().append_pair("code", &code).append_pair("state", &q("state"));
    Response { status: 302, headers: vec![("Location".into(), location.to_string())], body: String::new() }
}

fn invalid_grant(description: &str) -> Response {
    Response::json(403, json!({"error": "invalid_grant", "error_description": description}))
}

fn token(request: &Request, state: &mut State) -> Response {
    if request.headers.get("content-type").map(String::as_str) != Some("application/x-www-form-urlencoded") {
        return refuse(state, "token: not a form".into(), Response::json(400, json!({"error": "invalid_request"})));
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&request.body).into_owned().collect();
    let f = |name: &str| form.get(name).cloned().unwrap_or_default();
    if f("client_id") != CLIENT_ID || form.contains_key("client_secret") {
        let response = Response::json(401, json!({"error": "invalid_client", "error_description": "Unknown client"}));
        return refuse(state, "token: wrong client".into(), response);
    }
    if state.behaviour.token_garbage {
        return Response::text(200, "<html>Service Unavailable</html>");
    }
    let refresh_token = match f("grant_type").as_str() {
        "authorization_code" => {
            let verifier = f("code_verifier");
            state.secrets.push(verifier.clone());
            let Some(grant) = state.codes.get_mut(&f("code")) else {
                return refuse(state, "token: unknown code".into(), invalid_grant("Invalid authorization code"));
            };
            if grant.used {
                return refuse(state, "token: code used twice".into(), invalid_grant("Invalid authorization code"));
            }
            grant.used = true;
            if grant.redirect_uri != f("redirect_uri") {
                let response = invalid_grant("redirect_uri does not match the authorization request");
                return refuse(state, "token: redirect_uri".into(), response);
            }
            let digest = openssl::sha::sha256(verifier.as_bytes());
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
            if computed != grant.challenge {
                return refuse(state, "token: PKCE".into(), invalid_grant("Failed to verify code verifier"));
            }
            issue(state, "refresh")
        }
        "refresh_token" => {
            state.refresh_grants += 1;
            let presented = f("refresh_token");
            if state.behaviour.reject_refresh || !state.refresh_tokens.remove(&presented) {
                return refuse(
                    state,
                    "token: refresh token".into(),
                    invalid_grant("Unknown or invalid refresh token."),
                );
            }
            issue(state, "refresh")
        }
        other => {
            let response = Response::json(400, json!({"error": "unsupported_grant_type"}));
            return refuse(state, format!("token: grant {other}"), response);
        }
    };
    state.refresh_tokens.insert(refresh_token.clone());
    let id_token = issue(state, "idtoken");
    state.id_tokens.insert(id_token.clone());
    let access_token = issue(state, "access");
    Response::json(
        200,
        json!({"access_token": access_token, "id_token": id_token, "refresh_token": refresh_token,
            "scope": "openid email offline_access", "expires_in": 86400, "token_type": "Bearer"}),
    )
}

fn sessions(request: &Request, state: &mut State) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return refuse(
            state,
            "sessions: not JSON".into(),
            Response::json(400, control_plane_error(400, "bad request")),
        );
    };
    let id_token = body["id_token"].as_str().unwrap_or_default();
    if !state.id_tokens.contains(id_token) {
        let response = Response::json(401, control_plane_error(401, "Unauthorized"));
        return refuse(state, "sessions: unknown id_token".into(), response);
    }
    let organization = body.get("org_resource_id").and_then(Value::as_str).map(str::to_string);
    if let Some(organization) = organization.as_deref().filter(|o| ![ORG_DEFAULT, ORG_OTHER].contains(o)) {
        let message = format!("User is not a member of organization {organization}");
        return refuse(
            state,
            "sessions: unknown organization".into(),
            Response::json(403, control_plane_error(403, &message)),
        );
    }
    let behaviour = state.behaviour.clone();
    if behaviour.session_error {
        return Response::json(201, control_plane_error(401, "Unauthorized: the id token was revoked"));
    }
    if behaviour.session_garbage {
        return Response::text(201, "invalid_json");
    }
    let token = issue(state, "cptoken");
    state.session_organizations.push(organization.clone());
    let org_id = organization.unwrap_or_else(|| ORG_DEFAULT.to_string());
    state.control_plane_tokens.insert(token.clone(), org_id.clone());
    let mut response = Response::json(
        201,
        json!({
            "error": null,
            "user": {"id": 4242, "email": USER_EMAIL, "first_name": "Alice", "last_name": "Liddell",
                "resource_id": USER_ID, "service_account": false, "social_connection": "", "auth_type": "AUTH_TYPE_LOCAL"},
            "organization": {"id": 77, "resource_id": org_id, "name": "Wonderland", "sso": {"enabled": false}},
            "refresh_token": "",
            "identity_provider": null
        }),
    );
    if !behaviour.session_without_cookie {
        let cookie = format!(
            "auth_token={token}; Path=/; Expires=Fri, 01 Jan 2100 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict"
        );
        response.headers.push(("Set-Cookie".into(), "ajs_anonymous_id=x; Path=/".into()));
        response.headers.push(("Set-Cookie".into(), cookie));
    }
    response
}

fn access_tokens(request: &Request, state: &mut State) -> Response {
    let known = bearer(request).is_some_and(|token| state.control_plane_tokens.contains_key(&token));
    if !known {
        let response = Response::json(401, control_plane_error(401, "Unauthorized"));
        return refuse(state, "access_tokens: unknown bearer".into(), response);
    }
    if serde_json::from_slice::<Value>(&request.body).ok() != Some(json!({})) {
        let response = Response::json(400, control_plane_error(400, "body must be {}"));
        return refuse(state, "access_tokens: body".into(), response);
    }
    if state.behaviour.access_token_error {
        return Response::json(201, control_plane_error(403, "Forbidden: data-plane access is disabled"));
    }
    if state.behaviour.access_token_garbage {
        return Response::text(201, "invalid_json");
    }
    let token = issue(state, "dptoken");
    state.data_plane_tokens.insert(token.clone());
    Response::json(201, json!({"token": token, "error": null, "regional_token": null}))
}

fn check_jwt(request: &Request, state: &mut State) -> Response {
    state.check_jwt_calls += 1;
    let token = bearer(request).unwrap_or_default();
    state.checked_tokens.push(token.clone());
    if state.behaviour.check_unavailable {
        return Response::text(503, "<html>Service Unavailable</html>");
    }
    if state.behaviour.sessions_invalid || !state.control_plane_tokens.contains_key(&token) {
        return Response::json(401, control_plane_error(401, "token is expired or was revoked"));
    }
    Response::json(200, json!({"error": null, "claims": {"sub": USER_ID}}))
}

/// What a browser got for one request.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request to an `http://127.0.0.1:PORT/...` URI, without following redirects.
pub fn http(method: &str, uri: &str) -> std::io::Result<Page> {
    let url = url::Url::parse(uri).map_err(|e| std::io::Error::other(e.to_string()))?;
    let address = format!("{}:{}", url.host_str().unwrap_or_default(), url.port_or_known_default().unwrap_or(80));
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(super::WAIT))?;
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nUser-Agent: test-browser\r\nConnection: close\r\n\r\n",
        url.authority()
    );
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|line| line.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    Ok(Page { status, headers, body: body.to_string() })
}

/// Follows the sign-in URI like a browser: the authorize endpoint signs the user in and redirects
/// to the sidecar's callback, whose page is returned.
pub fn follow_sign_in(sign_in_uri: &str) -> Page {
    let authorize = http("GET", sign_in_uri).expect("the authorize endpoint answers");
    assert_eq!(authorize.status, 302, "the authorize endpoint redirects: {}", authorize.body);
    let location = authorize.header("Location").expect("a Location").to_string();
    http("GET", &location).expect("the sidecar's callback answers")
}

/// Whether something accepts connections on 127.0.0.1:`port`.
pub fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500)).is_ok()
}

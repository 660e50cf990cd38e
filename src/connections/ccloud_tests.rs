//! In-process tests of Confluent Cloud sign-in in the manager, with a scripted [`CCloud`] and
//! tokio's paused clock: the state machine, the events, and the session's timing.

use super::ccloud::*;
use super::*;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};

use super::test_support::{self, Events};
use serde_json::json;
use tokio::time::Instant;

use crate::connections::{ValidKafkaCluster, ValidSchemaRegistry};
use crate::protocol::UserInfo;

const INTERVAL: Duration = Duration::from_secs(5);
const TOKEN_LIFETIME: Duration = Duration::from_secs(300);
const ABSOLUTE_LIFETIME: Duration = Duration::from_secs(3600);
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);
const WAIT: Duration = Duration::from_secs(7200);

/// One call the manager made, with the organization it asked for (sign-in and refresh).
#[derive(Clone, Debug)]
struct Call {
    kind: &'static str,
    at: Instant,
    organization_id: Option<String>,
    /// The secret presented: the verifier, the refresh token or the control-plane token.
    presented: String,
}

#[derive(Default)]
struct Script {
    issued: u64,
    handler: Option<CallbackHandler>,
    listen_error: Option<CCloudError>,
    sign_in: VecDeque<Result<(), CCloudError>>,
    refresh: VecDeque<Result<(), CCloudError>>,
    check: VecDeque<Result<SessionCheck, CCloudError>>,
    /// Organizations the session exchange accepts; any when empty.
    organizations: Vec<String>,
    calls: Vec<Call>,
}

/// A scripted Confluent Cloud: every call succeeds unless a result was queued for it.
pub(super) struct FakeCCloud {
    script: Mutex<Script>,
    listening: Arc<AtomicBool>,
}

/// Marks the fake as not listening when the manager drops its listener.
struct ListenGuard(Arc<AtomicBool>);

impl Drop for ListenGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl FakeCCloud {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self { script: Mutex::default(), listening: Arc::new(AtomicBool::new(false)) })
    }

    fn script(&self) -> MutexGuard<'_, Script> {
        self.script.lock().unwrap()
    }

    fn listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    fn calls(&self, kind: &str) -> Vec<Call> {
        self.script().calls.iter().filter(|call| call.kind == kind).cloned().collect()
    }

    /// Sends the browser's redirect to the listener the manager started.
    async fn callback(&self, state: Option<&str>, code: Option<&str>) -> CallbackOutcome {
        let handler = self.script().handler.clone().expect("the manager started a listener");
        let query =
            CallbackQuery { state: state.map(str::to_string), code: code.map(SecretToken::new), ..Default::default() };
        handler(query).await
    }

    fn record(&self, kind: &'static str, organization_id: Option<String>, presented: &str) {
        self.script().calls.push(Call { kind, at: Instant::now(), organization_id, presented: presented.into() });
    }

    fn grant(&self, kind: &'static str, presented: &str) -> Result<IdTokens, CCloudError> {
        self.record(kind, None, presented);
        let mut script = self.script();
        let scripted = match kind {
            "sign_in" => script.sign_in.pop_front(),
            _ => script.refresh.pop_front(),
        };
        scripted.unwrap_or(Ok(()))?;
        script.issued += 1;
        let n = script.issued;
        Ok(IdTokens {
            id_token: SecretToken::new(format!("id-{n}")),
            refresh_token: Some(SecretToken::new(format!("rt-{n}"))),
        })
    }
}

impl CCloud for FakeCCloud {
    fn authorization_request(&self) -> AuthorizationRequest {
        let mut script = self.script();
        script.issued += 1;
        let n = script.issued;
        AuthorizationRequest {
            sign_in_uri: format!("https://login.test/authorize?state=s{n}"),
            state: format!("s{n}"),
            verifier: SecretToken::new(format!("v{n}")),
        }
    }

    fn listen(&self, on_callback: CallbackHandler) -> Result<CallbackListener, CCloudError> {
        let mut script = self.script();
        if let Some(error) = script.listen_error.clone() {
            return Err(error);
        }
        script.handler = Some(on_callback);
        self.listening.store(true, Ordering::SeqCst);
        Ok(CallbackListener::new(ListenGuard(self.listening.clone())))
    }

    fn exchange_code(
        &self,
        _code: SecretToken,
        verifier: SecretToken,
        _timeout: Duration,
    ) -> BoxFuture<Result<IdTokens, CCloudError>> {
        Box::pin(std::future::ready(self.grant("sign_in", verifier.expose())))
    }

    fn refresh_grant(
        &self,
        refresh_token: SecretToken,
        _timeout: Duration,
    ) -> BoxFuture<Result<IdTokens, CCloudError>> {
        Box::pin(std::future::ready(self.grant("refresh", refresh_token.expose())))
    }

    fn open_session(
        &self,
        id_token: SecretToken,
        organization_id: Option<String>,
        _timeout: Duration,
    ) -> BoxFuture<Result<SignedIn, CCloudError>> {
        self.record("session", organization_id.clone(), id_token.expose());
        let script = self.script();
        let result =
            match organization_id.filter(|o| !script.organizations.is_empty() && !script.organizations.contains(o)) {
                Some(organization) => Err(CCloudError {
                    step: CCloudStep::Session,
                    message: format!("no organization {organization}"),
                    transient: false,
                }),
                None => {
                    let n = script.issued;
                    Ok(SignedIn {
                        control_plane: SecretToken::new(format!("cp-{n}")),
                        data_plane: SecretToken::new(format!("dp-{n}")),
                        user: UserInfo {
                            id: Some("u-1".into()),
                            username: Some("alice@example.com".into()),
                            ..Default::default()
                        },
                        organization_id: None,
                    })
                }
            };
        Box::pin(std::future::ready(result))
    }

    fn check_session(&self, token: SecretToken, _timeout: Duration) -> BoxFuture<Result<SessionCheck, CCloudError>> {
        let mut script = self.script();
        script.calls.push(Call {
            kind: "check",
            at: Instant::now(),
            organization_id: None,
            presented: token.expose().into(),
        });
        let result = script.check.pop_front().unwrap_or(Ok(SessionCheck::Valid));
        Box::pin(std::future::ready(result))
    }
}

/// CCLOUD connections have no component checks; a DIRECT one here always fails.
struct NoChecks;

impl Checks for NoChecks {
    fn kafka(&self, _: ValidKafkaCluster, _: Duration) -> BoxFuture<Outcome> {
        Box::pin(std::future::ready(Outcome::failed("not checked in these tests", false)))
    }

    fn local_kafka(&self, _: LocalDiscovery, _: Duration) -> BoxFuture<Outcome> {
        Box::pin(std::future::ready(Outcome::failed("not checked in these tests", false)))
    }

    fn schema_registry(&self, _: ValidSchemaRegistry, _: Duration) -> BoxFuture<Outcome> {
        Box::pin(std::future::ready(Outcome::failed("not checked in these tests", false)))
    }
}

struct Harness {
    manager: ConnectionManager,
    cloud: Arc<FakeCCloud>,
    events: Events,
}

fn harness() -> Harness {
    let mut options = InitializationOptions::default();
    options.ccloud.refresh_interval_seconds = INTERVAL.as_secs_f64();
    options.ccloud.token_lifetime_seconds = TOKEN_LIFETIME.as_secs_f64();
    options.ccloud.absolute_lifetime_seconds = ABSOLUTE_LIFETIME.as_secs_f64();
    options.ccloud.sign_in_timeout_seconds = SIGN_IN_TIMEOUT.as_secs_f64();
    let cloud = FakeCCloud::new();
    let (manager, events) = test_support::manager(Settings::from(&options), Arc::new(NoChecks), cloud.clone(), WAIT);
    Harness { manager, cloud, events }
}

const ORG_A: &str = "11111111-1111-4111-8111-111111111111";
const ORG_B: &str = "22222222-2222-4222-8222-222222222222";

fn cloud_spec(id: &str, organization_id: Option<&str>) -> ConnectionSpec {
    let mut spec = json!({"id": id, "name": format!("cloud {id}"), "type": "CCLOUD",
        "ccloud_config": {"ide_auth_callback_uri": "vscode://confluentinc.vscode-confluent/authCallback"}});
    if let Some(organization) = organization_id {
        spec["ccloud_config"]["organization_id"] = json!(organization);
    }
    serde_json::from_value(spec).unwrap()
}

fn ccloud(connection: &Connection) -> CCloudStatus {
    connection.status.ccloud.clone().expect("a ccloud status")
}

fn state_of(uri: &str) -> String {
    uri.split("state=").nth(1).expect("a state in the sign-in URI").to_string()
}

impl Harness {
    async fn next(&mut self, what: &str) -> ConnectionEvent {
        self.events.next(what).await
    }

    /// The next event, which must be `action` with `ccloud.state` `state`.
    async fn expect(&mut self, action: EventAction, state: ConnectedState) -> Connection {
        let event = self.next(&format!("{action:?} with {state:?}")).await;
        assert_eq!((event.action, ccloud(&event.connection).state), (action, state), "{event:#?}");
        assert_eq!(
            event.connection.status.authentication,
            crate::protocol::Authentication::derive(event.connection.status.ccloud.as_ref()),
            "authentication is derived from ccloud"
        );
        event.connection
    }

    async fn assert_quiet(&mut self, why: &str) {
        self.events.assert_quiet(why).await;
    }

    /// Creates `id` and signs it in; returns the connection as signed in.
    async fn signed_in(&mut self, id: &str, organization_id: Option<&str>) -> Connection {
        let created = self.manager.create(cloud_spec(id, organization_id)).unwrap();
        assert_eq!(self.next("CREATED").await.action, EventAction::Created);
        let uri = self.manager.sign_in(id).unwrap();
        assert_eq!(Some(uri.clone()), created.metadata.sign_in_uri);
        let outcome = self.cloud.callback(Some(&state_of(&uri)), Some("code")).await;
        assert!(matches!(outcome, CallbackOutcome::SignedIn { .. }), "{outcome:?}");
        self.expect(EventAction::Disconnected, ConnectedState::Attempting).await;
        self.expect(EventAction::Connected, ConnectedState::Success).await
    }
}

#[tokio::test(start_paused = true)]
async fn sign_in_goes_attempting_then_success_and_listens_only_while_pending() {
    let mut h = harness();
    let created = h.manager.create(cloud_spec("cc", None)).unwrap();
    assert_eq!(ccloud(&created), CCloudStatus::default());
    let uri = created.metadata.sign_in_uri.clone().expect("a sign-in URI from the start");
    h.next("CREATED").await;
    assert!(!h.cloud.listening(), "nothing listens before ccloud/signIn");

    assert_eq!(h.manager.sign_in("cc").unwrap(), uri);
    assert!(h.cloud.listening());
    assert_eq!(h.cloud.callback(Some("someone-else"), Some("code")).await, CallbackOutcome::UnknownState);
    assert_eq!(h.cloud.callback(None, Some("code")).await, CallbackOutcome::UnknownState);
    h.assert_quiet("callbacks with unknown or missing state change nothing").await;
    assert!(h.cloud.listening(), "still waiting for the real callback");
    assert_eq!(h.manager.get("cc").unwrap(), created);

    let outcome = h.cloud.callback(Some(&state_of(&uri)), Some("code")).await;
    assert_eq!(
        outcome,
        CallbackOutcome::SignedIn { redirect_to: Some("vscode://confluentinc.vscode-confluent/authCallback".into()) }
    );
    assert!(!h.cloud.listening(), "the listener stops once no sign-in is pending");
    let attempting = h.expect(EventAction::Disconnected, ConnectedState::Attempting).await;
    assert_ne!(attempting.metadata.sign_in_uri.as_deref(), Some(uri.as_str()), "a used request is replaced");
    let success = h.expect(EventAction::Connected, ConnectedState::Success).await;
    let status = ccloud(&success);
    assert_eq!(status.user.and_then(|u| u.username).as_deref(), Some("alice@example.com"));
    assert!(status.requires_authentication_at.is_some_and(|at| at.ends_with('Z')));
    assert_eq!(status.errors, None);
    let sign_ins = h.cloud.calls("sign_in");
    assert_eq!(sign_ins.len(), 1);
    assert_eq!(sign_ins[0].presented, "v1", "the verifier of the request the callback answered");
    assert_eq!(h.cloud.calls("session")[0].organization_id, None, "the user's default organization");

    // The same state again: used up.
    assert_eq!(h.cloud.callback(Some(&state_of(&uri)), Some("code")).await, CallbackOutcome::UnknownState);
    h.assert_quiet("a replayed callback").await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_exchange_is_failed_with_the_reason_under_sign_in() {
    let mut h = harness();
    h.manager.create(cloud_spec("cc", Some(ORG_A))).unwrap();
    h.next("CREATED").await;
    h.cloud.script().sign_in.push_back(Err(CCloudError {
        step: CCloudStep::Session,
        message: "Confluent Cloud refused to open a session: Unauthorized".into(),
        transient: false,
    }));
    let uri = h.manager.sign_in("cc").unwrap();
    let outcome = h.cloud.callback(Some(&state_of(&uri)), Some("code")).await;
    assert!(matches!(outcome, CallbackOutcome::Failed { ref message, .. } if message.contains("Unauthorized")));
    h.expect(EventAction::Disconnected, ConnectedState::Attempting).await;
    let failed = ccloud(&h.expect(EventAction::Disconnected, ConnectedState::Failed).await);
    let error = failed.errors.and_then(|e| e.sign_in).expect("errors.sign_in");
    assert_eq!(error.message, "Confluent Cloud refused to open a session: Unauthorized");
    assert!(!error.is_transient);
    assert!(h.cloud.calls("session").is_empty(), "the exchange failed before the session");

    // The browser said no: FAILED with what it said, without an exchange.
    let uri = h.manager.sign_in("cc").unwrap();
    let handler = h.cloud.script().handler.clone().unwrap();
    let outcome = handler(CallbackQuery {
        state: Some(state_of(&uri)),
        error: Some("access_denied".into()),
        error_description: Some("User cancelled".into()),
        ..Default::default()
    })
    .await;
    assert!(matches!(outcome, CallbackOutcome::Failed { .. }));
    let failed = ccloud(&h.expect(EventAction::Disconnected, ConnectedState::Failed).await);
    assert_eq!(
        failed.errors.and_then(|e| e.sign_in).map(|e| e.message).as_deref(),
        Some("Confluent Cloud did not sign you in: access_denied (User cancelled)")
    );
    assert_eq!(h.cloud.calls("sign_in").len(), 1);

    // Signing in again succeeds and clears the error.
    let uri = h.manager.sign_in("cc").unwrap();
    h.cloud.callback(Some(&state_of(&uri)), Some("code")).await;
    h.expect(EventAction::Disconnected, ConnectedState::Attempting).await;
    let success = ccloud(&h.expect(EventAction::Connected, ConnectedState::Success).await);
    assert_eq!(success.errors, None);
}

#[tokio::test(start_paused = true)]
async fn tokens_are_refreshed_before_they_expire_and_the_session_checked_every_interval() {
    let mut h = harness();
    let start = Instant::now();
    h.signed_in("cc", None).await;
    tokio::time::sleep(Duration::from_secs(1000)).await;
    h.assert_quiet("refreshes and checks that change nothing").await;

    let refreshes: Vec<Duration> = h.cloud.calls("refresh").iter().map(|c| c.at - start).collect();
    assert_eq!(
        refreshes,
        [240, 480, 720, 960].map(Duration::from_secs),
        "at 80% of the token lifetime, from each refresh"
    );
    let presented: Vec<String> = h.cloud.calls("refresh").into_iter().map(|c| c.presented).collect();
    // Counting the two authorization requests: the sign-in issued rt-3.
    assert_eq!(presented, ["rt-3", "rt-4", "rt-5", "rt-6"], "each refresh uses the token the last one rotated");
    let checks = h.cloud.calls("check");
    assert_eq!(checks.len(), 200, "one check_jwt every 5 s");
    assert!(checks.windows(2).all(|w| w[1].at - w[0].at == INTERVAL));
    let after_first_refresh = checks.iter().find(|c| c.at - start > Duration::from_secs(240)).unwrap();
    assert_eq!(after_first_refresh.presented, "cp-4", "checks use the refreshed control-plane token");
}

#[tokio::test(start_paused = true)]
async fn transient_refresh_failures_are_retried_without_flapping_then_failed() {
    let mut h = harness();
    h.signed_in("cc", None).await;
    let transient = || CCloudError { step: CCloudStep::Token, message: "Cannot reach it".into(), transient: true };
    h.cloud.script().refresh.push_back(Err(transient()));
    h.cloud.script().refresh.push_back(Err(transient()));

    let noted = h.expect(EventAction::Connected, ConnectedState::Success).await;
    let error = ccloud(&noted).errors.and_then(|e| e.token_refresh).expect("errors.token_refresh");
    assert_eq!((error.message.as_str(), error.is_transient), ("Cannot reach it", true));
    // The second failure has the same message: no event. Then the retry works and clears it.
    let cleared = h.expect(EventAction::Connected, ConnectedState::Success).await;
    assert_eq!(ccloud(&cleared).errors, None);
    let retries: Vec<Instant> = h.cloud.calls("refresh").iter().map(|c| c.at).collect();
    assert_eq!(retries.len(), 3);
    assert_eq!(retries[1] - retries[0], INTERVAL, "retried after the CCloud interval");

    for _ in 0..MAX_FAILED_REFRESHES {
        h.cloud.script().refresh.push_back(Err(transient()));
    }
    h.expect(EventAction::Connected, ConnectedState::Success).await;
    let failed = ccloud(&h.expect(EventAction::Disconnected, ConnectedState::Failed).await);
    let error = failed.errors.and_then(|e| e.token_refresh).unwrap();
    assert!(!error.is_transient);
    assert!(
        error.message.starts_with("Refreshing the Confluent Cloud session failed 5 times in a row"),
        "{}",
        error.message
    );
    assert_eq!(failed.requires_authentication_at, None);
    let calls = h.cloud.calls("refresh").len() + h.cloud.calls("check").len();
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(h.cloud.calls("refresh").len() + h.cloud.calls("check").len(), calls, "a failed session is left alone");
}

#[tokio::test(start_paused = true)]
async fn a_rejected_refresh_token_fails_at_once() {
    let mut h = harness();
    h.signed_in("cc", None).await;
    h.cloud.script().refresh.push_back(Err(CCloudError {
        step: CCloudStep::Token,
        message: "refused the refresh token: invalid_grant".into(),
        transient: false,
    }));
    let failed = ccloud(&h.expect(EventAction::Disconnected, ConnectedState::Failed).await);
    let error = failed.errors.and_then(|e| e.token_refresh).unwrap();
    assert_eq!((error.message.as_str(), error.is_transient), ("refused the refresh token: invalid_grant", false));
    assert_eq!(h.cloud.calls("refresh").len(), 1);
}

#[tokio::test(start_paused = true)]
async fn check_jwt_invalid_is_expired_and_a_transient_check_error_keeps_success() {
    let mut h = harness();
    h.signed_in("cc", None).await;
    let transient = CCloudError { step: CCloudStep::CheckSession, message: "HTTP 503".into(), transient: true };
    h.cloud.script().check.extend([Err(transient.clone()), Err(transient), Ok(SessionCheck::Valid)]);
    let noted = ccloud(&h.expect(EventAction::Connected, ConnectedState::Success).await);
    assert_eq!(noted.errors.and_then(|e| e.auth_status_check).map(|e| e.is_transient), Some(true));
    let cleared = ccloud(&h.expect(EventAction::Connected, ConnectedState::Success).await);
    assert_eq!(cleared.errors, None);

    h.cloud.script().check.push_back(Ok(SessionCheck::Invalid("the session is no longer valid".into())));
    let expired = ccloud(&h.expect(EventAction::Disconnected, ConnectedState::Expired).await);
    let error = expired.errors.and_then(|e| e.auth_status_check).unwrap();
    assert_eq!((error.message.as_str(), error.is_transient), ("the session is no longer valid", false));
    assert_eq!(expired.requires_authentication_at, None);
    let checks = h.cloud.calls("check").len();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(h.cloud.calls("check").len(), checks, "an expired session is not checked");

    let uri = h.manager.sign_in("cc").unwrap();
    h.cloud.callback(Some(&state_of(&uri)), Some("code")).await;
    h.expect(EventAction::Disconnected, ConnectedState::Attempting).await;
    h.expect(EventAction::Connected, ConnectedState::Success).await;
}

#[tokio::test(start_paused = true)]
async fn the_session_ends_at_its_absolute_lifetime() {
    let mut h = harness();
    let start = Instant::now();
    h.signed_in("cc", None).await;
    let ended = h.expect(EventAction::Disconnected, ConnectedState::None).await;
    assert_eq!(ccloud(&ended), CCloudStatus::default());
    assert!(Instant::now() - start >= ABSOLUTE_LIFETIME && Instant::now() - start < ABSOLUTE_LIFETIME + INTERVAL);
    let last_refresh = h.cloud.calls("refresh").last().map(|c| c.at - start).unwrap();
    assert!(last_refresh < ABSOLUTE_LIFETIME, "no refresh past the absolute lifetime");
    let calls = h.cloud.script().calls.len();
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(h.cloud.script().calls.len(), calls);
}

#[tokio::test(start_paused = true)]
async fn sign_out_drops_the_session_and_a_pending_sign_in() {
    let mut h = harness();
    h.signed_in("cc", None).await;
    let out = h.manager.sign_out("cc").unwrap();
    assert_eq!(ccloud(&out), CCloudStatus::default());
    assert_eq!(h.expect(EventAction::Disconnected, ConnectedState::None).await, out);
    let calls = h.cloud.script().calls.len();
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(h.cloud.script().calls.len(), calls, "nothing is refreshed or checked after sign-out");

    let uri = h.manager.sign_in("cc").unwrap();
    assert!(h.cloud.listening());
    h.manager.sign_out("cc").unwrap();
    assert!(!h.cloud.listening(), "sign-out ends the pending sign-in");
    assert_eq!(h.cloud.callback(Some(&state_of(&uri)), Some("code")).await, CallbackOutcome::UnknownState);
    h.assert_quiet("sign-out when not signed in changes no status").await;
}

#[tokio::test(start_paused = true)]
async fn a_pending_sign_in_ends_after_its_time_limit_and_with_its_connection() {
    let mut h = harness();
    h.manager.create(cloud_spec("a", None)).unwrap();
    h.manager.create(cloud_spec("b", None)).unwrap();
    let uri = h.manager.sign_in("a").unwrap();
    tokio::time::sleep(SIGN_IN_TIMEOUT / 2).await;
    h.manager.sign_in("b").unwrap();
    tokio::time::sleep(SIGN_IN_TIMEOUT / 2 + Duration::from_millis(10)).await;
    assert!(h.cloud.listening(), "b is still pending");
    assert_eq!(h.cloud.callback(Some(&state_of(&uri)), Some("code")).await, CallbackOutcome::UnknownState);
    h.manager.delete("b").unwrap();
    assert!(!h.cloud.listening(), "nothing pending once b is deleted");

    // A signIn again restarts the time limit.
    h.manager.sign_in("a").unwrap();
    tokio::time::sleep(SIGN_IN_TIMEOUT - Duration::from_secs(1)).await;
    h.manager.sign_in("a").unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(h.cloud.listening(), "the second signIn restarted the time limit");
    tokio::time::sleep(SIGN_IN_TIMEOUT).await;
    assert!(!h.cloud.listening());
    // A sign-in left unfinished says so (state NONE, a transient sign_in error); a new attempt
    // clears it until it, too, times out.
    let events: Vec<(EventAction, String, Option<String>)> = std::iter::from_fn(|| h.events.try_recv().ok())
        .map(|e| {
            let status = ccloud(&e.connection);
            (e.action, e.connection.id, status.errors.and_then(|errors| errors.sign_in).map(|error| error.message))
        })
        .collect();
    let timed_out =
        Some("The sign-in was not completed within 300 s: start it again and finish it in the browser".into());
    assert_eq!(
        events,
        [
            (EventAction::Created, "a".into(), None),
            (EventAction::Created, "b".into(), None),
            (EventAction::Disconnected, "a".into(), timed_out.clone()),
            (EventAction::Deleted, "b".into(), None),
            (EventAction::Disconnected, "a".into(), None),
            (EventAction::Disconnected, "a".into(), timed_out),
        ],
    );
    assert_eq!(ccloud(&h.manager.get("a").unwrap()).state, ConnectedState::None);
}

#[tokio::test(start_paused = true)]
async fn a_port_in_use_is_a_sign_in_error() {
    let mut h = harness();
    h.manager.create(cloud_spec("cc", None)).unwrap();
    h.next("CREATED").await;
    let message = "port 26636 is already in use";
    h.cloud.script().listen_error =
        Some(CCloudError { step: CCloudStep::Listen, message: message.into(), transient: true });
    assert_eq!(h.manager.sign_in("cc"), Err(ManagerError::SignIn(message.into())));
    let failed = ccloud(&h.expect(EventAction::Disconnected, ConnectedState::Failed).await);
    assert_eq!(
        failed.errors.and_then(|e| e.sign_in).map(|e| (e.message, e.is_transient)),
        Some((message.into(), true))
    );

    h.cloud.script().listen_error = None;
    assert!(h.manager.sign_in("cc").is_ok());
    // The retry listens: the stale port error goes, and the state is back to waiting for sign-in.
    let retried = ccloud(&h.expect(EventAction::Disconnected, ConnectedState::None).await);
    assert_eq!(retried.errors, None);
    assert!(matches!(h.manager.sign_in("nope"), Err(ManagerError::NotFound(_))));
    let direct: ConnectionSpec = serde_json::from_value(
        json!({"id": "d", "name": "d", "type": "DIRECT", "schema_registry": {"uri": "http://127.0.0.1:1"}}),
    )
    .unwrap();
    h.manager.create(direct).unwrap();
    assert!(matches!(h.manager.sign_in("d"), Err(ManagerError::NotCCloud(_))));
    assert!(matches!(h.manager.sign_out("d"), Err(ManagerError::NotCCloud(_))));
}

#[tokio::test(start_paused = true)]
async fn an_organization_change_re_runs_the_session_exchange_before_the_update_commits() {
    let mut h = harness();
    h.cloud.script().organizations = vec![ORG_A.into(), ORG_B.into()];
    h.signed_in("cc", Some(ORG_A)).await;

    // A rename keeps the session.
    let renamed = h.manager.update("cc", cloud_spec("cc", Some(ORG_A))).await.unwrap();
    assert_eq!(ccloud(&renamed).state, ConnectedState::Success);
    assert_eq!(h.next("UPDATED").await.action, EventAction::Updated);
    assert!(h.cloud.calls("refresh").is_empty());

    let switched = h.manager.update("cc", cloud_spec("cc", Some(ORG_B))).await.unwrap();
    assert_eq!(ccloud(&switched).state, ConnectedState::Success);
    assert_eq!(h.cloud.calls("refresh").len(), 1);
    assert_eq!(h.cloud.calls("session").last().unwrap().organization_id.as_deref(), Some(ORG_B));
    let event = h.next("UPDATED").await;
    assert_eq!((event.action, event.connection), (EventAction::Updated, switched.clone()));

    let unknown = "33333333-3333-4333-8333-333333333333";
    let error = h.manager.update("cc", cloud_spec("cc", Some(unknown))).await.unwrap_err();
    match error {
        ManagerError::Invalid(problems) => {
            assert_eq!(problems.len(), 1);
            assert_eq!(problems[0].source, "ccloud_config.organization_id");
            assert!(problems[0].detail.contains("no organization"), "{}", problems[0].detail);
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(h.manager.get("cc").unwrap(), switched, "the connection is as it was");
    h.assert_quiet("a refused organization").await;

    // Later refreshes use the organization of the spec.
    tokio::time::sleep(TOKEN_LIFETIME).await;
    let sessions = h.cloud.calls("session");
    assert!(sessions.len() >= 4, "a refresh after the switch: {sessions:?}");
    assert!(sessions.iter().skip(3).all(|c| c.organization_id.as_deref() == Some(ORG_B)), "{sessions:?}");
}

#[tokio::test(start_paused = true)]
async fn an_organization_change_when_not_signed_in_only_changes_the_spec() {
    let h = harness();
    h.manager.create(cloud_spec("cc", Some(ORG_A))).unwrap();
    let updated = h.manager.update("cc", cloud_spec("cc", Some(ORG_B))).await.unwrap();
    assert_eq!(ccloud(&updated), CCloudStatus::default());
    assert!(updated.metadata.sign_in_uri.is_some());
    assert!(h.cloud.calls("refresh").is_empty());
    let uri = h.manager.sign_in("cc").unwrap();
    h.cloud.callback(Some(&state_of(&uri)), Some("code")).await;
    assert_eq!(h.cloud.calls("session")[0].organization_id.as_deref(), Some(ORG_B));
}

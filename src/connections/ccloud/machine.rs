//! The Confluent Cloud session as a state machine: [`step`] maps (state, event) to (state,
//! effects) with no IO and no clock of its own (the instant of each event is passed in), so every
//! transition is tested with plain `#[test]`s. The async code in `ccloud` feeds it the results of
//! its calls, under the store lock, and performs the effects.
//!
//! The state is the session's schedule (`None` when signed out) and `status.ccloud` as clients see
//! it. The tokens are not in it: they are secrets the IO layer keeps, and [`Effect`] says what to
//! do with them.

use tokio::time::Instant;

use super::schedule::{Schedule, Timing};
use super::status::{error, failed_sign_in, with_error, Phase};
use super::{CCloudError, SessionCheck};
use crate::protocol::{CCloudStatus, ConnectedState, UserInfo};

/// How many refreshes in a row may fail for a transient reason before the session is `FAILED`.
pub const MAX_FAILED_REFRESHES: u32 = 5;

/// One CCLOUD connection's sign-in and session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    /// While a sign-in waits for the browser, the attempt's number: its time limit ends only it.
    pub pending: Option<u64>,
    /// Whether the `sign_in` error is about waiting for the browser (the port in use, the time
    /// limit) rather than an exchange: a new attempt that listens makes it stale, so it clears it.
    pub waiting_error: bool,
    /// The session's schedule; `None` when not signed in.
    pub session: Option<Schedule>,
    /// `status.ccloud` as clients see it.
    pub status: CCloudStatus,
}

/// What happened to a sign-in or a session; `now` is when a result came in.
#[derive(Clone, Debug)]
pub enum Event {
    /// `ccloud/signIn` with the loopback listener running: `attempt` waits for the browser.
    SignInStarted {
        attempt: u64,
    },
    /// `ccloud/signIn` could not start the loopback listener.
    ListenFailed {
        failure: CCloudError,
    },
    /// The time limit of `attempt` passed; `message` tells the user.
    SignInTimedOut {
        attempt: u64,
        message: String,
    },
    /// The browser's redirect for the pending sign-in: with a code (`Ok`) the exchange starts,
    /// else the reason it cannot.
    Callback {
        code: Result<(), String>,
    },
    /// The sign-in's token chain completed; `requires_authentication_at` is the wall-clock end of
    /// the absolute lifetime, already formatted.
    SignedIn {
        now: Instant,
        user: UserInfo,
        requires_authentication_at: String,
    },
    SignInFailed {
        failure: CCloudError,
    },
    /// Another sidecar sharing the store signed in (or a restarted one finds the session): the
    /// session opens with its tokens, ending at its own end, refreshed when its tokens are due.
    Adopted {
        now: Instant,
        user: UserInfo,
        requires_authentication_at: String,
        ends_in: std::time::Duration,
        refresh_in: std::time::Duration,
    },
    /// The scheduled refresh (refresh grant and session exchange) finished.
    Refreshed {
        now: Instant,
        result: Result<UserInfo, CCloudError>,
    },
    /// `check_jwt` answered (or could not be asked).
    Checked {
        now: Instant,
        result: Result<SessionCheck, CCloudError>,
    },
    /// An update naming another organization was committed with the session opened there.
    Switched {
        now: Instant,
        user: UserInfo,
    },
    /// An organization switch whose update lost to another one: its tokens are kept (the refresh
    /// grant may have rotated the old ones away), the status is not touched.
    SwitchOverruled {
        now: Instant,
    },
    /// An update named another organization: a code exchange under way would sign in to the old
    /// one, so it is abandoned.
    OrganizationChanged,
    /// The absolute lifetime is over.
    LifetimeEnded,
    /// `ccloud/signOut`.
    SignedOut,
}

/// What the IO layer must do besides showing the new status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Keep the tokens the event brought (opening the session at sign-in).
    KeepTokens,
    /// Drop the session's tokens, if any, and begin a new epoch, so that results under way for
    /// the old one are dropped.
    EndSession,
    /// Wake the connection's task: its schedule changed.
    Wake,
    /// Stop the loopback listener if no other sign-in is pending.
    ReleaseListener,
}

/// One transition. A session event for a session that is not there (a refresh result after the
/// end) changes nothing: the IO layer drops such results by epoch before they get here.
pub fn step(state: State, event: Event, timing: &Timing) -> (State, Vec<Effect>) {
    let unchanged = |state: State| (state, vec![]);
    match event {
        Event::SignInStarted { attempt } => {
            let mut status = state.status;
            if state.waiting_error {
                status = with_error(&status, Phase::SignIn, None);
                if status.state == ConnectedState::Failed && state.session.is_none() {
                    status.state = ConnectedState::None;
                }
            }
            (State { pending: Some(attempt), waiting_error: false, status, ..state }, vec![])
        }
        Event::ListenFailed { failure } => {
            let mut status = with_error(&state.status, Phase::SignIn, error(&failure.message, failure.transient));
            if state.status.state != ConnectedState::Success {
                status.state = ConnectedState::Failed;
            }
            (State { waiting_error: true, status, ..state }, vec![])
        }
        Event::SignInTimedOut { attempt, .. } if state.pending != Some(attempt) => unchanged(state),
        Event::SignInTimedOut { message, .. } => {
            // Signed in already (a second sign-in that was abandoned): the session stands, nothing to say.
            let signed_in = state.status.state == ConnectedState::Success;
            let status =
                if signed_in { state.status } else { with_error(&state.status, Phase::SignIn, error(message, true)) };
            (State { pending: None, waiting_error: !signed_in, status, ..state }, vec![Effect::ReleaseListener])
        }
        Event::Callback { code } => {
            // With a code, the IO layer exchanges it (outside the lock) and reports the result.
            let status = match code {
                Ok(()) => CCloudStatus { state: ConnectedState::Attempting, ..Default::default() },
                Err(message) => failed_sign_in(&message, false),
            };
            let effects = vec![Effect::EndSession, Effect::Wake, Effect::ReleaseListener];
            (State { pending: None, waiting_error: false, session: None, status }, effects)
        }
        Event::SignedIn { now, user, requires_authentication_at } => {
            let status = CCloudStatus {
                state: ConnectedState::Success,
                requires_authentication_at: Some(requires_authentication_at),
                user: Some(user),
                errors: None,
            };
            let session = Some(Schedule::start(now, timing));
            (State { session, status, ..state }, vec![Effect::KeepTokens, Effect::Wake])
        }
        Event::Adopted { now, user, requires_authentication_at, ends_in, refresh_in } => {
            let status = CCloudStatus {
                state: ConnectedState::Success,
                requires_authentication_at: Some(requires_authentication_at),
                user: Some(user),
                errors: None,
            };
            let ends_at = now + ends_in;
            let session = Some(Schedule {
                ends_at,
                refresh_at: Some(now + refresh_in).filter(|at| *at < ends_at),
                check_at: now + timing.check_interval,
                failed_refreshes: 0,
            });
            let mut effects = if state.session.is_some() { vec![Effect::EndSession] } else { vec![] };
            effects.extend([Effect::KeepTokens, Effect::Wake, Effect::ReleaseListener]);
            (State { pending: None, waiting_error: false, session, status }, effects)
        }
        Event::SignInFailed { failure } => {
            let status = failed_sign_in(&failure.message, failure.transient);
            let effects = if state.session.is_some() { vec![Effect::EndSession] } else { vec![] };
            (State { session: None, status, ..state }, effects)
        }
        Event::OrganizationChanged if state.status.state == ConnectedState::Attempting => {
            (State { session: None, status: CCloudStatus::default(), ..state }, vec![Effect::EndSession])
        }
        Event::SignedOut => {
            let effects = vec![Effect::EndSession, Effect::Wake, Effect::ReleaseListener];
            (State { pending: None, session: None, status: CCloudStatus::default(), ..state }, effects)
        }
        event => match state.session {
            None => unchanged(state),
            Some(schedule) => session_step(state, schedule, event, timing),
        },
    }
}

/// The transitions of a signed-in session.
fn session_step(state: State, schedule: Schedule, event: Event, timing: &Timing) -> (State, Vec<Effect>) {
    let status = &state.status;
    let keep = |schedule: Schedule, status: CCloudStatus, effects: Vec<Effect>| {
        (State { session: Some(schedule), status, ..state.clone() }, effects)
    };
    match event {
        Event::Refreshed { now, result: Ok(user) } => {
            let status = CCloudStatus { user: Some(user), ..with_error(status, Phase::TokenRefresh, None) };
            keep(schedule.renewed(now, timing), status, vec![Effect::KeepTokens])
        }
        Event::Refreshed { now, result: Err(failure) }
            if failure.transient && schedule.failed_refreshes + 1 < MAX_FAILED_REFRESHES =>
        {
            let status = with_error(status, Phase::TokenRefresh, error(failure.message, true));
            keep(schedule.retry_refresh(now, timing), status, vec![])
        }
        Event::Refreshed { result: Err(failure), .. } => {
            let message = if failure.transient {
                format!(
                    "Refreshing the Confluent Cloud session failed {MAX_FAILED_REFRESHES} times in a row; sign in again (last error: {})",
                    failure.message
                )
            } else {
                failure.message
            };
            ended(&state, with_error(status, Phase::TokenRefresh, error(message, false)), ConnectedState::Failed)
        }
        Event::Checked { now, result } => {
            let schedule = schedule.checked(now, timing);
            match result {
                Ok(SessionCheck::Valid) => keep(schedule, with_error(status, Phase::AuthStatusCheck, None), vec![]),
                Ok(SessionCheck::Invalid(reason)) => ended(
                    &state,
                    with_error(status, Phase::AuthStatusCheck, error(reason, false)),
                    ConnectedState::Expired,
                ),
                Err(failure) if failure.transient => {
                    keep(schedule, with_error(status, Phase::AuthStatusCheck, error(failure.message, true)), vec![])
                }
                Err(failure) => ended(
                    &state,
                    with_error(status, Phase::AuthStatusCheck, error(failure.message, false)),
                    ConnectedState::Failed,
                ),
            }
        }
        Event::Switched { now, user } => {
            let status =
                CCloudStatus { state: ConnectedState::Success, user: Some(user), errors: None, ..status.clone() };
            keep(schedule.renewed(now, timing), status, vec![Effect::KeepTokens])
        }
        Event::SwitchOverruled { now } => keep(schedule.renewed(now, timing), status.clone(), vec![Effect::KeepTokens]),
        Event::LifetimeEnded => {
            (State { session: None, status: CCloudStatus::default(), ..state.clone() }, vec![Effect::EndSession])
        }
        // The sign-in events are handled by `step` whatever the session.
        _ => (state.clone(), vec![]),
    }
}

/// The session ends in `state` with `status`'s errors, and no longer names an end time.
fn ended(before: &State, status: CCloudStatus, state: ConnectedState) -> (State, Vec<Effect>) {
    let status = CCloudStatus { state, requires_authentication_at: None, ..status };
    (State { session: None, status, ..before.clone() }, vec![Effect::EndSession])
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::CCloudStep;
    use super::*;

    const TIMING: Timing = Timing {
        token_lifetime: Duration::from_secs(100),
        absolute_lifetime: Duration::from_secs(1000),
        check_interval: Duration::from_secs(30),
    };

    fn user() -> UserInfo {
        UserInfo { id: Some("u-1".into()), username: Some("alice@example.com".into()), ..Default::default() }
    }

    fn failure(transient: bool) -> CCloudError {
        CCloudError { step: CCloudStep::Token, message: "nope".into(), transient }
    }

    fn signed_in(now: Instant) -> State {
        let signed_out = State::default();
        let event = Event::SignedIn { now, user: user(), requires_authentication_at: "2030-01-01T00:00:00Z".into() };
        step(signed_out, event, &TIMING).0
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn signing_in_opens_a_session_on_its_schedule() {
        let now = Instant::now();
        let state = signed_in(now);
        assert_eq!(state.status.state, ConnectedState::Success);
        assert_eq!(state.status.requires_authentication_at.as_deref(), Some("2030-01-01T00:00:00Z"));
        assert_eq!(state.session, Some(Schedule::start(now, &TIMING)));
    }

    #[test]
    fn a_failed_sign_in_is_failed_with_a_sign_in_error() {
        let (state, effects) = step(State::default(), Event::SignInFailed { failure: failure(true) }, &TIMING);
        assert_eq!((state.session, state.status.state, effects), (None, ConnectedState::Failed, vec![]));
        assert!(state.status.errors.unwrap().sign_in.unwrap().is_transient);
    }

    #[test]
    fn a_refresh_renews_the_schedule_and_clears_the_refresh_error() {
        let now = Instant::now();
        let (state, _) =
            step(signed_in(now), Event::Refreshed { now: now + secs(80), result: Err(failure(true)) }, &TIMING);
        assert!(state.status.errors.is_some());
        let (state, effects) = step(state, Event::Refreshed { now: now + secs(110), result: Ok(user()) }, &TIMING);
        assert_eq!(effects, vec![Effect::KeepTokens]);
        assert_eq!(state.status.errors, None);
        let schedule = state.session.unwrap();
        assert_eq!((schedule.refresh_at, schedule.failed_refreshes), (Some(now + secs(190)), 0));
    }

    #[test]
    fn transient_refresh_failures_retry_until_the_limit_then_fail() {
        let now = Instant::now();
        let mut state = signed_in(now);
        for attempt in 1..MAX_FAILED_REFRESHES {
            let at = now + secs(80 + 30 * u64::from(attempt));
            let (next, effects) = step(state, Event::Refreshed { now: at, result: Err(failure(true)) }, &TIMING);
            assert_eq!(effects, vec![]);
            assert_eq!(next.status.state, ConnectedState::Success);
            let schedule = next.session.unwrap();
            assert_eq!((schedule.failed_refreshes, schedule.refresh_at), (attempt, Some(at + secs(30))));
            state = next;
        }
        let (state, effects) = step(state, Event::Refreshed { now, result: Err(failure(true)) }, &TIMING);
        assert_eq!((state.session, effects), (None, vec![Effect::EndSession]));
        assert_eq!((state.status.state, state.status.requires_authentication_at), (ConnectedState::Failed, None));
        let error = state.status.errors.unwrap().token_refresh.unwrap();
        assert!(!error.is_transient && error.message.contains("5 times in a row"), "{error:?}");
    }

    #[test]
    fn a_refused_refresh_token_fails_at_once() {
        let now = Instant::now();
        let (state, effects) = step(signed_in(now), Event::Refreshed { now, result: Err(failure(false)) }, &TIMING);
        assert_eq!((state.status.state, effects), (ConnectedState::Failed, vec![Effect::EndSession]));
        assert_eq!(state.status.errors.unwrap().token_refresh.unwrap().message, "nope");
    }

    #[test]
    fn check_results_keep_expire_or_fail_the_session() {
        let now = Instant::now();
        let at = now + secs(30);
        let (state, effects) = step(signed_in(now), Event::Checked { now: at, result: Err(failure(true)) }, &TIMING);
        assert_eq!((state.status.state, effects), (ConnectedState::Success, vec![]));
        assert_eq!(state.session.unwrap().check_at, at + secs(30));
        let (state, _) = step(state, Event::Checked { now: at, result: Ok(SessionCheck::Valid) }, &TIMING);
        assert_eq!(state.status.errors, None);
        let invalid = Ok(SessionCheck::Invalid("revoked".into()));
        let (expired, effects) = step(state.clone(), Event::Checked { now: at, result: invalid }, &TIMING);
        assert_eq!(
            (expired.session, expired.status.state, effects),
            (None, ConnectedState::Expired, vec![Effect::EndSession])
        );
        assert_eq!(expired.status.errors.unwrap().auth_status_check.unwrap().message, "revoked");
        let (failed, _) = step(state, Event::Checked { now: at, result: Err(failure(false)) }, &TIMING);
        assert_eq!((failed.session, failed.status.state), (None, ConnectedState::Failed));
    }

    #[test]
    fn the_end_of_the_lifetime_signs_out() {
        let (state, effects) = step(signed_in(Instant::now()), Event::LifetimeEnded, &TIMING);
        assert_eq!(state, State::default());
        assert_eq!(effects, vec![Effect::EndSession]);
    }

    #[test]
    fn an_organization_switch_renews_and_shows_the_new_user() {
        let now = Instant::now();
        let other = UserInfo { id: Some("u-2".into()), ..user() };
        let (state, effects) =
            step(signed_in(now), Event::Switched { now: now + secs(10), user: other.clone() }, &TIMING);
        assert_eq!((state.status.user, effects), (Some(other), vec![Effect::KeepTokens]));
        assert_eq!(state.session.unwrap().refresh_at, Some(now + secs(90)));
        let before = signed_in(now);
        let (state, _) = step(before.clone(), Event::SwitchOverruled { now: now + secs(10) }, &TIMING);
        assert_eq!(state.status, before.status);
    }

    #[test]
    fn a_sign_in_waits_then_times_out_with_a_transient_error() {
        let (state, effects) = step(State::default(), Event::SignInStarted { attempt: 7 }, &TIMING);
        assert_eq!((state.pending, effects), (Some(7), vec![]));
        let (same, effects) =
            step(state.clone(), Event::SignInTimedOut { attempt: 6, message: "late".into() }, &TIMING);
        assert_eq!((same, effects), (state.clone(), vec![]), "only the attempt it was started for ends");
        let (state, effects) = step(state, Event::SignInTimedOut { attempt: 7, message: "late".into() }, &TIMING);
        assert_eq!((state.pending, state.waiting_error, effects), (None, true, vec![Effect::ReleaseListener]));
        let error = state.status.errors.as_ref().unwrap().sign_in.clone().unwrap();
        assert!(error.is_transient && error.message == "late");
        // The next attempt that listens clears what waiting left.
        let (state, _) = step(state, Event::SignInStarted { attempt: 8 }, &TIMING);
        assert_eq!((state.status.errors, state.waiting_error), (None, false));
    }

    #[test]
    fn a_port_in_use_fails_a_new_sign_in_but_not_a_session() {
        let refused = CCloudError { step: CCloudStep::Listen, message: "port in use".into(), transient: true };
        let (state, _) = step(State::default(), Event::ListenFailed { failure: refused.clone() }, &TIMING);
        assert_eq!((state.status.state, state.waiting_error, state.pending), (ConnectedState::Failed, true, None));
        let (state, _) = step(state, Event::SignInStarted { attempt: 1 }, &TIMING);
        assert_eq!((state.status.state, state.status.errors), (ConnectedState::None, None));
        let (state, _) = step(signed_in(Instant::now()), Event::ListenFailed { failure: refused }, &TIMING);
        assert_eq!(state.status.state, ConnectedState::Success);
        assert!(state.status.errors.unwrap().sign_in.is_some());
    }

    #[test]
    fn a_callback_starts_the_exchange_or_fails_and_a_new_epoch_begins() {
        let pending = step(signed_in(Instant::now()), Event::SignInStarted { attempt: 3 }, &TIMING).0;
        let (state, effects) = step(pending.clone(), Event::Callback { code: Ok(()) }, &TIMING);
        assert_eq!((state.pending, state.session, state.status.state), (None, None, ConnectedState::Attempting));
        assert_eq!(effects, vec![Effect::EndSession, Effect::Wake, Effect::ReleaseListener]);
        let (state, _) = step(pending, Event::Callback { code: Err("access_denied".into()) }, &TIMING);
        assert_eq!(state.status.state, ConnectedState::Failed);
        assert_eq!(state.status.errors.unwrap().sign_in.unwrap().message, "access_denied");
    }

    #[test]
    fn another_organization_abandons_an_exchange_under_way_only() {
        let pending = step(State::default(), Event::SignInStarted { attempt: 1 }, &TIMING).0;
        let exchanging = step(pending, Event::Callback { code: Ok(()) }, &TIMING).0;
        let (state, effects) = step(exchanging, Event::OrganizationChanged, &TIMING);
        assert_eq!((state.status, effects), (CCloudStatus::default(), vec![Effect::EndSession]));
        let signed_in = signed_in(Instant::now());
        assert_eq!(step(signed_in.clone(), Event::OrganizationChanged, &TIMING), (signed_in, vec![]));
    }

    #[test]
    fn an_adopted_session_keeps_its_own_end_and_refresh_time_and_ends_a_pending_sign_in() {
        let now = Instant::now();
        let pending = step(State::default(), Event::SignInStarted { attempt: 2 }, &TIMING).0;
        let event = Event::Adopted {
            now,
            user: user(),
            requires_authentication_at: "2030-01-01T00:00:00Z".into(),
            ends_in: secs(500),
            refresh_in: secs(10),
        };
        let (state, effects) = step(pending, event.clone(), &TIMING);
        assert_eq!(effects, vec![Effect::KeepTokens, Effect::Wake, Effect::ReleaseListener]);
        assert_eq!((state.pending, state.status.state), (None, ConnectedState::Success));
        let schedule = state.session.unwrap();
        assert_eq!((schedule.ends_at, schedule.refresh_at), (now + secs(500), Some(now + secs(10))));
        let (_, effects) = step(state, event, &TIMING);
        assert_eq!(effects[0], Effect::EndSession, "another session replaces the one there was");
    }

    #[test]
    fn signing_out_ends_everything() {
        let pending = step(signed_in(Instant::now()), Event::SignInStarted { attempt: 3 }, &TIMING).0;
        let (state, effects) = step(pending, Event::SignedOut, &TIMING);
        assert_eq!(state, State::default());
        assert_eq!(effects, vec![Effect::EndSession, Effect::Wake, Effect::ReleaseListener]);
    }

    #[test]
    fn results_for_no_session_change_nothing() {
        let signed_out = State::default();
        for event in [
            Event::LifetimeEnded,
            Event::Refreshed { now: Instant::now(), result: Ok(user()) },
            Event::Checked { now: Instant::now(), result: Ok(SessionCheck::Valid) },
        ] {
            assert_eq!(step(signed_out.clone(), event, &TIMING), (signed_out.clone(), vec![]));
        }
    }
}

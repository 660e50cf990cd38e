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

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub session: Option<Schedule>,
    pub status: CCloudStatus,
}

/// What happened to a session; `now` is when its result came in.
#[derive(Clone, Debug)]
pub enum Event {
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
    /// The absolute lifetime is over.
    LifetimeEnded,
}

/// What the IO layer must do besides showing the new status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Keep the tokens the event brought (opening the session at sign-in).
    KeepTokens,
    /// Drop the session's tokens and move to a new epoch, so that results under way are dropped.
    EndSession,
}

/// One transition. An event about a session that is not there (a refresh result after the end)
/// changes nothing: the IO layer drops such results by epoch before they get here.
pub fn step(state: State, event: Event, timing: &Timing) -> (State, Vec<Effect>) {
    let State { session, status } = state;
    match (session, event) {
        (_, Event::SignedIn { now, user, requires_authentication_at }) => {
            let status = CCloudStatus {
                state: ConnectedState::Success,
                requires_authentication_at: Some(requires_authentication_at),
                user: Some(user),
                errors: None,
            };
            (State { session: Some(Schedule::start(now, timing)), status }, vec![Effect::KeepTokens])
        }
        (session, Event::SignInFailed { failure }) => {
            let status = failed_sign_in(&failure.message, failure.transient);
            let effects = if session.is_some() { vec![Effect::EndSession] } else { vec![] };
            (State { session: None, status }, effects)
        }
        (Some(schedule), Event::Refreshed { now, result: Ok(user) }) => {
            let status = CCloudStatus { user: Some(user), ..with_error(&status, Phase::TokenRefresh, None) };
            (State { session: Some(schedule.renewed(now, timing)), status }, vec![Effect::KeepTokens])
        }
        (Some(schedule), Event::Refreshed { now, result: Err(failure) })
            if failure.transient && schedule.failed_refreshes + 1 < MAX_FAILED_REFRESHES =>
        {
            let status = with_error(&status, Phase::TokenRefresh, error(failure.message, true));
            (State { session: Some(schedule.retry_refresh(now, timing)), status }, vec![])
        }
        (Some(_), Event::Refreshed { result: Err(failure), .. }) => {
            let message = if failure.transient {
                format!(
                    "Refreshing the Confluent Cloud session failed {MAX_FAILED_REFRESHES} times in a row; sign in again (last error: {})",
                    failure.message
                )
            } else {
                failure.message
            };
            ended(with_error(&status, Phase::TokenRefresh, error(message, false)), ConnectedState::Failed)
        }
        (Some(schedule), Event::Checked { now, result }) => {
            let schedule = schedule.checked(now, timing);
            match result {
                Ok(SessionCheck::Valid) => {
                    let status = with_error(&status, Phase::AuthStatusCheck, None);
                    (State { session: Some(schedule), status }, vec![])
                }
                Ok(SessionCheck::Invalid(reason)) => {
                    ended(with_error(&status, Phase::AuthStatusCheck, error(reason, false)), ConnectedState::Expired)
                }
                Err(failure) if failure.transient => {
                    let status = with_error(&status, Phase::AuthStatusCheck, error(failure.message, true));
                    (State { session: Some(schedule), status }, vec![])
                }
                Err(failure) => ended(
                    with_error(&status, Phase::AuthStatusCheck, error(failure.message, false)),
                    ConnectedState::Failed,
                ),
            }
        }
        (Some(schedule), Event::Switched { now, user }) => {
            let status = CCloudStatus { state: ConnectedState::Success, user: Some(user), errors: None, ..status };
            (State { session: Some(schedule.renewed(now, timing)), status }, vec![Effect::KeepTokens])
        }
        (Some(schedule), Event::SwitchOverruled { now }) => {
            (State { session: Some(schedule.renewed(now, timing)), status }, vec![Effect::KeepTokens])
        }
        (Some(_), Event::LifetimeEnded) => {
            (State { session: None, status: CCloudStatus::default() }, vec![Effect::EndSession])
        }
        (None, _) => (State { session: None, status }, vec![]),
    }
}

/// The session ends in `state` with `status`'s errors, and no longer names an end time.
fn ended(status: CCloudStatus, state: ConnectedState) -> (State, Vec<Effect>) {
    let status = CCloudStatus { state, requires_authentication_at: None, ..status };
    (State { session: None, status }, vec![Effect::EndSession])
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
        let signed_out = State { session: None, status: CCloudStatus::default() };
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
        let (state, effects) = step(
            State { session: None, status: CCloudStatus::default() },
            Event::SignInFailed { failure: failure(true) },
            &TIMING,
        );
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
        assert_eq!(state, State { session: None, status: CCloudStatus::default() });
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
    fn results_for_no_session_change_nothing() {
        let signed_out = State { session: None, status: CCloudStatus::default() };
        for event in [
            Event::LifetimeEnded,
            Event::Refreshed { now: Instant::now(), result: Ok(user()) },
            Event::Checked { now: Instant::now(), result: Ok(SessionCheck::Valid) },
        ] {
            assert_eq!(step(signed_out.clone(), event, &TIMING), (signed_out.clone(), vec![]));
        }
    }
}

//! The session's schedule: when to refresh the tokens, when to ask `check_jwt`, and when the
//! absolute lifetime ends. Pure arithmetic on instants, so it is tested without a clock.

use std::time::Duration;

use tokio::time::Instant;

/// The timing a session follows, from `initializationOptions.ccloud`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    pub token_lifetime: Duration,
    pub absolute_lifetime: Duration,
    /// How often `check_jwt` is asked, and how soon a failed refresh is tried again.
    pub check_interval: Duration,
}

/// A signed-in session's schedule and its count of failed refreshes. The tokens themselves stay
/// with the IO layer: the schedule holds no secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// The end of the absolute lifetime: then the user must sign in again.
    pub ends_at: Instant,
    /// When to refresh the tokens next; `None` when the session ends before that.
    pub refresh_at: Option<Instant>,
    /// When to ask `check_jwt` next.
    pub check_at: Instant,
    pub failed_refreshes: u32,
}

/// What falls due next in a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    End,
    Refresh,
    Check,
}

impl Schedule {
    /// The schedule of a session opened at `now`.
    pub fn start(now: Instant, timing: &Timing) -> Self {
        let ends_at = now + timing.absolute_lifetime;
        Self {
            ends_at,
            refresh_at: next_refresh(now, timing.token_lifetime, ends_at),
            check_at: now + timing.check_interval,
            failed_refreshes: 0,
        }
    }

    /// After new tokens came at `now`: the next refresh follows their lifetime.
    pub fn renewed(self, now: Instant, timing: &Timing) -> Self {
        Self { refresh_at: next_refresh(now, timing.token_lifetime, self.ends_at), failed_refreshes: 0, ..self }
    }

    /// After a refresh failed at `now` for a reason that may pass: try again after an interval.
    pub fn retry_refresh(self, now: Instant, timing: &Timing) -> Self {
        let refresh_at = Some(now + timing.check_interval).filter(|at| *at < self.ends_at);
        Self { refresh_at, failed_refreshes: self.failed_refreshes + 1, ..self }
    }

    /// After `check_jwt` answered at `now`.
    pub fn checked(self, now: Instant, timing: &Timing) -> Self {
        Self { check_at: now + timing.check_interval, ..self }
    }

    /// The next action and when it falls due; on a tie the end comes first, then a refresh.
    pub fn next(&self) -> (Instant, Action) {
        let mut next = (self.ends_at, Action::End);
        if let Some(refresh_at) = self.refresh_at.filter(|at| *at < next.0) {
            next = (refresh_at, Action::Refresh);
        }
        if self.check_at < next.0 {
            next = (self.check_at, Action::Check);
        }
        next
    }
}

/// Tokens are renewed when 80% of their lifetime has passed, leaving time for a retry or two.
fn next_refresh(now: Instant, token_lifetime: Duration, ends_at: Instant) -> Option<Instant> {
    let at = now + token_lifetime.mul_f64(0.8);
    (at < ends_at).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(token: u64, absolute: u64, interval: u64) -> Timing {
        Timing {
            token_lifetime: Duration::from_secs(token),
            absolute_lifetime: Duration::from_secs(absolute),
            check_interval: Duration::from_secs(interval),
        }
    }

    #[test]
    fn a_new_session_refreshes_at_80_percent_and_checks_after_an_interval() {
        let now = Instant::now();
        let schedule = Schedule::start(now, &timing(100, 1000, 30));
        assert_eq!(schedule.refresh_at, Some(now + Duration::from_secs(80)));
        assert_eq!(schedule.next(), (now + Duration::from_secs(30), Action::Check));
        let later = schedule.checked(now + Duration::from_secs(30), &timing(100, 1000, 30));
        assert_eq!(later.next(), (now + Duration::from_secs(60), Action::Check));
        assert_eq!(later.checked(now + Duration::from_secs(60), &timing(100, 1000, 30)).next().1, Action::Refresh);
    }

    #[test]
    fn no_refresh_is_planned_past_the_end_of_the_session() {
        let now = Instant::now();
        let schedule = Schedule::start(now, &timing(100, 50, 60));
        assert_eq!(schedule.refresh_at, None);
        assert_eq!(schedule.next(), (now + Duration::from_secs(50), Action::End));
        let retried = Schedule::start(now, &timing(10, 50, 60)).retry_refresh(now, &timing(10, 50, 60));
        assert_eq!((retried.refresh_at, retried.failed_refreshes), (None, 1));
    }
}

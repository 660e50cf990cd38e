//! Confluent Cloud sign-in in the core: each CCLOUD connection's authorization request, pending
//! sign-in and session (its tokens, kept as secrets), the transitions of `status.ccloud`, and the
//! session's schedule (refresh before the tokens expire, `check_jwt` every interval, the end of the
//! absolute lifetime). The IO (the loopback listener, the token endpoint and the control plane) is
//! behind the [`CCloud`] seam; `backends::ccloud` is the real one.
//!
//! Ordering follows the manager's rules: every change happens under the store lock, events are
//! queued under it, and IO runs outside it. A sign-in or session result carries the `epoch` of the
//! sign-in it belongs to; a sign-out, a new sign-in or the end of the session changes the epoch, so
//! a late result for an older one is dropped.

//!
//! The files, in reading order: `seam` (the [`CCloud`] trait and what crosses it), `machine` (the
//! session as a pure state machine, with `schedule` and `status`), this file (each connection's
//! sign-in state and the driver that performs the machine's effects), then the IO around it:
//! `callback` (sign-in, sign-out, the browser's redirect), `session` (refresh, `check_jwt`, the
//! end of the session) and `organization` (switching the session to another organization).

mod access;
mod callback;
pub mod date;
pub mod machine;
mod organization;
pub mod schedule;
mod seam;
mod session;
mod status;

use std::sync::Arc;
use std::time::Duration;

pub use access::CCloudAccess;
pub use machine::MAX_FAILED_REFRESHES;
use machine::{Effect, Event};
pub(super) use organization::{
    carry_over, keep_switched_tokens, organization_changed, organization_switch, switch_organization,
    OrganizationSwitch, Switched,
};
use schedule::{Schedule, Timing};
pub use seam::*;
pub(super) use session::{check_now, keep_session};

use super::shared_store::SessionMarker;
use super::{BoxFuture, Entry, Shared};
use crate::protocol::{CCloudStatus, EventAction};

/// One CCLOUD connection's sign-in state, next to its spec and status in the store.
pub(super) struct CCloudAuth {
    /// The request shown as `metadata.sign_in_uri`; replaced once a callback has used it.
    request: AuthorizationRequest,
    /// While a sign-in is pending (from `ccloud/signIn` until its callback or its time limit), the
    /// attempt's number: the time-limit timer ends only the attempt it was started for.
    pending: Option<u64>,
    session: Option<Session>,
    /// Changes when a sign-in starts and when a session ends; results for another epoch are dropped.
    epoch: u64,
    /// Held (across the IO) by whoever uses the refresh token: the token endpoint may rotate it,
    /// so a scheduled refresh and an organization switch must not present the same one.
    refreshing: Arc<tokio::sync::Mutex<()>>,
    /// Whether the `sign_in` error is about waiting for the browser (the port in use, the time
    /// limit) rather than an exchange: a new attempt that listens makes it stale, so it clears it.
    waiting_error: bool,
    /// With the shared store: the shared session this session is (`None`: not shared).
    pub(in crate::connections) shared: Option<SessionMarker>,
}

impl CCloudAuth {
    pub(super) fn new(request: AuthorizationRequest) -> Self {
        Self {
            request,
            pending: None,
            session: None,
            epoch: 0,
            refreshing: Arc::default(),
            waiting_error: false,
            shared: None,
        }
    }

    pub(super) fn sign_in_uri(&self) -> &str {
        &self.request.sign_in_uri
    }

    pub(in crate::connections) fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    pub(in crate::connections) fn session_mut(&mut self) -> Option<&mut Session> {
        self.session.as_mut()
    }
}

/// A signed-in session: its tokens (secrets) and its schedule, on the tokio clock.
pub(in crate::connections) struct Session {
    pub(in crate::connections) tokens: Tokens,
    pub(in crate::connections) schedule: Schedule,
}

/// The tokens of a session.
pub(in crate::connections) struct Tokens {
    pub(in crate::connections) refresh_token: SecretToken,
    pub(in crate::connections) control_plane: SecretToken,
    /// The data-plane calls' bearer token (Kafka REST and Schema Registry in Confluent Cloud), also
    /// shared through the store.
    pub(in crate::connections) data_plane: SecretToken,
    /// The session's organization, as Confluent Cloud reported it when the session opened.
    pub(in crate::connections) organization_id: Option<String>,
}

impl Tokens {
    /// Takes the tokens of a new control-plane session.
    fn renew(&mut self, signed_in: &SignedIn) {
        self.control_plane = signed_in.control_plane.clone();
        self.data_plane = signed_in.data_plane.clone();
        self.organization_id = signed_in.organization_id.clone();
    }
}

/// The tokens an event brings, for the machine's [`Effect::KeepTokens`].
pub(in crate::connections) enum Fresh {
    None,
    /// A sign-in's: the session opens with them (and is published to the shared store).
    Opened(Tokens),
    /// Another sidecar's session, from the shared store: it opens with them, not published again.
    Adopted(Tokens, SessionMarker),
    /// A refresh's or an organization switch's (the refresh token is updated as soon as it rotates).
    Renewed(SignedIn),
}

impl Shared {
    /// Sets `status.ccloud`, sending `CONNECTED` or `DISCONNECTED` when the status changed.
    fn set_ccloud(&self, id: &str, entry: &mut Entry, ccloud: CCloudStatus) {
        if entry.status.ccloud.as_ref() == Some(&ccloud) {
            return;
        }
        entry.status.ccloud = Some(ccloud);
        let action = if entry.status.any_success() { EventAction::Connected } else { EventAction::Disconnected };
        tracing::info!(connection = id, ?action, state = ?entry.status.ccloud.as_ref().map(|c| c.state), "ccloud status changed");
        self.changed(action, entry);
    }

    fn ccloud_timeout(&self) -> Duration {
        self.settings.check_timeout
    }

    fn ccloud_timing(&self) -> Timing {
        Timing {
            token_lifetime: self.settings.ccloud.token_lifetime,
            absolute_lifetime: self.settings.ccloud.absolute_lifetime,
            check_interval: self.settings.ccloud_interval,
        }
    }

    /// Feeds `event` to the machine of `entry`'s session and performs its effects, then shows the
    /// new status (sending `CONNECTED` or `DISCONNECTED` when it changed). Returns the effects
    /// left to the caller, which holds the store ([`Effect::ReleaseListener`]).
    pub(in crate::connections) fn drive(
        &self,
        id: &str,
        entry: &mut Entry,
        event: Event,
        fresh: Fresh,
        next_epoch: u64,
    ) -> Vec<Effect> {
        match self.advance(id, entry, event, fresh, next_epoch) {
            Some((status, left)) => {
                self.set_ccloud(id, entry, status);
                left
            }
            None => vec![],
        }
    }

    /// Feeds `event` to the machine of `entry`'s sign-in and performs the effects on the entry:
    /// `fresh` tokens are kept on [`Effect::KeepTokens`], the session ends (and `next_epoch`
    /// begins) on [`Effect::EndSession`], the task wakes on [`Effect::Wake`]. Returns the status to
    /// show and the effects left to the caller; `None` for a connection that is not CCLOUD.
    fn advance(
        &self,
        id: &str,
        entry: &mut Entry,
        event: Event,
        fresh: Fresh,
        next_epoch: u64,
    ) -> Option<(CCloudStatus, Vec<Effect>)> {
        let auth = entry.ccloud.as_mut()?;
        let state = machine::State {
            pending: auth.pending,
            waiting_error: auth.waiting_error,
            session: auth.session.as_ref().map(|session| session.schedule),
            status: entry.status.ccloud.clone().unwrap_or_default(),
        };
        let (next, effects) = machine::step(state, event, &self.ccloud_timing());
        auth.pending = next.pending;
        auth.waiting_error = next.waiting_error;
        let mut fresh = fresh;
        let mut left = Vec::new();
        for effect in effects {
            match effect {
                Effect::EndSession => {
                    auth.session = None;
                    auth.epoch = next_epoch;
                    if let Some(marker) = auth.shared.take() {
                        self.publish_session_ended(id, marker);
                    }
                    tracing::debug!(connection = id, state = ?next.status.state, "a new epoch begins");
                }
                Effect::KeepTokens => match (std::mem::replace(&mut fresh, Fresh::None), next.session) {
                    (Fresh::Opened(tokens), Some(schedule)) => {
                        auth.shared = self.publish_session_opened(id, &tokens, &next.status, schedule.ends_at);
                        auth.session = Some(Session { tokens, schedule });
                    }
                    (Fresh::Adopted(tokens, marker), Some(schedule)) => {
                        auth.shared = Some(marker);
                        auth.session = Some(Session { tokens, schedule });
                    }
                    (Fresh::Renewed(signed_in), _) => {
                        if let Some(session) = auth.session.as_mut() {
                            session.tokens.renew(&signed_in);
                        }
                    }
                    _ => {}
                },
                Effect::Wake => entry.wake.notify_one(),
                Effect::ReleaseListener => left.push(effect),
            }
        }
        if let (Some(session), Some(schedule)) = (auth.session.as_mut(), next.session) {
            session.schedule = schedule;
        }
        Some((next.status, left))
    }
}

/// Bounds a Confluent Cloud call by the check timeout.
async fn bounded<T>(
    future: BoxFuture<Result<T, CCloudError>>,
    timeout: Duration,
    step: CCloudStep,
) -> Result<T, CCloudError> {
    match tokio::time::timeout(timeout, future).await {
        Ok(result) => result,
        Err(_) => Err(CCloudError {
            step,
            message: format!(
                "Timed out after {} waiting for Confluent Cloud to answer: check the network connection",
                super::human_duration(timeout)
            ),
            transient: true,
        }),
    }
}

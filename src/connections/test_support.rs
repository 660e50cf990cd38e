//! The harness the manager's paused-clock tests share (`tests.rs` with scripted checks,
//! `ccloud_tests.rs` with a scripted Confluent Cloud): a manager wired to fakes, its events, and
//! waits that name what hung.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{self, error::TryRecvError};

use super::{CCloud, Checks, ConnectionManager, Settings};
use crate::protocol::ConnectionEvent;

/// Waits for `future` up to `wait` (virtual time under a paused clock), failing with what it waited for.
pub(super) async fn within<F: Future>(wait: Duration, what: &str, future: F) -> F::Output {
    match tokio::time::timeout(wait, future).await {
        Ok(output) => output,
        Err(_) => panic!("timed out after {wait:?} waiting for {what}"),
    }
}

/// Gives every ready task on the current-thread runtime a chance to run.
pub(super) async fn settle() {
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
}

/// The events the manager sends, read the way the tests need them.
pub(super) struct Events {
    receiver: mpsc::UnboundedReceiver<ConnectionEvent>,
    /// How long [`Events::next`] waits.
    wait: Duration,
}

impl Events {
    pub(super) async fn next(&mut self, what: &str) -> ConnectionEvent {
        within(self.wait, what, self.receiver.recv())
            .await
            .unwrap_or_else(|| panic!("event channel closed waiting for {what}"))
    }

    pub(super) fn try_recv(&mut self) -> Result<ConnectionEvent, TryRecvError> {
        self.receiver.try_recv()
    }

    /// Lets the background tasks run, then asserts that no event is waiting.
    pub(super) async fn assert_quiet(&mut self, why: &str) {
        settle().await;
        match self.receiver.try_recv() {
            Err(TryRecvError::Empty) => {}
            Ok(event) => panic!("no event expected ({why}), got {event:#?}"),
            Err(TryRecvError::Disconnected) => panic!("event channel closed ({why})"),
        }
    }
}

/// A manager wired to these fakes, and its events (each wait up to `wait`).
pub(super) fn manager(
    settings: Settings,
    checks: Arc<dyn Checks>,
    ccloud: Arc<dyn CCloud>,
    wait: Duration,
) -> (ConnectionManager, Events) {
    let (events_tx, receiver) = mpsc::unbounded_channel();
    (ConnectionManager::new(settings, checks, ccloud, events_tx), Events { receiver, wait })
}

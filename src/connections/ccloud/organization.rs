//! Switching a signed-in session to another organization when an update names one: the refresh
//! grant and the session exchange for the new organization run before the update is committed,
//! and their tokens are installed when it is (or kept when another update won the race).

use std::sync::Arc;

use tokio::time::Instant;

use super::super::{Entry, FieldError, ManagerError, Shared};
use super::machine::Event;
use super::session::renew_tokens;
use super::{CCloudStep, Fresh, SignedIn};
use crate::protocol::{CCloudStatus, ConnectionSpec};

/// An organization switch to run before an update is committed: the refresh grant and the
/// session exchange again, for the new organization.
pub(in crate::connections) struct OrganizationSwitch {
    organization_id: Option<String>,
    epoch: u64,
    refreshing: Arc<tokio::sync::Mutex<()>>,
}

/// The session an organization switch opened, to install when the update is committed. It holds
/// the refresh lock until then.
pub(in crate::connections) struct Switched {
    epoch: u64,
    signed_in: SignedIn,
    _refreshing: tokio::sync::OwnedMutexGuard<()>,
}

pub(super) fn organization(spec: &ConnectionSpec) -> Option<String> {
    spec.ccloud_config.as_ref().and_then(|config| config.organization_id.clone())
}

/// Whether an update from `old` to `new` names another organization (ids are UUIDs: any case).
pub(in crate::connections) fn organization_changed(old: &ConnectionSpec, new: &ConnectionSpec) -> bool {
    organization(old).map(|o| o.to_lowercase()) != organization(new).map(|o| o.to_lowercase())
}

/// The organization switch an update of a signed-in connection needs, if it names another one.
pub(in crate::connections) fn organization_switch(entry: &Entry, new: &ConnectionSpec) -> Option<OrganizationSwitch> {
    if !organization_changed(&entry.spec, new) {
        return None;
    }
    let auth = entry.ccloud.as_ref().filter(|auth| auth.session.is_some())?;
    Some(OrganizationSwitch {
        organization_id: organization(new),
        epoch: auth.epoch,
        refreshing: auth.refreshing.clone(),
    })
}

/// Opens a session in the new organization. An organization Confluent Cloud refuses is a
/// validation error on `ccloud_config.organization_id`; other failures refuse the update.
pub(in crate::connections) async fn switch_organization(
    shared: &Shared,
    id: &str,
    switch: OrganizationSwitch,
) -> Result<Switched, ManagerError> {
    let refreshing = switch.refreshing.lock_owned().await;
    let organization = switch.organization_id.clone().unwrap_or_else(|| "the default organization".to_string());
    match renew_tokens(shared, id, switch.epoch, Some(switch.organization_id)).await {
        // Signed out meanwhile: the update no longer needs a switch.
        None => Err(ManagerError::Conflict(id.to_string())),
        Some(Ok(signed_in)) => Ok(Switched { epoch: switch.epoch, signed_in, _refreshing: refreshing }),
        Some(Err(failure)) if failure.step == CCloudStep::Session && !failure.transient => {
            Err(ManagerError::Invalid(vec![FieldError {
                source: "ccloud_config.organization_id".into(),
                detail: format!("Confluent Cloud refused organization '{organization}': {}", failure.message),
            }]))
        }
        Some(Err(failure)) => Err(ManagerError::SignIn(format!(
            "Could not switch the Confluent Cloud session to organization '{organization}': {}",
            failure.message
        ))),
    }
}

/// Under the lock, when an update is committed: keeps the connection's sign-in state across the
/// update and installs the tokens of an organization switch. An organization change while a
/// sign-in exchange runs abandons that sign-in (its result would be for the old organization).
pub(in crate::connections) fn carry_over(
    shared: &Shared,
    id: &str,
    entry: &mut Entry,
    previous: Option<CCloudStatus>,
    organization_changed: bool,
    switched: Option<Switched>,
    next_epoch: u64,
) {
    let Some(epoch) = entry.ccloud.as_ref().map(|auth| auth.epoch) else { return };
    entry.status.ccloud = Some(previous.unwrap_or_default());
    let (event, fresh) = match switched {
        Some(switched) if switched.epoch == epoch => {
            tracing::info!(connection = id, "the session now uses the new organization");
            let event = Event::Switched { now: Instant::now(), user: switched.signed_in.user.clone() };
            (event, Fresh::Renewed(switched.signed_in))
        }
        _ if organization_changed => (Event::OrganizationChanged, Fresh::None),
        _ => return,
    };
    // No event of its own: the update sends `UPDATED` with the status as it is now.
    if let Some((status, _)) = shared.advance(id, entry, event, fresh, next_epoch) {
        entry.status.ccloud = Some(status);
    }
}

/// Installs the tokens of an organization switch whose update lost to a concurrent one: the
/// refresh grant may have rotated the refresh token, so the old tokens may no longer work.
pub(in crate::connections) fn keep_switched_tokens(
    shared: &Shared,
    id: &str,
    entry: &mut Entry,
    switched: Switched,
    next_epoch: u64,
) {
    if entry.ccloud.as_ref().is_some_and(|auth| auth.epoch == switched.epoch) {
        let event = Event::SwitchOverruled { now: Instant::now() };
        // The status stays as it is: the update that won shows its own.
        let _ = shared.advance(id, entry, event, Fresh::Renewed(switched.signed_in), next_epoch);
    }
}

//! What a Confluent Cloud request (`ccloud/resources`, the data plane on CCLOUD clusters) needs of a CCLOUD connection: its session's
//! token and organization, or why it has none, in the words of the connection's status.

use std::time::Duration;

use super::super::{ConnectionManager, ManagerError};
use super::SecretToken;
use crate::protocol::{CCloudStatus, ConnectedState, ConnectionType};

/// A signed-in session, as a request on it sees it.
#[derive(Clone, Debug)]
pub struct CCloudAccess {
    pub control_plane: SecretToken,
    /// The data-plane token: the bearer of Kafka REST and Schema Registry calls.
    pub data_plane: SecretToken,
    /// The session's organization as Confluent Cloud reported it, else the one the spec names.
    pub organization_id: Option<String>,
    /// Changes when the connection's spec changes or another session begins: what answers cached
    /// for this session are kept under.
    pub session: (u64, u64),
    /// How long a request may take unless it says otherwise.
    pub check_timeout: Duration,
}

impl ConnectionManager {
    /// The session of a CCLOUD connection, or why it has none ([`ManagerError::SignedOut`], in the
    /// words of its status; [`ManagerError::NotCCloud`] for another type).
    pub fn ccloud_access(&self, id: &str) -> Result<CCloudAccess, ManagerError> {
        let store = self.shared.lock();
        let entry = store.entries.get(id).ok_or_else(|| ManagerError::NotFound(id.to_string()))?;
        let Some(auth) = entry.ccloud.as_ref() else {
            let kind = entry.spec.connection_type.map_or("without a type", ConnectionType::as_str);
            return Err(ManagerError::NotCCloud(format!(
                "Connection '{id}' is {kind}: only CCLOUD connections have Confluent Cloud resources"
            )));
        };
        match &auth.session {
            Some(session) => Ok(CCloudAccess {
                control_plane: session.tokens.control_plane.clone(),
                data_plane: session.tokens.data_plane.clone(),
                organization_id: session
                    .tokens
                    .organization_id
                    .clone()
                    .or_else(|| super::organization::organization(&entry.spec)),
                session: (entry.generation, auth.epoch),
                check_timeout: self.shared.settings.check_timeout,
            }),
            None => Err(ManagerError::SignedOut(signed_out(id, &entry.status.ccloud.clone().unwrap_or_default()))),
        }
    }
}

/// Why a connection without a session has none, as its status says it, and what to do.
fn signed_out(id: &str, status: &CCloudStatus) -> String {
    let errors = status.errors.clone().unwrap_or_default();
    let said = [errors.auth_status_check, errors.token_refresh, errors.sign_in]
        .into_iter()
        .flatten()
        .next()
        .map(|error| error.message);
    let again = |message: String| {
        if message.contains("sign in again") {
            message
        } else {
            format!("{message}: sign in again with ccloud/signIn")
        }
    };
    match (status.state, said) {
        (ConnectedState::Attempting, _) => {
            format!("Connection '{id}' is signing in to Confluent Cloud: try again once the sign-in completes")
        }
        (ConnectedState::Expired, Some(said)) => {
            again(format!("The Confluent Cloud session of connection '{id}' has expired ({said})"))
        }
        (ConnectedState::Expired, None) => {
            again(format!("The Confluent Cloud session of connection '{id}' has expired"))
        }
        (ConnectedState::Failed, Some(said)) => {
            again(format!("Connection '{id}' is not signed in to Confluent Cloud; the last attempt failed ({said})"))
        }
        _ => format!("Connection '{id}' is not signed in to Confluent Cloud: sign in with ccloud/signIn"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{AuthError, AuthErrors};

    fn status(state: ConnectedState, check: Option<&str>) -> CCloudStatus {
        let errors = check.map(|message| AuthErrors {
            auth_status_check: Some(AuthError { message: message.into(), is_transient: false }),
            ..Default::default()
        });
        CCloudStatus { state, errors, ..Default::default() }
    }

    #[test]
    fn each_state_says_what_to_do() {
        let none = signed_out("c", &status(ConnectedState::None, None));
        assert_eq!(none, "Connection 'c' is not signed in to Confluent Cloud: sign in with ccloud/signIn");
        let expired = signed_out("c", &status(ConnectedState::Expired, Some("revoked: sign in again")));
        assert_eq!(expired, "The Confluent Cloud session of connection 'c' has expired (revoked: sign in again)");
        let failed = signed_out("c", &status(ConnectedState::Failed, Some("refused")));
        assert!(failed.contains("(refused): sign in again with ccloud/signIn"), "{failed}");
        assert!(signed_out("c", &status(ConnectedState::Attempting, None)).contains("try again once"));
    }
}

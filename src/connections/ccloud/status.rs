//! Building `status.ccloud` values: one error phase changed at a time, `errors` absent when empty.

use crate::protocol::{AuthError, AuthErrors, CCloudStatus, ConnectedState};

pub fn error(message: impl Into<String>, transient: bool) -> Option<AuthError> {
    Some(AuthError { message: message.into(), is_transient: transient })
}

/// `None` when no phase has an error, so that `errors` is absent rather than empty.
fn errors_or_none(errors: AuthErrors) -> Option<AuthErrors> {
    (errors != AuthErrors::default()).then_some(errors)
}

/// Which error of `status.ccloud.errors` a change is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    SignIn,
    TokenRefresh,
    AuthStatusCheck,
}

impl Phase {
    fn of(self, errors: &mut AuthErrors) -> &mut Option<AuthError> {
        match self {
            Phase::SignIn => &mut errors.sign_in,
            Phase::TokenRefresh => &mut errors.token_refresh,
            Phase::AuthStatusCheck => &mut errors.auth_status_check,
        }
    }
}

/// Changes one error phase of a status, leaving the others.
pub fn with_error(status: &CCloudStatus, phase: Phase, value: Option<AuthError>) -> CCloudStatus {
    let mut errors = status.errors.clone().unwrap_or_default();
    *phase.of(&mut errors) = value;
    CCloudStatus { errors: errors_or_none(errors), ..status.clone() }
}

/// A sign-in that failed: `FAILED` with only the sign-in error.
pub fn failed_sign_in(message: &str, transient: bool) -> CCloudStatus {
    CCloudStatus {
        state: ConnectedState::Failed,
        errors: Some(AuthErrors { sign_in: error(message, transient), ..Default::default() }),
        ..Default::default()
    }
}

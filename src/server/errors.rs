//! The one place where failures become JSON-RPC errors with stable codes.

use tower_lsp_server::jsonrpc::{Error, ErrorCode};

use crate::connections::ManagerError;
use crate::protocol::errors::{
    CCLOUD_SIGN_IN_FAILED, CONNECTION_ALREADY_EXISTS, CONNECTION_NOT_FOUND, INVALID_PARAMS, NOT_A_CCLOUD_CONNECTION,
};
use crate::protocol::{ErrorData, ErrorDetail};

/// -32602 with `data.errors` listing each problem with its JSON path.
pub fn invalid_params(errors: Vec<ErrorDetail>) -> Error {
    let message = match errors.as_slice() {
        [only] if only.source.is_empty() => format!("Invalid params: {}", only.detail),
        [only] => format!("Invalid params: {}: {}", only.source, only.detail),
        many => format!("Invalid params: {} problems", many.len()),
    };
    Error {
        code: ErrorCode::from(INVALID_PARAMS),
        message: message.into(),
        data: serde_json::to_value(ErrorData { errors }).ok(),
    }
}

impl From<ManagerError> for Error {
    fn from(error: ManagerError) -> Self {
        let message = error.to_string();
        match error {
            ManagerError::NotFound(_) => server_error(CONNECTION_NOT_FOUND, message),
            ManagerError::AlreadyExists(_) => server_error(CONNECTION_ALREADY_EXISTS, message),
            ManagerError::Invalid(problems) => invalid_params(
                problems.into_iter().map(|p| ErrorDetail { source: p.source, detail: p.detail }).collect(),
            ),
            ManagerError::Conflict(_) => server_error(crate::protocol::errors::CONNECTION_CONFLICT, message),
            ManagerError::NotCCloud(_) => server_error(NOT_A_CCLOUD_CONNECTION, message),
            ManagerError::SignIn(_) => server_error(CCLOUD_SIGN_IN_FAILED, message),
        }
    }
}

fn server_error(code: i64, message: String) -> Error {
    Error { code: ErrorCode::ServerError(code), message: message.into(), data: None }
}

//! The one place where failures become JSON-RPC errors with stable codes.

use serde_json::Value;
use tower_lsp_server::jsonrpc::{self, Error};

use crate::backends::ccloud::resources::ResourcesError;
use crate::backends::ccloud::rest::{RestError, RestFailure};
use crate::backends::kafka::data::{KafkaDataError, Refusal};
use crate::backends::schemas::registry::{explain_status, RegistryError};
use crate::connections::ManagerError;
use crate::protocol::kafka::RefusalData;
use crate::protocol::schemas::RegistryRefusalData;
use crate::protocol::{ErrorCode, ErrorData, ErrorDetail};

impl From<ErrorCode> for jsonrpc::ErrorCode {
    fn from(code: ErrorCode) -> Self {
        jsonrpc::ErrorCode::from(code.code())
    }
}

/// -32602 with `data.errors` listing each problem with its JSON path.
pub fn invalid_params(errors: Vec<ErrorDetail>) -> Error {
    let message = match errors.as_slice() {
        [only] if only.source.is_empty() => format!("Invalid params: {}", only.detail),
        [only] => format!("Invalid params: {}: {}", only.source, only.detail),
        many => format!("Invalid params: {} problems", many.len()),
    };
    Error {
        code: ErrorCode::InvalidParams.into(),
        message: message.into(),
        data: serde_json::to_value(ErrorData { errors }).ok(),
    }
}

/// -32603 for a handler that panicked, naming the method in `data`.
pub(super) fn handler_panicked(method: &str) -> Error {
    Error {
        code: ErrorCode::InternalError.into(),
        message: format!("The sidecar failed while handling {method}: this is a bug; the session goes on").into(),
        data: Some(Value::from(method)),
    }
}

/// -32002, for a request that reached a handler before `initialize` (tower-lsp refuses them earlier).
pub(super) fn not_initialized() -> Error {
    error(ErrorCode::NotInitialized, "The server is not initialized".into())
}

impl From<ManagerError> for Error {
    fn from(failure: ManagerError) -> Self {
        let message = failure.to_string();
        match failure {
            ManagerError::NotFound(_) => error(ErrorCode::ConnectionNotFound, message),
            ManagerError::AlreadyExists(_) => error(ErrorCode::ConnectionExists, message),
            ManagerError::Invalid(problems) => invalid_params(
                problems.into_iter().map(|p| ErrorDetail { source: p.source, detail: p.detail }).collect(),
            ),
            ManagerError::Conflict(_) => error(ErrorCode::PatchConflict, message),
            ManagerError::NotCCloud(_) => error(ErrorCode::NotCcloud, message),
            ManagerError::SignIn(_) => error(ErrorCode::CcloudSignInFailed, message),
            ManagerError::SignedOut(_) => error(ErrorCode::CcloudSignedOut, message),
        }
    }
}

pub(super) fn error(code: ErrorCode, message: String) -> Error {
    Error { code: code.into(), message: message.into(), data: None }
}

impl From<KafkaDataError> for Error {
    fn from(failure: KafkaDataError) -> Self {
        match failure {
            KafkaDataError::Unavailable(message) => error(ErrorCode::KafkaUnavailable, message),
            KafkaDataError::Refused { kind, message, error: refusal, operation } => {
                let code = match kind {
                    Refusal::TopicNotFound => ErrorCode::TopicNotFound,
                    Refusal::TopicExists => ErrorCode::TopicExists,
                    Refusal::GroupNotFound => ErrorCode::GroupNotFound,
                    Refusal::GroupNotEmpty => ErrorCode::GroupNotEmpty,
                    Refusal::Denied => ErrorCode::KafkaDenied,
                    Refusal::Invalid => ErrorCode::KafkaInvalid,
                    Refusal::Unsupported => ErrorCode::NotSupported,
                    Refusal::Other => ErrorCode::KafkaRefused,
                };
                let data = RefusalData {
                    error: refusal.name,
                    message: Some(refusal.message).filter(|message| !message.is_empty()),
                    operation: operation.to_string(),
                };
                Error { code: code.into(), message: message.into(), data: serde_json::to_value(data).ok() }
            }
        }
    }
}

impl From<ResourcesError> for Error {
    fn from(failure: ResourcesError) -> Self {
        let code = match &failure {
            ResourcesError::SignedOut(_) => ErrorCode::CcloudSignedOut,
            ResourcesError::Refused(_) => ErrorCode::CcloudRefused,
            ResourcesError::Unavailable(_) => ErrorCode::CcloudUnavailable,
        };
        error(code, failure.to_string())
    }
}

/// A failed Kafka REST v3 call on a Confluent Cloud cluster: a code per kind (the Kafka refusals keep
/// their native codes), and REST's own `{error_code, message}` in `data` as the native path's Kafka errors.
impl From<RestError> for Error {
    fn from(failure: RestError) -> Self {
        let code = match failure.failure {
            RestFailure::SignedOut => ErrorCode::CcloudSignedOut,
            RestFailure::Refused => ErrorCode::CcloudRefused,
            RestFailure::Unavailable => ErrorCode::CcloudUnavailable,
            RestFailure::TopicNotFound => ErrorCode::TopicNotFound,
            RestFailure::TopicExists => ErrorCode::TopicExists,
            RestFailure::GroupNotFound => ErrorCode::GroupNotFound,
            RestFailure::Invalid => ErrorCode::KafkaInvalid,
            RestFailure::Other => ErrorCode::KafkaRefused,
        };
        let data = failure.error_code.map(|error_code| RefusalData {
            error: error_code.to_string(),
            message: failure.said.clone(),
            operation: failure.call.clone(),
        });
        Error {
            code: code.into(),
            message: failure.message.into(),
            data: data.and_then(|data| serde_json::to_value(data).ok()),
        }
    }
}

/// A failed Schema Registry call of `operation`: unreachable (or HTTP 5xx) as the status says it, a
/// refusal with a code per kind, each refusal with the registry's own error code and message in `data`.
pub(super) fn registry_refusal(failure: RegistryError, operation: &'static str) -> Error {
    let (base, status, error_code, registry_message) = match failure {
        RegistryError::Unreachable { message, .. } => return error(ErrorCode::SchemaRegistryUnavailable, message),
        RegistryError::Refused { base, status, error_code, message } => (base, status, error_code, message),
    };
    let said = registry_message.trim_end_matches('.');
    let (code, message) = match (error_code, status) {
        (40401, _) => (ErrorCode::SubjectNotFound, format!("{said}: check the name; schemas/subjects/list lists the subjects")),
        (40402, _) => {
            (ErrorCode::VersionNotFound, format!("{said}: schemas/versions/list lists the subject's versions"))
        }
        (40403, _) => (ErrorCode::SchemaNotFound, format!("{said}: check the id or subject, or register the schema first")),
        (_, 409) => (
            ErrorCode::IncompatibleSchema,
            "The schema is incompatible with the subject's earlier versions under its compatibility level: data.message says why; change the schema, or the level with schemas/config/set".to_string(),
        ),
        (42201, _) | (422, 422) => (
            ErrorCode::InvalidSchema,
            format!("The Schema Registry refused the schema as invalid ({said}): fix the schema text, its schema_type or its references"),
        ),
        (_, 500..=599) => {
            let (words, _) = explain_status(&base, status).unwrap_or_default();
            (ErrorCode::SchemaRegistryUnavailable, words)
        }
        _ => match explain_status(&base, status) {
            Some((words, _)) => (ErrorCode::RegistryRefused, words),
            None => (ErrorCode::RegistryRefused, format!("The Schema Registry refused {operation}: {said}")),
        },
    };
    let data = RegistryRefusalData { error_code, message: registry_message, status, operation: operation.to_string() };
    Error { code: code.into(), message: message.into(), data: serde_json::to_value(data).ok() }
}

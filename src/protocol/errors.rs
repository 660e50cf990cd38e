//! JSON-RPC error codes: the stable numbers clients match on.

/// Standard JSON-RPC codes.
pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
/// A handler failed (a bug); `data` names the method.
pub const INTERNAL_ERROR: i64 = -32603;
/// LSP: the request was cancelled by `$/cancelRequest`.
pub const REQUEST_CANCELLED: i64 = -32800;
/// LSP: a request arrived before `initialize`.
pub const SERVER_NOT_INITIALIZED: i64 = -32002;

/// No connection has the given id.
pub const CONNECTION_NOT_FOUND: i64 = -32010;
/// `connections/create` with an id that is already taken.
pub const CONNECTION_ALREADY_EXISTS: i64 = -32011;
/// A read-modify-write request (a merge patch) kept losing to concurrent updates.
pub const CONNECTION_CONFLICT: i64 = -32012;
/// A Confluent Cloud sign-in could not start or an organization switch could not complete: the
/// callback port is in use, or Confluent Cloud could not be reached.
pub const CCLOUD_SIGN_IN_FAILED: i64 = -32020;
/// `ccloud/signIn` or `ccloud/signOut` on a connection whose type is not CCLOUD.
pub const NOT_A_CCLOUD_CONNECTION: i64 = -32021;

/// Every code with its meaning, for the docs and the `initialize` capabilities.
pub const ALL: &[(i64, &str)] = &[
    (PARSE_ERROR, "parse error: the frame's body is not JSON"),
    (INVALID_REQUEST, "invalid request: JSON, but not a JSON-RPC request"),
    (METHOD_NOT_FOUND, "unknown method"),
    (INVALID_PARAMS, "invalid params: malformed params or a validation failure; data.errors lists each problem"),
    (INTERNAL_ERROR, "internal error: the handler failed; data names the method"),
    (REQUEST_CANCELLED, "the request was cancelled by $/cancelRequest"),
    (SERVER_NOT_INITIALIZED, "a request arrived before initialize"),
    (CONNECTION_NOT_FOUND, "connection not found"),
    (CONNECTION_ALREADY_EXISTS, "a connection with this id already exists"),
    (CONNECTION_CONFLICT, "the connection kept changing while a patch was applied; try again"),
    (
        CCLOUD_SIGN_IN_FAILED,
        "Confluent Cloud sign-in could not start (the callback port is in use) or an organization switch failed",
    ),
    (NOT_A_CCLOUD_CONNECTION, "the connection is not a CCLOUD connection"),
];

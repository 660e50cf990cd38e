//! JSON-RPC error codes: the stable numbers clients match on, each declared once with its name and meaning.

/// Declares [`ErrorCode`] from one row per code: `Variant = number, "camelCaseName", "meaning";`.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $name:literal, $meaning:literal;)*) => {
        /// A JSON-RPC error code of the protocol.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The number on the wire.
            pub const fn code(self) -> i64 {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The name the editors' tables use, such as `connectionNotFound`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                }
            }

            /// What the code means, for the docs and the `initialize` capabilities.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $meaning,)*
                }
            }
        }
    };
}

error_codes! {
    /// JSON-RPC: the frame's body is not JSON, or the frame is malformed.
    ParseError = -32700, "parseError", "parse error: the frame's body is not JSON";
    /// JSON-RPC: JSON, but not a JSON-RPC request (or a batch, or a body over 16 MiB).
    InvalidRequest = -32600, "invalidRequest", "invalid request: JSON, but not a JSON-RPC request";
    /// JSON-RPC: no such method.
    MethodNotFound = -32601, "methodNotFound", "unknown method";
    /// JSON-RPC: malformed params or a validation failure; `data.errors` lists each problem.
    InvalidParams = -32602, "invalidParams",
        "invalid params: malformed params or a validation failure; data.errors lists each problem";
    /// JSON-RPC: a handler failed (a bug); `data` names the method.
    InternalError = -32603, "internalError", "internal error: the handler failed; data names the method";
    /// LSP: the request was cancelled by `$/cancelRequest`.
    RequestCancelled = -32800, "requestCancelled", "the request was cancelled by $/cancelRequest";
    /// LSP: a request arrived before `initialize`.
    NotInitialized = -32002, "notInitialized", "a request arrived before initialize";
    /// No connection has the given id.
    ConnectionNotFound = -32010, "connectionNotFound", "connection not found";
    /// `connections/create` with an id that is already taken.
    ConnectionExists = -32011, "connectionExists", "a connection with this id already exists";
    /// A read-modify-write request (a merge patch, an organization switch) kept losing to concurrent updates.
    PatchConflict = -32012, "patchConflict", "the connection kept changing while a patch was applied; try again";
    /// A Confluent Cloud sign-in could not start or an organization switch could not complete: the
    /// callback port is in use, or Confluent Cloud could not be reached.
    CcloudSignInFailed = -32020, "ccloudSignInFailed",
        "Confluent Cloud sign-in could not start (the callback port is in use) or an organization switch failed";
    /// `ccloud/signIn` or `ccloud/signOut` on a connection whose type is not CCLOUD.
    NotCcloud = -32021, "notCcloud", "the connection is not a CCLOUD connection";
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn names_are_the_variants_in_camel_case_and_codes_are_unique() {
        let mut codes = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let variant = format!("{code:?}");
            let camel = variant[..1].to_ascii_lowercase() + &variant[1..];
            assert_eq!(code.name(), camel);
            assert!(codes.insert(code.code()), "{} is used twice", code.code());
            assert!(!code.meaning().is_empty());
        }
    }
}

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
    /// A Confluent Cloud request on a CCLOUD connection that is not signed in, whose session expired or
    /// failed, or whose token Confluent Cloud refused (HTTP 401); the message says why, as the status does.
    CcloudSignedOut = -32022, "ccloudSignedOut",
        "the CCLOUD connection is not signed in, or its session expired or was refused; sign in with ccloud/signIn";
    /// Confluent Cloud refused a request of a signed-in session: HTTP 403 (no permission), 429 (too many
    /// requests, after honouring `Retry-After` once) or another 4xx.
    CcloudRefused = -32023, "ccloudRefused",
        "Confluent Cloud refused the request (permission denied, too many requests); the message says why";
    /// Confluent Cloud could not be read: unreachable, timed out, HTTP 5xx, an answer that is not what
    /// its API documents, or paging that does not end.
    CcloudUnavailable = -32024, "ccloudUnavailable",
        "Confluent Cloud could not be read (unreachable, HTTP 5xx, a malformed answer, endless paging); the message says why";
    /// A data-plane request could not reach the connection's Kafka cluster; the message says why in the
    /// words of the connection's status.
    KafkaUnavailable = -32030, "kafkaUnavailable",
        "the Kafka cluster could not be reached; the message says why, as the connection's status does";
    /// A `kafka/*` request on a connection that has no Kafka cluster.
    NoKafkaCluster = -32031, "noKafkaCluster", "the connection has no Kafka cluster";
    /// Not supported for this connection (on CCLOUD clusters: offset resets) or by this cluster.
    NotSupported = -32032, "notSupported", "not supported for this connection or by this cluster";
    /// Kafka: no such topic.
    TopicNotFound = -32033, "topicNotFound", "Kafka: the topic does not exist";
    /// Kafka: a topic with that name exists.
    TopicExists = -32034, "topicExists", "Kafka: a topic with this name already exists";
    /// Kafka: no such consumer group.
    GroupNotFound = -32035, "groupNotFound", "Kafka: the consumer group does not exist";
    /// Kafka: the consumer group has active members, so its offsets cannot be changed.
    GroupNotEmpty = -32036, "groupNotEmpty", "Kafka: the consumer group has active members";
    /// Kafka refused the operation to these credentials; `data.operation` names it.
    KafkaDenied = -32037, "kafkaDenied", "Kafka: authorization denied; data names the operation";
    /// Kafka refused the request as invalid (partition count, replication factor, config name or value).
    KafkaInvalid = -32038, "kafkaInvalid",
        "Kafka: the request is invalid (partition count, replication factor, config); data has Kafka's error";
    /// Any other refusal by Kafka; `data` carries Kafka's error name and message.
    KafkaRefused = -32039, "kafkaRefused", "Kafka refused the request; data has Kafka's error name and message";
    /// `kafka/lag/unwatch` with an id no watch has (it ended, or never existed).
    WatchNotFound = -32040, "watchNotFound", "no lag watch has this id";
    /// `kafka/records/untail` with an id no tail has (it ended, or never existed).
    TailNotFound = -32041, "tailNotFound", "no tail has this subscription id";
    /// A session may run at most 16 tails at once.
    TooManyTails = -32042, "tooManyTails", "this session already runs the most tails it may (16); untail one first";
    /// A `schemas/*` request on a connection that has no Schema Registry.
    NoSchemaRegistry = -32050, "noSchemaRegistry", "the connection has no Schema Registry";
    /// A data-plane request could not reach the connection's Schema Registry (or it answered HTTP 5xx);
    /// the message says why in the words of the connection's status.
    SchemaRegistryUnavailable = -32051, "schemaRegistryUnavailable",
        "the Schema Registry could not be reached; the message says why, as the connection's status does";
    /// Schema Registry 40401: no such subject.
    SubjectNotFound = -32052, "subjectNotFound", "Schema Registry: the subject does not exist (40401)";
    /// Schema Registry 40402: the subject has no such version.
    VersionNotFound = -32053, "versionNotFound", "Schema Registry: the subject has no such version (40402)";
    /// Schema Registry 40403: no such schema (by id, or under the subject).
    SchemaNotFound = -32054, "schemaNotFound", "Schema Registry: the schema does not exist (40403)";
    /// Schema Registry 409: the schema breaks the subject's compatibility level.
    IncompatibleSchema = -32055, "incompatibleSchema",
        "Schema Registry: the schema is incompatible with the subject's earlier versions (409)";
    /// Schema Registry 42201 (or 422): the schema, its type or its references are invalid.
    InvalidSchema = -32056, "invalidSchema", "Schema Registry: the schema is invalid (42201)";
    /// Any other refusal by the Schema Registry (401, 403, 40405 ...); `data` has its error code and message.
    RegistryRefused = -32057, "registryRefused",
        "the Schema Registry refused the request; data has its error_code, message and HTTP status";
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

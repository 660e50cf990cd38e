//! Every method and notification of the protocol, each declared once: its name on the wire, its params
//! and its result. The server's dispatch, the `initialize` capabilities, `schema/` (file names included)
//! and `schema/protocol.json`, from which the editors' tables are generated, all come from here.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::ccloud::*;
use super::errors::ErrorCode;
use super::kafka::*;
use super::messages::*;
use super::records::*;
use super::schemas::*;
use super::{render, PROTOCOL_VERSION};

/// A request the sidecar answers.
pub trait Method {
    /// The name on the wire, such as `connections/list`.
    const NAME: &'static str;
    /// The name of the method's row in the table, such as `ListConnections`: the editors' tables name the
    /// method after it (`listConnections`), since the wire names' last parts repeat (`connections/list`,
    /// `kafka/topics/list`).
    const ROW: &'static str;
    type Params: DeserializeOwned + JsonSchema + Send + 'static;
    type Result: MethodResult;
}

/// A notification the sidecar sends.
pub trait Notification {
    /// The name on the wire, such as `connections/event`.
    const NAME: &'static str;
    /// The name of the notification's row, such as `ConnectionsEvent` (see [`Method::ROW`]).
    const ROW: &'static str;
    type Params: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static;
}

/// A method's result, and where `schema/` describes it.
pub trait MethodResult: Serialize + JsonSchema + Send + 'static {
    const SCHEMA: ResultSchema = ResultSchema::OwnFile;
}

/// Where `schema/` describes a result.
pub enum ResultSchema {
    /// In a file of the method's own, such as `connections_list.result.json`.
    OwnFile,
    /// In a file shared by every method with this result, such as `connection.json`.
    Shared(&'static str),
    /// Nowhere: the result is always `null`.
    Null,
}

impl MethodResult for Connection {
    const SCHEMA: ResultSchema = ResultSchema::Shared("connection.json");
}
impl MethodResult for ListResult {}
impl MethodResult for SignInResult {}
impl MethodResult for CloudResourcesResult {}
impl MethodResult for TopicsListResult {}
impl MethodResult for TopicDescription {}
impl MethodResult for CreateTopicResult {}
impl MethodResult for GroupsListResult {}
impl MethodResult for GroupDescription {}
impl MethodResult for ResetOffsetsResult {}
impl MethodResult for LagWatchResult {}
impl MethodResult for ConsumePage {}
impl MethodResult for TailResult {}
impl MethodResult for ProduceResult {}
impl MethodResult for SubjectsListResult {}
impl MethodResult for VersionsListResult {}
impl MethodResult for SchemaResult {}
impl MethodResult for RegisterSchemaResult {}
impl MethodResult for CheckCompatibilityResult {}
impl MethodResult for ConfigResult {}
impl MethodResult for SchemaDeleteResult {}
/// `null` on the wire.
impl MethodResult for () {
    const SCHEMA: ResultSchema = ResultSchema::Null;
}

/// The table of methods: one row each, `Type = "name": Params => Result;`. It hands its rows to the
/// macro named `$then`, so that every use sees the same list: [`declare_methods`] here declares the
/// types, and the server registers a handler for each (`server/handlers/mod.rs`).
macro_rules! method_table {
    ($then:ident) => {
        $then! {
            /// Every connection, in creation order.
            ListConnections = "connections/list": ListParams => ListResult;
            /// One connection.
            GetConnection = "connections/get": IdParams => Connection;
            /// Stores a new connection and checks it in the background; with `dry_run`, checks a spec once
            /// and stores nothing.
            CreateConnection = "connections/create": CreateParams => Connection;
            /// Replaces a connection's spec whole; with `dry_run`, checks the spec it would store once
            /// and stores nothing.
            UpdateConnection = "connections/update": UpdateParams => Connection;
            /// Applies a JSON merge patch to a connection's spec; with `dry_run`, checks the patched
            /// spec once and stores nothing.
            PatchConnection = "connections/patch": PatchParams => Connection;
            /// Deletes a connection.
            DeleteConnection = "connections/delete": IdParams => ();
            /// Checks a connection now; the reply waits for the check.
            RefreshConnection = "connections/refresh": IdParams => Connection;
            /// Starts a Confluent Cloud sign-in.
            SignIn = "ccloud/signIn": SignInParams => SignInResult;
            /// Forgets a Confluent Cloud session.
            SignOut = "ccloud/signOut": IdParams => Connection;
            /// A signed-in CCLOUD connection's organizations, and the current one's environments with
            /// their Kafka clusters, Schema Registry and Flink compute pools (cached 30 s).
            ListCloudResources = "ccloud/resources": CloudResourcesParams => CloudResourcesResult;
            /// The topics of a connection's Kafka cluster, sorted by name.
            ListTopics = "kafka/topics/list": TopicsListParams => TopicsListResult;
            /// A topic's partitions (leader, replicas, in-sync replicas, earliest and latest offsets)
            /// and configs.
            DescribeTopic = "kafka/topics/describe": TopicParams => TopicDescription;
            /// Creates a topic; with `validate_only`, asks the cluster whether it could.
            CreateTopic = "kafka/topics/create": CreateTopicParams => CreateTopicResult;
            /// Deletes a topic.
            DeleteTopic = "kafka/topics/delete": TopicParams => ();
            /// Sets and removes a topic's configs, leaving the others as they are.
            AlterTopicConfigs = "kafka/topics/alterConfigs": AlterTopicConfigsParams => ();
            /// The consumer groups of a connection's Kafka cluster, sorted by id.
            ListGroups = "kafka/groups/list": GroupsListParams => GroupsListResult;
            /// A consumer group's members and assignments, and per partition its committed offset,
            /// the latest offset and the lag.
            DescribeGroup = "kafka/groups/describe": GroupParams => GroupDescription;
            /// Moves a consumer group's offsets on a topic (refused while the group has members).
            ResetGroupOffsets = "kafka/groups/resetOffsets": ResetOffsetsParams => ResetOffsetsResult;
            /// Watches consumer groups' lag: `kafka/lag` is sent when a group's lag changes.
            WatchLag = "kafka/lag/watch": LagWatchParams => LagWatchResult;
            /// Stops a lag watch.
            UnwatchLag = "kafka/lag/unwatch": LagUnwatchParams => ();
            /// One page of a topic's records, from a start or a cursor, filtered in the sidecar.
            ConsumeRecords = "kafka/records/consume": ConsumeParams => ConsumePage;
            /// Starts pushing a topic's new records as `kafka/records` batches.
            TailRecords = "kafka/records/tail": TailParams => TailResult;
            /// Stops a tail (`kafka/tail/ended` follows).
            UntailRecords = "kafka/records/untail": UntailParams => ();
            /// Writes records: text, JSON, bytes or serialized with a registered schema.
            ProduceRecords = "kafka/records/produce": ProduceParams => ProduceResult;
            /// The subjects of a connection's Schema Registry, sorted.
            ListSubjects = "schemas/subjects/list": SubjectsListParams => SubjectsListResult;
            /// A subject's versions.
            ListSchemaVersions = "schemas/versions/list": VersionsListParams => VersionsListResult;
            /// A schema by subject and version, or by id.
            GetSchema = "schemas/get": SchemaGetParams => SchemaResult;
            /// Registers a schema under a subject (the existing id when it is already registered).
            RegisterSchema = "schemas/register": RegisterSchemaParams => RegisterSchemaResult;
            /// Whether a schema is compatible with a subject's version, under the subject's level.
            CheckSchemaCompatibility = "schemas/checkCompatibility": CheckCompatibilityParams => CheckCompatibilityResult;
            /// A subject's compatibility level (the global one when it has none), or the global level.
            GetSchemaConfig = "schemas/config/get": ConfigGetParams => ConfigResult;
            /// Sets a subject's or the global compatibility level.
            SetSchemaConfig = "schemas/config/set": ConfigSetParams => ConfigResult;
            /// Deletes a subject's version, or the whole subject (soft, or permanent after a soft delete).
            DeleteSchema = "schemas/delete": SchemaDeleteParams => SchemaDeleteResult;
        }
    };
}
pub(crate) use method_table;

/// Declares a type per row of [`method_table`] and [`methods`], the table at run time.
macro_rules! declare_methods {
    ($($(#[$doc:meta])* $method:ident = $name:literal: $params:ty => $result:ty;)*) => {
        $(
            #[doc = concat!("`", $name, "`.")]
            $(#[$doc])*
            pub enum $method {}

            impl Method for $method {
                const NAME: &'static str = $name;
                const ROW: &'static str = stringify!($method);
                type Params = $params;
                type Result = $result;
            }
        )*

        /// Every method, in the order of the table.
        pub fn methods() -> Vec<MethodInfo> {
            vec![$(MethodInfo::of::<$method>()),*]
        }
    };
}
method_table!(declare_methods);

/// Declares a type per notification and [`notifications`], the table at run time.
macro_rules! declare_notifications {
    ($($(#[$doc:meta])* $notification:ident = $name:literal: $params:ty;)*) => {
        $(
            #[doc = concat!("`", $name, "`.")]
            $(#[$doc])*
            pub enum $notification {}

            impl Notification for $notification {
                const NAME: &'static str = $name;
                const ROW: &'static str = stringify!($notification);
                type Params = $params;
            }
        )*

        /// Every notification the sidecar sends.
        pub fn notifications() -> Vec<NotificationInfo> {
            vec![$(NotificationInfo::of::<$notification>()),*]
        }
    };
}

declare_notifications! {
    /// A connection was created, updated or deleted, or its status changed.
    ConnectionsEvent = "connections/event": ConnectionEvent;
    /// A watched consumer group's lag changed (or was read for the first time), or the group is gone.
    LagChanged = "kafka/lag": LagEvent;
    /// A lag watch ended without `kafka/lag/unwatch`: its connection was deleted or changed.
    LagWatchEnded = "kafka/lag/ended": LagEnded;
    /// A tail's next records.
    TailBatch = "kafka/records": RecordsBatch;
    /// A tail stopped, and why.
    TailStopped = "kafka/tail/ended": TailEnded;
}

/// A method as the capabilities, `schema/` and `protocol.json` see it.
#[derive(Clone, Debug, Serialize)]
pub struct MethodInfo {
    /// The name on the wire.
    pub name: &'static str,
    /// The editors' name for it, its row's name in lower camel case: `listConnections` for `connections/list`.
    pub key: String,
    /// The params' file in `schema/`, such as `connections_get.params.json`.
    pub params_schema: String,
    /// The result's file in `schema/`, none when the result is always `null`.
    pub result_schema: Option<String>,
    #[serde(skip)]
    render_params: fn() -> String,
    #[serde(skip)]
    render_result: fn() -> String,
}

impl MethodInfo {
    fn of<M: Method>() -> Self {
        let stem = file_stem(M::NAME);
        let result_schema = match <M::Result as MethodResult>::SCHEMA {
            ResultSchema::OwnFile => Some(format!("{stem}.result.json")),
            ResultSchema::Shared(file) => Some(file.to_string()),
            ResultSchema::Null => None,
        };
        Self {
            name: M::NAME,
            key: key(M::ROW),
            params_schema: format!("{stem}.params.json"),
            result_schema,
            render_params: render::<M::Params>,
            render_result: render::<M::Result>,
        }
    }

    /// The method's files in `schema/`, by name.
    pub(crate) fn schema_files(&self) -> Vec<(String, String)> {
        let mut files = vec![(self.params_schema.clone(), (self.render_params)())];
        if let Some(file) = &self.result_schema {
            files.push((file.clone(), (self.render_result)()));
        }
        files
    }
}

/// A notification as the capabilities, `schema/` and `protocol.json` see it.
#[derive(Clone, Debug, Serialize)]
pub struct NotificationInfo {
    pub name: &'static str,
    /// The editors' name for it: `connectionsEvent` for `connections/event`.
    pub key: String,
    /// The params' file in `schema/`, such as `connections_event.json`.
    pub params_schema: String,
    #[serde(skip)]
    render_params: fn() -> String,
}

impl NotificationInfo {
    fn of<N: Notification>() -> Self {
        Self {
            name: N::NAME,
            key: key(N::ROW),
            params_schema: format!("{}.json", file_stem(N::NAME)),
            render_params: render::<N::Params>,
        }
    }

    pub(crate) fn schema_file(&self) -> (String, String) {
        (self.params_schema.clone(), (self.render_params)())
    }
}

/// The stem of a method's files in `schema/`: `ccloud/signIn` is `ccloud_sign_in`.
fn file_stem(name: &str) -> String {
    let mut stem = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        match c {
            '/' => stem.push('_'),
            c if c.is_ascii_uppercase() => {
                stem.push('_');
                stem.push(c.to_ascii_lowercase());
            }
            c => stem.push(c),
        }
    }
    stem
}

/// A row's name in lower camel case: `ListConnections` is `listConnections`.
fn key(row: &str) -> String {
    let mut chars = row.chars();
    chars.next().map(|first| first.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// `schema/protocol.json`: the methods with their schema files, the notifications and the error codes,
/// for the editors' generated tables.
pub fn protocol_table() -> String {
    #[derive(Serialize)]
    struct Table {
        #[serde(rename = "$comment")]
        comment: &'static str,
        protocol_version: &'static str,
        methods: Vec<MethodInfo>,
        notifications: Vec<NotificationInfo>,
        error_codes: Vec<ErrorCodeInfo>,
    }
    #[derive(Serialize)]
    struct ErrorCodeInfo {
        code: i64,
        name: &'static str,
        meaning: &'static str,
    }
    let table = Table {
        comment: "Generated from src/protocol/methods.rs and src/protocol/errors.rs: do not edit. \
                  Regenerate with `UPDATE_SCHEMA=1 cargo test --test schema`.",
        protocol_version: PROTOCOL_VERSION,
        methods: methods(),
        notifications: notifications(),
        error_codes: ErrorCode::ALL
            .iter()
            .map(|code| ErrorCodeInfo { code: code.code(), name: code.name(), meaning: code.meaning() })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&table).expect("the table is always JSON");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn file_names_are_those_clients_know() {
        assert_eq!(file_stem("ccloud/signIn"), "ccloud_sign_in");
        assert_eq!(file_stem("connections/list"), "connections_list");
        let delete = methods().into_iter().find(|m| m.name == DeleteConnection::NAME).unwrap();
        assert_eq!((delete.params_schema.as_str(), delete.result_schema), ("connections_delete.params.json", None));
        let get = methods().into_iter().find(|m| m.name == GetConnection::NAME).unwrap();
        assert_eq!(get.result_schema.as_deref(), Some("connection.json"));
    }

    #[test]
    fn names_and_keys_are_unique() {
        let methods = methods();
        let names: HashSet<_> = methods.iter().map(|m| m.name).collect();
        let keys: HashSet<_> = methods.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(names.len(), methods.len(), "a method is declared twice");
        // The editors' tables name a method by its row (`Methods.listConnections`).
        assert_eq!(keys.len(), methods.len(), "two methods end in the same name: {methods:?}");
    }
}

//! The wire contract: methods, params, results, notifications, options and error codes.
//! serde and schemars live here only; `schema/` is generated from these types.

pub mod ccloud;
pub mod errors;
pub mod kafka;
pub mod messages;
pub mod methods;
pub mod options;
pub mod records;
pub mod schemas;
pub mod spec;
pub mod status;

use std::collections::BTreeMap;

use schemars::{schema_for, JsonSchema};

pub use errors::ErrorCode;
pub use messages::*;
pub use methods::{Method, Notification};
pub use options::InitializationOptions;
pub use spec::*;
pub use status::*;

/// The protocol version clients can adapt to, reported in `initialize`.
pub const PROTOCOL_VERSION: &str = "1.0";

fn render<T: JsonSchema>() -> String {
    let mut text = serde_json::to_string_pretty(&schema_for!(T)).expect("a schema is always JSON");
    text.push('\n');
    text
}

/// Every file of `schema/`, by name: the JSON Schema of every params object, result and notification
/// (their names come from the method table), of the spec, the options and error data, and
/// `protocol.json`, the table itself.
pub fn schema_files() -> BTreeMap<String, String> {
    let mut files: BTreeMap<String, String> = [
        ("initialization_options.json", render::<InitializationOptions>()),
        ("connection_spec.json", render::<ConnectionSpec>()),
        ("error_data.json", render::<ErrorData>()),
        ("refusal_data.json", render::<kafka::RefusalData>()),
        ("registry_refusal_data.json", render::<schemas::RegistryRefusalData>()),
        ("protocol.json", methods::protocol_table()),
    ]
    .into_iter()
    .map(|(name, text)| (name.to_string(), text))
    .collect();
    files.extend(methods::methods().iter().flat_map(methods::MethodInfo::schema_files));
    files.extend(methods::notifications().iter().map(methods::NotificationInfo::schema_file));
    files
}

//! The wire contract: params, results, notifications, options and error codes.
//! serde and schemars live here only; `schema/` is generated from these types.

pub mod errors;
pub mod messages;
pub mod options;
pub mod spec;
pub mod status;

use std::collections::BTreeMap;

use schemars::{schema_for, JsonSchema};

pub use messages::*;
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

/// The JSON Schema of every request, result and notification, by file name under `schema/`.
pub fn json_schemas() -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("initialization_options.json", render::<InitializationOptions>()),
        ("connection.json", render::<Connection>()),
        ("connection_spec.json", render::<ConnectionSpec>()),
        ("connections_list.params.json", render::<ListParams>()),
        ("connections_list.result.json", render::<ListResult>()),
        ("connections_get.params.json", render::<IdParams>()),
        ("connections_create.params.json", render::<CreateParams>()),
        ("connections_update.params.json", render::<UpdateParams>()),
        ("connections_patch.params.json", render::<PatchParams>()),
        ("connections_delete.params.json", render::<IdParams>()),
        ("connections_refresh.params.json", render::<IdParams>()),
        ("connections_event.json", render::<ConnectionEvent>()),
        ("ccloud_sign_in.params.json", render::<SignInParams>()),
        ("ccloud_sign_in.result.json", render::<SignInResult>()),
        ("ccloud_sign_out.params.json", render::<IdParams>()),
        ("error_data.json", render::<ErrorData>()),
    ])
}

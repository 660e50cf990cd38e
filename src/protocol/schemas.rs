//! The Schema Registry data plane on the wire (`schemas/*`): subjects, versions, schemas, registration,
//! compatibility, config and deletes on a connection's registry.
//!
//! Every request names its target with `connection_id` (`cluster_id` is accepted like the Kafka
//! methods' and only matters for CCLOUD) and may give its own `timeout_ms`. As in `kafka/*`, the fields
//! are written out in each params type so that a field that does not fit is reported at its own path.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Params of `schemas/subjects/list`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct SubjectsListParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    /// Only the subjects whose name starts with this.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Also list soft-deleted subjects.
    #[serde(default)]
    pub deleted: bool,
    /// How long the request may take; default the check timeout.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Result of `schemas/subjects/list`: subject names, sorted.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct SubjectsListResult {
    pub data: Vec<String>,
}

/// Params of `schemas/versions/list`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct VersionsListParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub subject: String,
    /// Also list soft-deleted versions.
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Result of `schemas/versions/list`: the subject's versions, ascending.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct VersionsListResult {
    pub data: Vec<i32>,
}

/// A subject's version: a number (1 and up) or `"latest"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SchemaVersion {
    Number(i32),
    Latest(Latest),
}

/// The string `"latest"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Latest {
    #[serde(rename = "latest")]
    Latest,
}

/// Params of `schemas/get`: `{subject, version}` or `{id}`, exactly one of the two forms.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct SchemaGetParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub version: Option<SchemaVersion>,
    /// The schema's id, as Confluent's wire format carries it.
    #[serde(default)]
    pub id: Option<u32>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Result of `schemas/get`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SchemaResult {
    /// Set when the schema was read by subject and version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    pub id: u32,
    /// `AVRO`, `PROTOBUF` or `JSON`.
    pub schema_type: String,
    /// The schema's text as the registry holds it.
    pub schema: String,
    pub references: Vec<SchemaReference>,
}

/// A schema's reference to another schema: its name in the referencing schema (a Protobuf import
/// path such as `common.proto`, an Avro or JSON Schema name) and the subject and version holding it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SchemaReference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// A schema's type, as the registry names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SchemaType {
    #[serde(rename = "AVRO", alias = "avro")]
    Avro,
    #[serde(rename = "PROTOBUF", alias = "protobuf")]
    Protobuf,
    #[serde(rename = "JSON", alias = "json", alias = "JSONSCHEMA")]
    Json,
}

impl SchemaType {
    /// The registry's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Avro => "AVRO",
            Self::Protobuf => "PROTOBUF",
            Self::Json => "JSON",
        }
    }
}

/// Params of `schemas/register`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RegisterSchemaParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub subject: String,
    pub schema_type: SchemaType,
    pub schema: String,
    #[serde(default)]
    pub references: Vec<SchemaReference>,
    /// Ask the registry to normalize the schema first, so that equivalent texts get one id.
    #[serde(default)]
    pub normalize: bool,
    /// Register nothing: say whether registering would succeed (the subject already holds the
    /// schema, or it is compatible with the latest version) and why not.
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Result of `schemas/register`: the schema's id (the existing one when the subject already holds
/// the schema) and its version under the subject. A dry run has them only when the subject already
/// holds the schema, and says whether registering would pass the subject's compatibility level.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RegisterSchemaResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    /// Nothing was registered.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// With `dry_run`: whether registering would succeed, and the registry's reasons when not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_compatible: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
}

/// Params of `schemas/checkCompatibility`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct CheckCompatibilityParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub subject: String,
    pub schema_type: SchemaType,
    pub schema: String,
    #[serde(default)]
    pub references: Vec<SchemaReference>,
    /// The version to check against; default `"latest"`.
    #[serde(default)]
    pub version: Option<SchemaVersion>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Result of `schemas/checkCompatibility`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckCompatibilityResult {
    pub is_compatible: bool,
    /// The registry's reasons when the schema is not compatible (its own words).
    pub messages: Vec<String>,
}

/// Params of `schemas/config/get`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ConfigGetParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    /// The subject whose level is wanted; the global level when absent.
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// A compatibility level the registry accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compatibility {
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
    None,
}

impl Compatibility {
    /// The registry's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Backward => "BACKWARD",
            Self::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Self::Forward => "FORWARD",
            Self::ForwardTransitive => "FORWARD_TRANSITIVE",
            Self::Full => "FULL",
            Self::FullTransitive => "FULL_TRANSITIVE",
            Self::None => "NONE",
        }
    }
}

/// Params of `schemas/config/set`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ConfigSetParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    /// The subject whose level is set; the global level when absent.
    #[serde(default)]
    pub subject: Option<String>,
    pub compatibility: Compatibility,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Whose compatibility level a config result gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfigSource {
    /// The subject's own level.
    Subject,
    /// The registry's global level (the subject has none of its own, or no subject was named).
    Global,
}

/// Result of `schemas/config/get` and `schemas/config/set`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConfigResult {
    /// The level as the registry names it, such as `BACKWARD`.
    pub compatibility: String,
    pub source: ConfigSource,
}

/// Params of `schemas/delete`: a subject's version, or the whole subject.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct SchemaDeleteParams {
    pub connection_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub subject: String,
    /// Delete only this version; the whole subject when absent.
    #[serde(default)]
    pub version: Option<SchemaVersion>,
    /// Delete for good; the registry allows it only after a soft delete.
    #[serde(default)]
    pub permanent: bool,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Result of `schemas/delete`: the versions deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SchemaDeleteResult {
    pub versions: Vec<i32>,
}

/// `data` of a refusal by the Schema Registry: what it answered, as it answered it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RegistryRefusalData {
    /// The registry's `error_code`, such as 40401 (the HTTP status when its body had none).
    pub error_code: i64,
    /// The registry's `message`.
    pub message: String,
    /// The HTTP status.
    pub status: u16,
    /// The request that was refused, such as `RegisterSchema`.
    pub operation: String,
}

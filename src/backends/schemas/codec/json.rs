//! The JSON Schema codec: the payload is JSON text; encode checks the value with the `jsonschema`
//! crate, with the registry's references as the only schemas `$ref` may reach (nothing is fetched).

use jsonschema::paths::LocationSegment;
use jsonschema::{Registry, Validator};
use serde_json::Value;
use url::Url;

use super::path::{render, Segment};
use super::{EncodeError, Referenced, SchemaType};

/// The base URI of a schema without `$id`, which relative reference names resolve against.
const DEFAULT_BASE: &str = "json-schema:///";

pub struct JsonCodec {
    validator: Validator,
    title: Option<String>,
}

impl std::fmt::Debug for JsonCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonCodec").field("title", &self.title).finish_non_exhaustive()
    }
}

impl JsonCodec {
    pub fn compile(schema: &str, references: &[Referenced]) -> Result<Self, String> {
        let root: Value = serde_json::from_str(schema).map_err(|e| format!("the JSON schema is not JSON: {e}"))?;
        let base = root
            .get("$id")
            .and_then(Value::as_str)
            .and_then(|id| Url::parse(id).ok())
            .unwrap_or_else(|| Url::parse(DEFAULT_BASE).expect("the default base is a URL"));

        // A reference is reachable under its name as the registry lists it (absolute, or relative
        // to the schema's base) and under its own `$id`.
        let mut resources: Vec<(String, Value)> = Vec::new();
        for reference in references.iter().filter(|r| r.schema_type == SchemaType::Json) {
            let json: Value = serde_json::from_str(&reference.schema)
                .map_err(|e| format!("the referenced JSON schema '{}' is not JSON: {e}", reference.name))?;
            let mut uris = Vec::new();
            if let Ok(uri) = base.join(&reference.name) {
                uris.push(uri.to_string());
            }
            if let Some(id) = json.get("$id").and_then(Value::as_str).and_then(|id| Url::parse(id).ok()) {
                uris.push(id.to_string());
            }
            for uri in uris {
                if !resources.iter().any(|(known, _)| *known == uri) {
                    resources.push((uri, json.clone()));
                }
            }
        }
        let registry = Registry::new()
            .extend(resources)
            .and_then(|builder| builder.prepare())
            .map_err(|e| format!("the JSON schema's references are not valid: {e}"))?;
        let mut options = jsonschema::options().with_registry(&registry);
        if root.get("$id").is_none() {
            options = options.with_base_uri(DEFAULT_BASE);
        }
        let validator = options.build(&root).map_err(|e| format!("the JSON schema is not valid: {e}"))?;
        let title = root.get("title").and_then(Value::as_str).map(str::to_owned);
        Ok(Self { validator, title })
    }

    pub fn record_name(&self) -> Option<String> {
        self.title.clone()
    }

    pub fn decode(&self, payload: &[u8]) -> Result<Value, String> {
        serde_json::from_slice(payload).map_err(|e| format!("the payload is not JSON: {e}"))
    }

    pub fn encode(&self, value: &Value) -> Result<Vec<u8>, EncodeError> {
        if let Some(error) = self.validator.iter_errors(value).next() {
            return Err(EncodeError { path: path_in(value, error.instance_path().iter()), message: error.to_string() });
        }
        serde_json::to_vec(value).map_err(|e| EncodeError::root(format!("the value could not be written: {e}")))
    }
}

/// A JSON pointer into `value` as a path like `lines[1].quantity`: a number is an index only where
/// the value there is an array.
fn path_in<'a>(value: &Value, pointer: impl Iterator<Item = LocationSegment<'a>>) -> String {
    let mut current = Some(value);
    let mut segments = Vec::new();
    for segment in pointer {
        let (segment, next) = match (segment, current) {
            (LocationSegment::Index(i), Some(Value::Array(items))) => (Segment::Index(i), items.get(i)),
            (LocationSegment::Index(i), other) => {
                let key = i.to_string();
                let next = other.and_then(|v| v.get(&key));
                (Segment::Field(key), next)
            }
            (LocationSegment::Property(name), other) => {
                let next = other.and_then(|v| v.get(name.as_ref()));
                (Segment::Field(name.into_owned()), next)
            }
        };
        segments.push(segment);
        current = next;
    }
    render(segments.iter())
}

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn order_schema() -> Value {
        json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "Order",
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "customer": {"$ref": "customer.json"},
                "lines": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1}},
                    "required": ["sku", "quantity"]
                }}
            },
            "required": ["id"],
            "additionalProperties": false
        })
    }

    fn customer() -> Referenced {
        Referenced {
            name: "customer.json".into(),
            schema_type: SchemaType::Json,
            schema: json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]})
                .to_string(),
        }
    }

    fn codec() -> JsonCodec {
        JsonCodec::compile(&order_schema().to_string(), &[customer()]).unwrap()
    }

    #[test]
    fn valid_values_are_compact_json() {
        let codec = codec();
        assert_eq!(codec.record_name().as_deref(), Some("Order"));
        let value = json!({"id": 1, "customer": {"name": "Ann"}, "lines": [{"sku": "a", "quantity": 2}]});
        let bytes = codec.encode(&value).unwrap();
        assert_eq!(bytes, br#"{"customer":{"name":"Ann"},"id":1,"lines":[{"quantity":2,"sku":"a"}]}"#);
        assert_eq!(codec.decode(&bytes).unwrap(), value);
    }

    #[test]
    fn invalid_values_say_where() {
        let codec = codec();
        let error =
            codec.encode(&json!({"id": 1, "lines": [{"sku": "a", "quantity": 2}, {"sku": "b", "quantity": "x"}]}));
        let error = error.unwrap_err();
        assert_eq!(error.path, "lines[1].quantity");
        assert_eq!(error.message, r#""x" is not of type "integer""#);
        let error = codec.encode(&json!({"id": 1, "customer": {}})).unwrap_err();
        assert_eq!((error.path.as_str(), error.message.as_str()), ("customer", r#""name" is a required property"#));
        let error = codec.encode(&json!({"lines": []})).unwrap_err();
        assert_eq!(error.path, "");
        let error = codec.encode(&json!({"id": 1, "extra": true})).unwrap_err();
        assert!(error.message.contains("extra"), "{error}");
    }

    #[test]
    fn object_keys_that_look_like_numbers_are_fields() {
        let codec =
            JsonCodec::compile(&json!({"type": "object", "properties": {"7": {"type": "string"}}}).to_string(), &[])
                .unwrap();
        assert_eq!(codec.encode(&json!({"7": 7})).unwrap_err().path, "[\"7\"]");
    }

    #[test]
    fn references_resolve_by_id_and_nothing_is_fetched() {
        let schema = json!({"$id": "https://example.com/order.json", "properties": {"c": {"$ref": "customer.json"}}});
        let codec = JsonCodec::compile(&schema.to_string(), &[customer()]).unwrap();
        assert!(codec.encode(&json!({"c": {"name": "x"}})).is_ok());
        assert!(codec.encode(&json!({"c": {}})).is_err());
        let error = JsonCodec::compile(&order_schema().to_string(), &[]).unwrap_err();
        assert!(error.starts_with("the JSON schema is not valid"), "{error}");
        let remote = json!({"$ref": "https://example.com/elsewhere.json"});
        assert!(JsonCodec::compile(&remote.to_string(), &[]).is_err());
    }

    #[test]
    fn decode_errors_are_sentences() {
        assert!(codec().decode(b"{\"id\":").unwrap_err().starts_with("the payload is not JSON"));
        assert!(JsonCodec::compile("{", &[]).unwrap_err().starts_with("the JSON schema is not JSON"));
    }
}

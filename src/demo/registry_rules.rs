//! The test registry's schema rules: whether a schema text is valid for its type, when two texts are
//! the same schema, and simple compatibility rules (BACKWARD / FORWARD / FULL and their transitive
//! forms) in the spirit of Confluent's, with messages shaped like the ones its `?verbose=true` gives.

use serde_json::Value;

/// The compatibility levels a Confluent Schema Registry accepts.
pub const LEVELS: [&str; 7] =
    ["NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"];

/// Why a schema text is not valid for its type; `None` when it is.
pub fn invalid(schema_type: &str, text: &str) -> Option<String> {
    match schema_type {
        "AVRO" => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) if object.contains_key("type") => None,
            // A bare primitive such as `"string"` is a valid Avro schema.
            Ok(Value::String(name)) if is_avro_primitive(&name) => None,
            Ok(Value::Array(_)) => None,
            Ok(_) => Some("an Avro schema is a JSON object with a \"type\"".into()),
            Err(error) => Some(format!("the Avro schema is not JSON: {error}")),
        },
        "JSON" => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(_) | Value::Bool(_)) => None,
            Ok(_) => Some("a JSON schema is a JSON object or a boolean".into()),
            Err(error) => Some(format!("the JSON schema is not JSON: {error}")),
        },
        "PROTOBUF" => {
            let words: Vec<&str> = text.split_whitespace().collect();
            let looks_like_proto = words.iter().any(|word| matches!(*word, "syntax" | "message" | "enum" | "package"))
                || text.contains("syntax=");
            // Confluent's registry also takes a serialized FileDescriptorProto in base64, which is what
            // confluent-kafka's Python ProtobufSerializer registers.
            let descriptor = || {
                use base64::Engine;
                use prost_reflect::prost::Message;
                base64::engine::general_purpose::STANDARD.decode(text.trim()).ok().is_some_and(|bytes| {
                    prost_reflect::prost_types::FileDescriptorProto::decode(bytes.as_slice()).is_ok()
                })
            };
            (!looks_like_proto && !descriptor()).then(|| {
                "a Protobuf schema is a .proto file (syntax, package, message...) or a serialized descriptor".into()
            })
        }
        other => Some(format!("unknown schema type '{other}'")),
    }
}

fn is_avro_primitive(name: &str) -> bool {
    matches!(name, "null" | "boolean" | "int" | "long" | "float" | "double" | "bytes" | "string")
}

/// The form two texts are compared in: compact JSON for Avro and JSON Schema, the words of a .proto.
pub fn canonical(schema_type: &str, text: &str) -> String {
    match schema_type {
        "PROTOBUF" => text.split_whitespace().collect::<Vec<_>>().join(" "),
        _ => serde_json::from_str::<Value>(text).map(|value| value.to_string()).unwrap_or_else(|_| text.to_string()),
    }
}

/// The files a .proto imports (`import "x.proto";`), except Google's well-known types.
pub fn proto_imports(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("import"))
        .filter_map(|rest| rest.split('"').nth(1))
        .filter(|path| !path.starts_with("google/protobuf/"))
        .map(str::to_string)
        .collect()
}

/// One earlier schema a candidate is checked against.
pub struct Earlier<'a> {
    pub version: i32,
    pub schema_type: &'a str,
    pub text: &'a str,
}

/// What keeps `new` from being compatible with `old` at `level` (empty when compatible).
pub fn problems(level: &str, schema_type: &str, new: &str, older: &[Earlier<'_>]) -> Vec<String> {
    if level == "NONE" {
        return Vec::new();
    }
    let transitive = level.ends_with("_TRANSITIVE");
    let base = level.trim_end_matches("_TRANSITIVE");
    // Non-transitive levels check the latest version only; `older` is oldest first.
    let against: &[Earlier<'_>] = if transitive { older } else { &older[older.len().saturating_sub(1)..] };
    let mut found = Vec::new();
    for old in against.iter().rev() {
        let mut add = |error_type: &str, description: String| {
            found.push(format!(
                "{{errorType:'{error_type}', description:'{description}', oldSchemaVersion: {}, compatibility: '{level}'}}",
                old.version
            ));
        };
        if old.schema_type != schema_type {
            add("TYPE_MISMATCH", format!("The new schema is {schema_type}, the old one {}", old.schema_type));
            continue;
        }
        let directions: &[(bool, &str)] = match base {
            "BACKWARD" => &[(true, "new")],
            "FORWARD" => &[(false, "old")],
            _ => &[(true, "new"), (false, "old")],
        };
        for &(new_reads_old, _) in directions {
            let (reader, writer) = if new_reads_old { (new, old.text) } else { (old.text, new) };
            for (error_type, description) in reader_cannot_read(schema_type, reader, writer, new_reads_old) {
                add(error_type, description);
            }
        }
    }
    found
}

/// Why data written with `writer` cannot be read with `reader`.
fn reader_cannot_read(
    schema_type: &str,
    reader: &str,
    writer: &str,
    reader_is_new: bool,
) -> Vec<(&'static str, String)> {
    let which = if reader_is_new { "new" } else { "old" };
    let other = if reader_is_new { "old" } else { "new" };
    match schema_type {
        "AVRO" => {
            let (Ok(reader), Ok(writer)) =
                (serde_json::from_str::<Value>(reader), serde_json::from_str::<Value>(writer))
            else {
                return Vec::new();
            };
            if reader.get("type") != writer.get("type") && !(reader.is_string() && reader == writer) {
                return vec![(
                    "TYPE_MISMATCH",
                    format!("The type of the {which} schema differs from the {other} one's"),
                )];
            }
            let fields = |schema: &Value| schema.get("fields").and_then(Value::as_array).cloned().unwrap_or_default();
            let (reader_fields, writer_fields) = (fields(&reader), fields(&writer));
            let mut problems = Vec::new();
            for (index, field) in reader_fields.iter().enumerate() {
                let name = field.get("name").and_then(Value::as_str).unwrap_or_default();
                match writer_fields.iter().find(|f| f.get("name").and_then(Value::as_str) == Some(name)) {
                    None if field.get("default").is_none() => problems.push((
                        "READER_FIELD_MISSING_DEFAULT_VALUE",
                        format!("The field '{name}' at path '/fields/{index}' in the {which} schema has no default value and is missing in the {other} schema"),
                    )),
                    Some(written) if written.get("type") != field.get("type") => problems.push((
                        "TYPE_MISMATCH",
                        format!("The type of the field '{name}' at path '/fields/{index}' in the {which} schema does not match the {other} schema's"),
                    )),
                    _ => {}
                }
            }
            problems
        }
        "JSON" => {
            let (Ok(reader), Ok(writer)) =
                (serde_json::from_str::<Value>(reader), serde_json::from_str::<Value>(writer))
            else {
                return Vec::new();
            };
            let required = |schema: &Value| -> Vec<String> {
                schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|names| names.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .unwrap_or_default()
            };
            let writer_required = required(&writer);
            let mut problems: Vec<(&'static str, String)> = required(&reader)
                .into_iter()
                .filter(|name| !writer_required.contains(name))
                .map(|name| {
                    (
                        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
                        format!("The property '{name}' is required by the {which} schema but not by the {other} one"),
                    )
                })
                .collect();
            let properties = |schema: &Value| schema.get("properties").and_then(Value::as_object).cloned();
            if let (Some(read), Some(written)) = (properties(&reader), properties(&writer)) {
                for (name, property) in read {
                    if let Some(before) = written.get(&name) {
                        if before.get("type") != property.get("type") {
                            problems.push((
                                "TYPE_CHANGED",
                                format!("The type of the property '{name}' differs between the {which} and the {other} schema"),
                            ));
                        }
                    }
                }
            }
            problems
        }
        "PROTOBUF" => {
            // A field number used with another type cannot be read; other changes are left alone.
            let (read, written) = (proto_fields(reader), proto_fields(writer));
            read.iter()
                .filter_map(|(number, kind, name)| {
                    written.iter().find(|(n, _, _)| n == number).filter(|(_, k, _)| k != kind).map(|_| {
                        ("FIELD_KIND_CHANGED", format!("The field '{name}' (number {number}) changed its type"))
                    })
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// `(number, type, name)` of every `type name = number;` line of a .proto.
fn proto_fields(text: &str) -> Vec<(u32, String, String)> {
    text.split([';', '{', '}'])
        .filter_map(|statement| {
            let (left, number) = statement.split_once('=')?;
            let number: u32 = number.split_whitespace().next()?.parse().ok()?;
            let words: Vec<&str> = left.split_whitespace().filter(|w| !matches!(*w, "optional" | "repeated")).collect();
            match words.as_slice() {
                [kind, name] => Some((number, kind.to_string(), name.to_string())),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#;

    fn earlier(text: &str) -> Vec<Earlier<'_>> {
        vec![Earlier { version: 1, schema_type: "AVRO", text }]
    }

    #[test]
    fn avro_backward_needs_defaults_for_new_fields_and_same_types() {
        let with_default = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"n","type":"int","default":0}]}"#;
        let without =
            r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"n","type":"int"}]}"#;
        let retyped = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}"#;
        assert!(problems("BACKWARD", "AVRO", with_default, &earlier(V1)).is_empty());
        let missing = problems("BACKWARD", "AVRO", without, &earlier(V1));
        assert!(missing[0].contains("READER_FIELD_MISSING_DEFAULT_VALUE"), "{missing:?}");
        assert_eq!(problems("BACKWARD", "AVRO", retyped, &earlier(V1)).len(), 1);
        assert!(problems("NONE", "AVRO", retyped, &earlier(V1)).is_empty());
        // FORWARD: the old reader misses nothing when a field is added.
        assert!(problems("FORWARD", "AVRO", without, &earlier(V1)).is_empty());
        assert_eq!(problems("FULL", "AVRO", without, &earlier(V1)).len(), 1);
    }

    #[test]
    fn validity_and_sameness() {
        assert!(invalid("AVRO", V1).is_none());
        assert!(invalid("AVRO", "{not json").is_some());
        assert!(invalid("AVRO", r#"{"name":"x"}"#).is_some());
        assert!(invalid("PROTOBUF", "syntax = \"proto3\"; message A { string a = 1; }").is_none());
        assert!(invalid("PROTOBUF", "hello").is_some());
        assert!(invalid("JSON", "[1]").is_some());
        assert_eq!(canonical("AVRO", "{ \"type\" : \"string\" }"), canonical("AVRO", r#"{"type":"string"}"#));
        assert_eq!(
            proto_imports("import \"common.proto\";\nimport \"google/protobuf/timestamp.proto\";"),
            ["common.proto"]
        );
        assert_eq!(proto_fields("message A { string a = 1; repeated int32 b = 2; }").len(), 2);
    }
}

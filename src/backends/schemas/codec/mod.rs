//! Codecs between Confluent's wire format and JSON: a registry schema is compiled once ([`Compiled`]),
//! then turns record payloads into JSON for people to read and JSON into payloads to produce.
//!
//! A record in Confluent's wire format is the magic byte 0, the schema id as 4 big-endian bytes, then
//! the payload ([`wire`]). For Protobuf the payload starts with the message indexes that pick the
//! message in the schema's file; for Avro and JSON Schema it is the value itself.
//!
//! # JSON conventions
//!
//! Avro:
//! - records are objects (keys in serde_json's order, which is sorted unless its `preserve_order`
//!   feature is on); maps are objects; arrays are arrays
//! - a union is the plain value of its branch (no `{"type": value}` wrapper). Encode takes the plain
//!   value (the first branch it fits; `null` for null) and also the wrapped form
//!   `{"<branch full name or type>": value}`
//! - enums are their symbol as a string
//! - `bytes` and `fixed` are base64 strings (standard alphabet, padded)
//! - `int` and `long` are JSON numbers (encode also takes a string of digits)
//! - `float` and `double` are numbers; NaN and the infinities are the strings `"NaN"`, `"Infinity"`
//!   and `"-Infinity"`
//! - logical types are their underlying JSON (`date` is int days, `timestamp-millis` a number, `uuid`
//!   a string) except `decimal`, a string with the decimal value such as `"12.34"` (encode also takes a
//!   number), and `uuid` on a `fixed(16)`, the uuid's text like on a string
//! - encode fills a missing field from its default, and with null when its type is a union with
//!   null; a field that is not in the schema is an error
//!
//! Protobuf: the proto3 JSON mapping of prost-reflect with the .proto field names, default values
//! included, 64-bit integers as strings, enums as names and bytes as base64. Encode takes the same,
//! and JSON (lowerCamelCase) names too. Encode writes the first message of the schema's file.
//!
//! JSON Schema: the payload is the JSON text. Decode parses it; encode checks the value against the
//! schema and writes compact JSON.

mod avro;
mod json;
mod path;
mod protobuf;
pub mod wire;

use std::fmt;

/// The kinds of schema a registry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaType {
    Avro,
    Protobuf,
    Json,
}

impl SchemaType {
    /// The type from the registry's `schemaType` field, which it leaves out for Avro; `None` when the
    /// name is not one this sidecar knows.
    pub fn from_registry(name: Option<&str>) -> Option<Self> {
        match name {
            None => Some(Self::Avro),
            Some(name) if name.eq_ignore_ascii_case("AVRO") => Some(Self::Avro),
            Some(name) if name.eq_ignore_ascii_case("PROTOBUF") => Some(Self::Protobuf),
            Some(name) if name.eq_ignore_ascii_case("JSON") => Some(Self::Json),
            Some(_) => None,
        }
    }

    /// The registry's name for this type, as its `schemaType` field spells it.
    pub fn registry_name(self) -> &'static str {
        match self {
            Self::Avro => "AVRO",
            Self::Protobuf => "PROTOBUF",
            Self::Json => "JSON",
        }
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Avro => "Avro",
            Self::Protobuf => "Protobuf",
            Self::Json => "JSON Schema",
        })
    }
}

/// A schema the registry referenced by name (an Avro named type's schema, a .proto import path, a
/// JSON Schema `$ref` URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referenced {
    pub name: String,
    pub schema_type: SchemaType,
    pub schema: String,
}

/// A schema parsed once and kept (cached by id by the caller): Send + Sync, cheap to share in an Arc.
#[derive(Debug)]
pub struct Compiled {
    codec: Codec,
}

#[derive(Debug)]
enum Codec {
    Avro(avro::AvroCodec),
    Protobuf(protobuf::ProtobufCodec),
    Json(json::JsonCodec),
}

impl Compiled {
    /// Parses a registry schema with the schemas it references. The error is a sentence about what is
    /// wrong with the schema.
    pub fn compile(schema_type: SchemaType, schema: &str, references: &[Referenced]) -> Result<Self, String> {
        let codec = match schema_type {
            SchemaType::Avro => Codec::Avro(avro::AvroCodec::compile(schema, references)?),
            SchemaType::Protobuf => Codec::Protobuf(protobuf::ProtobufCodec::compile(schema, references)?),
            SchemaType::Json => Codec::Json(json::JsonCodec::compile(schema, references)?),
        };
        Ok(Self { codec })
    }

    pub fn schema_type(&self) -> SchemaType {
        match self.codec {
            Codec::Avro(_) => SchemaType::Avro,
            Codec::Protobuf(_) => SchemaType::Protobuf,
            Codec::Json(_) => SchemaType::Json,
        }
    }

    /// The payload after the 5-byte header -> JSON. Errors say why in a sentence ("the bytes end early
    /// in field 'amount'").
    pub fn decode(&self, payload: &[u8]) -> Result<serde_json::Value, String> {
        match &self.codec {
            Codec::Avro(codec) => codec.decode(payload),
            Codec::Protobuf(codec) => codec.decode(payload),
            Codec::Json(codec) => codec.decode(payload),
        }
    }

    /// JSON -> the payload after the 5-byte header (Protobuf: with the message indexes of the first
    /// message).
    pub fn encode(&self, value: &serde_json::Value) -> Result<Vec<u8>, EncodeError> {
        self.encode_message(value, None)
    }

    /// [`Self::encode`], writing the Protobuf message with this full name (`shop.Order`, any message of
    /// the schema's file, nested ones too) instead of the first; Avro and JSON Schema have one type.
    pub fn encode_message(&self, value: &serde_json::Value, message: Option<&str>) -> Result<Vec<u8>, EncodeError> {
        match &self.codec {
            Codec::Avro(codec) => codec.encode(value),
            Codec::Protobuf(codec) => codec.encode_as(value, message),
            Codec::Json(codec) => codec.encode(value),
        }
    }

    /// The name the RecordName subject strategy uses: Avro's record full name, Protobuf's first
    /// message full name, JSON Schema's "title"; None when there is none.
    pub fn record_name(&self) -> Option<String> {
        match &self.codec {
            Codec::Avro(codec) => codec.record_name(),
            Codec::Protobuf(codec) => codec.record_name(),
            Codec::Json(codec) => codec.record_name(),
        }
    }
}

/// Where in the value and what: path relative to the value (`lines[1].quantity`, "" for the root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    pub path: String,
    pub message: String,
}

impl EncodeError {
    fn root(message: impl Into<String>) -> Self {
        Self { path: String::new(), message: message.into() }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path.is_empty() {
            true => f.write_str(&self.message),
            false => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for EncodeError {}

/// How a JSON value is named in messages: `the string "x"`, `the number 3.5`, `an object`.
fn describe(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let mut shown: String = s.chars().take(40).collect();
            if shown.len() < s.len() {
                shown.push('…');
            }
            format!("the string {}", serde_json::Value::String(shown))
        }
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn schema_types_follow_the_registry_names() {
        assert_eq!(SchemaType::from_registry(None), Some(SchemaType::Avro));
        for t in [SchemaType::Avro, SchemaType::Protobuf, SchemaType::Json] {
            assert_eq!(SchemaType::from_registry(Some(t.registry_name())), Some(t));
        }
        assert_eq!(SchemaType::from_registry(Some("XML")), None);
    }

    /// The caller caches compiled schemas in an `Arc` shared by tasks.
    #[test]
    fn compiled_schemas_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<Compiled>();
    }

    /// A record framed for the wire and read back through `Compiled`, for each kind of schema.
    #[test]
    fn compiled_schemas_frame_and_read_back() {
        let cases = [
            (SchemaType::Avro, r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#, Some("R")),
            (SchemaType::Protobuf, "syntax = \"proto3\"; package p; message R { int32 a = 1; }", Some("p.R")),
            (SchemaType::Json, r#"{"type":"object","properties":{"a":{"type":"integer"}}}"#, None),
        ];
        for (schema_type, schema, record_name) in cases {
            let compiled = Compiled::compile(schema_type, schema, &[]).unwrap();
            assert_eq!(compiled.schema_type(), schema_type);
            assert_eq!(compiled.record_name().as_deref(), record_name);
            let framed = wire::frame(42, &compiled.encode(&json!({"a": 5})).unwrap());
            let (id, payload) = wire::split(&framed).unwrap();
            assert_eq!(id, 42);
            assert_eq!(compiled.decode(payload).unwrap(), json!({"a": 5}), "{schema_type}");
            let error = compiled.encode(&json!({"a": "x"})).unwrap_err();
            assert_eq!(error.path, "a", "{schema_type}: {error}");
        }
    }
}

//! The Protobuf codec: the registry's .proto text and its imports compiled in memory with protox, then
//! messages read and written with prost-reflect's dynamic messages and its proto3 JSON mapping.

use std::collections::HashMap;

use prost::Message as _;
use prost_reflect::{DeserializeOptions, DynamicMessage, FileDescriptor, MessageDescriptor, SerializeOptions};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};
use serde_json::Value;

use super::path::{render, Segment};
use super::{wire, EncodeError, Referenced, SchemaType};

#[derive(Debug)]
pub struct ProtobufCodec {
    file: FileDescriptor,
    /// The file's first message: the one encode writes and RecordName names.
    first: MessageDescriptor,
}

/// The name the schema's own text gets among its imports; registry schemas have no file name.
const MAIN_FILE: &str = "registry-schema.proto";

/// Files Confluent's serializers know without a reference, as their documentation describes them.
/// Options in `meta.proto` do not change the bytes; the `Decimal` message does.
const CONFLUENT_FILES: [(&str, &str); 2] = [
    (
        "confluent/meta.proto",
        r#"syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
}
extend google.protobuf.FileOptions { Meta file_meta = 1088; }
extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
"#,
    ),
    (
        "confluent/type/decimal.proto",
        r#"syntax = "proto3";
package confluent.type;
message Decimal {
  bytes value = 1;
  uint32 precision = 2;
  int32 scale = 3;
}
"#,
    ),
];

/// The schema and its references by import path.
struct InMemory(HashMap<String, String>);

impl FileResolver for InMemory {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.0.get(name) {
            Some(source) => File::from_source(name, source),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

impl ProtobufCodec {
    pub fn compile(schema: &str, references: &[Referenced]) -> Result<Self, String> {
        let mut sources: HashMap<String, String> =
            CONFLUENT_FILES.iter().map(|(name, text)| (name.to_string(), text.to_string())).collect();
        for reference in references.iter().filter(|r| r.schema_type == SchemaType::Protobuf) {
            sources.insert(reference.name.clone(), reference.schema.clone());
        }
        sources.insert(MAIN_FILE.to_owned(), schema.to_owned());
        let mut resolver = ChainFileResolver::new();
        resolver.add(InMemory(sources));
        resolver.add(GoogleFileResolver::new());

        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler.include_imports(true);
        compiler.open_file(MAIN_FILE).map_err(|e| format!("the Protobuf schema is not valid: {e}"))?;
        let file = compiler
            .descriptor_pool()
            .get_file_by_name(MAIN_FILE)
            .ok_or("the Protobuf schema did not compile to a file")?;
        let first = file.messages().next().ok_or("the Protobuf schema defines no message")?;
        Ok(Self { file, first })
    }

    pub fn record_name(&self) -> Option<String> {
        Some(self.first.full_name().to_owned())
    }

    /// The message the indexes select: a top-level message's position, then nested positions.
    fn message_at(&self, indexes: &[i32]) -> Result<MessageDescriptor, String> {
        let missing = || {
            format!(
                "the message indexes {indexes:?} point to no message of the schema: the record may have been written with another schema"
            )
        };
        let (first, nested) = indexes.split_first().ok_or_else(missing)?;
        let mut message = self.file.messages().nth(*first as usize).ok_or_else(missing)?;
        for index in nested {
            let child = message.child_messages().nth(*index as usize);
            message = child.ok_or_else(missing)?;
        }
        Ok(message)
    }

    pub fn decode(&self, payload: &[u8]) -> Result<Value, String> {
        let (indexes, bytes) = wire::read_message_indexes(payload)?;
        let descriptor = self.message_at(&indexes)?;
        let message = DynamicMessage::decode(descriptor.clone(), bytes)
            .map_err(|e| format!("the bytes are not a '{}' message: {e}", descriptor.full_name()))?;
        let options = SerializeOptions::new().use_proto_field_name(true).skip_default_fields(false);
        message
            .serialize_with_options(serde_json::value::Serializer, &options)
            .map_err(|e| format!("the '{}' message has no JSON form: {e}", descriptor.full_name()))
    }

    pub fn encode(&self, value: &Value) -> Result<Vec<u8>, EncodeError> {
        let mut track = serde_path_to_error::Track::new();
        let deserializer = serde_path_to_error::Deserializer::new(value, &mut track);
        let message =
            DynamicMessage::deserialize_with_options(self.first.clone(), deserializer, &DeserializeOptions::new())
                .map_err(|e| {
                    let segments: Vec<Segment> = track
                        .path()
                        .iter()
                        .filter_map(|segment| match segment {
                            serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
                            serde_path_to_error::Segment::Map { key } => Some(Segment::Field(key.clone())),
                            serde_path_to_error::Segment::Enum { variant } => Some(Segment::Field(variant.clone())),
                            serde_path_to_error::Segment::Unknown => None,
                        })
                        .collect();
                    EncodeError { path: render(segments.iter()), message: serde_message(&e.to_string()) }
                })?;
        let mut out = Vec::with_capacity(message.encoded_len() + 1);
        wire::write_message_indexes(&[0], &mut out);
        message.encode(&mut out).map_err(|e| EncodeError::root(format!("the message could not be written: {e}")))?;
        Ok(out)
    }
}

/// serde's "invalid type: string \"x\", expected an integer" in the order the other codecs use.
fn serde_message(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    match message.strip_prefix("invalid type: ").and_then(|rest| rest.rsplit_once(", expected ")) {
        Some((found, expected)) => format!("expected {expected}, found {found}"),
        None => message.to_owned(),
    }
}

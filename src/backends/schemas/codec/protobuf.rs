//! The Protobuf codec: the registry's .proto text and its imports compiled in memory with protox, then
//! messages read and written with prost-reflect's dynamic messages and its proto3 JSON mapping.

use std::collections::HashMap;

use prost::Message as _;
use prost_reflect::{
    DeserializeOptions, DynamicMessage, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor, SerializeOptions,
};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};
use serde_json::Value;

use super::path::{render, Segment};
use super::{describe, wire, EncodeError, Referenced, SchemaType};

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
            Some(source) => match serialized_descriptor(source) {
                Some(mut descriptor) => {
                    // Imports name files by the reference's name, whatever the descriptor calls itself.
                    descriptor.name = Some(name.to_owned());
                    Ok(File::from_file_descriptor_proto(descriptor))
                }
                None => File::from_source(name, source),
            },
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// A schema registered as a serialized `FileDescriptorProto` in base64 (what confluent-kafka's Python
/// ProtobufSerializer registers, and what a registry answers with `?format=serialized`). .proto text is
/// never valid base64 (it has spaces and semicolons), so the two cannot be confused.
fn serialized_descriptor(source: &str) -> Option<prost_reflect::prost_types::FileDescriptorProto> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(source.trim()).ok()?;
    prost_reflect::prost_types::FileDescriptorProto::decode(bytes.as_slice()).ok()
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

    #[cfg(test)]
    pub fn encode(&self, value: &Value) -> Result<Vec<u8>, EncodeError> {
        self.encode_as(value, None)
    }

    /// A message of the file by its full name, with the message indexes that select it.
    fn named(&self, name: &str) -> Option<(MessageDescriptor, Vec<i32>)> {
        fn walk(
            messages: impl Iterator<Item = MessageDescriptor>,
            name: &str,
            path: &mut Vec<i32>,
        ) -> Option<(MessageDescriptor, Vec<i32>)> {
            for (index, message) in messages.enumerate() {
                path.push(index as i32);
                if message.full_name() == name {
                    return Some((message, path.clone()));
                }
                if let Some(found) = walk(message.child_messages(), name, path) {
                    return Some(found);
                }
                path.pop();
            }
            None
        }
        walk(self.file.messages(), name.trim_start_matches('.'), &mut Vec::new())
    }

    /// Writes `value` as the message named `message` (default the file's first).
    pub fn encode_as(&self, value: &Value, message: Option<&str>) -> Result<Vec<u8>, EncodeError> {
        let (descriptor, indexes) = match message {
            None => (self.first.clone(), vec![0]),
            Some(name) => self.named(name).ok_or_else(|| {
                let names: Vec<String> = self.file.messages().map(|m| m.full_name().to_owned()).collect();
                EncodeError::root(format!("the schema has no message '{name}'; its messages are {}", names.join(", ")))
            })?,
        };
        let mut track = serde_path_to_error::Track::new();
        let deserializer = serde_path_to_error::Deserializer::new(value, &mut track);
        let message = DynamicMessage::deserialize_with_options(descriptor, deserializer, &DeserializeOptions::new())
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
                let mut segments = segments;
                let message = match serde_message(&e.to_string()) {
                    message if message.starts_with("expected") => message,
                    message if message.starts_with("unrecognized field name '") => {
                        let owner = match field_at(&self.first, &segments).map(|f| f.kind()) {
                            Some(Kind::Message(owner)) => owner,
                            _ => self.first.clone(),
                        };
                        let name = message.trim_start_matches("unrecognized field name '").trim_end_matches('\'');
                        segments.push(Segment::Field(name.to_owned()));
                        format!("the message '{}' has no such field", owner.full_name())
                    }
                    message => match (kind_at(&self.first, &segments), value_at(value, &segments)) {
                        (Some(kind), Some(found)) => {
                            format!("expected {kind}, found {}: {message}", describe(found))
                        }
                        _ => message,
                    },
                };
                EncodeError { path: render(segments.iter()), message }
            })?;
        let mut out = Vec::with_capacity(message.encoded_len() + 1);
        wire::write_message_indexes(&indexes, &mut out);
        message.encode(&mut out).map_err(|e| EncodeError::root(format!("the message could not be written: {e}")))?;
        Ok(out)
    }
}

/// The field a path leads to; None for the root or a path the schema does not have.
fn field_at(message: &MessageDescriptor, segments: &[Segment]) -> Option<FieldDescriptor> {
    let mut message = message.clone();
    let mut field: Option<FieldDescriptor> = None;
    let mut segments = segments.iter().peekable();
    while let Some(segment) = segments.next() {
        if let Some(Kind::Message(inner)) = field.as_ref().map(FieldDescriptor::kind) {
            message = inner;
        }
        let Segment::Field(name) = segment else { return None };
        let found = message.get_field_by_name(name).or_else(|| message.get_field_by_json_name(name))?;
        // A list's index or a map's key leads to the element's type.
        if found.is_list() && matches!(segments.peek(), Some(Segment::Index(_))) {
            segments.next();
        }
        let found = match (found.kind(), found.is_map()) {
            (Kind::Message(entry), true) if segments.next().is_some() => entry.map_entry_value_field(),
            _ => found,
        };
        field = Some(found);
    }
    field
}

/// The type of the field a path leads to, named for a person ("a uint32", "an object (the message
/// 'shop.Order.Line')").
fn kind_at(message: &MessageDescriptor, segments: &[Segment]) -> Option<String> {
    let name = match field_at(message, segments)?.kind() {
        Kind::Double => "a double".to_owned(),
        Kind::Float => "a float".to_owned(),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => "an int32".to_owned(),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => "an int64".to_owned(),
        Kind::Uint32 | Kind::Fixed32 => "a uint32".to_owned(),
        Kind::Uint64 | Kind::Fixed64 => "a uint64".to_owned(),
        Kind::Bool => "a boolean".to_owned(),
        Kind::String => "a string".to_owned(),
        Kind::Bytes => "base64 text".to_owned(),
        Kind::Message(m) => format!("an object (the message '{}')", m.full_name()),
        Kind::Enum(e) => format!("a value name of the enum '{}'", e.full_name()),
    };
    Some(name)
}

fn value_at<'a>(value: &'a Value, segments: &[Segment]) -> Option<&'a Value> {
    segments.iter().try_fold(value, |value, segment| match segment {
        Segment::Index(i) => value.get(i),
        Segment::Field(name) | Segment::Key(name) => value.get(name),
    })
}

/// serde's "invalid type: string \"x\", expected an integer" in the order the other codecs use.
fn serde_message(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    match message.strip_prefix("invalid type: ").and_then(|rest| rest.rsplit_once(", expected ")) {
        Some((found, expected)) => format!("expected {expected}, found {found}"),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ORDER: &str = r#"
        syntax = "proto3";
        package shop;
        import "google/protobuf/timestamp.proto";
        import "common/money.proto";

        message Order {
          message Line {
            string sku = 1;
            uint32 quantity = 2;
          }
          enum Status {
            NEW = 0;
            PAID = 1;
          }
          int64 id = 1;
          Status status = 2;
          repeated Line lines = 3;
          map<string, int32> counts = 4;
          oneof payment {
            string card = 5;
            string iban = 6;
          }
          google.protobuf.Timestamp placed = 7;
          common.Money total = 8;
          bytes blob = 9;
          string customer_name = 10;
        }

        message Refund {
          string order_id = 1;
          double amount = 2;
        }
    "#;

    fn money() -> Referenced {
        Referenced {
            name: "common/money.proto".into(),
            schema_type: SchemaType::Protobuf,
            schema: "syntax = \"proto3\"; package common; message Money { string currency = 1; int64 units = 2; }"
                .into(),
        }
    }

    fn codec() -> ProtobufCodec {
        ProtobufCodec::compile(ORDER, &[money()]).unwrap()
    }

    #[test]
    fn messages_round_trip_in_the_proto3_json_mapping() {
        let codec = codec();
        assert_eq!(codec.record_name().as_deref(), Some("shop.Order"));
        let value = json!({
            "id": "9007199254740993",
            "status": "PAID",
            "lines": [{"sku": "a", "quantity": 2}, {"sku": "b", "quantity": 0}],
            "counts": {"x": 1},
            "card": "4242",
            "placed": "2024-05-01T12:00:00Z",
            "total": {"currency": "EUR", "units": "12"},
            "blob": "AAH/",
            "customer_name": "Ann"
        });
        let bytes = codec.encode(&value).unwrap();
        assert_eq!(bytes[0], 0x00, "the message indexes [0] are the single byte 0");
        assert_eq!(codec.decode(&bytes).unwrap(), value);
    }

    #[test]
    fn serialized_descriptors_in_base64_compile_like_their_text() {
        use base64::Engine;
        // What confluent-kafka's Python serializer registers: the file's descriptor, base64.
        let descriptor = codec().file.file_descriptor_proto().clone();
        let base64 = base64::engine::general_purpose::STANDARD.encode(descriptor.encode_to_vec());
        let from_descriptor = ProtobufCodec::compile(&base64, &[money()]).unwrap();
        assert_eq!(from_descriptor.record_name().as_deref(), Some("shop.Order"));
        let value = json!({"id": "7", "customer_name": "Ann"});
        let bytes = codec().encode(&value).unwrap();
        assert_eq!(from_descriptor.decode(&bytes).unwrap(), codec().decode(&bytes).unwrap());
        assert_eq!(from_descriptor.encode(&value).unwrap(), bytes);
        assert!(ProtobufCodec::compile("bm90IGEgZGVzY3JpcHRvcg==", &[]).is_err(), "base64 of something else");
    }

    #[test]
    fn encode_writes_the_named_message_with_its_indexes() {
        let codec = codec();
        let first = codec.first.full_name().to_owned();
        assert_eq!(codec.encode_as(&json!({}), Some(&first)).unwrap(), codec.encode(&json!({})).unwrap());
        let second = codec.file.messages().nth(1).expect("a second message");
        let bytes = codec.encode_as(&json!({}), Some(second.full_name())).unwrap();
        assert_eq!(&bytes[..2], [0x02, 0x02], "[1] is a count of one, then 1, zigzag");
        assert!(codec.decode(&bytes).is_ok());
        let missing = codec.encode_as(&json!({}), Some("shop.Nothing")).unwrap_err();
        assert!(missing.message.contains("no message 'shop.Nothing'"), "{}", missing.message);
    }

    #[test]
    fn decode_shows_default_values() {
        let codec = codec();
        let decoded = codec.decode(&codec.encode(&json!({})).unwrap()).unwrap();
        assert_eq!(
            decoded,
            json!({
                "id": "0", "status": "NEW", "lines": [], "counts": {}, "blob": "", "customer_name": ""
            })
        );
    }

    #[test]
    fn encode_takes_json_names_too() {
        let codec = codec();
        let bytes = codec.encode(&json!({"customerName": "Bo", "id": 5})).unwrap();
        assert_eq!(codec.decode(&bytes).unwrap()["customer_name"], json!("Bo"));
        assert_eq!(codec.decode(&bytes).unwrap()["id"], json!("5"));
    }

    #[test]
    fn message_indexes_select_other_and_nested_messages() {
        let codec = codec();
        // [1]: Refund { order_id: "o1", amount: 2.5 }.
        let mut refund = vec![0x02, 0x02, 0x0a, 0x02, b'o', b'1', 0x11];
        refund.extend_from_slice(&2.5f64.to_le_bytes());
        assert_eq!(codec.decode(&refund).unwrap(), json!({"order_id": "o1", "amount": 2.5}));
        // [0, 0]: Order.Line { sku: "z", quantity: 3 }.
        let line = [0x04, 0x00, 0x00, 0x0a, 0x01, b'z', 0x10, 0x03];
        assert_eq!(codec.decode(&line).unwrap(), json!({"sku": "z", "quantity": 3}));
        let error = codec.decode(&[0x02, 0x04]).unwrap_err();
        assert!(error.contains("[2] point to no message"), "{error}");
    }

    #[test]
    fn encode_errors_say_which_field() {
        let codec = codec();
        let error = codec.encode(&json!({"lines": [{"sku": "a"}, {"quantity": "x"}]})).unwrap_err();
        assert_eq!(error.path, "lines[1].quantity");
        assert_eq!(error.message, "expected a uint32, found the string \"x\": invalid digit found in string");
        let error = codec.encode(&json!({"status": "LOST"})).unwrap_err();
        assert_eq!((error.path.as_str(), error.message.as_str()), (
                "status",
                "expected a value name of the enum 'shop.Order.Status', found the string \"LOST\": unrecognized enum value 'LOST'"
            ));
        let error = codec.encode(&json!({"counts": {"a": true}})).unwrap_err();
        assert_eq!(
            (error.path.as_str(), error.message.as_str()),
            ("counts.a", "expected a 32-bit signed integer, found boolean `true`")
        );
        let error = codec.encode(&json!({"colour": "red"})).unwrap_err();
        assert_eq!(
            (error.path.as_str(), error.message.as_str()),
            ("colour", "the message 'shop.Order' has no such field")
        );
        let error = codec.encode(&json!({"lines": [{"sku": "a", "size": 1}]})).unwrap_err();
        assert_eq!(
            (error.path.as_str(), error.message.as_str()),
            ("lines[0].size", "the message 'shop.Order.Line' has no such field")
        );
        assert_eq!(codec.encode(&json!([1])).unwrap_err().path, "");
    }

    #[test]
    fn corrupt_payloads_are_errors() {
        let codec = codec();
        let bytes = codec.encode(&json!({"customer_name": "Ann", "lines": [{"sku": "abc"}]})).unwrap();
        // Cut inside the last string.
        let error = codec.decode(&bytes[..bytes.len() - 1]).unwrap_err();
        assert!(error.starts_with("the bytes are not a 'shop.Order' message"), "{error}");
        assert!(codec.decode(&[]).is_err());
        assert!(codec.decode(&[0x00, 0x0f]).is_err(), "field number 1 with wire type 7");
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2000 {
            let garbage: Vec<u8> = (0..(seed % 48))
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            let _ = codec.decode(&garbage);
        }
    }

    #[test]
    fn confluent_imports_resolve_without_references() {
        let schema = r#"
            syntax = "proto3";
            import "confluent/meta.proto";
            import "confluent/type/decimal.proto";
            message Price {
              confluent.type.Decimal amount = 1 [(confluent.field_meta) = { params: [{key: "precision", value: "8"}] }];
            }
        "#;
        let codec = ProtobufCodec::compile(schema, &[]).unwrap();
        let bytes = codec.encode(&json!({"amount": {"value": "BNI=", "scale": 2}})).unwrap();
        assert_eq!(codec.decode(&bytes).unwrap(), json!({"amount": {"value": "BNI=", "precision": 0, "scale": 2}}));
    }

    #[test]
    fn bad_schemas_are_sentences() {
        let missing = ProtobufCodec::compile(ORDER, &[]).unwrap_err();
        assert!(missing.starts_with("the Protobuf schema is not valid"), "{missing}");
        assert!(missing.contains("common/money.proto"), "{missing}");
        let error = ProtobufCodec::compile("syntax = \"proto3\"; message {", &[]).unwrap_err();
        assert!(error.starts_with("the Protobuf schema is not valid"), "{error}");
        let error = ProtobufCodec::compile("syntax = \"proto3\"; enum E { A = 0; }", &[]).unwrap_err();
        assert_eq!(error, "the Protobuf schema defines no message");
    }
}

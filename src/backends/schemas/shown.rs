//! How a record's bytes are shown: the format the sidecar recognises and the JSON it becomes, and
//! whether the record matches a page's or a tail's filter (tested on what is shown).
//!
//! Recognition, in order: no bytes is NULL; magic byte 0 and a 4-byte schema id (with a Schema
//! Registry on the connection) is decoded with that schema (AVRO, PROTOBUF, JSONSCHEMA); UTF-8 text
//! holding a JSON object or array is JSON; other UTF-8 text is STRING; anything else is BYTES
//! (base64). Bytes that cannot be decoded as their format says keep their bytes (base64) with
//! `error` saying why; one bad record never fails a page.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::Value;

use super::codec::wire;
use crate::protocol::records::{Data, Filter, Format, Header};

/// A schema that decodes the payload of Confluent's wire format (after magic byte and id).
pub trait WireDecoder: Send + Sync {
    fn format(&self) -> Format;
    fn decode(&self, payload: &[u8]) -> Result<Value, String>;
}

/// Finds the schema of an id (blocking; cached by the implementation).
pub trait SchemaLookup: Send + Sync {
    fn decoder(&self, id: u32) -> Result<Arc<dyn WireDecoder>, String>;
}

/// What a page or tail needs to show records: the connection's schemas, and its filter.
pub struct Shown {
    schemas: Option<Arc<dyn SchemaLookup>>,
    filter: Option<Matcher>,
}

struct Matcher {
    /// Lower case.
    contains: Option<String>,
    key: Option<String>,
    header: Option<(String, Option<String>)>,
}

impl Shown {
    pub fn new(schemas: Option<Arc<dyn SchemaLookup>>, filter: Option<&Filter>) -> Self {
        let filter =
            filter.filter(|f| f.contains.is_some() || f.key.is_some() || f.header.is_some()).map(|f| Matcher {
                contains: f.contains.as_ref().map(|text| text.to_lowercase()),
                key: f.key.clone(),
                header: f.header.as_ref().map(|h| (h.key.clone(), h.value.clone())),
            });
        Self { schemas, filter }
    }

    /// Whether records are filtered.
    pub fn filters(&self) -> bool {
        self.filter.is_some()
    }

    /// A key or value as shown, keeping at most `max_bytes` of it.
    pub fn data(&self, bytes: Option<&[u8]>, max_bytes: usize) -> Data {
        let Some(bytes) = bytes else {
            return plain(Format::Null, Value::Null);
        };
        if bytes.len() > max_bytes {
            return truncated(bytes, max_bytes);
        }
        if let Some((id, payload)) = wire::split(bytes) {
            if let Some(schemas) = &self.schemas {
                return match schemas.decoder(id).and_then(|decoder| {
                    let format = decoder.format();
                    decoder.decode(payload).map(|data| (format, data))
                }) {
                    Ok((format, data)) => Data { schema_id: Some(id), ..plain(format, data) },
                    Err(error) => Data {
                        schema_id: Some(id),
                        error: Some(format!("Schema id {id}: {error}")),
                        ..plain(Format::Bytes, Value::String(BASE64.encode(bytes)))
                    },
                };
            }
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                let trimmed = text.trim_start();
                if trimmed.starts_with('{') || trimmed.starts_with('[') {
                    if let Ok(data) = serde_json::from_str::<Value>(text) {
                        return plain(Format::Json, data);
                    }
                }
                plain(Format::String, Value::String(text.to_string()))
            }
            Err(_) => plain(Format::Bytes, Value::String(BASE64.encode(bytes))),
        }
    }

    /// Whether a record with this key, value and headers matches the filter (always, without one).
    pub fn matches(&self, key: &Data, value: &Data, headers: &[Header]) -> bool {
        let Some(filter) = &self.filter else { return true };
        if let Some(wanted) = &filter.key {
            if text_of(key).as_deref() != Some(wanted.as_str()) {
                return false;
            }
        }
        if let Some((name, wanted)) = &filter.header {
            let found =
                headers.iter().any(|h| &h.key == name && (wanted.is_none() || h.value.as_ref() == wanted.as_ref()));
            if !found {
                return false;
            }
        }
        if let Some(needle) = &filter.contains {
            let within = |text: &str| text.to_lowercase().contains(needle.as_str());
            let found = [key, value].into_iter().filter_map(text_of).any(|text| within(&text))
                || headers.iter().any(|h| within(&h.key) || h.value.as_deref().is_some_and(within));
            if !found {
                return false;
            }
        }
        true
    }
}

/// A key or value as text, as the filter sees it: a string as is, anything else as its JSON.
fn text_of(data: &Data) -> Option<String> {
    match &data.data {
        Value::Null if data.format == Format::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

fn plain(format: Format, data: Value) -> Data {
    Data { format, data, schema_id: None, truncated: false, size: None, error: None }
}

/// The first `max_bytes` of bytes too long to show whole: as text when they are UTF-8 (cut at a
/// character boundary), else base64; never decoded.
fn truncated(bytes: &[u8], max_bytes: usize) -> Data {
    let head = &bytes[..max_bytes];
    let (format, data) = match std::str::from_utf8(head) {
        Ok(text) => (Format::String, text.to_string()),
        Err(error) if error.error_len().is_none() => {
            (Format::String, String::from_utf8_lossy(&head[..error.valid_up_to()]).into_owned())
        }
        Err(_) => (Format::Bytes, BASE64.encode(head)),
    };
    Data { truncated: true, size: Some(bytes.len() as u64), ..plain(format, Value::String(data)) }
}

/// A header as shown: text, or base64 when it is not UTF-8.
pub fn header(key: &str, value: Option<&[u8]>) -> Header {
    match value.map(std::str::from_utf8) {
        None => Header { key: key.to_string(), value: None, base64: false },
        Some(Ok(text)) => Header { key: key.to_string(), value: Some(text.to_string()), base64: false },
        Some(Err(_)) => Header { key: key.to_string(), value: value.map(|bytes| BASE64.encode(bytes)), base64: true },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::records::HeaderFilter;

    struct Upper;
    impl WireDecoder for Upper {
        fn format(&self) -> Format {
            Format::Avro
        }
        fn decode(&self, payload: &[u8]) -> Result<Value, String> {
            match std::str::from_utf8(payload) {
                Ok(text) => Ok(Value::String(text.to_uppercase())),
                Err(_) => Err("the bytes are not what the schema says".into()),
            }
        }
    }
    struct Known;
    impl SchemaLookup for Known {
        fn decoder(&self, id: u32) -> Result<Arc<dyn WireDecoder>, String> {
            match id {
                7 => Ok(Arc::new(Upper)),
                _ => Err("the Schema Registry has no schema with this id".into()),
            }
        }
    }

    fn shown(filter: Option<Filter>) -> Shown {
        Shown::new(Some(Arc::new(Known)), filter.as_ref())
    }

    #[test]
    fn formats_are_recognised() {
        let s = shown(None);
        assert_eq!(s.data(None, 100).format, Format::Null);
        assert_eq!(s.data(Some(b"hello"), 100), plain(Format::String, Value::String("hello".into())));
        assert_eq!(s.data(Some(br#" {"a": 1}"#), 100), plain(Format::Json, serde_json::json!({"a": 1})));
        assert_eq!(s.data(Some(b"{not json"), 100).format, Format::String);
        assert_eq!(s.data(Some(&[0xff, 0xfe]), 100), plain(Format::Bytes, Value::String("//4=".into())));
        let decoded = s.data(Some(&[0, 0, 0, 0, 7, b'h', b'i']), 100);
        assert_eq!(
            (decoded.format, decoded.schema_id, decoded.data),
            (Format::Avro, Some(7), Value::String("HI".into()))
        );
    }

    #[test]
    fn undecodable_values_keep_their_bytes_and_say_why() {
        let s = shown(None);
        let unknown = s.data(Some(&[0, 0, 0, 0, 9, 1]), 100);
        assert_eq!((unknown.format, unknown.schema_id), (Format::Bytes, Some(9)));
        assert_eq!(unknown.data, Value::String(BASE64.encode([0, 0, 0, 0, 9, 1])));
        assert!(unknown.error.unwrap().contains("no schema with this id"));
        let corrupt = s.data(Some(&[0, 0, 0, 0, 7, 0xff]), 100);
        assert!(corrupt.error.unwrap().contains("not what the schema says"));
        // Without a registry, wire-format bytes are just bytes.
        let none = Shown::new(None, None).data(Some(&[0, 0, 0, 0, 7, 0xff]), 100);
        assert_eq!((none.format, none.error), (Format::Bytes, None));
    }

    #[test]
    fn long_values_are_cut_at_a_character_and_flagged() {
        let s = shown(None);
        let cut = s.data(Some("aé".repeat(10).as_bytes()), 4);
        assert_eq!((cut.format, cut.truncated, cut.size), (Format::String, true, Some(30)));
        assert_eq!(cut.data, Value::String("aéa".into()));
        let binary = s.data(Some(&[0xff; 10]), 4);
        assert_eq!((binary.format, binary.data), (Format::Bytes, Value::String(BASE64.encode([0xff; 4]))));
    }

    #[test]
    fn filters_match_what_is_shown() {
        let s = shown(Some(Filter {
            contains: Some("ORDER".into()),
            key: None,
            header: Some(HeaderFilter { key: "source".into(), value: None }),
        }));
        let key = s.data(Some(b"k1"), 100);
        let value = s.data(Some(br#"{"kind": "order"}"#), 100);
        let source = vec![header("source", Some(b"web"))];
        assert!(s.matches(&key, &value, &source));
        assert!(!s.matches(&key, &value, &[]), "the header is required");
        let other = s.data(Some(b"invoice"), 100);
        assert!(!s.matches(&key, &other, &source));
        // Decoded values are searched as decoded.
        let decoded = s.data(Some(&[0, 0, 0, 0, 7, b'o', b'r', b'd', b'e', b'r']), 100);
        assert!(s.matches(&key, &decoded, &source));
        let by_key = shown(Some(Filter { key: Some("k1".into()), ..Filter::default() }));
        assert!(by_key.matches(&key, &other, &[]));
        assert!(!by_key.matches(&s.data(Some(b"k2"), 100), &other, &[]));
        assert!(!by_key.matches(&s.data(None, 100), &other, &[]));
    }

    #[test]
    fn headers_are_text_or_base64() {
        assert_eq!(header("a", Some(b"x")), Header { key: "a".into(), value: Some("x".into()), base64: false });
        assert_eq!(header("a", None).value, None);
        assert!(header("a", Some(&[0xff])).base64);
    }
}

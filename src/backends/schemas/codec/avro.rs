//! The Avro codec: a registry schema compiled once into a tree with its named types resolved, then
//! Avro binary decoded straight into JSON and JSON encoded straight into Avro binary.
//!
//! apache-avro checks the schema (names, defaults, unions) the way the Avro project does; the tree is
//! built here from the schema's JSON because decoding through apache-avro resolves named types again
//! for every record, and its parsed form drops what the bytes depend on (a `uuid` on a `fixed`).

use std::collections::HashMap;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde_json::{Map, Number, Value};

use super::path::{Segment, Unwound};
use super::{describe, EncodeError, Referenced, SchemaType};

/// Containers nested deeper than this are refused: a recursive schema with hostile bytes could
/// otherwise nest until the stack runs out.
const MAX_DEPTH: u32 = 128;

/// A block may claim more items than bytes are left only when its items can take no bytes (nulls);
/// past this many that is garbage, not data.
const MAX_EMPTY_ITEMS: i64 = 1 << 16;

/// Base64 in: padded or not, as people paste it.
const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Debug)]
pub struct AvroCodec {
    root: Node,
    /// The schema's named types (records, enums, fixed), which nodes point to by position so that a
    /// record can contain itself.
    named: Vec<Named>,
}

#[derive(Debug, Clone)]
enum Node {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    /// `bytes` with the `decimal` logical type.
    Decimal(Decimal),
    Array(Box<Node>),
    Map(Box<Node>),
    Union(Box<[Node]>),
    Named(usize),
}

#[derive(Debug, Clone, Copy)]
struct Decimal {
    precision: u32,
    scale: u32,
}

#[derive(Debug)]
enum Named {
    Record(Record),
    Enum(Enum),
    Fixed(Fixed),
}

#[derive(Debug)]
struct Record {
    name: String,
    fields: Vec<Field>,
}

#[derive(Debug)]
struct Field {
    name: String,
    node: Node,
    /// The default value as the schema writes it.
    default_json: Option<Value>,
    /// The default value already in Avro binary, used when encoding leaves the field out.
    default: Option<Vec<u8>>,
}

#[derive(Debug)]
struct Enum {
    name: String,
    symbols: Vec<String>,
}

#[derive(Debug)]
struct Fixed {
    name: String,
    size: usize,
    logical: FixedLogical,
}

#[derive(Debug, Clone, Copy)]
enum FixedLogical {
    Plain,
    Decimal(Decimal),
    Uuid,
}

impl Named {
    fn name(&self) -> &str {
        match self {
            Named::Record(r) => &r.name,
            Named::Enum(e) => &e.name,
            Named::Fixed(f) => &f.name,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Compiling

impl AvroCodec {
    pub fn compile(schema: &str, references: &[Referenced]) -> Result<Self, String> {
        let references: Vec<&Referenced> = references.iter().filter(|r| r.schema_type == SchemaType::Avro).collect();
        apache_avro::Schema::parse_str_with_list(schema, references.iter().map(|r| r.schema.as_str()))
            .map_err(|e| format!("the Avro schema is not valid: {e}"))?;

        let root: Value = serde_json::from_str(schema).map_err(|e| format!("the Avro schema is not JSON: {e}"))?;
        let referenced: Vec<Value> = references
            .iter()
            .map(|r| {
                serde_json::from_str(&r.schema)
                    .map_err(|e| format!("the referenced Avro schema '{}' is not JSON: {e}", r.name))
            })
            .collect::<Result<_, _>>()?;

        let mut builder = Builder::default();
        for json in referenced.iter().chain([&root]) {
            builder.collect(json, None)?;
        }
        let root = builder.node(&root, None)?;
        let named = builder.finish()?;
        let mut codec = AvroCodec { root, named };
        codec.encode_defaults();
        Ok(codec)
    }

    pub fn record_name(&self) -> Option<String> {
        match self.root {
            Node::Named(i) => match &self.named[i] {
                Named::Record(record) => Some(record.name.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// Field defaults are JSON in the schema; they are written to Avro binary once, here. A default
    /// that does not fit its field's type is left out, so only a value without the field fails.
    fn encode_defaults(&mut self) {
        let mut encoded = Vec::new();
        for (i, named) in self.named.iter().enumerate() {
            let Named::Record(record) = named else { continue };
            for (j, field) in record.fields.iter().enumerate() {
                let Some(json) = &field.default_json else { continue };
                let mut out = Vec::new();
                if self.write(&field.node, json, &mut out, Mode::Default, 0).is_ok() {
                    encoded.push((i, j, out));
                }
            }
        }
        for (i, j, bytes) in encoded {
            if let Named::Record(record) = &mut self.named[i] {
                record.fields[j].default = Some(bytes);
            }
        }
    }
}

/// A named type found in the schema's JSON, before its body is built.
struct Definition<'a> {
    json: &'a Map<String, Value>,
    namespace: Option<String>,
}

#[derive(Default)]
struct Builder<'a> {
    definitions: Vec<(String, Definition<'a>)>,
    by_name: HashMap<String, usize>,
}

impl<'a> Builder<'a> {
    /// First pass: every named type in the JSON gets its position, so that references can point
    /// forward, backward and to the record that contains them.
    fn collect(&mut self, json: &'a Value, namespace: Option<&str>) -> Result<(), String> {
        match json {
            Value::Array(branches) => branches.iter().try_for_each(|b| self.collect(b, namespace)),
            Value::Object(object) => match object.get("type") {
                Some(Value::String(kind)) if matches!(kind.as_str(), "record" | "error" | "enum" | "fixed") => {
                    let (full_name, own_namespace) = full_name(object, namespace)?;
                    if self.by_name.contains_key(&full_name) {
                        return Err(format!("the Avro schema defines the type '{full_name}' twice"));
                    }
                    self.by_name.insert(full_name.clone(), self.definitions.len());
                    self.definitions.push((full_name, Definition { json: object, namespace: own_namespace.clone() }));
                    if let Some(Value::Array(fields)) = object.get("fields") {
                        for field in fields {
                            if let Some(field_type) = field.get("type") {
                                self.collect(field_type, own_namespace.as_deref())?;
                            }
                        }
                    }
                    Ok(())
                }
                Some(Value::String(kind)) if kind == "array" => match object.get("items") {
                    Some(items) => self.collect(items, namespace),
                    None => Ok(()),
                },
                Some(Value::String(kind)) if kind == "map" => match object.get("values") {
                    Some(values) => self.collect(values, namespace),
                    None => Ok(()),
                },
                Some(nested @ (Value::Object(_) | Value::Array(_))) => self.collect(nested, namespace),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// Second pass: the node for a type, with names resolved to positions.
    fn node(&self, json: &Value, namespace: Option<&str>) -> Result<Node, String> {
        match json {
            Value::String(name) => self.named_or_primitive(name, namespace),
            Value::Array(branches) => {
                let branches = branches.iter().map(|b| self.node(b, namespace)).collect::<Result<Vec<_>, _>>()?;
                Ok(Node::Union(branches.into_boxed_slice()))
            }
            Value::Object(object) => match object.get("type") {
                Some(Value::String(kind)) => match kind.as_str() {
                    "record" | "error" | "enum" | "fixed" => {
                        let (full_name, _) = full_name(object, namespace)?;
                        Ok(Node::Named(self.by_name[&full_name]))
                    }
                    "array" => {
                        let items = object.get("items").ok_or("an Avro array has no 'items'")?;
                        Ok(Node::Array(Box::new(self.node(items, namespace)?)))
                    }
                    "map" => {
                        let values = object.get("values").ok_or("an Avro map has no 'values'")?;
                        Ok(Node::Map(Box::new(self.node(values, namespace)?)))
                    }
                    "bytes" if object.get("logicalType").and_then(Value::as_str) == Some("decimal") => {
                        match decimal(object) {
                            Some(decimal) => Ok(Node::Decimal(decimal)),
                            None => Ok(Node::Bytes),
                        }
                    }
                    name => self.named_or_primitive(name, namespace),
                },
                Some(nested) => self.node(nested, namespace),
                None => Err("an Avro type object has no 'type'".to_owned()),
            },
            other => Err(format!("{} is not an Avro type", describe(other))),
        }
    }

    fn named_or_primitive(&self, name: &str, namespace: Option<&str>) -> Result<Node, String> {
        let node = match name {
            "null" => Node::Null,
            "boolean" => Node::Boolean,
            "int" => Node::Int,
            "long" => Node::Long,
            "float" => Node::Float,
            "double" => Node::Double,
            "bytes" => Node::Bytes,
            "string" => Node::String,
            _ => {
                let qualified = match (name.contains('.'), namespace) {
                    (false, Some(namespace)) => Some(format!("{namespace}.{name}")),
                    _ => None,
                };
                let position = qualified
                    .as_deref()
                    .and_then(|q| self.by_name.get(q))
                    .or_else(|| self.by_name.get(name))
                    .ok_or_else(|| {
                        format!("the Avro type '{name}' is not defined: the registry should list the schema that defines it as a reference")
                    })?;
                Node::Named(*position)
            }
        };
        Ok(node)
    }

    /// Builds every named type's body.
    fn finish(self) -> Result<Vec<Named>, String> {
        let mut named = Vec::with_capacity(self.definitions.len());
        for (name, definition) in &self.definitions {
            let object = definition.json;
            let namespace = definition.namespace.as_deref();
            let built = match object.get("type").and_then(Value::as_str) {
                Some("enum") => {
                    let symbols = object
                        .get("symbols")
                        .and_then(Value::as_array)
                        .ok_or_else(|| format!("the Avro enum '{name}' has no 'symbols'"))?
                        .iter()
                        .map(|s| s.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| format!("the symbols of the Avro enum '{name}' are not all strings"))?;
                    Named::Enum(Enum { name: name.clone(), symbols })
                }
                Some("fixed") => {
                    let size = object
                        .get("size")
                        .and_then(Value::as_u64)
                        .ok_or_else(|| format!("the Avro fixed '{name}' has no 'size'"))?
                        as usize;
                    let logical = match object.get("logicalType").and_then(Value::as_str) {
                        Some("decimal") => decimal(object).map_or(FixedLogical::Plain, FixedLogical::Decimal),
                        Some("uuid") if size == 16 => FixedLogical::Uuid,
                        _ => FixedLogical::Plain,
                    };
                    Named::Fixed(Fixed { name: name.clone(), size, logical })
                }
                _ => {
                    let fields = object
                        .get("fields")
                        .and_then(Value::as_array)
                        .ok_or_else(|| format!("the Avro record '{name}' has no 'fields'"))?;
                    let fields = fields
                        .iter()
                        .map(|field| {
                            let field_name = field
                                .get("name")
                                .and_then(Value::as_str)
                                .ok_or_else(|| format!("a field of the Avro record '{name}' has no name"))?;
                            let field_type = field.get("type").ok_or_else(|| {
                                format!("the field '{field_name}' of the Avro record '{name}' has no type")
                            })?;
                            Ok(Field {
                                name: field_name.to_owned(),
                                node: self.node(field_type, namespace)?,
                                default_json: field.get("default").cloned(),
                                default: None,
                            })
                        })
                        .collect::<Result<Vec<_>, String>>()?;
                    Named::Record(Record { name: name.clone(), fields })
                }
            };
            named.push(built);
        }
        Ok(named)
    }
}

/// A named type's full name and the namespace its contents inherit.
fn full_name(object: &Map<String, Value>, enclosing: Option<&str>) -> Result<(String, Option<String>), String> {
    let name = object.get("name").and_then(Value::as_str).ok_or("an Avro named type has no 'name'")?;
    if let Some((namespace, _)) = name.rsplit_once('.') {
        return Ok((name.to_owned(), Some(namespace.to_owned())));
    }
    let namespace = match object.get("namespace").and_then(Value::as_str) {
        Some("") => None,
        Some(namespace) => Some(namespace),
        None => enclosing,
    };
    match namespace {
        Some(namespace) => Ok((format!("{namespace}.{name}"), Some(namespace.to_owned()))),
        None => Ok((name.to_owned(), None)),
    }
}

fn decimal(object: &Map<String, Value>) -> Option<Decimal> {
    let precision = object.get("precision").and_then(Value::as_u64)?;
    let scale = object.get("scale").and_then(Value::as_u64).unwrap_or(0);
    Some(Decimal { precision: u32::try_from(precision).ok()?, scale: u32::try_from(scale).ok()? })
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// Why decoding stopped, and where.
struct DecodeFail {
    kind: DecodeFailKind,
    path: Unwound,
}

enum DecodeFailKind {
    End,
    Bad(String),
}

impl DecodeFail {
    fn end() -> Self {
        Self { kind: DecodeFailKind::End, path: Unwound::default() }
    }

    fn bad(message: impl Into<String>) -> Self {
        Self { kind: DecodeFailKind::Bad(message.into()), path: Unwound::default() }
    }

    fn at(mut self, segment: Segment) -> Self {
        self.path.push(segment);
        self
    }

    fn into_message(self) -> String {
        let path = self.path.render();
        match (self.kind, path.is_empty()) {
            (DecodeFailKind::End, true) => "the bytes end early".to_owned(),
            (DecodeFailKind::End, false) => format!("the bytes end early in field '{path}'"),
            (DecodeFailKind::Bad(message), true) => message,
            (DecodeFailKind::Bad(message), false) => format!("{message} in field '{path}'"),
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    depth: u32,
}

impl<'a> Reader<'a> {
    fn long(&mut self) -> Result<i64, DecodeFail> {
        let mut n: u64 = 0;
        for (i, &byte) in self.bytes.iter().enumerate() {
            if i == 10 {
                return Err(DecodeFail::bad("a number is longer than 10 bytes"));
            }
            n |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.bytes = &self.bytes[i + 1..];
                return Ok(((n >> 1) as i64) ^ -((n & 1) as i64));
            }
        }
        Err(DecodeFail::end())
    }

    fn int(&mut self) -> Result<i32, DecodeFail> {
        let n = self.long()?;
        i32::try_from(n).map_err(|_| DecodeFail::bad(format!("the int {n} is out of range")))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeFail> {
        if len > self.bytes.len() {
            return Err(DecodeFail::end());
        }
        let (taken, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(taken)
    }

    fn length(&mut self) -> Result<usize, DecodeFail> {
        let len = self.long()?;
        usize::try_from(len).map_err(|_| DecodeFail::bad(format!("a length of {len} is negative")))
    }

    fn sized(&mut self) -> Result<&'a [u8], DecodeFail> {
        let len = self.length()?;
        self.take(len)
    }

    fn enter(&mut self) -> Result<(), DecodeFail> {
        self.depth += 1;
        match self.depth > MAX_DEPTH {
            true => Err(DecodeFail::bad(format!("the value nests deeper than {MAX_DEPTH} levels"))),
            false => Ok(()),
        }
    }

    /// The item count of the next array or map block (0 at the end). A negative count is followed by
    /// the block's size in bytes, which a reader that decodes every item does not need.
    fn block(&mut self) -> Result<usize, DecodeFail> {
        let count = self.long()?;
        let count = match count {
            0.. => count,
            i64::MIN => return Err(DecodeFail::bad("a block count is out of range")),
            _ => {
                self.long()?;
                -count
            }
        };
        if count > self.bytes.len() as i64 && count > MAX_EMPTY_ITEMS {
            return Err(DecodeFail::bad(format!(
                "a block claims {count} items, more than the {} bytes left can hold",
                self.bytes.len()
            )));
        }
        Ok(count as usize)
    }
}

impl AvroCodec {
    pub fn decode(&self, payload: &[u8]) -> Result<Value, String> {
        let mut reader = Reader { bytes: payload, depth: 0 };
        let value = self.read(&self.root, &mut reader).map_err(DecodeFail::into_message)?;
        match reader.bytes.len() {
            0 => Ok(value),
            left => Err(format!(
                "{left} bytes are left after the value: the record may have been written with another schema"
            )),
        }
    }

    fn read(&self, node: &Node, r: &mut Reader<'_>) -> Result<Value, DecodeFail> {
        Ok(match node {
            Node::Null => Value::Null,
            Node::Boolean => match r.take(1)?[0] {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                other => return Err(DecodeFail::bad(format!("the boolean byte is {other}, not 0 or 1"))),
            },
            Node::Int => Value::from(r.int()?),
            Node::Long => Value::from(r.long()?),
            Node::Float => {
                let bytes = r.take(4)?;
                float_json(f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
            }
            Node::Double => {
                let bytes = r.take(8)?;
                let mut le = [0; 8];
                le.copy_from_slice(bytes);
                double_json(f64::from_le_bytes(le))
            }
            Node::Bytes => Value::String(STANDARD.encode(r.sized()?)),
            Node::String => match std::str::from_utf8(r.sized()?) {
                Ok(text) => Value::String(text.to_owned()),
                Err(_) => return Err(DecodeFail::bad("the string is not UTF-8")),
            },
            Node::Decimal(decimal) => Value::String(decimal_text(decimal_sized(r.sized()?)?, decimal.scale)),
            Node::Array(items) => {
                r.enter()?;
                let mut array = Vec::new();
                loop {
                    let count = r.block()?;
                    if count == 0 {
                        break;
                    }
                    array.reserve(count.min(r.bytes.len() + 1));
                    for _ in 0..count {
                        let index = array.len();
                        array.push(self.read(items, r).map_err(|e| e.at(Segment::Index(index)))?);
                    }
                }
                r.depth -= 1;
                Value::Array(array)
            }
            Node::Map(values) => {
                r.enter()?;
                let mut map = Map::new();
                loop {
                    let count = r.block()?;
                    if count == 0 {
                        break;
                    }
                    for _ in 0..count {
                        let key = match std::str::from_utf8(r.sized()?) {
                            Ok(key) => key.to_owned(),
                            Err(_) => return Err(DecodeFail::bad("a map key is not UTF-8")),
                        };
                        let value = match self.read(values, r) {
                            Ok(value) => value,
                            Err(e) => return Err(e.at(Segment::Key(key))),
                        };
                        map.insert(key, value);
                    }
                }
                r.depth -= 1;
                Value::Object(map)
            }
            Node::Union(branches) => {
                let index = r.long()?;
                let branch = usize::try_from(index).ok().and_then(|i| branches.get(i)).ok_or_else(|| {
                    DecodeFail::bad(format!("the union branch {index} is not one of the {} branches", branches.len()))
                })?;
                self.read(branch, r)?
            }
            Node::Named(i) => match &self.named[*i] {
                Named::Record(record) => {
                    r.enter()?;
                    let mut map = Map::new();
                    for field in &record.fields {
                        match self.read(&field.node, r) {
                            Ok(value) => map.insert(field.name.clone(), value),
                            Err(e) => return Err(e.at(Segment::Field(field.name.clone()))),
                        };
                    }
                    r.depth -= 1;
                    Value::Object(map)
                }
                Named::Enum(e) => {
                    let index = r.int()?;
                    match usize::try_from(index).ok().and_then(|i| e.symbols.get(i)) {
                        Some(symbol) => Value::String(symbol.clone()),
                        None => {
                            return Err(DecodeFail::bad(format!(
                                "the enum index {index} is not one of the {} symbols of '{}'",
                                e.symbols.len(),
                                e.name
                            )))
                        }
                    }
                }
                Named::Fixed(fixed) => {
                    let bytes = r.take(fixed.size)?;
                    match fixed.logical {
                        FixedLogical::Plain => Value::String(STANDARD.encode(bytes)),
                        FixedLogical::Decimal(decimal) => {
                            Value::String(decimal_text(decimal_sized(bytes)?, decimal.scale))
                        }
                        FixedLogical::Uuid => Value::String(uuid_text(bytes)),
                    }
                }
            },
        })
    }
}

/// A float as JSON, with the digits a person wrote (0.1, not 0.10000000149011612).
fn float_json(value: f32) -> Value {
    match value.is_finite() {
        true => value.to_string().parse::<f64>().map_or(Value::Null, double_json),
        false => double_json(f64::from(value)),
    }
}

fn double_json(value: f64) -> Value {
    match Number::from_f64(value) {
        Some(number) => Value::Number(number),
        None if value.is_nan() => Value::String("NaN".to_owned()),
        None if value > 0.0 => Value::String("Infinity".to_owned()),
        None => Value::String("-Infinity".to_owned()),
    }
}

/// Decimals longer than this are garbage, not data (it is over 300 digits), and turning them into
/// text takes time that grows with the square of their length.
const MAX_DECIMAL_BYTES: usize = 128;

fn decimal_sized(bytes: &[u8]) -> Result<&[u8], DecodeFail> {
    match bytes.len() > MAX_DECIMAL_BYTES {
        true => Err(DecodeFail::bad(format!("a decimal of {} bytes is longer than any precision", bytes.len()))),
        false => Ok(bytes),
    }
}

/// Negates a two's-complement big-endian number in place: invert, then add one.
fn negate(bytes: &mut [u8]) {
    for byte in bytes.iter_mut() {
        *byte = !*byte;
    }
    for byte in bytes.iter_mut().rev() {
        let (sum, carry) = byte.overflowing_add(1);
        *byte = sum;
        if !carry {
            break;
        }
    }
}

/// A decimal's two's-complement big-endian unscaled value as text with `scale` decimal places.
fn decimal_text(bytes: &[u8], scale: u32) -> String {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut magnitude = bytes.to_vec();
    if negative {
        // Two's complement: invert and add one gives the magnitude.
        negate(&mut magnitude);
    }
    // Repeated division by ten of the big-endian magnitude gives the digits, last first.
    let mut digits = Vec::new();
    while magnitude.iter().any(|b| *b != 0) {
        let mut remainder = 0u16;
        for byte in &mut magnitude {
            let current = (remainder << 8) | u16::from(*byte);
            *byte = (current / 10) as u8;
            remainder = current % 10;
        }
        digits.push(b'0' + remainder as u8);
    }
    let scale = scale as usize;
    while digits.len() <= scale {
        digits.push(b'0');
    }
    let mut text = String::with_capacity(digits.len() + 2);
    if negative {
        text.push('-');
    }
    for (i, digit) in digits.iter().rev().enumerate() {
        if i == digits.len() - scale {
            text.push('.');
        }
        text.push(*digit as char);
    }
    text
}

fn uuid_text(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// Values from a person (JSON) or from the schema's own defaults, which write bytes as text with one
/// character per byte and a union's default as its first branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Json,
    Default,
}

struct EncodeFail {
    message: String,
    path: Unwound,
}

impl EncodeFail {
    fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), path: Unwound::default() }
    }

    fn at(mut self, segment: Segment) -> Self {
        self.path.push(segment);
        self
    }
}

fn expected(what: &str, value: &Value) -> EncodeFail {
    EncodeFail::new(format!("expected {what}, found {}", describe(value)))
}

fn write_long(value: i64, out: &mut Vec<u8>) {
    super::wire::write_zigzag(value, out);
}

fn write_sized(bytes: &[u8], out: &mut Vec<u8>) {
    write_long(bytes.len() as i64, out);
    out.extend_from_slice(bytes);
}

impl AvroCodec {
    pub fn encode(&self, value: &Value) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(256);
        self.write(&self.root, value, &mut out, Mode::Json, 0)
            .map_err(|fail| EncodeError { path: fail.path.render(), message: fail.message })?;
        Ok(out)
    }

    fn write(&self, node: &Node, value: &Value, out: &mut Vec<u8>, mode: Mode, depth: u32) -> Result<(), EncodeFail> {
        if depth > MAX_DEPTH {
            return Err(EncodeFail::new(format!("the value nests deeper than {MAX_DEPTH} levels")));
        }
        match node {
            Node::Null => match value {
                Value::Null => {}
                _ => return Err(expected("null", value)),
            },
            Node::Boolean => match value {
                Value::Bool(b) => out.push(u8::from(*b)),
                _ => return Err(expected("a boolean", value)),
            },
            Node::Int => {
                let n = integer(value, "an int")?;
                let n = i32::try_from(n)
                    .map_err(|_| EncodeFail::new(format!("{} does not fit in an int", describe(value))))?;
                write_long(i64::from(n), out);
            }
            Node::Long => write_long(integer(value, "a long")?, out),
            Node::Float => {
                let x = floating(value, "a float")?;
                if x.is_finite() && x.abs() > f64::from(f32::MAX) {
                    return Err(EncodeFail::new(format!("{} does not fit in a float", describe(value))));
                }
                out.extend_from_slice(&(x as f32).to_le_bytes());
            }
            Node::Double => out.extend_from_slice(&floating(value, "a double")?.to_le_bytes()),
            Node::Bytes => write_sized(&bytes_of(value, mode)?, out),
            Node::String => match value {
                Value::String(text) => write_sized(text.as_bytes(), out),
                _ => return Err(expected("a string", value)),
            },
            Node::Decimal(decimal) => write_sized(&decimal_bytes(value, *decimal, None)?, out),
            Node::Array(items) => {
                let Value::Array(array) = value else { return Err(expected("an array", value)) };
                if !array.is_empty() {
                    write_long(array.len() as i64, out);
                    for (i, item) in array.iter().enumerate() {
                        self.write(items, item, out, mode, depth + 1).map_err(|e| e.at(Segment::Index(i)))?;
                    }
                }
                out.push(0);
            }
            Node::Map(values) => {
                let Value::Object(map) = value else { return Err(expected("an object (an Avro map)", value)) };
                if !map.is_empty() {
                    write_long(map.len() as i64, out);
                    for (key, item) in map {
                        write_sized(key.as_bytes(), out);
                        self.write(values, item, out, mode, depth + 1).map_err(|e| e.at(Segment::Key(key.clone())))?;
                    }
                }
                out.push(0);
            }
            Node::Union(branches) => self.write_union(branches, value, out, mode, depth)?,
            Node::Named(i) => match &self.named[*i] {
                Named::Record(record) => self.write_record(record, value, out, mode, depth)?,
                Named::Enum(e) => {
                    let symbol = match value {
                        Value::String(symbol) => e.symbols.iter().position(|s| s == symbol),
                        _ => None,
                    };
                    match symbol {
                        Some(index) => write_long(index as i64, out),
                        None => {
                            let what = format!("one of the symbols {} of the enum '{}'", e.symbols.join(", "), e.name);
                            return Err(expected(&what, value));
                        }
                    }
                }
                Named::Fixed(fixed) => {
                    let bytes = match fixed.logical {
                        FixedLogical::Plain => bytes_of(value, mode)?,
                        FixedLogical::Decimal(decimal) => decimal_bytes(value, decimal, Some(fixed.size))?,
                        FixedLogical::Uuid => uuid_bytes(value)?,
                    };
                    if bytes.len() != fixed.size {
                        return Err(EncodeFail::new(format!(
                            "expected {} bytes for the fixed '{}', found {}",
                            fixed.size,
                            fixed.name,
                            bytes.len()
                        )));
                    }
                    out.extend_from_slice(&bytes);
                }
            },
        }
        Ok(())
    }

    fn write_record(
        &self,
        record: &Record,
        value: &Value,
        out: &mut Vec<u8>,
        mode: Mode,
        depth: u32,
    ) -> Result<(), EncodeFail> {
        let Value::Object(object) = value else {
            return Err(expected(&format!("an object (the record '{}')", record.name), value));
        };
        let mut present = 0;
        for field in &record.fields {
            match (object.get(&field.name), &field.default) {
                (Some(item), _) => {
                    present += 1;
                    self.write(&field.node, item, out, mode, depth + 1)
                        .map_err(|e| e.at(Segment::Field(field.name.clone())))?;
                }
                (None, Some(default)) => out.extend_from_slice(default),
                (None, None) => match &field.node {
                    Node::Union(branches) if branches.iter().any(|b| matches!(b, Node::Null)) => {
                        let null = branches.iter().position(|b| matches!(b, Node::Null)).unwrap_or(0);
                        write_long(null as i64, out);
                    }
                    _ => {
                        return Err(EncodeFail::new("the field is missing and has no default")
                            .at(Segment::Field(field.name.clone())))
                    }
                },
            }
        }
        if present < object.len() {
            if let Some(unknown) = object.keys().find(|k| !record.fields.iter().any(|f| &f.name == *k)) {
                return Err(EncodeFail::new(format!("the record '{}' has no such field", record.name))
                    .at(Segment::Field(unknown.clone())));
            }
        }
        Ok(())
    }

    fn write_union(
        &self,
        branches: &[Node],
        value: &Value,
        out: &mut Vec<u8>,
        mode: Mode,
        depth: u32,
    ) -> Result<(), EncodeFail> {
        let start = out.len();
        // The wrapped form {"<branch>": value} names its branch; a value that only looks like it (a
        // map with one key) still gets its turn as a plain value below.
        let mut wrapped_fail = None;
        if let (Mode::Json, Value::Object(object)) = (mode, value) {
            if let (1, Some((key, inner))) = (object.len(), object.iter().next()) {
                if let Some(index) = branches.iter().position(|b| self.branch_name(b) == *key) {
                    write_long(index as i64, out);
                    match self.write(&branches[index], inner, out, mode, depth + 1) {
                        Ok(()) => return Ok(()),
                        Err(fail) => {
                            out.truncate(start);
                            wrapped_fail = Some(fail.at(Segment::Field(key.clone())));
                        }
                    }
                }
            }
        }
        let mut fails = Vec::new();
        for (index, branch) in branches.iter().enumerate() {
            write_long(index as i64, out);
            match self.write(branch, value, out, mode, depth + 1) {
                Ok(()) => return Ok(()),
                Err(fail) => {
                    out.truncate(start);
                    fails.push((index, fail));
                }
            }
        }
        if let Some(fail) = wrapped_fail {
            return Err(fail);
        }
        // A value of the kind only one branch takes failed inside that branch: its error says where.
        let mut fitting = fails.into_iter().filter(|(index, _)| kind_fits(&branches[*index], value, self));
        if let (Some((_, fail)), None) = (fitting.next(), fitting.next()) {
            return Err(fail);
        }
        let names: Vec<String> = branches.iter().map(|b| self.branch_name(b)).collect();
        Err(expected(&format!("one of {}", names.join(", ")), value))
    }

    /// A union branch's name in the wrapped form: the type's name, or a named type's full name.
    fn branch_name(&self, node: &Node) -> String {
        match node {
            Node::Null => "null",
            Node::Boolean => "boolean",
            Node::Int => "int",
            Node::Long => "long",
            Node::Float => "float",
            Node::Double => "double",
            Node::Bytes | Node::Decimal(_) => "bytes",
            Node::String => "string",
            Node::Array(_) => "array",
            Node::Map(_) => "map",
            Node::Union(_) => "union",
            Node::Named(i) => return self.named[*i].name().to_owned(),
        }
        .to_owned()
    }
}

/// Whether the JSON value is of the kind a branch takes, before looking inside it.
fn kind_fits(node: &Node, value: &Value, codec: &AvroCodec) -> bool {
    match (node, value) {
        (Node::Null, Value::Null) | (Node::Boolean, Value::Bool(_)) => true,
        (Node::Int | Node::Long | Node::Float | Node::Double | Node::Decimal(_), Value::Number(_)) => true,
        (Node::String | Node::Bytes | Node::Decimal(_), Value::String(_)) => true,
        (Node::Array(_), Value::Array(_)) | (Node::Map(_), Value::Object(_)) => true,
        (Node::Named(i), _) => matches!(
            (&codec.named[*i], value),
            (Named::Record(_), Value::Object(_)) | (Named::Enum(_) | Named::Fixed(_), Value::String(_))
        ),
        _ => false,
    }
}

/// An integer from a JSON number, or from a string of digits (JavaScript loses digits past 2^53).
fn integer(value: &Value, what: &str) -> Result<i64, EncodeFail> {
    let n = match value {
        Value::Number(n) => {
            n.as_i64().or_else(|| n.as_f64().filter(|x| x.fract() == 0.0 && x.abs() < 9.2e18).map(|x| x as i64))
        }
        Value::String(text) => text.trim().parse::<i64>().ok(),
        _ => None,
    };
    n.ok_or_else(|| match value {
        Value::Number(n) if n.as_f64().is_some_and(|x| x.fract() == 0.0) => {
            EncodeFail::new(format!("{} does not fit in {what}", describe(value)))
        }
        _ => expected(what, value),
    })
}

fn floating(value: &Value, what: &str) -> Result<f64, EncodeFail> {
    match value {
        Value::Number(n) => n.as_f64().ok_or_else(|| expected(what, value)),
        Value::String(text) => match text.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => text.trim().parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| expected(what, value)),
        },
        _ => Err(expected(what, value)),
    }
}

fn bytes_of(value: &Value, mode: Mode) -> Result<Vec<u8>, EncodeFail> {
    let Value::String(text) = value else { return Err(expected("base64 text", value)) };
    match mode {
        Mode::Json => BASE64_LENIENT.decode(text).map_err(|_| expected("base64 text", value)),
        // Avro writes a bytes default as text with one character per byte (U+0000 to U+00FF).
        Mode::Default => text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).ok())
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| expected("characters U+0000 to U+00FF", value)),
    }
}

fn uuid_bytes(value: &Value) -> Result<Vec<u8>, EncodeFail> {
    let fail = || expected("a uuid such as \"123e4567-e89b-12d3-a456-426614174000\"", value);
    let Value::String(text) = value else { return Err(fail()) };
    let hex: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
    if hex.len() != 32 {
        return Err(fail());
    }
    hex.chunks(2)
        .map(|pair| std::str::from_utf8(pair).ok().and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(fail)
}

/// A decimal value as the two's-complement big-endian bytes of its unscaled value: as short as
/// possible for `bytes`, sign-extended to the size of a `fixed`.
fn decimal_bytes(value: &Value, decimal: Decimal, fixed_size: Option<usize>) -> Result<Vec<u8>, EncodeFail> {
    let what = "a decimal as a string such as \"12.34\"";
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(expected(what, value)),
    };
    let (negative, digits) = unscaled_digits(&text, decimal).map_err(|reason| match reason {
        Some(reason) => EncodeFail::new(format!("{} {reason}", describe(value))),
        None => expected(what, value),
    })?;
    // Base 10 digits to a base 256 big-endian magnitude.
    let mut magnitude: Vec<u8> = Vec::new();
    for digit in digits {
        let mut carry = u16::from(digit);
        for byte in magnitude.iter_mut().rev() {
            let current = u16::from(*byte) * 10 + carry;
            *byte = current as u8;
            carry = current >> 8;
        }
        if carry > 0 {
            magnitude.insert(0, carry as u8);
        }
    }
    if magnitude.first().is_none_or(|b| b & 0x80 != 0) {
        magnitude.insert(0, 0);
    }
    if negative {
        negate(&mut magnitude);
    }
    let (pad, redundant) = match negative {
        true => (0xff, 0xff),
        false => (0x00, 0x00),
    };
    while magnitude.len() > 1 && magnitude[0] == redundant && (magnitude[1] & 0x80 != 0) == negative {
        magnitude.remove(0);
    }
    match fixed_size {
        Some(size) if magnitude.len() > size => {
            Err(EncodeFail::new(format!("{} does not fit in {size} bytes", describe(value))))
        }
        Some(size) => {
            let mut padded = vec![pad; size - magnitude.len()];
            padded.extend_from_slice(&magnitude);
            Ok(padded)
        }
        None => Ok(magnitude),
    }
}

/// The sign and the digits of `text` times 10^scale; `Err(None)` when it is not a number and
/// `Err(Some(reason))` when it does not fit the decimal.
fn unscaled_digits(text: &str, decimal: Decimal) -> Result<(bool, Vec<u8>), Option<String>> {
    let text = text.trim();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i64>().map_err(|_| None)?),
        None => (text, 0),
    };
    if mantissa.len() > 2 * MAX_DECIMAL_BYTES {
        return Err(Some("has more digits than any decimal".to_owned()));
    }
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty() {
        return Err(None);
    }
    let mut digits = Vec::with_capacity(whole.len() + fraction.len());
    for byte in whole.bytes().chain(fraction.bytes()) {
        match byte {
            b'0'..=b'9' => digits.push(byte - b'0'),
            _ => return Err(None),
        }
    }
    let shift = exponent - fraction.len() as i64 + i64::from(decimal.scale);
    if shift > 1000 {
        return Err(Some("is too large".to_owned()));
    }
    if shift >= 0 {
        digits.extend(std::iter::repeat_n(0, shift as usize));
    } else {
        let keep = digits.len().saturating_sub(shift.unsigned_abs() as usize);
        if digits[keep..].iter().any(|d| *d != 0) {
            return Err(Some(format!("has more than {} decimal places, the scale of the decimal", decimal.scale)));
        }
        digits.truncate(keep);
    }
    let leading = digits.iter().take_while(|d| **d == 0).count();
    digits.drain(..leading);
    if decimal.precision > 0 && digits.len() > decimal.precision as usize {
        return Err(Some(format!("has more than {} digits, the precision of the decimal", decimal.precision)));
    }
    Ok((negative && !digits.is_empty(), digits))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn codec(schema: Value) -> AvroCodec {
        AvroCodec::compile(&schema.to_string(), &[]).unwrap()
    }

    fn round_trip(codec: &AvroCodec, value: Value) -> Vec<u8> {
        let bytes = codec.encode(&value).unwrap_or_else(|e| panic!("encoding {value}: {e}"));
        assert_eq!(codec.decode(&bytes).unwrap(), value, "bytes {bytes:02x?}");
        bytes
    }

    /// Every bytes prefix of a valid payload is an error, not a panic and not a value.
    fn every_prefix_fails(codec: &AvroCodec, bytes: &[u8]) {
        for end in 0..bytes.len() {
            assert!(codec.decode(&bytes[..end]).is_err(), "prefix of {end} bytes of {bytes:02x?} decoded");
        }
    }

    #[test]
    fn primitives_match_the_avro_spec_bytes() {
        let cases = [
            (json!("null"), json!(null), vec![]),
            (json!("boolean"), json!(true), vec![1]),
            (json!("int"), json!(-1), vec![0x01]),
            (json!("int"), json!(64), vec![0x80, 0x01]),
            (json!("long"), json!(i64::MIN), vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            (json!("float"), json!(1.5), 1.5f32.to_le_bytes().to_vec()),
            (json!("double"), json!(-2.25), (-2.25f64).to_le_bytes().to_vec()),
            (json!("string"), json!("aé"), vec![0x06, b'a', 0xc3, 0xa9]),
            (json!("bytes"), json!("AAH/"), vec![0x06, 0x00, 0x01, 0xff]),
        ];
        for (schema, value, bytes) in cases {
            let codec = codec(schema.clone());
            assert_eq!(round_trip(&codec, value), bytes, "schema {schema}");
            every_prefix_fails(&codec, &bytes);
        }
    }

    #[test]
    fn floats_keep_their_digits_and_special_values() {
        let float = codec(json!("float"));
        assert_eq!(float.decode(&0.1f32.to_le_bytes()).unwrap(), json!(0.1));
        for special in ["NaN", "Infinity", "-Infinity"] {
            round_trip(&float, json!(special));
            round_trip(&codec(json!("double")), json!(special));
        }
        assert_eq!(float.encode(&json!(1e39)).unwrap_err().message, "the number 1e+39 does not fit in a float");
    }

    fn order_schema() -> Value {
        json!({
            "type": "record", "name": "Order", "namespace": "com.example",
            "fields": [
                {"name": "id", "type": "long"},
                {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}},
                {"name": "lines", "type": {"type": "array", "items": {
                    "type": "record", "name": "Line",
                    "fields": [
                        {"name": "sku", "type": "string"},
                        {"name": "quantity", "type": "int"},
                        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}}
                    ]}}},
                {"name": "tags", "type": {"type": "map", "values": "string"}},
                {"name": "note", "type": ["null", "string"], "default": null},
                {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
                {"name": "previous", "type": ["null", "Line"], "default": null},
                {"name": "placed", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                {"name": "day", "type": {"type": "int", "logicalType": "date"}},
                {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}}
            ]
        })
    }

    fn order() -> Value {
        json!({
            "id": 7,
            "status": "PAID",
            "lines": [
                {"sku": "a", "quantity": 2, "price": "12.34"},
                {"sku": "b", "quantity": -1, "price": "-0.05"}
            ],
            "tags": {"gift": "yes", "a b": ""},
            "note": "ring twice",
            "hash": "3q2+7w==",
            "previous": {"sku": "c", "quantity": 0, "price": "0.00"},
            "placed": 1_700_000_000_000i64,
            "day": 19_700,
            "ref": "123e4567-e89b-12d3-a456-426614174000"
        })
    }

    #[test]
    fn records_enums_arrays_maps_unions_fixed_and_logical_types_round_trip() {
        let codec = codec(order_schema());
        assert_eq!(codec.record_name().as_deref(), Some("com.example.Order"));
        let bytes = round_trip(&codec, order());
        every_prefix_fails(&codec, &bytes);
        let mut empty = order();
        empty["lines"] = json!([]);
        empty["tags"] = json!({});
        empty["note"] = json!(null);
        empty["previous"] = json!(null);
        round_trip(&codec, empty);
    }

    /// apache-avro, the Avro project's Rust implementation, reads what this codec writes to the same
    /// values (on types whose JSON both spell the same way).
    #[test]
    fn apache_avro_reads_what_this_codec_writes() {
        let schema = json!({
            "type": "record", "name": "Check", "fields": [
                {"name": "i", "type": "int"}, {"name": "l", "type": "long"}, {"name": "s", "type": "string"},
                {"name": "b", "type": "boolean"}, {"name": "d", "type": "double"},
                {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y", "Z"]}},
                {"name": "a", "type": {"type": "array", "items": ["null", "long"]}},
                {"name": "m", "type": {"type": "map", "values": {"type": "array", "items": "string"}}},
                {"name": "u", "type": ["null", "string", "E"]}
            ]
        });
        let value = json!({
            "i": -123456, "l": 1_234_567_890_123i64, "s": "snow ☃", "b": true, "d": 0.5, "e": "Z",
            "a": [1, null, -300], "m": {"k": ["v", "w"]}, "u": "Y"
        });
        let ours = codec(schema.clone());
        let bytes = ours.encode(&value).unwrap();
        let theirs = apache_avro::Schema::parse_str(&schema.to_string()).unwrap();
        let mut reader = &bytes[..];
        let read = apache_avro::from_avro_datum(&theirs, &mut reader, None).unwrap();
        assert!(reader.is_empty());
        // The union took "Y" as its string branch, the first it fits, so both read back the text.
        assert_eq!(Value::try_from(read).unwrap(), value);
        // And the other way round.
        let resolved = apache_avro::types::Value::from(value.clone()).resolve(&theirs).unwrap();
        let written = apache_avro::to_avro_datum(&theirs, resolved).unwrap();
        // One map key: apache-avro writes map entries in hash order.
        assert_eq!(written, bytes);
        assert_eq!(ours.decode(&written).unwrap(), value);
    }

    #[test]
    fn decimals_are_twos_complement_of_the_unscaled_value() {
        let bytes = codec(json!({"type": "bytes", "logicalType": "decimal", "precision": 40, "scale": 2}));
        let cases: [(&str, &[u8]); 6] = [
            ("12.34", &[0x04, 0x04, 0xd2]),
            ("-1.00", &[0x02, 0x9c]),
            ("-1.28", &[0x02, 0x80]),
            ("1.28", &[0x04, 0x00, 0x80]),
            ("0.00", &[0x02, 0x00]),
            ("-0.01", &[0x02, 0xff]),
        ];
        for (text, expected) in cases {
            assert_eq!(round_trip(&bytes, json!(text)), expected, "{text}");
        }
        let big = "-12345678901234567890123456789012345678.90";
        round_trip(&bytes, json!(big));
        assert_eq!(bytes.encode(&json!(12.5)).unwrap(), [0x04, 0x04, 0xe2]);
        assert_eq!(bytes.encode(&json!("1.2e1")).unwrap(), [0x04, 0x04, 0xb0]);
        assert!(bytes.encode(&json!("1.234")).unwrap_err().message.contains("more than 2 decimal places"));
        assert!(bytes.encode(&json!("12x")).unwrap_err().message.starts_with("expected a decimal"));

        let fixed = codec(
            json!({"type": "fixed", "name": "Money", "size": 3, "logicalType": "decimal", "precision": 6, "scale": 1}),
        );
        assert_eq!(round_trip(&fixed, json!("-0.1")), [0xff, 0xff, 0xff]);
        assert_eq!(round_trip(&fixed, json!("99999.9")), [0x0f, 0x42, 0x3f]);
        assert!(fixed.encode(&json!("999999.9")).unwrap_err().message.contains("precision"));
    }

    /// Writers may split an array or map into blocks, and give a block's byte size with a negative
    /// count (Java's BlockingBinaryEncoder does).
    #[test]
    fn blocks_and_sized_blocks_are_read() {
        let array = codec(json!({"type": "array", "items": "int"}));
        // A block of 2 (1, 2), a sized block of 1 (-1 items, 1 byte: 3), the end.
        assert_eq!(array.decode(&[0x04, 0x02, 0x04, 0x01, 0x02, 0x06, 0x00]).unwrap(), json!([1, 2, 3]));
        let map = codec(json!({"type": "map", "values": "boolean"}));
        assert_eq!(
            map.decode(&[0x02, 0x02, b'a', 0x01, 0x01, 0x08, 0x02, b'b', 0x00, 0x00]).unwrap(),
            json!({"a": true, "b": false})
        );
        assert_eq!(array.decode(&[0x04, 0x02]).unwrap_err(), "the bytes end early in field '[1]'");
    }

    #[test]
    fn uuid_on_fixed_is_its_text() {
        let codec = codec(json!({"type": "fixed", "name": "Id", "size": 16, "logicalType": "uuid"}));
        let bytes = round_trip(&codec, json!("123e4567-e89b-12d3-a456-426614174000"));
        assert_eq!(bytes[..2], [0x12, 0x3e]);
    }

    #[test]
    fn recursive_types_and_wrapped_unions() {
        let list = codec(json!({
            "type": "record", "name": "Node", "namespace": "list",
            "fields": [
                {"name": "value", "type": "int"},
                {"name": "next", "type": ["null", "Node"]}
            ]
        }));
        let value = json!({"value": 1, "next": {"value": 2, "next": {"value": 3, "next": null}}});
        let bytes = round_trip(&list, value.clone());
        assert_eq!(bytes, [0x02, 0x02, 0x04, 0x02, 0x06, 0x00]);
        let wrapped =
            json!({"value": 1, "next": {"list.Node": {"value": 2, "next": {"list.Node": {"value": 3, "next": null}}}}});
        assert_eq!(list.encode(&wrapped).unwrap(), bytes);

        let union = codec(json!(["null", "long", "string", {"type": "map", "values": "long"}]));
        assert_eq!(union.encode(&json!({"string": "x"})).unwrap(), [0x04, 0x02, b'x']);
        assert_eq!(union.encode(&json!({"long": 5})).unwrap(), [0x02, 0x0a]);
        // A map whose one key is not a branch name is a plain map.
        assert_eq!(union.encode(&json!({"k": 1})).unwrap(), [0x06, 0x02, 0x02, b'k', 0x02, 0x00]);
        assert_eq!(union.encode(&json!(null)).unwrap(), [0x00]);
        assert_eq!(
            union.encode(&json!(true)).unwrap_err().message,
            "expected one of null, long, string, map, found the boolean true"
        );
    }

    #[test]
    fn deep_recursion_from_garbage_is_an_error() {
        let list = codec(json!({
            "type": "record", "name": "Node",
            "fields": [{"name": "next", "type": ["null", "Node"]}]
        }));
        let bytes = vec![0x02; 100_000];
        assert!(list.decode(&bytes).unwrap_err().contains("deeper than"));
    }

    #[test]
    fn references_define_named_types() {
        let customer = Referenced {
            name: "com.example.Customer".into(),
            schema_type: SchemaType::Avro,
            schema: json!({
                "type": "record", "name": "Customer", "namespace": "com.example",
                "fields": [{"name": "name", "type": "string"}, {"name": "address", "type": "Address"}]
            })
            .to_string(),
        };
        let address = Referenced {
            name: "com.example.Address".into(),
            schema_type: SchemaType::Avro,
            schema: json!({"type": "record", "name": "Address", "namespace": "com.example", "fields": [{"name": "city", "type": "string"}]})
                .to_string(),
        };
        let schema = json!({
            "type": "record", "name": "Order", "namespace": "com.example",
            "fields": [{"name": "customer", "type": "Customer"}, {"name": "shipTo", "type": "com.example.Address"}]
        })
        .to_string();
        let codec = AvroCodec::compile(&schema, &[address.clone(), customer.clone()]).unwrap();
        round_trip(
            &codec,
            json!({"customer": {"name": "Ann", "address": {"city": "Oslo"}}, "shipTo": {"city": "Rome"}}),
        );
        let missing = AvroCodec::compile(&schema, &[customer]).unwrap_err();
        assert!(missing.contains("Address"), "{missing}");
    }

    #[test]
    fn encode_errors_say_which_field() {
        let codec = codec(order_schema());
        let cases = [
            ("/lines/1/quantity", json!("x"), "lines[1].quantity", "expected an int, found the string \"x\""),
            (
                "/lines/0/quantity",
                json!(3_000_000_000i64),
                "lines[0].quantity",
                "the number 3000000000 does not fit in an int",
            ),
            (
                "/status",
                json!("LOST"),
                "status",
                "expected one of the symbols NEW, PAID of the enum 'com.example.Status', found the string \"LOST\"",
            ),
            ("/tags/gift", json!(1), "tags.gift", "expected a string, found the number 1"),
            ("/hash", json!("AAA="), "hash", "expected 4 bytes for the fixed 'com.example.Hash', found 2"),
            ("/hash", json!("not base64!"), "hash", "expected base64 text, found the string \"not base64!\""),
            ("/previous/sku", json!(5), "previous.sku", "expected a string, found the number 5"),
            ("/note", json!(5), "note", "expected one of null, string, found the number 5"),
            ("/lines", json!({}), "lines", "expected an array, found an object"),
        ];
        for (pointer, bad, path, message) in cases {
            let mut value = order();
            *value.pointer_mut(pointer).unwrap() = bad;
            let error = codec.encode(&value).unwrap_err();
            assert_eq!((error.path.as_str(), error.message.as_str()), (path, message), "{pointer}");
        }

        let mut missing = order();
        missing["lines"][0].as_object_mut().unwrap().remove("sku");
        let error = codec.encode(&missing).unwrap_err();
        assert_eq!(error.path, "lines[0].sku");
        assert_eq!(error.message, "the field is missing and has no default");

        let mut extra = order();
        extra["lines"][1]["colour"] = json!("red");
        let error = codec.encode(&extra).unwrap_err();
        assert_eq!(error.path, "lines[1].colour");
        assert_eq!(error.message, "the record 'com.example.Line' has no such field");
        assert_eq!(codec.encode(&json!([])).unwrap_err().path, "");
    }

    #[test]
    fn missing_fields_take_their_defaults() {
        let codec = codec(json!({
            "type": "record", "name": "R", "fields": [
                {"name": "a", "type": "int", "default": 42},
                {"name": "b", "type": "bytes", "default": "\u{00ff}A"},
                {"name": "c", "type": ["string", "null"], "default": "dflt"},
                {"name": "d", "type": ["null", "int"]},
                {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y"]}, "default": "Y"}
            ]
        }));
        let bytes = codec.encode(&json!({})).unwrap();
        assert_eq!(codec.decode(&bytes).unwrap(), json!({"a": 42, "b": "/0E=", "c": "dflt", "d": null, "e": "Y"}));
    }

    #[test]
    fn garbage_and_leftovers_are_errors() {
        let codec = codec(order_schema());
        assert!(codec.decode(&[0x02, 0x09]).unwrap_err().contains("the enum index -5"));
        let mut bytes = codec.encode(&order()).unwrap();
        bytes.push(0);
        assert!(codec.decode(&bytes).unwrap_err().starts_with("1 bytes are left"));
        // An array claiming 2^62 items of a type that takes bytes.
        let array = super::tests::codec(json!({"type": "array", "items": "null"}));
        let mut huge = Vec::new();
        write_long(1 << 62, &mut huge);
        assert!(array.decode(&huge).unwrap_err().contains("more than the 0 bytes left"));
        let decimal = super::tests::codec(json!({"type": "bytes", "logicalType": "decimal", "precision": 4}));
        let mut long_decimal = Vec::new();
        write_long(100_000, &mut long_decimal);
        long_decimal.extend(std::iter::repeat_n(0x7f, 100_000));
        assert_eq!(
            decimal.decode(&long_decimal).unwrap_err(),
            "a decimal of 100000 bytes is longer than any precision"
        );
        let string = super::tests::codec(json!("string"));
        assert_eq!(string.decode(&[0x03]).unwrap_err(), "a length of -2 is negative");
        assert_eq!(string.decode(&[0x04, 0xff, 0xfe]).unwrap_err(), "the string is not UTF-8");
        assert_eq!(codec.decode(&[0x02]).unwrap_err(), "the bytes end early in field 'status'");
        // Pseudo-random bytes: errors or values, never a panic.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..2000 {
            let len = (seed % 64) as usize;
            let garbage: Vec<u8> = (0..len)
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
    fn bad_schemas_are_sentences() {
        let error = AvroCodec::compile("{\"type\": \"record\"}", &[]).unwrap_err();
        assert!(error.starts_with("the Avro schema is not valid"), "{error}");
        let error = AvroCodec::compile("not json", &[]).unwrap_err();
        assert!(error.starts_with("the Avro schema is not valid"), "{error}");
    }
}

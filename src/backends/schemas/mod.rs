//! Schema Registry on the data plane: the registry's REST API ([`registry`]), the codecs that turn
//! Confluent's wire format (magic byte 0, a 4-byte schema id, the payload) into JSON and back
//! ([`codec`]: Avro, Protobuf, JSON Schema), the compiled schemas of each registry ([`cache`]) and how
//! a record's bytes are shown ([`shown`]).

pub mod cache;
pub mod codec;
pub mod registry;
pub mod shown;

pub use cache::RegistrySchemas;

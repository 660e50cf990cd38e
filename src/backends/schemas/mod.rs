//! Schema Registry on the data plane: the registry's REST API ([`registry`]) and the codecs that turn
//! Confluent's wire format (magic byte 0, a 4-byte schema id, the payload) into JSON and back
//! ([`codec`]: Avro, Protobuf, JSON Schema).

pub mod codec;
pub mod registry;

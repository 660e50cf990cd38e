//! ide-sidecar: an editor companion for Kafka developers, served over stdio JSON-RPC.
//!
//! Modules in reading order, following the data from the wire to the outside systems:
//! - [`protocol`]: the wire contract: the method table ([`protocol::methods`], each method declared
//!   once), params, results, notifications, options, error codes ([`protocol::ErrorCode`]); the only
//!   place that knows serde and schemars, and the source of `schema/`.
//! - [`server`]: JSON-RPC over stdio with `tower-lsp-server`: lifecycle, the transport, params decoding,
//!   one handler per method in `server/handlers/` (dispatched from the method table), turning errors
//!   into codes, forwarding events.
//! - [`connections`]: the connection manager: store, validation, secrets, status, check scheduling.
//!   No JSON-RPC and no IO of its own: it calls the backends through the [`connections::Checks`] seam.
//! - [`backends`]: IO adapters, one per outside system: Kafka (librdkafka), Schema Registry and
//!   Confluent Cloud (HTTP: sign-in, the control plane, Kafka REST v3).
//! - [`store`]: the optional shared store on disk (`initializationOptions.store`): `state.json` and the
//!   OS keychain; `connections::shared_store` decides what goes there and applies what others wrote.
//!
//! The built-in demo (`ide-sidecar demo`), with its framed client and tiny Schema Registry, belongs to
//! the binary (`src/demo/`), not to this library; the integration tests include the same files.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

pub mod backends;
pub mod connections;
pub mod protocol;
pub mod server;
pub mod store;

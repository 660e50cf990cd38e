//! The schemas of one Schema Registry as records need them: fetched once per id (with the schemas
//! they reference), compiled once, and kept. A page of 500 records with one schema asks the
//! registry once; so does a tail for as long as it runs.
//!
//! A lookup that failed is remembered briefly so a page of records with an unknown id does not ask
//! the registry once per record: an unknown id for [`UNKNOWN_FOR`], a registry that could not be
//! reached for [`UNREACHABLE_FOR`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::codec::{Compiled, Referenced, SchemaType};
use super::registry::{RegisteredSchema, RegistryClient, RegistryError, VersionRef};
use super::shown::{SchemaLookup, WireDecoder};
use crate::protocol::records::Format;

/// How long an id the registry does not know stays unknown.
const UNKNOWN_FOR: Duration = Duration::from_secs(60);
/// How long a registry that could not be reached is not asked again.
const UNREACHABLE_FOR: Duration = Duration::from_secs(5);
type Found = Result<Arc<Compiled>, String>;

/// One registry's compiled schemas.
pub struct RegistrySchemas {
    /// The registry's client, or why there is none (its TLS stores cannot be read, say).
    client: Result<Arc<RegistryClient>, String>,
    by_id: Mutex<HashMap<u32, (Found, Option<Instant>)>>,
    /// Serializes fetches, so that records arriving together with a new id fetch it once.
    fetching: tokio::sync::Mutex<()>,
    runtime: tokio::runtime::Handle,
    timeout: Mutex<Duration>,
}

impl RegistrySchemas {
    fn lock(&self) -> MutexGuard<'_, HashMap<u32, (Found, Option<Instant>)>> {
        self.by_id.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The schemas of the registry `client` reaches (or of one that cannot be used, and says why),
    /// asked with `timeout`. Called on the runtime, whose handle pages use to fetch.
    pub fn new(client: Result<Arc<RegistryClient>, String>, timeout: Duration) -> Self {
        Self {
            client,
            by_id: Mutex::default(),
            fetching: tokio::sync::Mutex::new(()),
            runtime: tokio::runtime::Handle::current(),
            timeout: Mutex::new(timeout),
        }
    }

    fn timeout(&self) -> Duration {
        *self.timeout.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Later requests ask with their own time limit.
    pub fn set_timeout(&self, timeout: Duration) {
        *self.timeout.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = timeout;
    }

    /// The registry's client, or why there is none.
    pub fn client(&self) -> Result<&Arc<RegistryClient>, String> {
        self.client.as_ref().map_err(String::clone)
    }

    fn cached(&self, id: u32) -> Option<Found> {
        let cache = self.lock();
        match cache.get(&id) {
            Some((found, None)) => Some(found.clone()),
            Some((found, Some(until))) if Instant::now() < *until => Some(found.clone()),
            _ => None,
        }
    }

    /// The compiled schema of an id.
    pub async fn by_id(&self, id: u32) -> Found {
        if let Some(found) = self.cached(id) {
            return found;
        }
        let _one_at_a_time = self.fetching.lock().await;
        if let Some(found) = self.cached(id) {
            return found;
        }
        let timeout = self.timeout();
        let fetched = match self.client() {
            Ok(client) => match client.schema_by_id(id, timeout).await {
                Ok(schema) => compile(client, &schema, timeout).await,
                Err(error) => Err(Fetch::Registry(error)),
            },
            Err(message) => Err(Fetch::Unreachable(message)),
        };
        let (found, until) = match fetched {
            Ok(compiled) => (Ok(Arc::new(compiled)), None),
            Err(Fetch::Registry(RegistryError::Refused { status: 404, message, .. })) => {
                (Err(format!("the Schema Registry has no schema with this id ({message})")), Some(UNKNOWN_FOR))
            }
            Err(Fetch::Registry(error)) => (Err(error.to_string()), Some(UNREACHABLE_FOR)),
            Err(Fetch::Unreachable(message)) => (Err(message), Some(UNREACHABLE_FOR)),
            Err(Fetch::Compile(message)) => (Err(message), None),
        };
        self.lock().insert(id, (found.clone(), until.map(|after| Instant::now() + after)));
        found
    }

    /// A subject's schema (its latest version unless one is named), with its id.
    pub async fn by_subject(&self, subject: &str, version: Option<i32>) -> Result<(u32, Arc<Compiled>), String> {
        let timeout = self.timeout();
        let client = self.client()?;
        let version = version.map_or(VersionRef::Latest, VersionRef::Number);
        let schema = client.schema_by_version(subject, version, timeout).await.map_err(|error| match error {
            RegistryError::Refused { error_code: 40401, .. } => {
                format!("The Schema Registry has no subject '{subject}': register a schema under it first")
            }
            RegistryError::Refused { error_code: 40402, .. } => {
                format!("Subject '{subject}' has no version {version}")
            }
            other => other.to_string(),
        })?;
        let id = schema.id;
        if let Some(Ok(compiled)) = self.cached(id) {
            return Ok((id, compiled));
        }
        let compiled = Arc::new(compile(client, &schema, timeout).await.map_err(|error| error.to_string())?);
        self.lock().insert(id, (Ok(compiled.clone()), None));
        Ok((id, compiled))
    }
}

enum Fetch {
    Registry(RegistryError),
    Unreachable(String),
    Compile(String),
}

impl From<RegistryError> for Fetch {
    fn from(error: RegistryError) -> Self {
        Self::Registry(error)
    }
}

impl std::fmt::Display for Fetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Registry(error) => write!(f, "{error}"),
            Self::Unreachable(message) | Self::Compile(message) => f.write_str(message),
        }
    }
}

async fn compile(client: &RegistryClient, schema: &RegisteredSchema, timeout: Duration) -> Result<Compiled, Fetch> {
    let schema_type = SchemaType::from_registry(Some(&schema.schema_type)).ok_or_else(|| {
        Fetch::Compile(format!("the schema's type '{}' is not one the sidecar reads", schema.schema_type))
    })?;
    let references = client
        .referenced_schemas(schema, timeout)
        .await?
        .into_iter()
        .map(|(name, schema_type, schema)| Referenced {
            name,
            schema_type: SchemaType::from_registry(Some(&schema_type)).unwrap_or(SchemaType::Avro),
            schema,
        })
        .collect::<Vec<_>>();
    Compiled::compile(schema_type, &schema.schema, &references)
        .map_err(|error| Fetch::Compile(format!("the schema does not compile: {error}")))
}

impl WireDecoder for Compiled {
    fn format(&self) -> Format {
        match self.schema_type() {
            SchemaType::Avro => Format::Avro,
            SchemaType::Protobuf => Format::Protobuf,
            SchemaType::Json => Format::Jsonschema,
        }
    }

    fn decode(&self, payload: &[u8]) -> Result<serde_json::Value, String> {
        Compiled::decode(self, payload)
    }
}

/// Decoding pages and tails: called on their blocking threads, so a fetch blocks on the runtime.
impl SchemaLookup for RegistrySchemas {
    fn decoder(&self, id: u32) -> Result<Arc<dyn WireDecoder>, String> {
        let found = match self.cached(id) {
            Some(found) => found,
            None => self.runtime.block_on(self.by_id(id)),
        };
        found.map(|compiled| compiled as Arc<dyn WireDecoder>)
    }
}

//! What each connection type means to the manager, in one place: how often its task runs, what
//! it checks, whether it holds a Confluent Cloud sign-in, and what `connections/refresh` does. The
//! manager asks the [`Kind`] of a connection instead of comparing its type.

use std::time::Duration;

use super::checks::{KafkaTarget, LocalDiscovery, Plan};
use super::valid::{ValidSchemaRegistry, ValidTls};
use super::validation::{self, FieldError};
use super::Settings;
use crate::protocol::{ConnectionSpec, ConnectionType, SchemaRegistryConfig};

/// A connection's kind, known once its spec is valid (a valid spec has a type, and an update
/// cannot change it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// DIRECT and PLATFORM: the Kafka cluster and Schema Registry the spec names.
    Direct,
    /// LOCAL: what runs on this machine, found anew at every check unless the spec names it.
    Local,
    /// CCLOUD: a Confluent Cloud sign-in and its session; no component to check.
    Ccloud,
}

/// What keeps a connection's status current: its task's work, and what a refresh does now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upkeep {
    /// Check the components of the [plan](Kind::plan), every [interval](Kind::interval).
    Checks,
    /// Keep the Confluent Cloud session on its schedule; a refresh asks `check_jwt` now.
    Session,
}

impl Kind {
    pub fn of(connection_type: ConnectionType) -> Self {
        match connection_type {
            ConnectionType::Direct | ConnectionType::Platform => Kind::Direct,
            ConnectionType::Local => Kind::Local,
            ConnectionType::Ccloud => Kind::Ccloud,
        }
    }

    /// How often the connection's task checks it (or asks `check_jwt`).
    pub fn interval(self, settings: &Settings) -> Duration {
        match self {
            Kind::Direct => settings.direct_interval,
            Kind::Local => settings.local_interval,
            Kind::Ccloud => settings.ccloud_interval,
        }
    }

    pub fn upkeep(self) -> Upkeep {
        match self {
            Kind::Direct | Kind::Local => Upkeep::Checks,
            Kind::Ccloud => Upkeep::Session,
        }
    }

    /// Whether the connection signs in to Confluent Cloud (and so shows `status.ccloud`).
    pub fn signs_in(self) -> bool {
        self == Kind::Ccloud
    }

    /// What the checks of `spec` reach, with the sidecar's settings filling in what LOCAL leaves out.
    /// `spec` is one validation accepted (every caller validates first), so each component's typed
    /// form can be had; a part that could not would be left out, and logged.
    pub fn plan(self, spec: &ConnectionSpec, settings: &Settings) -> Plan {
        let cluster =
            || spec.kafka_cluster.as_ref().and_then(|cluster| typed(validation::parse_kafka_cluster(cluster)));
        match self {
            Kind::Direct => Plan {
                kafka: cluster().map(KafkaTarget::Direct),
                schema_registry: spec.schema_registry.as_ref().and_then(registry),
            },
            Kind::Local => Plan {
                kafka: match &spec.kafka_cluster {
                    Some(_) => cluster().map(KafkaTarget::Direct),
                    None => Some(KafkaTarget::Discover(LocalDiscovery {
                        rest_proxy_uri: settings.local.kafka_rest_uri.clone(),
                        bootstrap_servers: settings.local.bootstrap_servers.clone(),
                    })),
                },
                schema_registry: match &spec.schema_registry {
                    Some(configured) => registry(configured),
                    None => {
                        let configured = spec.local_config.as_ref().and_then(|local| local.schema_registry_uri.clone());
                        let uri = configured.unwrap_or_else(|| settings.local.schema_registry_uri.clone());
                        (!uri.is_empty()).then_some(ValidSchemaRegistry {
                            uri,
                            credentials: None,
                            tls: ValidTls::default(),
                        })
                    }
                },
            },
            Kind::Ccloud => Plan::default(),
        }
    }
}

fn registry(registry: &SchemaRegistryConfig) -> Option<ValidSchemaRegistry> {
    typed(validation::parse_schema_registry(registry))
}

/// The typed form, or `None` (logged) for a part of a spec that validation should have refused.
fn typed<T>(parsed: Result<T, Vec<FieldError>>) -> Option<T> {
    parsed
        .map_err(|problems| tracing::error!(?problems, "a validated spec does not parse; its part is not checked"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::InitializationOptions;

    #[test]
    fn each_type_has_its_interval_and_upkeep() {
        let settings = Settings::from(&InitializationOptions::default());
        let cases = [
            (ConnectionType::Direct, settings.direct_interval, Upkeep::Checks, false),
            (ConnectionType::Platform, settings.direct_interval, Upkeep::Checks, false),
            (ConnectionType::Local, settings.local_interval, Upkeep::Checks, false),
            (ConnectionType::Ccloud, settings.ccloud_interval, Upkeep::Session, true),
        ];
        for (connection_type, interval, upkeep, signs_in) in cases {
            let kind = Kind::of(connection_type);
            assert_eq!((kind.interval(&settings), kind.upkeep(), kind.signs_in()), (interval, upkeep, signs_in));
        }
    }

    #[test]
    fn a_ccloud_connection_checks_no_component() {
        let settings = Settings::from(&InitializationOptions::default());
        let spec: ConnectionSpec = serde_json::from_value(serde_json::json!({"name": "c", "type": "CCLOUD"})).unwrap();
        assert!(Kind::Ccloud.plan(&spec, &settings).is_empty());
    }
}

//! LOCAL discovery: finds the Kafka cluster running on this machine and checks it like a DIRECT one.
//!
//! First the Confluent Local REST proxy (`confluent local kafka start` runs one next to the broker):
//! `GET /v3/clusters` gives the cluster id, `GET /v3/clusters/{id}/brokers` the brokers, and each
//! broker's `advertised.listeners` config the addresses it advertises, from which we keep those a
//! client on this machine can use. Otherwise a plain broker at the configured bootstrap servers.
//! The REST proxy may only use a share of the check's time, so that a port that accepts
//! connections but never answers cannot starve the Kafka check that follows.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::time::Instant;
use url::Url;

use crate::connections::ValidKafkaCluster;
use crate::connections::{human_duration, LocalDiscovery, Outcome};

/// The part of the check's time that all REST proxy calls together may use.
const REST_PROXY_SHARE: f64 = 0.4;
/// The part of the check's time that one REST proxy call may use.
const REST_CALL_SHARE: f64 = 0.2;
/// The least time the Kafka check is given, however little is left.
const KAFKA_CHECK_MIN: Duration = Duration::from_millis(100);

/// Finds the local Kafka cluster and checks it. Gives up by `timeout`.
pub async fn check(checks: &super::RealChecks, discovery: &LocalDiscovery, timeout: Duration) -> Outcome {
    let deadline = Instant::now() + timeout;
    let mut tried = Vec::new();
    if !discovery.rest_proxy_uri.is_empty() {
        match discover(&discovery.rest_proxy_uri, timeout).await {
            Ok(found) => return check_found(checks, found, deadline).await,
            Err(error) => {
                tracing::debug!(%error, "no Kafka cluster found through the REST proxy");
                tried.push(error.to_string());
            }
        }
    }
    let servers = discovery.bootstrap_servers.as_str();
    if servers.is_empty() && tried.is_empty() {
        return Outcome::failed(
            "Local discovery is switched off (the local.kafka_rest_uri and local.bootstrap_servers initializationOptions are empty): set kafka_cluster.bootstrap_servers on this connection",
            false,
        );
    }
    let mut transient = true;
    if !servers.is_empty() {
        match super::check_kafka(checks.clone(), ValidKafkaCluster::plaintext(servers), remaining(deadline)).await {
            Outcome::Success { cluster_id, .. } => {
                return Outcome::Success { cluster_id, bootstrap_servers: Some(servers.to_string()) };
            }
            Outcome::Failed { message, transient: fallback_transient } => {
                tried.push(format!("a Kafka broker at {servers}: {message}"));
                transient = fallback_transient;
            }
        }
    }
    let found = if transient { "No local Kafka cluster found" } else { "No usable local Kafka cluster found" };
    Outcome::failed(
        format!(
            "{found}. Tried {}. Start a local cluster with `confluent local kafka start`, or point this connection at a running cluster: set kafka_cluster.bootstrap_servers on it, or the local.kafka_rest_uri and local.bootstrap_servers initializationOptions",
            tried.join("; then ")
        ),
        transient,
    )
}

/// What the REST proxy told about its cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Found {
    rest_proxy_uri: String,
    cluster_id: String,
    bootstrap_servers: String,
}

/// Checks the cluster the REST proxy reported, at the addresses it reported.
async fn check_found(checks: &super::RealChecks, found: Found, deadline: Instant) -> Outcome {
    tracing::debug!(?found, "found a Kafka cluster through the REST proxy");
    match super::check_kafka(checks.clone(), ValidKafkaCluster::plaintext(&found.bootstrap_servers), remaining(deadline)).await {
        Outcome::Success { cluster_id, .. } => Outcome::Success {
            // What the cluster itself says wins; the two agree unless the listeners point elsewhere.
            cluster_id: cluster_id.or(Some(found.cluster_id)),
            bootstrap_servers: Some(found.bootstrap_servers),
        },
        Outcome::Failed { message, transient } => Outcome::failed(
            format!(
                "The Confluent Local REST proxy at {} reports Kafka cluster {} at {}, but the check failed: {message}. If the cluster is reachable at another address, set kafka_cluster.bootstrap_servers on this connection",
                found.rest_proxy_uri, found.cluster_id, found.bootstrap_servers
            ),
            transient,
        ),
    }
}

fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now()).max(KAFKA_CHECK_MIN)
}

/// Why the REST proxy step found no cluster. Each message names the place and what happened
/// there, for the list of what was tried.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
enum RestProxyError {
    #[error("the Confluent Local REST proxy at {uri}, but it is not a valid URI ({detail})")]
    BadUri { uri: String, detail: String },
    #[error("the Confluent Local REST proxy at {uri}, but it is not running (connection refused)")]
    NotRunning { uri: String },
    #[error("the Confluent Local REST proxy at {uri}, but it cannot be reached ({detail})")]
    Unreachable { uri: String, detail: String },
    #[error("the Confluent Local REST proxy at {uri}, but the server there did not answer GET {path} within {waited}")]
    NoAnswer { uri: String, path: String, waited: String },
    #[error(
        "the Confluent Local REST proxy, but the server at {uri} is not a Confluent REST proxy (GET {path} {why})"
    )]
    NotARestProxy { uri: String, path: String, why: String },
    #[error("the Confluent Local REST proxy at {uri}, but it answered HTTP {status} to GET {path} ({message}); it may still be starting")]
    Failing { uri: String, path: String, status: u16, message: String },
    #[error("the Confluent Local REST proxy at {uri}, but it reports no Kafka cluster")]
    NoCluster { uri: String },
    #[error(
        "the Confluent Local REST proxy at {uri}, but it reports no address for the brokers of cluster {cluster_id}"
    )]
    NoAddress { uri: String, cluster_id: String },
}

// The parts of the REST proxy's v3 answers that discovery reads (unknown fields are ignored).

#[derive(Deserialize)]
struct List<T> {
    data: Vec<T>,
}

#[derive(Deserialize)]
struct ClusterData {
    cluster_id: String,
}

#[derive(Deserialize)]
struct BrokerData {
    broker_id: i64,
    host: Option<String>,
    port: Option<u16>,
}

#[derive(Deserialize)]
struct BrokerConfigData {
    value: Option<String>,
}

/// The error body of the REST proxy (and of other Confluent services).
#[derive(Deserialize)]
struct ErrorBody {
    /// Never read, but required: it tells a REST proxy's error from any other JSON body.
    #[allow(dead_code)]
    error_code: i64,
    message: Option<String>,
}

/// A REST proxy conversation within its share of the check's time.
struct RestProxy {
    uri: String,
    base: Url,
    client: reqwest::Client,
    /// When the whole REST proxy step must be over.
    deadline: Instant,
    /// The longest one call may take.
    call_limit: Duration,
}

/// Asks the REST proxy at `uri` for its cluster and the addresses its brokers advertise.
async fn discover(uri: &str, timeout: Duration) -> Result<Found, RestProxyError> {
    let proxy = RestProxy::new(uri, timeout)?;
    let clusters: List<ClusterData> = proxy.get(&["v3", "clusters"], true).await?;
    let Some(cluster) = clusters.data.into_iter().next() else {
        return Err(RestProxyError::NoCluster { uri: proxy.uri });
    };
    let cluster_id = cluster.cluster_id;
    let brokers: List<BrokerData> = proxy.get(&["v3", "clusters", &cluster_id, "brokers"], false).await?;
    let mut brokers = brokers.data;
    brokers.sort_by_key(|broker| broker.broker_id);
    let listeners =
        futures::future::join_all(brokers.iter().map(|broker| proxy.advertised_listeners(&cluster_id, broker))).await;
    let bootstrap_servers = usable_addresses(listeners.into_iter().flatten().collect()).join(",");
    if bootstrap_servers.is_empty() {
        return Err(RestProxyError::NoAddress { uri: proxy.uri, cluster_id });
    }
    Ok(Found { rest_proxy_uri: proxy.uri, cluster_id, bootstrap_servers })
}

impl RestProxy {
    fn new(uri: &str, timeout: Duration) -> Result<Self, RestProxyError> {
        let uri = uri.trim_end_matches('/').to_string();
        let bad_uri = |detail: String| RestProxyError::BadUri { uri: uri.clone(), detail };
        let base = Url::parse(&uri).map_err(|error| bad_uri(error.to_string()))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(bad_uri("it must be an http or https URI".into()));
        }
        // The REST proxy is on this machine: no HTTP proxy from the environment, no redirects
        // (a REST proxy does not redirect; a web application asking for a login does).
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ide-sidecar/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| RestProxyError::Unreachable { uri: uri.clone(), detail: error.to_string() })?;
        Ok(Self {
            uri,
            base,
            client,
            deadline: Instant::now() + timeout.mul_f64(REST_PROXY_SHARE),
            call_limit: timeout.mul_f64(REST_CALL_SHARE),
        })
    }

    /// `GET` below the base URI, decoded as `T`. `first` marks the call that tells whether the
    /// server is a REST proxy at all.
    async fn get<T: DeserializeOwned>(&self, segments: &[&str], first: bool) -> Result<T, RestProxyError> {
        let mut url = self.base.clone();
        url.path_segments_mut().expect("checked to be a base URI").pop_if_empty().extend(segments);
        let path = format!("/{}", segments.join("/"));
        let limit = self.call_limit.min(self.deadline.saturating_duration_since(Instant::now()));
        let request = async {
            let response = self.client.get(url).header("Accept", "application/json").send().await?;
            let status = response.status().as_u16();
            Ok::<_, reqwest::Error>((status, response.bytes().await?))
        };
        let (status, body) = match tokio::time::timeout(limit, request).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(error)) => return Err(self.request_error(&error)),
            Err(_) => {
                return Err(RestProxyError::NoAnswer { uri: self.uri.clone(), path, waited: human_duration(limit) });
            }
        };
        let not_a_proxy =
            |why: String| RestProxyError::NotARestProxy { uri: self.uri.clone(), path: path.clone(), why };
        if status == 200 {
            return serde_json::from_slice(&body).map_err(|_| {
                not_a_proxy("answered, but not with the JSON of the Confluent REST proxy v3 API".to_string())
            });
        }
        // A REST proxy answers errors with `{"error_code", "message"}`; 404 on the first call
        // means the server has no v3 API, whatever the body.
        match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(error) if !(first && status == 404) => Err(RestProxyError::Failing {
                uri: self.uri.clone(),
                path,
                status,
                message: error.message.unwrap_or_default(),
            }),
            _ => Err(not_a_proxy(format!("answered HTTP {status}"))),
        }
    }

    fn request_error(&self, error: &reqwest::Error) -> RestProxyError {
        let chain = super::error_chain(error);
        if error.is_connect() && chain.to_ascii_lowercase().contains("connection refused") {
            RestProxyError::NotRunning { uri: self.uri.clone() }
        } else {
            RestProxyError::Unreachable { uri: self.uri.clone(), detail: chain }
        }
    }

    /// The listeners one broker advertises; the broker's own address when its config cannot be read.
    async fn advertised_listeners(&self, cluster_id: &str, broker: &BrokerData) -> Vec<Listener> {
        let id = broker.broker_id.to_string();
        let segments = ["v3", "clusters", cluster_id, "brokers", &id, "configs", "advertised.listeners"];
        let advertised = match self.get::<BrokerConfigData>(&segments, false).await {
            Ok(config) => parse_listeners(config.value.as_deref().unwrap_or_default()),
            Err(error) => {
                tracing::debug!(broker = id, %error, "cannot read the broker's advertised listeners");
                Vec::new()
            }
        };
        match (&broker.host, broker.port) {
            (Some(host), Some(port)) if advertised.is_empty() => {
                vec![Listener { name: String::new(), host: host.clone(), port }]
            }
            _ => advertised,
        }
    }
}

/// One entry of `advertised.listeners`: `NAME://host:port`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Listener {
    name: String,
    host: String,
    port: u16,
}

impl Listener {
    fn address(&self) -> String {
        match self.host.as_str() {
            // An advertised listener without a host stands for the broker's own machine.
            "" => format!("localhost:{}", self.port),
            host if host.contains(':') => format!("[{host}]:{}", self.port),
            host => format!("{host}:{}", self.port),
        }
    }

    /// Reachable from this machine: a loopback host, or a listener named for the host (the
    /// `PLAINTEXT_HOST` convention of Confluent's containers).
    fn is_for_this_machine(&self) -> bool {
        let host = self.host.to_ascii_lowercase();
        host.is_empty()
            || host == "localhost"
            || host == "::1"
            || host.starts_with("127.")
            || self.name.to_ascii_uppercase().ends_with("_HOST")
    }

    /// The LOCAL check connects in plaintext, so listeners named for TLS or SASL are kept only when
    /// nothing else is advertised.
    fn is_secured(&self) -> bool {
        let name = self.name.to_ascii_uppercase();
        name.contains("SSL") || name.contains("SASL")
    }
}

fn parse_listeners(value: &str) -> Vec<Listener> {
    value
        .split(',')
        .filter_map(|entry| {
            let (name, address) = entry.trim().split_once("://")?;
            let (host, port) = address.rsplit_once(':')?;
            let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
            Some(Listener { name: name.to_string(), host: host.to_string(), port: port.parse().ok()? })
        })
        .collect()
}

/// The bootstrap servers to use, in broker order without repeats: the listeners meant for this
/// machine when there are any, otherwise all of them; plaintext ones first.
fn usable_addresses(listeners: Vec<Listener>) -> Vec<String> {
    let (plain, secured): (Vec<Listener>, Vec<Listener>) = listeners.into_iter().partition(|l| !l.is_secured());
    let pool = if plain.is_empty() { secured } else { plain };
    let (local, other): (Vec<Listener>, Vec<Listener>) = pool.into_iter().partition(Listener::is_for_this_machine);
    let chosen = if local.is_empty() { other } else { local };
    let mut addresses: Vec<String> = Vec::new();
    for address in chosen.iter().map(Listener::address) {
        if !addresses.contains(&address) {
            addresses.push(address);
        }
    }
    addresses
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses(value: &str) -> Vec<String> {
        usable_addresses(parse_listeners(value))
    }

    #[test]
    fn listeners_for_this_machine_are_preferred() {
        assert_eq!(
            addresses("PLAINTEXT://confluent-local-broker-1:50002, PLAINTEXT_HOST://localhost:50001"),
            ["localhost:50001"]
        );
        assert_eq!(addresses("INTERNAL://broker:29092,EXTERNAL://127.0.0.1:9092"), ["127.0.0.1:9092"]);
        assert_eq!(addresses("PLAINTEXT_HOST://my-laptop:9092,PLAINTEXT://broker:29092"), ["my-laptop:9092"]);
        assert_eq!(addresses("PLAINTEXT://[::1]:9092"), ["[::1]:9092"]);
        assert_eq!(addresses("PLAINTEXT://:9092"), ["localhost:9092"]);
    }

    #[test]
    fn without_a_listener_for_this_machine_every_listener_is_used() {
        assert_eq!(addresses("PLAINTEXT://broker-1:29092,PLAINTEXT://broker-1:29092"), ["broker-1:29092"]);
        assert_eq!(addresses("A://b1:1,B://b2:2"), ["b1:1", "b2:2"]);
    }

    #[test]
    fn plaintext_listeners_win_over_tls_and_sasl_ones() {
        assert_eq!(addresses("SSL_HOST://localhost:9093,PLAINTEXT_HOST://localhost:9092"), ["localhost:9092"]);
        assert_eq!(addresses("SASL_SSL://localhost:9094"), ["localhost:9094"]);
    }

    #[test]
    fn malformed_entries_are_skipped() {
        assert_eq!(addresses("nonsense, PLAINTEXT://h:notaport, PLAINTEXT://localhost:1,"), ["localhost:1"]);
        assert!(addresses("").is_empty());
    }

    #[test]
    fn every_failure_names_the_place_and_what_happened() {
        let uri = "http://localhost:8082".to_string();
        let not_a_proxy = RestProxyError::NotARestProxy {
            uri: uri.clone(),
            path: "/v3/clusters".into(),
            why: "answered HTTP 404".into(),
        };
        assert!(not_a_proxy.to_string().contains("the server at http://localhost:8082 is not a Confluent REST proxy"));
        let hang = RestProxyError::NoAnswer { uri, path: "/v3/clusters".into(), waited: "400 ms".into() };
        assert!(hang.to_string().contains("the server there did not answer GET /v3/clusters within 400 ms"), "{hang}");
    }
}

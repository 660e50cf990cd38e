//! A signed-in session's Confluent Cloud resources, read from the control plane with its token:
//! organizations (`/api/org/v2/organizations`), environments (`/api/org/v2/environments`) and, per
//! environment, Kafka clusters (`/api/cmk/v2/clusters`), the Schema Registry (`/api/srcm/v3/clusters`)
//! and Flink compute pools (`/api/fcpm/v2/compute-pools`).
//!
//! The shapes are those of Confluent Cloud's public API reference (api.confluent.cloud/docs, and the
//! models of confluentinc/ccloud-sdk-go-v2): every list is `{api_version, kind, metadata: {next?,
//! total_size?}, data: [...]}`, and `metadata.next` is the URL of the next page, absent on the last.
//! Lists are followed to their last page, at most [`MAX_PAGES`] pages each; the environments' lists
//! are read concurrently, at most [`CONCURRENT_CALLS`] calls at a time.

use std::time::Duration;

use futures::future::{try_join, try_join3, try_join_all};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use url::Url;

use super::{http_client, CCloudClient};
use crate::connections::ccloud::SecretToken;
use crate::protocol::ccloud::{
    CloudEnvironment, CloudKafkaCluster, CloudOrganization, CloudSchemaRegistry, FlinkComputePool,
};

/// The most pages of one list that are read before the listing gives up.
pub const MAX_PAGES: usize = 100;
/// The page size asked for (the most Confluent Cloud's list endpoints serve).
const PAGE_SIZE: u32 = 100;
/// The most control-plane calls in flight at once for one listing.
pub const CONCURRENT_CALLS: usize = 8;
/// How much of a server's error text a message quotes.
const QUOTED: usize = 200;

/// What the control plane lists for a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resources {
    pub organizations: Vec<CloudOrganization>,
    pub environments: Vec<CloudEnvironment>,
}

/// Why the resources could not be read, in words for the user.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResourcesError {
    /// Confluent Cloud refused the session's token (HTTP 401): the user must sign in again.
    #[error("{0}")]
    SignedOut(String),
    /// HTTP 403, 429 (after one wait for `Retry-After`) or another 4xx.
    #[error("{0}")]
    Refused(String),
    /// Unreachable, timed out, HTTP 5xx, a malformed answer, or paging that does not end.
    #[error("{0}")]
    Unavailable(String),
}

impl CCloudClient {
    /// Reads the session's organizations and its organization's environments with their clusters,
    /// registries and compute pools, within `timeout`. `current_organization` is the session's
    /// organization, marked `current`.
    pub async fn resources(
        &self,
        token: &SecretToken,
        current_organization: Option<&str>,
        timeout: Duration,
    ) -> Result<Resources, ResourcesError> {
        let http = http_client(timeout)
            .map_err(|reason| ResourcesError::Unavailable(format!("Cannot reach Confluent Cloud: {reason}")))?;
        let base = Url::parse(&format!("{}/", self.control_plane))
            .map_err(|_| ResourcesError::Unavailable("The control plane URI is not a URI".into()))?;
        let lister =
            Lister { http, base, token, deadline: Instant::now() + timeout, permits: Semaphore::new(CONCURRENT_CALLS) };
        let read = async {
            let (organizations, environments) =
                try_join(lister.list("api/org/v2/organizations", None), lister.list("api/org/v2/environments", None))
                    .await?;
            let organizations = organizations
                .iter()
                .map(|item| organization(item, current_organization))
                .collect::<Result<Vec<_>, _>>()?;
            let environments = try_join_all(environments.iter().map(|item| lister.environment(item))).await?;
            Ok(Resources { organizations, environments })
        };
        match tokio::time::timeout(timeout, read).await {
            Ok(result) => result,
            Err(_) => Err(ResourcesError::Unavailable(format!(
                "Confluent Cloud did not list the resources within {}: check the network connection, or give the request a longer timeout_ms",
                crate::connections::human_duration(timeout)
            ))),
        }
    }
}

/// One listing's calls: the token, the time they have, and the bound on calls in flight.
struct Lister<'a> {
    http: reqwest::Client,
    base: Url,
    token: &'a SecretToken,
    deadline: Instant,
    permits: Semaphore,
}

impl Lister<'_> {
    /// An environment with its clusters, registry and compute pools, read concurrently.
    async fn environment(&self, item: &Value) -> Result<CloudEnvironment, ResourcesError> {
        let id = required_id(item, "api/org/v2/environments")?;
        let (clusters, registries, pools) = try_join3(
            self.list("api/cmk/v2/clusters", Some(&id)),
            self.list("api/srcm/v3/clusters", Some(&id)),
            self.list("api/fcpm/v2/compute-pools", Some(&id)),
        )
        .await?;
        Ok(CloudEnvironment {
            name: text(item, "/display_name").unwrap_or_else(|| id.clone()),
            kafka_clusters: clusters.iter().map(kafka_cluster).collect::<Result<_, _>>()?,
            // An environment has at most one Schema Registry; srcm lists it as a one-item list.
            schema_registry: registries.first().map(schema_registry).transpose()?,
            flink_compute_pools: pools.iter().map(compute_pool).collect::<Result<_, _>>()?,
            id,
        })
    }

    /// Every item of a list, following `metadata.next` to the last page.
    async fn list(&self, path: &str, environment: Option<&str>) -> Result<Vec<Value>, ResourcesError> {
        let mut url = self.base.join(path).map_err(|_| malformed(path, "the path is not a URL"))?;
        url.query_pairs_mut().append_pair("page_size", &PAGE_SIZE.to_string());
        if let Some(environment) = environment {
            url.query_pairs_mut().append_pair("environment", environment);
        }
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let call = format!("GET {}", shown(&url));
            let page = self.get(&url, &call).await?;
            match page.get("data") {
                Some(Value::Array(data)) => items.extend(data.iter().cloned()),
                _ => return Err(malformed(&call, "it has no data list")),
            }
            match page.pointer("/metadata/next") {
                None | Some(Value::Null) => return Ok(items),
                Some(Value::String(next)) if next.is_empty() => return Ok(items),
                Some(Value::String(next)) => url = self.next_page(&url, next, &call)?,
                Some(_) => return Err(malformed(&call, "its metadata.next is not a URL")),
            }
        }
        Err(ResourcesError::Unavailable(format!(
            "Confluent Cloud kept sending more pages of /{path}{} after {MAX_PAGES} pages: it seems to page without end; try again later",
            environment.map(|e| format!(" for environment {e}")).unwrap_or_default()
        )))
    }

    /// The next page's URL. It must stay on the control plane: the bearer token goes with it.
    fn next_page(&self, current: &Url, next: &str, call: &str) -> Result<Url, ResourcesError> {
        let url = current.join(next).map_err(|_| malformed(call, "its metadata.next is not a URL"))?;
        if url.origin() != self.base.origin() {
            return Err(malformed(call, "its metadata.next points away from the control plane"));
        }
        Ok(url)
    }

    /// One GET, as JSON. HTTP 429 waits once for `Retry-After` when the request has the time.
    async fn get(&self, url: &Url, call: &str) -> Result<Value, ResourcesError> {
        let mut waited = false;
        loop {
            let (status, retry_after, body) = {
                let _permit = self.permits.acquire().await.expect("the semaphore is never closed");
                let response = self
                    .http
                    .get(url.clone())
                    .bearer_auth(self.token.expose())
                    .header(reqwest::header::ACCEPT, "application/json")
                    .send()
                    .await
                    .map_err(|error| unreachable(call, &error))?;
                let status = response.status().as_u16();
                let retry_after = super::retry_after(&response);
                let body = response.bytes().await.map_err(|error| unreachable(call, &error))?;
                (status, retry_after, body)
            };
            let said = server_said(&body);
            match status {
                200..=299 => {
                    return match serde_json::from_slice::<Value>(&body) {
                        Ok(value @ Value::Object(_)) => Ok(value),
                        _ => Err(malformed(call, "it is not a JSON object")),
                    }
                }
                401 => {
                    return Err(ResourcesError::SignedOut(format!(
                        "Confluent Cloud no longer accepts this connection's session ({call} answered HTTP 401{said}): sign in again with ccloud/signIn"
                    )))
                }
                403 => {
                    return Err(ResourcesError::Refused(format!(
                        "Confluent Cloud denied access ({call} answered HTTP 403{said}): ask an administrator of the organization for access, or sign in as another user"
                    )))
                }
                429 => {
                    let wait = retry_after.map(Duration::from_secs);
                    match wait {
                        Some(wait) if !waited && Instant::now() + wait < self.deadline => {
                            tracing::debug!(wait_seconds = wait.as_secs(), "Confluent Cloud asked to wait before the next request");
                            tokio::time::sleep(wait).await;
                            waited = true;
                        }
                        _ => {
                            let when = match retry_after {
                                Some(seconds) => format!("in {seconds} s"),
                                None => "in a minute".to_string(),
                            };
                            return Err(ResourcesError::Refused(format!(
                                "Confluent Cloud is limiting requests ({call} answered HTTP 429{said}): try again {when}"
                            )));
                        }
                    }
                }
                500.. => {
                    return Err(ResourcesError::Unavailable(format!(
                        "Confluent Cloud is having trouble ({call} answered HTTP {status}{said}): try again later"
                    )))
                }
                _ => {
                    return Err(ResourcesError::Refused(format!(
                        "Confluent Cloud refused {call} with HTTP {status}{said}: check the connection's organization and sign in again if it persists"
                    )))
                }
            }
        }
    }
}

/// The request as a message shows it: the path and query, without the control plane's host.
fn shown(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

fn unreachable(call: &str, error: &reqwest::Error) -> ResourcesError {
    ResourcesError::Unavailable(format!(
        "Cannot reach Confluent Cloud ({call}): {}; check the network connection",
        super::super::error_chain(error)
    ))
}

fn malformed(call: &str, what: &str) -> ResourcesError {
    ResourcesError::Unavailable(format!(
        "Confluent Cloud answered {call} with something that is not what its API documents ({what}): try again later, and report it if it persists"
    ))
}

/// `: <what the server said>` from a public API error (`{"errors": [{"detail", "title"}]}`) or a
/// control-plane error (`{"error": {"message"}}`), cut to a readable length; empty when it said nothing.
fn server_said(body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(body) else { return String::new() };
    let said = value
        .pointer("/errors/0/detail")
        .or_else(|| value.pointer("/errors/0/title"))
        .or_else(|| value.pointer("/error/message"))
        .or_else(|| value.get("error").filter(|error| error.is_string()))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|said| !said.is_empty());
    match said {
        Some(said) if said.chars().count() > QUOTED => format!(": {}…", said.chars().take(QUOTED).collect::<String>()),
        Some(said) => format!(": {said}"),
        None => String::new(),
    }
}

fn text(item: &Value, pointer: &str) -> Option<String> {
    item.pointer(pointer).and_then(Value::as_str).map(str::to_string)
}

fn required_id(item: &Value, list: &str) -> Result<String, ResourcesError> {
    text(item, "/id").filter(|id| !id.is_empty()).ok_or_else(|| malformed(&format!("GET /{list}"), "an item has no id"))
}

/// org/v2 Organization: `id`, `display_name`.
fn organization(item: &Value, current: Option<&str>) -> Result<CloudOrganization, ResourcesError> {
    let id = required_id(item, "api/org/v2/organizations")?;
    Ok(CloudOrganization {
        name: text(item, "/display_name").unwrap_or_else(|| id.clone()),
        current: current == Some(id.as_str()),
        id,
    })
}

/// cmk/v2 Cluster: `spec.display_name`, `spec.cloud`, `spec.region`, `spec.kafka_bootstrap_endpoint`
/// (`SASL_SSL://host:port`) and `spec.http_endpoint` (the Kafka REST v3 endpoint).
fn kafka_cluster(item: &Value) -> Result<CloudKafkaCluster, ResourcesError> {
    let id = required_id(item, "api/cmk/v2/clusters")?;
    Ok(CloudKafkaCluster {
        name: text(item, "/spec/display_name").unwrap_or_else(|| id.clone()),
        provider: text(item, "/spec/cloud").unwrap_or_default(),
        region: text(item, "/spec/region").unwrap_or_default(),
        bootstrap_servers: bootstrap_servers(&text(item, "/spec/kafka_bootstrap_endpoint").unwrap_or_default()),
        rest_endpoint: text(item, "/spec/http_endpoint").unwrap_or_default(),
        id,
    })
}

/// srcm/v3 Cluster: `spec.http_endpoint`.
fn schema_registry(item: &Value) -> Result<CloudSchemaRegistry, ResourcesError> {
    let id = required_id(item, "api/srcm/v3/clusters")?;
    Ok(CloudSchemaRegistry { uri: text(item, "/spec/http_endpoint").unwrap_or_default(), id })
}

/// fcpm/v2 ComputePool: `spec.display_name`, `spec.cloud`, `spec.region`, `spec.max_cfu`.
fn compute_pool(item: &Value) -> Result<FlinkComputePool, ResourcesError> {
    let id = required_id(item, "api/fcpm/v2/compute-pools")?;
    Ok(FlinkComputePool {
        name: text(item, "/spec/display_name").unwrap_or_else(|| id.clone()),
        provider: text(item, "/spec/cloud").unwrap_or_default(),
        region: text(item, "/spec/region").unwrap_or_default(),
        max_cfu: item
            .pointer("/spec/max_cfu")
            .and_then(Value::as_u64)
            .and_then(|cfu| u32::try_from(cfu).ok())
            .unwrap_or(0),
        id,
    })
}

/// `SASL_SSL://pkc-x.region.aws.confluent.cloud:9092` as a Kafka client takes it: `host:port`
/// (each of a comma-separated list).
pub fn bootstrap_servers(endpoint: &str) -> String {
    endpoint
        .split(',')
        .map(str::trim)
        .filter(|server| !server.is_empty())
        .map(|server| server.split_once("://").map_or(server, |(_, address)| address).trim_end_matches('/'))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bootstrap_endpoints_lose_their_protocol() {
        assert_eq!(
            bootstrap_servers("SASL_SSL://pkc-x.us-east-2.aws.confluent.cloud:9092"),
            "pkc-x.us-east-2.aws.confluent.cloud:9092"
        );
        assert_eq!(bootstrap_servers("a:9092, SASL_SSL://b:9092"), "a:9092,b:9092");
        assert_eq!(bootstrap_servers(""), "");
    }

    #[test]
    fn items_map_from_the_public_api_shapes() {
        let cluster = json!({"api_version": "cmk/v2", "kind": "Cluster", "id": "lkc-1",
            "spec": {"display_name": "orders", "cloud": "AWS", "region": "us-east-2",
                "kafka_bootstrap_endpoint": "SASL_SSL://pkc-1.us-east-2.aws.confluent.cloud:9092",
                "http_endpoint": "https://pkc-1.us-east-2.aws.confluent.cloud:443"}});
        assert_eq!(
            kafka_cluster(&cluster).unwrap(),
            CloudKafkaCluster {
                id: "lkc-1".into(),
                name: "orders".into(),
                provider: "AWS".into(),
                region: "us-east-2".into(),
                bootstrap_servers: "pkc-1.us-east-2.aws.confluent.cloud:9092".into(),
                rest_endpoint: "https://pkc-1.us-east-2.aws.confluent.cloud:443".into(),
            }
        );
        let pool = json!({"id": "lfcp-1", "spec": {"display_name": "p", "cloud": "GCP", "region": "r", "max_cfu": 10}});
        assert_eq!(compute_pool(&pool).unwrap().max_cfu, 10);
        let registry = json!({"id": "lsrc-1", "spec": {"http_endpoint": "https://psrc-1.confluent.cloud"}});
        assert_eq!(schema_registry(&registry).unwrap().uri, "https://psrc-1.confluent.cloud");
        let org = organization(&json!({"id": "o-1", "display_name": "Acme"}), Some("o-1")).unwrap();
        assert!(org.current && org.name == "Acme");
        assert!(matches!(kafka_cluster(&json!({"spec": {}})), Err(ResourcesError::Unavailable(_))));
    }

    #[test]
    fn server_errors_are_quoted_briefly() {
        assert_eq!(server_said(br#"{"errors":[{"status":"403","detail":"Forbidden Access"}]}"#), ": Forbidden Access");
        assert_eq!(server_said(br#"{"error":{"code":401,"message":"Unauthorized"}}"#), ": Unauthorized");
        assert_eq!(server_said(b"<html>"), "");
        let long = format!(r#"{{"errors":[{{"detail":"{}"}}]}}"#, "x".repeat(500));
        assert_eq!(server_said(long.as_bytes()).chars().count(), 2 + QUOTED + 1);
    }
}

//! The fake Confluent Cloud's resource lists, as the public API serves them (shapes from Confluent
//! Cloud's API reference at api.confluent.cloud/docs and the models of confluentinc/ccloud-sdk-go-v2:
//! org/v2 `OrganizationList` and `EnvironmentList`, cmk/v2 and srcm/v3 `ClusterList`, fcpm/v2
//! `ComputePoolList`). Strict like the real one: a known control-plane token as bearer, lists scoped
//! to its session's organization, `environment` required (and of that organization) where the API
//! requires it, `page_size` at most 100, and pages linked by `metadata.next` with a `page_token`.

use serde_json::{json, Value};

use super::{bearer, refuse, Request, Response, State, ORG_DEFAULT, ORG_OTHER};

/// The lists scoped to one environment (`?environment=` is required).
pub const ENVIRONMENT_LISTS: [&str; 3] =
    ["/api/cmk/v2/clusters", "/api/srcm/v3/clusters", "/api/fcpm/v2/compute-pools"];

/// Whether `path` is one of the lists.
pub fn is_list(path: &str) -> bool {
    path == "/api/org/v2/organizations" || path == "/api/org/v2/environments" || ENVIRONMENT_LISTS.contains(&path)
}

/// The fake serves at most this many items a page, whatever `page_size` asks, so that small lists
/// already span pages.
pub const PAGE_SIZE: usize = 2;

/// One environment and what it holds, as the API shows each item.
#[derive(Clone, Debug)]
pub struct Environment {
    pub organization: String,
    pub item: Value,
    pub clusters: Vec<Value>,
    pub registries: Vec<Value>,
    pub pools: Vec<Value>,
}

/// Everything the lists serve.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub organizations: Vec<Value>,
    pub environments: Vec<Environment>,
}

pub fn organization(base: &str, id: &str, name: &str) -> Value {
    json!({"api_version": "org/v2", "kind": "Organization", "id": id,
        "metadata": {"self": format!("{base}/api/org/v2/organizations/{id}"), "resource_name": format!("crn://confluent.cloud/organization={id}"),
            "created_at": "2024-01-02T03:04:05.000000Z", "updated_at": "2024-01-02T03:04:05.000000Z"},
        "display_name": name, "jit_enabled": false})
}

pub fn environment(base: &str, organization: &str, id: &str, name: &str) -> Value {
    json!({"api_version": "org/v2", "kind": "Environment", "id": id,
        "metadata": {"self": format!("{base}/api/org/v2/environments/{id}"),
            "resource_name": format!("crn://confluent.cloud/organization={organization}/environment={id}"),
            "created_at": "2024-01-02T03:04:05.000000Z"},
        "display_name": name, "stream_governance_config": {"package": "ESSENTIALS"}})
}

/// A cmk/v2 Cluster, with the endpoints Confluent Cloud gives a cluster in `region` of `cloud`.
pub fn kafka_cluster(environment: &str, id: &str, name: &str, cloud: &str, region: &str) -> Value {
    let host = format!("pkc-{}.{region}.{}.confluent.cloud", &id[4..], cloud.to_lowercase());
    json!({"api_version": "cmk/v2", "kind": "Cluster", "id": id,
        "metadata": {"self": format!("https://api.confluent.cloud/cmk/v2/clusters/{id}"), "created_at": "2024-01-02T03:04:05.000000Z"},
        "spec": {"display_name": name, "availability": "SINGLE_ZONE", "cloud": cloud, "region": region,
            "config": {"kind": "Basic"},
            "kafka_bootstrap_endpoint": format!("SASL_SSL://{host}:9092"),
            "http_endpoint": format!("https://{host}:443"),
            "api_endpoint": format!("https://pkac-{}.{region}.{}.confluent.cloud", &id[4..], cloud.to_lowercase()),
            "environment": {"id": environment, "related": format!("https://api.confluent.cloud/org/v2/environments/{environment}"),
                "resource_name": format!("crn://confluent.cloud/environment={environment}")}},
        "status": {"phase": "PROVISIONED"}})
}

/// An srcm/v3 Cluster (the environment's Schema Registry).
pub fn schema_registry(environment: &str, id: &str, cloud: &str, region: &str) -> Value {
    json!({"api_version": "srcm/v3", "kind": "Cluster", "id": id,
        "metadata": {"self": format!("https://api.confluent.cloud/srcm/v3/clusters/{id}")},
        "spec": {"display_name": "Stream Governance Package", "package": "ESSENTIALS",
            "http_endpoint": format!("https://psrc-{}.{region}.{}.confluent.cloud", &id[5..], cloud.to_lowercase()),
            "cloud": cloud, "region": region, "environment": {"id": environment}},
        "status": {"phase": "PROVISIONED"}})
}

/// An fcpm/v2 ComputePool.
pub fn compute_pool(environment: &str, id: &str, name: &str, cloud: &str, region: &str, max_cfu: u32) -> Value {
    json!({"api_version": "fcpm/v2", "kind": "ComputePool", "id": id,
        "metadata": {"self": format!("https://api.confluent.cloud/fcpm/v2/compute-pools/{id}")},
        "spec": {"display_name": name, "cloud": cloud, "region": region, "max_cfu": max_cfu,
            "environment": {"id": environment}},
        "status": {"phase": "PROVISIONED", "current_cfu": 0}})
}

impl Catalog {
    /// Two organizations; in the default one five environments (three pages): `env-prod` with
    /// three clusters (two pages), a registry and a pool, `env-dev` with one cluster and no
    /// registry, `env-stage` with two clusters (one full page) and three pools, and two empty
    /// ones. The other organization has one environment with one cluster.
    pub fn standard(base: &str) -> Self {
        let env = |org: &str, id: &str, name: &str| Environment {
            organization: org.to_string(),
            item: environment(base, org, id, name),
            clusters: vec![],
            registries: vec![],
            pools: vec![],
        };
        let mut prod = env(ORG_DEFAULT, "env-prod", "production");
        prod.clusters = vec![
            kafka_cluster("env-prod", "lkc-prod1", "orders", "AWS", "us-east-2"),
            kafka_cluster("env-prod", "lkc-prod2", "payments", "AWS", "us-east-2"),
            kafka_cluster("env-prod", "lkc-prod3", "audit", "GCP", "europe-west1"),
        ];
        prod.registries = vec![schema_registry("env-prod", "lsrc-prod1", "AWS", "us-east-2")];
        prod.pools = vec![compute_pool("env-prod", "lfcp-prod1", "analytics", "AWS", "us-east-2", 10)];
        let mut dev = env(ORG_DEFAULT, "env-dev", "development");
        dev.clusters = vec![kafka_cluster("env-dev", "lkc-dev1", "scratch", "AZURE", "westeurope")];
        let mut stage = env(ORG_DEFAULT, "env-stage", "staging");
        stage.clusters = vec![
            kafka_cluster("env-stage", "lkc-stage1", "orders-staging", "AWS", "us-west-2"),
            kafka_cluster("env-stage", "lkc-stage2", "payments-staging", "AWS", "us-west-2"),
        ];
        stage.registries = vec![schema_registry("env-stage", "lsrc-stage1", "AWS", "us-west-2")];
        stage.pools = (1..=3)
            .map(|n| {
                compute_pool("env-stage", &format!("lfcp-stage{n}"), &format!("pool-{n}"), "AWS", "us-west-2", 5 * n)
            })
            .collect();
        let mut other = env(ORG_OTHER, "env-glass", "looking-glass");
        other.clusters = vec![kafka_cluster("env-glass", "lkc-glass1", "mirror", "AWS", "eu-west-1")];
        Self {
            organizations: vec![
                organization(base, ORG_DEFAULT, "Wonderland"),
                organization(base, ORG_OTHER, "Looking Glass"),
            ],
            environments: vec![
                prod,
                dev,
                stage,
                env(ORG_DEFAULT, "env-qa", "qa"),
                env(ORG_DEFAULT, "env-sbx", "sandbox"),
                other,
            ],
        }
    }
}

/// A public-API error body.
fn failure(status: u16, detail: &str) -> Value {
    json!({"errors": [{"status": status.to_string(), "detail": detail}]})
}

/// One page of one of the lists.
pub(super) fn list(request: &Request, state: &mut State) -> Response {
    let path = request.path.as_str();
    let Some(organization) = bearer(request).and_then(|token| state.control_plane_tokens.get(&token).cloned()) else {
        let response = Response::json(401, failure(401, "Unauthorized"));
        return refuse(state, format!("{path}: unknown bearer"), response);
    };
    if state.behaviour.sessions_invalid {
        return Response::json(401, failure(401, "The access token is expired or was revoked"));
    }
    if let Some((_, status)) = state.behaviour.failing_lists.iter().find(|(failing, _)| *failing == path) {
        return Response::json(*status, failure(*status, &format!("the fake answers {status}")));
    }
    if let Some(at) = state.behaviour.list_errors.iter().position(|error| error.path == path) {
        let error = state.behaviour.list_errors.remove(at);
        let mut response =
            Response::json(error.status, failure(error.status, &format!("the fake answers {}", error.status)));
        if let Some(seconds) = error.retry_after {
            response.headers.push(("Retry-After".into(), seconds.to_string()));
        }
        return response;
    }
    let page_size = match request.query.get("page_size").map(|size| size.parse::<usize>()) {
        None => 10,
        Some(Ok(size @ 1..=100)) => size,
        Some(_) => {
            let response = Response::json(400, failure(400, "page_size must be between 1 and 100"));
            return refuse(state, format!("{path}: page_size"), response);
        }
    }
    .min(state.behaviour.page_size.unwrap_or(PAGE_SIZE));
    let environment = request.query.get("environment").cloned();
    let items: Vec<Value> = match (path, &environment) {
        ("/api/org/v2/organizations", _) => state.catalog.organizations.clone(),
        ("/api/org/v2/environments", _) => state
            .catalog
            .environments
            .iter()
            .filter(|env| env.organization == organization)
            .map(|env| env.item.clone())
            .collect(),
        (_, None) => {
            let response = Response::json(400, failure(400, "environment is required"));
            return refuse(state, format!("{path}: no environment"), response);
        }
        (_, Some(id)) => {
            let found = state
                .catalog
                .environments
                .iter()
                .find(|env| env.item["id"] == *id.as_str() && env.organization == organization);
            let Some(env) = found else {
                let response = Response::json(403, failure(403, "Forbidden Access"));
                return refuse(state, format!("{path}: environment {id} of another organization"), response);
            };
            match path {
                "/api/cmk/v2/clusters" => env.clusters.clone(),
                "/api/srcm/v3/clusters" => env.registries.clone(),
                _ => env.pools.clone(),
            }
        }
    };
    let token = request.query.get("page_token").cloned();
    let issued = token.as_ref().is_some_and(|token| state.page_tokens.contains(token));
    let start = match token.as_deref().map(|token| token.strip_prefix('p').and_then(|n| n.parse::<usize>().ok())) {
        None => 0,
        Some(Some(start)) if issued => start,
        Some(_) => {
            let response = Response::json(400, failure(400, "invalid page_token"));
            return refuse(state, format!("{path}: page_token"), response);
        }
    };
    state.list_calls.push(format!(
        "{path}?environment={}&page_token={}",
        environment.clone().unwrap_or_default(),
        token.unwrap_or_default()
    ));
    let end = (start + page_size).min(items.len());
    let page: Vec<Value> = items.get(start..end).map(<[Value]>::to_vec).unwrap_or_default();
    let base = format!("http://{}", request.headers.get("host").cloned().unwrap_or_default());
    let link = |page_token: Option<usize>| {
        let mut url = url::Url::parse(&format!("{base}{path}")).unwrap();
        if let Some(environment) = &environment {
            url.query_pairs_mut().append_pair("environment", environment);
        }
        url.query_pairs_mut().append_pair("page_size", &page_size.to_string());
        if let Some(page_token) = page_token {
            url.query_pairs_mut().append_pair("page_token", &format!("p{page_token}"));
        }
        url.to_string()
    };
    let mut metadata = json!({"first": link(None), "total_size": items.len()});
    if end < items.len() || state.behaviour.endless_paging {
        let next = end.max(start + 1);
        state.page_tokens.insert(format!("p{next}"));
        metadata["next"] = json!(link(Some(next)));
    }
    let (api_version, kind) = match path {
        "/api/org/v2/organizations" => ("org/v2", "OrganizationList"),
        "/api/org/v2/environments" => ("org/v2", "EnvironmentList"),
        "/api/cmk/v2/clusters" => ("cmk/v2", "ClusterList"),
        "/api/srcm/v3/clusters" => ("srcm/v3", "ClusterList"),
        _ => ("fcpm/v2", "ComputePoolList"),
    };
    let data = if state.behaviour.malformed_lists { json!({"items": page}) } else { json!(page) };
    Response::json(200, json!({"api_version": api_version, "kind": kind, "metadata": metadata, "data": data}))
}

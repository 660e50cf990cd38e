//! `ccloud/resources` over a large organization: 50 environments of 20 Kafka clusters each (with a
//! registry and a compute pool), served by the tests' fake Confluent Cloud in pages of 10, read
//! again (`refresh: true`) each run; the median of the runs.

use std::time::Instant;

use serde_json::json;

use super::support::ccloud::resources::{self, Catalog, Environment};
use super::support::ccloud::*;
use super::support::*;
use super::{median, ms, row, Row};

const ENVIRONMENTS: usize = 50;
const CLUSTERS: usize = 20;

pub fn resources(runs: usize, rows: &mut Vec<Row>) {
    let port = free_port();
    let fake = FakeCCloud::start(port);
    let base = fake.base();
    let environments = (0..ENVIRONMENTS)
        .map(|e| {
            let env = format!("env-{e:03}");
            Environment {
                organization: ORG_DEFAULT.to_string(),
                item: resources::environment(&base, ORG_DEFAULT, &env, &format!("environment {e}")),
                clusters: (0..CLUSTERS)
                    .map(|c| {
                        resources::kafka_cluster(&env, &format!("lkc-{e:03}x{c:02}"), "cluster", "AWS", "us-east-2")
                    })
                    .collect(),
                registries: vec![resources::schema_registry(&env, &format!("lsrc-{e:03}"), "AWS", "us-east-2")],
                pools: vec![resources::compute_pool(&env, &format!("lfcp-{e:03}"), "pool", "AWS", "us-east-2", 10)],
            }
        })
        .collect();
    let organizations = Catalog::standard(&base).organizations;
    fake.set_catalog(Catalog { organizations, environments });
    fake.set(|b| b.page_size = Some(10));
    let mut sidecar = start(json!({"check_timeout_seconds": 30, "ccloud": fake.options(port)}));
    create(&mut sidecar, json!({"id": "cloud", "name": "Cloud", "type": "CCLOUD"}));
    let signed = sidecar.request("ccloud/signIn", json!({"id": "cloud"}), WAIT).expect("ccloud/signIn");
    follow_sign_in(signed["sign_in_uri"].as_str().unwrap());
    events_until(&mut sidecar, "cloud", "ccloud SUCCESS", |e| state(&e["connection"], "ccloud") == "SUCCESS");
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let result = sidecar
            .request("ccloud/resources", json!({"connection_id": "cloud", "refresh": true}), WAIT)
            .expect("ccloud/resources");
        times.push(ms(started.elapsed()));
        let clusters: usize = result["environments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kafka_clusters"].as_array().unwrap().len())
            .sum();
        assert_eq!(clusters, ENVIRONMENTS * CLUSTERS, "every cluster listed");
    }
    let median = median(&mut times);
    rows.push(row(
        format!("`ccloud/resources`, {ENVIRONMENTS} environments x {CLUSTERS} clusters in pages of 10 (local fake, median of {runs})"),
        format!("{median:.0} ms"),
        "<= 1 s",
        Some(median <= 1000.0),
    ));
    sidecar.shutdown();
}

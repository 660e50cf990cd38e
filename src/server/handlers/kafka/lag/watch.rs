//! `kafka/lag/watch`: starts pushing a consumer group's lag as it changes.

use tower_lsp_server::jsonrpc::Result;

use crate::protocol::kafka::{LagWatchParams, LagWatchResult};
use crate::protocol::methods::WatchLag;
use crate::server::ccloud_data::KafkaTarget;
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::lag::{LagSource, MAX_GROUPS, MAX_INTERVAL_MS, MIN_INTERVAL_MS};
use crate::server::Sidecar;

impl Handler for WatchLag {
    async fn handle(sidecar: &Sidecar, params: LagWatchParams) -> Result<LagWatchResult> {
        let mut problems = Problems::default();
        if params.group_ids.is_empty() {
            problems.add("group_ids", "Give at least one consumer group");
        } else if params.group_ids.len() > MAX_GROUPS {
            problems.add("group_ids", format!("A watch takes at most {MAX_GROUPS} groups"));
        }
        for (index, group) in params.group_ids.iter().enumerate().take(MAX_GROUPS) {
            problems.group(&format!("group_ids[{index}]"), group);
        }
        if let Some(interval) = params.interval_ms.filter(|ms| !(MIN_INTERVAL_MS..=MAX_INTERVAL_MS).contains(ms)) {
            problems
                .add("interval_ms", format!("Must be between {MIN_INTERVAL_MS} and {MAX_INTERVAL_MS}, not {interval}"));
        }
        problems.into_result()?;
        // The cluster must be reachable now: a watch that could never report is refused at once.
        let (source, generation) =
            match sidecar.kafka_target(&params.connection_id, params.cluster_id.as_deref(), None).await? {
                KafkaTarget::Native(kafka) => {
                    let generation = kafka.generation;
                    (LagSource::Native(kafka), generation)
                }
                KafkaTarget::Cloud(cloud) => {
                    // One cheap call: the cluster answers and the token is taken.
                    cloud.run(cloud.rest.groups()).await?;
                    let generation = cloud.generation;
                    (LagSource::Cloud(cloud), generation)
                }
            };
        let watch_id = sidecar.lag.watch(&params, source, generation);
        Ok(LagWatchResult { watch_id })
    }
}

//! `kafka/groups/describe`: a consumer group's members, offsets and lag.

use std::collections::BTreeMap;

use tower_lsp_server::jsonrpc::Result;

use crate::backends::ccloud::rest::{partition_lags, RestConsumer, RestGroup, RestLag};
use crate::backends::kafka::data;
use crate::protocol::kafka::{GroupDescription, GroupMember, GroupParams, TopicPartitions};
use crate::protocol::methods::DescribeGroup;
use crate::server::ccloud_data::KafkaTarget;
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::Sidecar;

impl Handler for DescribeGroup {
    async fn handle(sidecar: &Sidecar, params: GroupParams) -> Result<GroupDescription> {
        let mut problems = Problems::default();
        problems.group("group_id", &params.group_id);
        problems.into_result()?;
        match sidecar.kafka_target(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await? {
            KafkaTarget::Native(kafka) => {
                kafka.run(move |client, timeout| data::describe_group(client, &params.group_id, timeout)).await
            }
            KafkaTarget::Cloud(cloud) => {
                let id = &params.group_id;
                let (group, consumers, lags) = cloud
                    .run(futures::future::try_join3(
                        cloud.rest.group(id),
                        cloud.rest.consumers(id),
                        cloud.rest.lags(id),
                    ))
                    .await?;
                Ok(cloud_description(group, consumers, lags))
            }
        }
    }
}

/// A group as REST v3 describes it: members from `/consumers`, their assignments and the lag per
/// partition from `/lags` (which names the consumer each partition is assigned to).
fn cloud_description(group: RestGroup, consumers: Vec<RestConsumer>, lags: Vec<RestLag>) -> GroupDescription {
    let members = consumers
        .into_iter()
        .map(|consumer| {
            let mut assignments: BTreeMap<String, Vec<i32>> = BTreeMap::new();
            for lag in lags.iter().filter(|lag| lag.consumer_id == consumer.consumer_id) {
                assignments.entry(lag.topic.clone()).or_default().push(lag.partition);
            }
            GroupMember {
                member_id: consumer.consumer_id,
                client_id: consumer.client_id,
                host: String::new(),
                assignments: assignments
                    .into_iter()
                    .map(|(topic, mut partitions)| {
                        partitions.sort_unstable();
                        TopicPartitions { topic, partitions }
                    })
                    .collect(),
            }
        })
        .collect();
    let partitions = partition_lags(&lags);
    GroupDescription {
        group_id: group.group_id,
        state: group.state,
        protocol_type: "consumer".into(),
        protocol: group.partition_assignor,
        members,
        total_lag: partitions.iter().map(|p| p.lag).sum(),
        partitions,
    }
}

//! `kafka/topics/create`: creates a topic, or asks the cluster whether it could.

use tower_lsp_server::jsonrpc::Result;

use crate::backends::kafka::data;
use crate::protocol::kafka::{CreateTopicParams, CreateTopicResult};
use crate::protocol::methods::CreateTopic;
use crate::server::ccloud_data::KafkaTarget;
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::Sidecar;

/// Kafka's own limit is far higher; no developer means to create more partitions than this by hand.
const MAX_PARTITIONS: i32 = 10_000;

impl Handler for CreateTopic {
    async fn handle(sidecar: &Sidecar, params: CreateTopicParams) -> Result<CreateTopicResult> {
        let mut problems = Problems::default();
        problems.topic("topic", &params.topic);
        if let Some(partitions) = params.partitions.filter(|p| !(1..=MAX_PARTITIONS).contains(p)) {
            problems.add("partitions", format!("Must be between 1 and {MAX_PARTITIONS}, not {partitions}"));
        }
        if let Some(factor) = params.replication_factor.filter(|f| !(1..=i32::from(i16::MAX)).contains(f)) {
            problems.add("replication_factor", format!("Must be at least 1, not {factor}"));
        }
        for name in params.configs.keys() {
            problems.config_name("configs", name);
        }
        problems.into_result()?;
        match sidecar.kafka_target(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await? {
            KafkaTarget::Native(kafka) => {
                kafka.run(move |client, timeout| data::create_topic(client, &params, timeout)).await
            }
            KafkaTarget::Cloud(cloud) => {
                let call = cloud.rest.create_topic(
                    &params.topic,
                    params.partitions,
                    params.replication_factor,
                    &params.configs,
                    params.validate_only,
                );
                cloud.run(call).await?;
                Ok(CreateTopicResult { name: params.topic, validate_only: params.validate_only })
            }
        }
    }
}

//! `kafka/topics/describe`: a topic's partitions and configs.

use tower_lsp_server::jsonrpc::Result;

use crate::backends::kafka::data;
use crate::protocol::kafka::{TopicDescription, TopicParams};
use crate::protocol::methods::DescribeTopic;
use crate::server::ccloud_data::KafkaTarget;
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::Sidecar;

impl Handler for DescribeTopic {
    async fn handle(sidecar: &Sidecar, params: TopicParams) -> Result<TopicDescription> {
        let mut problems = Problems::default();
        problems.topic("topic", &params.topic);
        problems.into_result()?;
        match sidecar.kafka_target(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await? {
            KafkaTarget::Native(kafka) => {
                kafka.run(move |client, timeout| data::describe_topic(client, &params.topic, timeout)).await
            }
            KafkaTarget::Cloud(cloud) => {
                let topic = &params.topic;
                let (about, partitions) = cloud
                    .run(futures::future::try_join(cloud.rest.topic(topic), cloud.rest.describe_partitions(topic)))
                    .await?;
                // Configs that cannot be read leave the rest of the description standing, as natively.
                let (configs, configs_error) = match cloud.run(cloud.rest.topic_configs(topic)).await {
                    Ok(configs) => (configs, None),
                    Err(error) => (Vec::new(), Some(error.message.to_string())),
                };
                Ok(TopicDescription {
                    name: topic.clone(),
                    internal: about.pointer("/is_internal").and_then(serde_json::Value::as_bool).unwrap_or(false),
                    partitions,
                    configs,
                    configs_error,
                })
            }
        }
    }
}

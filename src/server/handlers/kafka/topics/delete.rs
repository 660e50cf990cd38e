//! `kafka/topics/delete`: deletes a topic.

use tower_lsp_server::jsonrpc::Result;

use crate::backends::kafka::data;
use crate::protocol::kafka::TopicParams;
use crate::protocol::methods::DeleteTopic;
use crate::server::ccloud_data::KafkaTarget;
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::Sidecar;

impl Handler for DeleteTopic {
    async fn handle(sidecar: &Sidecar, params: TopicParams) -> Result<()> {
        let mut problems = Problems::default();
        problems.topic("topic", &params.topic);
        problems.into_result()?;
        let kafka =
            match sidecar.kafka_target(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await? {
                KafkaTarget::Native(kafka) => kafka,
                KafkaTarget::Cloud(cloud) => return cloud.run(cloud.rest.delete_topic(&params.topic)).await,
            };
        // Readers still assigned to a deleted topic can crash librdkafka on some brokers (tansu answers
        // metadata for it without a name): end the topic's tails and close its idle readers first.
        sidecar.tails.topic_deleted(&params.connection_id, &params.topic).await;
        sidecar.data_plane()?.readers().close_topic(&params.topic);
        kafka.run(move |client, timeout| data::delete_topic(client, &params.topic, timeout)).await
    }
}

//! `kafka/topics/list`: the topics of a connection's Kafka cluster.

use tower_lsp_server::jsonrpc::Result;

use crate::backends::kafka::data;
use crate::protocol::kafka::{TopicsListParams, TopicsListResult};
use crate::protocol::methods::ListTopics;
use crate::server::ccloud_data::KafkaTarget;
use crate::server::handlers::Handler;
use crate::server::Sidecar;

impl Handler for ListTopics {
    async fn handle(sidecar: &Sidecar, params: TopicsListParams) -> Result<TopicsListResult> {
        let internal = params.include_internal;
        let data =
            match sidecar.kafka_target(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await? {
                KafkaTarget::Native(kafka) => {
                    kafka.run(move |client, timeout| data::list_topics(client, internal, timeout)).await?
                }
                KafkaTarget::Cloud(cloud) => cloud.run(cloud.rest.list_topics(internal)).await?,
            };
        Ok(TopicsListResult { data })
    }
}

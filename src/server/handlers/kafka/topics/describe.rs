//! `kafka/topics/describe`: a topic's partitions and configs.

use tower_lsp_server::jsonrpc::Result;

use crate::backends::kafka::data;
use crate::protocol::kafka::{TopicDescription, TopicParams};
use crate::protocol::methods::DescribeTopic;
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::Sidecar;

impl Handler for DescribeTopic {
    async fn handle(sidecar: &Sidecar, params: TopicParams) -> Result<TopicDescription> {
        let mut problems = Problems::default();
        problems.topic("topic", &params.topic);
        problems.into_result()?;
        let kafka = sidecar.kafka(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await?;
        kafka.run(move |client, timeout| data::describe_topic(client, &params.topic, timeout)).await
    }
}

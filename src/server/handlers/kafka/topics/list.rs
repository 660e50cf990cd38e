//! `kafka/topics/list`: the topics of a connection's Kafka cluster.

use tower_lsp_server::jsonrpc::Result;

use crate::backends::kafka::data;
use crate::protocol::kafka::{TopicsListParams, TopicsListResult};
use crate::protocol::methods::ListTopics;
use crate::server::handlers::Handler;
use crate::server::Sidecar;

impl Handler for ListTopics {
    async fn handle(sidecar: &Sidecar, params: TopicsListParams) -> Result<TopicsListResult> {
        let kafka = sidecar.kafka(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await?;
        let internal = params.include_internal;
        let data = kafka.run(move |client, timeout| data::list_topics(client, internal, timeout)).await?;
        Ok(TopicsListResult { data })
    }
}

//! `kafka/groups/list`: the consumer groups of a connection's Kafka cluster.

use tower_lsp_server::jsonrpc::Result;

use crate::backends::kafka::data;
use crate::protocol::kafka::{GroupsListParams, GroupsListResult};
use crate::protocol::methods::ListGroups;
use crate::server::ccloud_data::KafkaTarget;
use crate::server::handlers::Handler;
use crate::server::Sidecar;

impl Handler for ListGroups {
    async fn handle(sidecar: &Sidecar, params: GroupsListParams) -> Result<GroupsListResult> {
        let data =
            match sidecar.kafka_target(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await? {
                KafkaTarget::Native(kafka) => kafka.run(data::list_groups).await?,
                KafkaTarget::Cloud(cloud) => cloud.run(cloud.rest.groups_with_members()).await?,
            };
        Ok(GroupsListResult { data })
    }
}

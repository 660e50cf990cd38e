//! `kafka/groups/describe`: a consumer group's members, offsets and lag.

use tower_lsp_server::jsonrpc::Result;

use crate::backends::kafka::data;
use crate::protocol::kafka::{GroupDescription, GroupParams};
use crate::protocol::methods::DescribeGroup;
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::Sidecar;

impl Handler for DescribeGroup {
    async fn handle(sidecar: &Sidecar, params: GroupParams) -> Result<GroupDescription> {
        let mut problems = Problems::default();
        problems.group("group_id", &params.group_id);
        problems.into_result()?;
        let kafka = sidecar.kafka(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await?;
        kafka.run(move |client, timeout| data::describe_group(client, &params.group_id, timeout)).await
    }
}

//! `kafka/topics/alterConfigs`: sets and removes a topic's configs.

use tower_lsp_server::jsonrpc::Result;

use crate::backends::kafka::data;
use crate::protocol::kafka::AlterTopicConfigsParams;
use crate::protocol::methods::AlterTopicConfigs;
use crate::server::ccloud_data::KafkaTarget;
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::Sidecar;

impl Handler for AlterTopicConfigs {
    async fn handle(sidecar: &Sidecar, params: AlterTopicConfigsParams) -> Result<()> {
        let mut problems = Problems::default();
        problems.topic("topic", &params.topic);
        if params.set.is_empty() && params.delete.is_empty() {
            problems.add("set", "Give at least one config to set or delete");
        }
        for name in params.set.keys() {
            problems.config_name("set", name);
        }
        for (index, name) in params.delete.iter().enumerate() {
            problems.config_name(&format!("delete[{index}]"), name);
            if params.set.contains_key(name) {
                problems.add(format!("delete[{index}]"), format!("'{name}' is both set and deleted"));
            }
        }
        problems.into_result()?;
        match sidecar.kafka_target(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await? {
            KafkaTarget::Native(kafka) => {
                kafka.run(move |client, timeout| data::alter_topic_configs(client, &params, timeout)).await
            }
            KafkaTarget::Cloud(cloud) => {
                let call =
                    cloud.rest.alter_topic_configs(&params.topic, &params.set, &params.delete, params.validate_only);
                cloud.run(call).await
            }
        }
    }
}

//! `kafka/groups/resetOffsets`: moves a consumer group's committed offsets on a topic.

use std::collections::HashSet;

use tower_lsp_server::jsonrpc::Result;

use crate::backends::kafka::data;
use crate::protocol::kafka::{ResetOffsetsParams, ResetOffsetsResult, ResetTo};
use crate::protocol::methods::ResetGroupOffsets;
use crate::server::handlers::Handler;
use crate::server::kafka::Problems;
use crate::server::Sidecar;

impl Handler for ResetGroupOffsets {
    async fn handle(sidecar: &Sidecar, params: ResetOffsetsParams) -> Result<ResetOffsetsResult> {
        let mut problems = Problems::default();
        problems.group("group_id", &params.group_id);
        problems.topic("topic", &params.topic);
        if let Some(partitions) = &params.partitions {
            if partitions.is_empty() {
                problems.add("partitions", "Give at least one partition, or leave partitions out for all of them");
            }
            let mut seen = HashSet::new();
            for (index, partition) in partitions.iter().enumerate() {
                if *partition < 0 {
                    problems.add(format!("partitions[{index}]"), "A partition number cannot be negative");
                } else if !seen.insert(partition) {
                    problems.add(format!("partitions[{index}]"), format!("Partition {partition} is given twice"));
                }
            }
        }
        match &params.to {
            ResetTo::Timestamp(at) if *at < 0 => problems.add("to.timestamp", "A timestamp cannot be negative"),
            ResetTo::Offsets(offsets) => {
                if offsets.is_empty() {
                    problems.add("to.offsets", "Give at least one partition and offset");
                }
                let mut seen = HashSet::new();
                for (index, offset) in offsets.iter().enumerate() {
                    if offset.partition < 0 {
                        problems.add(format!("to.offsets[{index}].partition"), "A partition number cannot be negative");
                    } else if !seen.insert(offset.partition) {
                        problems.add(
                            format!("to.offsets[{index}].partition"),
                            format!("Partition {} is given twice", offset.partition),
                        );
                    }
                    if offset.offset < 0 {
                        problems.add(format!("to.offsets[{index}].offset"), "An offset cannot be negative");
                    }
                }
            }
            _ => {}
        }
        problems.into_result()?;
        let kafka = sidecar.kafka(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await?;
        kafka.run(move |client, timeout| data::reset_offsets(client, &params, timeout)).await
    }
}

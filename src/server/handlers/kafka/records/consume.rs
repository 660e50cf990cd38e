//! `kafka/records/consume`: one page of a topic's records.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tower_lsp_server::jsonrpc::Result;

use super::*;
use crate::backends::kafka::records::{Limits, Shaper};
use crate::backends::schemas::shown::Shown;
use crate::protocol::methods::ConsumeRecords;
use crate::protocol::records::{ConsumePage, ConsumeParams};
use crate::server::ccloud_data::KafkaTarget;
use crate::server::handlers::Handler;

/// Sets its flag when dropped: tower-lsp drops a request's future on `$/cancelRequest`, and the
/// blocking page read sees the flag and stops.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl Handler for ConsumeRecords {
    async fn handle(sidecar: &Sidecar, params: ConsumeParams) -> Result<ConsumePage> {
        let mut problems = Problems::default();
        let message_max_bytes = check_reading(
            &mut problems,
            &params.topic,
            params.partitions.as_deref(),
            params.filter.as_ref(),
            params.message_max_bytes,
        );
        let max_records = bounded(
            &mut problems,
            "max_records",
            params.max_records.map(u64::from),
            DEFAULT_MAX_RECORDS.into(),
            MAX_RECORDS.into(),
        );
        let max_bytes = bounded(&mut problems, "max_bytes", params.max_bytes, DEFAULT_MAX_BYTES, MAX_BYTES);
        match (&params.start, &params.cursor) {
            (Some(_), Some(_)) => {
                problems.add("cursor", "Give `start` for the first page or `cursor` for the next, not both")
            }
            (Some(start), None) => check_start(&mut problems, "start", start),
            (None, Some(cursor)) => {
                if cursor.topic != params.topic {
                    problems.add(
                        "cursor.topic",
                        format!("The cursor is for topic '{}', not '{}'", cursor.topic, params.topic),
                    );
                }
                if cursor.partitions.is_empty() {
                    problems.add("cursor.partitions", "The cursor names no partition");
                }
                for (index, at) in cursor.partitions.iter().enumerate() {
                    if at.partition < 0 || cursor.partitions[..index].iter().any(|p| p.partition == at.partition) {
                        problems.add(format!("cursor.partitions[{index}].partition"), "Each partition once, 0 or more");
                    }
                    if at.offset < 0 {
                        problems.add(format!("cursor.partitions[{index}].offset"), "An offset is 0 or more");
                    }
                }
            }
            (None, None) => {}
        }
        problems.into_result()?;
        let limits = Limits {
            max_records: max_records as usize,
            max_bytes: max_bytes as usize,
            message_max_bytes: message_max_bytes as usize,
        };
        let kafka =
            match sidecar.kafka_target(&params.connection_id, params.cluster_id.as_deref(), params.timeout_ms).await? {
                KafkaTarget::Native(kafka) => kafka,
                KafkaTarget::Cloud(cloud) => return cloud::page(sidecar, &cloud, &params, limits).await,
            };
        let started = Instant::now();
        let begin = match &params.cursor {
            Some(cursor) => Begin::Cursor(cursor),
            None => Begin::Start { partitions: params.partitions.as_deref(), start: params.start.as_ref() },
        };
        let starts = plan(sidecar, &kafka, &params.topic, begin, max_records as usize).await?;
        let shown = Shown::new(schemas(sidecar, &kafka).await?, params.filter.as_ref());
        let readers = sidecar.data_plane()?.readers().clone();
        let cancelled = Arc::new(AtomicBool::new(false));
        let _cancel = CancelOnDrop(cancelled.clone());
        let topic = params.topic;
        kafka
            .run(move |client, timeout| {
                let deadline = started + timeout;
                let shaper = Shaper { shown: &shown, message_max_bytes: limits.message_max_bytes };
                records::read_page(client, &readers, &topic, starts, limits, &shaper, deadline, &cancelled)
            })
            .await
    }
}

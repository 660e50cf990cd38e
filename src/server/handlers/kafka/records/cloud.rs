//! Pages and produce on a Confluent Cloud cluster, through Kafka REST (the pages themselves are read
//! in `server/ccloud_records.rs`, which tails share).

use std::sync::Arc;

use tower_lsp_server::jsonrpc::Result;

use super::*;
use crate::backends::kafka::records::{Delivered, Limits, Outgoing, Written};
use crate::backends::schemas::shown::Shown;
use crate::protocol::records::{ConsumePage, ConsumeParams};
use crate::server::ccloud_data::CloudKafka;
use crate::server::ccloud_records;

/// One page of a topic on a Confluent Cloud cluster.
pub(super) async fn page(
    sidecar: &Sidecar,
    cloud: &CloudKafka,
    params: &ConsumeParams,
    limits: Limits,
) -> Result<ConsumePage> {
    let schemas: Option<Arc<dyn SchemaLookup>> = match &cloud.schema_registry {
        Some(registry) => Some(sidecar.data_plane()?.registry_schemas(registry, cloud.timeout).await),
        None => None,
    };
    let shown = Arc::new(Shown::new(schemas, params.filter.as_ref()));
    let begin = match &params.cursor {
        Some(cursor) => Begin::Cursor(cursor),
        None => Begin::Start { partitions: params.partitions.as_deref(), start: params.start.as_ref() },
    };
    ccloud_records::read(cloud, &params.topic, begin, shown, limits).await
}

/// Writes serialized records one `POST .../records` at a time, in order; each record's outcome.
pub(super) async fn produce(cloud: &CloudKafka, topic: &str, records: Vec<Outgoing>) -> Result<Vec<Delivered>> {
    let mut outcomes = Vec::with_capacity(records.len());
    for record in &records {
        match cloud.run(cloud.rest.produce(topic, record)).await {
            Ok(written) => outcomes.push(written.map(|w| Written {
                partition: w.partition,
                offset: w.offset,
                timestamp: w.timestamp.or(record.timestamp).unwrap_or(-1),
            })),
            // Nothing written yet: the request fails as a whole, with the error's code.
            Err(error) if outcomes.is_empty() => return Err(error),
            // Some records are written: they keep their results, and the rest say why they are not.
            Err(error) => {
                let said = error.message.to_string();
                outcomes.push(Err(said.clone()));
                while outcomes.len() < records.len() {
                    outcomes.push(Err(format!("Not written: an earlier record failed ({said})")));
                }
                break;
            }
        }
    }
    Ok(outcomes)
}

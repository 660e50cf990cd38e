//! `kafka/records/tail`: starts pushing a topic's records as they arrive.

use tower_lsp_server::jsonrpc::Result;

use super::*;
use crate::backends::kafka::records::TailReader;
use crate::backends::schemas::shown::Shown;
use crate::protocol::methods::TailRecords;
use crate::protocol::records::{StartFrom, TailParams, TailResult};
use crate::protocol::ErrorCode;
use crate::server::errors::error;
use crate::server::handlers::Handler;
use crate::server::tails::{TailPlan, MAX_TAILS};

impl Handler for TailRecords {
    async fn handle(sidecar: &Sidecar, params: TailParams) -> Result<TailResult> {
        let mut problems = Problems::default();
        let message_max_bytes = check_reading(
            &mut problems,
            &params.topic,
            params.partitions.as_deref(),
            params.filter.as_ref(),
            params.message_max_bytes,
        );
        if let Some(start) = &params.start {
            check_start(&mut problems, "start", start);
        }
        problems.into_result()?;
        let too_many = || {
            error(
                ErrorCode::TooManyTails,
                format!("This session already runs {MAX_TAILS} tails, the most it may: untail one first"),
            )
        };
        if !sidecar.tails.room() {
            return Err(too_many());
        }
        let kafka = sidecar.kafka(&params.connection_id, params.cluster_id.as_deref(), None).await?;
        let start = params.start.clone().unwrap_or(Start { from: StartFrom::End, timestamp: None, offsets: None });
        let begin = Begin::Start { partitions: params.partitions.as_deref(), start: Some(&start) };
        let starts = plan(sidecar, &kafka, &params.topic, begin, DEFAULT_MAX_RECORDS as usize).await?;
        let shown = Shown::new(schemas(sidecar, &kafka).await?, params.filter.as_ref());
        let not_before = (start.from == StartFrom::Timestamp).then_some(start.timestamp).flatten();
        let topic = params.topic.clone();
        let client = kafka.client();
        let reader = kafka.run(move |_, _| TailReader::start(client, &topic, &starts)).await?;
        let plan = TailPlan {
            connection_id: params.connection_id,
            topic: params.topic,
            not_before,
            shown,
            message_max_bytes: message_max_bytes as usize,
        };
        match sidecar.tails.start(plan, reader) {
            Some(subscription_id) => Ok(TailResult { subscription_id }),
            None => Err(too_many()),
        }
    }
}

//! What a stage-1 task tells the sinks: every valid prediction and joined
//! outcome goes to the ClickHouse history and the metrics; dead letters,
//! events that missed their window and the join state size go to the
//! metrics. The history is flushed at each checkpoint, before the offsets
//! it covers are published for commit.

use std::sync::Arc;

use mlobs_operators::limits::Capped;
use mlobs_operators::stage1::Counters;

use super::worker::{Effects, PartitionWorker};
use crate::dead_letters::DeadLetter;
use crate::shutdown::Shutdown;
use crate::sinks::clickhouse::writer::HistoryWriter;
use crate::sinks::{Metrics, Sinks};
use crate::PipelineError;

/// The sinks of one stage-1 partition.
pub(super) struct Observer {
    partition: i32,
    writer: Option<HistoryWriter>,
    metrics: Arc<Metrics>,
    /// The worker's counters as last reported (they are cumulative and
    /// restored with the checkpoint; the metrics get the increase).
    reported: Counters,
    /// The same for the values that met a cap.
    capped: Capped,
}

impl Observer {
    /// Sinks for `partition`, whose worker starts with `counters`.
    pub fn new(
        partition: i32,
        sinks: &Sinks,
        shutdown: &Shutdown,
        worker: &PartitionWorker,
    ) -> Self {
        Observer {
            partition,
            writer: sinks.history_writer(shutdown),
            metrics: sinks.metrics.clone(),
            reported: worker.counters(),
            capped: worker.capped(),
        }
    }

    /// Takes the predictions and outcomes out of `effects`. Inserts early
    /// when a batch is full; returns the rows ClickHouse refused, for the
    /// dead-letter topic.
    pub fn observe(&mut self, effects: &mut Effects) -> Result<Vec<DeadLetter>, PipelineError> {
        self.metrics.observe_predictions(&effects.predictions);
        for event in effects.predictions.drain(..) {
            if let Some(writer) = &mut self.writer {
                writer.add(event);
            }
        }
        for outcome in effects.outcomes.drain(..) {
            self.metrics.observe_outcome(&outcome);
            if let Some(writer) = &mut self.writer {
                writer.add(outcome);
            }
        }
        match &mut self.writer {
            Some(writer) if writer.is_full() => writer.flush(),
            _ => Ok(Vec::new()),
        }
    }

    /// At a checkpoint: everything buffered is acknowledged by ClickHouse
    /// when this returns (the rows it refused are returned, for the
    /// dead-letter topic); the counters and the join size are reported.
    pub fn checkpoint(
        &mut self,
        worker: &PartitionWorker,
    ) -> Result<Vec<DeadLetter>, PipelineError> {
        let refused = match &mut self.writer {
            Some(writer) => writer.flush()?,
            None => Vec::new(),
        };
        let counters = worker.counters();
        for ((reason, now), (_, before)) in counters.named().into_iter().zip(self.reported.named())
        {
            self.metrics
                .not_windowed(reason, now.saturating_sub(before));
        }
        self.reported = counters;
        let capped = worker.capped();
        for ((kind, now), (_, before)) in capped.named().into_iter().zip(self.capped.named()) {
            self.metrics.capped(kind, now.saturating_sub(before));
        }
        self.capped = capped;
        self.metrics
            .join_state(self.partition, Some(worker.join_size()));
        Ok(refused)
    }

    /// The partition leaves this process: its gauges go.
    pub fn stop(&self) {
        self.metrics.join_state(self.partition, None);
    }
}

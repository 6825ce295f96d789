//! Simulated worlds for mlobs: model servers sending predictions, label
//! sources sending ground truth later, so that the pipeline can be watched
//! end to end with a known truth to compare against.

pub mod kafka_output;
pub mod rng;
pub mod simple;

use mlobs_schemas::{GroundTruthEvent, PredictionEvent};

/// Where a simulation sends its events.
pub trait Output {
    /// Sends a prediction; `false` when it was dropped and must not count.
    fn prediction(&mut self, event: PredictionEvent) -> Result<bool, SimError>;
    /// Sends a label.
    fn label(&mut self, event: GroundTruthEvent) -> Result<(), SimError>;
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario cannot be run as given.
    #[error("invalid scenario: {0}")]
    Scenario(String),
    /// Kafka refused or lost events.
    #[error("Kafka: {0}")]
    Kafka(String),
}

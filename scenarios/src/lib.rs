//! Simulated worlds for mlobs: model servers sending predictions and label
//! sources sending ground truth later, driven by a scenario file (traffic,
//! rollouts, drift and faults at known times), so that the pipeline can be
//! watched end to end against a known truth. docs/scenarios.md describes the
//! file format.

mod duration;
mod features;
mod file;
mod injections;
pub mod kafka_output;
mod model;
mod play;
mod process;
pub mod rng;
mod routing;
mod scenario;
mod serve;
mod truth;
mod world;

use std::fmt::Debug;

use mlobs_schemas::{GroundTruthEvent, PredictionEvent};

pub use model::Serving;
pub use routing::Routing;
pub use scenario::Scenario;
pub use truth::{Counts, Truth, WindowTruth};
pub use world::{ModelSpec, World};

/// Where a simulation sends its events: Kafka in production use, memory in
/// tests, so that the simulator itself needs no broker to be tested.
pub trait Output {
    /// Sends a prediction; `false` when it was dropped and must not count.
    fn prediction(&mut self, event: PredictionEvent) -> Result<bool, SimError>;
    /// Sends a label.
    fn label(&mut self, event: GroundTruthEvent) -> Result<(), SimError>;
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario cannot be run as given (a bad file or value).
    #[error("invalid scenario: {0}")]
    Scenario(String),
    /// Kafka refused or lost events.
    #[error("Kafka: {0}")]
    Kafka(String),
}

impl SimError {
    /// A scenario key whose value cannot be used, naming the key, the value
    /// and what is allowed, so that the author can fix the file in one go.
    pub(crate) fn invalid(key: &str, value: impl Debug, allowed: &str) -> SimError {
        SimError::Scenario(format!("`{key}` = {value:?} is invalid: {allowed}"))
    }

    /// A scenario key or table that is wrong as a whole (missing, misplaced).
    pub(crate) fn at(key: &str, problem: &str) -> SimError {
        SimError::Scenario(format!("`{key}`: {problem}"))
    }
}

//! The one model family mlobs trains: a logistic regression over named
//! features. The simulator fits every scenario version with it, and
//! `mlobs retrain` fits the replacement of a drifted one, so that what the
//! registry holds is servable by the simulator whoever trained it.
//!
//! Pure logic, no I/O: the weights travel as JSON ([`Logistic::to_json`]),
//! the registry artifact `model/weights.json`.

mod examples;
mod logistic;

pub use examples::{from_json_lines, kinds, to_json_lines, Example, Kind};
pub use logistic::{Logistic, ModelError};

/// The logistic function.
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

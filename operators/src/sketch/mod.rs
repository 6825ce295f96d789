//! Per-feature sketches of one window: what the drift tests read.

pub mod categorical;
pub mod numeric;

use serde::{Deserialize, Serialize};

pub use categorical::{CategoricalSketch, CategoricalSpec};
pub use numeric::{NumericSketch, NumericSpec};

use crate::stats::bins::EdgeMismatch;

/// How a feature is summarised, decided by the baseline (or, without one, by
/// the first value seen).
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureSpec {
    /// Numbers.
    Numeric(NumericSpec),
    /// Labels.
    Categorical(CategoricalSpec),
}

/// The sketch of one feature in one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FeatureSketch {
    /// A numeric feature.
    Numeric(NumericSketch),
    /// A categorical feature.
    Categorical(CategoricalSketch),
}

/// Merging sketches that do not describe the same thing.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SketchMismatch {
    /// One side is numeric, the other categorical.
    #[error("a numeric and a categorical sketch cannot be merged")]
    Kind,
    /// Numeric sketches binned on different edges.
    #[error(transparent)]
    Edges(#[from] EdgeMismatch),
}

impl FeatureSketch {
    /// An empty sketch for `spec`.
    pub fn new(spec: &FeatureSpec) -> Self {
        match spec {
            FeatureSpec::Numeric(spec) => FeatureSketch::Numeric(NumericSketch::new(spec)),
            FeatureSpec::Categorical(_) => FeatureSketch::Categorical(CategoricalSketch::default()),
        }
    }

    /// Folds `other` in.
    pub fn merge(&mut self, other: &FeatureSketch) -> Result<(), SketchMismatch> {
        match (self, other) {
            (FeatureSketch::Numeric(a), FeatureSketch::Numeric(b)) => Ok(a.merge(b)?),
            (FeatureSketch::Categorical(a), FeatureSketch::Categorical(b)) => {
                a.merge(b);
                Ok(())
            }
            _ => Err(SketchMismatch::Kind),
        }
    }
}

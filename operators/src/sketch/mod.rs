//! Per-feature sketches of one window: what the drift tests read.

pub mod categorical;
pub mod numeric;

use serde::{Deserialize, Serialize};

pub use categorical::{CategoricalSketch, CategoricalSpec};
pub use numeric::{NumericSketch, NumericSpec};

/// How a feature is summarised, decided by the baseline (or, without one, by
/// the first value seen).
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureSpec {
    /// Numbers.
    Numeric(NumericSpec),
    /// Labels.
    Categorical(CategoricalSpec),
}

/// The sketch of one feature in one window. Externally tagged (the serde
/// default) so that compact binary formats can carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FeatureSketch {
    /// A numeric feature.
    Numeric(NumericSketch),
    /// A categorical feature.
    Categorical(CategoricalSketch),
}

impl FeatureSketch {
    /// An empty sketch for `spec`.
    pub fn new(spec: &FeatureSpec) -> Self {
        match spec {
            FeatureSpec::Numeric(spec) => FeatureSketch::Numeric(NumericSketch::new(spec)),
            FeatureSpec::Categorical(_) => FeatureSketch::Categorical(CategoricalSketch::default()),
        }
    }

    /// Values (not missing ones) it has seen.
    pub fn count(&self) -> u64 {
        match self {
            FeatureSketch::Numeric(s) => s.moments.count(),
            FeatureSketch::Categorical(s) => s.count,
        }
    }

    /// Folds `other` in. A sketch of the other kind (a source that saw
    /// the feature as numbers where this one saw labels) adds its values as
    /// missing: they cannot be compared with this kind's values.
    pub fn merge(&mut self, other: &FeatureSketch) {
        match (self, other) {
            (FeatureSketch::Numeric(a), FeatureSketch::Numeric(b)) => a.merge(b),
            (FeatureSketch::Categorical(a), FeatureSketch::Categorical(b)) => a.merge(b),
            (FeatureSketch::Numeric(a), FeatureSketch::Categorical(b)) => {
                a.missing += b.count + b.missing
            }
            (FeatureSketch::Categorical(a), FeatureSketch::Numeric(b)) => {
                a.missing += b.moments.count() + b.missing
            }
        }
    }
}

//! A model version's validation predictions with their labels, stored in
//! its baseline: CBPE's first calibration, before any label of the version
//! arrives in the stream.

use serde::{Deserialize, Serialize};

use super::counts::{LabeledCounts, Tally};
use crate::limits::Limits;

/// A version's validation predictions with their labels, binned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    /// The positive class of a binary classifier (for the estimated
    /// precision, recall and F1); absent for other classifiers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive_class: Option<String>,
    /// Outcomes per predicted class and confidence bin.
    pub outcomes: LabeledCounts,
}

impl Validation {
    /// Bins (predicted class, confidence, correct) outcomes.
    pub fn of(
        positive_class: Option<String>,
        outcomes: impl IntoIterator<Item = (String, f64, bool)>,
    ) -> Self {
        let mut counts = LabeledCounts::default();
        for (class, confidence, correct) in outcomes {
            counts.add(
                &class,
                confidence,
                Tally::of(correct),
                Limits::default().max_classes,
            );
        }
        Validation {
            positive_class,
            outcomes: counts,
        }
    }
}

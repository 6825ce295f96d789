//! Stage 1's account of events that did not make it into a window.

use serde::{Deserialize, Serialize};

/// Events that did not make it into a window, by why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Predictions whose window had closed.
    pub late_predictions: u64,
    /// Labels whose window had closed.
    pub late_labels: u64,
    /// Predictions with an id seen within the TTL.
    pub duplicate_predictions: u64,
    /// Labels for an already labeled prediction, or repeated while waiting.
    pub duplicate_labels: u64,
    /// Labels whose prediction never came within the TTL.
    pub orphan_labels: u64,
    /// Labels dropped because too many were waiting.
    pub label_overflow: u64,
    /// Unlabeled predictions whose TTL ended in a window a flush had closed.
    pub unlabeled_after_flush: u64,
}

impl Counters {
    /// Each count with a stable name (a metric label).
    pub fn named(&self) -> [(&'static str, u64); 7] {
        [
            ("late_prediction", self.late_predictions),
            ("late_label", self.late_labels),
            ("duplicate_prediction", self.duplicate_predictions),
            ("duplicate_label", self.duplicate_labels),
            ("orphan_label", self.orphan_labels),
            ("label_overflow", self.label_overflow),
            ("unlabeled_after_flush", self.unlabeled_after_flush),
        ]
    }
}

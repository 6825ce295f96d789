//! Alert rules over completed windows (seed sections 2.4 and 3), pure: a
//! window result goes in, alert transitions (firing, resolved) come out.
//!
//! [`checks`] measures one window against one rule; [`lifecycle`] turns a
//! run of measurements into firing and resolved events with ids that a
//! replay reproduces; [`ModelAlerts`] keeps the state of one model's
//! versions between windows, compares versions with the champion, and
//! resolves alerts of versions that stopped receiving traffic. The runtime
//! (stage 2) persists that state and publishes the events.

pub mod checks;
mod engine;
pub mod lifecycle;
mod regression;
mod thresholds;

pub use engine::ModelAlerts;
pub use thresholds::AlertThresholds;

use mlobs_schemas::Severity;
use serde::{Deserialize, Serialize};

/// The rules mlobs evaluates. Each id is fixed: it names the rule in
/// `AlertEvent.rule`, ClickHouse, the Prometheus rules and the agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RuleId {
    /// Accuracy below the SLO.
    AccuracySlo,
    /// Accuracy estimated from the confidences (CBPE) surely below the
    /// SLO, before the labels can say so.
    AccuracyEstimated,
    /// A version significantly less accurate than the champion.
    VersionRegression,
    /// Drift on a critical feature.
    FeatureDrift,
    /// A large share of the features drifted.
    DatasetDrift,
    /// p95 latency above the SLO.
    LatencyP95,
    /// p99 latency above the SLO.
    LatencyP99,
    /// Too many failed predictions of one type.
    ErrorRate,
    /// The share of predictions that got a label fell.
    LabelCoverage,
    /// Predictions per window fell.
    PredictionVolume,
}

impl RuleId {
    /// Every rule, in the order they are evaluated.
    pub const ALL: [RuleId; 10] = [
        RuleId::AccuracySlo,
        RuleId::AccuracyEstimated,
        RuleId::VersionRegression,
        RuleId::FeatureDrift,
        RuleId::DatasetDrift,
        RuleId::LatencyP95,
        RuleId::LatencyP99,
        RuleId::ErrorRate,
        RuleId::LabelCoverage,
        RuleId::PredictionVolume,
    ];

    /// The id as written in events, tables and rule files.
    pub fn name(self) -> &'static str {
        match self {
            RuleId::AccuracySlo => "accuracy_slo",
            RuleId::AccuracyEstimated => "accuracy_estimated",
            RuleId::VersionRegression => "version_regression",
            RuleId::FeatureDrift => "feature_drift",
            RuleId::DatasetDrift => "dataset_drift",
            RuleId::LatencyP95 => "latency_p95",
            RuleId::LatencyP99 => "latency_p99",
            RuleId::ErrorRate => "error_rate",
            RuleId::LabelCoverage => "label_coverage",
            RuleId::PredictionVolume => "prediction_volume",
        }
    }

    /// How urgent a firing alert of this rule is: wrong answers reaching
    /// users are critical; causes and early signs are warnings.
    pub fn severity(self) -> Severity {
        match self {
            RuleId::AccuracySlo | RuleId::VersionRegression | RuleId::ErrorRate => {
                Severity::Critical
            }
            _ => Severity::Warning,
        }
    }
}

#[cfg(test)]
mod tests;

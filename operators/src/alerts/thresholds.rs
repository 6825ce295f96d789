//! The thresholds of the rules, as written under `[alerts]` in the config
//! (defaults) and `[alerts.models.NAME]` (per-model overrides).

use serde::{Deserialize, Serialize};

/// What each rule compares against. Every field has a default, so an empty
/// `[alerts]` section enables every rule with the values below.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertThresholds {
    /// Consecutive windows a condition must hold before an alert fires,
    /// and must not hold before it resolves (so one noisy window neither
    /// pages nor un-pages); also the empty windows after which an alert of
    /// a version without traffic resolves.
    pub for_windows: u32,
    /// `accuracy_slo`, `accuracy_estimated`: the SLO.
    pub min_accuracy: f64,
    /// `accuracy_slo`, `version_regression`: a window with fewer labels says
    /// too little about accuracy to count (`accuracy_estimated`: fewer
    /// predictions).
    pub min_labeled: u64,
    /// `version_regression`: how far (as a fraction, 0.02 = 2 points) below
    /// the champion a version may be before it regressed...
    pub max_drop: f64,
    /// ...and how sure the two-proportion test must be (one-sided p-value).
    pub regression_p_value: f64,
    /// `feature_drift`: the features whose drift alerts; empty means every
    /// feature of the baseline.
    pub critical_features: Vec<String>,
    /// `latency_p95`: the SLO in milliseconds.
    pub latency_p95_ms: f64,
    /// `latency_p99`: the SLO in milliseconds.
    pub latency_p99_ms: f64,
    /// `error_rate`: the largest share of predictions failing with one
    /// error type.
    pub max_error_rate: f64,
    /// `label_coverage`, `prediction_volume`: how far (0.5 = by half) the
    /// value may fall below its mean over the recent healthy windows.
    pub max_fall: f64,
    /// `label_coverage`, `prediction_volume`: how many recent healthy
    /// windows make the mean; the rules wait until there are this many.
    pub trailing_windows: u32,
}

impl Default for AlertThresholds {
    fn default() -> Self {
        AlertThresholds {
            for_windows: 2,
            min_accuracy: 0.95,
            min_labeled: 100,
            max_drop: 0.02,
            regression_p_value: 0.01,
            critical_features: Vec::new(),
            latency_p95_ms: 500.0,
            latency_p99_ms: 1000.0,
            max_error_rate: 0.05,
            max_fall: 0.5,
            trailing_windows: 6,
        }
    }
}

impl AlertThresholds {
    /// Whether drift on `feature` alerts.
    pub fn is_critical(&self, feature: &str) -> bool {
        self.critical_features.is_empty() || self.critical_features.iter().any(|f| f == feature)
    }

    /// What is wrong with these values, for the config loader to report.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut share = |name: &str, value: f64| {
            if !(0.0..=1.0).contains(&value) {
                problems.push(format!("{name} = {value} is not a share between 0 and 1"));
            }
        };
        share("min_accuracy", self.min_accuracy);
        share("max_drop", self.max_drop);
        share("regression_p_value", self.regression_p_value);
        share("max_error_rate", self.max_error_rate);
        share("max_fall", self.max_fall);
        if self.for_windows == 0 {
            problems.push("for_windows = 0: use 1 to fire on the first window".into());
        }
        if self.trailing_windows == 0 {
            problems.push("trailing_windows = 0: the mean needs at least 1 window".into());
        }
        for (name, value) in [
            ("latency_p95_ms", self.latency_p95_ms),
            ("latency_p99_ms", self.latency_p99_ms),
        ] {
            if value.is_nan() || value <= 0.0 {
                problems.push(format!("{name} = {value} is not a positive latency"));
            }
        }
        problems
    }
}

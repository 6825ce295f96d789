//! What a drift test reports: per feature its statistics, verdict and
//! status, and the dataset-level summary.

use serde::{Deserialize, Serialize};

use super::{Kind, Method, Summary};

/// What became of a feature: tested (ok or drifted), or not, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Tested; no drift.
    Ok,
    /// Tested; its distribution drifted.
    Drifted,
    /// The reference has it, the current data does not, while other
    /// features still arrive: an upstream change, not a distribution shift.
    Missing,
    /// Nothing to test: no values in the reference, or no feature values at
    /// all in the current data (a model whose features are hashed for
    /// privacy).
    NotMonitored,
}

impl Status {
    /// The name used in JSON, ClickHouse and Avro.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Drifted => "drifted",
            Status::Missing => "missing",
            Status::NotMonitored => "not_monitored",
        }
    }

    /// The status of that name, as [`Status::name`] writes it.
    pub fn from_name(name: &str) -> Option<Status> {
        [
            Status::Ok,
            Status::Drifted,
            Status::Missing,
            Status::NotMonitored,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }

    /// True when the feature was tested (ok or drifted).
    pub fn is_tested(self) -> bool {
        matches!(self, Status::Ok | Status::Drifted)
    }
}

/// Every statistic; `None` where it does not apply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Statistics {
    /// KS statistic (numeric).
    pub ks_statistic: Option<f64>,
    /// KS p-value, two-sided, as scipy's `ks_2samp` (numeric). Against a
    /// sketch (a window's t-digest, a baseline kept at ranks) it is the
    /// p-value of the statistic less the sketches' interpolation error, so
    /// that a sketch's error does not make it lower than the exact samples'
    /// (conservative: a sketch alone does not raise a drift alarm).
    pub ks_p_value: Option<f64>,
    /// Wasserstein-1 distance (numeric).
    pub wasserstein: Option<f64>,
    /// Wasserstein-1 over max(reference std, 0.001) (numeric).
    pub wasserstein_normalized: Option<f64>,
    /// PSI on the baseline bins or categories.
    pub psi: Option<f64>,
    /// Jensen-Shannon distance on the same bins or categories.
    pub jensen_shannon: Option<f64>,
    /// Chi-square statistic (categorical, or numeric with at most 5 values).
    pub chi2_statistic: Option<f64>,
    /// Chi-square p-value.
    pub chi2_p_value: Option<f64>,
    /// Two-proportion z-test p-value (binary features; not in the JSON).
    #[serde(skip)]
    pub z_p_value: Option<f64>,
}

impl Statistics {
    pub(super) fn score(&self, method: Method) -> Option<f64> {
        match method {
            Method::Ks => self.ks_p_value,
            Method::Wasserstein => self.wasserstein_normalized,
            Method::Psi => self.psi,
            Method::ChiSquare => self.chi2_p_value,
            Method::JensenShannon => self.jensen_shannon,
            Method::ZTest => self.z_p_value,
        }
    }
}

/// The verdict on one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    /// Feature name.
    pub name: String,
    /// Numeric or categorical.
    pub kind: Kind,
    /// The method that decided.
    pub method: Method,
    /// That method's score (p-value or distance); null when a side is empty.
    pub score: Option<f64>,
    /// Threshold applied to the score.
    pub threshold: f64,
    /// The verdict: the status is `drifted`.
    pub drift_detected: bool,
    /// Tested (ok, drifted) or why not (missing, not_monitored).
    pub status: Status,
    /// Every statistic of the kind.
    #[serde(flatten)]
    pub statistics: Statistics,
    /// The reference side.
    pub reference: Summary,
    /// The current side.
    pub current: Summary,
    /// Current values the baseline never saw (categorical features only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_unseen: Option<u64>,
}

impl FeatureDrift {
    /// Marks the feature as not tested, whatever its data said.
    pub fn not_monitored(&mut self) {
        self.status = Status::NotMonitored;
        self.drift_detected = false;
    }
}

/// The dataset-level result: every feature, drifted ones first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    /// True when at least `dataset_share` of the tested features drifted.
    pub dataset_drift: bool,
    /// How many features drifted.
    pub drifted_features: usize,
    /// drifted_features / tested features (0 when none was tested): a
    /// missing or unmonitored feature is neither drifted nor stable.
    pub share_drifted: f64,
    /// Per feature, drifted first, then by name.
    pub features: Vec<FeatureDrift>,
}

impl DriftReport {
    /// Aggregates per-feature verdicts.
    pub fn new(mut features: Vec<FeatureDrift>, dataset_share: f64) -> Self {
        features.sort_by(|a, b| {
            b.drift_detected
                .cmp(&a.drift_detected)
                .then_with(|| a.name.cmp(&b.name))
        });
        let drifted_features = features.iter().filter(|f| f.drift_detected).count();
        let tested = features.iter().filter(|f| f.status.is_tested()).count();
        let share_drifted = if tested == 0 {
            0.0
        } else {
            drifted_features as f64 / tested as f64
        };
        DriftReport {
            dataset_drift: tested > 0 && share_drifted >= dataset_share,
            drifted_features,
            share_drifted,
            features,
        }
    }
}

//! Drift of one window (or file) against a reference, per feature, with
//! Evidently's automatic choice of test, and the dataset-level verdict.
//!
//! Two modes share the verdict logic: [`samples`] tests two files at hand
//! exactly as Evidently does; [`numeric`] and [`categorical`] test a
//! window's sketches against a baseline profile on the baseline's bins.
//!
//! Every statistic of a feature's kind is computed whichever method decides;
//! statistics that do not apply to the kind are `None` (JSON null). When one
//! side has no values at all the statistics are `None` as well and the
//! feature is not tested: its [`Status`] says why.

pub mod categorical;
pub mod dataset;
pub mod distances;
pub mod numeric;
mod report;
pub mod samples;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::stats::moments::Summary;
pub use report::{DriftReport, FeatureDrift, Statistics, Status};

/// A drift test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Two-sample Kolmogorov-Smirnov; score is the p-value.
    Ks,
    /// Wasserstein-1 divided by the reference standard deviation; score is that distance.
    Wasserstein,
    /// Population stability index on the baseline bins.
    Psi,
    /// Pearson chi-square on categories (or bins); score is the p-value.
    ChiSquare,
    /// Jensen-Shannon distance on categories (or bins).
    JensenShannon,
    /// Two-proportion z-test for binary features; score is the p-value.
    ZTest,
}

impl Method {
    /// Every method, for parsing and help texts.
    pub const ALL: [Method; 6] = [
        Method::Ks,
        Method::Wasserstein,
        Method::Psi,
        Method::ChiSquare,
        Method::JensenShannon,
        Method::ZTest,
    ];

    /// The name used in configs, flags and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Method::Ks => "ks",
            Method::Wasserstein => "wasserstein",
            Method::Psi => "psi",
            Method::ChiSquare => "chisquare",
            Method::JensenShannon => "jensenshannon",
            Method::ZTest => "ztest",
        }
    }

    /// Evidently's default threshold: 0.05 for p-values, 0.1 for distances.
    pub fn default_threshold(self) -> f64 {
        if self.scores_p_value() {
            0.05
        } else {
            0.1
        }
    }

    /// True when the score is a p-value (drift when below the threshold);
    /// otherwise it is a distance (drift when at or above it).
    pub fn scores_p_value(self) -> bool {
        matches!(self, Method::Ks | Method::ChiSquare | Method::ZTest)
    }

    /// Evidently's comparisons: KS drifts at p <= threshold, chi-square and
    /// the z-test at p < threshold, distances at or above the threshold.
    fn detects(self, score: f64, threshold: f64) -> bool {
        if self == Method::Ks {
            score <= threshold
        } else if self.scores_p_value() {
            score < threshold
        } else {
            score >= threshold
        }
    }
}

/// Feature kind as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Numbers.
    Numeric,
    /// Labels.
    Categorical,
}

impl Kind {
    /// The name used in messages and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Numeric => "numeric",
            Kind::Categorical => "categorical",
        }
    }
}

/// Method and threshold forced for a feature (or all of them).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Choice {
    /// `None`: choose automatically.
    pub method: Option<Method>,
    /// `None`: the method's default.
    pub threshold: Option<f64>,
}

/// How drift is decided.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftOptions {
    /// For every feature without an override.
    pub default: Choice,
    /// Per feature name.
    pub overrides: BTreeMap<String, Choice>,
    /// Dataset drift when at least this share of features drifted.
    pub dataset_share: f64,
}

impl Default for DriftOptions {
    fn default() -> Self {
        DriftOptions {
            default: Choice::default(),
            overrides: BTreeMap::new(),
            dataset_share: 0.5,
        }
    }
}

impl DriftOptions {
    /// The choice that applies to `feature`.
    pub fn choice(&self, feature: &str) -> Choice {
        let specific = self.overrides.get(feature).copied().unwrap_or_default();
        Choice {
            method: specific.method.or(self.default.method),
            threshold: specific.threshold.or(self.default.threshold),
        }
    }
}

/// Evidently's automatic choice. `reference_rows` counts the reference's
/// non-missing values; `values` the distinct values of reference and current
/// together. With at most 1000 reference rows: KS for numeric features with
/// more than 5 values, else chi-square, or the z-test for at most 2 values.
/// With more: normalised Wasserstein for numeric features with more than 5
/// values, else Jensen-Shannon.
pub fn auto_method(kind: Kind, reference_rows: u64, values: u64) -> Method {
    let many_values = kind == Kind::Numeric && values > 5;
    match (reference_rows <= 1000, many_values) {
        (true, true) => Method::Ks,
        (true, false) if values <= 2 => Method::ZTest,
        (true, false) => Method::ChiSquare,
        (false, true) => Method::Wasserstein,
        (false, false) => Method::JensenShannon,
    }
}

/// The method for a feature: the forced one when it applies to the data,
/// else [`auto_method`].
pub fn choose_method(
    name: &str,
    kind: Kind,
    forced: Option<Method>,
    reference_rows: u64,
    values: u64,
) -> Result<Method, MethodError> {
    let refuse = |method: Method, why: String| MethodError {
        method: method.name(),
        feature: name.into(),
        why,
    };
    match forced {
        None => Ok(auto_method(kind, reference_rows, values)),
        Some(m @ (Method::Ks | Method::Wasserstein)) if kind == Kind::Categorical => Err(refuse(
            m,
            "it applies to numeric features; use chisquare, jensenshannon or psi".into(),
        )),
        Some(Method::ZTest) if values > 2 => {
            let instead = match kind {
                Kind::Numeric => "ks or wasserstein",
                Kind::Categorical => "chisquare",
            };
            Err(refuse(
                Method::ZTest,
                format!(
                    "it needs at most two distinct values, the data has {values}; use {instead}"
                ),
            ))
        }
        Some(method) => Ok(method),
    }
}

/// A method that cannot be applied to a feature.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("method {method} cannot test feature {feature}: {why}")]
pub struct MethodError {
    /// The method asked for.
    pub method: &'static str,
    /// The feature.
    pub feature: String,
    /// Why, and what to use instead.
    pub why: String,
}

/// Turns statistics into a verdict with the chosen method and threshold.
fn decide(
    name: &str,
    kind: Kind,
    method: Method,
    choice: Choice,
    statistics: Statistics,
    sides: (Summary, Summary),
) -> FeatureDrift {
    let threshold = choice
        .threshold
        .unwrap_or_else(|| method.default_threshold());
    let score = statistics.score(method);
    let status = match score {
        _ if sides.0.count == 0 => Status::NotMonitored,
        _ if sides.1.count == 0 => Status::Missing,
        Some(score) if method.detects(score, threshold) => Status::Drifted,
        _ => Status::Ok,
    };
    FeatureDrift {
        name: name.to_string(),
        kind,
        method,
        score,
        threshold,
        drift_detected: status == Status::Drifted,
        status,
        statistics,
        reference: sides.0,
        current: sides.1,
        current_unseen: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_choice_follows_evidentlys_rules() {
        assert_eq!(auto_method(Kind::Numeric, 1000, 50), Method::Ks);
        assert_eq!(auto_method(Kind::Numeric, 1000, 4), Method::ChiSquare);
        assert_eq!(auto_method(Kind::Numeric, 500, 2), Method::ZTest);
        assert_eq!(auto_method(Kind::Categorical, 1000, 7), Method::ChiSquare);
        assert_eq!(auto_method(Kind::Categorical, 10, 2), Method::ZTest);
        assert_eq!(auto_method(Kind::Numeric, 1001, 50), Method::Wasserstein);
        assert_eq!(auto_method(Kind::Numeric, 5000, 5), Method::JensenShannon);
        assert_eq!(
            auto_method(Kind::Categorical, 5000, 50),
            Method::JensenShannon
        );
    }

    #[test]
    fn overrides_win_over_the_default_choice() {
        let mut options = DriftOptions::default();
        options.default.threshold = Some(0.2);
        options.overrides.insert(
            "x".into(),
            Choice {
                method: Some(Method::Psi),
                threshold: None,
            },
        );
        assert_eq!(
            options.choice("x"),
            Choice {
                method: Some(Method::Psi),
                threshold: Some(0.2)
            }
        );
        assert_eq!(
            options.choice("y"),
            Choice {
                method: None,
                threshold: Some(0.2)
            }
        );
    }
}

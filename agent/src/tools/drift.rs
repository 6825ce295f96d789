//! `detect_data_drift(model_name, threshold)`: the per-feature verdicts of
//! the most recent complete drift window of each version (stage 2 writes
//! them to `feature_drift`, each test with its own threshold), and the
//! dataset verdict: drifted when the share of drifted features reaches
//! `threshold` (default 0.5). The latest window, not a span, because the
//! question is "is the input drifted now"; earlier windows are history
//! (`time_window` tools). Features stage 2 does not monitor are left out
//! of the share.

use serde::Serialize;

use super::sql::model_filter;
use super::{count, num, text, ModelRef, Range, ToolError, Tools};

/// The dataset threshold when none is given.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// One feature's verdict.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FeatureVerdict {
    /// Feature name.
    pub feature: String,
    /// numeric or categorical.
    pub kind: String,
    /// The test stage 2 applied (wasserstein, psi, chi2, ...).
    pub method: String,
    /// Its score (the method's unit: a distance, a p-value, ...).
    pub score: Option<f64>,
    /// The test's own threshold.
    pub threshold: f64,
    /// The verdict.
    pub drifted: bool,
    /// ok, drifted, missing or not_monitored.
    pub status: String,
    /// Values seen in the window.
    pub current_count: u64,
    /// Missing values in the window.
    pub current_missing: u64,
}

/// One version's latest window.
#[derive(Debug, Clone, Serialize)]
pub struct VersionDrift {
    /// The version.
    pub version: String,
    /// The window the verdicts come from.
    pub range: Range,
    /// Features with a verdict (not_monitored left out).
    pub monitored: usize,
    /// Of which drifted.
    pub drifted: usize,
    /// drifted / monitored, fraction 0..1.
    pub share_drifted: f64,
    /// share_drifted >= threshold.
    pub dataset_drift: bool,
    /// Every feature, drifted first then by score.
    pub features: Vec<FeatureVerdict>,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    /// Model and version asked about.
    pub model: ModelRef,
    /// The dataset threshold used (share of features, 0..1).
    pub threshold: f64,
    /// Any version's dataset_drift.
    pub dataset_drift: bool,
    /// Per version.
    pub versions: Vec<VersionDrift>,
}

/// The verdict of one version from its features.
pub fn verdict(
    version: String,
    range: Range,
    mut features: Vec<FeatureVerdict>,
    threshold: f64,
) -> VersionDrift {
    features.sort_by(|a, b| b.drifted.cmp(&a.drifted).then(a.feature.cmp(&b.feature)));
    let monitored = features
        .iter()
        .filter(|f| f.status != "not_monitored")
        .count();
    let drifted = features
        .iter()
        .filter(|f| f.drifted && f.status != "not_monitored")
        .count();
    let share_drifted = if monitored == 0 {
        0.0
    } else {
        drifted as f64 / monitored as f64
    };
    VersionDrift {
        version,
        range,
        monitored,
        drifted,
        share_drifted,
        dataset_drift: monitored > 0 && share_drifted >= threshold,
        features,
    }
}

impl Tools {
    /// See the module documentation.
    pub fn detect_data_drift(
        &self,
        model_name: &str,
        threshold: Option<f64>,
    ) -> Result<Drift, ToolError> {
        let threshold = threshold.unwrap_or(DEFAULT_THRESHOLD);
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(ToolError::bad(
                "threshold",
                &threshold.to_string(),
                "a share of features in (0, 1]",
            ));
        }
        let model = self.resolve(model_name)?;
        let table = self.table("feature_drift");
        let filter = model_filter(&model);
        let sql = format!(
            "SELECT version, window_start_ms, feature, kind, method, score, threshold, drifted, status, \
             current_count, current_missing FROM {table} FINAL WHERE {filter} AND \
             (version, window_start_ms) IN (SELECT version, max(window_start_ms) FROM {table} \
             WHERE {filter} GROUP BY version) ORDER BY version, feature"
        );
        let rows = self.rows(&sql)?;
        let windows = self.rows(&format!(
            "SELECT version, window_start_ms, toInt64(toUInt32(any(window_end))) * 1000 AS end_ms \
             FROM {} FINAL WHERE {filter} GROUP BY version, window_start_ms",
            self.table("window_metrics")
        ))?;
        let mut versions: Vec<VersionDrift> = Vec::new();
        let mut current: Option<(String, i64, Vec<FeatureVerdict>)> = None;
        let end_of = |v: &str, start: i64| {
            windows
                .iter()
                .find(|w| w["version"] == v && num(&w["window_start_ms"]) == Some(start as f64))
                .and_then(|w| num(&w["end_ms"]))
                .map_or(start, |e| e as i64)
        };
        let close = |c: Option<(String, i64, Vec<FeatureVerdict>)>,
                     versions: &mut Vec<VersionDrift>| {
            if let Some((v, start, features)) = c {
                let end = end_of(&v, start);
                let range = super::TimeWindow {
                    start_ms: start,
                    end_ms: end,
                }
                .range();
                versions.push(verdict(v, range, features, threshold));
            }
        };
        for row in &rows {
            let version = text(&row["version"]);
            let start = num(&row["window_start_ms"]).unwrap_or(0.0) as i64;
            if current.as_ref().map(|c| (&c.0, c.1)) != Some((&version, start)) {
                close(current.take(), &mut versions);
                current = Some((version, start, Vec::new()));
            }
            if let Some(c) = current.as_mut() {
                c.2.push(FeatureVerdict {
                    feature: text(&row["feature"]),
                    kind: text(&row["kind"]),
                    method: text(&row["method"]),
                    score: num(&row["score"]),
                    threshold: num(&row["threshold"]).unwrap_or(0.0),
                    drifted: count(&row["drifted"]) == 1,
                    status: text(&row["status"]),
                    current_count: count(&row["current_count"]),
                    current_missing: count(&row["current_missing"]),
                });
            }
        }
        close(current.take(), &mut versions);
        if versions.is_empty() {
            return Err(ToolError::EmptyWindow {
                what: "drift results (feature_drift)".into(),
                model: model.label(),
                start: "the beginning".into(),
                end: "now".into(),
            });
        }
        Ok(Drift {
            dataset_drift: versions.iter().any(|v| v.dataset_drift),
            model,
            threshold,
            versions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str, drifted: bool, status: &str) -> FeatureVerdict {
        FeatureVerdict {
            feature: name.into(),
            kind: "numeric".into(),
            method: "wasserstein".into(),
            score: Some(0.2),
            threshold: 0.1,
            drifted,
            status: status.into(),
            current_count: 10,
            current_missing: 0,
        }
    }

    #[test]
    fn the_share_counts_monitored_features_only() {
        let range = Range {
            start: "a".into(),
            end: "b".into(),
        };
        let features = vec![
            f("a", false, "ok"),
            f("b", true, "drifted"),
            f("c", false, "not_monitored"),
        ];
        let v = verdict("1".into(), range.clone(), features.clone(), 0.5);
        assert_eq!((v.monitored, v.drifted), (2, 1));
        assert!(v.dataset_drift, "1 of 2 reaches 0.5");
        assert_eq!(v.features[0].feature, "b", "drifted first");
        assert!(!verdict("1".into(), range, features, 0.6).dataset_drift);
    }
}

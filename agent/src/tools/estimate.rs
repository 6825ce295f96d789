//! `estimate_performance(model_name, version, time_window)`: the accuracy
//! the predictions made in the window should have, from their calibrated
//! confidences (CBPE, computed per window by stage 2), beside the accuracy
//! their labels show so far. Before the labels arrive, it is the only
//! accuracy there is; once they arrive, a realized accuracy outside the
//! estimate's band means the relation between inputs and labels changed.

use std::collections::BTreeMap;

use mlobs_schemas::time::format_rfc3339;
use serde::Serialize;
use serde_json::Value;

use super::sql::{model_filter, time_filter};
use super::{count, num, text, ModelRef, Range, ToolError, Tools};

/// Half-width of a band in standard deviations (as the windows' bands).
const BAND_SIGMAS: f64 = 3.0;

/// One window's estimate and what its labels say so far.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WindowEstimate {
    /// Window start, RFC 3339.
    pub window_start: String,
    /// Predictions the estimate is over.
    pub predictions: u64,
    /// Estimated accuracy, a fraction 0..1.
    pub accuracy_estimated: f64,
    /// Its band.
    pub accuracy_estimated_lower: f64,
    /// Its band.
    pub accuracy_estimated_upper: f64,
    /// Predictions of the window labeled so far.
    pub labeled: u64,
    /// Their accuracy; null without labels.
    pub accuracy_realized: Option<f64>,
}

/// One version over the whole window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VersionEstimate {
    /// The version.
    pub version: String,
    /// Predictions with an estimate.
    pub predictions: u64,
    /// Estimated accuracy over them, a fraction 0..1.
    pub accuracy_estimated: f64,
    /// The band of that estimate (3 standard deviations).
    pub accuracy_estimated_lower: f64,
    /// The band of that estimate.
    pub accuracy_estimated_upper: f64,
    /// Estimated precision of the positive class (binary models whose
    /// baseline names it).
    pub precision_estimated: Option<f64>,
    /// Estimated recall of the positive class.
    pub recall_estimated: Option<f64>,
    /// Estimated F1 of the positive class.
    pub f1_estimated: Option<f64>,
    /// What the newest window's calibration was learned from.
    pub calibration_source: String,
    /// Its held-out expected calibration error.
    pub calibration_ece: Option<f64>,
    /// Predictions labeled so far.
    pub labeled: u64,
    /// labeled / predictions.
    pub label_coverage: f64,
    /// Accuracy of the labeled predictions; null without labels.
    pub accuracy_realized: Option<f64>,
    /// Realized minus the estimate of the same (labeled) windows.
    pub estimation_error: Option<f64>,
    /// Whether the labels are within the estimate's band for as many
    /// labels: false means P(label | features) changed.
    pub labels_agree: Option<bool>,
    /// Window by window, oldest first.
    pub windows: Vec<WindowEstimate>,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct PerformanceEstimate {
    /// Model and version asked about.
    pub model: ModelRef,
    /// The windows' start times it covers.
    pub range: Range,
    /// "fraction (0..1)".
    pub unit: &'static str,
    /// Per version, by version.
    pub versions: Vec<VersionEstimate>,
}

impl Tools {
    /// See the module documentation.
    pub fn estimate_performance(
        &self,
        model_name: &str,
        version: Option<&str>,
        time_window: &str,
    ) -> Result<PerformanceEstimate, ToolError> {
        let model = self.resolve_with(model_name, version)?;
        let window = self.window(time_window)?;
        let db = self.clickhouse.database();
        let estimated = self.rows(&format!(
            "SELECT version, window_start_ms, toInt64(toUInt32(window_end)) * 1000 - window_start_ms AS size_ms, \
             predictions, accuracy_estimated, accuracy_estimated_lower, accuracy_estimated_upper, \
             precision_estimated, recall_estimated, f1_estimated, calibration_source, calibration_ece \
             FROM {db}.window_metrics FINAL \
             WHERE {} AND {} AND accuracy_estimated IS NOT NULL \
             ORDER BY version, window_start_ms",
            model_filter(&model),
            time_filter("window_start_ms", &window)
        ))?;
        let Some(size_ms) = estimated.first().and_then(|r| num(&r["size_ms"])) else {
            let r = window.range();
            return Err(ToolError::EmptyWindow {
                what: "windows with an estimated accuracy (a classifier reporting confidences)"
                    .into(),
                model: model.label(),
                start: r.start,
                end: r.end,
            });
        };
        let size_ms = size_ms as i64;
        let realized = self.rows(&format!(
            // `right_count`, not `correct`: ClickHouse 18.16 would read the
            // WHERE's `correct` as the alias.
            "SELECT version, intDiv(prediction_time_ms, {size_ms}) * {size_ms} AS window_start_ms, \
             count() AS labeled, sum(correct) AS right_count FROM {db}.outcomes FINAL \
             WHERE {} AND {} AND correct IS NOT NULL GROUP BY version, window_start_ms",
            model_filter(&model),
            time_filter("prediction_time_ms", &window)
        ))?;
        let outcomes: BTreeMap<(String, i64), (u64, u64)> = realized
            .iter()
            .map(|r| {
                let start = num(&r["window_start_ms"]).unwrap_or_default() as i64;
                (
                    (text(&r["version"]), start),
                    (count(&r["labeled"]), count(&r["right_count"])),
                )
            })
            .collect();
        let mut by_version: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
        for row in &estimated {
            by_version
                .entry(text(&row["version"]))
                .or_default()
                .push(row);
        }
        let versions = by_version
            .into_iter()
            .map(|(version, rows)| {
                let windows = rows
                    .iter()
                    .map(|r| window_estimate(r, &version, &outcomes))
                    .collect();
                summarize(version, windows, &rows)
            })
            .collect();
        Ok(PerformanceEstimate {
            model,
            range: window.range(),
            unit: "fraction (0..1)",
            versions,
        })
    }
}

/// One window_metrics row with the outcomes of its predictions.
fn window_estimate(
    row: &Value,
    version: &str,
    outcomes: &BTreeMap<(String, i64), (u64, u64)>,
) -> WindowEstimate {
    let start = num(&row["window_start_ms"]).unwrap_or_default() as i64;
    let (labeled, correct) = outcomes
        .get(&(version.to_string(), start))
        .copied()
        .unwrap_or_default();
    let estimate = num(&row["accuracy_estimated"]).unwrap_or_default();
    WindowEstimate {
        window_start: format_rfc3339(start),
        predictions: count(&row["predictions"]),
        accuracy_estimated: estimate,
        accuracy_estimated_lower: num(&row["accuracy_estimated_lower"]).unwrap_or(estimate),
        accuracy_estimated_upper: num(&row["accuracy_estimated_upper"]).unwrap_or(estimate),
        labeled,
        accuracy_realized: (labeled > 0).then(|| correct as f64 / labeled as f64),
    }
}

/// A version's windows together: the estimates weighted by predictions,
/// their variances added (windows are independent); the labels compared
/// with the estimates of the windows they belong to, weighted by labels.
pub fn summarize(
    version: String,
    windows: Vec<WindowEstimate>,
    rows: &[&Value],
) -> VersionEstimate {
    let predictions: u64 = windows.iter().map(|w| w.predictions).sum();
    let n = predictions.max(1) as f64;
    let estimate = windows
        .iter()
        .map(|w| w.predictions as f64 * w.accuracy_estimated)
        .sum::<f64>()
        / n;
    // A window's band is BAND_SIGMAS standard deviations of its mean.
    let variance = windows
        .iter()
        .map(|w| {
            let sd =
                (w.accuracy_estimated_upper - w.accuracy_estimated_lower) / (2.0 * BAND_SIGMAS);
            (w.predictions as f64 * sd).powi(2)
        })
        .sum::<f64>();
    let half_band = BAND_SIGMAS * variance.sqrt() / n;
    let weighted = |column: &str| {
        let values: Vec<(f64, f64)> = rows
            .iter()
            .filter_map(|r| Some((num(&r[column])?, count(&r["predictions"]) as f64)))
            .collect();
        let total: f64 = values.iter().map(|(_, w)| w).sum();
        (total > 0.0).then(|| values.iter().map(|(v, w)| v * w).sum::<f64>() / total)
    };
    let newest = rows.last().copied().cloned().unwrap_or_default();
    let labeled: u64 = windows.iter().map(|w| w.labeled).sum();
    let (mut correct, mut expected, mut labels_variance) = (0.0, 0.0, 0.0);
    for w in windows.iter().filter(|w| w.labeled > 0) {
        let l = w.labeled as f64;
        correct += l * w.accuracy_realized.unwrap_or_default();
        expected += l * w.accuracy_estimated;
        labels_variance += l * w.accuracy_estimated * (1.0 - w.accuracy_estimated);
    }
    let realized = (labeled > 0).then(|| correct / labeled as f64);
    let error = (labeled > 0).then(|| (correct - expected) / labeled as f64);
    VersionEstimate {
        version,
        predictions,
        accuracy_estimated: estimate,
        accuracy_estimated_lower: (estimate - half_band).max(0.0),
        accuracy_estimated_upper: (estimate + half_band).min(1.0),
        precision_estimated: weighted("precision_estimated"),
        recall_estimated: weighted("recall_estimated"),
        f1_estimated: weighted("f1_estimated"),
        calibration_source: text(&newest["calibration_source"]),
        calibration_ece: num(&newest["calibration_ece"]),
        labeled,
        label_coverage: labeled as f64 / n,
        accuracy_realized: realized,
        estimation_error: error,
        labels_agree: error
            .map(|e| e.abs() * labeled as f64 <= BAND_SIGMAS * labels_variance.sqrt().max(1.0)),
        windows,
    }
}

#[cfg(test)]
#[path = "estimate_tests.rs"]
mod tests;

//! Reading window results back from the window-metrics topic (what
//! `mlobs windows` prints): the last record per series and window wins,
//! since a late partial or a replay republishes a window under its key.

use std::collections::BTreeMap;

use mlobs_schemas::time::format_rfc3339;
use mlobs_schemas::WindowMetrics;
use serde::Serialize;

use crate::config::KafkaConfig;
use crate::PipelineError;

/// A window as `mlobs windows --format json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowView {
    /// Model name.
    pub model: String,
    /// Model version.
    pub version: String,
    /// Serving environment.
    pub environment: String,
    /// RFC 3339 start.
    pub window_start: String,
    /// RFC 3339 end.
    pub window_end: String,
    /// Predictions in the window.
    pub predictions: i64,
    /// Outcomes that became known in the window.
    pub labeled: i64,
    /// Correct ones.
    pub correct: i64,
    /// correct / classified.
    pub accuracy: Option<f64>,
    /// Latency median (ms).
    pub latency_p50_ms: Option<f64>,
    /// Latency 95th percentile (ms).
    pub latency_p95_ms: Option<f64>,
    /// Latency 99th percentile (ms).
    pub latency_p99_ms: Option<f64>,
    /// Failed inferences by type.
    pub errors: BTreeMap<String, i64>,
    /// Every source partition accounted for.
    pub complete: bool,
    /// CBPE's estimated accuracy of the window's predictions.
    pub accuracy_estimated: Option<f64>,
    /// Lower end of its band.
    pub accuracy_estimated_lower: Option<f64>,
    /// Upper end of its band.
    pub accuracy_estimated_upper: Option<f64>,
    /// Estimated precision of the positive class (binary).
    pub precision_estimated: Option<f64>,
    /// Estimated recall of the positive class (binary).
    pub recall_estimated: Option<f64>,
    /// Estimated F1 of the positive class (binary).
    pub f1_estimated: Option<f64>,
    /// validation, labeled_windows or none.
    pub calibration_source: String,
    /// Held-out calibration error of the estimate's probabilities.
    pub calibration_ece: Option<f64>,
    /// The window's predictions labeled so far (in any later window).
    pub predictions_labeled: i64,
    /// Their accuracy: what the estimate is checked against.
    pub accuracy_realized: Option<f64>,
    /// accuracy_realized - accuracy_estimated.
    pub estimation_error: Option<f64>,
    /// Per-feature drift verdicts.
    pub drift: Vec<DriftView>,
}

/// One feature's drift verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftView {
    /// Feature name.
    pub feature: String,
    /// Deciding method.
    pub method: String,
    /// Its score.
    pub score: Option<f64>,
    /// Its threshold.
    pub threshold: f64,
    /// The verdict.
    pub drift_detected: bool,
    /// ok, drifted, missing or not_monitored.
    pub status: String,
}

impl From<&WindowMetrics> for WindowView {
    fn from(w: &WindowMetrics) -> Self {
        WindowView {
            model: w.model.clone(),
            version: w.version.clone(),
            environment: w.environment.clone(),
            window_start: format_rfc3339(w.window_start),
            window_end: format_rfc3339(w.window_end),
            predictions: w.predictions,
            labeled: w.labeled,
            correct: w.correct,
            accuracy: w.accuracy,
            latency_p50_ms: w.latency_p50_ms,
            latency_p95_ms: w.latency_p95_ms,
            latency_p99_ms: w.latency_p99_ms,
            errors: w.errors.clone(),
            complete: w.complete,
            accuracy_estimated: w.accuracy_estimated,
            accuracy_estimated_lower: w.accuracy_estimated_lower,
            accuracy_estimated_upper: w.accuracy_estimated_upper,
            precision_estimated: w.precision_estimated,
            recall_estimated: w.recall_estimated,
            f1_estimated: w.f1_estimated,
            calibration_source: w.calibration_source.clone(),
            calibration_ece: w.calibration_ece,
            predictions_labeled: 0,
            accuracy_realized: None,
            estimation_error: None,
            drift: w
                .drift
                .iter()
                .map(|d| DriftView {
                    feature: d.feature.clone(),
                    method: d.method.clone(),
                    score: d.score,
                    threshold: d.threshold,
                    drift_detected: d.drift_detected,
                    status: d.status.clone(),
                })
                .collect(),
        }
    }
}

/// The views of `windows`, each with the realized accuracy of its
/// predictions from the labels that all of `windows` brought (labels come
/// windows after their predictions).
pub fn views(windows: &[WindowMetrics]) -> Vec<WindowView> {
    let mut realized: BTreeMap<(&str, &str, &str, i64), (i64, i64)> = BTreeMap::new();
    for w in windows {
        for outcomes in &w.outcomes_by_prediction_window {
            let key = (
                w.model.as_str(),
                w.version.as_str(),
                w.environment.as_str(),
                outcomes.window_start,
            );
            let (labeled, correct) = realized.entry(key).or_default();
            *labeled += outcomes.labeled;
            *correct += outcomes.correct;
        }
    }
    windows
        .iter()
        .map(|w| {
            let mut view = WindowView::from(w);
            let key = (
                w.model.as_str(),
                w.version.as_str(),
                w.environment.as_str(),
                w.window_start,
            );
            if let Some(&(labeled, correct)) = realized.get(&key).filter(|(n, _)| *n > 0) {
                let accuracy = correct as f64 / labeled as f64;
                view.predictions_labeled = labeled;
                view.accuracy_realized = Some(accuracy);
                view.estimation_error = w.accuracy_estimated.map(|e| accuracy - e);
            }
            view
        })
        .collect()
}

/// Every window result in `topic`, the last per key, ordered by window start,
/// model, version and environment. Reads up to the end offsets found when it starts.
pub fn read_all(
    kafka: &KafkaConfig,
    topic: &str,
    schemas: &mlobs_schemas::WriterSchemas,
) -> Result<Vec<WindowMetrics>, PipelineError> {
    let mut latest: BTreeMap<(i64, String, String, String), WindowMetrics> = BTreeMap::new();
    for metrics in
        crate::read_back::read_topic::<WindowMetrics>(kafka, topic, schemas, "window-metrics")?
    {
        let key = (
            metrics.window_start,
            metrics.model.clone(),
            metrics.version.clone(),
            metrics.environment.clone(),
        );
        latest.insert(key, metrics);
    }
    Ok(latest.into_values().collect())
}

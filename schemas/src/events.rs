//! Rust mirrors of the Avro records in `schemas/*.avsc`.
//!
//! Field names and order follow the schema files; serde renames bridge the
//! places where Avro names are not good Rust names. Evolution relies on serde:
//! a field the writer did not have becomes `None`, a field the reader does not
//! know is skipped, so readers and writers of neighbouring versions interoperate.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One inference made by a model server (schema `io.mlobs.PredictionEvent`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionEvent {
    /// Unique id; the join key with the ground truth and the Kafka record key.
    pub prediction_id: String,
    /// Registered model name.
    pub model: String,
    /// Model version that served the request.
    pub version: String,
    /// Deployment environment (production, staging, shadow...).
    pub environment: String,
    /// Inference time in milliseconds since the Unix epoch (UTC).
    pub event_time: i64,
    /// Model inputs by name; `None` is a missing value.
    pub features: BTreeMap<String, Option<FeatureValue>>,
    /// Hash of the features when the raw values are withheld (privacy mode).
    pub features_hash: Option<String>,
    /// Model output.
    pub prediction: Outcome,
    /// Probability of the predicted class, for classifiers.
    pub confidence: Option<f64>,
    /// Probability of every class, when the model exposes them.
    pub class_probabilities: Option<BTreeMap<String, f64>>,
    /// Wall time of the inference in milliseconds.
    pub latency_ms: f64,
    /// Resources the inference consumed, when measured.
    pub resources: Option<ResourceUsage>,
    /// Set when the inference failed.
    pub error: Option<PredictionError>,
    /// Client request id, for correlation with server logs.
    pub request_id: Option<String>,
    /// Distributed-tracing id.
    pub trace_id: Option<String>,
}

/// A feature value: Avro union member `double` or `string`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FeatureValue {
    /// A numeric feature.
    #[serde(rename = "Double")]
    Numeric(f64),
    /// A categorical feature.
    #[serde(rename = "String")]
    Categorical(String),
}

/// A model output or a ground-truth label: Avro union `["string", "double"]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// A class label (classification).
    #[serde(rename = "String")]
    Class(String),
    /// A value (regression).
    #[serde(rename = "Double")]
    Value(f64),
}

/// Resources one inference consumed (schema `io.mlobs.ResourceUsage`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ResourceUsage {
    /// CPU time in milliseconds.
    pub cpu_time_ms: Option<f64>,
    /// GPU memory in megabytes.
    pub gpu_memory_mb: Option<f64>,
    /// GPU utilisation as a fraction in [0, 1].
    pub gpu_utilization: Option<f64>,
}

/// Why an inference failed (schema `io.mlobs.PredictionError`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionError {
    /// Error class such as `timeout`, `gpu_oom` or `invalid_input`.
    #[serde(rename = "type")]
    pub error_type: String,
    /// Detail from the server.
    pub message: String,
}

/// The true outcome of an earlier inference (schema `io.mlobs.GroundTruthEvent`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroundTruthEvent {
    /// Id of the prediction this label belongs to; the Kafka record key.
    pub prediction_id: String,
    /// When the outcome became known, in milliseconds since the Unix epoch.
    pub event_time: i64,
    /// The true class or value.
    pub label: Outcome,
    /// Where the label came from.
    pub source: String,
}

/// A change of state of an alert rule (schema `io.mlobs.AlertEvent`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertEvent {
    /// Stable id shared by the firing and resolved events of one alert.
    pub alert_id: String,
    /// Name of the rule.
    pub rule: String,
    /// How urgent the alert is.
    pub severity: Severity,
    /// Firing or resolved.
    pub status: AlertStatus,
    /// Registered model name.
    pub model: String,
    /// Model version.
    pub version: String,
    /// Deployment environment of the measurement.
    pub environment: String,
    /// One line for a pager.
    pub summary: String,
    /// Who evaluated the rule: `stream` (stage 2) or `alertmanager`.
    pub source: String,
    /// The measurement that tripped the rule.
    pub evidence: AlertEvidence,
    /// When the alert started firing (ms since the epoch).
    pub started_at: i64,
    /// When this event was emitted (ms since the epoch).
    pub updated_at: i64,
    /// Why the state changed: empty when firing; `recovered`, `no_traffic`
    /// or `alertmanager` when resolved.
    pub reason: String,
    /// Rule-specific context (the drifted feature, the champion compared
    /// with, Alertmanager's labels), read by the agent.
    pub details: BTreeMap<String, String>,
}

/// Alert urgency (Avro enum `io.mlobs.Severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look.
    Info,
    /// Needs attention soon.
    Warning,
    /// Needs attention now.
    Critical,
}

/// Alert state (Avro enum `io.mlobs.AlertStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    /// The condition holds.
    Firing,
    /// The condition no longer holds.
    Resolved,
}

/// What an alert measured (schema `io.mlobs.AlertEvidence`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertEvidence {
    /// The metric the rule watches.
    pub metric: String,
    /// Observed value.
    pub value: f64,
    /// Threshold crossed.
    pub threshold: f64,
    /// Window start, ms since the epoch (inclusive).
    pub window_start: i64,
    /// Window end, ms since the epoch (exclusive).
    pub window_end: i64,
}

/// A window's result for one model version (schema `io.mlobs.WindowMetrics`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowMetrics {
    /// Model name.
    pub model: String,
    /// Model version.
    pub version: String,
    /// Serving environment.
    #[serde(default)]
    pub environment: String,
    /// Window start (ms, inclusive).
    pub window_start: i64,
    /// Window end (ms, exclusive).
    pub window_end: i64,
    /// Every source partition accounted for.
    pub complete: bool,
    /// Source partitions whose partial is included.
    pub sources_with_data: i32,
    /// Source partitions of the predictions topic.
    pub sources_expected: i32,
    /// Inferences in the window.
    pub predictions: i64,
    /// Outcomes that became known in the window.
    pub labeled: i64,
    /// Correct classifications among them.
    pub correct: i64,
    /// Predictions whose label never came (counted where the TTL ran out).
    pub unlabeled: i64,
    /// correct / classified.
    pub accuracy: Option<f64>,
    /// Failed inferences by error type.
    pub errors: BTreeMap<String, i64>,
    /// Latency median (ms).
    pub latency_p50_ms: Option<f64>,
    /// Latency 95th percentile (ms).
    pub latency_p95_ms: Option<f64>,
    /// Latency 99th percentile (ms).
    pub latency_p99_ms: Option<f64>,
    /// Mean confidence.
    pub confidence_mean: Option<f64>,
    /// Confidence histogram, 20 bins of 0.05.
    pub confidence_histogram: Vec<i64>,
    /// Regression mean absolute error.
    pub mae: Option<f64>,
    /// Regression root mean squared error.
    pub rmse: Option<f64>,
    /// Mean CPU time (ms).
    pub cpu_time_ms_mean: Option<f64>,
    /// Mean GPU memory (MB).
    pub gpu_memory_mb_mean: Option<f64>,
    /// Mean GPU utilisation.
    pub gpu_utilization_mean: Option<f64>,
    /// Dataset-level drift verdict.
    pub dataset_drift: bool,
    /// Share of features that drifted.
    pub share_drifted: f64,
    /// Per-feature drift, drifted first.
    pub drift: Vec<FeatureDriftResult>,
    /// CBPE's estimated accuracy of the window's predictions.
    #[serde(default)]
    pub accuracy_estimated: Option<f64>,
    /// Lower end of its band.
    #[serde(default)]
    pub accuracy_estimated_lower: Option<f64>,
    /// Upper end of its band.
    #[serde(default)]
    pub accuracy_estimated_upper: Option<f64>,
    /// Estimated precision of the positive class.
    #[serde(default)]
    pub precision_estimated: Option<f64>,
    /// Estimated recall of the positive class.
    #[serde(default)]
    pub recall_estimated: Option<f64>,
    /// Estimated F1 of the positive class.
    #[serde(default)]
    pub f1_estimated: Option<f64>,
    /// validation, labeled_windows or none ("" without an estimate).
    #[serde(default)]
    pub calibration_source: String,
    /// Held-out ECE of the probabilities the estimate used.
    #[serde(default)]
    pub calibration_ece: Option<f64>,
    /// Outcomes labeled in this window, by the window of their prediction.
    #[serde(default)]
    pub outcomes_by_prediction_window: Vec<PredictionWindowOutcomes>,
}

/// Outcomes labeled in a window, of predictions made in the window
/// starting at `window_start` (schema `io.mlobs.PredictionWindowOutcomes`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PredictionWindowOutcomes {
    /// Start of the prediction window (ms).
    pub window_start: i64,
    /// Classifications labeled.
    pub labeled: i64,
    /// Of those, right.
    pub correct: i64,
}

fn tested_ok() -> String {
    "ok".into()
}

/// One feature's drift in a window (schema `io.mlobs.FeatureDriftResult`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureDriftResult {
    /// Feature name.
    pub feature: String,
    /// numeric or categorical.
    pub kind: String,
    /// Deciding method.
    pub method: String,
    /// Its score.
    pub score: Option<f64>,
    /// Its threshold.
    pub threshold: f64,
    /// The verdict.
    pub drift_detected: bool,
    /// ok, drifted, missing or not_monitored (`ok` in records written
    /// before the field existed, when every reported feature was tested).
    #[serde(default = "tested_ok")]
    pub status: String,
    /// KS statistic.
    pub ks_statistic: Option<f64>,
    /// KS p-value.
    pub ks_p_value: Option<f64>,
    /// Wasserstein-1.
    pub wasserstein: Option<f64>,
    /// Normalised Wasserstein-1.
    pub wasserstein_normalized: Option<f64>,
    /// PSI.
    pub psi: Option<f64>,
    /// Jensen-Shannon distance.
    pub jensen_shannon: Option<f64>,
    /// Chi-square statistic.
    pub chi2_statistic: Option<f64>,
    /// Chi-square p-value.
    pub chi2_p_value: Option<f64>,
    /// Values in the window.
    pub current_count: i64,
    /// Missing values in the window.
    pub current_missing: i64,
    /// Values of a categorical feature its baseline never saw (0 for
    /// numeric features, and in records written before the field existed).
    #[serde(default)]
    pub current_unseen: i64,
}

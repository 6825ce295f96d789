//! What an investigation gathered, as plain serde structs the tools' answers
//! map onto field by field. Units are in the field names or their docs:
//! rates and accuracies are fractions in [0, 1], times are ms since the
//! epoch, latencies and CPU time are milliseconds.
//!
//! Everything but the model and the window is optional or may be empty: a
//! tool that failed or was not called leaves its part empty, and the
//! reasoning then says what it could not check instead of guessing.

use serde::{Deserialize, Serialize};

/// The facts one investigation of one model gathered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Registered model name.
    pub model: String,
    /// Start of the span investigated (RFC 3339), copied to the report.
    pub window_start: String,
    /// End of the span investigated (RFC 3339), copied to the report.
    pub window_end: String,
    /// Size of one evaluation window (ms): the unit of "started together".
    pub window_ms: i64,
    /// The firing alerts that opened the incident.
    #[serde(default)]
    pub symptoms: Vec<Symptom>,
    /// Per-feature drift of the current windows against the baseline.
    #[serde(default)]
    pub features: Vec<FeatureEvidence>,
    /// Every registered version with its role, features and accuracy.
    #[serde(default)]
    pub versions: Vec<VersionEvidence>,
    /// Failed predictions by version and error type.
    #[serde(default)]
    pub errors: Vec<ErrorEvidence>,
    /// Latency and resources per version.
    #[serde(default)]
    pub latency: Vec<LatencyEvidence>,
    /// Label coverage and delay of the model.
    #[serde(default)]
    pub labels: Option<LabelEvidence>,
    /// Accuracy estimated from the confidences (CBPE), which needs no label.
    #[serde(default)]
    pub estimate: Option<EstimateEvidence>,
    /// Where each kind of fact came from, quoted in evidence lines.
    #[serde(default)]
    pub sources: Sources,
}

/// A firing alert (from `AlertEvent`: rule, version, subject, evidence).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Symptom {
    /// Rule id (`accuracy_slo`, `feature_drift`, `error_rate`, ...).
    pub alert: String,
    /// Model version the alert is about.
    #[serde(default)]
    pub version: Option<String>,
    /// The feature of `feature_drift`, the error type of `error_rate`.
    #[serde(default)]
    pub subject: Option<String>,
    /// Observed value (the alert's unit: accuracy fraction, ms, rate).
    pub value: f64,
    /// Threshold crossed.
    pub threshold: f64,
    /// When the alert started firing (ms since the epoch).
    pub started_at_ms: i64,
}

/// Summary of a numeric feature on one side (baseline or current).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct NumericSummary {
    /// Mean of the non-missing values.
    pub mean: f64,
    /// Standard deviation.
    pub std: f64,
    /// 1st percentile.
    pub p01: f64,
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// One feature's drift test and profile, current against baseline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureEvidence {
    /// Feature name.
    pub name: String,
    /// The test that decided (`wasserstein`, `ks`, `psi`, `chisquare`, ...).
    pub method: String,
    /// That test's score: a distance, or a p-value for `ks`, `chisquare`
    /// and `ztest`; `None` when a side was empty.
    pub score: Option<f64>,
    /// The threshold the score was held against.
    pub threshold: f64,
    /// The test's verdict.
    pub drifted: bool,
    /// Numeric summary of the baseline (training) data; `None` for categories.
    #[serde(default)]
    pub baseline: Option<NumericSummary>,
    /// Numeric summary of the current windows.
    #[serde(default)]
    pub current: Option<NumericSummary>,
    /// Share of current values outside the baseline's [p01, p99] (the
    /// baseline's own share is 0.02 by definition); `None` for categories.
    #[serde(default)]
    pub outside_share: Option<f64>,
    /// Share of missing values in the baseline.
    #[serde(default)]
    pub missing_rate_baseline: f64,
    /// Share of missing values in the current windows.
    #[serde(default)]
    pub missing_rate_current: f64,
    /// Categories seen now and never in training.
    #[serde(default)]
    pub unseen_categories: Vec<String>,
    /// Share of current values that are unseen categories.
    #[serde(default)]
    pub unseen_share: f64,
    /// The first window end (ms) where the change showed.
    #[serde(default)]
    pub started_at_ms: Option<i64>,
}

/// The serving role of a registered version (MLflow aliases).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Alias `champion`.
    Champion,
    /// Alias `challenger`.
    Challenger,
    /// Registered, no alias.
    #[default]
    None,
}

/// Labeled and correct predictions of one version over a span.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Accuracy {
    /// Predictions with a label.
    pub labeled: u64,
    /// Of those, correct.
    pub correct: u64,
}

impl Accuracy {
    /// correct / labeled, or `None` without labels.
    pub fn rate(&self) -> Option<f64> {
        (self.labeled > 0).then(|| self.correct as f64 / self.labeled as f64)
    }
}

/// A registered version: what it uses and how accurate it is, before and
/// during the incident, on the same windows as every other version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VersionEvidence {
    /// Version number as MLflow writes it.
    pub version: String,
    /// Champion, challenger or neither.
    #[serde(default)]
    pub role: Role,
    /// The input features this version was trained on; empty when the
    /// registry does not say, and then it is assumed to read every feature
    /// (the common case, and the safe one: no rollback is proposed on the
    /// strength of a feature it might not read).
    #[serde(default)]
    pub features: Vec<String>,
    /// Accuracy on the windows before the first symptom.
    #[serde(default)]
    pub before: Option<Accuracy>,
    /// Accuracy on the windows of the incident (the same for all versions).
    #[serde(default)]
    pub during: Option<Accuracy>,
}

impl VersionEvidence {
    /// Whether the version reads `feature` (true when its features are
    /// unknown).
    pub fn uses(&self, feature: &str) -> bool {
        self.features.is_empty() || self.features.iter().any(|f| f == feature)
    }
}

/// Failed predictions of one error type on one version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorEvidence {
    /// Model version.
    pub version: String,
    /// Error class as logged (`gpu_oom`, `timeout`, ...).
    pub error_type: String,
    /// Failed predictions of that type in the incident windows.
    pub count: u64,
    /// All predictions of the version in those windows.
    pub predictions: u64,
    /// First window end (ms) with such errors.
    #[serde(default)]
    pub started_at_ms: Option<i64>,
}

impl ErrorEvidence {
    /// count / predictions (0 without predictions).
    pub fn rate(&self) -> f64 {
        if self.predictions == 0 {
            0.0
        } else {
            self.count as f64 / self.predictions as f64
        }
    }
}

/// Latency and resources of one version, before and during the incident.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyEvidence {
    /// Model version.
    pub version: String,
    /// p95 latency before the incident (ms).
    pub p95_ms_before: f64,
    /// p95 latency during (ms).
    pub p95_ms: f64,
    /// p99 latency before (ms).
    pub p99_ms_before: f64,
    /// p99 latency during (ms).
    pub p99_ms: f64,
    /// Mean CPU time per prediction before (ms).
    #[serde(default)]
    pub cpu_ms_before: Option<f64>,
    /// Mean CPU time per prediction during (ms).
    #[serde(default)]
    pub cpu_ms: Option<f64>,
    /// GPU utilisation before, in [0, 1].
    #[serde(default)]
    pub gpu_utilization_before: Option<f64>,
    /// GPU utilisation during, in [0, 1].
    #[serde(default)]
    pub gpu_utilization: Option<f64>,
    /// Pearson correlation of per-window CPU time with latency.
    #[serde(default)]
    pub cpu_latency_correlation: Option<f64>,
    /// Pearson correlation of per-window GPU utilisation with latency.
    #[serde(default)]
    pub gpu_latency_correlation: Option<f64>,
    /// First window end (ms) where latency rose.
    #[serde(default)]
    pub started_at_ms: Option<i64>,
}

/// Labels of the model: how many predictions get one, and how late.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelEvidence {
    /// Labeled share of predictions before the incident.
    pub coverage_before: f64,
    /// Labeled share during.
    pub coverage: f64,
    /// Median delay from prediction to label before (seconds).
    pub delay_p50_s_before: f64,
    /// Median delay during (seconds).
    pub delay_p50_s: f64,
    /// First window end (ms) where coverage fell or delay rose.
    #[serde(default)]
    pub started_at_ms: Option<i64>,
}

/// The accuracy CBPE estimated for the model's predictions (all versions
/// together, weighted by predictions), before and during the incident.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EstimateEvidence {
    /// Estimated accuracy before (none without a "before").
    pub before: Option<f64>,
    /// Estimated accuracy during.
    pub during: f64,
    /// Half-width of the band of `during` (3 standard deviations).
    pub during_half_band: f64,
    /// Whether the labels that arrived during agree with it (none
    /// without labels).
    pub labels_agree: Option<bool>,
}

/// The `source` quoted in each kind of evidence line; the tools set the
/// table or series they actually read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sources {
    /// Drift results and feature profiles.
    pub drift: String,
    /// Accuracy per version.
    pub accuracy: String,
    /// Versions, aliases and their features.
    pub registry: String,
    /// Errors by type.
    pub errors: String,
    /// Latency percentiles.
    pub latency: String,
    /// CPU and GPU usage.
    pub resources: String,
    /// Label coverage and delay.
    pub labels: String,
    /// The accuracy estimated from confidences.
    pub estimate: String,
}

impl Default for Sources {
    fn default() -> Self {
        Sources {
            drift: "clickhouse:feature_drift".into(),
            accuracy: "clickhouse:window_metrics".into(),
            registry: "mlflow:registry".into(),
            errors: "clickhouse:inference_log".into(),
            latency: "clickhouse:window_metrics".into(),
            resources: "prometheus:resources".into(),
            labels: "clickhouse:window_metrics".into(),
            estimate: "clickhouse:window_metrics".into(),
        }
    }
}

impl Evidence {
    /// When the first symptom started (ms), if any alert fired.
    pub fn first_symptom_ms(&self) -> Option<i64> {
        self.symptoms.iter().map(|s| s.started_at_ms).min()
    }

    /// The version with alias `champion`.
    pub fn champion(&self) -> Option<&VersionEvidence> {
        self.versions.iter().find(|v| v.role == Role::Champion)
    }

    /// Whether a cause that started at `cause_ms` came too late to explain
    /// the symptoms: more than one window after the first one fired (a
    /// cause shows in the window it starts, its alert up to `for_windows`
    /// later, never before).
    pub fn started_after_symptoms(&self, cause_ms: Option<i64>) -> bool {
        match (cause_ms, self.first_symptom_ms()) {
            (Some(c), Some(s)) => c > s + self.window_ms.max(0),
            _ => false,
        }
    }
}

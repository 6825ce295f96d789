//! One struct per table row, built from what the stages produce and
//! borrowing from it, sent as RowBinary (or JSONEachRow when a table's
//! columns were changed by hand, see `columns.rs`). Field names and order
//! are the columns of `infra/clickhouse/schema.sql` (a test checks), and
//! field types are the columns' RowBinary types: `DateTime` is a `u32` of
//! Unix seconds, `UInt8` a `u8`, `Nullable(T)` an `Option`.
//!
//! What the stages hand over is a [`Source`]: the event, outcome or window
//! itself, kept until the insert, when its rows are built as views of it.
//! A batch that must be split (rows ClickHouse refuses) is split by rows.

use std::borrow::Cow;
use std::sync::Arc;

use clickhouse::{Row, RowWrite};
use mlobs_operators::metrics::Scored;
use mlobs_operators::stage1::JoinedOutcome;
use mlobs_schemas::{FeatureValue, Outcome, PredictionEvent, WindowMetrics};
use serde::Serialize;

/// What a stage hands the history for one table: its rows are built from
/// it when the batch is inserted, borrowing its strings instead of copying
/// them.
pub trait Source: Send + 'static {
    /// The table, in the configured database.
    const TABLE: &'static str;
    /// The table's row type (its `'static` form names the type; the rows
    /// themselves borrow from the source).
    type Row: RowWrite;
    /// Appends the rows of this source (one, or one per drift feature).
    fn rows<'a>(&'a self, out: &mut Vec<<Self::Row as Row>::Value<'a>>);
}

/// Unix seconds for a `DateTime` column (a `UInt32`). Validation keeps
/// event times between 2000 and 2106-02-07, so the clamp never bites.
pub fn seconds(ms: i64) -> u32 {
    ms.div_euclid(1000).clamp(0, i64::from(u32::MAX)) as u32
}

/// A prediction or label as text, the `String` columns' form.
fn outcome_text(outcome: &Outcome) -> Cow<'_, str> {
    match outcome {
        Outcome::Class(class) => Cow::Borrowed(class),
        Outcome::Value(x) => Cow::Owned(x.to_string()),
    }
}

/// A row of `mlobs.inference_log`.
#[derive(Debug, Row, Serialize)]
pub struct InferenceRow<'a> {
    prediction_id: &'a str,
    model: &'a str,
    version: &'a str,
    environment: &'a str,
    event_time: u32,
    event_time_ms: i64,
    numeric_feature_names: Vec<&'a str>,
    numeric_feature_values: Vec<f64>,
    categorical_feature_names: Vec<&'a str>,
    categorical_feature_values: Vec<&'a str>,
    missing_features: Vec<&'a str>,
    features_hash: Option<&'a str>,
    prediction: Cow<'a, str>,
    prediction_value: Option<f64>,
    confidence: Option<f64>,
    class_names: Vec<&'a str>,
    class_probabilities: Vec<f64>,
    latency_ms: f64,
    error_type: Option<&'a str>,
    error_message: Option<&'a str>,
    cpu_time_ms: Option<f64>,
    gpu_memory_mb: Option<f64>,
    gpu_utilization: Option<f64>,
    request_id: Option<&'a str>,
    trace_id: Option<&'a str>,
}

impl<'a> From<&'a PredictionEvent> for InferenceRow<'a> {
    fn from(e: &'a PredictionEvent) -> Self {
        let mut row = InferenceRow {
            prediction_id: &e.prediction_id,
            model: &e.model,
            version: &e.version,
            environment: &e.environment,
            event_time: seconds(e.event_time),
            event_time_ms: e.event_time,
            numeric_feature_names: Vec::new(),
            numeric_feature_values: Vec::new(),
            categorical_feature_names: Vec::new(),
            categorical_feature_values: Vec::new(),
            missing_features: Vec::new(),
            features_hash: e.features_hash.as_deref(),
            prediction: outcome_text(&e.prediction),
            prediction_value: match e.prediction {
                Outcome::Value(x) => Some(x),
                Outcome::Class(_) => None,
            },
            confidence: e.confidence,
            class_names: Vec::new(),
            class_probabilities: Vec::new(),
            latency_ms: e.latency_ms,
            error_type: e.error.as_ref().map(|x| x.error_type.as_str()),
            error_message: e.error.as_ref().map(|x| x.message.as_str()),
            cpu_time_ms: e.resources.as_ref().and_then(|r| r.cpu_time_ms),
            gpu_memory_mb: e.resources.as_ref().and_then(|r| r.gpu_memory_mb),
            gpu_utilization: e.resources.as_ref().and_then(|r| r.gpu_utilization),
            request_id: e.request_id.as_deref(),
            trace_id: e.trace_id.as_deref(),
        };
        for (name, value) in &e.features {
            match value {
                Some(FeatureValue::Numeric(x)) if x.is_finite() => {
                    row.numeric_feature_names.push(name);
                    row.numeric_feature_values.push(*x);
                }
                Some(FeatureValue::Categorical(c)) => {
                    row.categorical_feature_names.push(name);
                    row.categorical_feature_values.push(c);
                }
                // NaN and infinities count as missing, as in the sketches.
                Some(FeatureValue::Numeric(_)) | None => row.missing_features.push(name),
            }
        }
        let probabilities = e.class_probabilities.iter().flatten();
        for (class, p) in probabilities.filter(|(_, p)| p.is_finite()) {
            row.class_names.push(class);
            row.class_probabilities.push(*p);
        }
        row
    }
}

impl Source for PredictionEvent {
    const TABLE: &'static str = "inference_log";
    type Row = InferenceRow<'static>;
    fn rows<'a>(&'a self, out: &mut Vec<InferenceRow<'a>>) {
        out.push(InferenceRow::from(self));
    }
}

/// A row of `mlobs.outcomes`.
#[derive(Debug, Row, Serialize)]
pub struct OutcomeRow<'a> {
    prediction_id: &'a str,
    model: &'a str,
    version: &'a str,
    environment: &'a str,
    prediction: Cow<'a, str>,
    label: Cow<'a, str>,
    correct: Option<u8>,
    absolute_error: Option<f64>,
    prediction_time: u32,
    prediction_time_ms: i64,
    label_time: u32,
    label_time_ms: i64,
}

impl<'a> From<&'a JoinedOutcome> for OutcomeRow<'a> {
    fn from(o: &'a JoinedOutcome) -> Self {
        let scored = o.scored();
        let (correct, absolute_error) = match scored {
            Scored::Classes { .. } => (Some(u8::from(scored.is_correct())), None),
            Scored::Numbers { predicted, actual } => (None, Some((predicted - actual).abs())),
            Scored::Mismatched => (None, None),
        };
        OutcomeRow {
            prediction_id: &o.prediction_id,
            model: &o.model,
            version: &o.version,
            environment: &o.environment,
            prediction: outcome_text(&o.prediction),
            label: outcome_text(&o.label),
            correct,
            absolute_error,
            prediction_time: seconds(o.prediction_time),
            prediction_time_ms: o.prediction_time,
            label_time: seconds(o.label_time),
            label_time_ms: o.label_time,
        }
    }
}

impl Source for JoinedOutcome {
    const TABLE: &'static str = "outcomes";
    type Row = OutcomeRow<'static>;
    fn rows<'a>(&'a self, out: &mut Vec<OutcomeRow<'a>>) {
        out.push(OutcomeRow::from(self));
    }
}

/// A window result on its way to `window_metrics`, stamped with the wall
/// clock time it was emitted at (the version: the newest emission wins).
#[derive(Debug, Clone)]
pub struct Emitted {
    /// The result.
    pub window: Arc<WindowMetrics>,
    /// When it was emitted (ms).
    pub updated_ms: i64,
}

impl Source for Emitted {
    const TABLE: &'static str = "window_metrics";
    type Row = WindowRow<'static>;
    fn rows<'a>(&'a self, out: &mut Vec<WindowRow<'a>>) {
        out.push(WindowRow::new(&self.window, self.updated_ms));
    }
}

/// The same emission on its way to `feature_drift`, one row per feature.
#[derive(Debug, Clone)]
pub struct EmittedDrift(pub Emitted);

impl Source for EmittedDrift {
    const TABLE: &'static str = "feature_drift";
    type Row = DriftRow<'static>;
    fn rows<'a>(&'a self, out: &mut Vec<DriftRow<'a>>) {
        out.extend(DriftRow::of_window(&self.0.window, self.0.updated_ms));
    }
}

/// A row of `mlobs.window_metrics`; `updated_ms` orders re-emissions.
#[derive(Debug, Row, Serialize)]
pub struct WindowRow<'a> {
    model: &'a str,
    version: &'a str,
    environment: &'a str,
    window_start: u32,
    window_end: u32,
    window_start_ms: i64,
    complete: u8,
    sources_with_data: i32,
    sources_expected: i32,
    predictions: i64,
    labeled: i64,
    correct: i64,
    unlabeled: i64,
    accuracy: Option<f64>,
    error_types: Vec<&'a str>,
    error_counts: Vec<i64>,
    latency_p50_ms: Option<f64>,
    latency_p95_ms: Option<f64>,
    latency_p99_ms: Option<f64>,
    confidence_mean: Option<f64>,
    confidence_histogram: &'a [i64],
    mae: Option<f64>,
    rmse: Option<f64>,
    cpu_time_ms_mean: Option<f64>,
    gpu_memory_mb_mean: Option<f64>,
    gpu_utilization_mean: Option<f64>,
    dataset_drift: u8,
    share_drifted: f64,
    accuracy_estimated: Option<f64>,
    accuracy_estimated_lower: Option<f64>,
    accuracy_estimated_upper: Option<f64>,
    precision_estimated: Option<f64>,
    recall_estimated: Option<f64>,
    f1_estimated: Option<f64>,
    calibration_source: &'a str,
    calibration_ece: Option<f64>,
    updated_ms: i64,
}

impl<'a> WindowRow<'a> {
    /// The row of window `w`, emitted at `updated_ms` (wall clock).
    pub fn new(w: &'a WindowMetrics, updated_ms: i64) -> Self {
        WindowRow {
            model: &w.model,
            version: &w.version,
            environment: &w.environment,
            window_start: seconds(w.window_start),
            window_end: seconds(w.window_end),
            window_start_ms: w.window_start,
            complete: u8::from(w.complete),
            sources_with_data: w.sources_with_data,
            sources_expected: w.sources_expected,
            predictions: w.predictions,
            labeled: w.labeled,
            correct: w.correct,
            unlabeled: w.unlabeled,
            accuracy: w.accuracy,
            error_types: w.errors.keys().map(String::as_str).collect(),
            error_counts: w.errors.values().copied().collect(),
            latency_p50_ms: w.latency_p50_ms,
            latency_p95_ms: w.latency_p95_ms,
            latency_p99_ms: w.latency_p99_ms,
            confidence_mean: w.confidence_mean,
            confidence_histogram: &w.confidence_histogram,
            mae: w.mae,
            rmse: w.rmse,
            cpu_time_ms_mean: w.cpu_time_ms_mean,
            gpu_memory_mb_mean: w.gpu_memory_mb_mean,
            gpu_utilization_mean: w.gpu_utilization_mean,
            dataset_drift: u8::from(w.dataset_drift),
            share_drifted: w.share_drifted,
            accuracy_estimated: w.accuracy_estimated,
            accuracy_estimated_lower: w.accuracy_estimated_lower,
            accuracy_estimated_upper: w.accuracy_estimated_upper,
            precision_estimated: w.precision_estimated,
            recall_estimated: w.recall_estimated,
            f1_estimated: w.f1_estimated,
            calibration_source: &w.calibration_source,
            calibration_ece: w.calibration_ece,
            updated_ms,
        }
    }
}

/// A row of `mlobs.registry_events`: one audited change of what serves
/// (`mlobs_registry::serving::Event`).
#[derive(Debug, Row, Serialize)]
pub struct RegistryEventRow<'a> {
    event_time: u32,
    event_time_ms: i64,
    model: &'a str,
    action: &'a str,
    version: &'a str,
    previous_version: &'a str,
    share: f64,
    previous_share: f64,
    actor: &'a str,
    reason: &'a str,
}

impl<'a> RegistryEventRow<'a> {
    /// The row of `event`.
    pub fn new(event: &'a mlobs_registry::serving::Event) -> Self {
        RegistryEventRow {
            event_time: seconds(event.at_ms),
            event_time_ms: event.at_ms,
            model: &event.model,
            action: event.action,
            version: &event.version,
            previous_version: &event.previous_version,
            share: event.share,
            previous_share: event.previous_share,
            actor: &event.actor,
            reason: &event.reason,
        }
    }
}

/// A row of `mlobs.feature_drift`.
#[derive(Debug, Row, Serialize)]
pub struct DriftRow<'a> {
    model: &'a str,
    version: &'a str,
    environment: &'a str,
    window_start: u32,
    window_start_ms: i64,
    feature: &'a str,
    kind: &'a str,
    method: &'a str,
    score: Option<f64>,
    threshold: f64,
    drifted: u8,
    status: &'a str,
    ks_statistic: Option<f64>,
    ks_p_value: Option<f64>,
    wasserstein: Option<f64>,
    wasserstein_normalized: Option<f64>,
    psi: Option<f64>,
    jensen_shannon: Option<f64>,
    chi2_statistic: Option<f64>,
    chi2_p_value: Option<f64>,
    current_count: i64,
    current_missing: i64,
    current_unseen: i64,
    updated_ms: i64,
}

impl<'a> DriftRow<'a> {
    /// One row per feature of window `w`, emitted at `updated_ms`.
    pub fn of_window(w: &'a WindowMetrics, updated_ms: i64) -> impl Iterator<Item = Self> + 'a {
        w.drift.iter().map(move |d| DriftRow {
            model: &w.model,
            version: &w.version,
            environment: &w.environment,
            window_start: seconds(w.window_start),
            window_start_ms: w.window_start,
            feature: &d.feature,
            kind: &d.kind,
            method: &d.method,
            score: d.score,
            threshold: d.threshold,
            drifted: u8::from(d.drift_detected),
            status: &d.status,
            ks_statistic: d.ks_statistic,
            ks_p_value: d.ks_p_value,
            wasserstein: d.wasserstein,
            wasserstein_normalized: d.wasserstein_normalized,
            psi: d.psi,
            jensen_shannon: d.jensen_shannon,
            chi2_statistic: d.chi2_statistic,
            chi2_p_value: d.chi2_p_value,
            current_count: d.current_count,
            current_missing: d.current_missing,
            current_unseen: d.current_unseen,
            updated_ms,
        })
    }
}

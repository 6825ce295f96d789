//! The live view: Prometheus metrics of the models and of the pipeline,
//! served with the health endpoints by [`server`].
//!
//! Per-event metrics (counts, latency and confidence histograms, errors) are
//! counted by stage 1 as events arrive, labelled by model, version and
//! environment; a scrape sees them at once. Window gauges (accuracy, drift)
//! are set by stage 2 from the newest window result of each series.

mod agent;
mod estimates;
mod model;
mod runtime;
pub mod server;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use prometheus::{
    GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

use crate::config::AlertRules;

const SERIES: [&str; 3] = ["model", "version", "environment"];

/// Latency buckets (ms): resolve 1 ms to 10 s.
const LATENCY_MS: [f64; 13] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0,
];

/// Every metric mlobs exports, in one registry.
pub struct Metrics {
    pub(super) registry: Registry,
    pub(super) predictions: IntCounterVec,
    pub(super) labeled: IntCounterVec,
    pub(super) correct: IntCounterVec,
    pub(super) latency: HistogramVec,
    pub(super) confidence: HistogramVec,
    pub(super) errors: IntCounterVec,
    pub(super) accuracy: GaugeVec,
    pub(super) estimates: estimates::EstimateGauges,
    pub(super) drift_score: GaugeVec,
    pub(super) drifted: GaugeVec,
    pub(super) monitored: GaugeVec,
    pub(super) drift_share: GaugeVec,
    pub(super) window_end: GaugeVec,
    pub(super) lag: IntGaugeVec,
    pub(super) rejected: IntCounterVec,
    pub(super) not_windowed: IntCounterVec,
    pub(super) sink_seconds: HistogramVec,
    pub(super) sink_rows: IntCounterVec,
    pub(super) sink_failures: IntCounterVec,
    pub(super) consumed: IntCounterVec,
    pub(super) ready: IntGauge,
    pub(super) join_predictions: IntGaugeVec,
    pub(super) join_labels: IntGaugeVec,
    /// Newest window start whose gauges are set, per series.
    pub(super) newest_window: Mutex<HashMap<[String; 3], i64>>,
    /// Error types given a series of their own (at most `max_error_types`;
    /// the rest count as "(other)").
    pub(super) error_types: Mutex<HashSet<String>>,
    pub(super) max_error_types: usize,
    pub(super) capped: IntCounterVec,
    pub(super) restores: IntCounterVec,
    pub(super) replayed: IntCounterVec,
    pub(super) checkpoint_bytes: IntCounterVec,
    pub(super) assignments: IntGaugeVec,
    pub(super) baseline_missing: IntGaugeVec,
    pub(super) agent_incidents: IntCounterVec,
    pub(super) agent_actions: IntCounterVec,
    pub(super) agent_narrations: IntCounterVec,
    pub(super) retrain_triggers: IntCounterVec,
    /// Per model, the fewest labels a window needs to set `model_accuracy`
    /// (the `accuracy_slo` rule's `min_labeled`).
    pub(super) alert_rules: AlertRules,
}

impl Metrics {
    /// Registers every metric; at most `max_error_types` error types get a
    /// series of their own.
    pub fn new(max_error_types: usize) -> Metrics {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, names: &[&str]| {
            let metric = IntCounterVec::new(Opts::new(name, help), names).expect("valid metric");
            registry.register(Box::new(metric.clone())).expect("unique");
            metric
        };
        let gauge = |name: &str, help: &str, names: &[&str]| {
            let metric = GaugeVec::new(Opts::new(name, help), names).expect("valid metric");
            registry.register(Box::new(metric.clone())).expect("unique");
            metric
        };
        let int_gauge = |name: &str, help: &str, names: &[&str]| {
            let metric = IntGaugeVec::new(Opts::new(name, help), names).expect("valid metric");
            registry.register(Box::new(metric.clone())).expect("unique");
            metric
        };
        let histogram = |name: &str, help: &str, names: &[&str], buckets: Vec<f64>| {
            let opts = HistogramOpts::new(name, help).buckets(buckets);
            let metric = HistogramVec::new(opts, names).expect("valid metric");
            registry.register(Box::new(metric.clone())).expect("unique");
            metric
        };
        let series = |extra: &[&'static str]| -> Vec<&'static str> {
            SERIES.iter().chain(extra).copied().collect()
        };
        let confidence_buckets = (1..=20).map(|i| f64::from(i) * 0.05).collect();
        let metrics = Metrics {
            predictions: counter(
                "model_predictions_total",
                "Predictions received (failed inferences included).",
                &series(&[]),
            ),
            labeled: counter(
                "model_predictions_labeled_total",
                "Predictions joined with their label, counted when the label arrives.",
                &series(&[]),
            ),
            correct: counter(
                "model_predictions_correct_total",
                "Labeled classifications that were right.",
                &series(&[]),
            ),
            latency: histogram(
                "model_inference_latency_ms",
                "Inference latency reported by the model server, in milliseconds.",
                &SERIES,
                LATENCY_MS.to_vec(),
            ),
            confidence: histogram(
                "model_prediction_confidence",
                "Confidence of the predicted class, where reported.",
                &SERIES,
                confidence_buckets,
            ),
            errors: counter(
                "model_prediction_errors_total",
                "Failed inferences by error type.",
                &series(&["error_type"]),
            ),
            accuracy: gauge(
                "model_accuracy",
                "Accuracy of the newest window with at least the accuracy rule's min_labeled outcomes (100 by default).",
                &series(&[]),
            ),
            estimates: estimates::EstimateGauges::new(|name, help| gauge(name, help, &SERIES)),
            drift_score: gauge(
                "model_feature_drift_score",
                "Drift score of a feature in the newest window (method: the test that decided).",
                &series(&["feature", "method"]),
            ),
            drifted: gauge(
                "model_feature_drifted",
                "1 when the feature drifted in the newest window, else 0.",
                &series(&["feature"]),
            ),
            monitored: gauge(
                "model_feature_monitored",
                "1 when the feature was tested in the newest window (status ok or drifted), 0 when it was missing or not monitored (no values to test, as with hashed features).",
                &series(&["feature"]),
            ),
            drift_share: gauge(
                "model_dataset_drift_share",
                "Share of features that drifted in the newest window.",
                &series(&[]),
            ),
            window_end: gauge(
                "model_window_end_timestamp_seconds",
                "End (event time) of the newest window the model gauges describe.",
                &series(&[]),
            ),
            lag: int_gauge(
                "mlobs_consumer_lag",
                "Records behind the end of an input partition, per consumer group.",
                &["group", "topic", "partition"],
            ),
            rejected: counter(
                "mlobs_records_rejected_total",
                "Records sent to the dead-letter topic, by reason.",
                &["reason"],
            ),
            not_windowed: counter(
                "mlobs_events_not_windowed_total",
                "Valid events that did not count in a window (late, duplicate, orphan label...).",
                &["reason"],
            ),
            sink_seconds: histogram(
                "mlobs_sink_write_duration_seconds",
                "Time of a successful batch write to a sink.",
                &["sink", "table"],
                prometheus::exponential_buckets(0.001, 2.0, 15).expect("valid buckets"),
            ),
            sink_rows: counter(
                "mlobs_sink_rows_written_total",
                "Rows acknowledged by a sink.",
                &["sink", "table"],
            ),
            sink_failures: counter(
                "mlobs_sink_write_failures_total",
                "Failed batch writes (each retry counts).",
                &["sink", "table"],
            ),
            consumed: counter(
                "mlobs_records_consumed_total",
                "Records read from Kafka, per stage (join: predictions and labels; evaluate: partials).",
                &["stage"],
            ),
            ready: {
                let metric = IntGauge::new(
                    "mlobs_ready",
                    "1 while the process is ready (/readyz answers 200), else 0.",
                )
                .expect("valid metric");
                registry.register(Box::new(metric.clone())).expect("unique metric");
                metric
            },
            join_predictions: int_gauge(
                "mlobs_join_pending_predictions",
                "Predictions waiting for their label in the join state, per partition.",
                &["partition"],
            ),
            join_labels: int_gauge(
                "mlobs_join_pending_labels",
                "Labels waiting for their prediction in the join state, per partition.",
                &["partition"],
            ),
            capped: counter(
                "mlobs_values_capped_total",
                "Values beyond a [limits] cap, counted as (other) or, for unknown features, not sketched.",
                &["kind"],
            ),
            restores: counter(
                "mlobs_checkpoint_restores_total",
                "Partitions whose state was restored from a checkpoint, per stage.",
                &["stage"],
            ),
            replayed: counter(
                "mlobs_checkpoint_replayed_records_total",
                "Input records replayed after a snapshot during restores, per stage.",
                &["stage"],
            ),
            checkpoint_bytes: counter(
                "mlobs_checkpoint_bytes_total",
                "Bytes written to the changelog, by kind (snapshot, progress).",
                &["kind"],
            ),
            assignments: int_gauge(
                "mlobs_assigned_partitions",
                "Partitions this process owns, per stage.",
                &["stage"],
            ),
            baseline_missing: int_gauge(
                "mlobs_baseline_missing",
                "1 while a model version seen in predictions has no baseline (so no drift), 0 once it has one.",
                &["model", "version"],
            ),
            agent_incidents: counter(
                "mlobs_agent_incidents_total",
                "Incidents the agent worker opened or closed, by what happened (opened, resolved, escalated).",
                &["status"],
            ),
            agent_actions: counter(
                "mlobs_agent_actions_total",
                "Actions the agent worker carried out, by outcome (executed, failed).",
                &["action", "status"],
            ),
            agent_narrations: counter(
                "mlobs_agent_narrations_total",
                "Answers of the LLM narrator, by outcome (used, or the reason it was discarded).",
                &["outcome"],
            ),
            retrain_triggers: counter(
                "mlobs_retrain_triggers_total",
                "Retraining triggers that fired, by model, trigger (accuracy, drift, schedule) and outcome (started, or held back by the cool-down).",
                &["model", "trigger", "outcome"],
            ),
            newest_window: Mutex::new(HashMap::new()),
            error_types: Mutex::new(HashSet::new()),
            max_error_types,
            alert_rules: AlertRules::default(),
            registry,
        };
        // Every dead-letter reason at 0 from the start: rate() cannot see
        // the first increment of a series born at 1, so the first dead
        // letter of a reason would never show on a dashboard.
        for reason in crate::dead_letters::reasons() {
            metrics.rejected.with_label_values(&[reason]);
        }
        metrics
    }

    /// Sets `model_accuracy` only from windows with at least the alert
    /// rules' `min_labeled` labels: the window after a scenario or a burst
    /// may hold three labels, and a gauge at 100% (or 0%) from three labels
    /// would resolve (or fire) ModelAccuracyDrop on nothing.
    pub fn with_alert_rules(mut self, rules: AlertRules) -> Metrics {
        self.alert_rules = rules;
        self
    }

    /// The text exposition format of every metric.
    pub fn render(&self) -> String {
        prometheus::TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .expect("text encoding does not fail")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(mlobs_operators::limits::Limits::default().max_error_types)
    }
}

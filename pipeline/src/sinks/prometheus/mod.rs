//! The live view: Prometheus metrics of the models and of the pipeline,
//! served with the health endpoints by [`server`].
//!
//! Per-event metrics (counts, latency and confidence histograms, errors) are
//! counted by stage 1 as events arrive, labelled by model, version and
//! environment; a scrape sees them at once. Window gauges (accuracy, drift)
//! are set by stage 2 from the newest window result of each series.

pub mod server;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use mlobs_operators::stage1::JoinedOutcome;
use mlobs_schemas::{PredictionEvent, WindowMetrics};
use prometheus::{
    GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
};

const SERIES: [&str; 3] = ["model", "version", "environment"];

/// Latency buckets (ms): resolve 1 ms to 10 s.
const LATENCY_MS: [f64; 13] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0,
];

/// Every metric mlobs exports, in one registry.
pub struct Metrics {
    registry: Registry,
    predictions: IntCounterVec,
    labeled: IntCounterVec,
    correct: IntCounterVec,
    latency: HistogramVec,
    confidence: HistogramVec,
    errors: IntCounterVec,
    accuracy: GaugeVec,
    drift_score: GaugeVec,
    drifted: GaugeVec,
    drift_share: GaugeVec,
    window_end: GaugeVec,
    lag: IntGaugeVec,
    rejected: IntCounterVec,
    not_windowed: IntCounterVec,
    sink_seconds: HistogramVec,
    sink_rows: IntCounterVec,
    sink_failures: IntCounterVec,
    join_predictions: IntGaugeVec,
    join_labels: IntGaugeVec,
    /// Newest window start whose gauges are set, per series.
    newest_window: Mutex<HashMap<[String; 3], i64>>,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Metrics {
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
        Metrics {
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
                "Accuracy of the newest window with outcomes.",
                &series(&[]),
            ),
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
            newest_window: Mutex::new(HashMap::new()),
            registry,
        }
    }

    /// The text exposition format of every metric.
    pub fn render(&self) -> String {
        prometheus::TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .expect("text encoding does not fail")
    }

    /// Counts a valid prediction.
    pub fn observe_prediction(&self, e: &PredictionEvent) {
        let series = [e.model.as_str(), &e.version, &e.environment];
        self.predictions.with_label_values(&series).inc();
        self.latency
            .with_label_values(&series)
            .observe(e.latency_ms);
        if let Some(c) = e.confidence {
            self.confidence.with_label_values(&series).observe(c);
        }
        if let Some(error) = &e.error {
            let labels = [series[0], series[1], series[2], &error.error_type];
            self.errors.with_label_values(&labels).inc();
        }
    }

    /// Counts a prediction joined with its label.
    pub fn observe_outcome(&self, o: &JoinedOutcome) {
        let series = [o.model.as_str(), &o.version, &o.environment];
        self.labeled.with_label_values(&series).inc();
        // Touch the series so that a rate of 0 correct is a rate, not absent.
        let correct = self.correct.with_label_values(&series);
        if o.scored().is_correct() {
            correct.inc();
        }
    }

    /// Sets the window gauges of a series from its newest window result.
    pub fn observe_window(&self, w: &WindowMetrics) {
        let key = [w.model.clone(), w.version.clone(), w.environment.clone()];
        {
            let mut newest = self.newest_window.lock().expect("not poisoned");
            let start = newest.entry(key).or_insert(i64::MIN);
            if w.window_start < *start {
                return; // an older window re-emitted: the gauges show a newer one
            }
            *start = w.window_start;
        }
        let series = [w.model.as_str(), &w.version, &w.environment];
        self.window_end
            .with_label_values(&series)
            .set(w.window_end as f64 / 1000.0);
        if let Some(accuracy) = w.accuracy {
            self.accuracy.with_label_values(&series).set(accuracy);
        }
        if w.drift.is_empty() {
            return;
        }
        self.drift_share
            .with_label_values(&series)
            .set(w.share_drifted);
        for d in &w.drift {
            let with = |more: &[&str]| -> Vec<String> {
                series.iter().chain(more).map(|s| s.to_string()).collect()
            };
            let drifted = with(&[&d.feature]);
            let refs: Vec<&str> = drifted.iter().map(String::as_str).collect();
            self.drifted
                .with_label_values(&refs)
                .set(f64::from(u8::from(d.drift_detected)));
            if let Some(score) = d.score {
                let scored = with(&[&d.feature, &d.method]);
                let refs: Vec<&str> = scored.iter().map(String::as_str).collect();
                self.drift_score.with_label_values(&refs).set(score);
            }
        }
    }

    /// Counts a record sent to the dead-letter topic.
    pub fn rejected(&self, reason: &str) {
        self.rejected.with_label_values(&[reason]).inc();
    }

    /// Adds `count` events that did not count in a window for `reason`.
    pub fn not_windowed(&self, reason: &str, count: u64) {
        if count > 0 {
            self.not_windowed.with_label_values(&[reason]).inc_by(count);
        }
    }

    /// Records a successful batch write of `rows` rows.
    pub fn sink_write(&self, sink: &str, table: &str, took: Duration, rows: usize) {
        self.sink_seconds
            .with_label_values(&[sink, table])
            .observe(took.as_secs_f64());
        self.sink_rows
            .with_label_values(&[sink, table])
            .inc_by(rows as u64);
    }

    /// Records a failed batch write.
    pub fn sink_failure(&self, sink: &str, table: &str) {
        self.sink_failures.with_label_values(&[sink, table]).inc();
    }

    /// Sets the join state size of a partition (`None` removes it: the
    /// partition moved elsewhere).
    pub fn join_state(&self, partition: i32, size: Option<(usize, usize)>) {
        let label = [partition.to_string()];
        let label = [label[0].as_str()];
        match size {
            Some((predictions, labels)) => {
                self.join_predictions
                    .with_label_values(&label)
                    .set(predictions as i64);
                self.join_labels
                    .with_label_values(&label)
                    .set(labels as i64);
            }
            None => {
                let _ = self.join_predictions.remove_label_values(&label);
                let _ = self.join_labels.remove_label_values(&label);
            }
        }
    }

    /// Sets the lag of a consumer group on an input partition.
    pub fn lag(&self, group: &str, topic: &str, partition: i32, lag: i64) {
        let partition = partition.to_string();
        self.lag
            .with_label_values(&[group, topic, &partition])
            .set(lag);
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

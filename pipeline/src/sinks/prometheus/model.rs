//! The model metrics: counted per event by stage 1, set per window by
//! stage 2.

use mlobs_operators::drift::Status;
use mlobs_operators::limits::OTHER;
use mlobs_operators::stage1::JoinedOutcome;
use mlobs_schemas::{PredictionEvent, WindowMetrics};

use prometheus::{Histogram, IntCounter};

use super::Metrics;

/// One series' per-prediction metrics, looked up.
struct SeriesHandles {
    predictions: IntCounter,
    latency: Histogram,
    confidence: Histogram,
}

impl Metrics {
    /// Counts valid predictions. Each series' counter and histograms are
    /// looked up once per call: a lookup hashes the label values under a
    /// lock, which per prediction was 2% of stage 1's cycles.
    pub fn observe_predictions<'a>(&self, events: impl IntoIterator<Item = &'a PredictionEvent>) {
        let mut known: Vec<([&str; 3], SeriesHandles)> = Vec::new();
        for e in events {
            let series = [e.model.as_str(), &e.version, &e.environment];
            let handles = match known.iter().position(|(s, _)| *s == series) {
                Some(at) => &known[at].1,
                None => {
                    let handles = SeriesHandles {
                        predictions: self.predictions.with_label_values(&series),
                        latency: self.latency.with_label_values(&series),
                        confidence: self.confidence.with_label_values(&series),
                    };
                    known.push((series, handles));
                    &known[known.len() - 1].1
                }
            };
            handles.predictions.inc();
            handles.latency.observe(e.latency_ms);
            if let Some(c) = e.confidence {
                handles.confidence.observe(c);
            }
            self.observe_error(e);
        }
    }

    /// Counts a failed inference by its error type.
    fn observe_error(&self, e: &PredictionEvent) {
        let Some(error) = &e.error else {
            return;
        };
        let error_type = self.error_type_label(&error.error_type);
        let labels = [e.model.as_str(), &e.version, &e.environment, &error_type];
        self.errors.with_label_values(&labels).inc();
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
        let min_labeled = self.alert_rules.for_model(&w.model).min_labeled;
        if let Some(accuracy) = w
            .accuracy
            .filter(|_| w.labeled.max(0) as u64 >= min_labeled)
        {
            self.accuracy.with_label_values(&series).set(accuracy);
        }
        self.observe_estimate(&series, w);
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
            let tested = Status::from_name(&d.status).is_some_and(Status::is_tested);
            self.monitored
                .with_label_values(&refs)
                .set(f64::from(u8::from(tested)));
            if let Some(score) = d.score {
                let scored = with(&[&d.feature, &d.method]);
                let refs: Vec<&str> = scored.iter().map(String::as_str).collect();
                self.drift_score.with_label_values(&refs).set(score);
            }
        }
    }

    /// The `error_type` label of `error_type`: itself while fewer than
    /// `max_error_types` have a series, else "(other)", so that a server
    /// inventing error types cannot grow /metrics without bound.
    fn error_type_label(&self, error_type: &str) -> String {
        let mut known = self.error_types.lock().expect("not poisoned");
        if known.contains(error_type) {
            return error_type.to_string();
        }
        if known.len() < self.max_error_types {
            known.insert(error_type.to_string());
            return error_type.to_string();
        }
        OTHER.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(start: i64, labeled: i64, accuracy: f64) -> WindowMetrics {
        WindowMetrics {
            model: "churn".into(),
            version: "1".into(),
            environment: "production".into(),
            window_start: start,
            window_end: start + 60_000,
            labeled,
            accuracy: Some(accuracy),
            ..WindowMetrics::default()
        }
    }

    fn accuracy(metrics: &Metrics) -> f64 {
        metrics
            .accuracy
            .with_label_values(&["churn", "1", "production"])
            .get()
    }

    #[test]
    fn accuracy_comes_from_the_newest_window_with_enough_labels() {
        let metrics = Metrics::default();
        metrics.observe_window(&window(0, 1_000, 0.88));
        assert_eq!(accuracy(&metrics), 0.88);
        // The tail after traffic stops: three labels, all correct.
        metrics.observe_window(&window(60_000, 3, 1.0));
        assert_eq!(accuracy(&metrics), 0.88, "three labels say nothing");
        metrics.observe_window(&window(120_000, 100, 0.97));
        assert_eq!(accuracy(&metrics), 0.97);
    }
}

//! CBPE's gauges: the estimated accuracy of the newest window with its
//! band, and how the newest checked estimate compares with its labels.

use std::collections::HashMap;
use std::sync::Mutex;

use mlobs_operators::cbpe::stream::Check;
use mlobs_schemas::WindowMetrics;
use prometheus::GaugeVec;

use super::Metrics;

/// The estimate gauges, registered with the other model metrics.
pub(in crate::sinks) struct EstimateGauges {
    estimated: GaugeVec,
    lower: GaugeVec,
    upper: GaugeVec,
    error: GaugeVec,
    out_of_band: GaugeVec,
    /// Newest prediction window checked, per series.
    newest_checked: Mutex<HashMap<[String; 3], i64>>,
}

impl EstimateGauges {
    /// Registers them through `gauge(name, help)` (series labels).
    pub(super) fn new(gauge: impl Fn(&str, &str) -> GaugeVec) -> Self {
        EstimateGauges {
            estimated: gauge(
                "model_accuracy_estimated",
                "Accuracy the newest window's predictions should have, from their calibrated confidences (CBPE), before their labels arrive.",
            ),
            lower: gauge(
                "model_accuracy_estimated_lower",
                "Lower end of the estimate's band (3 standard deviations for the window's size).",
            ),
            upper: gauge(
                "model_accuracy_estimated_upper",
                "Upper end of the estimate's band.",
            ),
            error: gauge(
                "model_accuracy_estimation_error",
                "Realized minus estimated accuracy of the newest window whose predictions are at least half labeled.",
            ),
            out_of_band: gauge(
                "model_accuracy_estimate_out_of_band",
                "1 when the labels of the newest checked window disagree with its estimate beyond the band: P(label | features) changed (concept drift, or an input the model cannot see), which CBPE alone cannot catch.",
            ),
            newest_checked: Mutex::new(HashMap::new()),
        }
    }
}

impl Metrics {
    /// Sets the estimate gauges from the newest window (called by
    /// `observe_window`, which keeps older re-emitted windows out).
    pub(super) fn observe_estimate(&self, series: &[&str; 3], w: &WindowMetrics) {
        let gauges = &self.estimates;
        let values = [
            (&gauges.estimated, w.accuracy_estimated),
            (&gauges.lower, w.accuracy_estimated_lower),
            (&gauges.upper, w.accuracy_estimated_upper),
        ];
        for (gauge, value) in values {
            if let Some(value) = value {
                gauge.with_label_values(series).set(value);
            }
        }
    }

    /// Sets the estimation-error gauges from `check`, unless a newer window
    /// of the series was checked already.
    pub fn observe_check(&self, series: [&str; 3], check: &Check) {
        let gauges = &self.estimates;
        {
            let mut newest = gauges.newest_checked.lock().expect("not poisoned");
            let start = newest.entry(series.map(str::to_string)).or_insert(i64::MIN);
            if check.window_start < *start {
                return;
            }
            *start = check.window_start;
        }
        gauges.error.with_label_values(&series).set(check.error());
        gauges
            .out_of_band
            .with_label_values(&series)
            .set(f64::from(u8::from(check.out_of_band())));
    }
}

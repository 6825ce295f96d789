//! Real-time performance: what a model is doing now, from the live
//! metrics, over the seed's sliding 24 hours.

use crate::annotations::{prometheus_alerts, stream_alerts};
use crate::filters::{quantile_by, rate_by, SERIES};
use crate::model::{promql, Dashboard, Kind, Panel};

/// The dashboard.
pub fn dashboard() -> Dashboard {
    let latency = |q: f64, legend| {
        promql(
            quantile_by(q, "", "model_inference_latency_ms", SERIES),
            legend,
        )
    };
    Dashboard {
        uid: "mlobs-performance",
        title: "mlobs / Real-time performance",
        description: "Accuracy, traffic, latency, errors and confidence of one model, live.",
        from: "now-24h",
        panels: vec![
            Panel::new(Kind::TimeSeries, "Accuracy (newest window)", "percentunit")
                .about("Accuracy of each version's newest window with enough labels (the accuracy rule's min_labeled), as model_accuracy.")
                .query(promql(format!("model_accuracy{{{SERIES}}}"), "v{{version}}")),
            Panel::new(Kind::TimeSeries, "Accuracy of the labels arriving", "percentunit")
                .about("Correct / labeled among predictions joined with their label in the last interval (labels come late: this trails the predictions).")
                .query(promql(
                    format!(
                        "{} / {}",
                        rate_by("version", "model_predictions_correct_total"),
                        rate_by("version", "model_predictions_labeled_total")
                    ),
                    "v{{version}}",
                )),
            Panel::new(Kind::TimeSeries, "Predictions per second", "reqps")
                .about("Predictions received, failed inferences included.")
                .query(promql(rate_by("version", "model_predictions_total"), "v{{version}}")),
            Panel::new(Kind::TimeSeries, "Latency p50 / p95 / p99", "ms")
                .about("Inference latency reported by the model servers, from the latency histogram.")
                .query(latency(0.5, "p50"))
                .query(latency(0.95, "p95"))
                .query(latency(0.99, "p99")),
            Panel::new(Kind::TimeSeries, "Errors by type", "reqps")
                .about("Failed inferences per second, by the error type the server reported.")
                .query(promql(rate_by("error_type", "model_prediction_errors_total"), "{{error_type}}")),
            Panel::new(Kind::Heatmap, "Confidence distribution", "short")
                .about("Confidence of the predicted class, in 0.05 buckets: a shift to the left often comes before an accuracy drop.")
                .query(promql(
                    format!("sum by (le) (increase(model_prediction_confidence_bucket{{{SERIES}}}[$__rate_interval]))"),
                    "{{le}}",
                )),
        ],
        annotations: vec![prometheus_alerts(), stream_alerts()],
    }
}

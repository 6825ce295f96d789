//! Model comparison: the versions of one model side by side on the same
//! windows, from the history (exact per-window counts) and the live
//! metrics.

use crate::annotations::{prometheus_alerts, registry_changes, stream_alerts};
use crate::filters::{
    per_version_window, quantile_by, rate_by, sql_in_range, sql_model_in_range, SERIES,
};
use crate::model::{promql, sql_series, sql_table, Dashboard, Kind, Panel};

/// Accuracy of each version in each window of the history (the panel the
/// rollout dashboard shows too).
pub fn accuracy_per_window() -> Panel {
    Panel::new(Kind::TimeSeries, "Accuracy per window", "percentunit")
        .about("Correct / labeled predictions of each version in each window (window_metrics), by the window's start (event time).")
        .query(sql_series(per_version_window(
            "sum(correct) / sum(labeled) AS version_accuracy",
            " HAVING sum(labeled) > 0",
        )))
}

/// The dashboard.
pub fn dashboard() -> Dashboard {
    Dashboard {
        uid: "mlobs-comparison",
        title: "mlobs / Model comparison",
        description: "Versions of one model side by side: accuracy with its labeled counts, latency, errors, and each version's gap to the best one.",
        from: "now-24h",
        panels: vec![
            accuracy_per_window(),
            Panel::new(Kind::TimeSeries, "Labeled predictions per window", "short")
                .about("How many labels each window's accuracy rests on: a version with few labels is not yet judged.")
                .query(sql_series(per_version_window("sum(labeled) AS labeled_predictions", ""))),
            Panel::new(Kind::TimeSeries, "Gap to the best version (champion/challenger)", "percentunit")
                .about("Each version's accuracy minus the best version's in the same window: 0 for the best, below 0 for the others. Like the version-regression rule, it compares with the best version rather than asking MLflow which one is champion.")
                .query(sql_series(format!(
                    "SELECT time, version_name, version_accuracy - best AS gap FROM \
                     (SELECT window_start AS time, concat('v', version) AS version_name, sum(correct) / sum(labeled) AS version_accuracy \
                      FROM window_metrics FINAL WHERE {range} GROUP BY window_start, version HAVING sum(labeled) > 0) \
                     ANY INNER JOIN \
                     (SELECT window_start AS time, max(correct / labeled) AS best \
                      FROM window_metrics FINAL WHERE {all} AND labeled > 0 GROUP BY window_start) \
                     USING time ORDER BY time",
                    range = sql_in_range("window_start"),
                    all = sql_model_in_range("window_start")
                ))),
            Panel::new(Kind::Table, "Versions side by side", "short")
                .about("Totals over the time range, per version: predictions, labels, accuracy, the mean of the windows' p95 latency and the failed inferences.")
                .query(sql_table(format!(
                    "SELECT version, sum(predictions) AS predictions_total, sum(labeled) AS labeled_total, \
                     round(sum(correct) / sum(labeled), 4) AS accuracy_total, round(avg(latency_p95_ms), 1) AS mean_p95_latency_ms, \
                     sum(arraySum(error_counts)) AS errors_total, round(errors_total / predictions_total, 4) AS error_rate \
                     FROM window_metrics FINAL WHERE {} GROUP BY version ORDER BY version",
                    sql_in_range("window_start")
                ))),
            Panel::new(Kind::TimeSeries, "Latency p95 by version", "ms")
                .about("95th percentile of inference latency, per version.")
                .query(promql(
                    quantile_by(0.95, "version", "model_inference_latency_ms", SERIES),
                    "v{{version}}",
                )),
            Panel::new(Kind::TimeSeries, "Error rate by version", "percentunit")
                .about("Failed inferences / predictions, per version.")
                .query(promql(
                    format!(
                        "{} / {}",
                        rate_by("version", "model_prediction_errors_total"),
                        rate_by("version", "model_predictions_total")
                    ),
                    "v{{version}}",
                )),
        ],
        annotations: vec![prometheus_alerts(), stream_alerts(), registry_changes()],
    }
}

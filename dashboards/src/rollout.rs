//! Version rollout: how traffic moves from one version to the next
//! (10% -> 50% -> 100%), with each version's accuracy beside it and the
//! registry changes that moved it.

use crate::annotations::{registry_changes, stream_alerts, REGISTRY_EVENTS};
use crate::comparison::accuracy_per_window;
use crate::filters::{sql_in_range, sql_model_in_range, MODEL};
use crate::model::{promql, sql_series, sql_table, Dashboard, Kind, Panel};

/// The dashboard.
pub fn dashboard() -> Dashboard {
    let live =
        |by: &str| format!("sum{by} (rate(model_predictions_total{{{MODEL}}}[$__rate_interval]))");
    Dashboard {
        uid: "mlobs-rollout",
        title: "mlobs / Version rollout",
        description: "Each version's share of the traffic over time, its accuracy beside it, and the registry's alias moves as markers.",
        from: "now-24h",
        panels: vec![
            Panel::new(Kind::TimeSeries, "Traffic share per window", "percentunit")
                .about("Predictions of each version / predictions of the model, per window (window_metrics, event time).")
                .query(sql_series(format!(
                    "SELECT time, version_name, served / total AS share FROM \
                     (SELECT window_start AS time, concat('v', version) AS version_name, sum(predictions) AS served \
                      FROM window_metrics FINAL WHERE {range} GROUP BY window_start, version HAVING served > 0) \
                     ANY INNER JOIN \
                     (SELECT window_start AS time, sum(predictions) AS total \
                       FROM window_metrics FINAL WHERE {all} GROUP BY window_start) \
                     USING time ORDER BY time",
                    range = sql_in_range("window_start"),
                    all = sql_model_in_range("window_start")
                ))),
            accuracy_per_window(),
            Panel::new(Kind::TimeSeries, "Traffic share now", "percentunit")
                .about("Each version's share of the predictions per second, live.")
                .query(promql(
                    format!("{} / ignoring (version) group_left {}", live(" by (version)"), live("")),
                    "v{{version}}",
                )),
            Panel::new(Kind::Table, "Registry changes", "short")
                .about("Every promotion, rollback and traffic change of the model in the range: who, why, and what it replaced (registry_events).")
                .query(sql_table(REGISTRY_EVENTS)),
        ],
        annotations: vec![registry_changes(), stream_alerts()],
    }
}

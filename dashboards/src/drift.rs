//! Data drift: each feature's score against its threshold over time, which
//! features drifted when, the share that drifted, and the values that
//! arrive missing or unseen in training.

use crate::annotations::{prometheus_alerts, stream_alerts};
use crate::filters::{per_version_window, sql_in_range, SERIES};
use crate::model::{promql, sql_series, Dashboard, Kind, Panel};

/// A per-window, per-feature series of `value` from feature_drift.
fn per_feature(value: &str, extra: &str) -> String {
    format!(
        "SELECT window_start AS time, concat(feature, ' v', version) AS feature_version, {value} \
         FROM feature_drift FINAL WHERE {}{extra} GROUP BY window_start, feature, version ORDER BY time",
        sql_in_range("window_start")
    )
}

/// The dashboard.
pub fn dashboard() -> Dashboard {
    Dashboard {
        uid: "mlobs-drift",
        title: "mlobs / Data drift",
        description: "Feature drift of one model against its training baseline, per window.",
        from: "now-24h",
        panels: vec![
            Panel::new(Kind::TimeSeries, "Drift score per feature, against its threshold", "short")
                .about("The deciding test's score per window (a p-value for ks and chisquare: drift below the threshold; a distance for wasserstein, psi and jensenshannon: drift above it), with the threshold as a dashed line per feature.")
                .query(sql_series(per_feature("any(score) AS drift_score", " AND score IS NOT NULL")))
                .query(sql_series(per_feature("any(threshold) AS drift_threshold", " AND score IS NOT NULL")))
                .wide(24),
            Panel::new(Kind::Heatmap, "Drifted features", "short")
                .about("1 where a feature drifted in a window, 0 where it was tested and held.")
                .query(sql_series(per_feature("max(drifted) AS drifted_flag", " AND status IN ('ok', 'drifted')"))),
            Panel::new(Kind::TimeSeries, "Share of drifted features", "percentunit")
                .about("Drifted features / features tested, per window; dataset drift is declared at the configured share (0.5 by default).")
                .query(sql_series(per_version_window("any(share_drifted) AS drifted_share", "")))
                .query(promql(format!("model_dataset_drift_share{{{SERIES}}}"), "now v{{version}}")),
            Panel::new(Kind::TimeSeries, "Missing values", "percentunit")
                .about("Share of a feature's values that arrived missing, per window.")
                .query(sql_series(per_feature(
                    "sum(current_missing) / (sum(current_count) + sum(current_missing)) AS missing_share",
                    "",
                ))),
            Panel::new(Kind::TimeSeries, "Values unseen in training", "percentunit")
                .about("Share of a categorical feature's values that its baseline never saw (a new category upstream), per window.")
                .query(sql_series(per_feature(
                    "sum(current_unseen) / sum(current_count) AS unseen_share",
                    " AND kind = 'categorical' AND current_count > 0",
                ))),
            Panel::new(Kind::TimeSeries, "Drift score now", "short")
                .about("The newest window's score per feature, live (model_feature_drift_score).")
                .query(promql(
                    format!("model_feature_drift_score{{{SERIES}}}"),
                    "{{feature}} v{{version}} ({{method}})",
                )),
        ],
        annotations: vec![prometheus_alerts(), stream_alerts()],
    }
}

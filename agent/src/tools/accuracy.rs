//! `get_model_accuracy(model_name, version, time_window)`: accuracy
//! recomputed from the joined outcomes of predictions made in the window
//! (exact, not the windows' rounded aggregates), per version, with how
//! many predictions still wait for a label (labels arrive late: a low
//! coverage means the number may still move), and how late the labels
//! that did arrive came (a stalled labelling job shows as a longer delay
//! long before the coverage of old predictions moves).

use serde::Serialize;

use super::sql::{model_filter, time_filter};
use super::{count, num, text, ModelRef, Range, ToolError, Tools};

/// Accuracy of one version.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VersionAccuracy {
    /// The version.
    pub version: String,
    /// Predictions made in the window.
    pub predictions: u64,
    /// Of which have a label (outcomes).
    pub labeled: u64,
    /// Of which were right (classification).
    pub correct: u64,
    /// correct / labeled, a fraction 0..1; null without labels.
    pub accuracy: Option<f64>,
    /// labeled / predictions, a fraction 0..1.
    pub label_coverage: Option<f64>,
    /// Mean absolute error (regression), in the target's unit.
    pub mae: Option<f64>,
    /// Median time from prediction to label of the labeled predictions,
    /// seconds; null without labels.
    pub label_delay_p50_s: Option<f64>,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Accuracy {
    /// Model and version asked about.
    pub model: ModelRef,
    /// The predictions' times it covers.
    pub range: Range,
    /// "fraction (0..1)".
    pub unit: &'static str,
    /// All selected versions together.
    pub overall: VersionAccuracy,
    /// Per version, by version.
    pub versions: Vec<VersionAccuracy>,
}

/// The query: labeled and correct per version, from outcomes (FINAL: a
/// replayed row counts once).
pub fn outcomes_sql(tools_db: &str, model: &ModelRef, window_filter: &str) -> String {
    format!(
        "SELECT version, count() AS labeled, sum(ifNull(correct, 0)) AS correct, \
         avg(absolute_error) AS mae, {DELAY_P50_MS} AS delay_ms FROM {tools_db}.outcomes FINAL \
         WHERE {} AND {window_filter} GROUP BY version ORDER BY version",
        model_filter(model)
    )
}

/// The median label delay (ms) of the outcomes selected.
const DELAY_P50_MS: &str = "quantileExact(0.5)(label_time_ms - prediction_time_ms)";

/// The median label delay of every version together (a median of
/// medians is not one).
fn delay_sql(tools_db: &str, model: &ModelRef, window_filter: &str) -> String {
    format!(
        "SELECT {DELAY_P50_MS} AS delay_ms, count() AS n FROM {tools_db}.outcomes FINAL \
         WHERE {} AND {window_filter}",
        model_filter(model)
    )
}

/// Seconds from a `delay_ms` cell; `None` for an empty selection.
fn delay_s(row: &serde_json::Value, labeled: u64) -> Option<f64> {
    (labeled > 0).then(|| num(&row["delay_ms"]).map(|ms| ms / 1000.0))?
}

impl Tools {
    /// See the module documentation.
    pub fn get_model_accuracy(
        &self,
        model_name: &str,
        version: Option<&str>,
        time_window: &str,
    ) -> Result<Accuracy, ToolError> {
        let model = self.resolve_with(model_name, version)?;
        let window = self.window(time_window)?;
        let db = self.clickhouse.database();
        let labeled = self.rows(&outcomes_sql(
            db,
            &model,
            &time_filter("prediction_time_ms", &window),
        ))?;
        let predicted = self.rows(&format!(
            "SELECT version, count() AS n FROM {db}.inference_log WHERE {} AND {} \
             GROUP BY version ORDER BY version",
            model_filter(&model),
            time_filter("event_time_ms", &window)
        ))?;
        let mut versions: Vec<VersionAccuracy> = predicted
            .iter()
            .map(|p| {
                let v = text(&p["version"]);
                let o = labeled.iter().find(|o| o["version"] == v.as_str());
                let row = o.cloned().unwrap_or_default();
                let labeled = count(&row["labeled"]);
                VersionAccuracy {
                    label_delay_p50_s: delay_s(&row, labeled),
                    ..summarize(
                        v,
                        count(&p["n"]),
                        labeled,
                        count(&row["correct"]),
                        num(&row["mae"]),
                    )
                }
            })
            .collect();
        versions.retain(|v| v.predictions > 0 || v.labeled > 0);
        if versions.iter().all(|v| v.labeled == 0) {
            let r = window.range();
            return Err(ToolError::EmptyWindow {
                what: "labeled predictions".into(),
                model: model.label(),
                start: r.start,
                end: r.end,
            });
        }
        let mut overall = summarize(
            "all".into(),
            versions.iter().map(|v| v.predictions).sum(),
            versions.iter().map(|v| v.labeled).sum(),
            versions.iter().map(|v| v.correct).sum(),
            None,
        );
        let delay = self.rows(&delay_sql(
            db,
            &model,
            &time_filter("prediction_time_ms", &window),
        ))?;
        overall.label_delay_p50_s = delay.first().and_then(|r| delay_s(r, count(&r["n"])));
        Ok(Accuracy {
            model,
            range: window.range(),
            unit: "fraction (0..1)",
            overall,
            versions,
        })
    }
}

/// One version's numbers from its counts.
pub fn summarize(
    version: String,
    predictions: u64,
    labeled: u64,
    correct: u64,
    mae: Option<f64>,
) -> VersionAccuracy {
    let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    VersionAccuracy {
        version,
        predictions,
        labeled,
        correct,
        accuracy: ratio(correct, labeled),
        label_coverage: ratio(labeled, predictions),
        mae,
        label_delay_p50_s: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_reads_outcomes_once_per_prediction() {
        let m = ModelRef {
            model: "churn".into(),
            version: Some("2".into()),
        };
        let sql = outcomes_sql("db", &m, "prediction_time_ms >= 1");
        assert!(sql.contains("db.outcomes FINAL"));
        assert!(sql.contains("version = '2'"));
        assert!(sql.contains("quantileExact(0.5)(label_time_ms - prediction_time_ms)"));
    }

    #[test]
    fn the_delay_is_in_seconds_and_absent_without_labels() {
        let row = serde_json::json!({"delay_ms": 90_000.0});
        assert_eq!(delay_s(&row, 10), Some(90.0));
        assert_eq!(
            delay_s(&row, 0),
            None,
            "quantileExact of nothing is not a delay"
        );
    }

    #[test]
    fn accuracy_and_coverage_are_fractions() {
        let v = summarize("1".into(), 200, 100, 90, None);
        assert_eq!(v.accuracy, Some(0.9));
        assert_eq!(v.label_coverage, Some(0.5));
        assert_eq!(summarize("1".into(), 0, 0, 0, None).accuracy, None);
    }
}

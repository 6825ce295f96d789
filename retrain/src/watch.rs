//! The I/O side of [`crate::triggers`]: a model's recent complete windows
//! from ClickHouse (`window_metrics` for accuracy, `feature_drift` for the
//! drifted features), newest last.

use std::collections::BTreeMap;

use mlobs_pipeline::sinks::clickhouse::query::{num, quote, text};
use mlobs_pipeline::sinks::clickhouse::ClickHouse;

use crate::triggers::WindowSeen;
use crate::RetrainError;

/// How many windows back a trigger looks for the onset of a change.
const LOOKBACK_WINDOWS: usize = 48;

/// The newest complete windows of `model`, oldest first.
pub fn recent_windows(
    clickhouse: &ClickHouse,
    model: &str,
) -> Result<Vec<WindowSeen>, RetrainError> {
    let db = clickhouse.database();
    let model = quote(model);
    let rows = clickhouse.json_rows(&format!(
        "SELECT window_start_ms AS s, sum(labeled) AS l, sum(correct) AS c \
         FROM {db}.window_metrics FINAL WHERE model = {model} AND complete = 1 \
         GROUP BY window_start_ms ORDER BY window_start_ms DESC LIMIT {LOOKBACK_WINDOWS}"
    ))?;
    let Some(oldest) = rows.last().and_then(|r| num(&r["s"])) else {
        return Ok(Vec::new());
    };
    let drifted = clickhouse.json_rows(&format!(
        "SELECT window_start_ms AS s, groupUniqArray(feature) AS f \
         FROM {db}.feature_drift FINAL WHERE model = {model} AND drifted = 1 AND window_start_ms >= {} \
         GROUP BY window_start_ms",
        oldest as i64
    ))?;
    let mut features: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for row in &drifted {
        let names = row["f"]
            .as_array()
            .map(|a| a.iter().map(text).collect())
            .unwrap_or_default();
        features.insert(num(&row["s"]).unwrap_or_default() as i64, names);
    }
    Ok(rows
        .iter()
        .rev()
        .map(|row| {
            let start_ms = num(&row["s"]).unwrap_or_default() as i64;
            let (labeled, correct) = (num(&row["l"]).unwrap_or(0.0), num(&row["c"]).unwrap_or(0.0));
            WindowSeen {
                start_ms,
                accuracy: (labeled > 0.0).then(|| correct / labeled),
                drifted: features.remove(&start_ms).unwrap_or_default(),
            }
        })
        .collect())
}

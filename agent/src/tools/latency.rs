//! `get_latency_and_errors(model_name, time_window, bucket)`: latency
//! percentiles and errors by type, per version and per time bucket
//! (default 5 minutes, the pipeline's usual window), recomputed exactly
//! from inference_log so that any range and version can be asked.

use std::collections::BTreeMap;

use serde::Serialize;

use super::sql::{model_filter, time_filter};
use super::{count, num, text, ModelRef, Range, TimeWindow, ToolError, Tools};

/// The bucket when none is given: 5 minutes.
pub const DEFAULT_BUCKET_MS: i64 = 300_000;

/// One version in one bucket (or over the whole range).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatencyRow {
    /// The version.
    pub version: String,
    /// The bucket (or the whole range).
    pub range: Range,
    /// Predictions.
    pub predictions: u64,
    /// Latency percentiles, milliseconds.
    pub p50_ms: Option<f64>,
    /// 95th percentile, milliseconds.
    pub p95_ms: Option<f64>,
    /// 99th percentile, milliseconds.
    pub p99_ms: Option<f64>,
    /// Failed predictions.
    pub errors: u64,
    /// errors / predictions, fraction 0..1.
    pub error_rate: f64,
    /// Failed predictions per error type.
    pub errors_by_type: BTreeMap<String, u64>,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct LatencyAndErrors {
    /// Model and version asked about.
    pub model: ModelRef,
    /// The range covered.
    pub range: Range,
    /// Bucket length, milliseconds.
    pub bucket_ms: i64,
    /// Per version over the whole range.
    pub totals: Vec<LatencyRow>,
    /// Per version and bucket, by time.
    pub buckets: Vec<LatencyRow>,
}

/// The query: one row per version, bucket and error type; the bucket
/// column is -1 for the whole range (two queries folded into one shape).
pub fn latency_sql(
    table: &str,
    model: &ModelRef,
    window: &TimeWindow,
    bucket_ms: Option<i64>,
) -> String {
    let bucket = match bucket_ms {
        Some(b) => format!("intDiv(event_time_ms, {b}) * {b}"),
        None => "toInt64(-1)".into(),
    };
    format!(
        "SELECT version, {bucket} AS bucket, count() AS n, \
         quantilesExact(0.5, 0.95, 0.99)(latency_ms) AS q, \
         groupArray(ifNull(error_type, '')) AS types FROM {table} WHERE {} AND {} \
         GROUP BY version, bucket ORDER BY bucket, version",
        model_filter(model),
        time_filter("event_time_ms", window)
    )
}

/// A row from its query result (`types` holds one entry per prediction,
/// "" for success).
pub fn latency_row(row: &serde_json::Value, range: Range) -> LatencyRow {
    let q: Vec<Option<f64>> = row["q"]
        .as_array()
        .map(|a| a.iter().map(num).collect())
        .unwrap_or_default();
    let mut errors_by_type = BTreeMap::new();
    for t in row["types"].as_array().into_iter().flatten() {
        let t = t.as_str().unwrap_or_default();
        if !t.is_empty() {
            *errors_by_type.entry(t.to_string()).or_insert(0) += 1;
        }
    }
    let predictions = count(&row["n"]);
    let errors: u64 = errors_by_type.values().sum();
    LatencyRow {
        version: text(&row["version"]),
        range,
        predictions,
        p50_ms: q.first().copied().flatten(),
        p95_ms: q.get(1).copied().flatten(),
        p99_ms: q.get(2).copied().flatten(),
        errors,
        error_rate: if predictions == 0 {
            0.0
        } else {
            errors as f64 / predictions as f64
        },
        errors_by_type,
    }
}

impl Tools {
    /// See the module documentation.
    pub fn get_latency_and_errors(
        &self,
        model_name: &str,
        time_window: &str,
        bucket: Option<&str>,
    ) -> Result<LatencyAndErrors, ToolError> {
        let model = self.resolve(model_name)?;
        let window = self.window(time_window)?;
        let bucket_ms = match bucket {
            Some(b) => {
                let w = TimeWindow::parse(b, 0)
                    .map_err(|_| ToolError::bad("bucket", b, "a span such as 1m, 5m, 1h"))?;
                w.end_ms - w.start_ms
            }
            None => DEFAULT_BUCKET_MS,
        };
        let table = self.table("inference_log");
        let totals: Vec<LatencyRow> = self
            .rows(&latency_sql(&table, &model, &window, None))?
            .iter()
            .map(|r| latency_row(r, window.range()))
            .collect();
        if totals.is_empty() {
            let r = window.range();
            return Err(ToolError::EmptyWindow {
                what: "predictions".into(),
                model: model.label(),
                start: r.start,
                end: r.end,
            });
        }
        let buckets = self
            .rows(&latency_sql(&table, &model, &window, Some(bucket_ms)))?
            .iter()
            .map(|r| {
                let start_ms = num(&r["bucket"]).unwrap_or(0.0) as i64;
                latency_row(
                    r,
                    TimeWindow {
                        start_ms,
                        end_ms: start_ms + bucket_ms,
                    }
                    .range(),
                )
            })
            .collect();
        Ok(LatencyAndErrors {
            model,
            range: window.range(),
            bucket_ms,
            totals,
            buckets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_row_counts_errors_by_type() {
        let row = json!({"version": "2", "n": "4", "q": [10.0, 20.0, 30.0], "types": ["", "gpu_oom", "gpu_oom", "timeout"]});
        let r = latency_row(
            &row,
            Range {
                start: "a".into(),
                end: "b".into(),
            },
        );
        assert_eq!((r.predictions, r.errors), (4, 3));
        assert_eq!(r.errors_by_type["gpu_oom"], 2);
        assert_eq!(r.p95_ms, Some(20.0));
        assert!((r.error_rate - 0.75).abs() < 1e-12);
    }
}

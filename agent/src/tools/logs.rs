//! `query_inference_logs(model_name, version, filters)`: a sample of
//! predictions (newest first) with their errors and, once labeled, their
//! outcome, plus how many rows match in all and their errors by type, so
//! that the sample can be read against the whole.

use std::collections::BTreeMap;

use rmcp::schemars::{self, JsonSchema};
use serde::{Deserialize, Serialize};

use super::sql::{model_filter, quote, time_filter};
use super::{count, num, text, ModelRef, Range, ToolError, Tools};

/// Rows returned when no limit is given, and the most that can be asked.
pub const DEFAULT_LIMIT: usize = 50;
/// See [`DEFAULT_LIMIT`].
pub const MAX_LIMIT: usize = 1000;

/// A numeric feature range, both ends inclusive and optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct FeatureRange {
    /// Feature name.
    pub feature: String,
    /// Lowest value kept.
    pub min: Option<f64>,
    /// Highest value kept.
    pub max: Option<f64>,
}

/// A categorical feature's accepted values.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct FeatureIn {
    /// Feature name.
    pub feature: String,
    /// Values kept.
    pub values: Vec<String>,
}

/// The filters (all optional, combined with AND).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Filters {
    /// A time_window ("1h", "START/END"); default 1h.
    pub time_window: Option<String>,
    /// An error type, or "any" for every failed prediction, or "none" for
    /// successes only.
    pub error_type: Option<String>,
    /// Numeric ranges.
    #[serde(default)]
    pub ranges: Vec<FeatureRange>,
    /// Categorical values.
    #[serde(default)]
    pub categories: Vec<FeatureIn>,
    /// true: labeled and right; false: labeled and wrong.
    pub correct: Option<bool>,
    /// Lowest confidence kept (0..1).
    pub min_confidence: Option<f64>,
    /// Highest confidence kept (0..1).
    pub max_confidence: Option<f64>,
    /// Rows in the sample (default 50, at most 1000).
    pub limit: Option<usize>,
}

/// One prediction of the sample.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LogRow {
    /// Its id.
    pub prediction_id: String,
    /// The version that served it.
    pub version: String,
    /// When, RFC 3339.
    pub event_time: String,
    /// What it predicted.
    pub prediction: String,
    /// Its confidence, 0..1.
    pub confidence: Option<f64>,
    /// Latency, milliseconds.
    pub latency_ms: f64,
    /// The error type, when it failed.
    pub error_type: Option<String>,
    /// The error message, when it failed.
    pub error_message: Option<String>,
    /// The label, once joined.
    pub label: Option<String>,
    /// Whether it was right, once labeled.
    pub correct: Option<bool>,
    /// Numeric features.
    pub numeric: BTreeMap<String, f64>,
    /// Categorical features.
    pub categorical: BTreeMap<String, String>,
    /// Features that were missing.
    pub missing: Vec<String>,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Logs {
    /// Model and version asked about.
    pub model: ModelRef,
    /// The range covered.
    pub range: Range,
    /// Rows matching the filters.
    pub matched: u64,
    /// Of which failed, per error type.
    pub errors_by_type: BTreeMap<String, u64>,
    /// The newest matching rows, at most the limit.
    pub sample: Vec<LogRow>,
}

/// The WHERE conditions of `filters` beyond model and time (on columns of
/// inference_log `l` and joined outcomes `labeled`, `correct`).
pub fn conditions(filters: &Filters) -> Result<Vec<String>, ToolError> {
    let mut out = Vec::new();
    match filters.error_type.as_deref() {
        None => {}
        Some("any") => out.push("isNotNull(error_type)".into()),
        Some("none") => out.push("isNull(error_type)".into()),
        Some(t) => out.push(format!("error_type = {}", quote(t))),
    }
    for r in &filters.ranges {
        let f = quote(&r.feature);
        let value = format!("numeric_feature_values[indexOf(numeric_feature_names, {f})]");
        let mut c = format!("has(numeric_feature_names, {f})");
        if let Some(min) = r.min {
            c.push_str(&format!(" AND {value} >= {min:?}"));
        }
        if let Some(max) = r.max {
            c.push_str(&format!(" AND {value} <= {max:?}"));
        }
        out.push(format!("({c})"));
    }
    for c in &filters.categories {
        let f = quote(&c.feature);
        let values: Vec<String> = c.values.iter().map(|v| quote(v)).collect();
        if values.is_empty() {
            return Err(ToolError::bad(
                "filters.categories",
                &c.feature,
                "give at least one value",
            ));
        }
        out.push(format!(
            "(has(categorical_feature_names, {f}) AND categorical_feature_values[indexOf(categorical_feature_names, {f})] IN ({}))",
            values.join(", ")
        ));
    }
    match filters.correct {
        Some(true) => out.push("labeled = 1 AND correct = 1".into()),
        Some(false) => out.push("labeled = 1 AND correct = 0".into()),
        None => {}
    }
    for (bound, op) in [
        (filters.min_confidence, ">="),
        (filters.max_confidence, "<="),
    ] {
        if let Some(b) = bound {
            if !(0.0..=1.0).contains(&b) {
                return Err(ToolError::bad(
                    "filters.confidence",
                    &b.to_string(),
                    "a confidence between 0 and 1",
                ));
            }
            out.push(format!("confidence {op} {b:?}"));
        }
    }
    Ok(out)
}

impl Tools {
    /// See the module documentation.
    pub fn query_inference_logs(
        &self,
        model_name: &str,
        version: Option<&str>,
        filters: &Filters,
    ) -> Result<Logs, ToolError> {
        let model = self.resolve_with(model_name, version)?;
        let window = self.window(filters.time_window.as_deref().unwrap_or("1h"))?;
        let limit = filters.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ToolError::bad(
                "filters.limit",
                &limit.to_string(),
                format!("1 to {MAX_LIMIT}"),
            ));
        }
        let mut wheres = vec![model_filter(&model), time_filter("event_time_ms", &window)];
        wheres.extend(conditions(filters)?);
        let from = format!(
            "(SELECT * FROM {} WHERE {} AND {}) ANY LEFT JOIN (SELECT prediction_id, 1 AS labeled, label, \
             ifNull(correct, 2) AS correct FROM {} FINAL WHERE {}) USING prediction_id",
            self.table("inference_log"),
            model_filter(&model),
            time_filter("event_time_ms", &window),
            self.table("outcomes"),
            model_filter(&model)
        );
        let wheres = wheres.join(" AND ");
        let totals = self.rows(&format!(
            "SELECT ifNull(error_type, '') AS t, count() AS n FROM {from} WHERE {wheres} GROUP BY t"
        ))?;
        let matched = totals.iter().map(|r| count(&r["n"])).sum();
        let errors_by_type = totals
            .iter()
            .filter(|r| !text(&r["t"]).is_empty())
            .map(|r| (text(&r["t"]), count(&r["n"])))
            .collect();
        let sample = self
            .rows(&format!(
                "SELECT prediction_id, version, event_time_ms, prediction, confidence, latency_ms, error_type, \
                 error_message, labeled, label, correct, numeric_feature_names, numeric_feature_values, \
                 categorical_feature_names, categorical_feature_values, missing_features FROM {from} \
                 WHERE {wheres} ORDER BY event_time_ms DESC LIMIT {limit}"
            ))?
            .iter()
            .map(log_row)
            .collect();
        Ok(Logs {
            model,
            range: window.range(),
            matched,
            errors_by_type,
            sample,
        })
    }
}

fn log_row(r: &serde_json::Value) -> LogRow {
    let features = super::row_features(r);
    let labeled = count(&r["labeled"]) == 1;
    let correct = count(&r["correct"]);
    LogRow {
        prediction_id: text(&r["prediction_id"]),
        version: text(&r["version"]),
        event_time: mlobs_schemas::time::format_rfc3339(
            num(&r["event_time_ms"]).unwrap_or(0.0) as i64
        ),
        prediction: text(&r["prediction"]),
        confidence: num(&r["confidence"]),
        latency_ms: num(&r["latency_ms"]).unwrap_or(0.0),
        error_type: r["error_type"].as_str().map(String::from),
        error_message: r["error_message"].as_str().map(String::from),
        label: labeled.then(|| text(&r["label"])),
        correct: (labeled && correct < 2).then_some(correct == 1),
        numeric: features.numeric.into_iter().collect(),
        categorical: features.categorical.into_iter().collect(),
        missing: features.missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_quoted_conditions() {
        let filters = Filters {
            error_type: Some("gpu_oom".into()),
            ranges: vec![FeatureRange {
                feature: "tenure".into(),
                min: Some(1.0),
                max: None,
            }],
            categories: vec![FeatureIn {
                feature: "plan".into(),
                values: vec!["o'neil".into()],
            }],
            correct: Some(false),
            min_confidence: Some(0.9),
            ..Filters::default()
        };
        let c = conditions(&filters).unwrap();
        assert_eq!(c[0], "error_type = 'gpu_oom'");
        assert!(
            c[1].contains("indexOf(numeric_feature_names, 'tenure')] >= 1.0"),
            "{}",
            c[1]
        );
        assert!(c[2].contains("IN ('o\\'neil')"), "{}", c[2]);
        assert_eq!(c[3], "labeled = 1 AND correct = 0");
        assert_eq!(c[4], "confidence >= 0.9");
        let bad = Filters {
            max_confidence: Some(2.0),
            ..Filters::default()
        };
        assert!(conditions(&bad).is_err());
    }
}

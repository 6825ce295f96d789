//! Step 1: recent labeled production rows from ClickHouse, each prediction
//! of `inference_log` (its features as served) joined with its label in
//! `outcomes`. "Recent" is event time: the window ends at the newest
//! labeled prediction, not at the wall clock, so replayed and simulated
//! history retrains the same way live traffic does.

use std::collections::BTreeMap;

use mlobs_pipeline::sinks::clickhouse::query::{num, quote, text};
use mlobs_pipeline::sinks::clickhouse::ClickHouse;
use mlobs_schemas::time::format_rfc3339;
use mlobs_schemas::FeatureValue;
use mlobs_trainer::Example;
use serde_json::Value;

use crate::RetrainError;

/// The labeled rows of one model over a span of event time.
#[derive(Debug, Clone)]
pub struct Production {
    /// Rows, oldest first.
    pub rows: Vec<Example>,
    /// First event time read (ms).
    pub since_ms: i64,
    /// End of the span (ms, exclusive).
    pub until_ms: i64,
}

/// Which rows to read.
#[derive(Debug, Clone)]
pub struct Span {
    /// Model.
    pub model: String,
    /// Only this environment's predictions (all when empty).
    pub environment: String,
    /// From here (ms); `None`: `window_ms` before the newest labeled one.
    pub since_ms: Option<i64>,
    /// How far back when `since_ms` is not given.
    pub window_ms: i64,
}

/// Reads the labeled, successful predictions of `span`. Rows that keep
/// only a hash of their features (privacy mode) are left out, and when
/// that is all of them the job refuses: nothing can be trained on hashes.
pub fn fetch(clickhouse: &ClickHouse, span: &Span) -> Result<Production, RetrainError> {
    let db = clickhouse.database();
    let model = quote(&span.model);
    let environment = if span.environment.is_empty() {
        String::new()
    } else {
        format!(" AND environment = {}", quote(&span.environment))
    };
    let labels = format!(
        "SELECT prediction_id, any(label) AS label, any(prediction_time_ms) AS predicted_at \
         FROM {db}.outcomes WHERE model = {model}{environment} GROUP BY prediction_id"
    );
    let newest = clickhouse.json_rows(&format!(
        "SELECT max(predicted_at) AS newest, count() AS n FROM ({labels})"
    ))?;
    let labeled = newest.first().and_then(|r| num(&r["n"])).unwrap_or(0.0);
    let Some(newest) = newest
        .first()
        .and_then(|r| num(&r["newest"]))
        .filter(|_| labeled > 0.0)
    else {
        return Err(RetrainError::NoData(format!(
            "ClickHouse has no labeled prediction of model {:?}{}; retraining needs outcomes (labels joined by the pipeline)",
            span.model,
            if span.environment.is_empty() { String::new() } else { format!(" in environment {:?}", span.environment) }
        )));
    };
    let until_ms = newest as i64 + 1;
    let since_ms = span.since_ms.unwrap_or(until_ms - span.window_ms);
    // ClickHouse 18.16: a join of subqueries with USING.
    let sql = format!(
        "SELECT t, nn, nv, cn, cv, hashed, label FROM \
         (SELECT prediction_id, event_time_ms AS t, numeric_feature_names AS nn, \
          numeric_feature_values AS nv, categorical_feature_names AS cn, \
          categorical_feature_values AS cv, isNotNull(features_hash) AS hashed \
          FROM {db}.inference_log FINAL WHERE model = {model}{environment} AND error_type IS NULL \
          AND event_time_ms >= {since_ms} AND event_time_ms < {until_ms}) \
         ALL INNER JOIN ({labels}) USING prediction_id \
         ORDER BY t, prediction_id"
    );
    let rows = clickhouse.json_rows(&sql)?;
    let keeps_hash_only = |r: &&Value| {
        num(&r["hashed"]).unwrap_or(0.0) > 0.0 && is_empty(&r["nn"]) && is_empty(&r["cn"])
    };
    let hashed = rows.iter().filter(keeps_hash_only).count();
    if hashed > 0 && hashed == rows.len() {
        return Err(RetrainError::Privacy(format!(
            "the {hashed} labeled predictions of model {:?} since {} keep only a hash of their features (privacy mode `hash`): there is nothing to train on. Retrain from a dataset you hold, or keep raw features for this model ([privacy.models.{}] mode = \"raw\")",
            span.model,
            format_rfc3339(since_ms),
            span.model
        )));
    }
    let kept = rows
        .iter()
        .filter(|r| !keeps_hash_only(r))
        .map(example)
        .collect();
    Ok(Production {
        rows: kept,
        since_ms,
        until_ms,
    })
}

fn is_empty(value: &Value) -> bool {
    value.as_array().is_none_or(|a| a.is_empty())
}

/// One row: the named numbers and categories, and the label.
fn example(row: &Value) -> Example {
    let names = |key: &str| -> Vec<String> {
        row[key]
            .as_array()
            .map(|a| a.iter().map(text).collect())
            .unwrap_or_default()
    };
    let mut features = BTreeMap::new();
    let numbers = row["nv"].as_array().cloned().unwrap_or_default();
    for (name, value) in names("nn").into_iter().zip(&numbers) {
        if let Some(x) = num(value) {
            features.insert(name, FeatureValue::Numeric(x));
        }
    }
    for (name, value) in names("cn").into_iter().zip(names("cv")) {
        features.insert(name, FeatureValue::Categorical(value));
    }
    Example {
        features,
        label: text(&row["label"]),
    }
}

//! Diagnosis tools over ClickHouse (history) and MLflow (registry), one
//! file each, shared by the agent and (next) the MCP server.
//!
//! Every tool takes the parameters as text (a model spec, a
//! `time_window`), answers a serde-serializable struct that names its
//! units and the [`Range`] it covers, and fails with a [`ToolError`] that
//! says what to change. The SQL each tool builds and the statistics it
//! computes are pure functions (tested without services); the I/O is the
//! [`Tools`] handle at the edge. See docs/architecture.md, "Agent tools".

pub mod accuracy;
pub mod alerts;
pub mod compare;
pub mod config;
pub mod distribution;
pub mod drift;
mod error;
pub mod estimate;
pub mod incident;
pub mod latency;
pub mod logs;
pub mod resources;
pub mod slices;
pub mod span;
pub mod spec;
pub mod sql;
pub mod stats;

use std::collections::BTreeMap;

use mlobs_operators::baseline::Baseline;
use mlobs_pipeline::sinks::clickhouse::ClickHouse;
use mlobs_registry::Registry;
use serde_json::Value;

pub use error::ToolError;
pub(crate) use mlobs_pipeline::sinks::clickhouse::query::{num, text};
pub use spec::{ModelRef, ModelSpec, Range, Selector, TimeWindow};

/// What the tools read through: the history, the registry when
/// configured, and baseline profiles the caller already holds.
#[derive(Clone)]
pub struct Tools {
    clickhouse: ClickHouse,
    registry: Option<Registry>,
    baselines: BTreeMap<String, Baseline>,
    now_ms: Option<i64>,
}

impl Tools {
    /// Tools over `clickhouse`; `registry` resolves `name@alias` and
    /// provides baselines published to MLflow.
    pub fn new(clickhouse: ClickHouse, registry: Option<Registry>) -> Tools {
        Tools {
            clickhouse,
            registry,
            baselines: BTreeMap::new(),
            now_ms: None,
        }
    }

    /// Uses `baseline` as the training profile of `model` (a profile from
    /// `baselines.dir`); it wins over one published to MLflow.
    pub fn with_baseline(mut self, model: &str, baseline: Baseline) -> Tools {
        self.baselines.insert(model.to_string(), baseline);
        self
    }

    /// Fixes "now" (spans such as `"1h"` end there): for replays and tests.
    pub fn at(mut self, now_ms: i64) -> Tools {
        self.now_ms = Some(now_ms);
        self
    }

    /// The history's ClickHouse: the agent writes its incidents there too.
    pub fn clickhouse(&self) -> &ClickHouse {
        &self.clickhouse
    }

    /// The registry, when `mlflow.url` is configured: the Investigate node
    /// reads the versions' aliases through it.
    pub fn registry(&self) -> Option<&Registry> {
        self.registry.as_ref()
    }

    /// The current time in Unix milliseconds (or the fixed one).
    pub fn now_ms(&self) -> i64 {
        self.now_ms.unwrap_or_else(mlobs_schemas::time::now_ms)
    }

    /// Parses a `time_window` argument.
    pub fn window(&self, text: &str) -> Result<TimeWindow, ToolError> {
        TimeWindow::parse(text, self.now_ms())
    }

    /// `table` qualified with the history's database.
    fn table(&self, table: &str) -> String {
        format!("{}.{table}", self.clickhouse.database())
    }

    /// Runs `sql`, rows as JSON objects.
    fn rows(&self, sql: &str) -> Result<Vec<Value>, ToolError> {
        Ok(self.clickhouse.json_rows(sql)?)
    }

    /// Resolves a model argument: an alias through MLflow, and the model
    /// (and version) checked against the history, so that a typo is an
    /// error naming what exists instead of an empty answer.
    pub fn resolve(&self, arg: &str) -> Result<ModelRef, ToolError> {
        let spec = ModelSpec::parse(arg)?;
        let version = match &spec.selector {
            Selector::All => None,
            Selector::Version(v) => Some(v.clone()),
            Selector::Alias(alias) => Some(self.alias(arg, &spec.name, alias)?),
        };
        // The primary key starts with (model, version): this reads the
        // model's part only. Listing every model is the error path's.
        let versions = self.rows(&format!(
            "SELECT DISTINCT version FROM {} WHERE model = {} ORDER BY version",
            self.table("inference_log"),
            sql::quote(&spec.name)
        ))?;
        if versions.is_empty() {
            let models = self.rows(&format!(
                "SELECT DISTINCT model FROM {} ORDER BY model",
                self.table("inference_log")
            ))?;
            return Err(ToolError::UnknownModel {
                model: spec.name,
                known: models.iter().map(|m| text(&m["model"])).collect(),
            });
        }
        if let Some(version) = &version {
            let known: Vec<String> = versions.iter().map(|v| text(&v["version"])).collect();
            if !known.contains(version) {
                return Err(ToolError::UnknownVersion {
                    model: spec.name,
                    version: version.clone(),
                    known,
                });
            }
        }
        Ok(ModelRef {
            model: spec.name,
            version,
        })
    }

    /// The version `alias` of `model` points at in MLflow.
    fn alias(&self, text: &str, model: &str, alias: &str) -> Result<String, ToolError> {
        let failed = |why: String| ToolError::Registry {
            spec: text.to_string(),
            why,
        };
        let registry = self
            .registry
            .as_ref()
            .ok_or_else(|| failed("mlflow.url is not set; name the version instead".into()))?;
        match registry.alias(model, alias) {
            Ok(Some(found)) => Ok(found.version),
            Ok(None) => Err(failed(format!("model {model:?} has no alias {alias:?}"))),
            Err(e) => Err(failed(e.to_string())),
        }
    }

    /// Combines a separately given `version` argument with a model spec
    /// (the issue's `get_model_accuracy(model_name, version, ...)`): the
    /// argument wins when given and the spec names none.
    pub fn resolve_with(&self, model: &str, version: Option<&str>) -> Result<ModelRef, ToolError> {
        match version.filter(|v| !v.trim().is_empty()) {
            Some(v) if !model.contains(':') && !model.contains('@') => {
                self.resolve(&format!("{model}:{}", v.trim()))
            }
            _ => self.resolve(model),
        }
    }
}

/// A JSON count (see [`num`]).
pub(crate) fn count(value: &Value) -> u64 {
    num(value).map_or(0, |n| n.max(0.0) as u64)
}

/// The features of an `inference_log` row, its parallel name and value
/// arrays zipped into pairs.
pub(crate) struct RowFeatures {
    /// (feature, value); a value ClickHouse could not give is NaN.
    pub numeric: Vec<(String, f64)>,
    /// (feature, category).
    pub categorical: Vec<(String, String)>,
    /// Features the event sent without a value.
    pub missing: Vec<String>,
}

/// [`RowFeatures`] of row `r`.
pub(crate) fn row_features(r: &Value) -> RowFeatures {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().map(text).collect())
            .unwrap_or_default()
    };
    let values = r["numeric_feature_values"].as_array().into_iter().flatten();
    RowFeatures {
        numeric: strings(&r["numeric_feature_names"])
            .into_iter()
            .zip(values.map(|v| num(v).unwrap_or(f64::NAN)))
            .collect(),
        categorical: strings(&r["categorical_feature_names"])
            .into_iter()
            .zip(strings(&r["categorical_feature_values"]))
            .collect(),
        missing: strings(&r["missing_features"]),
    }
}
